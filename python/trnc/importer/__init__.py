"""PyTorch importer: ``torch.nn.Module`` + example inputs -> MLIR in trnc's linalg input contract.

``import_module`` traces the module at the ATen level with ``make_fx`` (see ``trace.py``), folds
everything that does not depend on the inputs into constants (weights, batch norm into the
preceding convolution, masks), checks every remaining operator (raising
:class:`trnc.UnsupportedOperatorError` listing all of them with their module paths) and emits a
``func.func @forward`` on static tensors; each op carries its module path as its location.
"""
from dataclasses import dataclass, field
from typing import Any, List, Tuple

import torch
from torch.utils import _pytree as pytree

from ..errors import UnsupportedOperatorError
from .lower import HANDLERS, Lowering
from .trace import trace_module

__all__ = ["ImportedModule", "import_module", "supported_operators", "UnsupportedOperatorError"]


@dataclass
class TensorSpec:
    shape: Tuple[int, ...]
    dtype: torch.dtype  # the dtype the caller uses (int64 ids are passed to the program as int32)
    program_dtype: torch.dtype


@dataclass
class ImportedModule:
    mlir: str
    inputs: List[TensorSpec]
    outputs: List[TensorSpec]
    output_tree: Any = field(default=None, repr=False)  # pytree spec of the module's outputs


def _input_names(module, n):
    """Program input names from forward's positional parameters ("x", "ids"; "input<i>" else)."""
    import inspect
    import re
    names = []
    try:
        params = list(inspect.signature(module.forward).parameters.values())
    except (TypeError, ValueError):
        params = []
    for p in params:
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD):
            names.append(p.name)
        elif p.kind == p.VAR_POSITIONAL:
            names.extend(f"{p.name}{i}" for i in range(n - len(names)))
    names = [re.sub(r"[^A-Za-z0-9_.]", "_", x) for x in names[:n]]
    if len(names) != n or len(set(names)) != n:
        names = [f"input{i}" for i in range(n)]
    return names


def supported_operators() -> List[str]:
    """The ATen operators the importer lowers (in-place variants are accepted too)."""
    return sorted(HANDLERS)


def import_module(module: torch.nn.Module, example_inputs, func_name: str = "forward") -> ImportedModule:
    if isinstance(example_inputs, torch.Tensor):
        example_inputs = (example_inputs,)
    example_inputs = tuple(torch.as_tensor(x) if not isinstance(x, torch.Tensor) else x for x in example_inputs)
    for x in example_inputs:
        if x.is_floating_point() and x.dtype not in (torch.float32, torch.bfloat16):
            raise UnsupportedOperatorError([("input", "", f"input dtype {x.dtype}: use float32 or bfloat16")])
    gm = trace_module(module, example_inputs)
    low = Lowering(gm, example_inputs, func_name=func_name, root_name=type(module).__name__,
                   input_names=_input_names(module, len(example_inputs)))
    low.analyze()
    text = low.lower()
    with torch.no_grad():
        was = module.training
        module.eval()
        try:
            ref = module(*example_inputs)
        finally:
            module.train(was)
    flat, tree = pytree.tree_flatten(ref)
    ins = [TensorSpec(tuple(x.shape), x.dtype, a.dtype) for x, a in zip(example_inputs, low.args)]
    outs = [TensorSpec(tuple(r.shape), r.dtype, v.dtype) for r, v in zip(flat, low.results)]
    return ImportedModule(text, ins, outs, tree)
