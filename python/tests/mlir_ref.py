"""Independent execution of importer output with upstream MLIR (no trnc involved).

The emitted module is bufferized and lowered to LLVM with /usr/lib/llvm-22/bin/mlir-opt, built
into a shared object with clang, and called through ctypes with numpy buffers: every function
argument and (after buffer-results-to-out-params) every result is an expanded memref descriptor
(allocated ptr, aligned ptr, offset, sizes..., strides...).
"""
import ctypes
import hashlib
import os
import re
import subprocess
import tempfile

import numpy as np
import torch

LLVM = "/usr/lib/llvm-22"
PIPELINE = [
    "--one-shot-bufferize=bufferize-function-boundaries function-boundary-type-conversion=identity-layout-map",
    "--buffer-results-to-out-params=modify-public-functions",
    "--convert-linalg-to-loops",
    "--lower-affine",
    "--convert-scf-to-cf",
    "--convert-math-to-llvm",
    "--convert-math-to-libm",
    "--expand-strided-metadata",
    "--finalize-memref-to-llvm",
    "--convert-to-llvm",
    "--reconcile-unrealized-casts",
]
_CACHE = os.path.join(tempfile.gettempdir(), f"trnc-mlir-ref-{os.getuid()}")


def available():
    return os.path.exists(f"{LLVM}/bin/mlir-opt") and os.path.exists(f"{LLVM}/bin/clang")


def build(mlir_text: str) -> str:
    """Compiles MLIR text to a shared object (cached by content hash); returns its path."""
    os.makedirs(_CACHE, exist_ok=True)
    key = hashlib.sha256("\n".join(PIPELINE + [mlir_text]).encode()).hexdigest()[:24]
    so = os.path.join(_CACHE, key + ".so")
    if os.path.exists(so):
        return so
    src = os.path.join(_CACHE, key + ".mlir")
    with open(src, "w") as f:
        f.write(mlir_text)
    llmlir, ll = src + ".llvm.mlir", src + ".ll"
    subprocess.run([f"{LLVM}/bin/mlir-opt", src, *PIPELINE, "-o", llmlir], check=True, capture_output=True, text=True)
    subprocess.run([f"{LLVM}/bin/mlir-translate", "--mlir-to-llvmir", llmlir, "-o", ll], check=True,
                   capture_output=True, text=True)
    tmp = so + f".{os.getpid()}.tmp"
    subprocess.run([f"{LLVM}/bin/clang", "-O1", "-shared", "-fPIC", "-Wno-override-module", ll, "-o", tmp,
                    f"-L{LLVM}/lib", "-lmlir_c_runner_utils", f"-Wl,-rpath,{LLVM}/lib", "-lm"],
                   check=True, capture_output=True, text=True)
    os.replace(tmp, so)
    for p in (src, llmlir, ll):
        os.unlink(p)
    return so


def _np(x, dtype):
    if dtype == torch.bfloat16:
        return x.to(torch.bfloat16).contiguous().view(torch.int16).numpy().copy()
    if dtype == torch.int32:
        return x.to(torch.int32).contiguous().numpy().copy()
    return x.to(torch.float32).contiguous().numpy().copy()


def _descriptor(arr):
    ptr = ctypes.c_void_p(arr.ctypes.data)
    args = [ptr, ptr, ctypes.c_int64(0)]
    args += [ctypes.c_int64(d) for d in arr.shape]
    args += [ctypes.c_int64(s // arr.itemsize) for s in arr.strides]
    return args


_CONST = re.compile(r'^\s*(%cst\d+) = arith.constant dense<"0x([0-9A-F]+)"> : (tensor<([0-9x]+)x(f32|bf16|i32)>)')
_NP = {"f32": np.float32, "bf16": np.uint16, "i32": np.int32}


def externalize_constants(text: str, min_bytes: int = 4096):
    """Turns large dense constants into extra trailing function arguments (returns the new text
    and their numpy values).  LLVM compiles multi-megabyte constant initialisers very slowly;
    passing weights as buffers keeps whole-network reference runs to seconds."""
    lines, extra, values = [], [], []
    for line in text.split("\n"):
        m = _CONST.match(line)
        if m and len(m.group(2)) >= 2 * min_bytes:
            name, hexdata, ty, dims, et = m.groups()
            shape = [int(d) for d in dims.split("x")]
            values.append(np.frombuffer(bytes.fromhex(hexdata), dtype=_NP[et]).reshape(shape).copy())
            extra.append(f"{name}: {ty}")
            continue
        lines.append(line)
    out = "\n".join(lines)
    if extra:
        i = out.index(") -> (")
        out = out[:i] + ", " + ", ".join(extra) + out[i:]
    return out, values


def run(imported, *inputs, func="forward"):
    """Runs ``imported`` (an ImportedModule) on torch inputs; returns torch outputs."""
    text, consts = externalize_constants(imported.mlir)
    lib = ctypes.CDLL(build(text))
    fn = getattr(lib, func)
    fn.restype = None
    ins = [_np(x, s.program_dtype) for x, s in zip(inputs, imported.inputs)] + consts
    outs = []
    for s in imported.outputs:
        dt = {torch.float32: np.float32, torch.bfloat16: np.int16, torch.int32: np.int32}[s.program_dtype]
        outs.append(np.zeros(s.shape, dtype=dt))
    args = []
    for a in ins + outs:
        args += _descriptor(a)
    fn(*args)
    res = []
    for o, s in zip(outs, imported.outputs):
        t = torch.from_numpy(o)
        if s.program_dtype == torch.bfloat16:
            t = t.view(torch.bfloat16)
        res.append(t)
    return res
