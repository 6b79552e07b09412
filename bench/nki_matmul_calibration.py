#!/usr/bin/env python3
"""Calibration of the cost model against the NKI matmul tutorial.

The tutorial (aws-neuron-sdk nki/guides/tutorials/matrix_multiplication.rst,
kernels in aws-neuron/nki-samples) measured four kernels for
`result[4096, 8192] = lhsT[8192, 4096]^T @ rhs[8192, 8192]` in bf16 on trn1
(HARDWARE.md, "Reference results"). trnc compiles the same GEMM with the same
four loop nests (`--trn-tiling=naive|hoist|block-mn|block-mnk`, the tutorial's
block sizes) for trn1, models it with `trn-run --timing-only` and prints the
modeled latency next to the measured one. `auto` (trnc's default, cost-model
blocking with f32 accumulation) is printed for comparison. docs/scheduling.md
explains the model and the one calibrated DMA constant.

    nki_matmul_calibration.py [--build build] [--scale 1]

--scale 2 divides M, N and K by 2 (a quick run; the measured column is then
scaled by 1/8, which is only indicative).
"""
import argparse
import sys

from trnc_bench import BenchError, busy_summary, compile_and_time, gemm_mlir, tools

# (variant, measured ms, measured hardware FLOPs utilisation %) from the tutorial.
MEASURED = [("naive", 51.80, 10.98), ("hoist", 42.96, 13.24), ("block-mn", 22.07, 26.51),
            ("block-mnk", 6.97, 85.24)]
TOLERANCE = 0.25  # the target: every variant within 25% of the measurement


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build", default="build")
    ap.add_argument("--scale", type=int, default=1)
    ap.add_argument("--no-auto", action="store_true", help="skip the auto row")
    a = ap.parse_args()
    try:
        t = tools(a.build)
    except BenchError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    M, N, K = 4096 // a.scale, 8192 // a.scale, 8192 // a.scale
    mlir = gemm_mlir(M, N, K, "bf16")
    print(f"NKI matmul tutorial GEMM {M}x{N}x{K} bf16 on trn1 (modeled by trn-run --timing-only)")
    hdr = (f"{'variant':<10} {'modeled ms':>10} {'measured ms':>11} {'ratio':>6} "
           f"{'model util':>10} {'meas. util':>10} {'pe busy':>7} {'dma busy':>8} {'instrs':>7} "
           f"{'compile s':>9}")
    print(hdr)
    print("-" * len(hdr))
    status = 0
    rows = [(s, m / a.scale ** 3, u) for s, m, u in MEASURED]
    if not a.no_auto:
        rows.append(("auto", None, None))
    for strategy, measured, measured_util in rows:
        try:
            stats, ct, _ = compile_and_time(t, mlir, "trn1", [f"--trn-tiling={strategy}"])
        except BenchError as e:
            print(f"{strategy:<10} failed: {e}")
            status = 1
            continue
        ms = stats["time_ns"] / 1e6
        b = busy_summary(stats)
        util = stats["tensor_engine_utilization"]
        if measured is None:
            meas, ratio, mutil = "-", "-", "-"
        else:
            r = ms / measured
            meas, ratio = f"{measured:.2f}", f"{r:.2f}"
            mutil = f"{measured_util:.1f}%"
            if a.scale == 1 and abs(r - 1) > TOLERANCE:
                status = 1
        print(f"{strategy:<10} {ms:>10.2f} {meas:>11} {ratio:>6} {100 * util:>9.1f}% {mutil:>10} "
              f"{100 * b['pe']:>6.1f}% {100 * b['dma_mean']:>7.1f}% {stats['instructions']:>7} "
              f"{ct:>9.1f}")
    if a.scale == 1:
        print(f"target: every tutorial variant within {TOLERANCE:.0%} of the measurement: "
              f"{'met' if status == 0 else 'NOT met'}")
    return status


if __name__ == "__main__":
    sys.exit(main())
