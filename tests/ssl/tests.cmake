loce_mpi_test(ssl.mpi_barlow_np2 2 test_ssl_mpi)
