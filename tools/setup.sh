#!/usr/bin/env bash
# One-command setup on a fresh Debian 12 or 13 / Ubuntu machine: installs every system dependency with
# apt (only what is missing; silent when all is there), then configures and builds in build/.
#
#   tools/setup.sh              install + configure + build (Release)
#   tools/setup.sh --deps-only  install only
#   BUILD_DIR=... BUILD_TYPE=... JOBS=... CMAKE_ARGS="..." LOCE_BUILD_TARGET=... tools/setup.sh
#   (LOCE_BUILD_TARGET=loce builds the program only, without the test suite: what tools/demo.sh needs)
set -euo pipefail
cd "$(dirname "$0")/.."

PACKAGES=(
  build-essential cmake git pkg-config
  libtorch-dev                       # LibTorch (CPU): 1.13 on Debian 12, 2.6 on Debian 13
  libopenblas0-pthread               # an optimised BLAS for LibTorch (the default is netlib)
  libopenmpi-dev openmpi-bin         # MPI
  libhdf5-dev                        # HDF5 (serial)
  libboost-serialization-dev         # run state, checkpoints, objects between ranks
  libcli11-dev libgtest-dev libpng-dev
  python3 python3-numpy python3-h5py python3-matplotlib   # tools/plot_results.py
  slurmctld slurmd slurm-client munge                     # tools/slurm-local.sh (SLURM tests)
)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
[ "${1:-}" = "--deps-only" ] && exit 0

BUILD_DIR=${BUILD_DIR:-build}
BUILD_TYPE=${BUILD_TYPE:-Release}
JOBS=${JOBS:-$(nproc)}
TARGET=${LOCE_BUILD_TARGET:-all}
CONFIGURE=0
[ -f "$BUILD_DIR/CMakeCache.txt" ] || CONFIGURE=1
# With the tests, every source is also compiled against LibTorch 2.x headers (a 2.5 MB
# download; without a network the check is left out, and says so). Also when the folder was
# configured for the program alone (tools/demo.sh) and the tests come later (tools/test.sh).
# (Where the system's LibTorch is itself 2.x, as on Debian 13, the build already is that check.)
T2_ARGS=()
if [ "$TARGET" = all ] && dpkg-query -W -f='${Version}' libtorch-dev 2>/dev/null | grep -q '^1\.' &&
   ! grep -q '^LOCE_TORCH2_HEADERS:PATH=.' "$BUILD_DIR/CMakeCache.txt" 2>/dev/null; then
  if T2=$(tools/fetch_torch2_headers.sh "$BUILD_DIR/torch2-headers" 2>/dev/null); then
    T2_ARGS=(-DLOCE_TORCH2_HEADERS="$(realpath "$T2")")
    CONFIGURE=1
  else
    echo "setup: could not fetch LibTorch 2.x headers (offline?): the sources are compiled against 1.13 only"
  fi
fi
if [ "$CONFIGURE" = 1 ]; then
  echo "setup: configuring $BUILD_DIR ($BUILD_TYPE)"
  cmake -S . -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE="$BUILD_TYPE" "${T2_ARGS[@]}" ${CMAKE_ARGS:-} >/dev/null
fi
echo "setup: building $TARGET in $BUILD_DIR with $JOBS job(s) (first build on 2 cores: about 5 minutes for loce, 11.5 with the tests)"
# Progress: one line per target built (with CMake's percentage), plus any error or warning.
# The build's own status decides (pipefail): an older build/loce must not pass for a new one.
BUILD_STATUS=0
cmake --build "$BUILD_DIR" -j "$JOBS" --target "$TARGET" 2>&1 |
  { grep --line-buffered -E "error|warning: |Error|Built target" || true; } || BUILD_STATUS=$?
if [ "$BUILD_STATUS" -ne 0 ] || [ ! -x "$BUILD_DIR/loce" ]; then
  echo "setup: build failed; run: cmake --build $BUILD_DIR" >&2
  exit 1
fi
echo "setup: done: $BUILD_DIR/loce"
