"""Lowering of an ATen-level fx graph to the linalg input contract (MLIR text).

Pipeline: run the graph once with the example inputs (``torch.fx.Interpreter``) to learn every
value's shape/dtype and the value of every node that does not depend on an input (those are
folded to constants: weights, their transposes, masks, position ids, ...).  Then every live,
non-constant node must have a handler below; all nodes without one (or whose handler rejects
its arguments) are collected and reported together in one UnsupportedOperatorError before any
MLIR is produced.  Finally the handlers emit MLIR, each op located at its module path.
"""
import math
import operator
from typing import Any, Dict, List, Optional

import torch
import torch.fx
from torch.utils import _pytree as pytree

from ..errors import UnsupportedOperatorError
from .mlir import TV, FunctionBuilder, tensor_type
from .trace import PATH_KEY, TYPE_KEY

aten = torch.ops.aten

# ------------------------------------------------------------------------------------------
# Handler registry
# ------------------------------------------------------------------------------------------
HANDLERS: Dict[str, Any] = {}
CHECKS: Dict[str, Any] = {}


def handles(*names, check=None):
    def deco(fn):
        for n in names:
            HANDLERS[n] = fn
            if check is not None:
                CHECKS[n] = check
        return fn
    return deco


def op_name(target) -> str:
    if target is operator.getitem:
        return "getitem"
    return str(target)


def canonical_name(name: str) -> str:
    """In-place ATen ops (``aten.relu_.default``) map to their functional form."""
    parts = name.split(".")
    if len(parts) == 3 and parts[1].endswith("_") and not parts[1].startswith("_"):
        return f"{parts[0]}.{parts[1][:-1]}.{parts[2]}"
    return name


VIEW_OPS = {"aten.view.default", "aten._unsafe_view.default", "aten._reshape_alias.default",
            "aten.t.default", "aten.transpose.int", "aten.permute.default", "aten.expand.default",
            "aten.slice.Tensor", "aten.select.int", "aten.unsqueeze.default", "aten.squeeze.dim",
            "aten.squeeze.default", "aten.alias.default", "aten.detach.default", "getitem",
            "aten.split.Tensor", "aten.split_with_sizes.default", "aten.unbind.int"}

FLOAT_DTYPES = (torch.float32, torch.bfloat16)


class Const:
    """A value known at compile time (materialized as ``arith.constant`` on first use)."""

    def __init__(self, value: torch.Tensor):
        self.value = value


class Lowering:
    def __init__(self, gm: torch.fx.GraphModule, example_inputs, func_name="forward", root_name="model",
                 input_names=None):
        self.gm = gm
        self.input_names = list(input_names or [])
        self.graph = gm.graph
        self.example_inputs = list(example_inputs)
        self.func_name = func_name
        self.root_name = root_name
        self.values: Dict[torch.fx.Node, Any] = {}
        self.const_nodes = set()
        self.env: Dict[torch.fx.Node, Any] = {}
        self.fb = FunctionBuilder()
        self._materialized: Dict[int, TV] = {}
        self.model_dtype = torch.float32

    # -- analysis ------------------------------------------------------------------------------
    def analyze(self):
        values = {}

        class Recorder(torch.fx.Interpreter):
            def run_node(self, n):
                r = super().run_node(n)
                values[n] = r
                return r

        with torch.no_grad():
            Recorder(self.gm).run(*self.example_inputs)
        self.values = values
        order = {n: i for i, n in enumerate(self.graph.nodes)}
        self.order = order
        # Constness: a node is constant when no placeholder flows into it.
        for n in self.graph.nodes:
            if n.op == "get_attr":
                self.const_nodes.add(n)
            elif n.op == "call_function":
                deps = n.all_input_nodes
                if all(d in self.const_nodes for d in deps):
                    self.const_nodes.add(n)
        # Liveness from the output.
        out = next(n for n in self.graph.nodes if n.op == "output")
        live, stack = set(), [out]
        while stack:
            n = stack.pop()
            if n in live:
                continue
            live.add(n)
            if n in self.const_nodes:
                continue
            stack.extend(n.all_input_nodes)
        self.live = live
        floats = [x.dtype for x in self.example_inputs if x.is_floating_point()]
        if floats and all(d == torch.bfloat16 for d in floats):
            self.model_dtype = torch.bfloat16

    def path(self, n) -> str:
        return n.meta.get(PATH_KEY, "")

    def location(self, n) -> str:
        return self.path(n) or self.root_name

    def unsupported(self) -> List:
        problems = []
        for n in self.graph.nodes:
            if n not in self.live or n in self.const_nodes:
                continue
            if n.op == "placeholder":
                v = self.values[n]
                if v.dtype not in FLOAT_DTYPES + (torch.int64, torch.int32):
                    problems.append((f"input {n.name}", "", f"dtype {v.dtype} is not supported "
                                     "(float32, bfloat16, or integer indices)"))
                continue
            if n.op != "call_function":
                continue
            name = canonical_name(op_name(n.target))
            reason = None
            if name not in HANDLERS:
                reason = _unsupported_reason(op_name(n.target))
            else:
                if name != op_name(n.target):
                    reason = self._check_inplace(n)
                if reason is None and name in CHECKS:
                    reason = CHECKS[name](self, n)
                if reason is None:
                    reason = self._check_dtypes(n)
            if reason:
                where = self.path(n)
                mtype = n.meta.get(TYPE_KEY)
                if mtype:
                    where = f"{where or '<root>'} ({mtype})"
                problems.append((op_name(n.target), where, reason))
        return problems

    def _check_dtypes(self, n) -> Optional[str]:
        v = self.values.get(n)
        if isinstance(v, (tuple, list)):  # multi-output ops: their getitem users are checked
            return None
        for v in [v]:
            if isinstance(v, torch.Tensor) and v.dtype not in FLOAT_DTYPES + (torch.bool,):
                if n.target in (aten.embedding.default,) or op_name(n.target) in VIEW_OPS:
                    continue
                return f"produces a {v.dtype} tensor from model inputs; only float32/bfloat16 " \
                       "values are supported (integer inputs may only index embeddings)"
        return None

    def _check_inplace(self, n) -> Optional[str]:
        base = n.args[0]
        later = [u for u in base.users if self.order[u] > self.order[n]]
        if later:
            return "in-place update of a tensor that is read again afterwards"
        if base.op == "call_function" and op_name(base.target) in VIEW_OPS:
            src = base.args[0]
            if isinstance(src, torch.fx.Node) and any(self.order[u] > self.order[n] for u in src.users):
                return "in-place update through a view of a tensor that is read again afterwards"
        return None

    # -- emission ------------------------------------------------------------------------------
    def tv(self, x) -> TV:
        """Resolves an argument to an SSA tensor (materializing constants)."""
        if isinstance(x, TV):
            return x
        if isinstance(x, Const):
            key = id(x.value)
            if key not in self._materialized:
                t = x.value
                dtype = t.dtype if t.dtype in FLOAT_DTYPES else torch.float32
                if t.dtype in (torch.int64, torch.int32):
                    dtype = torch.int32
                self._materialized[key] = (self.fb.constant(t, dtype), t)
            return self._materialized[key][0]
        raise TypeError(f"expected a tensor value, got {type(x).__name__}")

    def arg(self, a):
        if isinstance(a, torch.fx.Node):
            return self.env[a]
        if isinstance(a, (list, tuple)):
            return type(a)(self.arg(x) for x in a)
        return a

    def lower(self) -> str:
        problems = self.unsupported()
        if problems:
            raise UnsupportedOperatorError(problems)
        fb = self.fb
        args = []
        for n in self.graph.nodes:
            if n.op == "placeholder":
                v = self.values[n]
                dtype = v.dtype if v.dtype in FLOAT_DTYPES else torch.int32
                tv = TV(f"%arg{len(args)}", tuple(v.shape), dtype)
                args.append(tv)
                self.env[n] = tv
            elif n.op == "get_attr" or n in self.const_nodes:
                self.env[n] = _to_const(self.values[n])
            elif n.op == "call_function":
                if n not in self.live:
                    continue
                fb.loc = self.location(n)
                name = canonical_name(op_name(n.target))
                self.current = n
                self.env[n] = HANDLERS[name](self, n, *self.arg(n.args), **self.arg(n.kwargs))
            elif n.op == "output":
                outs = pytree.tree_flatten(n.args[0])[0]
                fb.loc = self.root_name
                results = []
                for o in outs:
                    v = self.env[o] if isinstance(o, torch.fx.Node) else o
                    if isinstance(v, Const):
                        v = self.tv(v)
                    if not isinstance(v, TV):
                        raise UnsupportedOperatorError([("output", "", f"model output {o!r} is not a tensor")])
                    results.append(v)
                self.results = results
        self.args = args
        names = self.input_names if len(self.input_names) == len(args) else [f"input{i}" for i in range(len(args))]
        sig = ", ".join(f'{a.name}: {a.type} {{trn.name = "{nm}"}}' for a, nm in zip(args, names))
        rtypes = ", ".join(r.type for r in self.results)
        head = f"  func.func @{self.func_name}({sig}) -> ({rtypes}) {{"
        ret = f"    return {', '.join(r.name for r in self.results)} : {rtypes}"
        return "\n".join(["module {", head] + fb.lines + [ret, "  }", "}", ""])

    # -- helpers for handlers ------------------------------------------------------------------
    def out_value(self, n=None):
        v = self.values[n or self.current]
        return v[0] if isinstance(v, (tuple, list)) else v

    def out_shape(self, n=None):
        v = self.out_value(n)
        return tuple(v.shape)

    def out_dtype(self, n=None):
        v = self.out_value(n)
        return v.dtype if v.dtype in FLOAT_DTYPES else torch.float32

    def ewise(self, inputs, body, out_shape=None, out_dtype=None):
        """Broadcasting element-wise op over tensors/Consts/Python scalars."""
        out_shape = tuple(out_shape if out_shape is not None else self.out_shape())
        out_dtype = out_dtype or self.out_dtype()
        ops = []
        for x in inputs:
            if isinstance(x, Const) and x.value.numel() == 1:
                x = float(x.value.reshape(-1)[0])
            if isinstance(x, bool):
                x = float(x)
            if isinstance(x, (int, float)):
                ops.append(float(x))
            else:
                ops.append(self.fb.broadcast_operand(self.tv(x), out_shape))
        return self.fb.generic(ops, out_shape, out_dtype, body)


def _to_const(v):
    if isinstance(v, torch.Tensor):
        return Const(v.detach())
    if isinstance(v, (list, tuple)):
        return type(v)(_to_const(x) for x in v)
    return v


_KNOWN_UNSUPPORTED = {
    "aten._transformer_encoder_layer_fwd.default": "fused TransformerEncoderLayer fast path; trnc traces "
    "with grad enabled so the composite path is used -- call the layer normally (not the fused op directly)",
    "aten._native_multi_head_attention.default": "fused MultiheadAttention fast path; call nn.MultiheadAttention "
    "normally so the composite path is traced",
    "aten.native_dropout.default": "dropout in training mode (compile runs the model in eval mode)",
}


def _unsupported_reason(name: str) -> str:
    return _KNOWN_UNSUPPORTED.get(name, "no lowering to the trnc input contract")


def _norm_dim(d, rank):
    return d + rank if d < 0 else d


def _norm_dims(dims, rank):
    if dims is None or (isinstance(dims, (list, tuple)) and len(dims) == 0):
        return list(range(rank))
    if isinstance(dims, int):
        dims = [dims]
    return sorted(_norm_dim(d, rank) for d in dims)


def _is_const(L, a):
    return isinstance(a, torch.fx.Node) and a in L.const_nodes


# ------------------------------------------------------------------------------------------
# Identity / data movement
# ------------------------------------------------------------------------------------------
@handles("aten.clone.default", "aten.detach.default", "aten.alias.default", "aten.lift_fresh_copy.default",
         "aten.contiguous.default")
def _identity(L, n, x, *args, **kwargs):
    return x


def _check_dropout(L, n):
    train = n.args[2] if len(n.args) > 2 else n.kwargs.get("train", False)
    return "dropout in training mode" if train else None


@handles("aten.dropout.default", "aten.native_dropout.default", check=_check_dropout)
def _dropout(L, n, x, p, train):
    if n.target == aten.native_dropout.default:
        return (x, None)
    return x


def _check_to_copy(L, n):
    src = L.values[n.args[0]].dtype
    dst = L.values[n].dtype
    if src in FLOAT_DTYPES and dst in FLOAT_DTYPES:
        return None
    return f"conversion {src} -> {dst} of a model value"


@handles("aten._to_copy.default", check=_check_to_copy)
def _to_copy(L, n, x, **kwargs):
    return L.fb.convert(L.tv(x), L.out_dtype())


@handles("aten.view.default", "aten._unsafe_view.default", "aten._reshape_alias.default",
         "aten.reshape.default", "aten.unsqueeze.default", "aten.squeeze.dim", "aten.squeeze.default",
         "aten.flatten.using_ints")
def _reshape(L, n, x, *args, **kwargs):
    return L.fb.reshape(L.tv(x), L.out_shape())


@handles("aten.t.default")
def _t(L, n, x):
    x = L.tv(x)
    return L.fb.transpose(x, [1, 0] if x.rank == 2 else list(range(x.rank)))


@handles("aten.transpose.int")
def _transpose(L, n, x, d0, d1):
    x = L.tv(x)
    perm = list(range(x.rank))
    d0, d1 = _norm_dim(d0, x.rank), _norm_dim(d1, x.rank)
    perm[d0], perm[d1] = perm[d1], perm[d0]
    return L.fb.transpose(x, perm)


@handles("aten.permute.default")
def _permute(L, n, x, dims):
    x = L.tv(x)
    return L.fb.transpose(x, [_norm_dim(d, x.rank) for d in dims])


@handles("aten.expand.default")
def _expand(L, n, x, *args, **kwargs):
    return L.fb.broadcast_to(L.tv(x), L.out_shape())


def _check_slice(L, n):
    return None


@handles("aten.slice.Tensor", check=_check_slice)
def _slice(L, n, x, dim=0, start=None, end=None, step=1):
    x = L.tv(x)
    dim = _norm_dim(dim, x.rank)
    size = x.shape[dim]
    start, end, step = slice(start, end, step).indices(size)
    out = L.out_shape()
    offsets = [0] * x.rank
    offsets[dim] = start
    strides = [1] * x.rank
    strides[dim] = step
    if out == x.shape:
        return x
    return L.fb.extract_slice(x, offsets, out, strides)


@handles("aten.select.int")
def _select(L, n, x, dim, index):
    x = L.tv(x)
    dim = _norm_dim(dim, x.rank)
    index = index + x.shape[dim] if index < 0 else index
    offsets = [0] * x.rank
    offsets[dim] = index
    sizes = list(x.shape)
    sizes[dim] = 1
    return L.fb.extract_slice(x, offsets, sizes, [1] * x.rank, result_shape=L.out_shape())


class _Parts(tuple):
    """Outputs of split/unbind: materialized lazily on getitem."""


def _split_parts(L, n, x, dim, sizes, drop_dim=False):
    x = L.tv(x)
    dim = _norm_dim(dim, x.rank)
    parts, off = [], 0
    path = L.fb.loc
    for s in sizes:
        def make(off=off, s=s):
            old = L.fb.loc
            L.fb.loc = path
            offsets = [0] * x.rank
            offsets[dim] = off
            shape = list(x.shape)
            shape[dim] = s
            rshape = [d for i, d in enumerate(shape) if i != dim] if drop_dim else shape
            r = x if (tuple(shape) == x.shape and not drop_dim) else \
                L.fb.extract_slice(x, offsets, shape, [1] * x.rank, result_shape=rshape)
            L.fb.loc = old
            return r
        parts.append(make)
        off += s
    return _Parts(parts)


@handles("aten.split.Tensor")
def _split(L, n, x, split_size, dim=0):
    size = L.tv(x).shape[_norm_dim(dim, L.tv(x).rank)]
    sizes = [min(split_size, size - i) for i in range(0, size, split_size)]
    return _split_parts(L, n, x, dim, sizes)


@handles("aten.split_with_sizes.default")
def _split_with_sizes(L, n, x, sizes, dim=0):
    return _split_parts(L, n, x, dim, sizes)


@handles("aten.unbind.int")
def _unbind(L, n, x, dim=0):
    t = L.tv(x)
    return _split_parts(L, n, x, dim, [1] * t.shape[_norm_dim(dim, t.rank)], drop_dim=True)


@handles("getitem")
def _getitem(L, n, seq, idx):
    item = seq[idx]
    if isinstance(seq, _Parts):
        return item()
    return item


@handles("aten.cat.default")
def _cat(L, n, tensors, dim=0):
    out = L.out_shape()
    dim = _norm_dim(dim, len(out))
    dtype = L.out_dtype()
    tensors = [t for t in tensors if not (isinstance(t, Const) and t.value.numel() == 0)]
    acc = L.fb.empty(out, dtype)
    off = 0
    for t in tensors:
        t = L.fb.convert(L.tv(t), dtype)
        offsets = [0] * len(out)
        offsets[dim] = off
        acc = L.fb.insert_slice(t, acc, offsets)
        off += t.shape[dim]
    return acc


@handles("aten.stack.default")
def _stack(L, n, tensors, dim=0):
    out = L.out_shape()
    dim = _norm_dim(dim, len(out))
    dtype = L.out_dtype()
    acc = L.fb.empty(out, dtype)
    for i, t in enumerate(tensors):
        t = L.fb.convert(L.tv(t), dtype)
        t = L.fb.reshape(t, t.shape[:dim] + (1,) + t.shape[dim:])
        offsets = [0] * len(out)
        offsets[dim] = i
        acc = L.fb.insert_slice(t, acc, offsets)
    return acc


# ------------------------------------------------------------------------------------------
# Element-wise
# ------------------------------------------------------------------------------------------
def _scaled(b, x, alpha):
    return x if alpha == 1 else b.mul(x, b.const(alpha))


@handles("aten.add.Tensor", "aten.add.Scalar")
def _add(L, n, x, y, alpha=1):
    return L.ewise([x, y], lambda b, a: b.add(a[0], _scaled(b, a[1], alpha)))


@handles("aten.sub.Tensor", "aten.sub.Scalar")
def _sub(L, n, x, y, alpha=1):
    return L.ewise([x, y], lambda b, a: b.sub(a[0], _scaled(b, a[1], alpha)))


@handles("aten.rsub.Scalar", "aten.rsub.Tensor")
def _rsub(L, n, x, y, alpha=1):
    return L.ewise([x, y], lambda b, a: b.sub(a[1], _scaled(b, a[0], alpha)))


@handles("aten.mul.Tensor", "aten.mul.Scalar")
def _mul(L, n, x, y):
    return L.ewise([x, y], lambda b, a: b.mul(a[0], a[1]))


def _check_div(L, n):
    if n.kwargs.get("rounding_mode") is not None:
        return "div with rounding_mode"
    return None


@handles("aten.div.Tensor", "aten.div.Scalar", check=_check_div)
def _div(L, n, x, y):
    return L.ewise([x, y], lambda b, a: b.div(a[0], a[1]))


@handles("aten.maximum.default")
def _maximum(L, n, x, y):
    return L.ewise([x, y], lambda b, a: b.max(a[0], a[1]))


@handles("aten.minimum.default")
def _minimum(L, n, x, y):
    return L.ewise([x, y], lambda b, a: b.min(a[0], a[1]))


def _unary(fn):
    def h(L, n, x, *args, **kwargs):
        return L.ewise([x], lambda b, a: fn(b, a[0], *args, **kwargs))
    return h


def _sigmoid(b, x):
    one = b.const(1.0)
    return b.div(one, b.add(one, b.math("exp", b.neg(x))))


def _gelu(b, x, approximate="none"):
    half, one = b.const(0.5), b.const(1.0)
    if approximate == "tanh":
        k = b.const(math.sqrt(2.0 / math.pi))
        c = b.const(0.044715)
        x3 = b.mul(b.mul(x, x), x)
        inner = b.mul(k, b.add(x, b.mul(c, x3)))
        return b.mul(b.mul(half, x), b.add(one, b.math("tanh", inner)))
    return b.mul(b.mul(half, x), b.add(one, b.math("erf", b.mul(x, b.const(math.sqrt(0.5))))))


def _clamp(b, x, lo=None, hi=None):
    if lo is not None:
        x = b.max(x, b.const(lo))
    if hi is not None:
        x = b.min(x, b.const(hi))
    return x


def _hardsigmoid(b, x):
    return b.div(_clamp(b, b.add(x, b.const(3.0)), 0.0, 6.0), b.const(6.0))


def _leaky(b, x, slope=0.01):
    return b.select(b.cmp("ogt", x, b.const(0.0)), x, b.mul(x, b.const(slope)))


def _pow_scalar(b, x, e):
    e = float(e)
    if e == 2.0:
        return b.mul(x, x)
    if e == 1.0:
        return x
    if e == 0.5:
        return b.math("sqrt", x)
    if e == -1.0:
        return b.div(b.const(1.0), x)
    if e == 3.0:
        return b.mul(b.mul(x, x), x)
    return b.powf(x, b.const(e))


def _check_gelu(L, n):
    a = n.kwargs.get("approximate", n.args[1] if len(n.args) > 1 else "none")
    return None if a in ("none", "tanh") else f"gelu approximate={a!r}"


def _check_clamp(L, n):
    for a in list(n.args[1:]) + list(n.kwargs.values()):
        if isinstance(a, torch.fx.Node):
            return "clamp with tensor bounds"
    return None


UNARY = {
    "aten.relu.default": lambda b, x: b.max(x, b.const(0.0)),
    "aten.relu6.default": lambda b, x: _clamp(b, x, 0.0, 6.0),
    "aten.hardtanh.default": lambda b, x, lo=-1.0, hi=1.0: _clamp(b, x, lo, hi),
    "aten.clamp.default": lambda b, x, min=None, max=None: _clamp(b, x, min, max),
    "aten.clamp_min.default": lambda b, x, lo: _clamp(b, x, lo, None),
    "aten.clamp_max.default": lambda b, x, hi: _clamp(b, x, None, hi),
    "aten.gelu.default": _gelu,
    "aten.silu.default": lambda b, x: b.mul(x, _sigmoid(b, x)),
    "aten.sigmoid.default": _sigmoid,
    "aten.tanh.default": lambda b, x: b.math("tanh", x),
    "aten.hardswish.default": lambda b, x: b.mul(x, _hardsigmoid(b, x)),
    "aten.hardsigmoid.default": _hardsigmoid,
    "aten.leaky_relu.default": _leaky,
    "aten.exp.default": lambda b, x: b.math("exp", x),
    "aten.log.default": lambda b, x: b.math("log", x),
    "aten.sqrt.default": lambda b, x: b.math("sqrt", x),
    "aten.rsqrt.default": lambda b, x: b.math("rsqrt", x),
    "aten.erf.default": lambda b, x: b.math("erf", x),
    "aten.neg.default": lambda b, x: b.neg(x),
    "aten.abs.default": lambda b, x: b.math("absf", x),
    "aten.reciprocal.default": lambda b, x: b.div(b.const(1.0), x),
    "aten.pow.Tensor_Scalar": _pow_scalar,
}
for _name, _fn in UNARY.items():
    check = {"aten.gelu.default": _check_gelu, "aten.clamp.default": _check_clamp}.get(_name)
    handles(_name, check=check)(_unary(_fn))


def _check_const_mask(L, n):
    if not _is_const(L, n.args[1] if n.target != aten.where.self else n.args[0]):
        return "the mask must be a compile-time constant (e.g. a causal mask built from sizes)"
    if n.target == aten.masked_fill.Tensor and not _is_const(L, n.args[2]):
        return "the fill value must be a compile-time constant"
    return None


@handles("aten.masked_fill.Scalar", "aten.masked_fill.Tensor", check=_check_const_mask)
def _masked_fill(L, n, x, mask, value):
    if isinstance(value, Const):
        value = float(value.value.reshape(-1)[0])
    m = Const(mask.value.to(torch.float32))
    return L.ewise([m, x], lambda b, a: b.select(b.cmp("une", a[0], b.const(0.0)), b.const(value), a[1]))


@handles("aten.where.self", check=_check_const_mask)
def _where(L, n, cond, x, y):
    m = Const(cond.value.to(torch.float32))
    return L.ewise([m, x, y], lambda b, a: b.select(b.cmp("une", a[0], b.const(0.0)), a[1], a[2]))


# ------------------------------------------------------------------------------------------
# Contractions
# ------------------------------------------------------------------------------------------
@handles("aten.mm.default")
def _mm(L, n, a, b):
    a, b = L.tv(a), L.tv(b)
    return L.fb.contraction("matmul", a, b, L.out_shape(), L.out_dtype())


@handles("aten.bmm.default")
def _bmm(L, n, a, b):
    a, b = L.tv(a), L.tv(b)
    return L.fb.contraction("batch_matmul", a, b, L.out_shape(), L.out_dtype())


@handles("aten.addmm.default")
def _addmm(L, n, bias, a, b, beta=1, alpha=1):
    mm = L.fb.contraction("matmul", L.tv(a), L.tv(b), L.out_shape(), torch.float32)
    return L.ewise([mm, bias], lambda bb, x: bb.add(_scaled(bb, x[0], alpha), _scaled(bb, x[1], beta)))


@handles("aten.baddbmm.default")
def _baddbmm(L, n, bias, a, b, beta=1, alpha=1):
    mm = L.fb.contraction("batch_matmul", L.tv(a), L.tv(b), L.out_shape(), torch.float32)
    return L.ewise([mm, bias], lambda bb, x: bb.add(_scaled(bb, x[0], alpha), _scaled(bb, x[1], beta)))


def _check_conv(L, n):
    args = n.args
    if args[6]:
        return "transposed convolution"
    if len(L.values[n.args[0]].shape) not in (3, 4):
        return f"{len(L.values[n.args[0]].shape) - 2}-d convolution (1-d and 2-d are supported)"
    return None


def _conv(L, x: TV, w: TV, bias, stride, padding, dilation, groups, out_shape, out_dtype):
    fb = L.fb
    x = fb.pad(x, [0, 0] + list(padding), [0, 0] + list(padding), 0.0)
    attrs = (f" {{dilations = dense<[{dilation[0]}, {dilation[1]}]> : tensor<2xi64>, "
             f"strides = dense<[{stride[0]}, {stride[1]}]> : tensor<2xi64>}}")
    N, F, OH, OW = out_shape
    C = x.shape[1]
    if groups == 1:
        y = fb.contraction("conv_2d_nchw_fchw", x, w, out_shape, torch.float32, attrs)
    elif groups == C and F == C:
        wd = fb.reshape(w, (F, w.shape[2], w.shape[3]))
        y = fb.contraction("depthwise_conv_2d_nchw_chw", x, wd, out_shape, torch.float32, attrs)
    else:
        G = groups
        xg = fb.reshape(x, (x.shape[0], G, C // G, x.shape[2], x.shape[3]))
        wg = fb.reshape(w, (G, F // G) + tuple(w.shape[1:]))
        yg = fb.contraction("conv_2d_ngchw_gfchw", xg, wg, (N, G, F // G, OH, OW), torch.float32, attrs)
        y = fb.reshape(yg, out_shape)
    if bias is not None:
        return _add_channel_bias(L, y, bias, out_dtype)
    return fb.convert(y, out_dtype)


def _add_channel_bias(L, y: TV, bias, out_dtype):
    bt = L.tv(bias)
    return L.fb.generic([(y, range(4)), (bt, [1])], y.shape, out_dtype, lambda b, a: b.add(a[0], a[1]))


def _conv_args(L, n, x, w, bias, stride, padding, dilation, transposed, output_padding, groups):
    x, w = L.tv(x), L.tv(w)
    out_shape = L.out_shape(n)
    one_d = x.rank == 3
    if one_d:  # conv1d as conv2d with H = 1
        x = L.fb.reshape(x, (x.shape[0], x.shape[1], 1, x.shape[2]))
        w = L.fb.reshape(w, (w.shape[0], w.shape[1], 1, w.shape[2]))
        stride, padding, dilation = [1] + list(stride), [0] + list(padding), [1] + list(dilation)
        out_shape = (out_shape[0], out_shape[1], 1, out_shape[2])
    return x, w, bias, list(stride), list(padding), list(dilation), groups, out_shape, one_d


@handles("aten.convolution.default", check=_check_conv)
def _convolution(L, n, *args):
    x, w, bias, stride, padding, dilation, groups, out_shape, one_d = _conv_args(L, n, *args)
    y = _conv(L, x, w, bias, stride, padding, dilation, groups, out_shape, L.out_dtype())
    return L.fb.reshape(y, L.out_shape()) if one_d else y


def _check_bn(L, n):
    if n.args[5]:
        return "batch norm in training mode"
    if not all(_is_const(L, a) for a in n.args[1:5] if a is not None):
        return "batch norm statistics/affine parameters must be constants"
    return None


def _bn_scale_shift(w, b, mean, var, eps, C):
    w = w.value.double() if isinstance(w, Const) else torch.ones(C, dtype=torch.float64)
    b = b.value.double() if isinstance(b, Const) else torch.zeros(C, dtype=torch.float64)
    scale = w / torch.sqrt(var.value.double() + eps)
    shift = b - mean.value.double() * scale
    return scale, shift


@handles("aten.native_batch_norm.default", check=_check_bn)
def _batch_norm(L, n, x, w, b, mean, var, training, momentum, eps):
    C = L.values[n.args[0]].shape[1]
    scale, shift = _bn_scale_shift(w, b, mean, var, eps, C)
    src = n.args[0]
    # Fold into the producing convolution when the conv's only user is this batch norm.
    if (src.op == "call_function" and src.target == aten.convolution.default and len(src.users) == 1
            and _is_const(L, src.args[1]) and (src.args[2] is None or _is_const(L, src.args[2]))
            and not src.args[6]):
        cargs = list(L.arg(src.args))
        wt = cargs[1].value.double()
        cb = cargs[2].value.double() if cargs[2] is not None else torch.zeros(wt.shape[0], dtype=torch.float64)
        shape = (-1,) + (1,) * (wt.dim() - 1)
        dtype = L.values[src].dtype
        cargs[1] = Const((wt * scale.reshape(shape)).to(dtype))
        cargs[2] = Const((cb * scale + shift).to(dtype))
        x2, w2, bias2, stride, padding, dilation, groups, out_shape, one_d = _conv_args(L, src, *cargs)
        L.fb.loc = L.location(src)  # the folded conv keeps the convolution's module path
        y = _conv(L, x2, w2, bias2, stride, padding, dilation, groups, out_shape, L.out_dtype(src))
        y = L.fb.reshape(y, L.out_shape(src)) if one_d else y
        return (y, None, None)
    xt = L.tv(x)
    dtype = xt.dtype
    s = L.tv(Const(scale.to(torch.float32)))
    t = L.tv(Const(shift.to(torch.float32)))
    y = L.fb.generic([(xt, range(xt.rank)), (s, [1]), (t, [1])], xt.shape, dtype,
                     lambda b, a: b.add(b.mul(a[0], a[1]), a[2]))
    return (y, None, None)


# Convolutions folded into a batch norm emit nothing themselves: mark them lazily.
_orig_conv = HANDLERS["aten.convolution.default"]


def _conv_maybe_folded(L, n, *args):
    users = list(n.users)
    if (len(users) == 1 and users[0].op == "call_function"
            and users[0].target == aten.native_batch_norm.default and _check_bn(L, users[0]) is None
            and users[0].args[0] is n and _is_const(L, n.args[1])
            and (n.args[2] is None or _is_const(L, n.args[2]))):
        return None  # emitted by the batch norm
    return _orig_conv(L, n, *args)


handles("aten.convolution.default", check=_check_conv)(_conv_maybe_folded)


# ------------------------------------------------------------------------------------------
# Normalizations, softmax, reductions
# ------------------------------------------------------------------------------------------
def _keep(dims, rank):
    return [i for i in range(rank) if i not in dims]


def _check_layer_norm(L, n):
    for u in n.users:
        if u.target is operator.getitem and u.args[1] != 0 and u in L.live:
            return "layer norm mean/rstd outputs are not supported"
    return None


@handles("aten.native_layer_norm.default", check=_check_layer_norm)
def _layer_norm(L, n, x, normalized_shape, w, b, eps):
    fb = L.fb
    x = L.tv(x)
    dims = list(range(x.rank - len(normalized_shape), x.rank))
    keep = _keep(dims, x.rank)
    cnt = float(math.prod(normalized_shape))
    s = fb.reduce(x, dims, "add")
    xc = fb.generic([(x, range(x.rank)), (s, keep)], x.shape, torch.float32,
                    lambda bb, a: bb.sub(a[0], bb.div(a[1], bb.const(cnt))))
    sq = fb.generic([(xc, range(x.rank))], x.shape, torch.float32, lambda bb, a: bb.mul(a[0], a[0]))
    v = fb.reduce(sq, dims, "add")
    ops = [(xc, range(x.rank)), (v, keep)]
    if w is not None:
        ops.append((L.tv(w), dims))
    if b is not None:
        ops.append((L.tv(b), dims))

    def body(bb, a):
        r = bb.math("rsqrt", bb.add(bb.div(a[1], bb.const(cnt)), bb.const(eps)))
        y = bb.mul(a[0], r)
        k = 2
        if w is not None:
            y = bb.mul(y, a[k])
            k += 1
        if b is not None:
            y = bb.add(y, a[k])
        return y
    y = fb.generic(ops, x.shape, L.out_dtype(), body)
    return (y, None, None)


def _softmax_impl(L, x, dim, log):
    fb = L.fb
    x = L.tv(x)
    dim = _norm_dim(dim, x.rank)
    keep = _keep([dim], x.rank)
    m = fb.reduce(x, [dim], "max")
    e = fb.generic([(x, range(x.rank)), (m, keep)], x.shape, torch.float32,
                   lambda b, a: b.math("exp", b.sub(a[0], a[1])))
    s = fb.reduce(e, [dim], "add")
    if log:
        return fb.generic([(x, range(x.rank)), (m, keep), (s, keep)], x.shape, L.out_dtype(),
                          lambda b, a: b.sub(b.sub(a[0], a[1]), b.math("log", a[2])))
    return fb.generic([(e, range(x.rank)), (s, keep)], x.shape, L.out_dtype(), lambda b, a: b.div(a[0], a[1]))


@handles("aten._softmax.default")
def _softmax(L, n, x, dim, half_to_float=False):
    return _softmax_impl(L, x, dim, False)


@handles("aten._log_softmax.default")
def _log_softmax(L, n, x, dim, half_to_float=False):
    return _softmax_impl(L, x, dim, True)


def _reduction(L, n, x, dims, keepdim, kind, mean):
    fb = L.fb
    x = L.tv(x)
    dims = _norm_dims(dims, x.rank)
    r = fb.reduce(x, dims, kind)
    if mean:
        cnt = float(math.prod(x.shape[d] for d in dims))
        r = fb.generic([(r, range(r.rank))], r.shape, torch.float32, lambda b, a: b.div(a[0], b.const(cnt)))
    r = fb.convert(r, L.out_dtype())
    return fb.reshape(r, L.out_shape())


def _check_reduce_dtype(L, n):
    if n.kwargs.get("dtype") is not None:
        return "reduction with an explicit dtype"
    return None


@handles("aten.mean.dim", check=_check_reduce_dtype)
def _mean_dim(L, n, x, dims, keepdim=False, dtype=None):
    return _reduction(L, n, x, dims, keepdim, "add", True)


@handles("aten.mean.default", check=_check_reduce_dtype)
def _mean(L, n, x, dtype=None):
    return _reduction(L, n, x, None, False, "add", True)


@handles("aten.sum.dim_IntList", check=_check_reduce_dtype)
def _sum_dim(L, n, x, dims, keepdim=False, dtype=None):
    return _reduction(L, n, x, dims, keepdim, "add", False)


@handles("aten.sum.default", check=_check_reduce_dtype)
def _sum(L, n, x, dtype=None):
    return _reduction(L, n, x, None, False, "add", False)


@handles("aten.amax.default")
def _amax(L, n, x, dims=(), keepdim=False):
    return _reduction(L, n, x, dims, keepdim, "max", False)


# ------------------------------------------------------------------------------------------
# Pooling
# ------------------------------------------------------------------------------------------
def _pair(v, default=None):
    if v is None or (isinstance(v, (list, tuple)) and len(v) == 0):
        return default
    if isinstance(v, int):
        return [v, v]
    return list(v) * 2 if len(v) == 1 else list(v)


def _pool_padding(x: TV, out_hw, kernel, stride, padding, dilation):
    high = []
    for i in range(2):
        need = (out_hw[i] - 1) * stride[i] + dilation[i] * (kernel[i] - 1) + 1
        high.append(max(need - x.shape[2 + i] - padding[i], 0))
    return high


def _check_pool(L, n):
    if len(L.values[n.args[0]].shape) != 4:
        return "pooling on a non-4-d (NCHW) tensor"
    if n.target == aten.max_pool2d_with_indices.default:
        for u in n.users:
            if u.target is operator.getitem and u.args[1] != 0 and u in L.live:
                return "max pooling indices are not supported"
    return None


@handles("aten.max_pool2d_with_indices.default", "aten.max_pool2d.default", check=_check_pool)
def _max_pool(L, n, x, kernel, stride=(), padding=0, dilation=1, ceil_mode=False):
    x = L.tv(x)
    kernel = _pair(kernel)
    stride = _pair(stride, kernel)
    padding = _pair(padding)
    dilation = _pair(dilation)
    out = L.values[n][0].shape if isinstance(L.values[n], tuple) else L.values[n].shape
    high = _pool_padding(x, out[2:], kernel, stride, padding, dilation)
    xp = L.fb.pad(x, [0, 0] + padding, [0, 0] + high, float("-inf"))
    y = L.fb.pooling("pooling_nchw_max", xp, kernel, stride, dilation, tuple(out), float("-inf"))
    return (y, None) if n.target == aten.max_pool2d_with_indices.default else y


def _avg_divisor(H, W, out_hw, kernel, stride, padding, ceil_mode, include_pad, override):
    import numpy as np
    if override:
        return np.full(out_hw, float(override), dtype=np.float32)
    div = np.zeros(out_hw, dtype=np.float32)
    for oh in range(out_hw[0]):
        for ow in range(out_hw[1]):
            hs, ws = oh * stride[0] - padding[0], ow * stride[1] - padding[1]
            he, we = min(hs + kernel[0], H + padding[0]), min(ws + kernel[1], W + padding[1])
            size = (he - hs) * (we - ws)
            hs, ws, he, we = max(hs, 0), max(ws, 0), min(he, H), min(we, W)
            div[oh, ow] = size if include_pad else (he - hs) * (we - ws)
    return div


@handles("aten.avg_pool2d.default", check=_check_pool)
def _avg_pool(L, n, x, kernel, stride=(), padding=0, ceil_mode=False, count_include_pad=True,
              divisor_override=None):
    x = L.tv(x)
    kernel = _pair(kernel)
    stride = _pair(stride, kernel)
    padding = _pair(padding)
    out = L.out_shape()
    high = _pool_padding(x, out[2:], kernel, stride, padding, [1, 1])
    xp = L.fb.pad(x, [0, 0] + padding, [0, 0] + high, 0.0)
    s = L.fb.pooling("pooling_nchw_sum", xp, kernel, stride, [1, 1], out, 0.0)
    div = _avg_divisor(x.shape[2], x.shape[3], out[2:], kernel, stride, padding, ceil_mode,
                       count_include_pad, divisor_override)
    if (div == div.flat[0]).all():
        d = float(div.flat[0])
        return L.fb.generic([(s, range(4))], out, L.out_dtype(), lambda b, a: b.div(a[0], b.const(d)))
    dt = L.tv(Const(torch.from_numpy(div)))
    return L.fb.generic([(s, range(4)), (dt, [2, 3])], out, L.out_dtype(), lambda b, a: b.div(a[0], a[1]))


def _check_adaptive(L, n):
    shape = L.values[n.args[0]].shape
    if len(shape) != 4:
        return "adaptive pooling on a non-4-d (NCHW) tensor"
    out = L.values[n].shape
    for i in (2, 3):
        if shape[i] % out[i]:
            return f"adaptive average pooling {tuple(shape[2:])} -> {tuple(out[2:])} with non-uniform windows"
    return None


@handles("aten._adaptive_avg_pool2d.default", "aten.adaptive_avg_pool2d.default", check=_check_adaptive)
def _adaptive_avg_pool(L, n, x, output_size):
    x = L.tv(x)
    out = L.out_shape()
    k = [x.shape[2] // out[2], x.shape[3] // out[3]]
    s = L.fb.pooling("pooling_nchw_sum", x, k, k, [1, 1], out, 0.0)
    d = float(k[0] * k[1])
    return L.fb.generic([(s, range(4))], out, L.out_dtype(), lambda b, a: b.div(a[0], b.const(d)))


# ------------------------------------------------------------------------------------------
# Embedding
# ------------------------------------------------------------------------------------------
def _check_embedding(L, n):
    if not _is_const(L, n.args[0]):
        return "embedding table must be a constant"
    return None


@handles("aten.embedding.default", check=_check_embedding)
def _embedding(L, n, weight, indices, *args):
    fb = L.fb
    w = L.tv(weight)
    ids = L.tv(indices)
    out = L.out_shape()
    r = len(out)
    V = w.shape[0]

    def body(b, a):
        idx = b.raw(f"arith.index_cast {a[0]} : i32 to index")
        # Out-of-range ids are clamped (PyTorch raises; the device has no traps).
        hi = b.raw(f"arith.constant {V - 1} : index")
        zero = b.raw("arith.constant 0 : index")
        idx = b.raw(f"arith.minsi {idx}, {hi} : index")
        idx = b.raw(f"arith.maxsi {idx}, {zero} : index")
        v = b.raw(f"tensor.extract {w.name}[{idx}, {a[1]}] : {w.type}")
        if w.dtype == torch.bfloat16:
            v = b.raw(f"arith.extf {v} : bf16 to f32")
        return v

    return _embedding_generic(fb, ids, out, L.out_dtype(), body, r)


def _embedding_generic(fb, ids, out, dtype, body, r):
    # The ids operand is i32: Body's extf handling only applies to bf16 operands.
    return fb.generic([(ids, range(r - 1))], out, dtype, body, index_dims=[r - 1])
