#!/usr/bin/env python3
"""PyTorch models through the Python frontend: compile time, emulator time against PyTorch eager
on the same machine (goal: emulator <= 2x PyTorch), modelled device time and TensorE utilisation.

    PYTHONPATH=build/python /usr/bin/python3 bench/python_models.py [--models resnet18,encoder]
        [--iters 5] [--target trn2] [--json out.json]

Models (random weights, nothing downloaded): torchvision resnet18 on 1x3x224x224, and a
transformer block (nn.TransformerEncoderLayer d_model=256, 8 heads, FFN 1024, batch_first) on
1x128x256.  Times are medians over --iters runs after one warm-up run, torch and the emulator
alternating (so that both see the same load on a shared machine); PyTorch runs in eval mode
under torch.no_grad() with its default threads (reported: the intra-op pool and the OpenBLAS
threads its GEMMs use; the emulator keeps OpenBLAS single-threaded while it runs, splitting
large GEMMs over its own two tasks, and restores the setting).  The emulator computes every
value (not --timing-only), so its result is also checked against PyTorch.
"""
import argparse
import json
import os
import statistics
import sys
import time

import torch
import torch.nn as nn

import trnc


def resnet18():
    import torchvision
    return torchvision.models.resnet18(weights=None).eval(), (torch.randn(1, 3, 224, 224),)


def encoder():
    layer = nn.TransformerEncoderLayer(256, 8, 1024, batch_first=True).eval()
    return layer, (torch.randn(1, 128, 256),)


MODELS = {"resnet18": resnet18, "encoder": encoder}


def blas_threads():
    """Threads of the OpenBLAS that torch (and the emulator) call here, or None: torch's
    get_num_threads() is its intra-op pool only, its GEMMs run on OpenBLAS's own threads."""
    import ctypes
    try:
        return ctypes.CDLL("libopenblas.so.0").openblas_get_num_threads()
    except (OSError, AttributeError):
        return None


def median_times(fns, iters):
    """Median wall time of each of `fns`, timed in alternation (one call of each per round) so
    that all of them see the same machine load."""
    for fn in fns:
        fn()  # warm-up
    times = [[] for _ in fns]
    for _ in range(iters):
        for fn, ts in zip(fns, times):
            t0 = time.perf_counter()
            fn()
            ts.append(time.perf_counter() - t0)
    return [statistics.median(ts) for ts in times]


def bench(name, iters, target):
    torch.manual_seed(0)
    model, xs = MODELS[name]()
    t0 = time.perf_counter()
    imported = trnc.import_model(model, xs)
    t_import = time.perf_counter() - t0
    t0 = time.perf_counter()
    cm = trnc.compile_mlir(imported.mlir, target=target)
    cm._imported = imported
    t_compile = time.perf_counter() - t0

    arrays = [x.numpy() for x in xs]
    with torch.no_grad():
        ref = model(*xs)
        # torch, the emulator (all cores) and the emulator on one thread, alternating.
        t_torch, t_emu, t_emu1 = median_times(
            [lambda: model(*xs), lambda: cm(*xs), lambda: cm._program.run(arrays, "", False, 1)],
            iters)
    y = cm(*xs)
    err = float((y - ref).abs().max() / ref.abs().max())
    st = cm.stats
    return {
        "model": name, "target": target, "input_shapes": [list(x.shape) for x in xs],
        "import_s": t_import, "compile_s": t_compile, "mlir_mb": len(imported.mlir) / 1e6,
        "instructions": st["instructions"], "torch_s": t_torch, "emulator_s": t_emu,
        "emulator_1thread_s": t_emu1,
        "emulator_over_torch": t_emu / t_torch, "device_us": st["time_us"],
        "total_cycles": st["total_cycles"], "tensor_engine_utilization": st["tensor_engine_utilization"],
        "max_rel_err_vs_torch": err, "torch_threads": torch.get_num_threads(),
        "torch_blas_threads": blas_threads(),
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--models", default="resnet18,encoder")
    ap.add_argument("--iters", type=int, default=5)
    ap.add_argument("--target", default="trn2", choices=["trn1", "trn2", "trn3"])
    ap.add_argument("--json", help="also write the results as JSON")
    args = ap.parse_args()
    names = [n for n in args.models.split(",") if n]
    for n in names:
        if n not in MODELS:
            print(f"error: unknown model '{n}'; models: {', '.join(MODELS)}", file=sys.stderr)
            return 1
    results, status = [], 0
    for n in names:
        try:
            r = bench(n, args.iters, args.target)
        except trnc.TrncError as e:
            print(f"{n}: error: {str(e).splitlines()[0]}")
            status = 1
            continue
        results.append(r)
        goal = "ok" if r["emulator_over_torch"] <= 2 else "above the 2x goal"
        print(f"{n} {r['input_shapes']} on {r['target']}: import {r['import_s']:.2f} s, compile "
              f"{r['compile_s']:.2f} s ({r['instructions']} instructions); emulator "
              f"{1e3 * r['emulator_s']:.1f} ms (1 thread {1e3 * r['emulator_1thread_s']:.1f} ms) "
              f"vs torch {1e3 * r['torch_s']:.1f} ms "
              f"({r['torch_threads']} intra-op threads, OpenBLAS {r['torch_blas_threads']}): "
              f"{r['emulator_over_torch']:.2f}x ({goal}); device "
              f"{r['device_us']:.1f} us modelled, TensorE utilisation "
              f"{100 * r['tensor_engine_utilization']:.1f}%; max rel err {r['max_rel_err_vs_torch']:.2g}")
    if args.json:
        tmp = args.json + ".tmp"
        with open(tmp, "w") as f:
            json.dump(results, f, indent=1)
        os.replace(tmp, args.json)
    return status


if __name__ == "__main__":
    raise SystemExit(main())
