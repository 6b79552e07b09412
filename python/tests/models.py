"""The models of the end-to-end tests and the Python benchmark (random weights, nothing is
downloaded).  Each factory returns ``(module in eval mode, example inputs)``, seeded, so every
caller sees the same weights and inputs."""
import torch
import torch.nn as nn
import torch.nn.functional as F


class GPTBlock(nn.Module):
    """A GPT-2 style pre-norm block: causal multi-head self-attention (mask from a registered
    ``tril`` buffer, sliced to the sequence length) and a GELU(tanh) MLP, both residual."""

    def __init__(self, d=16, h=4, max_len=16):
        super().__init__()
        self.h = h
        self.ln1, self.ln2 = nn.LayerNorm(d), nn.LayerNorm(d)
        self.qkv = nn.Linear(d, 3 * d)
        self.proj = nn.Linear(d, d)
        self.mlp = nn.Sequential(nn.Linear(d, 4 * d), nn.GELU(approximate="tanh"), nn.Linear(4 * d, d))
        self.register_buffer("mask", torch.tril(torch.ones(max_len, max_len)).view(1, 1, max_len, max_len))

    def forward(self, x):
        B, T, D = x.shape
        q, k, v = self.qkv(self.ln1(x)).split(D, dim=2)
        q = q.view(B, T, self.h, D // self.h).transpose(1, 2)
        k = k.view(B, T, self.h, D // self.h).transpose(1, 2)
        v = v.view(B, T, self.h, D // self.h).transpose(1, 2)
        att = (q @ k.transpose(-2, -1)) * (1.0 / (k.size(-1) ** 0.5))
        att = att.masked_fill(self.mask[:, :, :T, :T] == 0, float("-inf"))
        att = F.softmax(att, dim=-1)
        y = (att @ v).transpose(1, 2).contiguous().view(B, T, D)
        x = x + self.proj(y)
        return x + self.mlp(self.ln2(x))


def realistic_batch_norm(model, seed=1):
    """Freshly initialised BatchNorm has mean 0 / var 1 statistics, which makes folding trivial
    and (for mobilenet_v2) shrinks activations layer by layer to ~1e-10.  Give every BN
    plausible running statistics instead (deterministic)."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for mod in model.modules():
            if isinstance(mod, nn.BatchNorm2d):
                n = mod.num_features
                mod.running_mean.copy_(torch.rand(n, generator=g) * 0.2 - 0.1)
                mod.running_var.copy_(torch.rand(n, generator=g) * 0.3 + 0.2)
    return model


def _seeded(fn):
    def make(*args, **kwargs):
        torch.manual_seed(0)
        m, xs = fn(*args, **kwargs)
        return m.eval(), xs
    make.__name__ = fn.__name__
    return make


@_seeded
def mlp():
    return nn.Sequential(nn.Linear(64, 128), nn.GELU(), nn.Linear(128, 128), nn.ReLU(),
                         nn.Linear(128, 10)), (torch.randn(8, 64),)


@_seeded
def resnet18(size=32):
    import torchvision
    m = realistic_batch_norm(torchvision.models.resnet18(weights=None, num_classes=10))
    return m, (torch.randn(1, 3, size, size),)


@_seeded
def mobilenet_v2(size=32):
    import torchvision
    m = realistic_batch_norm(torchvision.models.mobilenet_v2(weights=None, num_classes=10))
    return m, (torch.randn(1, 3, size, size),)


@_seeded
def encoder_layer(d=32, heads=4, ff=64, batch=2, seq=8):
    return nn.TransformerEncoderLayer(d, heads, ff, batch_first=True), (torch.randn(batch, seq, d),)


@_seeded
def gpt_block(d=32, heads=4, seq=16, batch=2):
    return GPTBlock(d, heads, max_len=seq), (torch.randn(batch, seq, d),)


MODELS = {"mlp": mlp, "resnet18": resnet18, "mobilenet_v2": mobilenet_v2,
          "encoder_layer": encoder_layer, "gpt_block": gpt_block}

# Quantized contraction layers on the longest input -> output path (what trn-quantize
# quantizes: linalg.matmul / batch_matmul chains; a convolution's taps form one chain; depthwise
# convolutions are element-wise and stay f32).  resnet18: stem + 8 blocks x 2 + fc;
# mobilenet_v2: stem + 16 expand + 17 project + last 1x1 + classifier; attention blocks:
# qkv projection, q @ k^T, att @ v, output projection, the two MLP layers.
QUANT_DEPTH = {"mlp": 3, "resnet18": 18, "mobilenet_v2": 36, "encoder_layer": 6, "gpt_block": 6}
