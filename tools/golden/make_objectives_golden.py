#!/usr/bin/python3
"""Writes PyTorch golden values for the alignment objectives next to Diffusion-DPO (Pluralist.Diffusion tests).

Run with Debian's python3-torch (1.13): /usr/bin/python3 tools/golden/make_objectives_golden.py
Output: tests/Pluralist.Diffusion.Tests/Golden/objectives_golden.safetensors (float32 tensors).

Every objective starts from the same per-sample errors as Diffusion-DPO: mse_i = mean over (C, H, W) of
(prediction - target)^2 for the trained model and for the frozen reference.

- Group-robust DPO (Ramesh et al. 2024, Algorithm 1, with the batch's per-group mean in place of the
  dataset-size scaling): per pair the DPO term l_i = -log sigmoid(inside_i); per group present in the batch
  L_g = mean of l_i over its pairs; alpha_g <- alpha_g exp(eta L_g), then normalised; the model's loss is
  sum_g alpha_g L_g with the updated alpha (no gradient through alpha).
- Diffusion-KTO (Li et al. 2024; the authors' training script): g_i = ref_mse_i - model_mse_i,
  kl = clamp(mean(g), min=0) without gradient, h_i = sigmoid(s_i beta (g_i - kl)) with s_i = +1 for a
  desirable image and -1 for an undesirable one, loss = mean(w_i (1 - h_i)) with w = lambda_D or lambda_U.
- MaPO (Hong et al. 2024; the authors' compute_loss, here in float64): winners first; with a = snr,
  log_odds_i = a m_w / (exp(a m_w) - 1) - a m_l / (exp(a m_l) - 1), ratio_i = logsigmoid(T log_odds_i),
  loss = mean(m_w) - beta mean(ratio).
- DPO with a margin: -log sigmoid(inside_i - margin_i).

For each case the inputs, the loss, the gradient with respect to the model prediction and the case's logged
values are stored.
"""
import os

import torch
import torch.nn.functional as F

from goldenio import write_safetensors

torch.manual_seed(20241206)
torch.set_num_threads(1)
OUT = {}


def put(name, t):
    OUT[name] = torch.as_tensor(t).detach().to(torch.float32).contiguous().clone()


def per_sample_mse(pred, target):
    return (pred.float() - target.float()).pow(2).mean(dim=[1, 2, 3])


def dpo_terms(model_pred, ref_pred, target, beta, margins=None):
    m = per_sample_mse(model_pred, target)
    mw, ml = m.chunk(2)
    with torch.no_grad():
        r = per_sample_mse(ref_pred, target)
        rw, rl = r.chunk(2)
    inside = -0.5 * beta * ((mw - ml) - (rw - rl))
    if margins is not None:
        inside = inside - margins
    return -F.logsigmoid(inside), inside


def group_robust(name, model_pred, ref_pred, target, beta, groups, alpha, eta):
    model_pred = model_pred.clone().requires_grad_(True)
    terms, inside = dpo_terms(model_pred, ref_pred, target, beta)
    k = alpha.numel()
    group_loss = torch.full((k,), float("nan"))
    new_alpha = alpha.clone().double()
    for g in range(k):
        sel = groups == g
        if sel.any():
            lg = terms.detach()[sel].mean()
            group_loss[g] = lg
            new_alpha[g] = new_alpha[g] * torch.exp(eta * lg.double())
    new_alpha = (new_alpha / new_alpha.sum()).float()
    loss = torch.zeros(())
    for g in range(k):
        sel = groups == g
        if sel.any():
            loss = loss + new_alpha[g] * terms[sel].mean()
    loss.backward()
    put(f"{name}.model_pred", model_pred)
    put(f"{name}.ref_pred", ref_pred)
    put(f"{name}.target", target)
    put(f"{name}.beta", torch.tensor([beta]))
    put(f"{name}.groups", groups.float())
    put(f"{name}.alpha", alpha)
    put(f"{name}.eta", torch.tensor([eta]))
    put(f"{name}.new_alpha", new_alpha)
    put(f"{name}.group_loss", group_loss)
    put(f"{name}.loss", loss.reshape(1))
    put(f"{name}.grad", model_pred.grad)


def kto(name, model_pred, ref_pred, target, desirable, beta, lambda_d, lambda_u):
    model_pred = model_pred.clone().requires_grad_(True)
    m = per_sample_mse(model_pred, target)
    with torch.no_grad():
        r = per_sample_mse(ref_pred, target)
    g = (-m) - (-r)
    kl = g.mean().detach().clamp(min=0)
    g = g - kl
    sign = 2 * desirable.float() - 1
    z = sign * beta * g
    h = torch.sigmoid(z)
    w = lambda_d * desirable.float() + lambda_u * (1 - desirable.float())
    loss = (w * (1 - h)).mean()
    loss.backward()
    put(f"{name}.model_pred", model_pred)
    put(f"{name}.ref_pred", ref_pred)
    put(f"{name}.target", target)
    put(f"{name}.desirable", desirable.float())
    put(f"{name}.params", torch.tensor([beta, lambda_d, lambda_u]))
    put(f"{name}.kl", kl.reshape(1))
    put(f"{name}.z", z)
    put(f"{name}.loss", loss.reshape(1))
    put(f"{name}.grad", model_pred.grad)


def mapo(name, model_pred, target, beta, snr, timesteps):
    # In float64: the authors' float32 exp(a m) - 1 cancels for small MSEs, and T multiplies the error; the golden
    # value is the formula's, which Pluralist computes in float32 through expm1.
    model_pred = model_pred.clone().double().requires_grad_(True)
    m = (model_pred - target.double()).pow(2).mean(dim=[1, 2, 3])
    mw, ml = m.chunk(2)
    log_odds = (snr * mw) / (torch.exp(snr * mw) - 1) - (snr * ml) / (torch.exp(snr * ml) - 1)
    ratio = F.logsigmoid(log_odds * timesteps)
    loss = mw.mean() - (beta * ratio).mean()
    loss.backward()
    put(f"{name}.model_pred", model_pred)
    put(f"{name}.target", target)
    put(f"{name}.params", torch.tensor([beta, snr, float(timesteps)]))
    put(f"{name}.log_odds", log_odds)
    put(f"{name}.loss", loss.reshape(1))
    put(f"{name}.grad", model_pred.grad)


def dpo_margin(name, model_pred, ref_pred, target, beta, margins):
    model_pred = model_pred.clone().requires_grad_(True)
    terms, inside = dpo_terms(model_pred, ref_pred, target, beta, margins)
    loss = terms.mean()
    loss.backward()
    put(f"{name}.model_pred", model_pred)
    put(f"{name}.ref_pred", ref_pred)
    put(f"{name}.target", target)
    put(f"{name}.beta", torch.tensor([beta]))
    put(f"{name}.margins", margins)
    put(f"{name}.loss", loss.reshape(1))
    put(f"{name}.grad", model_pred.grad)


B, C, H, W = 6, 2, 2, 2
r = torch.randn
target = r(2 * B, C, H, W)
ref = target + 0.5 * r(2 * B, C, H, W)
model = ref + 0.2 * r(2 * B, C, H, W)
# Three groups, group 2 absent from the batch: its weight only changes by the normalisation.
group_robust("grdpo", model, ref, target, 4.0, torch.tensor([0, 1, 0, 1, 1, 0]), torch.tensor([0.5, 0.3, 0.2]), 0.5)
group_robust("grdpo_eta0", model, ref, target, 4.0, torch.tensor([0, 0, 0, 1, 1, 1]), torch.tensor([0.25, 0.75]), 0.0)

N = 8
kt = r(N, C, H, W)
kref = kt + 0.5 * r(N, C, H, W)
kmodel = kref + 0.2 * r(N, C, H, W)
kto("kto", kmodel, kref, kt, torch.tensor([1, 0, 1, 1, 0, 0, 1, 0]), 4.0, 1.0, 1.5)
# The model much better than the reference on average: the KL estimate is positive and shifts every term.
kto("kto_kl", kt + 0.1 * r(N, C, H, W), kref, kt, torch.tensor([1, 1, 0, 1, 0, 1, 0, 0]), 2.0, 1.0, 1.0)

mapo("mapo", model, target, 0.1, 0.5, 1000)
mapo("mapo_small", target + 0.05 * r(2 * B, C, H, W), target, 0.5, 0.5, 50)

dpo_margin("margin", model, ref, target, 4.0, torch.tensor([0.0, 0.1, 0.2, 0.4, 0.0, 0.8]))


root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
out = os.path.join(root, "tests", "Pluralist.Diffusion.Tests", "Golden", "objectives_golden.safetensors")
os.makedirs(os.path.dirname(out), exist_ok=True)
write_safetensors(out, OUT, {"source": "tools/golden/make_objectives_golden.py"})
print(f"wrote {len(OUT)} tensors to {out}")
