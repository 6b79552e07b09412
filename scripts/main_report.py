#!/usr/bin/env python3
"""The main job's inputs and report for the bundled digits MLP.

  main_report.py inputs OUT_DIR      writes x.npy (the 360 test images)
  main_report.py report OUT_DIR      compares the emulator's logits (y.npy) with
                                     an independent numpy forward pass and prints
                                     accuracy, error and the modeled timeline
"""
import json
import os
import sys

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MODEL = os.path.join(ROOT, "models", "digits_mlp")
sys.path.insert(0, MODEL)
import make  # noqa: E402  (the model's own data split and numpy forward pass)


def main():
    if len(sys.argv) != 3 or sys.argv[1] not in ("inputs", "report"):
        print(__doc__, file=sys.stderr)
        return 2
    out = sys.argv[2]
    _, (x, y) = make.split()
    if sys.argv[1] == "inputs":
        np.save(os.path.join(out, "x.npy"), x)
        return 0

    w = np.load(os.path.join(MODEL, "weights.npz"))
    layers = len(make.LAYERS) - 1
    params = [(w[f"w{i}"].astype(np.float64), w[f"b{i}"].astype(np.float64)) for i in range(layers)]
    ref = make.forward(params, x.astype(np.float64))  # float64 reference, independent of trnc
    got = np.load(os.path.join(out, "y.npy"))
    if got.shape != ref.shape:
        print(f"error: emulator output shape {got.shape} != reference {ref.shape}", file=sys.stderr)
        return 1
    err = np.abs(got - ref)
    acc_emu = (got.argmax(axis=1) == y).mean()
    acc_ref = (ref.argmax(axis=1) == y).mean()
    agree = (got.argmax(axis=1) == ref.argmax(axis=1)).mean()
    stats = json.load(open(os.path.join(out, "stats.json")))
    print()
    print("== trnc main job: digits MLP 64-128-64-10 (f32), 360 test images ==")
    print(f"  accuracy on the emulator : {acc_emu * 100:.2f} %  ({int(round(acc_emu * len(y)))}/{len(y)})")
    print(f"  accuracy, numpy float64  : {acc_ref * 100:.2f} %")
    print(f"  predictions agreeing     : {agree * 100:.2f} %")
    print(f"  logits max |emu - ref|   : {err.max():.3e}  (max |ref| {np.abs(ref).max():.2f})")
    print(f"  modeled device time      : {stats['time_us']:.2f} us ({stats['total_cycles']} TensorE cycles)")
    print(f"  TensorE utilization      : {stats['tensor_engine_utilization'] * 100:.2f} %")
    ranked = sorted(stats["engine_busy"].items(), key=lambda kv: -kv[1])
    busy = ", ".join(f"{q} {f * 100:.1f}%" for q, f in ranked[:6] if f > 0)
    print(f"  busiest queues           : {busy}")
    print(f"  profile (Perfetto)       : {os.path.join(out, 'trace.json')}")
    # f32 end to end: logits must match the float64 reference to f32 accuracy
    # (K <= 128 terms per dot product, three layers: well under 1e-3 absolute).
    if err.max() > 1e-3 or agree < 1.0:
        print("error: emulator results disagree with the numpy reference", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
