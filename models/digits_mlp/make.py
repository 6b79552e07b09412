#!/usr/bin/env python3
"""Trains the bundled model and writes it as linalg MLIR.

The model is a 64-128-64-10 ReLU MLP classifying the 8x8 handwritten digits
that ship with Debian's python3-sklearn (1797 images, UCI "optdigits" test
set). Training is plain numpy (softmax cross-entropy, Adam), seeded, so the
output is reproducible. Writes, next to this script:
  digits_mlp.mlir  the model: func.func @main(%x: tensor<360x64xf32>) -> logits
  weights.npz      the same weights, for the independent numpy reference
The test split (the last 360 images after a seeded shuffle) is what the main
job runs; `split()` is shared with scripts/main_report.py.
"""
import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
LAYERS = [64, 128, 64, 10]
TEST_SIZE = 360


def split():
    from sklearn.datasets import load_digits

    digits = load_digits()
    x = (digits.data / 16.0).astype(np.float32)
    y = digits.target.astype(np.int64)
    order = np.random.default_rng(0).permutation(len(x))
    x, y = x[order], y[order]
    return (x[:-TEST_SIZE], y[:-TEST_SIZE]), (x[-TEST_SIZE:], y[-TEST_SIZE:])


def forward(params, x):
    h = x
    for i, (w, b) in enumerate(params):
        h = h @ w + b
        if i + 1 < len(params):
            h = np.maximum(h, 0.0)
    return h


def train(x, y, epochs=60, batch=64, lr=2e-3, seed=1):
    rng = np.random.default_rng(seed)
    params = []
    for fan_in, fan_out in zip(LAYERS[:-1], LAYERS[1:]):
        w = rng.normal(0.0, np.sqrt(2.0 / fan_in), (fan_in, fan_out)).astype(np.float32)
        params.append([w, np.zeros(fan_out, np.float32)])
    m = [[np.zeros_like(p) for p in layer] for layer in params]
    v = [[np.zeros_like(p) for p in layer] for layer in params]
    step = 0
    for _ in range(epochs):
        order = rng.permutation(len(x))
        for s in range(0, len(x), batch):
            idx = order[s:s + batch]
            acts = [x[idx]]
            for i, (w, b) in enumerate(params):
                z = acts[-1] @ w + b
                acts.append(np.maximum(z, 0.0) if i + 1 < len(params) else z)
            logits = acts[-1]
            p = np.exp(logits - logits.max(axis=1, keepdims=True))
            p /= p.sum(axis=1, keepdims=True)
            p[np.arange(len(idx)), y[idx]] -= 1.0
            grad = p / len(idx)
            step += 1
            for i in reversed(range(len(params))):
                w, b = params[i]
                gw, gb = acts[i].T @ grad, grad.sum(axis=0)
                if i > 0:
                    grad = (grad @ w.T) * (acts[i] > 0)
                for j, g in enumerate((gw, gb)):
                    m[i][j] = 0.9 * m[i][j] + 0.1 * g
                    v[i][j] = 0.999 * v[i][j] + 0.001 * g * g
                    mh = m[i][j] / (1 - 0.9 ** step)
                    vh = v[i][j] / (1 - 0.999 ** step)
                    params[i][j] = (params[i][j] - lr * mh / (np.sqrt(vh) + 1e-8)).astype(np.float32)
    return [(w, b) for w, b in params]


def dense(a):
    """MLIR hex dense literal: raw little-endian bytes."""
    return '"0x' + np.ascontiguousarray(a, dtype="<f4").tobytes().hex().upper() + '"'


def ty(shape):
    return "tensor<" + "x".join(str(d) for d in shape) + "xf32>"


def emit_mlir(params, batch):
    lines = [
        "// The bundled trnc model: a 64-128-64-10 ReLU MLP for the 8x8 digits of",
        "// python3-sklearn, trained by models/digits_mlp/make.py (do not edit by hand).",
        "#id = affine_map<(i, j) -> (i, j)>",
        "#row = affine_map<(i, j) -> (j)>",
        "module {",
        f"  func.func @main(%x: {ty([batch, LAYERS[0]])}) -> {ty([batch, LAYERS[-1]])} {{",
        "    %zero = arith.constant 0.0 : f32",
    ]
    h = "%x"
    for i, (w, b) in enumerate(params):
        fi, fo = w.shape
        out = ty([batch, fo])
        relu = i + 1 < len(params)
        lines += [
            f"    %w{i} = arith.constant dense<{dense(w)}> : {ty([fi, fo])}",
            f"    %b{i} = arith.constant dense<{dense(b)}> : {ty([fo])}",
            f"    %e{i} = tensor.empty() : {out}",
            f"    %f{i} = linalg.fill ins(%zero : f32) outs(%e{i} : {out}) -> {out}",
            f"    %m{i} = linalg.matmul ins({h}, %w{i} : {ty([batch, fi])}, {ty([fi, fo])})"
            f" outs(%f{i} : {out}) -> {out}",
            f"    %h{i} = linalg.generic {{indexing_maps = [#id, #row, #id],"
            f" iterator_types = [\"parallel\", \"parallel\"]}}"
            f" ins(%m{i}, %b{i} : {out}, {ty([fo])}) outs(%e{i} : {out}) {{",
            "    ^bb0(%a: f32, %c: f32, %o: f32):",
            "      %s = arith.addf %a, %c : f32",
        ]
        if relu:
            lines += ["      %r = arith.maximumf %s, %zero : f32", "      linalg.yield %r : f32"]
        else:
            lines += ["      linalg.yield %s : f32"]
        lines += [f"    }} -> {out}"]
        h = f"%h{i}"
    lines += [f"    return {h} : {ty([batch, LAYERS[-1]])}", "  }", "}", ""]
    return "\n".join(lines)


def main():
    (xtr, ytr), (xte, yte) = split()
    params = train(xtr, ytr)
    acc = (forward(params, xte).argmax(axis=1) == yte).mean()
    with open(os.path.join(HERE, "digits_mlp.mlir"), "w") as f:
        f.write(emit_mlir(params, TEST_SIZE))
    np.savez(os.path.join(HERE, "weights.npz"),
             **{f"w{i}": w for i, (w, _) in enumerate(params)},
             **{f"b{i}": b for i, (_, b) in enumerate(params)})
    print(f"trained {LAYERS} MLP: numpy test accuracy {acc:.4f} on {len(yte)} images")


if __name__ == "__main__":
    sys.exit(main())
