#!/usr/bin/env bash
# Configures (once) and builds trnc into ./build with Ninja. Incremental: rerun
# after edits, or use `ninja -C build <target>` directly.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${TRN_BUILD_DIR:-build}
if [ ! -f "$BUILD_DIR/build.ninja" ]; then
  cmake -G Ninja -S . -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=${TRN_BUILD_TYPE:-Release} \
    -DCMAKE_C_COMPILER=gcc -DCMAKE_CXX_COMPILER=g++ >/dev/null
fi
# 2 cores and heavy MLIR translation units: keep parallelism at the core count.
ninja -C "$BUILD_DIR" -j "${TRN_JOBS:-$(nproc)}" "$@"
