"""Shared helpers of the modeled-time benchmarks (nki_matmul_calibration.py,
utilization.py): compile with trnc, run `trn-run --timing-only` (no input
files: the emulator models time without reading values) and read the stats."""
import json
import os
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from gemm_mlir import gemm_mlir  # noqa: E402


class BenchError(Exception):
    pass


def tools(build_dir):
    b = os.path.join(build_dir, "bin")
    t = {"trnc": os.path.join(b, "trnc"), "trn-run": os.path.join(b, "trn-run")}
    for name, path in t.items():
        if not os.access(path, os.X_OK):
            raise BenchError(f"{path} not found: build {name} first")
    return t


def compile_and_time(t, mlir_text, target, extra=(), workdir=None):
    """Returns (stats dict, compile seconds, run seconds)."""
    with tempfile.TemporaryDirectory(dir=workdir) as d:
        src = os.path.join(d, "in.mlir")
        with open(src, "w") as f:
            f.write(mlir_text)
        prog, stats = os.path.join(d, "p.trnx"), os.path.join(d, "s.json")
        t0 = time.monotonic()
        p = subprocess.run([t["trnc"], src, f"--target={target}", "-o", prog, *extra],
                           capture_output=True, text=True)
        t1 = time.monotonic()
        if p.returncode:
            msg = p.stderr.strip().splitlines()[-1] if p.stderr.strip() else "trnc failed"
            # "error: /tmp/.../in.mlir:L:C: message" -> "message"
            raise BenchError(msg.split(": ", 2)[-1] if src in msg else msg)
        p = subprocess.run([t["trn-run"], prog, "--timing-only", f"--stats-json={stats}"],
                           capture_output=True, text=True)
        t2 = time.monotonic()
        if p.returncode:
            raise BenchError(p.stderr.strip())
        with open(stats) as f:
            return json.load(f), t1 - t0, t2 - t1


def busy_summary(stats):
    b = stats["engine_busy"]
    dma = [v for k, v in b.items() if k.startswith("dma")]
    return {
        "pe": b.get("pe", 0.0), "act": b.get("act", 0.0), "dve": b.get("dve", 0.0),
        "pool": b.get("pool", 0.0),
        "dma_mean": sum(dma) / len(dma) if dma else 0.0, "dma_max": max(dma) if dma else 0.0,
    }
