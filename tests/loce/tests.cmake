# Multi-rank LoCE runs: the vectors must not depend on the number of ranks.
loce_mpi_test(loce.mpi_sharding_np2 2 test_loce_mpi)
loce_mpi_test(loce.mpi_sharding_np3 3 test_loce_mpi)
