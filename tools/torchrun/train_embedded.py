#!/usr/bin/python3
"""Diffusion-DPO of Pluralist's embedded model on PyTorch, several processes under torchrun.

Copied into a run folder by `pluralist train dpo --engine torch --model embedded` (the C# side embeds this file) and
launched by the folder's launch.sh:

    python3 -m torch.distributed.run --nproc_per_node N train_embedded.py --run RUN_DIR

It reads from the run folder what Pluralist prepared (docs/formats.md, "Torch run folder"):
  manifest.json        every setting (beta, learning rate used, warmup steps, steps, batch, AdamW, clipping, seed)
  base.safetensors     the base model as Pluralist saves it (weights text_encoder.* and unet.*, config and vocab in
                       the metadata)
  prepared.safetensors the pairs after Pluralist's preparation (winner / loser pixels (N, C, H, W), token ids and
                       mask (N, L), weight and soft label (N)) and, for the first R steps, the pair order (R, B), the
                       timesteps (R, B) and the noise (R, B, C, H, W) that Pluralist's own trainer draws, with the
                       schedule's sqrt(alpha_bar) and sqrt(1 - alpha_bar) as Pluralist computes them
and writes output/model.safetensors (loadable by DiffusionModel.Load) and output/log.csv (the columns of
`pluralist train dpo`'s log).

The model mirrors src/Pluralist.Diffusion layer for layer, with the same parameter names, so the state dict goes
back and forth unchanged. The step is the reference trainers' Diffusion-DPO (Wallace et al. 2023, Eq. 14, as
diffusers' train_diffusion_dpo.py computes it), with Pluralist's pair weights and soft labels:
    mse = (pred - eps).pow(2).mean(dim=[1, 2, 3]); inside = -0.5 beta ((mse_w - mse_l) - (ref_w - ref_l))
    term = -logsigmoid(inside)  (soft label p: -(p logsigmoid(inside) + (1 - p) logsigmoid(-inside)))
    loss = sum(weight * term) / B
Each process takes B / processes pairs of every step; DistributedDataParallel averages the gradients, which with
each process dividing by its own share gives the gradient of the whole batch's loss. After the recorded steps the
pair order, timesteps and noise come from torch's generator seeded with the run's seed.
"""
import argparse
import csv
import json
import math
import os
import struct
import time

import torch
import torch.distributed as dist
import torch.nn as nn
import torch.nn.functional as F


# ---- safetensors (the format is a little-endian u64 header length, a JSON header, then the raw tensors) ----

DTYPES = {"F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16}


def load_safetensors(path):
    with open(path, "rb") as f:
        data = f.read()
    n = struct.unpack("<Q", data[:8])[0]
    header = json.loads(data[8:8 + n])
    meta = header.pop("__metadata__", {})
    base = 8 + n
    out = {}
    for name, info in header.items():
        start, end = info["data_offsets"]
        t = torch.frombuffer(bytearray(data[base + start:base + end]), dtype=DTYPES[info["dtype"]])
        out[name] = t.reshape(info["shape"]).float()
    return out, meta


def save_safetensors(path, tensors, meta):
    header, blobs, off = {}, [], 0
    for name in sorted(tensors):
        b = tensors[name].detach().contiguous().to(torch.float32).numpy().astype("<f4").tobytes()
        header[name] = {"dtype": "F32", "shape": list(tensors[name].shape), "data_offsets": [off, off + len(b)]}
        blobs.append(b)
        off += len(b)
    header["__metadata__"] = meta
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


# ---- the embedded model (src/Pluralist.Diffusion), parameter names as Pluralist's state dict ----

class Attention(nn.Module):
    """to_q/to_k/to_v without bias, to_out with bias; key mask (B, M), 1 = attend (Attention.cs)."""

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
        v = self.to_v(ctx).reshape(b, m, h, d // h).permute(0, 2, 1, 3)    # (B, H, M, dh)
        s = q @ k.transpose(-2, -1) / math.sqrt(d // h)                     # (B, H, N, M)
        if key_mask is not None:
            s = s.masked_fill(key_mask[:, None, None, :] == 0, float("-inf"))
        o = (F.softmax(s, -1) @ v).permute(0, 2, 1, 3).reshape(b, n, d)     # (B, N, D)
        return self.to_out(o)


class TransformerLayer(nn.Module):
    """x += attn1(LN x); [x += attn2(LN x, ctx)]; x += ff2(GELU(ff1(LN x))) (TransformerLayer.cs)."""

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


class ResBlock(nn.Module):
    """h = conv1(SiLU(GN x)) + W SiLU(temb); h = conv2(SiLU(GN h)); out = skip(x) + h (ResBlock.cs)."""

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
    """GN, proj_in over the HW tokens, one transformer layer, proj_out, residual (SpatialTransformer.cs)."""

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


class UNet(nn.Module):
    """UNet.cs: names time_embedding.linear_1, conv_in, down.{l}.res.{i}, down.{l}.attn.{i}, down.{l}.downsample,
    mid.res.0, mid.attn.0, mid.res.1, up.{l}.res.{i}, up.{l}.attn.{i}, up.{l}.upsample, norm_out, conv_out."""

    def __init__(self, u):
        super().__init__()
        c0, groups = u["baseChannels"], u["groupNormGroups"]
        temb, mults, per, heads, cdim = 4 * c0, u["channelMultipliers"], u["resBlocksPerLevel"], u["heads"], u["contextDim"]
        attn_res = set(u["attentionResolutions"])
        self.c0, self.levels, self.per = c0, len(mults), per
        self.time_embedding = nn.ModuleDict({"linear_1": nn.Linear(c0, temb), "linear_2": nn.Linear(temb, temb)})
        self.conv_in = nn.Conv2d(u["inChannels"], c0, 3, padding=1)
        skips, ch, res = [c0], c0, u["imageSize"]
        self.down = nn.ModuleDict()
        for l in range(self.levels):
            out = c0 * mults[l]
            level = nn.ModuleDict({"res": nn.ModuleDict(), "attn": nn.ModuleDict()})
            for i in range(per):
                level["res"][str(i)] = ResBlock(ch, out, temb, groups)
                if res in attn_res:
                    level["attn"][str(i)] = SpatialTransformer(out, heads, cdim, groups)
                ch = out
                skips.append(ch)
            if l < self.levels - 1:
                level["downsample"] = nn.Conv2d(ch, ch, 3, stride=2, padding=1)
                skips.append(ch)
                res //= 2
            self.down[str(l)] = level
        self.mid = nn.ModuleDict({
            "res": nn.ModuleDict({"0": ResBlock(ch, ch, temb, groups), "1": ResBlock(ch, ch, temb, groups)}),
            "attn": nn.ModuleDict({"0": SpatialTransformer(ch, heads, cdim, groups)}),
        })
        self.up = nn.ModuleDict()
        for l in reversed(range(self.levels)):
            out = c0 * mults[l]
            level = nn.ModuleDict({"res": nn.ModuleDict(), "attn": nn.ModuleDict()})
            for i in range(per + 1):
                skip = skips.pop()
                level["res"][str(i)] = ResBlock(ch + skip, out, temb, groups)
                if res in attn_res:
                    level["attn"][str(i)] = SpatialTransformer(out, heads, cdim, groups)
                ch = out
            if l > 0:
                level["upsample"] = nn.Conv2d(ch, ch, 3, padding=1)
                res *= 2
            self.up[str(l)] = level
        self.norm_out = nn.GroupNorm(groups, ch)
        self.conv_out = nn.Conv2d(ch, u["inChannels"], 3, padding=1)

    def timestep_embedding(self, t):
        # [cos(t f_i), sin(t f_i)], f_i = exp(-ln(1e4) i / half) (Functional.TimestepEmbedding, flip_sin_to_cos)
        half = self.c0 // 2
        f = torch.exp(-math.log(10000.0) * torch.arange(half, dtype=torch.float32) / half)
        a = t.float()[:, None] * f[None, :]
        return torch.cat([torch.cos(a), torch.sin(a)], 1)

    def forward(self, x, t, context, context_mask):
        te = self.time_embedding
        temb = te["linear_2"](F.silu(te["linear_1"](self.timestep_embedding(t))))   # (B, 4 C0)
        h = self.conv_in(x)                                                          # (B, C0, H, W)
        skips = [h]
        for l in range(self.levels):
            level = self.down[str(l)]
            for i in range(self.per):
                h = level["res"][str(i)](h, temb)
                if str(i) in level["attn"]:
                    h = level["attn"][str(i)](h, context, context_mask)
                skips.append(h)
            if "downsample" in level:
                h = level["downsample"](h)
                skips.append(h)
        mid = self.mid
        h = mid["res"]["1"](mid["attn"]["0"](mid["res"]["0"](h, temb), context, context_mask), temb)
        for l in reversed(range(self.levels)):
            level = self.up[str(l)]
            for i in range(self.per + 1):
                h = level["res"][str(i)](torch.cat([h, skips.pop()], 1), temb)
                if str(i) in level["attn"]:
                    h = level["attn"][str(i)](h, context, context_mask)
            if "upsample" in level:
                h = level["upsample"](F.interpolate(h, scale_factor=2, mode="nearest"))
        return self.conv_out(F.silu(self.norm_out(h)))                               # (B, Cin, H, W)


class TextEncoder(nn.Module):
    """Token + learned position embeddings, pre-norm layers with the padding mask, final LayerNorm (TextEncoder.cs)."""

    def __init__(self, c, vocabulary):
        super().__init__()
        self.token_embedding = nn.Embedding(vocabulary, c["width"])
        self.position_embedding = nn.Parameter(torch.zeros(c["maxLength"], c["width"]))
        self.layers = nn.ModuleList([TransformerLayer(c["width"], c["heads"], None, c["mlpRatio"]) for _ in range(c["layers"])])
        self.final_layer_norm = nn.LayerNorm(c["width"])

    def forward(self, ids, mask):
        x = self.token_embedding(ids) + self.position_embedding                      # (B, L, D)
        for layer in self.layers:
            x = layer(x, mask)
        return self.final_layer_norm(x)


# ---- Diffusion-DPO ----

def dpo_terms(model_pred, ref_pred, target, beta, soft):
    """Per-pair terms (B) and inside terms (B); winners first in the (2B, C, H, W) tensors (DpoLoss.cs)."""
    model_losses = (model_pred.float() - target.float()).pow(2).mean(dim=[1, 2, 3])
    model_w, model_l = model_losses.chunk(2)
    with torch.no_grad():
        ref_losses = (ref_pred.float() - target.float()).pow(2).mean(dim=[1, 2, 3])
        ref_w, ref_l = ref_losses.chunk(2)
    inside = -0.5 * beta * ((model_w - model_l) - (ref_w - ref_l))
    if soft is None:
        terms = -F.logsigmoid(inside)
    else:
        terms = -(soft * F.logsigmoid(inside) + (1 - soft) * F.logsigmoid(-inside))
    return terms, inside.detach(), model_losses.detach(), ref_losses.detach()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--run", required=True, help="the run folder")
    ap.add_argument("--steps", type=int, default=0, help="stop after this many steps (default: the manifest's)")
    a = ap.parse_args()
    torch.set_num_threads(1)
    world = int(os.environ.get("WORLD_SIZE", "1"))
    rank = int(os.environ.get("RANK", "0"))
    distributed = world > 1
    if distributed:
        dist.init_process_group("gloo")

    with open(os.path.join(a.run, "manifest.json")) as f:
        manifest = json.load(f)
    s = manifest["settings"]
    steps = a.steps or s["steps"]
    batch, per_device = s["effective_batch"], s["per_device_batch"]
    if batch % world != 0 or (batch // world) % per_device != 0:
        raise SystemExit(f"train_embedded.py: batch {batch} does not split over {world} processes x {per_device} per device")
    local = batch // world

    weights, meta = load_safetensors(os.path.join(a.run, manifest["base"]))
    config = json.loads(meta["config"])
    text = TextEncoder(config["textEncoder"], weights["text_encoder.token_embedding.weight"].shape[0])
    unet, reference = UNet(config["unet"]), UNet(config["unet"])
    text.load_state_dict({k[len("text_encoder."):]: v for k, v in weights.items() if k.startswith("text_encoder.")}, strict=True)
    unet_state = {k[len("unet."):]: v for k, v in weights.items() if k.startswith("unet.")}
    unet.load_state_dict(unet_state, strict=True)
    reference.load_state_dict(unet_state, strict=True)
    for p in list(text.parameters()) + list(reference.parameters()):
        p.requires_grad_(False)
    text.eval()
    reference.eval()
    unet.train()
    model = nn.parallel.DistributedDataParallel(unet) if distributed else unet

    prep, prep_meta = load_safetensors(os.path.join(a.run, "prepared.safetensors"))
    winner, loser = prep["winner"], prep["loser"]                       # (N, C, H, W)
    ids, mask = prep["input_ids"].long(), prep["attention_mask"]        # (N, L)
    pair_weight, soft_label, is_soft = prep["weight"], prep["soft_label"], prep["is_soft"]  # (N)
    sqrt_ab, sqrt_1mab = prep["sqrt_alphas_cumprod"], prep["sqrt_one_minus_alphas_cumprod"]  # (T)
    order, timesteps, noise = prep["order"].long(), prep["timesteps"].long(), prep["noise"]  # (R, B), (R, B), (R, B, C, H, W)
    recorded, n_pairs, train_steps = order.shape[0], winner.shape[0], sqrt_ab.shape[0]
    image_shape = winner.shape[1:]

    with torch.no_grad():
        context_all = text(ids, mask)                                   # (N, L, D): the text encoder is frozen

    optimizer = torch.optim.AdamW(unet.parameters(), lr=s["learning_rate_used"], betas=(s["adam_beta1"], s["adam_beta2"]),
                                  eps=s["adam_epsilon"], weight_decay=s["adam_weight_decay"])
    gen = torch.Generator().manual_seed(int(s["seed"]))
    perm, perm_epoch = None, -1

    def draws(step):
        """Pair indices (B), timesteps (B) and noise (B, C, H, W) of a step: Pluralist's for the recorded steps."""
        nonlocal perm, perm_epoch
        if step < recorded:
            return order[step], timesteps[step], noise[step]
        idx = []
        for j in range(batch):
            k = step * batch + j
            if k // n_pairs != perm_epoch:
                perm_epoch, perm = k // n_pairs, torch.randperm(n_pairs, generator=gen)
            idx.append(int(perm[k % n_pairs]))
        return torch.tensor(idx), torch.randint(0, train_steps, (batch,), generator=gen), torch.randn((batch, *image_shape), generator=gen)

    def lr_at(step):  # linear warmup from 0 as (step + 1) / warmup, then constant (LearningRateSchedule.cs)
        w = s["warmup_steps"]
        return s["learning_rate_used"] * (step + 1) / w if step < w else s["learning_rate_used"]

    out_dir = os.path.join(a.run, manifest.get("output", "output"))
    if rank == 0:
        os.makedirs(out_dir, exist_ok=True)
        log = open(os.path.join(out_dir, "log.csv"), "w", newline="")
        writer = csv.writer(log)
        writer.writerow(["step", "loss", "implicit_accuracy", "model_mse", "reference_mse", "learning_rate", "grad_norm", "seconds"])
    beta = float(s["beta"])
    for step in range(steps):
        t0 = time.perf_counter()
        idx_all, t_all, eps_all = draws(step)
        mine = slice(rank * local, (rank + 1) * local)                  # this process's share of the batch
        idx_l, t_l, eps_l = idx_all[mine], t_all[mine], eps_all[mine]
        optimizer.zero_grad(set_to_none=True)
        stats = torch.zeros(6, dtype=torch.float64)                     # loss, correct, mse, ref mse, pairs, terms weight
        passes = local // per_device
        for p in range(passes):
            part = slice(p * per_device, (p + 1) * per_device)
            idx, t, eps = idx_l[part], t_l[part], eps_l[part]
            b = idx.shape[0]
            feed = torch.cat([winner[idx], loser[idx]])                     # (2b, C, H, W)
            eps2 = torch.cat([eps, eps])                                   # the same noise for winner and loser
            t2 = torch.cat([t, t])
            x_t = sqrt_ab[t2][:, None, None, None] * feed + sqrt_1mab[t2][:, None, None, None] * eps2
            ctx = torch.cat([context_all[idx], context_all[idx]])          # (2b, L, D)
            m = torch.cat([mask[idx], mask[idx]])
            soft = soft_label[idx] if bool(is_soft[idx].any()) else None
            last = p == passes - 1
            sync = model.no_sync() if distributed and not last else _Null()
            with sync:
                pred = model(x_t, t2, ctx, m)
                with torch.no_grad():
                    ref = reference(x_t, t2, ctx, m)
                terms, inside, mse, ref_mse = dpo_terms(pred, ref, eps2, beta, soft)
                loss = (terms * pair_weight[idx]).sum() / local             # DDP averages over processes: sum / batch
                loss.backward()
            stats += torch.tensor([float((terms * pair_weight[idx]).sum()), float((inside > 0).sum()) + 0.5 * float((inside == 0).sum()),
                                   float(mse.sum()), float(ref_mse.sum()), float(b), 0.0], dtype=torch.float64)
        norm = torch.nn.utils.clip_grad_norm_(unet.parameters(), s["max_grad_norm"]) if s["max_grad_norm"] > 0 else torch.tensor(float("nan"))
        lr = lr_at(step)
        for g in optimizer.param_groups:
            g["lr"] = lr
        optimizer.step()
        if distributed:
            dist.all_reduce(stats)
        if rank == 0:
            writer.writerow([step + 1, f"{stats[0] / batch:.9g}", f"{stats[1] / batch:.6g}", f"{stats[2] / (2 * batch):.9g}",
                             f"{stats[3] / (2 * batch):.9g}", f"{lr:.6g}", f"{float(norm):.6g}", f"{time.perf_counter() - t0:.3f}"])
            log.flush()

    if rank == 0:
        log.close()
        out = {k: v for k, v in weights.items() if k.startswith("text_encoder.")}
        out.update({"unet." + k: v for k, v in unet.state_dict().items()})
        save_safetensors(os.path.join(out_dir, "model.safetensors"), out,
                         {"format": meta.get("format", "pluralist-diffusion-1"), "config": meta["config"], "vocab": meta["vocab"],
                          "trained_by": "train_embedded.py (Diffusion-DPO, torchrun)", "steps": str(steps)})
        print(f"train_embedded.py: {steps} steps on {world} process(es) -> {out_dir}/model.safetensors, log {out_dir}/log.csv")
    if distributed:
        dist.barrier()
        dist.destroy_process_group()


class _Null:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


if __name__ == "__main__":
    main()
