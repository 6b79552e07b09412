"""Importer tests, independent of the trnc compiler: the emitted MLIR is verified and executed with
upstream MLIR (mlir_ref: mlir-opt -> LLVM -> shared object -> ctypes) and compared with PyTorch
eager.  Tolerances: tolerance.py (K = accumulation length along the path)."""
import re
import subprocess

import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F

import mlir_ref
from models import GPTBlock
from error_bound import assert_within_bound, f32_error_bound
from tolerance import assert_close
from trnc.errors import UnsupportedOperatorError
from trnc.importer import import_module

pytestmark = pytest.mark.skipif(not mlir_ref.available(), reason="needs /usr/lib/llvm-22 mlir-opt and clang")


class Fn(nn.Module):
    def __init__(self, fn, **mods):
        super().__init__()
        self.fn = fn
        for k, v in mods.items():
            setattr(self, k, v)

    def forward(self, *xs):
        return self.fn(self, *xs)


def check(module, *inputs, k=1, growth=1.0, bf16_roundings=0):
    module.eval()
    imp = import_module(module, inputs)
    with torch.no_grad():
        ref = module(*inputs)
    refs = list(ref) if isinstance(ref, (tuple, list)) else [ref]
    got = mlir_ref.run(imp, *inputs)
    assert len(got) == len(refs)
    for g, r in zip(got, refs):
        assert_close(g, r, k=k, growth=growth, bf16_roundings=bf16_roundings)
    return imp


def check_network(module, *inputs):
    """Whole float32 networks: against PyTorch in float64 under the derived per-element bound of
    error_bound.py, which PyTorch's own float32 result must satisfy as well."""
    module.eval()
    imp = import_module(module, inputs)
    ref64, bounds = f32_error_bound(module, inputs)
    with torch.no_grad():
        eager = module(*inputs)
    eagers = list(eager) if isinstance(eager, (tuple, list)) else [eager]
    got = mlir_ref.run(imp, *inputs)
    assert len(got) == len(ref64) == len(eagers)
    for g, e, r, b in zip(got, eagers, ref64, bounds):
        assert_within_bound(e, r, b, "PyTorch eager float32")
        assert_within_bound(g, r, b, "imported MLIR (upstream MLIR, float32)")
    return imp


def r(*shape):
    return torch.randn(*shape)


# ---------------------------------------------------------------------------------------------
# Single operators (odd shapes)
# ---------------------------------------------------------------------------------------------
UNARY = {
    "relu": F.relu, "relu6": F.relu6, "gelu": F.gelu, "gelu_tanh": lambda x: F.gelu(x, approximate="tanh"),
    "silu": F.silu, "sigmoid": torch.sigmoid, "tanh": torch.tanh, "hardswish": F.hardswish,
    "hardsigmoid": F.hardsigmoid, "leaky_relu": lambda x: F.leaky_relu(x, 0.2), "exp": torch.exp,
    "neg": torch.neg, "abs": torch.abs, "square": lambda x: x ** 2, "rsqrt": lambda x: torch.rsqrt(x.abs() + 1),
    "sqrt": lambda x: torch.sqrt(x.abs()), "log": lambda x: torch.log(x.abs() + 0.5),
    "clamp": lambda x: x.clamp(-0.5, 0.75), "erf": torch.erf, "reciprocal": lambda x: 1.0 / (x.abs() + 1),
    "dropout_eval": lambda x: F.dropout(x, 0.3, training=False),
}


@pytest.mark.parametrize("name", sorted(UNARY))
def test_unary(name):
    fn = UNARY[name]
    check(Fn(lambda s, x: fn(x)), r(3, 5, 7) * 3)


@pytest.mark.parametrize("shapes", [((3, 1, 5), (4, 5)), ((2, 3), (3,)), ((1,), (2, 7)), ((5, 1), (1, 6))])
@pytest.mark.parametrize("op", ["add", "sub", "mul", "div"])
def test_binary_broadcast(op, shapes):
    fns = {"add": torch.add, "sub": torch.sub, "mul": torch.mul, "div": lambda a, b: a / (b.abs() + 0.5)}
    check(Fn(lambda s, a, b: fns[op](a, b)), r(*shapes[0]), r(*shapes[1]))


def test_scalar_ops_and_alpha():
    check(Fn(lambda s, x: (2.5 - x) * 3 + x / 7 - torch.add(x, x, alpha=0.5) + torch.sub(x, 1.0, alpha=2)),
          r(4, 3))


def test_linear_3d_and_no_bias():
    check(Fn(lambda s, x: s.b(s.a(x)), a=nn.Linear(7, 9), b=nn.Linear(9, 5, bias=False)), r(2, 3, 7), k=16)


def test_matmul_batched_and_bmm():
    check(Fn(lambda s, q, k: torch.matmul(q, k.transpose(-2, -1))), r(2, 3, 5, 7), r(2, 3, 4, 7), k=7)
    check(Fn(lambda s, a, b: torch.bmm(a, b)), r(3, 5, 6), r(3, 6, 2), k=6)
    check(Fn(lambda s, a, b: a @ b), r(5, 6), r(6, 3), k=6)


@pytest.mark.parametrize("cfg", [
    dict(cin=3, cout=5, k=3, stride=1, padding=1, dilation=1, groups=1, bias=True),
    dict(cin=4, cout=6, k=3, stride=2, padding=2, dilation=2, groups=1, bias=False),
    dict(cin=6, cout=6, k=3, stride=2, padding=1, dilation=1, groups=6, bias=True),   # depthwise
    dict(cin=6, cout=4, k=(1, 3), stride=(1, 2), padding=(0, 1), dilation=1, groups=2, bias=True),  # grouped
])
def test_conv2d(cfg):
    conv = nn.Conv2d(cfg["cin"], cfg["cout"], cfg["k"], stride=cfg["stride"], padding=cfg["padding"],
                     dilation=cfg["dilation"], groups=cfg["groups"], bias=cfg["bias"])
    check(Fn(lambda s, x: s.c(x), c=conv), r(2, cfg["cin"], 9, 7), k=cfg["cin"] * 9)


def test_conv1d():
    check(Fn(lambda s, x: s.c(x), c=nn.Conv1d(3, 4, 5, stride=2, padding=2)), r(2, 3, 11), k=15)


def _bn(c):
    bn = nn.BatchNorm2d(c)
    with torch.no_grad():
        bn.running_mean.uniform_(-1, 1)
        bn.running_var.uniform_(0.5, 2)
        bn.weight.uniform_(0.5, 1.5)
        bn.bias.uniform_(-0.5, 0.5)
    return bn


def test_batch_norm_folded_into_conv():
    m = Fn(lambda s, x: s.bn(s.c(x)), c=nn.Conv2d(3, 5, 3, padding=1, bias=False), bn=_bn(5))
    imp = check(m, r(2, 3, 6, 5), k=27)
    assert "linalg.conv_2d_nchw_fchw" in imp.mlir
    # Folding leaves exactly one per-channel bias add after the conv and no separate scale.
    assert imp.mlir.count("linalg.generic") == 1


def test_batch_norm_standalone():
    check(Fn(lambda s, x: s.bn(F.relu(x)), bn=_bn(4)), r(2, 4, 3, 5))


@pytest.mark.parametrize("kind", ["max", "max_ceil", "avg", "avg_nopad", "adaptive1", "adaptive2"])
def test_pooling(kind):
    fns = {
        "max": lambda x: F.max_pool2d(x, 3, 2, 1),
        "max_ceil": lambda x: F.max_pool2d(x, 2, 2, ceil_mode=True),
        "avg": lambda x: F.avg_pool2d(x, 3, 2, 1),
        "avg_nopad": lambda x: F.avg_pool2d(x, 3, 2, 1, count_include_pad=False),
        "adaptive1": lambda x: F.adaptive_avg_pool2d(x, 1),
        "adaptive2": lambda x: F.adaptive_avg_pool2d(x, (2, 3)),
    }
    check(Fn(lambda s, x: fns[kind](x)), r(2, 3, 8, 9) if kind != "max_ceil" else r(2, 3, 7, 9), k=72)


@pytest.mark.parametrize("dim", [0, 1, -1])
def test_softmax_log_softmax(dim):
    check(Fn(lambda s, x: (F.softmax(x, dim), F.log_softmax(x, dim))), r(3, 5, 7) * 4, k=8)


def test_layer_norm():
    check(Fn(lambda s, x: s.ln(x), ln=nn.LayerNorm(7)), r(2, 3, 7) * 3 + 1, k=16)
    check(Fn(lambda s, x: s.ln(x), ln=nn.LayerNorm([3, 7], elementwise_affine=False)), r(2, 3, 7), k=32)


def test_reductions():
    check(Fn(lambda s, x: (x.mean(-1), x.sum((0, 2), keepdim=True), x.mean(), x.sum(), x.amax(1))),
          r(3, 5, 7), k=105)


def test_data_movement():
    def f(s, x, y):
        B, T, D = x.shape
        a = x.view(B, T, 2, D // 2).permute(0, 2, 1, 3).contiguous()          # split heads
        b = a.transpose(1, 2).reshape(B, T, D)                                 # merge heads
        c, d = b.chunk(2, dim=-1)
        e = torch.cat([d, c, y], dim=-1)
        f1, f2, f3 = e.split([1, 3, e.shape[-1] - 4], dim=-1)
        g = torch.flatten(f3, 1) + f2.sum() + f1[:, 1:, :].sum()
        h = x[:, 0] * 2 + x[:, -1, ::2].sum(-1, keepdim=True)
        return g, h.unsqueeze(1).squeeze(1), torch.stack([x, x], 0)[1, :, ::2]
    check(Fn(f), r(2, 5, 6), r(2, 5, 3), k=8)


def test_multi_output_getitem_tuple():
    check(Fn(lambda s, x: torch.unbind(x, 1)), r(2, 3, 4))


def test_constants_and_causal_mask():
    def f(s, x):
        T = x.shape[-1]
        mask = torch.triu(torch.ones(T, T, dtype=torch.bool), 1)
        pos = torch.arange(T, dtype=torch.float32) / T
        return (x + pos).masked_fill(mask, float("-inf")).softmax(-1)
    check(Fn(f), r(2, 6, 6), k=8)


def test_embedding_with_int64_ids():
    m = Fn(lambda s, ids, x: s.e(ids) + x, e=nn.Embedding(11, 6))
    ids = torch.tensor([[1, 5, 10], [0, 3, 3]])
    imp = check(m, ids, r(2, 3, 6))
    assert imp.inputs[0].program_dtype == torch.int32


def test_buffer_slice_constant_folded():
    class M(nn.Module):
        def __init__(self):
            super().__init__()
            self.register_buffer("bias", torch.tril(torch.ones(8, 8)).view(1, 1, 8, 8))

        def forward(self, x):
            T = x.size(-1)
            return x.masked_fill(self.bias[:, :, :T, :T] == 0, -1e4)
    imp = check(M(), r(2, 3, 5, 5))
    assert "tensor.extract_slice" not in imp.mlir  # the mask is folded to a constant


def test_bf16_mlp():
    m = nn.Sequential(nn.Linear(12, 16), nn.GELU(), nn.Linear(16, 5)).to(torch.bfloat16)
    x = r(3, 12).to(torch.bfloat16)
    imp = check(m, x, k=16, bf16_roundings=4, growth=2.0)
    assert "bf16" in imp.mlir and "tensor<3x12xbf16>" in imp.mlir


# ---------------------------------------------------------------------------------------------
# Models
# ---------------------------------------------------------------------------------------------
def test_mlp():
    m = nn.Sequential(nn.Flatten(), nn.Linear(20, 32), nn.ReLU(), nn.Dropout(0.5), nn.Linear(32, 10), nn.LogSoftmax(-1))
    check_network(m, r(4, 4, 5))


class SmallCNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(3, 8, 3, padding=1, bias=False), _bn(8), nn.ReLU6(inplace=True), nn.MaxPool2d(2),
            nn.Conv2d(8, 8, 3, padding=1, groups=8), _bn(8), nn.Hardswish(),
            nn.Conv2d(8, 16, 1), nn.SiLU(), nn.AdaptiveAvgPool2d(1))
        self.head = nn.Linear(16, 5)

    def forward(self, x):
        y = self.features(x)
        return self.head(torch.flatten(y, 1))


def test_small_cnn():
    check_network(SmallCNN(), r(2, 3, 12, 10))


@pytest.mark.parametrize("norm_first", [False, True])
@pytest.mark.parametrize("batch_first", [True, False])
def test_transformer_encoder_layer(norm_first, batch_first):
    layer = nn.TransformerEncoderLayer(16, 4, 40, dropout=0.1, batch_first=batch_first, norm_first=norm_first)
    x = r(2, 5, 16) if batch_first else r(5, 2, 16)
    imp = check_network(layer, x)
    assert "_transformer_encoder_layer_fwd" not in imp.mlir


def test_multihead_attention_module():
    mha = nn.MultiheadAttention(12, 3, batch_first=True)
    m = Fn(lambda s, q, kv: s.mha(q, kv, kv, need_weights=False)[0], mha=mha)
    check_network(m, r(2, 4, 12), r(2, 6, 12))


def test_gpt_block_causal():
    check_network(GPTBlock(), r(2, 7, 16))


def test_locations_are_module_paths():
    imp = import_module(SmallCNN().eval(), (r(1, 3, 8, 8),))
    assert 'loc("features.0")' in imp.mlir  # conv (its batch norm is folded into it)
    assert 'loc("head")' in imp.mlir
    # The MLIR parses with upstream mlir-opt and keeps the locations.
    out = subprocess.run([f"{mlir_ref.LLVM}/bin/mlir-opt", "--mlir-print-debuginfo", "-"], input=imp.mlir,
                         capture_output=True, text=True, check=True).stdout
    assert '"features.7"' in out


def test_input_names_from_forward_signature():
    imp = import_module(Fn(lambda s, *xs: xs[0] + xs[1]), (r(2), r(2)))
    assert 'trn.name = "xs0"' in imp.mlir and 'trn.name = "xs1"' in imp.mlir
    imp = import_module(GPTBlock().eval(), (r(1, 3, 16),))
    assert '%arg0: tensor<1x3x16xf32> {trn.name = "x"}' in imp.mlir


def test_weights_are_hex_constants():
    imp = import_module(nn.Linear(3, 2).eval(), (r(1, 3),))
    assert re.search(r'arith.constant dense<"0x[0-9A-F]+"> : tensor<3x2xf32>', imp.mlir)  # folded W^T


# ---------------------------------------------------------------------------------------------
# torchvision (random weights, nothing downloaded)
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["resnet18", "mobilenet_v2"])
def test_torchvision_import_and_numerics(name):
    torchvision = pytest.importorskip("torchvision")
    m = getattr(torchvision.models, name)(weights=None, num_classes=10).eval()
    for mod in m.modules():
        if isinstance(mod, nn.BatchNorm2d):
            with torch.no_grad():
                mod.running_mean.uniform_(-0.1, 0.1)
                mod.running_var.uniform_(0.5, 1.5)
    x = r(1, 3, 40, 40)
    imp = check_network(m, x)
    assert imp.mlir.count("linalg.conv_2d_nchw_fchw") + imp.mlir.count("linalg.depthwise_conv_2d_nchw_chw") > 15
    assert "native_batch_norm" not in imp.mlir


# ---------------------------------------------------------------------------------------------
# Unsupported operators
# ---------------------------------------------------------------------------------------------
class Unsupported(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(nn.Linear(4, 4), Fn(lambda s, x: torch.cumsum(x, 1)))
        self.up = nn.Upsample(scale_factor=2)
        self.tail = Fn(lambda s, x: torch.sort(x, -1)[0])

    def forward(self, x):
        y = self.body(x)
        z = self.up(y.view(1, 1, 2, 4))
        return self.tail(z), torch.cumsum(y, 0)


def test_unsupported_operator_error_lists_every_occurrence():
    with pytest.raises(UnsupportedOperatorError) as info:
        import_module(Unsupported(), (r(2, 4),))
    e = info.value
    ops = [(op, path) for op, path, _ in e.operators]
    assert ops == [("aten.cumsum.default", "body.1 (Fn)"), ("aten.upsample_nearest2d.vec", "up (Upsample)"),
                   ("aten.sort.default", "tail (Fn)"), ("aten.cumsum.default", "<root> (Unsupported)")]
    msg = str(e)
    assert "4 unsupported operator occurrence(s)" in msg
    assert "aten.upsample_nearest2d.vec at up (Upsample)" in msg


def test_unsupported_argument_reasons():
    with pytest.raises(UnsupportedOperatorError, match="transposed convolution"):
        import_module(nn.ConvTranspose2d(2, 2, 3).eval(), (r(1, 2, 4, 4),))
    m = Fn(lambda s, x: x.masked_fill(x > 0, 0.0))
    with pytest.raises(UnsupportedOperatorError, match="compile-time constant"):
        import_module(m, (r(3, 3),))
    with pytest.raises(UnsupportedOperatorError, match="non-uniform windows"):
        import_module(Fn(lambda s, x: F.adaptive_avg_pool2d(x, 3)), (r(1, 1, 5, 5),))


# ---------------------------------------------------------------------------------------------
# The emitted MLIR satisfies trnc's stage-1 contract (trn-check-entry), when the compiler is built
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["cnn", "gpt", "encoder", "mha", "resnet18", "mobilenet_v2", "bf16"])
def test_trn_check_entry_accepts_import(name):
    compiler = pytest.importorskip("trnc._compiler", reason="trnc._compiler not built")
    import torchvision
    models = {
        "cnn": lambda: (SmallCNN(), (r(1, 3, 8, 8),)),
        "gpt": lambda: (GPTBlock(), (r(2, 5, 16),)),
        "encoder": lambda: (nn.TransformerEncoderLayer(16, 4, 32, batch_first=True), (r(2, 5, 16),)),
        "mha": lambda: (Fn(lambda s, x: s.m(x, x, x)[0], m=nn.MultiheadAttention(8, 2)), (r(3, 2, 8),)),
        "resnet18": lambda: (torchvision.models.resnet18(num_classes=10), (r(1, 3, 32, 32),)),
        "mobilenet_v2": lambda: (torchvision.models.mobilenet_v2(num_classes=10), (r(1, 3, 32, 32),)),
        "bf16": lambda: (nn.Sequential(nn.Linear(8, 8), nn.SiLU()).to(torch.bfloat16),
                         (r(2, 8).to(torch.bfloat16),)),
    }
    m, ins = models[name]()
    imp = import_module(m.eval(), ins)
    ok, text = compiler.compile(imp.mlir, "trn2", "none", "entry")
    assert ok, text[:3000]
