"""End to end: torch.nn.Module -> trnc.compile (importer + the trnc pipeline) -> emulator, compared
with PyTorch eager.  Tolerances: tolerance.py."""
import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F

import trnc
from tolerance import assert_close

pytest.importorskip("trnc._runtime", reason="trnc extension not built (PYTHONPATH=build/python)")


def _compiler_available():
    try:
        from trnc import _compiler  # noqa: F401
        return True
    except ImportError:
        return trnc._api._compiler_binary() is not None


pytestmark = pytest.mark.skipif(not _compiler_available(), reason="trnc compiler not built")


def run_e2e(module, *inputs, k, growth=1.0, target="trn2"):
    module.eval()
    cm = trnc.compile(module, inputs, target=target)
    with torch.no_grad():
        ref = module(*inputs)
    got = cm(*inputs)
    refs = list(ref) if isinstance(ref, (tuple, list)) else [ref]
    gots = list(got) if isinstance(got, (tuple, list)) else [got]
    for g, r in zip(gots, refs):
        assert isinstance(g, torch.Tensor)
        assert_close(g, r, k=k, growth=growth)
    assert cm.stats["total_cycles"] > 0
    return cm


class Fn(nn.Module):
    def __init__(self, fn):
        super().__init__()
        self.fn = fn

    def forward(self, *xs):
        return self.fn(*xs)


# -- compiled and run end to end today -----------------------------------------------------------
def test_elementwise_chain():
    run_e2e(Fn(lambda x: F.relu(x) * 2 + 1), torch.randn(128, 64), k=1)


def test_softmax_rows():
    run_e2e(Fn(lambda x: F.softmax(x, -1)), torch.randn(32, 50) * 3, k=50)


def test_layer_norm_no_affine():
    run_e2e(Fn(lambda x: F.layer_norm(x, (40,))), torch.randn(16, 40) * 2 + 1, k=80)


def test_row_sum():
    run_e2e(Fn(lambda x: x.sum(-1)), torch.randn(16, 40), k=40)


@pytest.mark.parametrize("target", ["trn1", "trn2", "trn3"])
def test_matmul_feature_major(target):
    # x^T @ y: the contraction dim is already the leading (partition) dim of both operands.
    cm = run_e2e(Fn(lambda x, y: x.t() @ y), torch.randn(64, 32), torch.randn(64, 48), k=64, target=target)
    assert "matmul" in cm.asm()
    assert [s["name"] for s in cm.inputs] == ["xs0", "xs1"]  # from forward(self, *xs)


def test_numpy_in_numpy_out_from_torch_compile():
    x = torch.randn(128, 64)
    cm = trnc.compile(Fn(lambda x: torch.tanh(x)), (x,))
    y = cm(x.numpy())
    assert type(y).__name__ == "ndarray"
    assert_close(torch.from_numpy(y), torch.tanh(x), k=1)


def test_bf16_elementwise_torch_dtype_round_trip():
    x = torch.randn(128, 64).to(torch.bfloat16)
    m = Fn(lambda x: F.relu(x) * 3 - 1)
    cm = trnc.compile(m, (x,))
    assert cm.inputs[0]["dtype"] == "bf16"
    y = cm(x)
    assert y.dtype == torch.bfloat16
    assert_close(y, m(x), k=1, bf16_roundings=2)


# -- whole layers and models -------------------------------------------------------------------
def test_broadcast_bias_gelu():
    run_e2e(Fn(lambda x, b: F.gelu(x + b)), torch.randn(64, 96), torch.randn(96), k=1)


def test_matmul_row_major():
    run_e2e(Fn(lambda x, y: x @ y), torch.randn(32, 64), torch.randn(64, 48), k=64)


def test_linear_relu():
    run_e2e(nn.Sequential(nn.Linear(64, 32), nn.ReLU()), torch.randn(16, 64), k=64)


def test_mlp():
    m = nn.Sequential(nn.Linear(64, 128), nn.GELU(), nn.Linear(128, 10))
    run_e2e(m, torch.randn(8, 64), k=192, growth=4)


def test_small_cnn():
    m = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(), nn.MaxPool2d(2),
                      nn.Conv2d(8, 16, 3, padding=1), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(),
                      nn.Linear(16, 10))
    run_e2e(m, torch.randn(2, 3, 16, 16), k=27 + 72 + 16, growth=8)


def test_transformer_encoder_layer():
    layer = nn.TransformerEncoderLayer(32, 4, 64, batch_first=True)
    run_e2e(layer, torch.randn(2, 8, 32), k=32 * 3 + 64 + 8, growth=8)


def test_resnet18():
    torchvision = pytest.importorskip("torchvision")
    m = torchvision.models.resnet18(weights=None, num_classes=10)
    run_e2e(m, torch.randn(1, 3, 32, 32), k=4000, growth=32)


def test_mobilenet_v2():
    torchvision = pytest.importorskip("torchvision")
    m = torchvision.models.mobilenet_v2(weights=None, num_classes=10)
    run_e2e(m, torch.randn(1, 3, 32, 32), k=4000, growth=32)
