"""Comparison tolerances, derived from floating-point error growth.

A sum of K f32 products computed in a different order than PyTorch's differs from it by at most
about ``K * 2^-24 * sum|terms|`` (each addition rounds with relative error <= u = 2^-24).  We use
the norm-wise form ``|got - ref| <= (K + C) * 2^-24 * max(1, max|ref|) * G`` where

* K is the longest accumulation chain feeding an output (sum of the reduction lengths of the
  contractions/reductions along the path, e.g. Cin*KH*KW per conv plus the dense layers),
* C = 64 ulps of headroom for transcendental functions (libm erf/exp/tanh versus PyTorch's
  vectorised SLEEF kernels differ by a few ulp each, amplified by at most a few ops),
* G = growth factor bounding how much earlier errors are amplified by later ops (1 for single
  ops and short element-wise chains).

This form is for single operators and short chains only.  Whole float32 networks (MLP, CNNs,
resnet18, mobilenet_v2, transformer and GPT blocks) are checked with error_bound.py instead:
PyTorch in float64 as the reference and a per-element bound built from every op's own rounding
error pushed to the outputs through the float64 Jacobian -- no growth factor to pick.

bf16 models: every op rounds its result to bf16 (u = 2^-8) in both PyTorch and trnc, but not
necessarily at identical points, so two results may differ by one bf16 ulp (2u) per rounding on
the path: ``(2 * R * 2^-8 + K * 2^-24) * max(1, max|ref|) * G`` with R the number of roundings.
"""
import torch

U_F32 = 2.0 ** -24
U_BF16 = 2.0 ** -8


def bound(ref: torch.Tensor, k: int, growth: float = 1.0, headroom: int = 64, bf16_roundings: int = 0) -> float:
    scale = max(1.0, float(ref.detach().float().abs().max())) if ref.numel() else 1.0
    if bf16_roundings:
        return (2 * bf16_roundings * U_BF16 + k * U_F32) * scale * growth
    return (k + headroom) * U_F32 * scale * growth


def assert_close(got, ref, k: int = 1, growth: float = 1.0, bf16_roundings: int = 0, headroom: int = 64):
    got = torch.as_tensor(got).detach().float()
    ref = torch.as_tensor(ref).detach().float()
    assert got.shape == ref.shape, f"shape {tuple(got.shape)} vs {tuple(ref.shape)}"
    tol = bound(ref, k, growth, headroom, bf16_roundings)
    finite = torch.isfinite(ref)
    assert torch.equal(torch.isfinite(got), finite), "non-finite values differ"
    assert torch.equal(got[~finite], ref[~finite]), "non-finite values differ"
    err = float((got[finite] - ref[finite]).abs().max()) if finite.any() else 0.0
    assert err <= tol, f"max abs error {err:.3g} exceeds the derived bound {tol:.3g} (K={k}, G={growth})"
