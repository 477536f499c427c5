#!/usr/bin/python3
"""PyTorch side of the Pluralist.Tensors benchmark (same shapes as bench/Pluralist.Benchmarks/Tensors/TensorBench.cs).

Usage: /usr/bin/python3 bench/pytorch/bench_tensors.py --threads N [--quick] [--min] [--conv-only] [--conv-passes] -> one JSON object per line
       /usr/bin/python3 bench/pytorch/bench_tensors.py --threads N --memory STEPS -> peak RSS (ru_maxrss) of STEPS training steps
Timings: one warm-up run, then the median of the repeats (--min: the fastest of 9), in seconds.
"""
import argparse
import json
import resource
import statistics
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


FASTEST = False


def timed(fn, repeats):
    fn()
    ts = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        ts.append(time.perf_counter() - t0)
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
    a = ap.parse_args()
    global FASTEST
    FASTEST = a.min
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
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
    print(json.dumps({"name": "unet train step", "seconds": timed(step, reps)}), flush=True)


if __name__ == "__main__":
    main()
