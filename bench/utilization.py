#!/usr/bin/env python3
"""Modeled TensorE utilization and per-engine busy fractions (trnc defaults).

Each case is compiled by trnc with its default pipeline (`--trn-tiling=auto`)
and modeled by `trn-run --timing-only` (seconds, no operand files). Printed as
a table; cases that the build cannot compile yet (e.g. a quantization mode
that does not exist) are listed with the reason. docs/scheduling.md explains
the columns.

    utilization.py [--build build] [--quick]

--quick shrinks the GEMMs by 2 in every dim (for smoke runs).
"""
import argparse
import os
import sys

from trnc_bench import HERE, BenchError, busy_summary, compile_and_time, gemm_mlir, tools

TARGET_UTIL = 0.90  # the target on the large GEMMs


def cases(quick):
    d = 2 if quick else 1
    root = os.path.dirname(HERE)
    with open(os.path.join(root, "models", "digits_mlp", "digits_mlp.mlir")) as f:
        mlp = f.read()
    with open(os.path.join(HERE, "models", "cnn.mlir")) as f:
        cnn = f.read()
    big = lambda m, n, k: gemm_mlir(m // d, n // d, k // d, "bf16")  # noqa: E731
    return [
        # name, target, mlir, extra trnc flags, large GEMM (held to the target)
        (f"GEMM {4096 // d}x{8192 // d}x{8192 // d} bf16", "trn1", big(4096, 8192, 8192), [], True),
        (f"GEMM {2048 // d}^3 bf16", "trn2", big(2048, 2048, 2048), [], True),
        (f"GEMM {4096 // d}^3 fp8-e4m3", "trn2", big(4096, 4096, 4096), ["--quant=fp8-e4m3"], True),
        (f"GEMM {4096 // d}^3 mxfp8", "trn3", big(4096, 4096, 4096), ["--quant=mxfp8"], True),
        ("digits MLP (f32)", "trn2", mlp, [], False),
        ("CNN 2x conv3x3 bf16", "trn2", cnn, [], False),
    ]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build", default="build")
    ap.add_argument("--quick", action="store_true")
    a = ap.parse_args()
    try:
        t = tools(a.build)
    except BenchError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    hdr = (f"{'case':<28} {'target':<6} {'time':>11} {'TensorE':>7} {'pe':>6} {'act':>6} {'dve':>6} "
           f"{'pool':>6} {'dma avg':>7} {'dma max':>7} {'GB/s':>6} {'critical':>8} {'compile':>7}")
    print(hdr)
    print("-" * len(hdr))
    status = 0
    for name, target, mlir, extra, large in cases(a.quick):
        try:
            s, ct, _ = compile_and_time(t, mlir, target, extra)
        except BenchError as e:
            print(f"{name:<28} {target:<6} n/a: {e}")
            continue
        b = busy_summary(s)
        us = s["time_ns"] / 1e3
        time_s = f"{us / 1e3:.3f} ms" if us >= 1000 else f"{us:.1f} us"
        util = s["tensor_engine_utilization"]
        flag = ""
        if large and not extra and util < TARGET_UTIL:
            flag = " *"
            status = 1 if not a.quick else status
        print(f"{name:<28} {target:<6} {time_s:>11} {100 * util:>6.1f}% {100 * b['pe']:>5.1f}% "
              f"{100 * b['act']:>5.1f}% {100 * b['dve']:>5.1f}% {100 * b['pool']:>5.1f}% "
              f"{100 * b['dma_mean']:>6.1f}% {100 * b['dma_max']:>6.1f}% "
              f"{s['dma_bandwidth_gbps']:>6.1f} {s['critical_queue']:>8} {ct:>6.1f}s{flag}")
    print(f"(* = below the {TARGET_UTIL:.0%} target for large unquantized GEMMs)")
    return status


if __name__ == "__main__":
    sys.exit(main())
