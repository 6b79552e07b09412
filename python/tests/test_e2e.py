"""End to end: torch.nn.Module -> trnc.compile (importer + the trnc pipeline) -> emulator, compared
with PyTorch eager.

Single operators use tolerance.py (K-term accumulation bounds).  Whole layers and models are
compared with PyTorch eager in float64 under the per-element float32 error bound derived in
error_bound.py (local rounding errors of every ATen op pushed to the outputs through the
float64 Jacobian); PyTorch's own float32 result must satisfy the same bound, which checks the
derivation on an independent implementation.

Quantized models (fp8-e4m3 on trn2, mxfp8 on trn3): relative Frobenius error of the output
against the float64 reference, bounded from QUANT.md's per-matmul budgets (see
quant_error_bound)."""
import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F

import trnc
import models
from error_bound import assert_within_bound, f32_error_bound
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


def test_small_cnn():
    m = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(), nn.MaxPool2d(2),
                      nn.Conv2d(8, 16, 3, padding=1), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(),
                      nn.Linear(16, 10))
    models.realistic_batch_norm(m)
    check_model(m.eval(), (torch.randn(2, 3, 16, 16),))


_BOUNDS = {}


def reference(name):
    """(module, inputs, float64 reference outputs, derived float32 bounds), computed once."""
    if name not in _BOUNDS:
        if name in ("resnet18", "mobilenet_v2"):
            pytest.importorskip("torchvision")
        m, xs = models.MODELS[name]()
        _BOUNDS[name] = (m, xs) + f32_error_bound(m, xs)
    return _BOUNDS[name]


def check_model(m, xs, ref64=None, bounds=None, target="trn2"):
    if ref64 is None:
        ref64, bounds = f32_error_bound(m, xs)
    cm = trnc.compile(m, xs, target=target)
    with torch.no_grad():
        eager = m(*xs)
    got = cm(*xs)
    eagers = list(eager) if isinstance(eager, (tuple, list)) else [eager]
    gots = list(got) if isinstance(got, (tuple, list)) else [got]
    assert len(gots) == len(ref64)
    for g, e, r, b in zip(gots, eagers, ref64, bounds):
        assert isinstance(g, torch.Tensor) and g.dtype == torch.float32
        assert_within_bound(e, r, b, "PyTorch eager float32")   # the bound itself holds
        assert_within_bound(g, r, b, "trnc")
    assert cm.stats["total_cycles"] > 0
    return cm


@pytest.mark.parametrize("name", list(models.MODELS))
def test_model_f32(name):
    m, xs, ref64, bounds = reference(name)
    cm = check_model(m, xs, ref64, bounds)
    assert cm.stats["tensor_engine_utilization"] > 0
    assert "matmul" in cm.asm()


def test_gpt_block_causal_mask_is_applied():
    # The causal mask really is part of the program: position 0 of the output depends only on
    # token 0, so changing later tokens must leave it bit-identical, and position T-1 must move.
    m, (x,), _, _ = reference("gpt_block")
    cm = trnc.compile(m, (x,))
    x2 = x.clone()
    x2[:, 1:] += torch.randn_like(x2[:, 1:])
    y, y2 = cm(x), cm(x2)
    assert torch.equal(y[:, 0], y2[:, 0])
    assert (y[:, -1] - y2[:, -1]).abs().max() > 1e-2


def test_numpy_inputs_model():
    m, xs, ref64, bounds = reference("encoder_layer")
    cm = trnc.compile(m, xs)
    y = cm(*[x.numpy() for x in xs])
    assert type(y).__name__ == "ndarray" and y.dtype.name == "float32"
    assert_within_bound(torch.from_numpy(y), ref64[0], bounds[0], "trnc (numpy inputs)")
    assert torch.equal(torch.from_numpy(y), cm(*xs))  # same program, same bits either way


def test_save_load_compiled_model(tmp_path):
    m, xs, ref64, bounds = reference("gpt_block")
    cm = trnc.compile(m, xs, target="trn2")
    y = cm(*xs)
    path = tmp_path / "gpt_block.trnx"
    cm.save(path)
    loaded = trnc.load(path)
    assert loaded.to_bytes() == cm.to_bytes()
    assert loaded.target == "trn2" and loaded.inputs == cm.inputs and loaded.outputs == cm.outputs
    assert loaded.mlir() is None and loaded.quantization_report is None
    y_np = loaded(xs[0].numpy())                # numpy in -> numpy out
    y_t = loaded(*xs)                           # torch in -> torch out
    assert type(y_np).__name__ == "ndarray" and isinstance(y_t, torch.Tensor)
    assert torch.equal(torch.from_numpy(y_np), y) and torch.equal(y_t, y)
    assert_within_bound(y_t, ref64[0], bounds[0], "trnc (loaded program)")
    assert loaded.stats["total_cycles"] == cm.stats["total_cycles"]


# -- quantized models -----------------------------------------------------------------------------
# QUANT.md "Error budgets": relative Frobenius error of one random-normal matmul with both
# operands quantized (K = 4096): FP8 E4M3 per-tensor 3.7e-2, MXFP8 E4M3 4.1e-2 (~0.6 u of the
# element format, independent of K).  trnc's defaults are no worse (per-channel weight scales,
# per-tensor dynamic activation scales; MX: one scale per 32 along K).
QUANT_BUDGET = {"fp8-e4m3": 3.7e-2, "mxfp8": 4.1e-2}
QUANT_SAFETY = 3.0


def quant_error_bound(mode, depth):
    """How the per-matmul errors compose: each of the L quantized layers on the longest path adds
    an independent relative error of RMS eps, which later layers carry with a gain of about 1
    (ReLU/GELU are 1-Lipschitz, layer norm rescales signal and error alike, residual branches
    dilute it), so the output sees ~sqrt(L) eps.  Safety factor 3: eps is an RMS estimate, not a
    maximum, and softmax multiplies a relative error of the logits by the logits' magnitude
    (|q.k|/sqrt(d) <= ~3 for these random-weight blocks)."""
    return QUANT_SAFETY * depth ** 0.5 * QUANT_BUDGET[mode]


def quant_floor(mode):
    """Quantization really happened: one quantized matmul alone gives ~eps; 1/20 of it is still
    >1000x above the float32 rounding error of these models (< 1e-5 relative, error_bound.py)."""
    return QUANT_BUDGET[mode] / 20


def rel_frobenius(got, ref64):
    got = torch.as_tensor(got).double()
    return float((got - ref64).norm() / ref64.norm())


QUANT_CASES = [
    pytest.param("fp8-e4m3", "trn2", id="fp8-e4m3-trn2"),
    pytest.param("mxfp8", "trn3", id="mxfp8-trn3"),
]


def _quant_params():
    for name in models.MODELS:
        for case in QUANT_CASES:
            mode, target = case.values
            yield pytest.param(name, mode, target, id=f"{name}-{case.id}", marks=list(case.marks))


@pytest.mark.parametrize("name,mode,target", list(_quant_params()))
def test_model_quantized(name, mode, target):
    m, xs, ref64, _ = reference(name)
    cm = trnc.compile(m, xs, target=target, quant=mode)
    assert cm.quant == mode and cm.target == target
    got = cm(*xs)
    err = rel_frobenius(got, ref64[0])
    hi, lo = quant_error_bound(mode, models.QUANT_DEPTH[name]), quant_floor(mode)
    assert err <= hi, f"{name} {mode}: relative Frobenius error {err:.3g} exceeds {hi:.3g}"
    assert err >= lo, f"{name} {mode}: relative error {err:.3g} < {lo:.3g}: was anything quantized?"
    # The report compares with PyTorch eager float32 on the example inputs.
    rep = cm.quantization_report
    assert rep["mode"] == mode and len(rep["outputs"]) == 1
    out = rep["outputs"][0]
    assert abs(out["rel_l2_error"] - err) <= 1e-3 * err + 1e-6
    assert out["max_abs_error"] > 0 and 0 < out["sqnr_db"] < 200


# -- compile options ------------------------------------------------------------------------------
def test_calibrated_fp8_scales():
    # calibrate=True: activation scales fixed at compile time from the example inputs (static),
    # so the program has no on-device amax reductions; accuracy stays within the same budget.
    m, xs, ref64, _ = reference("mlp")
    dyn = trnc.compile(m, xs, target="trn2", quant="fp8-e4m3")
    cal = trnc.compile(m, xs, target="trn2", quant="fp8-e4m3", calibrate=True)
    assert "tensor_reduce" in dyn.asm() and "tensor_reduce" not in cal.asm()
    err = rel_frobenius(cal(*xs), ref64[0])
    hi, lo = quant_error_bound("fp8-e4m3", models.QUANT_DEPTH["mlp"]), quant_floor("fp8-e4m3")
    assert lo <= err <= hi
    # Calibrating on other inputs is allowed too (a tuple in program input order).
    other = trnc.compile(m, xs, target="trn2", quant="fp8-e4m3", calibrate=(2 * xs[0],))
    assert other.asm() != cal.asm()


def test_per_tensor_weights_and_tiling_options():
    m, xs, ref64, _ = reference("mlp")
    pc = trnc.compile(m, xs, target="trn2", quant="fp8-e4m3")
    pt = trnc.compile(m, xs, target="trn2", quant="fp8-e4m3", quant_weights="per-tensor")
    assert pc.asm() != pt.asm()
    assert rel_frobenius(pt(*xs), ref64[0]) <= quant_error_bound("fp8-e4m3",
                                                                 models.QUANT_DEPTH["mlp"])
    # GEMM blocking of a standalone 256x1024x256 matmul (docs/scheduling.md): naive (per-K-step
    # loads) vs the cost model's choice; both within the f32 bound K u sum|a b| of the float64
    # product.
    a, b = torch.randn(256, 256), torch.randn(256, 1024)
    text = """func.func @mm(%a: tensor<256x256xf32>, %b: tensor<256x1024xf32>) -> tensor<256x1024xf32> {
  %z = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<256x1024xf32>
  %f = linalg.fill ins(%z : f32) outs(%e : tensor<256x1024xf32>) -> tensor<256x1024xf32>
  %c = linalg.matmul ins(%a, %b : tensor<256x256xf32>, tensor<256x1024xf32>) outs(%f : tensor<256x1024xf32>) -> tensor<256x1024xf32>
  return %c : tensor<256x1024xf32>
}"""
    ref = a.double() @ b.double()
    bound = 256 * 2.0 ** -24 * (a.double().abs() @ b.double().abs())
    naive = trnc.compile_mlir(text, target="trn2", tiling="naive")
    auto = trnc.compile_mlir(text, target="trn2")
    assert naive.asm() != auto.asm()
    for cm in (naive, auto):
        assert bool(((cm(a, b).double() - ref).abs() <= bound).all())


@pytest.mark.parametrize("kwargs,message", [
    ({"quant": "none", "calibrate": True}, "calibration needs quant='fp8-e4m3' or 'fp8-e5m2'"),
    ({"quant": "fp8-e4m3", "quant_weights": "per-row"},
     "quant_weights='per-row': expected 'per-channel' or 'per-tensor'"),
    ({"tiling": "diagonal"}, "diagonal"),
])
def test_compile_option_errors(kwargs, message):
    m, xs = models.mlp()
    with pytest.raises(trnc.CompileError) as e:
        trnc.compile(m, xs, target="trn2", **kwargs)
    assert message in str(e.value)
