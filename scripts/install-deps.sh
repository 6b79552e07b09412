#!/usr/bin/env bash
# Installs every Debian package trnc needs to build, test and benchmark. Idempotent and quiet:
# packages already present are skipped without touching apt. Must run as root (or via sudo).
set -euo pipefail

PACKAGES=(
  # toolchain
  cmake ninja-build g++ ccache lld-22
  # LLVM / MLIR 22 (find_package(MLIR), lit, FileCheck, mlir-runner for APFloat references)
  llvm-22-dev llvm-22-tools libmlir-22-dev mlir-22-tools clang-22
  # C++ libraries
  libfmt-dev libgtest-dev libgmock-dev libbenchmark-dev libflatbuffers-dev flatbuffers-compiler
  libopenblas-dev libeigen3-dev libhwy-dev libtbb-dev nlohmann-json3-dev
  # Python frontend and tests (Debian's /usr/bin/python3 only)
  python3 python3-numpy python3-pybind11 pybind11-dev python3-pytest python3-torch
  python3-torchvision python3-onnx
  # the bundled model's data set (8x8 digits ship inside the package)
  python3-sklearn
)

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
echo "install-deps: installing ${#missing[@]} Debian package(s): ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq >/dev/null
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
