#!/usr/bin/python3
"""Helpers for the trn-run lit tests: make inputs (good and broken .npy files,
corrupted .trnx files) and check outputs against numpy.

Every `check-*` command exits 0 and prints "OK ..." on success, and exits 1 with
a message otherwise, so lit tests can pipe it into FileCheck or just run it.
"""
import json
import os
import sys

import numpy as np


def fail(msg):
    print("FAIL: " + msg)
    sys.exit(1)


# -- reference math -----------------------------------------------------------

def round_to_bf16(x):
    """f32 -> bf16 -> f32 with round-to-nearest-even (finite inputs)."""
    bits = np.asarray(x, dtype=np.float32).view(np.uint32).astype(np.uint64)
    rounded = (bits + 0x7FFF + ((bits >> 16) & 1)) >> 16
    return (rounded << 16).astype(np.uint32).view(np.float32)


def sample_constant(shape):
    """TestPrograms.h constantBytes() for f32/bf16: ((i*37) % 17 - 8) / 8."""
    n = int(np.prod(shape))
    i = np.arange(n, dtype=np.int64)
    return (((i * 37) % 17 - 8) / 8.0).astype(np.float32).reshape(shape)


def check_close(name, got, ref, abs_bound):
    """|got - ref| <= abs_bound element-wise (abs_bound an array or scalar)."""
    if got.shape != ref.shape:
        fail(f"{name}: shape {got.shape}, expected {ref.shape}")
    err = np.abs(got.astype(np.float64) - ref)
    bad = err > abs_bound
    if np.any(bad):
        idx = tuple(int(v) for v in np.argwhere(bad)[0])
        fail(f"{name}: {int(bad.sum())} elements off, first at {idx}: got {got[idx]!r}, "
             f"expected {ref[idx]!r}")
    return float(err.max()) if err.size else 0.0


# -- commands -------------------------------------------------------------------

def cmd_gen(args):
    """gen OUT.npy DTYPE SHAPE SEED [DIST]: random array (normal, or 'fp8': exact FP8 values)."""
    out, dtype, shape, seed = args[0], args[1], tuple(int(s) for s in args[2].split("x")), int(args[3])
    dist = args[4] if len(args) > 4 else "normal"
    rng = np.random.default_rng(seed)
    if dist == "fp8":
        # Values exact in both E4M3 and E5M2 (at most 2 mantissa bits, small exponents).
        choices = np.array([0, 0.25, 0.5, 0.75, 1, 1.5, 2, 3, 4, 6, -0.25, -0.5, -0.75, -1,
                            -1.5, -2, -3, -4, -6], dtype=np.float64)
        arr = rng.choice(choices, size=shape)
    else:
        arr = rng.standard_normal(shape) * 2
    np.save(out, arr.astype(dtype))


def cmd_bad_npy(args):
    """bad-npy KIND OUT.npy: a broken or unsupported .npy file of shape (256, 128)."""
    kind, out = args
    good = np.zeros((256, 128), np.float32)
    if kind == "big-endian":
        np.save(out, good.astype(">f4"))
        return
    if kind == "fortran":
        np.save(out, np.asfortranarray(good))
        return
    if kind == "f64":
        np.save(out, good.astype(np.float64))
        return
    if kind == "f16":
        np.save(out, good.astype(np.float16))
        return
    if kind == "transposed":
        np.save(out, np.ascontiguousarray(good.T))
        return
    if kind == "v2":  # valid: version 2.0 header
        from numpy.lib import format as fmt
        with open(out, "wb") as f:
            fmt.write_array(f, np.ones((256, 128), np.float32), version=(2, 0))
        return
    if kind == "v3":  # valid: version 3.0 header
        from numpy.lib import format as fmt
        with open(out, "wb") as f:
            fmt.write_array(f, np.ones((256, 128), np.float32), version=(3, 0))
        return
    import io
    buf = io.BytesIO()
    np.save(buf, good)
    data = bytearray(buf.getvalue())
    if kind == "bad-magic":
        data[1:6] = b"NUMPX"
    elif kind == "version":
        data[6] = 9
    elif kind == "malformed":
        hlen = data[8] | (data[9] << 8)
        header = bytes(data[10:10 + hlen]).replace(b"'shape': (256, 128)", b"'shape': [256, 128]")
        data[10:10 + hlen] = header
    elif kind == "truncated":
        data = data[:-5]
    elif kind == "trailing":
        data += b"\0\0\0\0"
    elif kind == "empty":
        data = bytearray()
    else:
        fail("unknown kind " + kind)
    with open(out, "wb") as f:
        f.write(bytes(data))


def cmd_corrupt(args):
    """corrupt MODE IN OUT: truncate / garbage / flip bytes of a .trnx file."""
    mode, src, out = args
    data = bytearray(open(src, "rb").read())
    if mode == "truncate":
        data = data[: len(data) // 2]
    elif mode == "header-only":
        data = data[:12]
    elif mode == "garbage":
        rng = np.random.default_rng(7)
        data = bytearray(rng.integers(0, 256, size=len(data), dtype=np.uint8).tobytes())
    elif mode == "flip":
        # Clobber the root table offset: points far outside the buffer.
        data[0:4] = (0xFFFFFF00).to_bytes(4, "little")
    else:
        fail("unknown mode " + mode)
    with open(out, "wb") as f:
        f.write(bytes(data))


def cmd_check_gemm(args):
    """check-gemm X.npy Y.npy: y = relu(bf16(xT)^T @ w) of TestPrograms.h gemm()."""
    x = np.load(args[0])
    y = np.load(args[1])
    if y.dtype != np.float32:
        fail(f"output dtype {y.dtype}, expected float32")
    xb = round_to_bf16(x).astype(np.float64)
    w = sample_constant((256, 512)).astype(np.float64)
    ref = np.maximum(xb.T @ w, 0)
    # Products of bf16 values are exact in f32; 256-term f32 sums in any order
    # are within 256 * 2^-24 * sum|terms|. A wrong (truncating) input rounding
    # would be off by ~2^-9 relative per term.
    bound = 256 * 2.0 ** -24 * (np.abs(xb.T) @ np.abs(w)) + 1e-30
    err = check_close("y", y, ref, bound)
    print(f"OK gemm max abs err {err:.3e}")


def cmd_check_fp8(args):
    """check-fp8 A.npy B.npy Y.npy: y = a^T @ b of fp8DoubleRow() with exact inputs."""
    a, b, y = (np.load(p) for p in args)
    ref = a.astype(np.float64).T @ b.astype(np.float64)
    err = check_close("y", y, ref, 0.0)  # exact values, exact sums
    print(f"OK fp8 max abs err {err:.3e}")


def cmd_check_ones(args):
    """check-ones Y.npy: gemm() output for an all-ones input."""
    y = np.load(args[0])
    w = sample_constant((256, 512)).astype(np.float64)
    ref = np.maximum(np.ones((128, 256)) @ w, 0)
    check_close("y", y, ref, 0.0)
    print("OK ones")


def cmd_check_stats(args):
    """check-stats FILE [QUEUE...]: the --stats-json schema and value ranges."""
    d = json.load(open(args[0]))
    for key in ("total_cycles", "time_us", "time_ns", "tensor_engine_utilization",
                "tensor_flops", "engine_busy", "dma_bytes", "dma_bandwidth_gbps",
                "instructions", "critical_queue", "program", "target"):
        if key not in d:
            fail("missing key " + key)
    if not (isinstance(d["total_cycles"], int) and d["total_cycles"] > 0):
        fail("total_cycles must be a positive integer")
    if not d["time_us"] > 0 or abs(d["time_us"] * 1000 - d["time_ns"]) > 1e-3:
        fail("time_us/time_ns inconsistent")
    if not 0 < d["tensor_engine_utilization"] <= 1:
        fail("tensor_engine_utilization out of (0, 1]")
    busy = d["engine_busy"]
    if not isinstance(busy, dict) or not busy:
        fail("engine_busy must be a non-empty object")
    for q, v in busy.items():
        if not 0 <= v <= 1:
            fail(f"engine_busy[{q}] = {v} out of [0, 1]")
    for q in args[1:]:
        if q not in busy:
            fail("engine_busy lacks queue " + q)
    if d["critical_queue"] not in busy or busy[d["critical_queue"]] != max(busy.values()):
        fail("critical_queue is not the busiest queue")
    if d["dma_bytes"] <= 0:
        fail("dma_bytes must be positive")
    print(f"OK stats program={d['program']} target={d['target']} "
          f"instructions={d['instructions']} dma_bytes={d['dma_bytes']} "
          f"tensor_flops={d['tensor_flops']:.0f}")


def cmd_check_trace(args):
    """check-trace FILE QUEUE...: Perfetto-loadable trace with one named track per queue."""
    d = json.load(open(args[0]))
    events = d["traceEvents"]
    tracks = {e["tid"]: e["args"]["name"] for e in events
              if e["ph"] == "M" and e["name"] == "thread_name"}
    if sorted(tracks.values()) != sorted(args[1:]):
        fail(f"tracks {sorted(tracks.values())}, expected {sorted(args[1:])}")
    slices = [e for e in events if e["ph"] == "X"]
    if not slices:
        fail("no slices")
    for s in slices:
        for key in ("name", "ts", "dur", "tid", "pid", "args"):
            if key not in s:
                fail(f"slice without {key}: {s}")
        if s["tid"] not in tracks or s["dur"] < 0:
            fail(f"bad slice {s}")
        if "operands" not in s["args"] or "dst" not in s["args"]["operands"]:
            fail(f"slice without operands: {s}")
    starts = {e["id"]: e for e in events if e["ph"] == "s"}
    ends = {e["id"]: e for e in events if e["ph"] == "f"}
    if set(starts) != set(ends):
        fail("unpaired flow events")
    waited = [s for s in slices if "waited_on" in s["args"]
              and not s["args"]["waited_on"].startswith(tracks[s["tid"]] + "[")]
    if len(starts) != len(waited):
        fail(f"{len(starts)} flows for {len(waited)} cross-queue waits")
    names = sorted({s["name"] for s in slices})
    print(f"OK trace tracks={len(tracks)} slices={len(slices)} flows={len(starts)} "
          f"opcodes={','.join(names)}")


COMMANDS = {
    "gen": cmd_gen,
    "bad-npy": cmd_bad_npy,
    "corrupt": cmd_corrupt,
    "check-gemm": cmd_check_gemm,
    "check-fp8": cmd_check_fp8,
    "check-ones": cmd_check_ones,
    "check-stats": cmd_check_stats,
    "check-trace": cmd_check_trace,
}

if __name__ == "__main__":
    if len(sys.argv) < 2 or sys.argv[1] not in COMMANDS:
        fail("usage: trnrun_check.py {" + "|".join(COMMANDS) + "} ARGS...")
    COMMANDS[sys.argv[1]](sys.argv[2:])
