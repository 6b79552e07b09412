#!/usr/bin/env bash
# Builds and runs every trnc benchmark (docs/profiling.md, "Benchmarks"): the
# emulator against numpy (a ratio measured in the same run), the cost model
# against the NKI matmul tutorial's published measurements, and the modeled
# TensorE utilization of standard GEMMs and models (docs/scheduling.md).
# About two minutes on 2 cores for the modeled-time benchmarks.
#
#   bash bench/run.sh            # build dir: $TRN_BUILD_DIR or build/
#
# OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE: this machine may set them (they pin
# OpenBLAS to a slower kernel). The benchmarks unset both for the whole run so
# that numpy and the emulator (which uses the same OpenBLAS) get the same,
# default tuning: the comparison stays fair. Pass --keep-openblas-env to keep
# them instead. The test suite never touches them.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${TRN_BUILD_DIR:-build}
JOBS=${TRN_JOBS:-2}

keep_env=0
for arg in "$@"; do
  case "$arg" in
    --keep-openblas-env) keep_env=1 ;;
    *) echo "error: unknown argument '$arg' (usage: bench/run.sh [--keep-openblas-env])" >&2; exit 1 ;;
  esac
done

if [ ! -f "$BUILD_DIR/build.ninja" ]; then
  cmake -G Ninja -S . -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=Release >/dev/null
fi
ninja -C "$BUILD_DIR" -j"$JOBS" trn-bench trnc trn-run >/dev/null

if [ $keep_env -eq 0 ]; then
  unset OPENBLAS_CORETYPE OPENBLAS_L2_SIZE
fi

status=0
echo "== emulator GEMM vs numpy =="
/usr/bin/python3 bench/gemm_vs_numpy.py --binary "$BUILD_DIR/bench/emulator_gemm" --size 1024 \
  --iters 5 || status=1
echo "== PyTorch models (Python frontend) vs torch eager ==" && ninja -C "$BUILD_DIR" -j"$JOBS" trnc_runtime_ext trnc_compiler_ext >/dev/null && PYTHONPATH="$BUILD_DIR/python" /usr/bin/python3 bench/python_models.py || status=1
exit $status
