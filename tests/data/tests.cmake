loce_mpi_test(data.mpi_sampler_np3 3 test_data_mpi)
loce_mpi_test(data.mpi_prepare_np2 2 test_data_mpi --gtest_filter=MpiPrepare.*)
