# parallel_ranges when OpenMP starts fewer threads than LibTorch's count asks for.
add_test(NAME core.parallel_under_thread_limit
         COMMAND test_core --gtest_filter=ParallelRanges.*)
set_tests_properties(core.parallel_under_thread_limit PROPERTIES
                     ENVIRONMENT "${LOCE_TEST_ENV};OMP_THREAD_LIMIT=1" TIMEOUT 120)
