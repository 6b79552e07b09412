"""Tracing a torch.nn.Module to an ATen-level torch.fx graph with module-path provenance.

``make_fx`` (torch.fx.experimental.proxy_tensor) runs the module on the real example inputs and
records every ATen operator that reaches the dispatcher.  Because the Python code really executes,
shape unpacking (``B, T, D = x.shape``), size-dependent control flow and helper functions all work;
only the ops that touch the inputs (or values computed from them) become graph nodes, everything
else (weights, masks built with torch.ones/triu, ...) becomes constants.

Fused inference fast paths: ``nn.TransformerEncoderLayer`` and ``nn.MultiheadAttention`` switch
to single fused kernels (``aten._transformer_encoder_layer_fwd``,
``aten._native_multi_head_attention``) when autograd is off.  We trace with grad mode on and with
every floating parameter and input requiring grad, which makes PyTorch take the regular
(composite) path; ``make_fx`` records below autograd, so no backward ops appear in the graph.
Parameters' ``requires_grad`` flags are restored afterwards.

Provenance: global module pre/post forward hooks keep a stack of module paths; every node the
tracer creates while a module runs is tagged with ``node.meta["trnc_path"]`` (the innermost
module, e.g. ``layer1.0.conv1``) and ``node.meta["trnc_module_type"]``.
"""
import contextlib

import torch
from torch.fx.experimental import proxy_tensor

PATH_KEY = "trnc_path"
TYPE_KEY = "trnc_module_type"


@contextlib.contextmanager
def _module_path_tracking(root):
    names = {}
    for name, mod in root.named_modules(remove_duplicate=False):
        names.setdefault(id(mod), name)
    stack = [("", type(root).__name__)]

    def pre_hook(mod, inputs):
        stack.append((names.get(id(mod), stack[-1][0]), type(mod).__name__))

    def post_hook(mod, inputs, output):
        if len(stack) > 1:
            stack.pop()

    tracer_cls = proxy_tensor.PythonKeyTracer
    orig_create_node = tracer_cls.create_node

    def create_node(self, *args, **kwargs):
        node = orig_create_node(self, *args, **kwargs)
        node.meta[PATH_KEY], node.meta[TYPE_KEY] = stack[-1]
        return node

    handles = [
        torch.nn.modules.module.register_module_forward_pre_hook(pre_hook),
        torch.nn.modules.module.register_module_forward_hook(post_hook),
    ]
    tracer_cls.create_node = create_node
    try:
        yield
    finally:
        tracer_cls.create_node = orig_create_node
        for h in handles:
            h.remove()


def trace_module(module, example_inputs):
    """Returns an ATen-level ``torch.fx.GraphModule`` for ``module(*example_inputs)``.

    ``example_inputs`` are tensors; the graph's placeholders follow their order.
    """
    if not isinstance(module, torch.nn.Module):
        raise TypeError(f"trnc.compile expects a torch.nn.Module, got {type(module).__name__}")
    was_training = module.training
    module.eval()
    params = [p for p in module.parameters() if p.is_floating_point()]
    flags = [p.requires_grad for p in params]
    traced_inputs = []
    for x in example_inputs:
        if not isinstance(x, torch.Tensor):
            raise TypeError(f"example inputs must be tensors, got {type(x).__name__}")
        x = x.detach().clone()
        if x.is_floating_point():
            x.requires_grad_(True)  # keeps the fused fast paths off (see module docstring)
        traced_inputs.append(x)
    try:
        for p in params:
            p.requires_grad_(True)
        with torch.enable_grad(), _module_path_tracking(module):
            gm = proxy_tensor.make_fx(lambda *args: module(*args))(*traced_inputs)
    finally:
        for p, f in zip(params, flags):
            p.requires_grad_(f)
        module.train(was_training)
    return gm
