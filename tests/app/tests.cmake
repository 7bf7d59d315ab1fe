# test_app runs the loce binary, so it must be built first.
add_dependencies(test_app loce)

# The whole pipeline on tiny data under mpirun -np 2 (jobs/ci.toml).
add_test(NAME app.e2e_run_ci_np2
         COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/app/e2e_test.sh ${CMAKE_BINARY_DIR}/loce
                 ${CMAKE_SOURCE_DIR} ${LOCE_MPIRUN})
set_tests_properties(app.e2e_run_ci_np2 PROPERTIES ENVIRONMENT "${LOCE_TEST_ENV}" TIMEOUT 900
                     PROCESSORS 2 LABELS "mpi;e2e")

# The sbatch scripts on a real local SLURM cluster (needs root and the slurm packages).
add_test(NAME app.slurm_scripts
         COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/app/slurm_test.sh ${CMAKE_BINARY_DIR}/loce ${CMAKE_SOURCE_DIR})
# Skipped (exit 77) only where it cannot run: not root, or the slurm packages missing.
set_tests_properties(app.slurm_scripts PROPERTIES ENVIRONMENT "${LOCE_TEST_ENV}" TIMEOUT 900
                     PROCESSORS 2 RUN_SERIAL TRUE LABELS slurm SKIP_RETURN_CODE 77)

# The runner's job files, plan, manifest and lock are tested as functions too (test_runner.cpp).
target_link_libraries(test_app PRIVATE loce_runner)

# tools/gpu/check.sh, the GPU session's one command, dry-run on the CPU with tiny sizes.
add_test(NAME app.gpu_check_dry_run
         COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/app/gpu_check_dry_run.sh ${CMAKE_BINARY_DIR}
                 ${CMAKE_SOURCE_DIR})
set_tests_properties(app.gpu_check_dry_run PROPERTIES ENVIRONMENT "${LOCE_TEST_ENV}" TIMEOUT 600
                     PROCESSORS 2 LABELS "mpi;e2e")

# `bench analysis` under mpirun: every rank reads the one generated file (rank 0's name).
add_test(NAME app.bench_analysis_np2
         COMMAND ${LOCE_MPIRUN} -np 2 ${CMAKE_BINARY_DIR}/loce --threads 1 --log-level warn
                 bench analysis --n 40 --dim 4 --concepts 2)
set_tests_properties(app.bench_analysis_np2 PROPERTIES ENVIRONMENT "${LOCE_TEST_ENV}" TIMEOUT 120
                     PROCESSORS 2 LABELS mpi)
