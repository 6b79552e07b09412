#!/usr/bin/env python3
"""Modeled TensorE utilization and per-engine busy fractions (trnc defaults).

Each case is compiled by trnc with its default pipeline (`--trn-tiling=auto`)
and modeled by `trn-run --timing-only` (seconds, no operand files). Printed as
a table; cases that the build cannot compile yet (e.g. a quantization mode
that does not exist) are listed with the reason. docs/scheduling.md explains
the columns.

    utilization.py [--build build] [--quick]

--quick shrinks the GEMMs by 2 in every dim (for smoke runs).

The fp8 GEMM is measured as a user would run it and as the worst case:
  * "W const, x calibrated": the weights (lhsT, the stationary operand) are a
    compile-time constant (quantized by trnc, per output channel; splat
    values: the modeled time does not depend on them) and the activation
    (rhs) has a calibrated scale (--calibrate on random-normal data): the
    activation is quantized on chip where the GEMM loads it;
  * "W const, x dynamic": the same with on-device amax (two full reductions
    over x before its first quantized tile);
  * "both inputs, calibrated" / "both inputs, dynamic": both operands are
    program inputs quantized on the device.
The MX GEMMs (trn3): "W const" quantizes the weights at compile time (MXFP8,
or MXFP4 for mxfp4) and the activation on chip (trn.quantize_mx after each
K-tile load of the blocked GEMM); "inputs" quantizes both on the device. The
constant MXFP8 codes are stored tile-contiguous (one 4 KiB run per partition
per weight load, docs/scheduling.md "OCP MX GEMMs").
"""
import argparse
import os
import sys
import tempfile

import numpy as np

from trnc_bench import HERE, BenchError, busy_summary, compile_and_time, gemm_mlir, tools

TARGET_UTIL = 0.90  # the target on the large GEMMs


def gemm_wconst_mlir(m, n, k):
    """result[m, n] = W[k, m]^T @ x[k, n] with W a (splat) bf16 constant."""
    lt, rt, ct = f"tensor<{k}x{m}xbf16>", f"tensor<{k}x{n}xbf16>", f"tensor<{m}x{n}xbf16>"
    return f"""func.func @gemm(%rhs: {rt}) -> {ct} {{
  %lhsT = arith.constant dense<0.5> : {lt}
  %e = tensor.empty() : {ct}
  %z = arith.constant 0.0 : bf16
  %f = linalg.fill ins(%z : bf16) outs(%e : {ct}) -> {ct}
  %r = linalg.matmul indexing_maps = [affine_map<(m, n, k) -> (k, m)>, affine_map<(m, n, k) -> (k, n)>, affine_map<(m, n, k) -> (m, n)>]
         ins(%lhsT, %rhs : {lt}, {rt}) outs(%f : {ct}) -> {ct}
  return %r : {ct}
}}
"""


def cases(quick, tmp):
    d = 2 if quick else 1
    g = 4096 // d
    # Calibration data (random normal) for the fp8 GEMM's activation scales.
    rng = np.random.default_rng(0)
    calib = []
    for name in ("lhsT", "rhs"):
        path = os.path.join(tmp, name + ".npy")
        np.save(path, rng.standard_normal((g, g)).astype(np.float32))
        calib.append(path)
    root = os.path.dirname(HERE)
    with open(os.path.join(root, "models", "digits_mlp", "digits_mlp.mlir")) as f:
        mlp = f.read()
    with open(os.path.join(HERE, "models", "cnn.mlir")) as f:
        cnn = f.read()
    big = lambda m, n, k: gemm_mlir(m // d, n // d, k // d, "bf16")  # noqa: E731
    fp8 = ["--quant=fp8-e4m3"]
    return [
        # name, target, mlir, extra trnc flags, held to the target
        (f"GEMM {4096 // d}x{8192 // d}x{8192 // d} bf16", "trn1", big(4096, 8192, 8192), [], True),
        (f"GEMM {2048 // d}^3 bf16", "trn2", big(2048, 2048, 2048), [], True),
        (f"GEMM {g}^3 fp8 W const, x cal", "trn2", gemm_wconst_mlir(g, g, g),
         fp8 + ["--calibrate=" + calib[1]], True),
        (f"GEMM {g}^3 fp8 W const, x dyn", "trn2", gemm_wconst_mlir(g, g, g), fp8, False),
        (f"GEMM {g}^3 fp8 inputs, cal", "trn2", big(4096, 4096, 4096),
         fp8 + ["--calibrate=" + ",".join(calib)], False),
        (f"GEMM {g}^3 fp8 inputs, dyn", "trn2", big(4096, 4096, 4096), fp8, False),
        # MX (trn3, blocked mode-mx GEMM): W a constant quantized at compile time, the
        # activation quantized on chip by trn.quantize_mx where the GEMM loads it.
        (f"GEMM {g}^3 mxfp8 W const", "trn3", gemm_wconst_mlir(g, g, g), ["--quant=mxfp8"], True),
        (f"GEMM {g}^3 mxfp4 W const", "trn3", gemm_wconst_mlir(g, g, g), ["--quant=mxfp4"], True),
        (f"GEMM {4096 // d}^3 mxfp8 inputs", "trn3", big(4096, 4096, 4096), ["--quant=mxfp8"], False),
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
    hdr = (f"{'case':<31} {'target':<6} {'time':>11} {'TensorE':>7} {'pe':>6} {'act':>6} {'dve':>6} "
           f"{'pool':>6} {'dma avg':>7} {'dma max':>7} {'GB/s':>6} {'critical':>8} {'compile':>7}")
    print(hdr)
    print("-" * len(hdr))
    status = 0
    tmp = tempfile.TemporaryDirectory()
    for name, target, mlir, extra, held in cases(a.quick, tmp.name):
        try:
            s, ct, _ = compile_and_time(t, mlir, target, extra)
        except BenchError as e:
            print(f"{name:<31} {target:<6} n/a: {e}")
            continue
        b = busy_summary(s)
        us = s["time_ns"] / 1e3
        time_s = f"{us / 1e3:.3f} ms" if us >= 1000 else f"{us:.1f} us"
        util = s["tensor_engine_utilization"]
        flag = ""
        if held and util < TARGET_UTIL:
            flag = " *"
            status = 1 if not a.quick else status
        print(f"{name:<31} {target:<6} {time_s:>11} {100 * util:>6.1f}% {100 * b['pe']:>5.1f}% "
              f"{100 * b['act']:>5.1f}% {100 * b['dve']:>5.1f}% {100 * b['pool']:>5.1f}% "
              f"{100 * b['dma_mean']:>6.1f}% {100 * b['dma_max']:>6.1f}% "
              f"{s['dma_bandwidth_gbps']:>6.1f} {s['critical_queue']:>8} {ct:>6.1f}s{flag}")
    tmp.cleanup()
    print(f"(* = below the {TARGET_UTIL:.0%} target; held: the bf16 GEMMs, the fp8 GEMM with "
          "constant weights and a calibrated activation, the mxfp8 and mxfp4 GEMMs with constant "
          "weights)")
    return status


if __name__ == "__main__":
    sys.exit(main())
