"""A derived, per-element bound on the float32 rounding error of a whole network.

Used by the end-to-end tests in place of a hand-picked "growth factor": the reference is the
model evaluated in **float64** (PyTorch eager, on the same float32 weights and inputs, which
widen exactly), and every float32 implementation that evaluates each ATen operator to the
accuracy stated below -- in any summation order -- must land within

    |y32 - y64|_i  <=  S * sum_ops sum_j |dy_i / dv_j| * local_j                              (*)

where, for each operator ``op`` of the traced ATen graph with result ``v``, ``local`` is a bound
on the error that op introduces itself when its inputs are exact (standard forward error
analysis, u = 2^-24).  gamma(n) bounds the relative error of a sum of n terms,
``sum |fl - exact| <= gamma(n) sum |terms|``:

    gamma(n) = min( n u / (1 - n u),                        worst case (Higham, Thm 3.1)
                    exp(lambda sqrt(n) u + n u^2/(1-u)) - 1 )  probabilistic, lambda = 8

The second form (Higham & Mary, "A new approach to probabilistic rounding error analysis",
SISC 2019, Thm 2.4) holds with probability >= 1 - 2n exp(-lambda^2 (1-u)^2 / 2), i.e. failure
< 1.3e-14 * 2n per inner product for lambda = 8 (< 1e-5 over every inner product of resnet18),
assuming mean-zero independent rounding errors (round-to-nearest-even on non-adversarial data).
The worst-case form alone gives ~K^1.5 u relative error for K = 4608-term convolutions (12% on
resnet18's output: a bound that cannot catch anything subtle), hence the probabilistic one.

* contractions (mm/addmm/bmm/baddbmm, convolution with K = Cin/groups * KH * KW):
  ``gamma(K + 1) * (|A| @ |B| + |bias|)`` -- any order of the K products and the bias add;
* batch norm (eval) ``x * s + t``, s = w / sqrt(var + eps): ``4u (|s x| + |t|)``, plus
  ``u |s| (|W| * |x|)`` when it follows a convolution (trnc folds s into the conv weights,
  which rounds each folded weight once);
* layer norm over n elements: mean ``gamma(n) mean|x|``, variance relative ``gamma(n + 3)``,
  ``rsqrt`` a few ulps: ``|w| (r gamma(n) mean|x| + |xhat| (gamma(n + 3) / 2 + 6u))
  + 2u (|w xhat| + |b|)``;
* softmax over n: relative ``(n + 2c + 2 + |x - max| + max|x - max|) u`` (the subtraction
  rounds the exponent's argument, exp is accurate to c ulps, the sum of n positive terms,
  the division); masked ``-inf`` entries are exact zeros;
* sum / mean over n elements: ``gamma(n) sum|x|`` (mean: / n, + u |y|);
  average pooling over windows of n: ``(n + 1) u avgpool(|x|)``;
* element-wise arithmetic (add, sub, mul, div, ...): ``4u |y|`` (one rounding, and up to
  a reciprocal-then-multiply or a fused multiply-add in the implementation);
* transcendental element-wise functions (exp, tanh, erf, gelu, sigmoid, silu, rsqrt, ...):
  ``c u (|y| + |x|)`` with c = 16 ulps: libm, PyTorch's SLEEF kernels and the emulator's
  functions differ by a few ulps, and gelu/silu/tanh-forms cancel for negative x (hence the
  ``|x|`` term);
* max, relu, clamp, max pooling, where/masked_fill, data movement: exact, 0.

(*) is the first-order propagation of those local errors to the outputs: the Jacobians
``dy_i / dv_j`` are computed exactly enough in float64 by autograd (one backward pass per
output element). S = 2 covers the neglected second-order terms (products of two O(u) errors,
relative size <= K u < 1e-3 here) with a wide margin. PyTorch's own float32 eager result is
checked against the same bound by the tests, which validates the derivation on an independent
implementation.
"""
import copy
import math
import operator

import torch

U = 2.0 ** -24
C_TRANS = 16     # ulps for transcendental functions
C_ELEM = 4       # ulps for element-wise arithmetic
SAFETY = 2.0     # second-order terms


LAMBDA = 8.0     # probabilistic rounding-error bound parameter (see the module docstring)


def gamma(n):
    """Accumulated relative error of a sum of n terms: min(worst case, probabilistic)."""
    worst = n * U / (1 - n * U)
    return min(worst, math.expm1(LAMBDA * math.sqrt(n) * U + n * U * U / (1 - U)))


aten = torch.ops.aten

_EXACT = {
    "relu", "hardtanh", "clamp", "clamp_min", "clamp_max", "max_pool2d_with_indices", "neg", "abs",
    "where", "masked_fill", "amax", "max", "maximum", "minimum", "view", "_unsafe_view", "reshape",
    "permute", "transpose", "t", "expand", "clone", "slice", "select", "split", "split_with_sizes",
    "unbind", "cat", "stack", "squeeze", "unsqueeze", "detach", "alias", "lift_fresh_copy",
    "contiguous", "embedding", "native_dropout", "dropout", "flatten", "_reshape_alias",
    "unsafe_split", "chunk", "expand_as", "lift_fresh", "zeros_like", "ones_like", "fill",
}
_ELEMENTWISE = {"add", "sub", "rsub", "mul", "div"}
_TRANSCENDENTAL = {"exp", "log", "tanh", "erf", "gelu", "sigmoid", "silu", "rsqrt", "sqrt",
                   "reciprocal", "pow", "hardswish", "hardsigmoid", "leaky_relu"}


def _name(target):
    if target is operator.getitem:
        return "getitem"
    name = getattr(target, "__name__", str(target))      # "relu_.default" style for OpOverload
    base = name.split(".")[0]
    return base


def _functional(target):
    """relu_ -> relu (the importer also treats in-place ops functionally)."""
    name = _name(target)
    if name.endswith("_") and not name.startswith("_"):
        packet = getattr(aten, name[:-1], None)
        if packet is not None:
            return getattr(packet, target._overloadname, packet.default)
    return target


class Local:
    """An op's own error: ``rand`` bounds errors made of independent rounding events, one set
    per result element (combined in quadrature); ``sys`` bounds errors that are systematic or
    shared between elements (a row's mean, a reciprocal, a libm-vs-SLEEF difference: combined
    linearly)."""

    def __init__(self, rand=None, sys=None):
        self.rand, self.sys = rand, sys


def _local(name, target, args, kwargs, out, mags, arg_nodes):
    """Returns (Local or tuple of Local for multi-output ops or None, magnitude |A||B| or None)."""
    def t(a):
        return a.detach() if isinstance(a, torch.Tensor) else a

    if name in _EXACT:
        return None, None
    if name in ("mm", "bmm"):
        a, b = t(args[0]), t(args[1])
        k = a.shape[-1]
        mag = torch.matmul(a.abs(), b.abs())
        return Local(rand=math.sqrt(k) * U * mag), mag
    if name in ("addmm", "baddbmm"):
        bias, a, b = t(args[0]), t(args[1]), t(args[2])
        beta, alpha = abs(kwargs.get("beta", 1)), abs(kwargs.get("alpha", 1))
        k = a.shape[-1]
        mag = beta * bias.abs() + alpha * torch.matmul(a.abs(), b.abs())
        return Local(rand=math.sqrt(k + 1) * U * mag), mag
    if name == "convolution":
        x, w, b, stride, padding, dilation, transposed, out_pad, groups = [t(a) for a in args]
        if transposed:
            raise NotImplementedError("transposed convolution")
        k = w.shape[1] * math.prod(w.shape[2:])
        conv = {1: torch.nn.functional.conv1d, 2: torch.nn.functional.conv2d}[w.dim() - 2]
        mag = conv(x.abs(), w.abs(), None if b is None else b.abs(), stride, padding, dilation, groups)
        return Local(rand=math.sqrt(k + 1) * U * mag), mag
    if name in ("_native_batch_norm_legit_no_training", "native_batch_norm"):
        x, w, b, rm, rv = [t(a) for a in args[:5]]
        eps = args[-1]
        shape = [1, -1] + [1] * (x.dim() - 2)
        s = (w if w is not None else torch.ones_like(rv)) / torch.sqrt(rv + eps)
        tt = (b if b is not None else torch.zeros_like(rv)) - rm * s
        s, tt = s.reshape(shape), tt.reshape(shape)
        # x * s + t: two roundings per element; the folded per-channel constants are rounded
        # once each and shared by a whole channel (the folded weights: see _WEIGHT_EVENTS).
        loc = Local(rand=2 * U * ((s * x).abs() + tt.abs()),
                    sys=2 * U * (tt.abs() + rm.reshape(shape).abs() * s.abs()).expand_as(x))
        return (loc, None, None), None
    if name == "native_layer_norm":
        x, shape, w, b, eps = [t(a) for a in args]
        dims = tuple(range(x.dim() - len(shape), x.dim()))
        n = math.prod(shape)
        mean = x.mean(dims, keepdim=True)
        r = torch.rsqrt(x.var(dims, unbiased=False, keepdim=True) + eps)
        xhat = (x - mean) * r
        wa = w.abs() if w is not None else torch.ones(())
        ba = b.abs() if b is not None else torch.zeros(())
        # Per element: x - mean, * r, * w, + b.  Shared by a row: the mean (sum of n), the
        # variance (sum of n + 3 roundings, halved by the square root), rsqrt (c ulps).
        rand = 2 * U * wa * xhat.abs() + 2 * U * ((xhat * wa).abs() + ba)
        sys = wa * (r * gamma(n) * x.abs().mean(dims, keepdim=True)
                    + xhat.abs() * (gamma(n + 3) / 2 + C_TRANS * U))
        return (Local(rand=rand, sys=sys), None, None), None
    if name == "_softmax":
        x, dim = t(args[0]), args[1]
        n = x.shape[dim]
        y = t(out).abs()
        d = x - x.amax(dim, keepdim=True)
        d = torch.where(torch.isfinite(d), d.abs(), torch.zeros_like(d))
        # Per element: x - max rounds the exponent's argument (relative u|d| in e), the division.
        # Shared or systematic: exp's c ulps, the row sum (n positive terms, each with the above).
        rand = U * (d + 2) * y
        sys = (gamma(n) + C_TRANS * U + U * (d.amax(dim, keepdim=True) + 2) + C_TRANS * U) * y
        return Local(rand=rand, sys=sys), None
    if name == "_log_softmax":
        x, dim = t(args[0]), args[1]
        n = x.shape[dim]
        d = x - x.amax(dim, keepdim=True)
        d = torch.where(torch.isfinite(d), d.abs(), torch.zeros_like(d))
        # y = (x - max) - log(sum exp(x - max)): two subtractions per element; the log of the
        # row sum (relative gamma(n) + c ulps of exp, u|d| from the rounded exponent arguments)
        # is shared by the row.
        rand = 2 * U * (d + t(out).abs())
        sys = (gamma(n) + 2 * C_TRANS * U + U * d.amax(dim, keepdim=True)).expand_as(d)
        return Local(rand=rand, sys=sys), None
    if name in ("sum", "mean"):
        x = t(args[0])
        dims = args[1] if len(args) > 1 else None
        keep = args[2] if len(args) > 2 else kwargs.get("keepdim", False)
        if dims is None or (isinstance(dims, (list, tuple)) and len(dims) == 0):
            dims = tuple(range(x.dim()))
        dims = tuple(dims) if isinstance(dims, (list, tuple)) else (dims,)
        n = math.prod(x.shape[d] for d in dims)
        rand = math.sqrt(n) * U * x.abs().sum(dims, keepdim=keep)
        if name == "mean":
            return Local(rand=rand / n + U * t(out).abs(), sys=U * t(out).abs()), None
        return Local(rand=rand), None
    if name in ("avg_pool2d", "_adaptive_avg_pool2d", "adaptive_avg_pool2d"):
        x = t(args[0])
        pooled = target(x.abs(), *args[1:], **kwargs)
        n = x.shape[-1] * x.shape[-2] // max(1, pooled.shape[-1] * pooled.shape[-2])
        return Local(rand=math.sqrt(n + 1) * U * pooled, sys=U * pooled), None
    if name in _ELEMENTWISE:
        y = t(out).abs()
        # one rounding (two for a reciprocal-then-multiply); a scalar divisor's reciprocal is
        # rounded once and shared by every element.
        return Local(rand=2 * U * y, sys=U * y if name == "div" else None), None
    if name in _TRANSCENDENTAL:
        x = t(args[0])
        return Local(sys=C_TRANS * U * (t(out).abs() + torch.broadcast_to(x.abs(), out.shape))), None
    raise NotImplementedError(f"error_bound: no rounding-error rule for aten.{name}")


def f32_error_bound(module, inputs, safety=SAFETY):
    """Returns (reference outputs in float64, per-element bounds) for ``module(*inputs)``,
    both flat lists of tensors in the module's (pytree-flattened) output order."""
    from torch.utils import _pytree as pytree
    from trnc.importer.trace import trace_module

    m64 = copy.deepcopy(module).double().eval()
    x64 = [x.detach().double() if x.is_floating_point() else x for x in inputs]
    gm = trace_module(m64, x64)
    # Convolution weights that trnc folds a batch norm into: every folded weight W*s is rounded
    # once and shared by all output positions: an independent event per weight whose effect on
    # y_i is u |W s| |dy_i / d(W s)| = u |W| |dy_i / dW|.
    folded = set()
    for node in gm.graph.nodes:
        if node.op == "call_function" and _name(node.target) in (
                "_native_batch_norm_legit_no_training", "native_batch_norm"):
            src = node.args[0]
            if isinstance(src, torch.fx.Node) and _name(src.target) == "convolution":
                folded.add(src.args[1])
    env, local, mags, inter, weights = {}, {}, {}, [], []
    placeholders = iter(x64)
    with torch.enable_grad():
        for node in gm.graph.nodes:
            if node.op == "placeholder":
                x = next(placeholders)
                if x.is_floating_point():
                    x = x.clone().requires_grad_(True)
                env[node] = x
                continue
            if node.op == "get_attr":
                obj = gm
                for part in node.target.split("."):
                    obj = getattr(obj, part)
                env[node] = obj.detach()
                if node in folded:
                    env[node] = env[node].clone().requires_grad_(True)
                    weights.append((env[node], U * env[node].detach().abs()))
                continue
            if node.op == "output":
                outs = pytree.tree_flatten(torch.fx.node.map_arg(node.args[0], lambda n: env[n]))[0]
                break
            args = torch.fx.node.map_arg(node.args, lambda n: env[n])
            kwargs = torch.fx.node.map_arg(node.kwargs, lambda n: env[n])
            target = _functional(node.target)
            val = target(*args, **kwargs)
            env[node] = val
            live = any(isinstance(v, torch.Tensor) and v.requires_grad
                       for v in pytree.tree_flatten((args, kwargs))[0])
            if not live:
                continue  # constant: evaluated at import time
            name = _name(target)
            if name == "getitem":
                src = local.get(node.args[0])
                loc = src[node.args[1]] if isinstance(src, tuple) else None
            else:
                arg_nodes = [a for a in node.args if isinstance(a, torch.fx.Node)]
                loc, mag = _local(name, target, args, kwargs, val, mags, arg_nodes)
                if mag is not None:
                    mags[node] = mag
                if isinstance(loc, tuple):
                    local[node] = loc
                    continue
            if loc is not None and isinstance(val, torch.Tensor) and val.requires_grad:
                val.retain_grad()
                inter.append((val, loc))
        vals = [v for v, _ in inter] + [w for w, _ in weights]
        rands = [loc.rand for _, loc in inter] + [e for _, e in weights]
        syss = [loc.sys for _, loc in inter] + [None] * len(weights)
        bounds = []
        for out in outs:
            flat = out.reshape(-1)
            b = torch.zeros(flat.numel(), dtype=torch.float64)
            for i in range(flat.numel()):
                grads = torch.autograd.grad(flat[i], vals, retain_graph=True, allow_unused=True)
                sq, lin = 0.0, 0.0
                for g, r, sy in zip(grads, rands, syss):
                    if g is None:
                        continue
                    if r is not None:
                        sq += float(((g * r) ** 2).sum())
                    if sy is not None:
                        lin += float((g.abs() * sy).sum())
                b[i] = LAMBDA * math.sqrt(sq) + lin
            bounds.append(safety * b.reshape(out.shape))
    return [o.detach() for o in outs], bounds


def assert_within_bound(got, ref64, bound, what="trnc"):
    got = torch.as_tensor(got).detach().double()
    assert got.shape == ref64.shape, f"shape {tuple(got.shape)} vs {tuple(ref64.shape)}"
    err = (got - ref64).abs()
    worst = int(torch.argmax(err / bound.clamp_min(1e-300)))
    ratio = float((err / bound.clamp_min(1e-300)).reshape(-1)[worst])
    assert bool((err <= bound).all()), (
        f"{what}: error {float(err.reshape(-1)[worst]):.3g} exceeds the derived float32 bound "
        f"{float(bound.reshape(-1)[worst]):.3g} at flat index {worst} (ratio {ratio:.3g})")
    return float((err / bound.clamp_min(1e-300)).max())
