#!/usr/bin/env python3
"""Writes the tensor-level MLIR of a GEMM `result[M, N] = lhsT[K, M]^T @ rhs[K, N]`.

The operand layout is the NKI matmul tutorial's (the stationary operand is
delivered transposed), so the matmul is already in trnc's device form and the
compiled program is exactly the tutorial's computation.

    gemm_mlir.py M N K [--dtype bf16|f32] [--out-dtype ...] > gemm.mlir
"""
import argparse
import sys


def gemm_mlir(m, n, k, dtype="bf16", out_dtype=None):
    out_dtype = out_dtype or dtype
    lt, rt, ct = f"tensor<{k}x{m}x{dtype}>", f"tensor<{k}x{n}x{dtype}>", f"tensor<{m}x{n}x{out_dtype}>"
    return f"""func.func @gemm(%lhsT: {lt}, %rhs: {rt}) -> {ct} {{
  %e = tensor.empty() : {ct}
  %z = arith.constant 0.0 : {out_dtype}
  %f = linalg.fill ins(%z : {out_dtype}) outs(%e : {ct}) -> {ct}
  %r = linalg.matmul indexing_maps = [affine_map<(m, n, k) -> (k, m)>, affine_map<(m, n, k) -> (k, n)>, affine_map<(m, n, k) -> (m, n)>]
         ins(%lhsT, %rhs : {lt}, {rt}) outs(%f : {ct}) -> {ct}
  return %r : {ct}
}}
"""


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("m", type=int)
    ap.add_argument("n", type=int)
    ap.add_argument("k", type=int)
    ap.add_argument("--dtype", default="bf16")
    ap.add_argument("--out-dtype", default=None)
    a = ap.parse_args()
    sys.stdout.write(gemm_mlir(a.m, a.n, a.k, a.dtype, a.out_dtype))


if __name__ == "__main__":
    main()
