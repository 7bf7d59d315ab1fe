#!/bin/sh
# Compiler launcher of the compile checks (CMakeLists.txt, loce_cuda_path_check): runs the
# compile command with -fsyntax-only, which parses and instantiates everything (so it reports
# every error a real compile would) but generates no code, twice as fast; then creates the empty
# object file the build tool expects (those objects are never linked).
#   syntax_only.sh <compiler> <args...>
"$@" -fsyntax-only || exit $?
out=""
while [ $# -gt 0 ]; do
  if [ "$1" = "-o" ]; then out=$2; break; fi
  shift
done
if [ -n "$out" ]; then : > "$out"; fi
