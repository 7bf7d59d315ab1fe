# Multi-rank analysis tests: the same results as one rank on 2 and 3 ranks.
if(TARGET test_analysis_mpi)
  loce_mpi_test(analysis.mpi_np2 2 test_analysis_mpi)
  loce_mpi_test(analysis.mpi_np3 3 test_analysis_mpi)
endif()

# The figure script on tiny outputs: PNGs exist and are not blank.
find_program(LOCE_SYSTEM_PYTHON NAMES python3 PATHS /usr/bin NO_DEFAULT_PATH)
if(LOCE_SYSTEM_PYTHON)
  add_test(NAME analysis.plot_results
           COMMAND ${LOCE_SYSTEM_PYTHON} ${CMAKE_SOURCE_DIR}/tests/analysis/plot_results_check.py
                   $<TARGET_FILE:loce> ${CMAKE_SOURCE_DIR}/tools/plot_results.py)
  set_tests_properties(analysis.plot_results PROPERTIES ENVIRONMENT "${LOCE_TEST_ENV}" TIMEOUT 300)
endif()
