#!/usr/bin/env bash
# The main job: install dependencies, build, compile the bundled model
# (models/digits_mlp/digits_mlp.mlir) for trn2, run it on the emulator with the
# race checker on, and report accuracy against an independent numpy reference
# plus the modeled timeline (a Perfetto trace is written to build/main/).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
bash scripts/build.sh
BUILD_DIR=${TRN_BUILD_DIR:-build}
OUT="$BUILD_DIR/main"
mkdir -p "$OUT"
BIN="$BUILD_DIR/bin"

"$BIN/trnc" models/digits_mlp/digits_mlp.mlir --target=trn2 -o "$OUT/digits_mlp.trnx"
/usr/bin/python3 scripts/main_report.py inputs "$OUT"
"$BIN/trn-run" "$OUT/digits_mlp.trnx" "$OUT/x.npy" -o "$OUT/y.npy" --check \
  --stats --stats-json="$OUT/stats.json" --profile="$OUT/trace.json"
/usr/bin/python3 scripts/main_report.py report "$OUT"
