"""Compile a transformer block (nn.TransformerEncoderLayer, batch_first, eval mode -- the case that
takes PyTorch's fused fast path) and a GPT-style causal block, run both on the emulator, print
statistics and write a profile.  Also shows the imported MLIR with its module-path locations.

    PYTHONPATH=build/python /usr/bin/python3 python/examples/transformer_block.py
"""
import torch
import torch.nn as nn
import torch.nn.functional as F

import trnc


class CausalBlock(nn.Module):
    def __init__(self, d=64, heads=4, max_len=128):
        super().__init__()
        self.heads = heads
        self.ln1, self.ln2 = nn.LayerNorm(d), nn.LayerNorm(d)
        self.qkv, self.proj = nn.Linear(d, 3 * d), nn.Linear(d, d)
        self.mlp = nn.Sequential(nn.Linear(d, 4 * d), nn.GELU(), nn.Linear(4 * d, d))
        self.register_buffer("mask", torch.tril(torch.ones(max_len, max_len)))

    def forward(self, x):
        B, T, D = x.shape                     # shape unpacking works: tracing runs real Python
        q, k, v = self.qkv(self.ln1(x)).split(D, dim=2)
        q, k, v = (t.view(B, T, self.heads, D // self.heads).transpose(1, 2) for t in (q, k, v))
        att = (q @ k.transpose(-2, -1)) / (D // self.heads) ** 0.5
        att = att.masked_fill(self.mask[:T, :T] == 0, float("-inf")).softmax(-1)
        x = x + self.proj((att @ v).transpose(1, 2).reshape(B, T, D))
        return x + self.mlp(self.ln2(x))


def run(name, model, x):
    model.eval()
    imported = trnc.import_model(model, (x,))
    print(f"== {name}: {imported.mlir.count(chr(10))} lines of MLIR; first located ops:")
    for line in [l for l in imported.mlir.splitlines() if "linalg.matmul" in l][:2]:
        print("   ", line.strip()[:60], "...", line[line.rfind("loc("):])
    try:
        cm = trnc.compile(model, (x,), target="trn2")
    except trnc.CompileError as e:
        print("   the compiler rejected it:", str(e).splitlines()[0])
        return
    y = cm.run(x, profile=f"{name}.trace.json")
    with torch.no_grad():
        print(f"   max |trnc - torch| = {(y - model(x)).abs().max().item():.3g}")
    print(f"   cycles {cm.stats['total_cycles']}, TensorE utilisation "
          f"{100 * cm.stats['tensor_engine_utilization']:.1f}%, profile {name}.trace.json")


def main():
    torch.manual_seed(0)
    run("encoder_layer", nn.TransformerEncoderLayer(64, 4, 256, batch_first=True), torch.randn(2, 32, 64))
    run("causal_block", CausalBlock(), torch.randn(2, 32, 64))


if __name__ == "__main__":
    main()
