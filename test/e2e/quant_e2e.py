"""Quantization end-to-end helpers: compile with trnc --quant, run on the emulator, measure.

Error budgets (docs/quantization.md, shared/QUANT.md): rounding an operand element to a format
with unit roundoff u has relative RMS error ~0.42 u, and a matmul with both operands quantized
has relative Frobenius error ~0.6 u, independent of K (the errors of the K products are
independent, so they grow like the signal). A chain of L quantized layers separated by
1-Lipschitz activations accumulates independent errors: ~sqrt(L) * 0.6 u. Tests allow
SAFETY = 1.5 times that and require at least 1/3 of it, so "quantization really happened"
(an unquantized f32 program is ~1e-7).
"""

import math
import os
import subprocess
import sys
import tempfile

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import trnc_e2e as e2e  # noqa: E402

# Unit roundoff of the element format of each mode.
UNIT_ROUNDOFF = {"none": 2.0 ** -24, "bf16": 2.0 ** -8, "fp8-e4m3": 2.0 ** -4,
                 "fp8-e5m2": 2.0 ** -3}
SAFETY = 1.5
LOWER = 1.0 / 3.0

# OCP MX: one random-normal matmul with both operands MX-quantized (QUANT.md / docs/quantization.md,
# simulation of the OCP rule, K = 4096): MXFP8 E4M3 4.1e-2 (the shared power-of-two scale leaves
# each block's elements up to 2x below the format's range, slightly worse than 0.6 u), and
# trnc's mxfp4 = MXFP4 (E2M1) weights x MXFP8 (E4M3) activations 0.120.
MX_MATMUL_BUDGET = {"mxfp8": 4.1e-2, "mxfp4": 0.120}


def budget(mode, layers=1, k=1):
    """Relative Frobenius error budget of `layers` chained quantized contractions. For the
    unquantized f32 program (`none`) the rounding of the FP32 sums dominates instead:
    relative RMS <= sqrt(k) * u_f32 per layer for random-sign terms of a k-term sum."""
    if mode == "none":
        return layers * math.sqrt(k) * UNIT_ROUNDOFF["none"]
    if mode in MX_MATMUL_BUDGET:
        return math.sqrt(layers) * MX_MATMUL_BUDGET[mode]
    return math.sqrt(layers) * 0.6 * UNIT_ROUNDOFF[mode]


def dense(a):
    """An MLIR dense literal of an f32 array (exact: shortest round-trip repr)."""
    return "dense<" + np.array2string(np.asarray(a, dtype=np.float32), separator=", ",
                                      threshold=10 ** 9, max_line_width=10 ** 9,
                                      floatmode="unique").replace("\n", "") + ">"


def run(name, mlir, inputs, target, trnc_args=(), stats=False):
    """Compiles and runs `mlir`; returns the outputs (and trn-run --stats text)."""
    trnc, trnrun = e2e.tool("trnc"), e2e.tool("trn-run")
    with tempfile.TemporaryDirectory(prefix="trnc-quant-") as tmp:
        src = os.path.join(tmp, name + ".mlir")
        with open(src, "w") as f:
            f.write(mlir)
        paths = []
        for i, x in enumerate(inputs):
            p = os.path.join(tmp, "in%d.npy" % i)
            np.save(p, np.asarray(x, dtype=np.float32))
            paths.append(p)
        prog = os.path.join(tmp, name + ".trnx")
        args = [a.replace("@INPUTS@", ",".join(paths)) for a in trnc_args]
        e2e._run([trnc, src, "-o", prog, "--target=" + target] + args)
        out = os.path.join(tmp, "out0.npy")
        cmd = [trnrun, prog] + paths + ["-o", out, "--check"] + (["--stats"] if stats else [])
        proc = e2e._run(cmd)
        y = np.load(out).astype(np.float64)
        return (y, proc.stdout + proc.stderr) if stats else y


def program(name, mlir, target, trnc_args=()):
    """The compiled program as text (`trnc --emit=program`: one line per instruction)."""
    trnc = e2e.tool("trnc")
    with tempfile.TemporaryDirectory(prefix="trnc-quant-") as tmp:
        src = os.path.join(tmp, name + ".mlir")
        with open(src, "w") as f:
            f.write(mlir)
        return e2e._run([trnc, src, "--emit=program", "--target=" + target] +
                        list(trnc_args)).stdout


def check_mx_program(label, text):
    """Every matmul of an MX program runs `mode=mx` with E8M0 scales, and the device quantizes
    activations with quantize_mx; prints the instruction counts."""
    mm = [l for l in text.splitlines() if " matmul " in l]
    mx = [l for l in mm if "mode=mx" in l and "st_scale" in l and "e8m0" in l]
    qmx = sum(1 for l in text.splitlines() if " quantize_mx " in l)
    ok = len(mm) > 0 and len(mx) == len(mm)
    print("%-48s %d matmuls, %d mode=mx, %d quantize_mx  %s"
          % (label, len(mm), len(mx), qmx, "ok" if ok else "FAIL"))
    if not ok:
        e2e.fail("%s: %d of %d matmuls in mode mx" % (label, len(mx), len(mm)))
    return len(mm), qmx


def rel_err(got, want):
    want = np.asarray(want, dtype=np.float64)
    return float(np.linalg.norm(got - want) / np.linalg.norm(want))


def check_budget(label, err, mode, layers=1, k=1):
    """err within SAFETY * budget and, for quantizing modes, above LOWER * budget."""
    b = budget(mode, layers, k)
    ok = err <= SAFETY * b and (mode == "none" or err >= LOWER * b)
    print("%-48s rel.err %.3e  budget %.3e (x%.1f allowed, >= x%.2f)  %s"
          % (label, err, b, SAFETY, LOWER, "ok" if ok else "FAIL"))
    if not ok:
        e2e.fail("%s: relative error %.3e outside [%.3e, %.3e]"
                 % (label, err, LOWER * b if mode != "none" else 0.0, SAFETY * b))
