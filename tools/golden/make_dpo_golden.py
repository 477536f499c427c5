#!/usr/bin/python3
"""Writes PyTorch golden values for Pluralist.Diffusion tests (Diffusion-DPO loss and noise schedules).

Run with Debian's python3-torch (1.13): /usr/bin/python3 tools/golden/make_dpo_golden.py
Output: tests/Pluralist.Diffusion.Tests/Golden/dpo_golden.safetensors (float32 tensors).

The DPO lines follow the reference trainers (SalesforceAIResearch/DiffusionDPO train.py, diffusers
examples/research_projects/diffusion_dpo/train_diffusion_dpo.py) line for line:
    model_losses = (model_pred - target).pow(2).mean(dim=[1, 2, 3])
    model_losses_w, model_losses_l = model_losses.chunk(2)
    model_diff = model_losses_w - model_losses_l
    ref_diff likewise from the reference prediction (no grad)
    inside_term = -0.5 * beta_dpo * (model_diff - ref_diff)
    implicit_acc = (inside_term > 0).sum().float() / inside_term.size(0)
    implicit_acc += 0.5 * (inside_term == 0).sum().float() / inside_term.size(0)
    loss = -1 * F.logsigmoid(inside_term).mean()

For each case NAME: NAME.model_pred, NAME.ref_pred, NAME.target (2B, C, H, W; winners first), NAME.beta,
NAME.loss, NAME.implicit_acc, NAME.inside_term, NAME.grad (d loss / d model_pred), NAME.raw_model_loss,
NAME.raw_ref_loss. Case "shared" also holds x0_w, x0_l, noise, t, alphas_cumprod and the reference trainer's
noisy input construction (noise.chunk(2)[0].repeat(2, 1, 1, 1), timesteps.chunk(2)[0].repeat(2)) as NAME.noisy.
Schedules: sched.linear.alphas_cumprod, sched.cosine.betas, sched.cosine.alphas_cumprod (float64 computed, stored f32
and also split hi/lo so the tests can compare at double precision).
"""
import math
import os

import torch
import torch.nn.functional as F

from goldenio import write_safetensors

torch.manual_seed(20231130)
torch.set_num_threads(1)
OUT = {}


def put(name, t):
    OUT[name] = torch.as_tensor(t).detach().to(torch.float32).contiguous().clone()


def dpo(name, model_pred, ref_pred, target, beta):
    model_pred = model_pred.clone().requires_grad_(True)
    model_losses = (model_pred.float() - target.float()).pow(2).mean(dim=[1, 2, 3])
    model_losses_w, model_losses_l = model_losses.chunk(2)
    raw_model_loss = 0.5 * (model_losses_w.mean() + model_losses_l.mean())
    model_diff = model_losses_w - model_losses_l
    with torch.no_grad():
        ref_losses = (ref_pred.float() - target.float()).pow(2).mean(dim=[1, 2, 3])
        ref_losses_w, ref_losses_l = ref_losses.chunk(2)
        ref_diff = ref_losses_w - ref_losses_l
        raw_ref_loss = ref_losses.mean()
    scale_term = -0.5 * beta
    inside_term = scale_term * (model_diff - ref_diff)
    implicit_acc = (inside_term > 0).sum().float() / inside_term.size(0)
    implicit_acc += 0.5 * (inside_term == 0).sum().float() / inside_term.size(0)  # a tie counts half
    loss = -1 * F.logsigmoid(inside_term).mean()
    loss.backward()
    put(f"{name}.model_pred", model_pred)
    put(f"{name}.ref_pred", ref_pred)
    put(f"{name}.target", target)
    put(f"{name}.beta", torch.tensor([beta]))
    put(f"{name}.loss", loss.reshape(1))
    put(f"{name}.implicit_acc", implicit_acc.reshape(1))
    put(f"{name}.inside_term", inside_term)
    put(f"{name}.grad", model_pred.grad)
    put(f"{name}.raw_model_loss", raw_model_loss.reshape(1))
    put(f"{name}.raw_ref_loss", raw_ref_loss.reshape(1))


B, C, H, W = 3, 2, 2, 2
r = torch.randn
target = r(2 * B, C, H, W)
# beta 1: O(1) prediction errors, the sigmoid is far from saturation.
dpo("beta1", target + r(2 * B, C, H, W), target + r(2 * B, C, H, W), target, 1.0)
# beta 50: sign and scaling; the reference is the model plus a small perturbation.
mp = target + 0.3 * r(2 * B, C, H, W)
dpo("beta50", mp, mp + 0.02 * r(2 * B, C, H, W), target, 50.0)
# beta 5000 (LIVS / Wallace et al. SD1.5 default): differences of order 1e-4 keep the inside term O(1).
mp = target + 0.3 * r(2 * B, C, H, W)
dpo("beta5000", mp, mp + 2e-4 * r(2 * B, C, H, W), target, 5000.0)
# model == reference: inside term exactly 0, loss log 2, implicit accuracy 0.5 (every pair a tie, counted half).
mp = target + 0.5 * r(2 * B, C, H, W)
dpo("equal", mp, mp.clone(), target, 5000.0)

# Shared noise and timestep between winner and loser, as the reference trainer builds the batch.
T = 1000
betas = torch.linspace(1e-4, 0.02, T, dtype=torch.float64)
alphas_cumprod = torch.cumprod(1.0 - betas, dim=0)
x0_w, x0_l = r(B, C, H, W), r(B, C, H, W)
feed = torch.cat([x0_w, x0_l])  # torch.cat(pixel_values.chunk(2, dim=1))
noise = torch.randn_like(feed)
noise = noise.chunk(2)[0].repeat(2, 1, 1, 1)
timesteps = torch.randint(0, T, (2 * B,))
timesteps = timesteps.chunk(2)[0].repeat(2)
ab = alphas_cumprod[timesteps].float().reshape(-1, 1, 1, 1)
noisy = ab.sqrt() * feed + (1 - ab).sqrt() * noise  # DDPMScheduler.add_noise
put("shared.x0_w", x0_w)
put("shared.x0_l", x0_l)
put("shared.noise", noise[:B])
put("shared.t", timesteps[:B].float())
put("shared.noisy", noisy)


def betas_for_alpha_bar(n, max_beta=0.999):  # diffusers squaredcos_cap_v2
    f = lambda t: math.cos((t + 0.008) / 1.008 * math.pi / 2) ** 2
    return torch.tensor([min(1 - f((i + 1) / n) / f(i / n), max_beta) for i in range(n)], dtype=torch.float64)


cos_betas = betas_for_alpha_bar(T)
cos_ab = torch.cumprod(1.0 - cos_betas, dim=0)
for name, v in [("sched.linear.betas", betas), ("sched.linear.alphas_cumprod", alphas_cumprod),
                ("sched.cosine.betas", cos_betas), ("sched.cosine.alphas_cumprod", cos_ab)]:
    hi = v.float()
    put(name, hi)
    put(name + ".lo", (v - hi.double()).float())


root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
out = os.path.join(root, "tests", "Pluralist.Diffusion.Tests", "Golden", "dpo_golden.safetensors")
os.makedirs(os.path.dirname(out), exist_ok=True)
write_safetensors(out, OUT, {"source": "tools/golden/make_dpo_golden.py"})
print(f"wrote {len(OUT)} tensors to {out}")
