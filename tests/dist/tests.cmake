# Multi-rank tests of src/dist (included by tests/CMakeLists.txt). Matching checks are on.
loce_mpi_test(dist.mpi_collectives_np2 2 test_dist_mpi --gtest_filter=CollectivesTest.*)
loce_mpi_test(dist.mpi_collectives_np3 3 test_dist_mpi --gtest_filter=CollectivesTest.*)
loce_mpi_test(dist.mpi_data_parallel_np3 3 test_dist_mpi --gtest_filter=DataParallelTest.*)
loce_mpi_test(dist.mpi_data_parallel_np2 2 test_dist_mpi --gtest_filter=DataParallelTest.*)

# Failure drills: the whole job must die non-zero within 30 s with the culprit's message.
set(_dist_drill ${CMAKE_CURRENT_SOURCE_DIR}/dist/check_job_dies.py)
add_test(NAME dist.mpi_rank_throws_np3
         COMMAND /usr/bin/python3 ${_dist_drill} --within 30
                 --expect "injected failure on rank 2 at step 3" --
                 ${LOCE_MPIRUN} -np 3 $<TARGET_FILE:test_dist_mpi>
                 --gtest_filter=FailureDrill.RankThrowsMidCollective)
add_test(NAME dist.mpi_stuck_rank_watchdog_np3
         COMMAND /usr/bin/python3 ${_dist_drill} --within 30 --expect "did not complete within 3 s" --
                 ${LOCE_MPIRUN} -np 3 $<TARGET_FILE:test_dist_mpi>
                 --gtest_filter=FailureDrill.StuckRankTripsTheWatchdog)
add_test(NAME dist.mpi_async_error_np3
         COMMAND /usr/bin/python3 ${_dist_drill} --within 30
                 --expect "injected asynchronous error on rank 2; ending the job" --
                 ${LOCE_MPIRUN} -np 3 $<TARGET_FILE:test_dist_mpi>
                 --gtest_filter=FailureDrill.AsyncErrorEndsTheJob)
set_tests_properties(dist.mpi_rank_throws_np3 PROPERTIES
                     ENVIRONMENT "${LOCE_TEST_ENV};LOCE_DIST_DRILL=throw" TIMEOUT 120 PROCESSORS 3 LABELS mpi)
set_tests_properties(dist.mpi_stuck_rank_watchdog_np3 PROPERTIES
                     ENVIRONMENT "${LOCE_TEST_ENV};LOCE_DIST_DRILL=hang" TIMEOUT 120 PROCESSORS 3 LABELS mpi)
set_tests_properties(dist.mpi_async_error_np3 PROPERTIES
                     ENVIRONMENT "${LOCE_TEST_ENV};LOCE_DIST_DRILL=async" TIMEOUT 120 PROCESSORS 3 LABELS mpi)
