#!/usr/bin/python3
"""Emulator f32 GEMM vs numpy (OpenBLAS) on the same machine, in the same run.

Generates A[M,K], B[K,N] (float32, fixed seed), times np.matmul (best of
--iters after a warm-up), runs build/bench/emulator_gemm on the same inputs,
compares its output with numpy's (numpy and the emulator alternate for --rounds rounds, each
keeping its best time, so that both see the same machine load), and prints

  emulator GEMM 1024^3 f32: X GFLOP/s, numpy: Y GFLOP/s, ratio X/Y = Z

for two layouts of A: row-major [M, K] (the program transposes it with a
strided DMA) and K-major [K, M] (the layout trnc's compiler gives stationary
operands: weights are transposed at compile time, activations on the PE), plus
the modeled device time and the output error. numpy multiplies the same
matrices in the same layout (np.matmul(A_T.T, B) for K-major: BLAS reads the
transposed operand directly, no copy). Both sides see the same
environment (bench/run.sh decides about OPENBLAS_* variables). Exit status 1
if the emulator fails or its output is wrong beyond f32 accumulation error.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

import numpy as np


def time_numpy(a, b, iters):
    np.matmul(a, b)  # warm-up: thread pool, page faults
    best = float("inf")
    for _ in range(iters):
        t0 = time.perf_counter()
        np.matmul(a, b)
        best = min(best, time.perf_counter() - t0)
    return best


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--binary", required=True, help="path to build/bench/emulator_gemm")
    ap.add_argument("--size", type=int, default=1024)
    ap.add_argument("--iters", type=int, default=5)
    ap.add_argument("--rounds", type=int, default=5,
                    help="alternating numpy/emulator rounds (each side keeps its best time)")
    args = ap.parse_args()
    n = args.size
    rng = np.random.default_rng(0)
    a = rng.uniform(-1, 1, size=(n, n)).astype(np.float32)
    b = rng.uniform(-1, 1, size=(n, n)).astype(np.float32)
    flop = 2.0 * n * n * n

    status = 0
    for layout in ("row-major", "k-major"):
        a_in = a if layout == "row-major" else np.ascontiguousarray(a.T)
        a_op = a_in if layout == "row-major" else a_in.T  # the same A either way
        with tempfile.TemporaryDirectory(prefix="trn-bench-") as tmp:
            pa, pb, pc = (os.path.join(tmp, f) for f in ("a.npy", "b.npy", "c.npy"))
            np.save(pa, a_in)
            np.save(pb, b)
            cmd = [args.binary, f"--size={n}", f"--iters={args.iters}", f"--a={pa}", f"--b={pb}",
                   f"--a-layout={layout}", f"--out={pc}"]
            # numpy and the emulator alternate for --rounds rounds and each keeps
            # its best time: on a shared machine both then sample the same load
            # (a single numpy-then-emulator pass compares two different moments).
            t_np, result = float("inf"), None
            for _ in range(args.rounds):
                t_np = min(t_np, time_numpy(a_op, b, args.iters))
                # OpenBLAS worker threads spin for a while after a call; let
                # numpy's park before timing the emulator, so it doesn't lose a
                # core to them.
                time.sleep(1.0)
                proc = subprocess.run(cmd, capture_output=True, text=True)
                if proc.returncode != 0:
                    sys.stderr.write(proc.stdout + proc.stderr)
                    print(f"error: {' '.join(cmd)} failed with exit status {proc.returncode}",
                          file=sys.stderr)
                    return 1
                r = None
                for line in proc.stdout.splitlines():
                    if line.startswith("RESULT "):
                        r = json.loads(line[len("RESULT "):])
                if r is None:
                    print("error: emulator_gemm printed no RESULT line", file=sys.stderr)
                    return 1
                if result is None or r["wall_s_min"] < result["wall_s_min"]:
                    result = r
            c = np.load(pc)

        # Reference in float64: both f32 results are compared against it, so the
        # emulator's error is judged against numpy's own f32 error.
        ref = a.astype(np.float64) @ b.astype(np.float64)
        c_np = np.matmul(a_op, b)
        err_emu = float(np.max(np.abs(c.astype(np.float64) - ref)))
        err_np = float(np.max(np.abs(c_np.astype(np.float64) - ref)))
        diff = float(np.max(np.abs(c - c_np)))
        scale = float(np.max(np.abs(ref)))

        g_emu = flop / result["wall_s_min"] / 1e9
        g_np = flop / t_np / 1e9
        print(f"emulator GEMM {n}^3 f32 (A {layout}): {g_emu:.2f} GFLOP/s, numpy: {g_np:.2f} "
              f"GFLOP/s, ratio X/Y = {g_emu / g_np:.3f}")
        print(f"  wall time: emulator {result['wall_s_min'] * 1e3:.2f} ms "
              f"(median {result['wall_s_median'] * 1e3:.2f} ms, {result['instructions']} "
              f"instructions), numpy {t_np * 1e3:.2f} ms; best of {args.iters} x {args.rounds} "
              f"alternating rounds")
        print(f"  modeled device time (trn2): {result['modeled_time_us']:.2f} us, "
              f"TensorE utilization {100 * result['modeled_tensor_utilization']:.1f} %, "
              f"critical queue {result['critical_queue']}")
        print(f"  output check: max |emulator - numpy| = {diff:.3e}; max abs error vs float64: "
              f"emulator {err_emu:.3e}, numpy {err_np:.3e} (max |C| = {scale:.1f})")
        # f32 accumulation over K terms: allow a generous multiple of numpy's error.
        if not np.isfinite(err_emu) or err_emu > max(10 * err_np, 1e-6 * scale * n):
            print(f"error: emulator output differs from the float64 reference by {err_emu:.3e}",
                  file=sys.stderr)
            status = 1
    print("  env: OPENBLAS_CORETYPE=%s OPENBLAS_L2_SIZE=%s" %
          (os.environ.get("OPENBLAS_CORETYPE", "<unset>"),
           os.environ.get("OPENBLAS_L2_SIZE", "<unset>")))
    return status


if __name__ == "__main__":
    sys.exit(main())
