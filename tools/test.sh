#!/usr/bin/env bash
# Sets up (tools/setup.sh), then runs the whole test suite through CTest: unit tests,
# multi-rank tests under mpirun, CLI and end-to-end runs.
#   tools/test.sh [extra ctest args, e.g. -L mpi or -R data]
set -euo pipefail
cd "$(dirname "$0")/.."
tools/setup.sh
BUILD_DIR=${BUILD_DIR:-build}
ctest --test-dir "$BUILD_DIR" --output-on-failure -j "$(nproc)" "$@"
