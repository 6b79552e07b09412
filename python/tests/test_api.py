"""API tests of the trnc package: compile_mlir -> CompiledModule, running on the emulator,
save/load, numpy/torch in/out, stats, profile, asm, errors.

The program used here is written at device level (trn dialect, the docs/pipeline.md stage-6
contract), which trnc compiles with only allocate + schedule + serialize, so these tests do not
depend on the tensor-level passes; end-to-end tests from PyTorch are in test_e2e.py."""
import json
import os

import numpy as np
import pytest
import torch
import torch.nn as nn

import trnc

rt = pytest.importorskip("trnc._runtime", reason="trnc extension not built (PYTHONPATH=build/python)")

DEVICE_MLIR = """
module {
  func.func @lin(%x: memref<64x32xf32, #trn.mem<hbm>> {trn.kind = "input", trn.name = "x"},
      %w: memref<64x16xf32, #trn.mem<hbm>> {trn.kind = "input", trn.name = "w"},
      %y: memref<16x32xf32, #trn.mem<hbm>> {trn.kind = "output", trn.name = "y"}) {
    %sbuf1 = trn.alloc() : memref<64x16xf32, #trn.mem<sbuf>>
    trn.dma_copy %w -> %sbuf1 : memref<64x16xf32, #trn.mem<hbm>> -> memref<64x16xf32, #trn.mem<sbuf>>
    %sbuf2 = trn.alloc() : memref<64x32xf32, #trn.mem<sbuf>>
    trn.dma_copy %x -> %sbuf2 : memref<64x32xf32, #trn.mem<hbm>> -> memref<64x32xf32, #trn.mem<sbuf>>
    %psum3 = trn.alloc() : memref<16x32xf32, #trn.mem<psum>>
    trn.matmul %sbuf1, %sbuf2 -> %psum3 : memref<64x16xf32, #trn.mem<sbuf>>, memref<64x32xf32, #trn.mem<sbuf>> -> memref<16x32xf32, #trn.mem<psum>>
    %sbuf4 = trn.alloc() : memref<16x32xf32, #trn.mem<sbuf>>
    trn.activation relu %psum3 -> %sbuf4 scale(1.0) bias(0.0) : memref<16x32xf32, #trn.mem<psum>> -> memref<16x32xf32, #trn.mem<sbuf>>
    trn.dma_copy %sbuf4 -> %y : memref<16x32xf32, #trn.mem<sbuf>> -> memref<16x32xf32, #trn.mem<hbm>>
    return
  }
}
"""

# relu(w^T x) with K = 64: products exact, f32 sums; |err| <= K * 2^-24 * sum|w||x| per element.
def reference(x, w):
    return np.maximum(w.astype(np.float64).T @ x.astype(np.float64), 0)


def bound(x, w):
    return 64 * 2.0 ** -24 * (np.abs(w).T.astype(np.float64) @ np.abs(x).astype(np.float64))


@pytest.fixture(scope="module")
def cm():
    return trnc.compile_mlir(DEVICE_MLIR, target="trn2")


@pytest.fixture
def xw():
    rng = np.random.default_rng(3)
    return rng.standard_normal((64, 32)).astype(np.float32), rng.standard_normal((64, 16)).astype(np.float32)


def test_signature_and_asm(cm):
    assert [s["name"] for s in cm.inputs] == ["x", "w"]
    assert cm.inputs[0]["dtype"] == "f32" and tuple(cm.inputs[0]["shape"]) == (64, 32)
    assert [(s["name"], tuple(s["shape"])) for s in cm.outputs] == [("y", (16, 32))]
    asm = cm.asm()
    assert "matmul" in asm and "activation" in asm and "trn2" in asm
    assert cm.mlir() == DEVICE_MLIR
    assert "CompiledModule" in repr(cm)


def test_numpy_in_numpy_out(cm, xw):
    x, w = xw
    y = cm(x, w)
    assert isinstance(y, np.ndarray) and y.dtype == np.float32 and y.shape == (16, 32)
    assert (np.abs(y - reference(x, w)) <= bound(x, w)).all()


def test_torch_in_torch_out(cm, xw):
    x, w = xw
    y = cm(torch.from_numpy(x), torch.from_numpy(w))
    assert isinstance(y, torch.Tensor) and y.dtype == torch.float32
    assert np.array_equal(y.numpy(), cm(x, w))  # the emulator is deterministic


def test_stats_keys(cm, xw):
    cm(*xw)
    for key in ("total_cycles", "time_us", "tensor_engine_utilization", "engine_busy", "dma_bytes",
                "instructions", "critical_queue"):
        assert key in cm.stats, key
    assert cm.stats["total_cycles"] > 0
    assert cm.stats["instructions"] == 5  # 3 DMAs, matmul, activation
    assert "cycles" in cm.stats_table


def test_profile_written(cm, xw, tmp_path):
    path = tmp_path / "trace.json"
    cm.run(*xw, profile=path, check=True)
    trace = json.loads(path.read_text())
    events = trace["traceEvents"] if isinstance(trace, dict) else trace
    assert any(e.get("ph") == "X" for e in events)


def test_save_load_round_trip(cm, xw, tmp_path):
    path = tmp_path / "lin.trnx"
    cm.save(path)
    loaded = trnc.load(path)
    assert loaded.to_bytes() == cm.to_bytes()
    assert loaded.asm() == cm.asm()
    assert loaded.mlir() is None
    assert np.array_equal(loaded(*xw), cm(*xw))


def test_load_errors(tmp_path):
    with pytest.raises(trnc.TrncRuntimeError, match="missing.trnx"):
        trnc.load(tmp_path / "missing.trnx")
    bad = tmp_path / "bad.trnx"
    bad.write_bytes(b"not a program")
    with pytest.raises(trnc.TrncRuntimeError):
        trnc.load(bad)


def test_input_errors(cm, xw):
    x, w = xw
    with pytest.raises(trnc.TrncRuntimeError, match="takes 2 input"):
        cm(x)
    with pytest.raises(trnc.TrncRuntimeError, match=r"shape \(32, 64\)"):
        cm(x.T.copy(), w)
    with pytest.raises(trnc.TrncRuntimeError, match="float64"):
        cm(x.astype(np.float64), w)


def test_compile_errors_carry_diagnostics():
    with pytest.raises(trnc.CompileError) as e:
        trnc.compile_mlir("func.func @f( {", target="trn2")
    assert "error" in str(e.value) and e.value.diagnostics
    with pytest.raises(trnc.CompileError, match="unknown target"):
        trnc.compile_mlir(DEVICE_MLIR, target="trn9")
    with pytest.raises(trnc.CompileError, match="quant"):
        trnc.compile_mlir(DEVICE_MLIR, quant="int3")
    pinned = 'module attributes {trn.target = #trn.target<"trn3">} {\n}\n'
    with pytest.raises(trnc.CompileError, match=r"target=trn2 conflicts with the module's trn.target"):
        trnc.compile_mlir(pinned, target="trn2")


def test_other_targets(xw):
    for target in ("trn1", "trn3"):
        cm = trnc.compile_mlir(DEVICE_MLIR, target=target)
        assert cm.target == target
        x, w = xw
        assert (np.abs(cm(x, w) - reference(x, w)) <= bound(x, w)).all()


def test_unsupported_operator_error_before_compilation(monkeypatch):
    # No compilation may happen: make the compiler explode if it is reached.
    import trnc._api as api
    monkeypatch.setattr(api, "_compile_to_bytes", lambda *a, **k: pytest.fail("compiler was called"))

    class M(nn.Module):
        def __init__(self):
            super().__init__()
            self.enc = nn.Sequential(nn.Linear(4, 4), nn.Upsample(scale_factor=2))

        def forward(self, x):
            return torch.cumsum(self.enc(x), -1)

    with pytest.raises(trnc.UnsupportedOperatorError) as info:
        trnc.compile(M(), (torch.randn(1, 1, 4, 4),))
    ops = [o for o, _, _ in info.value.operators]
    assert "aten.cumsum.default" in ops
    assert any(p.startswith("enc.1") for _, p, _ in info.value.operators), info.value.operators


def test_compile_error_is_one_line_per_diagnostic():
    # Same contract as the trnc driver (docs/cli.md): one line per diagnostic, no generic-form
    # dump of the failing op.
    text = """func.func @f(%x: tensor<4xf32>) -> tensor<4xf32> {
  %0 = tensor.generate {
  ^bb0(%i: index):
    %c = arith.constant 1.0 : f32
    tensor.yield %c : f32
  } : tensor<4xf32>
  return %0 : tensor<4xf32>
}"""
    with pytest.raises(trnc.CompileError) as e:
        trnc.compile_mlir(text, target="trn2")
    lines = e.value.diagnostics.splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith("error: <trnc.compile_mlir>:2:8: 'tensor.generate' op is not supported by trnc")
    assert "see current operation" not in e.value.diagnostics


def test_stats_by_source_names_model_layers():
    from collections import OrderedDict
    torch.manual_seed(0)
    m = nn.Sequential(OrderedDict([("fc1", nn.Linear(64, 128)), ("act", nn.ReLU()),
                                   ("fc2", nn.Linear(128, 10))])).eval()
    x = torch.randn(8, 64)
    cm = trnc.compile(m, (x,), target="trn2")
    cm(x)
    assert "by_source" not in cm.stats  # only on request (it records a trace)
    cm.run(x, by_source=True)
    rows = cm.stats["by_source"]
    names = {r["source"] for r in rows}
    assert {"fc1", "fc2"} <= names, names
    # Every instruction is attributed to exactly one source.
    assert sum(r["instructions"] for r in rows) == cm.stats["instructions"]
    assert sum(r["dma_bytes"] for r in rows) == cm.stats["dma_bytes"]
    pe_us = sum(r["engine_busy_us"].get("pe", 0.0) for r in rows)
    # engine_busy is a fraction rounded to 1e-6 in the stats JSON.
    t = cm.stats["time_us"]
    assert pe_us == pytest.approx(cm.stats["engine_busy"]["pe"] * t, abs=0.5e-6 * t + 1e-9)
    assert all(r["first_us"] <= r["last_us"] <= t + 1e-6 for r in rows)  # time_us rounded to 1e-6
    assert "busy time by source op" in cm.stats_table
