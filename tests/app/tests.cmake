# test_app runs the loce binary, so it must be built first.
add_dependencies(test_app loce)
