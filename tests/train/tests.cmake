loce_mpi_test(train.mpi_training_np2 2 test_train_mpi)
# Three ranks: an average over three is where a per-checkpoint re-average of equal values would
# not give them back bit for bit.
loce_mpi_test(train.mpi_checkpoints_np3 3 test_train_mpi --gtest_filter=MpiTrainingCheckpoints.*)
# The training CLI end to end under mpirun -np 2 (synth, prepare, pretrain x4, finetune,
# evaluate, inspect).
add_test(NAME train.cli_pipeline_np2
         COMMAND sh ${CMAKE_CURRENT_SOURCE_DIR}/train/cli_pipeline.sh $<TARGET_FILE:loce> ${LOCE_MPIRUN})
set_tests_properties(train.cli_pipeline_np2 PROPERTIES ENVIRONMENT "${LOCE_TEST_ENV}" TIMEOUT 600
                                                       PROCESSORS 2 LABELS mpi)
