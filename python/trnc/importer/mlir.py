"""Textual MLIR construction for the importer: types, dense constants, linalg op helpers.

Everything here produces the stage-1 input contract of docs/pipeline.md: a ``func.func`` on
static ranked tensors using ``linalg`` (named ops, ``linalg.generic``, ``linalg.reduce``),
``tensor`` and ``arith``/``math`` ops.  Element-wise bodies always compute in f32 (bf16 operands
are extended, the result truncated), matching PyTorch's CPU kernels, which upcast bf16 math.
"""
import json
import struct
from dataclasses import dataclass
from typing import Callable, List, Optional, Sequence, Tuple, Union

import numpy as np
import torch

_ELEM = {torch.float32: "f32", torch.bfloat16: "bf16", torch.int32: "i32"}


def elem_type(dtype: torch.dtype) -> str:
    try:
        return _ELEM[dtype]
    except KeyError:
        raise ValueError(f"dtype {dtype} has no trnc element type") from None


def tensor_type(shape: Sequence[int], dtype: torch.dtype) -> str:
    et = elem_type(dtype)
    if not shape:
        return f"tensor<{et}>"
    return "tensor<" + "x".join(str(int(d)) for d in shape) + "x" + et + ">"


def f32_literal(value: float) -> str:
    """Exact hexadecimal f32 literal (``0x3F800000``): no decimal round trip."""
    return "0x%08X" % struct.unpack("<I", struct.pack("<f", float(value)))[0]


def dense_hex(t: torch.Tensor, dtype: torch.dtype) -> str:
    """``dense<"0x...">`` of ``t`` converted to ``dtype``; one element when all are equal (splat)."""
    t = t.detach().to("cpu")
    if dtype == torch.float32:
        arr = t.to(torch.float32).contiguous().numpy().reshape(-1).view(np.uint32)
    elif dtype == torch.bfloat16:
        arr = t.to(torch.bfloat16).contiguous().view(torch.int16).numpy().reshape(-1).view(np.uint16)
    elif dtype == torch.int32:
        arr = t.to(torch.int32).contiguous().numpy().reshape(-1).view(np.uint32)
    else:
        raise ValueError(f"cannot emit constant of dtype {dtype}")
    if arr.size > 1 and bool((arr == arr[0]).all()):
        arr = arr[:1]
    return 'dense<"0x' + arr.astype(arr.dtype.newbyteorder("<")).tobytes().hex().upper() + '">'


@dataclass
class TV:
    """An SSA tensor value in the function being built."""

    name: str
    shape: Tuple[int, ...]
    dtype: torch.dtype

    @property
    def type(self) -> str:
        return tensor_type(self.shape, self.dtype)

    @property
    def rank(self) -> int:
        return len(self.shape)


def _affine_map(rank: int, results: Sequence[int]) -> str:
    dims = ", ".join(f"d{i}" for i in range(rank))
    res = ", ".join(f"d{i}" for i in results)
    return f"affine_map<({dims}) -> ({res})>"


class Body:
    """Builds the body of a linalg region: scalar ops in f32 with fresh SSA names."""

    def __init__(self, fb: "FunctionBuilder"):
        self.fb = fb
        self.lines: List[str] = []

    def _op(self, text: str) -> str:
        name = self.fb.fresh("s")
        self.lines.append(f"{name} = {text}")
        return name

    def const(self, v: float) -> str:
        return self._op(f"arith.constant {f32_literal(v)} : f32")

    def _bin(self, op, a, b):
        return self._op(f"arith.{op} {a}, {b} : f32")

    def add(self, a, b):
        return self._bin("addf", a, b)

    def sub(self, a, b):
        return self._bin("subf", a, b)

    def mul(self, a, b):
        return self._bin("mulf", a, b)

    def div(self, a, b):
        return self._bin("divf", a, b)

    def max(self, a, b):
        return self._bin("maximumf", a, b)

    def min(self, a, b):
        return self._bin("minimumf", a, b)

    def neg(self, a):
        return self._op(f"arith.negf {a} : f32")

    def math(self, fn, a):
        return self._op(f"math.{fn} {a} : f32")

    def powf(self, a, b):
        return self._op(f"math.powf {a}, {b} : f32")

    def cmp(self, pred, a, b):
        return self._op(f"arith.cmpf {pred}, {a}, {b} : f32")

    def select(self, c, a, b):
        return self._op(f"arith.select {c}, {a}, {b} : f32")

    def raw(self, text):
        return self._op(text)


# An operand of an element-wise generic: a tensor and the output loop dims indexing it, or a
# Python float (inlined as a constant in the body).
Operand = Union[Tuple[TV, Sequence[int]], float]


class FunctionBuilder:
    def __init__(self):
        self.lines: List[str] = []
        self.counter = 0
        self._scalar_cache = {}
        self.loc = "unknown"

    # -- basics ------------------------------------------------------------------------------
    def fresh(self, prefix="v") -> str:
        self.counter += 1
        return f"%{prefix}{self.counter}"

    def _loc(self) -> str:
        return f" loc({json.dumps(self.loc)})"

    def emit(self, text: str):
        self.lines.append("    " + text + self._loc())

    def emit_block(self, head: str, body: List[str], tail: str):
        self.lines.append("    " + head)
        self.lines.extend("      " + b for b in body)
        self.lines.append("    " + tail + self._loc())

    def scalar(self, value: float, dtype=torch.float32) -> str:
        """A function-level scalar constant (for fills and pad values)."""
        key = (f32_literal(value), dtype)
        if key not in self._scalar_cache:
            name = self.fresh("c")
            if dtype == torch.bfloat16:
                lit = "0x%04X" % torch.tensor([value], dtype=torch.bfloat16).view(torch.int16).item().__and__(0xFFFF)
            else:
                lit = f32_literal(value)
            self.lines.append(f"    {name} = arith.constant {lit} : {elem_type(dtype)}")
            self._scalar_cache[key] = name
        return self._scalar_cache[key]

    def constant(self, t: torch.Tensor, dtype: torch.dtype) -> TV:
        shape = tuple(t.shape)
        name = self.fresh("cst")
        ty = tensor_type(shape, dtype)
        self.emit(f"{name} = arith.constant {dense_hex(t, dtype)} : {ty}")
        return TV(name, shape, dtype)

    def empty(self, shape, dtype) -> TV:
        v = TV(self.fresh(), tuple(shape), dtype)
        self.emit(f"{v.name} = tensor.empty() : {v.type}")
        return v

    def filled(self, shape, dtype, value: float) -> TV:
        e = self.empty(shape, dtype)
        c = self.scalar(value, dtype)
        v = TV(self.fresh(), e.shape, dtype)
        self.emit(f"{v.name} = linalg.fill ins({c} : {elem_type(dtype)}) outs({e.name} : {e.type}) -> {v.type}")
        return v

    # -- shape ops ---------------------------------------------------------------------------
    def collapse(self, x: TV, groups: List[List[int]]) -> TV:
        shape = tuple(int(np.prod([x.shape[i] for i in g])) for g in groups)
        v = TV(self.fresh(), shape, x.dtype)
        self.emit(f"{v.name} = tensor.collapse_shape {x.name} {_reassoc(groups)} : {x.type} into {v.type}")
        return v

    def expand(self, x: TV, groups: List[List[int]], shape) -> TV:
        v = TV(self.fresh(), tuple(shape), x.dtype)
        self.emit(f"{v.name} = tensor.expand_shape {x.name} {_reassoc(groups)} output_shape "
                  f"[{', '.join(str(d) for d in shape)}] : {x.type} into {v.type}")
        return v

    def reshape(self, x: TV, shape) -> TV:
        shape = tuple(int(d) for d in shape)
        if shape == x.shape:
            return x
        src, dst = x.shape, shape
        if not src:
            return self.expand(x, [], dst)
        if not dst:
            return self.collapse(x, [])
        groups = _reshape_groups(src, dst)
        if all(len(d) == 1 for _, d in groups):
            return self.collapse(x, [s for s, _ in groups])
        if all(len(s) == 1 for s, _ in groups):
            return self.expand(x, [d for _, d in groups], dst)
        mid = self.collapse(x, [s for s, _ in groups])
        return self.expand(mid, [d for _, d in groups], dst)

    def drop_unit_dims(self, x: TV, keep: Sequence[int]) -> TV:
        """Collapses away the unit dims of ``x`` not listed in ``keep``."""
        keep = sorted(keep)
        if len(keep) == x.rank:
            return x
        for i in range(x.rank):
            assert i in keep or x.shape[i] == 1
        groups, pending = [], []
        for i in range(x.rank):
            pending.append(i)
            if i in keep:
                groups.append(pending)
                pending = []
        if pending and groups:
            groups[-1].extend(pending)
        return self.collapse(x, groups)

    def transpose(self, x: TV, perm: Sequence[int]) -> TV:
        perm = [int(p) for p in perm]
        if perm == list(range(x.rank)):
            return x
        shape = tuple(x.shape[p] for p in perm)
        moved = [p for p in perm if x.shape[p] != 1]
        if moved == sorted(moved):  # only unit dims move: a reshape
            return self.reshape(x, shape)
        e = self.empty(shape, x.dtype)
        v = TV(self.fresh(), shape, x.dtype)
        self.emit(f"{v.name} = linalg.transpose ins({x.name} : {x.type}) outs({e.name} : {e.type}) "
                  f"permutation = [{', '.join(map(str, perm))}]")
        return v

    def broadcast_to(self, x: TV, shape) -> TV:
        """NumPy-style broadcast (right-aligned) via ``linalg.broadcast``."""
        shape = tuple(int(d) for d in shape)
        if x.shape == shape:
            return x
        off = len(shape) - x.rank
        keep = [i for i in range(x.rank) if x.shape[i] == shape[off + i]]
        y = self.drop_unit_dims(x, keep)
        kept_out = {off + i for i in keep}
        added = [d for d in range(len(shape)) if d not in kept_out]
        e = self.empty(shape, x.dtype)
        v = TV(self.fresh(), shape, x.dtype)
        self.emit(f"{v.name} = linalg.broadcast ins({y.name} : {y.type}) outs({e.name} : {e.type}) "
                  f"dimensions = [{', '.join(map(str, added))}]")
        return v

    def extract_slice(self, x: TV, offsets, sizes, strides, result_shape=None) -> TV:
        shape = tuple(result_shape) if result_shape is not None else tuple(sizes)
        v = TV(self.fresh(), shape, x.dtype)
        j = lambda l: ", ".join(str(int(i)) for i in l)
        self.emit(f"{v.name} = tensor.extract_slice {x.name}[{j(offsets)}] [{j(sizes)}] [{j(strides)}] "
                  f": {x.type} to {v.type}")
        return v

    def insert_slice(self, src: TV, dst: TV, offsets) -> TV:
        v = TV(self.fresh(), dst.shape, dst.dtype)
        j = lambda l: ", ".join(str(int(i)) for i in l)
        self.emit(f"{v.name} = tensor.insert_slice {src.name} into {dst.name}[{j(offsets)}] "
                  f"[{j(src.shape)}] [{j([1] * src.rank)}] : {src.type} into {dst.type}")
        return v

    def pad(self, x: TV, low, high, value: float) -> TV:
        if not any(low) and not any(high):
            return x
        shape = tuple(d + l + h for d, l, h in zip(x.shape, low, high))
        c = self.scalar(value, x.dtype)
        v = TV(self.fresh(), shape, x.dtype)
        args = ", ".join(f"%i{k}_{self.counter}" for k in range(x.rank))
        self.emit_block(
            f"{v.name} = tensor.pad {x.name} low[{', '.join(map(str, low))}] high[{', '.join(map(str, high))}] {{",
            [f"^bb0({', '.join(a + ': index' for a in args.split(', '))}):", f"  tensor.yield {c} : {elem_type(x.dtype)}"],
            f"}} : {x.type} to {v.type}")
        return v

    # -- compute -----------------------------------------------------------------------------
    def generic(self, operands: Sequence[Operand], out_shape, out_dtype,
                body: Callable[[Body, List[str]], str], index_dims: Sequence[int] = ()) -> TV:
        """Element-wise ``linalg.generic``: every loop dim parallel, operand maps projected
        permutations.  ``body(b, args)`` gets the f32 scalar of each operand (floats inlined)
        plus, for ``index_dims``, the loop index (as ``index``) appended after them."""
        out_shape = tuple(int(d) for d in out_shape)
        rank = len(out_shape)
        ins, maps = [], []
        for o in operands:
            if isinstance(o, tuple):
                ins.append(o[0])
                maps.append(_affine_map(rank, o[1]))
        e = self.empty(out_shape, out_dtype)
        maps.append(_affine_map(rank, range(rank)))
        b = Body(self)
        block_args, scalars = [], []
        it = iter(range(len(ins)))
        for o in operands:
            if isinstance(o, tuple):
                k = next(it)
                a = self.fresh("a")
                block_args.append(f"{a}: {elem_type(ins[k].dtype)}")
                if ins[k].dtype == torch.bfloat16:
                    a = b.raw(f"arith.extf {a} : bf16 to f32")
                scalars.append(a)
            else:
                scalars.append(b.const(o))
        block_args.append(f"{self.fresh('o')}: {elem_type(out_dtype)}")
        for d in index_dims:
            scalars.append(b.raw(f"linalg.index {d} : index"))
        r = body(b, scalars)
        if out_dtype == torch.bfloat16:
            r = b.raw(f"arith.truncf {r} : f32 to bf16")
        v = TV(self.fresh(), out_shape, out_dtype)
        iters = ", ".join(['"parallel"'] * rank)
        head = f"{v.name} = linalg.generic {{indexing_maps = [{', '.join(maps)}], iterator_types = [{iters}]}}"
        ins_txt = ""
        if ins:
            ins_txt = f" ins({', '.join(t.name for t in ins)} : {', '.join(t.type for t in ins)})"
        self.emit_block(head + ins_txt + f" outs({e.name} : {e.type}) {{",
                        [f"^bb0({', '.join(block_args)}):"] + ["  " + l for l in b.lines]
                        + [f"  linalg.yield {r} : {elem_type(out_dtype)}"],
                        f"}} -> {v.type}")
        return v

    def broadcast_operand(self, x: TV, out_shape) -> Tuple[TV, List[int]]:
        """Operand for ``generic`` under NumPy broadcasting: unit dims that broadcast are
        collapsed away so the indexing map stays a projected permutation."""
        off = len(out_shape) - x.rank
        keep = [i for i in range(x.rank) if not (x.shape[i] == 1 and out_shape[off + i] != 1)]
        y = self.drop_unit_dims(x, keep)
        return y, [off + i for i in keep]

    def reduce(self, x: TV, dims: Sequence[int], kind: str) -> TV:
        """``linalg.reduce`` over ``dims`` (kind add|max) accumulating in f32."""
        dims = sorted(int(d) for d in dims)
        if x.dtype != torch.float32:
            x = self.convert(x, torch.float32)
        shape = tuple(d for i, d in enumerate(x.shape) if i not in dims)
        init = self.filled(shape, torch.float32, 0.0 if kind == "add" else float("-inf"))
        v = TV(self.fresh(), shape, torch.float32)
        a, o, r = self.fresh("a"), self.fresh("o"), self.fresh("s")
        op = "addf" if kind == "add" else "maximumf"
        self.emit_block(
            f"{v.name} = linalg.reduce ins({x.name} : {x.type}) outs({init.name} : {init.type}) "
            f"dimensions = [{', '.join(map(str, dims))}]",
            [f"({a}: f32, {o}: f32) {{", f"  {r} = arith.{op} {a}, {o} : f32", f"  linalg.yield {r} : f32"],
            "}")
        return v

    def convert(self, x: TV, dtype) -> TV:
        if x.dtype == dtype:
            return x
        return self.generic([(x, range(x.rank))], x.shape, dtype, lambda b, a: a[0])

    def contraction(self, op: str, a: TV, b: TV, out_shape, out_dtype, attrs: str = "") -> TV:
        """A linalg contraction/convolution named op with a zero-filled f32 accumulator
        (bf16 operands accumulate in f32, like PSUM), converted to ``out_dtype``."""
        acc = self.filled(out_shape, torch.float32, 0.0)
        v = TV(self.fresh(), tuple(out_shape), torch.float32)
        self.emit(f"{v.name} = linalg.{op}{attrs} ins({a.name}, {b.name} : {a.type}, {b.type}) "
                  f"outs({acc.name} : {acc.type}) -> {v.type}")
        return self.convert(v, out_dtype)

    def pooling(self, op: str, x: TV, kernel, strides, dilations, out_shape, init: float) -> TV:
        win = self.empty(kernel, x.dtype)
        acc = self.filled(out_shape, x.dtype, init)
        v = TV(self.fresh(), tuple(out_shape), x.dtype)
        self.emit(f"{v.name} = linalg.{op} {{dilations = dense<[{dilations[0]}, {dilations[1]}]> : tensor<2xi64>, "
                  f"strides = dense<[{strides[0]}, {strides[1]}]> : tensor<2xi64>}} "
                  f"ins({x.name}, {win.name} : {x.type}, {win.type}) outs({acc.name} : {acc.type}) -> {v.type}")
        return v


def _reassoc(groups) -> str:
    return "[" + ", ".join("[" + ", ".join(map(str, g)) + "]" for g in groups) + "]"


def _reshape_groups(src, dst):
    """Pairs contiguous dim groups of ``src`` and ``dst`` with equal element counts."""
    groups, i, j = [], 0, 0
    while i < len(src) and j < len(dst):
        si, dj = [i], [j]
        ps, pd = src[i], dst[j]
        i, j = i + 1, j + 1
        while ps != pd:
            if ps < pd:
                si.append(i)
                ps *= src[i]
                i += 1
            else:
                dj.append(j)
                pd *= dst[j]
                j += 1
        groups.append((si, dj))
    while i < len(src):
        groups[-1][0].append(i)
        i += 1
    while j < len(dst):
        groups[-1][1].append(j)
        j += 1
    return groups

