#!/usr/bin/env bash
# Puts the headers of a LibTorch 2.x (Debian's libtorch-dev from trixie, 2.6 today) into DIR, so
# that the build can compile every source against them too (LOCE_TORCH2_HEADERS): the GPU
# machine builds with a CUDA LibTorch 2.x, this machine with Debian 12's 1.13, and code that
# compiles against only one is a bug found in a scarce GPU session otherwise. Headers only, a
# 2.5 MB package, through a private apt configuration (nothing is installed).
#   tools/fetch_torch2_headers.sh DIR [SUITE]     (prints DIR/usr/include on success)
set -euo pipefail
dir=$1; suite=${2:-trixie}
if [[ -f $dir/usr/include/torch/csrc/api/include/torch/version.h ]]; then echo "$dir/usr/include"; exit 0; fi
command -v apt-get > /dev/null && command -v dpkg > /dev/null || { echo "no apt here" >&2; exit 1; }
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
mkdir -p "$work/lists/partial" "$work/cache/archives/partial"
echo "deb http://deb.debian.org/debian $suite main" > "$work/sources.list"
touch "$work/status"
apt_opts=(-o Dir::Etc::SourceList="$work/sources.list" -o Dir::Etc::SourceParts=/dev/null
          -o Dir::State::Lists="$work/lists" -o Dir::State::Status="$work/status"
          -o Dir::Cache="$work/cache" -o Debug::NoLocking=1 -qq)
apt-get "${apt_opts[@]}" update > "$work/log" 2>&1 || { cat "$work/log" >&2; exit 1; }
(cd "$work" && apt-get "${apt_opts[@]}" download libtorch-dev > log 2>&1) || { cat "$work/log" >&2; exit 1; }
mkdir -p "$dir.tmp" && dpkg -x "$work"/libtorch-dev_*.deb "$dir.tmp"
rm -rf "$dir" && mkdir -p "$dir/usr" && mv "$dir.tmp/usr/include" "$dir/usr/include" && rm -rf "$dir.tmp"
test -f "$dir/usr/include/torch/csrc/api/include/torch/version.h"
echo "$dir/usr/include"
