#!/usr/bin/python3
"""Writes PyTorch golden values for Pluralist.Tensors tests.

Run with Debian's python3-torch (1.13): /usr/bin/python3 tools/golden/make_golden.py
Output: tests/Pluralist.Tensors.Tests/Golden/golden.safetensors (float32 tensors).

For each operation OP the file holds OP.x* (inputs), OP.w (a random weight for the scalar
loss sum(out * w)), OP.out, and OP.grad.x* (d loss / d input). The tiny network (conv, group
norm, SiLU, attention, linear) holds its parameters before (net.*), their gradients (grad.*)
and after one AdamW step (after.*), plus its input, targets and loss.
The safetensors file is written by hand (8-byte little-endian header length, JSON header,
raw little-endian data) so that no extra package is needed.
"""
import json
import math
import os
import struct

import torch
import torch.nn as nn
import torch.nn.functional as F

from goldenio import write_safetensors

torch.manual_seed(1234)
torch.set_num_threads(1)
OUT = {}


def put(name, t):
    OUT[name] = t.detach().to(torch.float32).contiguous().clone()


def op(name, fn, *inputs, grads=None):
    """Records inputs, output and input gradients of fn under the name."""
    xs = [x.detach().clone().requires_grad_(grads is None or i in grads) for i, x in enumerate(inputs)]
    y = fn(*xs)
    w = torch.randn_like(y)
    (y * w).sum().backward()
    for i, x in enumerate(xs):
        put(f"{name}.x{i}", x)
        if x.grad is not None:
            put(f"{name}.grad.x{i}", x.grad)
    put(f"{name}.w", w)
    put(f"{name}.out", y)


r = torch.randn
op("matmul", lambda a, b: a @ b, r(2, 3, 5), r(2, 5, 4))
op("linear", lambda x, w, b: F.linear(x, w, b), r(2, 3, 6), r(4, 6), r(4))
op("conv2d", lambda x, w, b: F.conv2d(x, w, b, stride=1, padding=1), r(2, 3, 6, 6), r(4, 3, 3, 3), r(4))
op("conv2d_s2", lambda x, w, b: F.conv2d(x, w, b, stride=2, padding=1), r(1, 2, 7, 7), r(3, 2, 3, 3), r(3))
op("conv2d_dil_groups", lambda x, w, b: F.conv2d(x, w, b, stride=1, padding=2, dilation=2, groups=2),
   r(2, 4, 6, 5), r(6, 2, 3, 3), r(6))
op("upsample", lambda x: F.interpolate(x, scale_factor=2, mode="nearest"), r(1, 2, 3, 3))
op("avgpool", lambda x: F.avg_pool2d(x, 2), r(2, 2, 4, 6))
op("groupnorm", lambda x, g, b: F.group_norm(x, 2, g, b, eps=1e-5), r(2, 4, 3, 3), r(4), r(4))
op("layernorm", lambda x, g, b: F.layer_norm(x, (5,), g, b, eps=1e-5), r(2, 3, 5), r(5), r(5))
op("silu", F.silu, r(3, 7))
op("gelu", F.gelu, r(3, 7))
op("gelu_tanh", lambda x: F.gelu(x, approximate="tanh"), r(3, 7))
op("softmax", lambda x: F.softmax(x, dim=-1), r(3, 7))
op("log_softmax", lambda x: F.log_softmax(x, dim=-1), r(3, 7))
op("logsigmoid", F.logsigmoid, r(3, 7) * 4)
op("sum_axis1", lambda x: x.sum(1), r(2, 3, 4))
op("mean_axis2", lambda x: x.mean(2, keepdim=True), r(2, 3, 4))
op("var_axis1", lambda x: x.var(1), r(2, 5, 3))
op("max_axis1", lambda x: x.max(1).values, r(2, 5, 3))
op("broadcast_mul_add", lambda a, b, c: a * b + c, r(2, 3, 4), r(3, 1), r(4))
op("div", lambda a, b: a / b, r(2, 3), r(2, 3).abs() + 0.5)
op("exp_log_sqrt", lambda a: torch.exp(a) + torch.log(a.abs() + 1) + torch.sqrt(a.abs() + 1), r(2, 3))
op("permute", lambda a: a.permute(2, 0, 1).reshape(4, 6), r(2, 3, 4))
op("cat", lambda a, b: torch.cat([a, b], 1), r(2, 3, 2), r(2, 1, 2))


def attn(q, k, v, mask):
    s = q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1])
    s = s.masked_fill(~mask, float("-inf"))
    return F.softmax(s, -1) @ v


causal = torch.tril(torch.ones(4, 4, dtype=torch.bool))
op("attention_causal", lambda q, k, v: attn(q, k, v, causal), r(2, 2, 4, 3), r(2, 2, 4, 3), r(2, 2, 4, 5))
op("attention_cross", lambda q, k, v: attn(q, k, v, torch.ones(3, 6, dtype=torch.bool)),
   r(1, 2, 3, 4), r(1, 2, 6, 4), r(1, 2, 6, 4))

# Losses: scalar outputs, w is a scalar weight.
op("mse", lambda a, b: F.mse_loss(a, b), r(3, 4), r(3, 4))
targets = torch.tensor([1, 0, 3])
op("cross_entropy", lambda a: F.cross_entropy(a, targets), r(3, 4))
put("cross_entropy.targets", targets.float())
emb_idx = torch.tensor([[0, 2, 2], [4, 1, 0]])
op("embedding", lambda w: F.embedding(emb_idx, w), r(5, 3))
put("embedding.indices", emb_idx.float())


class Tiny(nn.Module):
    """conv -> group norm -> SiLU -> single-head self-attention over pixels -> mean -> linear."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 8, 3, padding=1)
        self.norm = nn.GroupNorm(2, 8)
        self.q = nn.Linear(8, 8)
        self.k = nn.Linear(8, 8)
        self.v = nn.Linear(8, 8)
        self.proj = nn.Linear(8, 8)
        self.head = nn.Linear(8, 4)

    def forward(self, x):
        h = F.silu(self.norm(self.conv(x)))          # (B, 8, 4, 4)
        t = h.flatten(2).transpose(1, 2)              # (B, 16, 8)
        s = self.q(t) @ self.k(t).transpose(1, 2) / math.sqrt(8.0)
        t = t + self.proj(F.softmax(s, -1) @ self.v(t))
        return self.head(t.mean(1))                   # (B, 4)


net = Tiny()
for n, p in net.named_parameters():
    put("net." + n, p)
x = r(2, 3, 4, 4)
y = torch.tensor([2, 1])
put("tiny.x", x)
put("tiny.targets", y.float())
loss = F.cross_entropy(net(x), y)
loss.backward()
put("tiny.loss", loss.reshape(1))
for n, p in net.named_parameters():
    put("grad." + n, p.grad)
opt = torch.optim.AdamW(net.parameters(), lr=1e-2, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.1)
opt.step()
for n, p in net.named_parameters():
    put("after." + n, p)

# Sinusoidal timestep embedding as diffusers' get_timestep_embedding(t, 8, flip_sin_to_cos=True,
# downscale_freq_shift=0): [cos(t f), sin(t f)] with f_i = exp(-ln(10000) i / half).
ts = torch.tensor([0.0, 1.0, 17.0, 999.0])
half = 4
freqs = torch.exp(-math.log(10000.0) * torch.arange(half, dtype=torch.float32) / half)
arg = ts[:, None] * freqs[None]
put("timestep.t", ts)
put("timestep.out", torch.cat([torch.cos(arg), torch.sin(arg)], -1))


here = os.path.dirname(os.path.abspath(__file__))
dst = os.path.join(here, "..", "..", "tests", "Pluralist.Tensors.Tests", "Golden", "golden.safetensors")
write_safetensors(os.path.normpath(dst), OUT, {"script": "tools/golden/make_golden.py"})
# A half-precision file for the reader test: F16 and BF16 tensors.
half = {"h": torch.tensor([1.0, -2.5, 0.333251953125, 65504.0]), "b": torch.tensor([1.0, -2.5, 3.140625, 1e20])}
hdr = {}
blobs, off = [], 0
for name, dt, tag in (("h", torch.float16, "F16"), ("b", torch.bfloat16, "BF16")):
    data = half[name].to(dt).view(torch.int16).numpy().astype("<i2").tobytes()
    hdr[name] = {"dtype": tag, "shape": [4], "data_offsets": [off, off + len(data)]}
    blobs.append(data)
    off += len(data)
h = json.dumps(hdr).encode()
with open(os.path.join(os.path.dirname(dst), "half.safetensors"), "wb") as f:
    f.write(struct.pack("<Q", len(h)) + h + b"".join(blobs))
print("wrote", len(OUT), "tensors")
