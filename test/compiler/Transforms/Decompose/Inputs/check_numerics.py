"""Numerical check of a trnc tensor-level pass against upstream MLIR semantics.

For every function of an input file, builds a driver `@main` that calls the
function on deterministic inputs and prints the result, then lowers and runs
both the original module (reference: upstream lowering of the original ops;
linalg.softmax via its upstream AggregatedOpInterface decomposition) and the
module after the trn-opt pipeline under test, with mlir-opt + mlir-runner.
The printed results must agree.

Inputs are multiples of 1/4 in [-2, 2], so sums of products in the linear
rewrites (conv, matmul, pooling) are exact in f32 whatever the summation
order; only transcendental ops (exp in softmax) round, and a relative
tolerance of 8 ulp-scale (2^-20) covers a reordered sum of rounded terms.

usage: check_numerics.py TRN_OPT FILE -- PASS_ARGS...
mlir-opt and mlir-runner are taken from PATH (lit puts LLVM's tools there).
Prints "OK <function> <n> values" per function; exits non-zero on mismatch.
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile

RTOL = 2.0 ** -20
ATOL = 2.0 ** -24

TRANSFORM_LIB = """
module attributes {transform.with_named_sequence} {
  transform.named_sequence @__transform_main(%root: !transform.any_op {transform.readonly}) {
    %s = transform.structured.match ops{["linalg.softmax"]} in %root : (!transform.any_op) -> !transform.any_op
    %d = transform.structured.decompose_interface %s : (!transform.any_op) -> !transform.any_op
    transform.yield
  }
}
"""


def run(cmd, stdin=None):
    p = subprocess.run(cmd, input=stdin, capture_output=True, text=True)
    if p.returncode != 0:
        sys.stderr.write("command failed: %s\n%s\n" % (" ".join(cmd), p.stderr))
        sys.exit(1)
    return p.stdout


def parse_tensor_type(t):
    m = re.fullmatch(r"tensor<((?:\d+x)*)(\w+)>", t.strip())
    if not m:
        sys.exit("unsupported type in signature: " + t)
    dims = [int(d) for d in m.group(1).split("x") if d]
    return dims, m.group(2)


def functions(text):
    """(name, [arg types], result type) of each func.func (one result)."""
    out = []
    for m in re.finditer(r"func\.func @(\w+)\(([^)]*)\)\s*->\s*(tensor<[^>]*>)", text):
        args = re.findall(r"%\w+\s*:\s*(tensor<[^>]*>)", m.group(2))
        out.append((m.group(1), args, m.group(3)))
    return out


def values(dims, seed):
    n = 1
    for d in dims:
        n *= d
    # Deterministic multiples of 1/4 in [-2, 2].
    return [((seed * 7919 + i * 104729) % 17 - 8) / 4.0 for i in range(n)]


def dense(dims, elem, vals):
    def nest(level, offset):
        if level == len(dims):
            return repr(vals[offset])
        step = 1
        for d in dims[level + 1:]:
            step *= d
        return "[" + ", ".join(nest(level + 1, offset + i * step) for i in range(dims[level])) + "]"
    return "dense<%s> : tensor<%s%s>" % (nest(0, 0), "".join("%dx" % d for d in dims), elem)


def driver(funcs):
    lines = ["  func.func private @printMemrefF32(memref<*xf32>)",
             "  func.func @main() {"]
    for fi, (name, args, res) in enumerate(funcs):
        names = []
        for ai, t in enumerate(args):
            dims, elem = parse_tensor_type(t)
            v = "%%in_%d_%d" % (fi, ai)
            lines.append("    %s = arith.constant %s" % (v, dense(dims, elem, values(dims, 31 * fi + ai + 1))))
            names.append(v)
        rdims, relem = parse_tensor_type(res)
        lines.append("    %%r%d = func.call @%s(%s) : (%s) -> %s" % (fi, name, ", ".join(names), ", ".join(args), res))
        lines.append("    %%b%d = bufferization.to_buffer %%r%d : %s to memref<%s%s>" % (fi, fi, res, "".join("%dx" % d for d in rdims), relem))
        lines.append("    %%u%d = memref.cast %%b%d : memref<%s%s> to memref<*xf32>" % (fi, fi, "".join("%dx" % d for d in rdims), relem))
        lines.append("    func.call @printMemrefF32(%%u%d) : (memref<*xf32>) -> ()" % fi)
    lines.append("    return")
    lines.append("  }")
    return "\n".join(lines)


def execute(module_text, funcs, llvm_bin, tmp, tag, reference):
    # module_text is a `module {...}` from mlir-opt/trn-opt; add the driver.
    body = module_text.rstrip()
    assert body.endswith("}")
    full = body[:-1] + driver(funcs) + "\n}\n"
    src = os.path.join(tmp, tag + ".mlir")
    with open(src, "w") as f:
        f.write(full)
    opt = [os.path.join(llvm_bin, "mlir-opt"), src]
    if reference:
        lib = os.path.join(tmp, "transform.mlir")
        with open(lib, "w") as f:
            f.write(TRANSFORM_LIB)
        opt += ["--transform-preload-library=transform-library-paths=" + lib, "--transform-interpreter"]
    opt += ["--convert-elementwise-to-linalg", "--one-shot-bufferize=bufferize-function-boundaries", "--convert-linalg-to-loops",
            "--expand-strided-metadata", "--lower-affine", "--convert-scf-to-cf",
            "--convert-to-llvm", "--reconcile-unrealized-casts"]
    llvm_ir = run(opt)
    libdir = os.path.join(os.path.dirname(llvm_bin), "lib")
    libs = ",".join(os.path.join(libdir, l) for l in ("libmlir_c_runner_utils.so", "libmlir_runner_utils.so"))
    out = run([os.path.join(llvm_bin, "mlir-runner"), "-e", "main", "-entry-point-result=void",
               "-shared-libs=" + libs], stdin=llvm_ir)
    results = []
    for chunk in out.split("Unranked Memref")[1:]:
        data = chunk.split("data =", 1)[1]
        results.append([float(x) for x in re.findall(r"-?(?:\d+\.?\d*(?:e[-+]?\d+)?|inf|nan)", data)])
    return results


def main():
    sep = sys.argv.index("--")
    trn_opt, path = sys.argv[1:sep]
    runner = shutil.which("mlir-runner")
    if not runner or not shutil.which("mlir-opt"):
        sys.exit("mlir-opt/mlir-runner not found on PATH")
    llvm_bin = os.path.dirname(os.path.realpath(runner))
    pass_args = sys.argv[sep + 1:]
    with open(path) as f:
        original = f.read()
    funcs = functions(original)
    if not funcs:
        sys.exit("no functions in " + path)
    with tempfile.TemporaryDirectory() as tmp:
        ref_module = run([os.path.join(llvm_bin, "mlir-opt"), path])
        new_module = run([trn_opt, path] + pass_args)
        ref = execute(ref_module, funcs, llvm_bin, tmp, "ref", True)
        new = execute(new_module, funcs, llvm_bin, tmp, "new", False)
    if len(ref) != len(funcs) or len(new) != len(funcs):
        sys.exit("expected %d printed results, got %d (reference) and %d (transformed)" % (len(funcs), len(ref), len(new)))
    bad = 0
    for (name, _, _), r, n in zip(funcs, ref, new):
        if len(r) != len(n):
            print("MISMATCH %s: %d vs %d values" % (name, len(r), len(n)))
            bad += 1
            continue
        worst = max((abs(a - b) - RTOL * abs(a) for a, b in zip(r, n)), default=0.0)
        nonzero = sum(1 for a in r if a != 0.0)
        if worst > ATOL:
            i = max(range(len(r)), key=lambda i: abs(r[i] - n[i]))
            print("MISMATCH %s: element %d reference %r transformed %r" % (name, i, r[i], n[i]))
            bad += 1
        elif nonzero == 0:
            print("DEGENERATE %s: the reference result is all zeros" % name)
            bad += 1
        else:
            print("OK %s %d values" % (name, len(r)))
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
