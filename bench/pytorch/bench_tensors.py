#!/usr/bin/python3
"""PyTorch side of the Pluralist.Tensors benchmark (same shapes as bench/Pluralist.Benchmarks/Tensors/TensorBench.cs).

Usage: /usr/bin/python3 bench/pytorch/bench_tensors.py --threads N [--quick] [--min] [--conv-only] [--conv-passes]
           [--embedded-config models/base32-small.config.json] -> one JSON object per line
       /usr/bin/python3 bench/pytorch/bench_tensors.py --threads N --memory STEPS -> peak RSS (ru_maxrss) of STEPS training steps
       /usr/bin/python3 bench/pytorch/bench_tensors.py --threads N --profile STEPS --embedded-config PATH -> per-op tables
Timings: one warm-up run, then the median of the repeats (--min: the fastest of 9), in seconds; wall clock, or with
--cpu-time the process's CPU time (time.process_time: user + system time of every thread).
"""
import argparse
import json
import math
import resource
import statistics
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


FASTEST = False
CLOCK = time.perf_counter


def timed(fn, repeats):
    fn()
    ts = []
    for _ in range(repeats):
        t0 = CLOCK()
        fn()
        ts.append(CLOCK() - t0)
    return min(ts) if FASTEST else statistics.median(ts)


class ResBlock(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.norm1 = nn.GroupNorm(8, c)
        self.conv1 = nn.Conv2d(c, c, 3, padding=1)
        self.norm2 = nn.GroupNorm(8, c)
        self.conv2 = nn.Conv2d(c, c, 3, padding=1)

    def forward(self, x):
        h = self.conv1(F.silu(self.norm1(x)))
        return x + self.conv2(F.silu(self.norm2(h)))


class AttnBlock(nn.Module):
    def __init__(self, c, heads):
        super().__init__()
        self.heads = heads
        self.norm = nn.GroupNorm(8, c)
        self.qkv = nn.Linear(c, 3 * c)
        self.proj = nn.Linear(c, c)

    def forward(self, x):
        b, c, h, w = x.shape
        t = self.norm(x).flatten(2).transpose(1, 2)                       # (B, HW, C)
        q, k, v = self.qkv(t).reshape(b, h * w, 3, self.heads, c // self.heads).permute(2, 0, 3, 1, 4)
        s = q @ k.transpose(-2, -1) / (c // self.heads) ** 0.5
        a = (F.softmax(s, -1) @ v).permute(0, 2, 1, 3).reshape(b, h * w, c)
        return x + self.proj(a).transpose(1, 2).reshape(b, c, h, w)


class SmallUNet(nn.Module):
    """conv in -> res(32) -> down -> res(64) -> attn(64) -> up -> cat skip -> conv -> res(32) -> conv out."""

    def __init__(self):
        super().__init__()
        self.conv_in = nn.Conv2d(4, 32, 3, padding=1)
        self.res1 = ResBlock(32)
        self.down = nn.Conv2d(32, 64, 3, stride=2, padding=1)
        self.res2 = ResBlock(64)
        self.attn = AttnBlock(64, 4)
        self.up = nn.Conv2d(64, 32, 3, padding=1)
        self.merge = nn.Conv2d(64, 32, 3, padding=1)
        self.res3 = ResBlock(32)
        self.norm_out = nn.GroupNorm(8, 32)
        self.conv_out = nn.Conv2d(32, 4, 3, padding=1)

    def forward(self, x):
        h1 = self.res1(self.conv_in(x))                                  # (B, 32, 32, 32)
        h = self.attn(self.res2(self.down(h1)))                          # (B, 64, 16, 16)
        h = self.up(F.interpolate(h, scale_factor=2, mode="nearest"))    # (B, 32, 32, 32)
        h = self.res3(self.merge(torch.cat([h, h1], 1)))
        return self.conv_out(F.silu(self.norm_out(h)))


# The embedded model (src/Pluralist.Diffusion: UNet.cs, TextEncoder.cs, ResBlock.cs, SpatialTransformer.cs,
# TransformerLayer.cs, Attention.cs), layer for layer, built from the same JSON configuration.

class Attention(nn.Module):
    def __init__(self, query_dim, context_dim, heads):
        super().__init__()
        self.heads = heads
        self.to_q = nn.Linear(query_dim, query_dim, bias=False)
        self.to_k = nn.Linear(context_dim, query_dim, bias=False)
        self.to_v = nn.Linear(context_dim, query_dim, bias=False)
        self.to_out = nn.Linear(query_dim, query_dim)

    def forward(self, x, context=None, key_mask=None):
        ctx = x if context is None else context
        b, n, d = x.shape
        m, h = ctx.shape[1], self.heads
        q = self.to_q(x).reshape(b, n, h, d // h).permute(0, 2, 1, 3)      # (B, H, N, dh)
        k = self.to_k(ctx).reshape(b, m, h, d // h).permute(0, 2, 1, 3)    # (B, H, M, dh)
        v = self.to_v(ctx).reshape(b, m, h, d // h).permute(0, 2, 1, 3)
        s = q @ k.transpose(-2, -1) / math.sqrt(d // h)
        if key_mask is not None:
            s = s.masked_fill(key_mask[:, None, None, :] == 0, float("-inf"))
        o = (F.softmax(s, -1) @ v).permute(0, 2, 1, 3).reshape(b, n, d)
        return self.to_out(o)


class TransformerLayer(nn.Module):
    def __init__(self, dim, heads, context_dim, mlp_ratio):
        super().__init__()
        self.norm1 = nn.LayerNorm(dim)
        self.attn1 = Attention(dim, dim, heads)
        self.cross = context_dim is not None
        if self.cross:
            self.norm2 = nn.LayerNorm(dim)
            self.attn2 = Attention(dim, context_dim, heads)
        self.norm3 = nn.LayerNorm(dim)
        self.ff1 = nn.Linear(dim, dim * mlp_ratio)
        self.ff2 = nn.Linear(dim * mlp_ratio, dim)

    def forward(self, x, self_mask=None, context=None, context_mask=None):
        x = x + self.attn1(self.norm1(x), None, self_mask)
        if self.cross and context is not None:
            x = x + self.attn2(self.norm2(x), context, context_mask)
        return x + self.ff2(F.gelu(self.ff1(self.norm3(x))))


class EmbResBlock(nn.Module):
    def __init__(self, cin, cout, temb, groups):
        super().__init__()
        self.norm1 = nn.GroupNorm(groups, cin)
        self.conv1 = nn.Conv2d(cin, cout, 3, padding=1)
        self.time_emb_proj = nn.Linear(temb, cout)
        self.norm2 = nn.GroupNorm(groups, cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, padding=1)
        self.skip = None if cin == cout else nn.Conv2d(cin, cout, 1)

    def forward(self, x, temb):
        h = self.conv1(F.silu(self.norm1(x)))
        h = h + self.time_emb_proj(F.silu(temb))[:, :, None, None]
        h = self.conv2(F.silu(self.norm2(h)))
        return (x if self.skip is None else self.skip(x)) + h


class SpatialTransformer(nn.Module):
    def __init__(self, channels, heads, context_dim, groups):
        super().__init__()
        self.norm = nn.GroupNorm(groups, channels)
        self.proj_in = nn.Linear(channels, channels)
        self.transformer = TransformerLayer(channels, heads, context_dim, 4)
        self.proj_out = nn.Linear(channels, channels)

    def forward(self, x, context, context_mask):
        b, c, h, w = x.shape
        t = self.norm(x).reshape(b, c, h * w).permute(0, 2, 1)             # (B, HW, C)
        t = self.proj_out(self.transformer(self.proj_in(t), None, context, context_mask))
        return x + t.permute(0, 2, 1).reshape(b, c, h, w)


class EmbeddedUNet(nn.Module):
    def __init__(self, u):
        super().__init__()
        c0, groups = u["baseChannels"], u["groupNormGroups"]
        temb, mults, per, heads, cdim = 4 * c0, u["channelMultipliers"], u["resBlocksPerLevel"], u["heads"], u["contextDim"]
        self.c0, self.levels, self.per = c0, len(mults), per
        self.time_linear_1 = nn.Linear(c0, temb)
        self.time_linear_2 = nn.Linear(temb, temb)
        self.conv_in = nn.Conv2d(u["inChannels"], c0, 3, padding=1)
        skips, ch, res = [c0], c0, u["imageSize"]
        self.down, self.downsample = nn.ModuleList(), nn.ModuleDict()
        for l in range(self.levels):
            out = c0 * mults[l]
            for _ in range(per):
                at = SpatialTransformer(out, heads, cdim, groups) if res in u["attentionResolutions"] else None
                self.down.append(nn.ModuleList([EmbResBlock(ch, out, temb, groups)] + ([at] if at else [])))
                ch = out
                skips.append(ch)
            if l < self.levels - 1:
                self.downsample[str(l)] = nn.Conv2d(ch, ch, 3, stride=2, padding=1)
                skips.append(ch)
                res //= 2
        self.mid_res1 = EmbResBlock(ch, ch, temb, groups)
        self.mid_attn = SpatialTransformer(ch, heads, cdim, groups)
        self.mid_res2 = EmbResBlock(ch, ch, temb, groups)
        self.up, self.upsample = nn.ModuleList(), nn.ModuleDict()
        for l in reversed(range(self.levels)):
            out = c0 * mults[l]
            for _ in range(per + 1):
                skip = skips.pop()
                at = SpatialTransformer(out, heads, cdim, groups) if res in u["attentionResolutions"] else None
                self.up.append(nn.ModuleList([EmbResBlock(ch + skip, out, temb, groups)] + ([at] if at else [])))
                ch = out
            if l > 0:
                self.upsample[str(l)] = nn.Conv2d(ch, ch, 3, padding=1)
                res *= 2
        self.norm_out = nn.GroupNorm(groups, ch)
        self.conv_out = nn.Conv2d(ch, u["inChannels"], 3, padding=1)

    def timestep_embedding(self, t):
        # diffusers get_timestep_embedding, flip_sin_to_cos=True, shift 0: [cos(t f), sin(t f)], f_i = exp(-ln(1e4) i / half)
        half = self.c0 // 2
        f = torch.exp(-math.log(10000.0) * torch.arange(half, dtype=torch.float32) / half)
        a = t.float()[:, None] * f[None, :]
        return torch.cat([torch.cos(a), torch.sin(a)], 1)

    def forward(self, x, t, context, context_mask):
        temb = self.time_linear_2(F.silu(self.time_linear_1(self.timestep_embedding(t))))
        h = self.conv_in(x)
        skips, k = [h], 0
        for l in range(self.levels):
            for _ in range(self.per):
                blocks = self.down[k]
                h = blocks[0](h, temb)
                if len(blocks) > 1:
                    h = blocks[1](h, context, context_mask)
                skips.append(h)
                k += 1
            if str(l) in self.downsample:
                h = self.downsample[str(l)](h)
                skips.append(h)
        h = self.mid_res2(self.mid_attn(self.mid_res1(h, temb), context, context_mask), temb)
        k = 0
        for l in reversed(range(self.levels)):
            for _ in range(self.per + 1):
                blocks = self.up[k]
                h = blocks[0](torch.cat([h, skips.pop()], 1), temb)
                if len(blocks) > 1:
                    h = blocks[1](h, context, context_mask)
                k += 1
            if str(l) in self.upsample:
                h = self.upsample[str(l)](F.interpolate(h, scale_factor=2, mode="nearest"))
        return self.conv_out(F.silu(self.norm_out(h)))


class TextEncoder(nn.Module):
    def __init__(self, c, vocabulary):
        super().__init__()
        self.token_embedding = nn.Embedding(vocabulary, c["width"])
        self.position_embedding = nn.Parameter(torch.randn(c["maxLength"], c["width"]) * 0.01)
        self.layers = nn.ModuleList([TransformerLayer(c["width"], c["heads"], None, c["mlpRatio"]) for _ in range(c["layers"])])
        self.final_layer_norm = nn.LayerNorm(c["width"])

    def forward(self, ids, mask):
        x = self.token_embedding(ids) + self.position_embedding
        for layer in self.layers:
            x = layer(x, mask)
        return self.final_layer_norm(x)


EMBEDDED_BATCH = 16
VOCABULARY = 476  # WordTokenizer.Default().VocabularySize; the C# side passes the exact value with --vocabulary


def embedded_tokens(batch, length, vocabulary):
    """Prompt i: 6 + (5 i mod 9) tokens, <bos> 1, ids 4 + (7 i + 3 j) mod (V - 4), <eos> 2, then padding 0 (as the C# side)."""
    ids = torch.zeros(batch, length, dtype=torch.long)
    mask = torch.zeros(batch, length)
    for i in range(batch):
        n = min(length, 6 + 5 * i % 9)
        for j in range(n):
            ids[i, j] = 1 if j == 0 else 2 if j == n - 1 else 4 + (7 * i + 3 * j) % (vocabulary - 4)
            mask[i, j] = 1
    return ids, mask


def embedded_setup(config_path):
    with open(config_path) as f:
        cfg = json.load(f)
    torch.manual_seed(0)
    unet, text = EmbeddedUNet(cfg["unet"]), TextEncoder(cfg["textEncoder"], VOCABULARY)
    params = list(text.parameters()) + list(unet.parameters())
    opt = torch.optim.AdamW(params, lr=2e-4, weight_decay=0)
    shadow = [p.detach().clone() for p in params]
    u = cfg["unet"]
    noisy = torch.randn(EMBEDDED_BATCH, u["inChannels"], u["imageSize"], u["imageSize"])
    noise = torch.randn_like(noisy)
    t = torch.tensor([i * 61 % cfg["schedule"]["trainSteps"] for i in range(EMBEDDED_BATCH)])
    ids, mask = embedded_tokens(EMBEDDED_BATCH, cfg["textEncoder"]["maxLength"], VOCABULARY)

    def step():
        opt.zero_grad(set_to_none=True)
        ctx = text(ids, mask)
        loss = F.mse_loss(unet(noisy, t, ctx, mask), noise)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        with torch.no_grad():  # EMA 0.999
            torch._foreach_mul_(shadow, 0.999)
            torch._foreach_add_(shadow, params, alpha=0.001)

    return step


UNET_BATCH = 8


def unet_setup():
    torch.manual_seed(0)
    net = SmallUNet()
    opt = torch.optim.AdamW(net.parameters(), lr=1e-4)
    x = torch.randn(UNET_BATCH, 4, 32, 32)
    target = torch.randn(UNET_BATCH, 4, 32, 32)

    def step():
        opt.zero_grad(set_to_none=True)
        loss = F.mse_loss(net(x), target)
        loss.backward()
        opt.step()

    return step


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, required=True)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--memory", type=int, default=0)
    ap.add_argument("--min", action="store_true")
    ap.add_argument("--conv-only", action="store_true")
    ap.add_argument("--conv-passes", action="store_true")
    ap.add_argument("--embedded-config")
    ap.add_argument("--profile", type=int, default=0)
    ap.add_argument("--vocabulary", type=int, default=0)
    ap.add_argument("--cpu-time", action="store_true")
    a = ap.parse_args()
    global CLOCK
    CLOCK = time.process_time if a.cpu_time else time.perf_counter
    global VOCABULARY
    VOCABULARY = a.vocabulary or VOCABULARY
    global FASTEST
    FASTEST = a.min
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    if a.profile:
        for name, step in (("small UNet", unet_setup()), ("embedded model", embedded_setup(a.embedded_config))):
            step()
            t0, c0 = time.perf_counter(), time.thread_time()
            for _ in range(a.profile):
                step()
            wall, cpu = (time.perf_counter() - t0) / a.profile, (time.thread_time() - c0) / a.profile
            with torch.autograd.profiler.profile() as prof:
                for _ in range(a.profile):
                    step()
            print(f"## PyTorch {name}: {wall * 1000:.1f} ms per step (wall), {cpu * 1000:.1f} ms (CPU time of the calling thread), "
                  f"without the profiler; {a.profile} steps under it, self CPU time by op")
            print(prof.key_averages().table(sort_by="self_cpu_time_total", row_limit=30))
        return
    if a.memory:
        step = unet_setup()
        for _ in range(a.memory):
            step()
        print(json.dumps({"name": "peak_rss_bytes", "value": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024}))
        return
    reps = 2 if a.quick else 9 if a.min else 5
    for n in () if a.conv_only else (256, 512, 1024, 2048):
        x, y = torch.randn(n, n), torch.randn(n, n)
        print(json.dumps({"name": f"matmul {n}", "seconds": timed(lambda: x @ y, reps if n < 2048 else 3)}), flush=True)
    for (b, c, hw, o, stride) in ((8, 32, 32, 32, 1), (8, 64, 16, 64, 1), (8, 32, 32, 64, 2), (8, 128, 8, 128, 1)):
        x = torch.randn(b, c, hw, hw, requires_grad=True)
        w = torch.randn(o, c, 3, 3, requires_grad=True)
        bias = torch.randn(o, requires_grad=True)

        def conv():
            y = F.conv2d(x, w, bias, stride=stride, padding=1)
            y.backward(torch.ones_like(y))
        name = f"conv {b}x{c}x{hw}x{hw} -> {o}, 3x3/s{stride}"
        print(json.dumps({"name": name, "seconds": timed(conv, reps)}), flush=True)
        if a.conv_passes:
            def fwd():
                with torch.no_grad():
                    F.conv2d(x, w, bias, stride=stride, padding=1)

            def pass_grad(wants_x):
                xs = x if wants_x else x.detach()
                ws = w.detach() if wants_x else w
                y = F.conv2d(xs, ws, None, stride=stride, padding=1)
                y.backward(torch.ones_like(y))
            print(json.dumps({"name": f"{name}: forward", "seconds": timed(fwd, reps)}), flush=True)
            print(json.dumps({"name": f"{name}: forward + weight gradient", "seconds": timed(lambda: pass_grad(False), reps)}), flush=True)
            print(json.dumps({"name": f"{name}: forward + input gradient", "seconds": timed(lambda: pass_grad(True), reps)}), flush=True)
    if a.conv_only:
        return
    for (bh, l, d) in ((32, 256, 16), (8, 1024, 32)):
        q, k, v = (torch.randn(1, bh, l, d, requires_grad=True) for _ in range(3))

        def attn():
            s = q @ k.transpose(-2, -1) / d ** 0.5
            o = F.softmax(s, -1) @ v
            o.backward(torch.ones_like(o))
        print(json.dumps({"name": f"attention {bh} heads x {l} x {d}", "seconds": timed(attn, reps)}), flush=True)
    step = unet_setup()
    print(json.dumps({"name": "small UNet AdamW train step (batch 8, 4x32x32)", "seconds": timed(step, reps)}), flush=True)
    if a.embedded_config:
        step = embedded_setup(a.embedded_config)
        print(json.dumps({"name": "embedded model train step (base32-small: text encoder + UNet, batch 16, clip, AdamW, EMA)", "seconds": timed(step, reps)}), flush=True)


if __name__ == "__main__":
    main()
