"""End-to-end harness: compile MLIR with trnc, run it with trn-run --check, compare with numpy.

Usage from a lit test (``RUN: %PYTHON %s``)::

    import sys, os
    sys.path.insert(0, os.path.join(os.environ["TRN_SRC_ROOT"], "test", "e2e"))  # or %trn_src_root
    import trnc_e2e as e2e
    e2e.check("relu", MLIR, [x], lambda x: np.maximum(x, 0), tol=0.0)

``check`` compiles ``mlir`` (``trnc --target=T -o prog.trnx``), writes the inputs as .npy,
runs ``trn-run prog.trnx in0.npy ... -o out0.npy ... --check`` (race checker and
uninitialised-read checks), and compares every output with the reference: element-wise
``|got - want| <= tol`` where ``tol`` is a scalar or an array broadcastable to the output
(computed from the arithmetic, see the bound helpers below). On any failure it prints the
command, its stderr and a diff of the worst elements, and exits with status 1.

Tools are found on PATH (lit puts build/bin there) or in $TRN_BIN.
"""

import os
import shutil
import subprocess
import sys
import tempfile

import numpy as np

F32_EPS = 2.0 ** -24  # unit roundoff of f32 (round to nearest)
BF16_EPS = 2.0 ** -8  # unit roundoff of bf16 (8 significand bits incl. the implicit one: 2^(1-8)/2)
EPS = {"f32": F32_EPS, "bf16": BF16_EPS}


def tool(name):
    """Absolute path of a trnc tool (PATH first, then $TRN_BIN)."""
    path = shutil.which(name)
    if path is None and os.environ.get("TRN_BIN"):
        cand = os.path.join(os.environ["TRN_BIN"], name)
        if os.access(cand, os.X_OK):
            path = cand
    if path is None:
        fail("tool '%s' not found on PATH or in $TRN_BIN" % name)
    return path


class Failure(Exception):
    """One failed check (raised instead of exiting while a `Suite` collects failures)."""


_collecting = [False]


def fail(message):
    sys.stderr.write("FAIL: %s\n" % message)
    if _collecting[0]:
        raise Failure(message)
    sys.exit(1)


def round_bf16(x):
    """Round f32 values to the nearest bf16 (ties to even), returned as f32 (as trn-run does)."""
    x = np.asarray(x, dtype=np.float32)
    bits = x.reshape(-1).view(np.uint32).astype(np.uint64)
    rounding = 0x7FFF + ((bits >> 16) & 1)
    out = ((bits + rounding) >> 16) << 16
    return out.astype(np.uint32).view(np.float32).reshape(x.shape)


def matmul_f32_bound(a, b):
    """Error bound of an f32-accumulated a @ b with exact products (emulator semantics):
    |fl(sum_k a_ik b_kj) - exact| <= K * u * sum_k |a_ik| |b_kj| (recursive summation,
    first-order; u = 2^-24), plus the final rounding of the exact value to f32."""
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    k = a.shape[-1]
    mag = np.abs(a) @ np.abs(b)
    return (k + 1) * F32_EPS * mag


def _run(cmd):
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if proc.returncode < 0:
        fail("command crashed (signal %d): %s\n--- stderr ---\n%s"
             % (-proc.returncode, " ".join(cmd), proc.stderr))
    if proc.returncode != 0:
        fail("command failed (exit %d): %s\n--- stdout ---\n%s--- stderr ---\n%s"
             % (proc.returncode, " ".join(cmd), proc.stdout, proc.stderr))
    return proc


def _diff(name, got, want, tol, limit=10):
    got64 = got.astype(np.float64)
    want64 = np.asarray(want, dtype=np.float64)
    tol64 = np.broadcast_to(np.asarray(tol, dtype=np.float64), want64.shape)
    err = np.abs(got64 - want64)
    bad = ~(err <= tol64)  # NaN counts as bad
    if not bad.any():
        return None
    lines = ["output '%s': %d of %d elements outside tolerance (max error %.6g)"
             % (name, int(bad.sum()), bad.size, float(np.nanmax(err)))]
    excess = np.where(bad, np.nan_to_num(err - tol64, nan=np.inf), -np.inf).ravel()
    order = np.argsort(-excess)[:limit]
    lines.append("  %-18s %16s %16s %12s %12s" % ("index", "got", "expected", "|error|", "tol"))
    for flat in order:
        if not bad.ravel()[flat]:
            break
        idx = np.unravel_index(flat, want64.shape)
        lines.append("  %-18s %16.8g %16.8g %12.4g %12.4g"
                     % (str(tuple(int(i) for i in idx)), got64[idx], want64[idx], err[idx],
                        tol64[idx]))
    return "\n".join(lines)


def check(name, mlir, inputs, reference, tol, target="trn2", trnc_args=(), run_args=()):
    """Compiles `mlir`, runs it on `inputs` with --check and compares with `reference(*inputs)`
    (an array or a tuple of arrays, one per program output) within `tol` (scalar/array, or a
    list with one entry per output). Returns the list of outputs; exits 1 on any failure."""
    trnc = tool("trnc")
    trn_run = tool("trn-run")
    inputs = [np.asarray(x) for x in inputs]
    want = reference(*inputs)
    if not isinstance(want, (tuple, list)):
        want = [want]
    tols = tol if isinstance(tol, (tuple, list)) else [tol] * len(want)
    with tempfile.TemporaryDirectory(prefix="trnc-e2e-") as tmp:
        src = os.path.join(tmp, name + ".mlir")
        prog = os.path.join(tmp, name + ".trnx")
        with open(src, "w") as f:
            f.write(mlir)
        _run([trnc, src, "-o", prog, "--target=" + target] + list(trnc_args))
        cmd = [trn_run, prog]
        for i, x in enumerate(inputs):
            path = os.path.join(tmp, "in%d.npy" % i)
            np.save(path, x)
            cmd.append(path)
        outs = []
        for i in range(len(want)):
            outs.append(os.path.join(tmp, "out%d.npy" % i))
            cmd += ["-o", outs[-1]]
        _run(cmd + ["--check"] + list(run_args))
        got = [np.load(p) for p in outs]
    problems = []
    for i, (g, w, t) in enumerate(zip(got, want, tols)):
        w = np.asarray(w)
        if g.shape != w.shape:
            problems.append("output %d: shape %s, expected %s" % (i, g.shape, w.shape))
            continue
        d = _diff("%s[%d]" % (name, i), g, w, t)
        if d:
            problems.append(d)
    if problems:
        fail("%s (target %s):\n%s" % (name, target, "\n".join(problems)))
    print("PASS: %s (target %s): %d output(s) within tolerance" % (name, target, len(got)))
    return got


# --- Op-coverage helpers: dtypes, inputs as the device sees them, derived bounds ------------


def ttype(shape, dtype):
    """MLIR ranked tensor type, e.g. ttype([3, 5], "bf16") -> 'tensor<3x5xbf16>'."""
    return "tensor<%s>" % "x".join([str(d) for d in shape] + [dtype])


def device_value(x, dtype):
    """The value the device computes with for a float32 .npy input of program dtype `dtype`
    (trn-run converts f32 inputs of bf16 arguments with round-to-nearest-even), as float64."""
    x = np.asarray(x, dtype=np.float32)
    return (round_bf16(x) if dtype == "bf16" else x).astype(np.float64)


def rounding(ref, dtype):
    """Bound of one final rounding of the exact value `ref` to `dtype` (round to nearest):
    u * |ref| (normal range; the tests' values stay far from subnormals and overflow)."""
    return EPS[dtype] * np.abs(np.asarray(ref, dtype=np.float64))


def dot_bound(abs_sum, k, out_dtype="f32", exact=None):
    """Bound of a k-term f32-accumulated sum of exact products (bf16*bf16 and f32*f32 products
    are exact in the emulator's f32 sgemm up to the product's own rounding, which is covered by
    the +1): (k + 1) * 2^-24 * sum|a||b|, plus one rounding to `out_dtype` of the result
    (u_out * (|exact| + accumulated error)). `abs_sum` = sum_k |a||b| (numpy float64)."""
    acc = (k + 1) * F32_EPS * np.asarray(abs_sum, dtype=np.float64)
    if out_dtype == "f32":
        return acc
    ref = abs_sum if exact is None else np.abs(exact)
    return acc + EPS[out_dtype] * (ref + acc)


class Suite:
    """Runs many `check`s in one lit test, reports every failing case, exits 1 at `finish`."""

    def __init__(self, name):
        self.name = name
        self.failures = []
        self.passed = 0

    def check(self, case, *args, **kwargs):
        _collecting[0] = True
        try:
            check(case, *args, **kwargs)
            self.passed += 1
        except Failure:
            self.failures.append("%s (target %s)" % (case, kwargs.get("target", "trn2")))
        finally:
            _collecting[0] = False

    def expect_error(self, case, mlir, pattern, target="trn2", trnc_args=()):
        _collecting[0] = True
        try:
            expect_error(case, mlir, pattern, target=target, trnc_args=trnc_args)
            self.passed += 1
        except Failure:
            self.failures.append("%s (error case)" % case)
        finally:
            _collecting[0] = False

    def finish(self):
        if self.failures:
            sys.stderr.write("FAIL: %s: %d case(s) failed: %s\n"
                             % (self.name, len(self.failures), ", ".join(self.failures)))
            sys.exit(1)
        print("%s: all %d cases passed" % (self.name, self.passed))


def expect_error(name, mlir, pattern, target="trn2", trnc_args=()):
    """trnc must reject `mlir` cleanly: exit status 1 (not a crash), no output file, and a
    first line `error: FILE:LINE:COL: ...` (a location in the input) containing `pattern`."""
    import re
    trnc = tool("trnc")
    with tempfile.TemporaryDirectory(prefix="trnc-e2e-") as tmp:
        src = os.path.join(tmp, name + ".mlir")
        prog = os.path.join(tmp, name + ".trnx")
        with open(src, "w") as f:
            f.write(mlir)
        cmd = [trnc, src, "-o", prog, "--target=" + target] + list(trnc_args)
        proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        if proc.returncode != 1:
            fail("%s: expected exit status 1, got %d: %s\n%s"
                 % (name, proc.returncode, " ".join(cmd), proc.stderr))
        if os.path.exists(prog):
            fail("%s: a failing compilation left %s behind" % (name, prog))
        first = proc.stderr.splitlines()[0] if proc.stderr else ""
        if not re.match(r"error: .*%s:\d+:\d+: " % re.escape(name + ".mlir"), first):
            fail("%s: the first diagnostic has no input location: %r" % (name, first))
        if not re.search(pattern, proc.stderr):
            fail("%s: diagnostic does not match %r:\n%s" % (name, pattern, proc.stderr))
    print("PASS: %s: rejected with %s" % (name, first))


# --- Small stage-6 MLIR builders for hand-written device programs ----------------------------


class Program:
    """Accumulates the body of a stage-6 function (straight-line trn ops on tiles).

    `arg(name, shape, dtype, kind)` declares an HBM argument; `alloc(shape, dtype, space)`
    an on-chip tile; `view(buf, offsets, sizes, strides)` a static memref.subview;
    `op(text)` appends a raw line. `text(target)` renders the module."""

    def __init__(self, name="main"):
        self.name = name
        self.args = []
        self.globals = []
        self.lines = []
        self.types = {}
        self.counter = 0

    def _fresh(self, prefix):
        self.counter += 1
        return "%%%s%d" % (prefix, self.counter)

    @staticmethod
    def memref(shape, dtype, space, layout=None):
        dims = "x".join(str(d) for d in shape)
        lay = ", " + layout if layout else ""
        return "memref<%sx%s%s, #trn.mem<%s>>" % (dims, dtype, lay, space)

    def arg(self, name, shape, dtype="f32", kind="input"):
        v = "%" + name
        t = self.memref(shape, dtype, "hbm")
        self.args.append('%s: %s {trn.kind = "%s", trn.name = "%s"}' % (v, t, kind, name))
        self.types[v] = (list(shape), dtype, "hbm", None, 0, None)
        return v

    def constant(self, name, values, dtype="f32"):
        """A memref.global constant in HBM from a numpy array (values written as decimals;
        they must be exactly representable in `dtype`)."""
        values = np.asarray(values)
        shape = list(values.shape)
        t = self.memref(shape, dtype, "hbm")
        dense = "dense<%s>" % _nested(values)
        self.globals.append('memref.global "private" constant @%s : %s = %s' % (name, t, dense))
        v = self._fresh(name)
        self.lines.append("%s = memref.get_global @%s : %s" % (v, name, t))
        self.types[v] = (shape, dtype, "hbm", None, 0, None)
        return v

    def alloc(self, shape, dtype="f32", space="sbuf"):
        v = self._fresh(space)
        t = self.memref(shape, dtype, space)
        self.lines.append("%s = trn.alloc() : %s" % (v, t))
        self.types[v] = (list(shape), dtype, space, None, 0, _row_major(shape))
        return v

    def type(self, v):
        shape, dtype, space, layout, _, _ = self.types[v]
        return self.memref(shape, dtype, space, layout)

    def view(self, v, offsets, sizes, strides=None):
        shape, dtype, space, layout, base_off, base_strides = self.types[v]
        if base_strides is None:
            base_strides = _row_major(shape)
        strides = strides or [1] * len(sizes)
        off = base_off + sum(o * s for o, s in zip(offsets, base_strides))
        new_strides = [s * st for s, st in zip(base_strides, strides)]
        layout = "strided<[%s], offset: %d>" % (", ".join(map(str, new_strides)), off)
        r = self._fresh("v")
        rt = self.memref(sizes, dtype, space, layout)
        self.lines.append("%s = memref.subview %s[%s] [%s] [%s] : %s to %s" % (
            r, v, ", ".join(map(str, offsets)), ", ".join(map(str, sizes)),
            ", ".join(map(str, strides)), self.type(v), rt))
        self.types[r] = (list(sizes), dtype, space, layout, off, new_strides)
        return r

    def op(self, line):
        self.lines.append(line)

    def dma(self, src, dst):
        self.op("trn.dma_copy %s -> %s : %s -> %s" % (src, dst, self.type(src), self.type(dst)))

    def matmul(self, st, mv, dst, accumulate=False):
        attr = " {accumulate}" if accumulate else ""
        self.op("trn.matmul %s, %s -> %s%s : %s, %s -> %s" % (
            st, mv, dst, attr, self.type(st), self.type(mv), self.type(dst)))

    def activation(self, func, src, dst, scale=1.0, bias=0.0):
        self.op("trn.activation %s %s -> %s scale(%r) bias(%r) : %s -> %s" % (
            func, src, dst, float(scale), float(bias), self.type(src), self.type(dst)))

    def tensor_tensor(self, alu, a, b, dst):
        self.op("trn.tensor_tensor %s %s, %s -> %s : %s, %s -> %s" % (
            alu, a, b, dst, self.type(a), self.type(b), self.type(dst)))

    def tensor_scalar(self, src, dst, op0, scalar0):
        self.op("trn.tensor_scalar %s -> %s, %s(%r) : %s -> %s" % (
            src, dst, op0, float(scalar0), self.type(src), self.type(dst)))

    def text(self, target="trn2"):
        body = "\n".join("    " + l for l in self.lines)
        globs = "\n".join("  " + g for g in self.globals)
        return ('module attributes {trn.target = #trn.target<"%s">} {\n%s\n'
                "  func.func @%s(%s) {\n%s\n    return\n  }\n}\n" % (
                    target, globs, self.name, ",\n      ".join(self.args), body))


def _row_major(shape):
    strides = []
    acc = 1
    for d in reversed(shape):
        strides.append(acc)
        acc *= d
    return list(reversed(strides))


def _nested(values):
    fmt = (lambda v: str(int(v))) if np.issubdtype(values.dtype, np.integer) else \
        (lambda v: repr(float(v)))
    if values.ndim == 0:
        return fmt(values)
    if values.ndim == 1:
        return "[" + ", ".join(fmt(v) for v in values) + "]"
    return "[" + ", ".join(_nested(v) for v in values) + "]"
