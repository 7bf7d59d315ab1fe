#!/usr/bin/env bash
# Builds this commit and runs its test suite on Debian 13 ("trixie": LibTorch 2.6, GCC 14,
# OpenMPI 5, HDF5 1.14, CMake 3.31) inside a chroot, on a Debian 12 machine like the CI's.
#
# Why: CI builds against Debian 12's LibTorch 1.13, and compiles every file against LibTorch 2.x
# headers without running anything; the GPU machine runs 2.x but is lent rarely. This runs the
# whole CPU test suite against a real LibTorch 2.x, and builds on a machine without the CUDA
# toolkit (and so without NCCL), as a laptop or CPU cluster would: both had gone unchecked.
#
#   sudo tools/debian13_check.sh [DIR]    (DIR: the chroot, default /var/tmp/loce-trixie; kept,
#                                          so a second run reuses it and rebuilds incrementally)
#   CTEST_ARGS="-R analysis" sudo tools/debian13_check.sh
#
# Needs root (debootstrap, chroot, bind mounts) and deb.debian.org. First run on 2 cores: about
# 1 minute for the base system, 2-3 for the packages (tools/setup.sh --deps-only, inside), 12 to
# build, 6 to test. The SLURM tests are left out (no daemons inside a chroot). Not part of CI.
set -euo pipefail
SRC=$(cd "$(dirname "$0")/.." && pwd)
ROOT=${1:-/var/tmp/loce-trixie}
[ "$(id -u)" -eq 0 ] || { echo "debian13_check: needs root (chroot, mounts)" >&2; exit 2; }

if [ ! -x "$ROOT/usr/bin/apt-get" ]; then
  command -v debootstrap >/dev/null || apt-get install -y -qq debootstrap >/dev/null
  echo "debian13_check: creating the Debian 13 base system in $ROOT"
  debootstrap --variant=minbase trixie "$ROOT" http://deb.debian.org/debian >"$ROOT.debootstrap.log" 2>&1 ||
    { echo "debian13_check: debootstrap failed, see $ROOT.debootstrap.log" >&2; exit 1; }
  # Packages install without starting their services (munge, slurm) in the chroot.
  printf '#!/bin/sh\nexit 101\n' >"$ROOT/usr/sbin/policy-rc.d"
  chmod +x "$ROOT/usr/sbin/policy-rc.d"
fi
cp /etc/resolv.conf "$ROOT/etc/resolv.conf"

mounted=()
cleanup() {
  for ((i = ${#mounted[@]} - 1; i >= 0; i--)); do umount "${mounted[i]}" 2>/dev/null || true; done
}
trap cleanup EXIT
for m in proc sys dev dev/shm dev/pts; do
  mkdir -p "$ROOT/$m"
  mountpoint -q "$ROOT/$m" || { mount --bind "/$m" "$ROOT/$m" && mounted+=("$ROOT/$m"); }
done

# This commit (not the working tree's uncommitted changes), as a clone the chroot owns.
if [ -d "$ROOT/proj/.git" ]; then
  git -C "$ROOT/proj" fetch -q "$SRC" HEAD && git -C "$ROOT/proj" checkout -q --detach FETCH_HEAD
else
  git clone -q "$SRC" "$ROOT/proj"
  git -C "$ROOT/proj" checkout -q --detach "$(git -C "$SRC" rev-parse HEAD)"
fi
echo "debian13_check: testing $(git -C "$ROOT/proj" log --oneline -1)"

chroot "$ROOT" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 \
  OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 \
  bash -c "cd /proj && tools/test.sh -LE slurm ${CTEST_ARGS:-}"
