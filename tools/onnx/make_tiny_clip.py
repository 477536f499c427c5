#!/usr/bin/python3
"""Builds a tiny CLIP-architecture model with random weights, exports it to ONNX, and writes golden values.

Run with Debian's python3-torch (1.13), python3-pil and python3-regex:
    /usr/bin/python3 tools/onnx/make_tiny_clip.py
Output (committed; the C# tests read it and need no Python):
    tests/Pluralist.Pipeline.Tests/Onnx/tiny-clip/    a model folder laid out as the Hugging Face / optimum exports are:
        model.onnx                   the whole CLIPModel: inputs input_ids, pixel_values, attention_mask;
                                     outputs logits_per_image, logits_per_text, text_embeds, image_embeds (as optimum)
        onnx/text_model.onnx         CLIPTextModelWithProjection: input_ids, attention_mask -> text_embeds, last_hidden_state
        onnx/vision_model.onnx       CLIPVisionModelWithProjection: pixel_values -> image_embeds, last_hidden_state
                                     (the split files of transformers.js exports)
        model.safetensors            the same weights with Hugging Face CLIPModel tensor names (for Pluralist's own engine)
        config.json                  Hugging Face CLIPConfig layout (text_config, vision_config, ...)
        preprocessor_config.json     CLIPImageProcessor settings (resize shortest edge, bicubic, centre crop, mean, std)
        vocab.json, merges.txt       byte-level BPE in CLIP's layout, learned here from EN/FR captions
        tokenizer_config.json, special_tokens_map.json
    tests/Pluralist.Pipeline.Tests/Onnx/golden/
        images/*                     PNG (RGB, grey, RGBA; square and not), a JPEG and a lossless WebP
        golden.json                  captions with their reference token ids and attention masks, image names, sizes,
                                     the logit scale, text/image embeddings (normalised and raw) and logits
        pixels.safetensors           pixel_values of every image as the reference preprocessing gives them

Independent references, so that the C# side is checked against something other than itself:
- the tokenizer is CLIP's algorithm written here (NFC, HTML unescape twice, white space collapsed, lower case, CLIP's
  split pattern, GPT-2's byte-to-unicode map, '</w>' on the last symbol, lowest-rank merge first, start/end tokens,
  truncated to 77 with the end token kept, padded with the end token as Hugging Face does);
- the preprocessing is Hugging Face's CLIPImageProcessor steps done with PIL (convert to RGB, shortest edge resized with
  PIL's bicubic filter to int(size * long / short), centre crop with (h - crop) // 2, x / 255, (x - mean) / std);
- the model is CLIP written here in plain PyTorch (pre-LN transformer blocks, quick_gelu, causal mask plus the padding
  mask on text, end-token pooling at argmax(input_ids), class-token pooling on vision, projections, L2 normalisation,
  logits = exp(logit_scale) * cosine).

    /usr/bin/python3 tools/onnx/make_tiny_clip.py --preset b32 --out /tmp/clip-b32
writes a ViT-B/32-sized model folder (random weights, about 600 MB, not committed) for the benchmark.
"""
import argparse
import html
import json
import os
import struct
import unicodedata
from collections import Counter

import numpy as np
import regex
import torch
import torch.nn as nn
from PIL import Image

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FIXTURES = os.path.join(ROOT, "tests", "Pluralist.Pipeline.Tests", "Onnx")

# ---------------------------------------------------------------------------------------------------------------------
# Tokenizer: CLIP's byte-level BPE (Radford et al. 2021), written from the algorithm's description.
# ---------------------------------------------------------------------------------------------------------------------

SOT, EOT = "<|startoftext|>", "<|endoftext|>"
CONTEXT = 77
PATTERN = regex.compile(r"""<\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+""",
                        regex.IGNORECASE)


def byte_chars():
    """GPT-2's reversible map: printable Latin-1 bytes stand for themselves, the others take U+0100 onwards."""
    keep = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    out, extra = {}, 0
    for b in range(256):
        if b in keep:
            out[b] = chr(b)
        else:
            out[b] = chr(256 + extra)
            extra += 1
    return out


BYTE_CHARS = byte_chars()


def clean(text):
    # ftfy.fix_text's default ends with NFC; ftfy itself (mojibake repair) is not available here.
    text = unicodedata.normalize("NFC", text)
    text = html.unescape(html.unescape(text)).strip()
    text = regex.sub(r"\s+", " ", text).strip()
    return text.lower()


def pre_tokenize(text):
    """Cleaned text split with CLIP's pattern, each piece's UTF-8 bytes mapped to characters."""
    return ["".join(BYTE_CHARS[b] for b in piece.encode("utf-8")) for piece in PATTERN.findall(clean(text))]


def bpe_word(word, ranks):
    """Symbols of one pre-token: '</w>' glued to the last character, then the lowest-ranked adjacent pair merged
    (every occurrence, left to right) until no adjacent pair has a rank."""
    symbols = list(word[:-1]) + [word[-1] + "</w>"]
    while len(symbols) > 1:
        best = None
        for a, b in zip(symbols, symbols[1:]):
            r = ranks.get((a, b))
            if r is not None and (best is None or r < best[0]):
                best = (r, a, b)
        if best is None:
            break
        _, a, b = best
        merged, i = [], 0
        while i < len(symbols):
            if i + 1 < len(symbols) and symbols[i] == a and symbols[i + 1] == b:
                merged.append(a + b)
                i += 2
            else:
                merged.append(symbols[i])
                i += 1
        symbols = merged
    return symbols


def learn_bpe(corpus, max_merges):
    """Learns merges from a corpus: the most frequent adjacent pair first (ties: the smallest pair), pairs seen twice."""
    words = Counter()
    for line in corpus:
        for w in pre_tokenize(line):
            words[tuple(w[:-1]) + (w[-1] + "</w>",)] += 1
    merges = []
    while len(merges) < max_merges:
        pairs = Counter()
        for w, n in words.items():
            for p in zip(w, w[1:]):
                pairs[p] += n
        if not pairs:
            break
        best = min(pairs.items(), key=lambda kv: (-kv[1], kv[0]))
        if best[1] < 2:
            break
        (a, b), _ = best
        merges.append((a, b))
        updated = Counter()
        for w, n in words.items():
            out, i = [], 0
            while i < len(w):
                if i + 1 < len(w) and w[i] == a and w[i + 1] == b:
                    out.append(a + b)
                    i += 2
                else:
                    out.append(w[i])
                    i += 1
            updated[tuple(out)] += n
        words = updated
    return merges


def build_vocab(merges):
    """CLIP's layout: the 256 byte characters, the same with '</w>', one token per merge, then the start and end tokens."""
    chars = [BYTE_CHARS[b] for b in range(256)]
    tokens = chars + [c + "</w>" for c in chars] + [a + b for a, b in merges] + [SOT, EOT]
    return {t: i for i, t in enumerate(tokens)}


def encode(text, vocab, ranks):
    """[start] ids [end], truncated to 77 with the end token kept last, padded with the end token; mask 1 on real tokens."""
    ids = []
    for piece in pre_tokenize(text):
        ids.extend(vocab.get(s, vocab[EOT]) for s in bpe_word(piece, ranks))
    ids = [vocab[SOT]] + ids[:CONTEXT - 2] + [vocab[EOT]]
    mask = [1] * len(ids) + [0] * (CONTEXT - len(ids))
    return ids + [vocab[EOT]] * (CONTEXT - len(ids)), mask


# Training corpus of the tiny vocabulary (EN and FR captions of public spaces).
TRAIN_CORPUS = [
    "a park with benches under maple trees", "a quiet street at night with three lamps",
    "children's playground and a fountain", "the market square in winter with stalls and snow",
    "a safe accessible path for wheelchairs", "a plaza people enjoy on a summer evening",
    "a busy crossing with bikes, buses and people", "a green promenade along the river",
    "an inviting courtyard with flowers and chairs", "a comfortable bench in the shade of trees",
    "un parc avec des bancs sous les érables", "une rue calme la nuit, éclairée par trois lampadaires",
    "l'aire de jeux des enfants près de la fontaine", "la place du marché en hiver avec des étals et de la neige",
    "un chemin sûr et accessible aux fauteuils roulants", "une ruelle sombre avec des graffitis",
    "une place animée avec des vélos, des bus et des gens", "une promenade verte le long de la rivière",
    "une cour accueillante avec des fleurs et des chaises", "un banc confortable à l'ombre des arbres",
    "it's a park; they'll sit there", "c'est un parc où l'on s'assoit",
]

# Test captions: EN and FR, with capitals, HTML entities, extra spaces, digits, punctuation, accents, a decomposed accent
# (NFC), apostrophes, French quotes, words outside the training corpus, and one longer than the context.
CAPTIONS = [
    ("en", "A park with benches under maple trees"),
    ("en", "a QUIET street at night,   with 3 lamps"),
    ("en", "Children's playground &amp; a fountain"),
    ("en", "The market square in winter: 12 stalls, snow!"),
    ("en", "It's a safe, accessible path; they'll enjoy it"),
    ("en", "a zeppelin over the harbour"),
    ("fr", "Un parc avec des bancs sous les érables"),
    ("fr", "Une rue calme la nuit, éclairée par trois lampadaires"),
    ("fr", "L'aire de jeux des enfants près de la fontaine"),
    ("fr", "La place du marché en hiver : 12 étals, de la neige !"),
    ("fr", "Ça déborde : café, crêpes et « fête » à l'œil"),
    ("fr", "Un cafe\u0301 ouvert sur la place"),
    ("en", " ".join(["a long promenade with benches, trees, lamps and people"] * 8)),
]

# ---------------------------------------------------------------------------------------------------------------------
# CLIP in plain PyTorch, with the Hugging Face CLIPModel parameter names.
# ---------------------------------------------------------------------------------------------------------------------


class Attention(nn.Module):
    def __init__(self, d, heads):
        super().__init__()
        self.heads = heads
        self.q_proj, self.k_proj, self.v_proj, self.out_proj = (nn.Linear(d, d) for _ in range(4))

    def forward(self, x, allowed):
        # x (B, L, D); allowed (B or 1, 1, L, L) boolean; softmax(q k^T / sqrt(Dh)) v per head.
        b, l, d = x.shape
        h = self.heads
        dh = d // h
        q = (self.q_proj(x) * dh ** -0.5).reshape(b, l, h, dh).transpose(1, 2)  # (B, H, L, Dh)
        k = self.k_proj(x).reshape(b, l, h, dh).transpose(1, 2)
        v = self.v_proj(x).reshape(b, l, h, dh).transpose(1, 2)
        s = q @ k.transpose(-1, -2)  # (B, H, L, L)
        if allowed is not None:
            s = s.masked_fill(~allowed, torch.finfo(s.dtype).min)
        a = torch.softmax(s, dim=-1) @ v  # (B, H, L, Dh)
        return self.out_proj(a.transpose(1, 2).reshape(b, l, d))


class Mlp(nn.Module):
    def __init__(self, d, hidden):
        super().__init__()
        self.fc1, self.fc2 = nn.Linear(d, hidden), nn.Linear(hidden, d)

    def forward(self, x):
        h = self.fc1(x)
        return self.fc2(h * torch.sigmoid(1.702 * h))  # quick_gelu


class Layer(nn.Module):
    def __init__(self, d, heads, hidden):
        super().__init__()
        self.self_attn = Attention(d, heads)
        self.layer_norm1 = nn.LayerNorm(d, eps=1e-5)
        self.mlp = Mlp(d, hidden)
        self.layer_norm2 = nn.LayerNorm(d, eps=1e-5)

    def forward(self, x, allowed):
        x = x + self.self_attn(self.layer_norm1(x), allowed)
        return x + self.mlp(self.layer_norm2(x))


class Encoder(nn.Module):
    def __init__(self, d, layers, heads, hidden):
        super().__init__()
        self.layers = nn.ModuleList(Layer(d, heads, hidden) for _ in range(layers))

    def forward(self, x, allowed):
        for layer in self.layers:
            x = layer(x, allowed)
        return x


class TextEmbeddings(nn.Module):
    def __init__(self, vocab, context, d):
        super().__init__()
        self.token_embedding = nn.Embedding(vocab, d)
        self.position_embedding = nn.Embedding(context, d)


class TextTransformer(nn.Module):
    def __init__(self, vocab, context, d, layers, heads):
        super().__init__()
        self.embeddings = TextEmbeddings(vocab, context, d)
        self.encoder = Encoder(d, layers, heads, 4 * d)
        self.final_layer_norm = nn.LayerNorm(d, eps=1e-5)

    def forward(self, input_ids, attention_mask):
        # input_ids, attention_mask (B, L) -> last hidden (B, L, D), pooled (B, D) at the first argmax id (the end token).
        b, l = input_ids.shape
        pos = torch.arange(l, device=input_ids.device)
        x = self.embeddings.token_embedding(input_ids) + self.embeddings.position_embedding(pos)[None]
        causal = pos[None, :] <= pos[:, None]  # (L, L): query i sees keys j <= i
        allowed = causal[None, None] & (attention_mask[:, None, None, :] > 0)  # (B, 1, L, L)
        x = self.final_layer_norm(self.encoder(x, allowed))
        at = input_ids.argmax(dim=-1)  # (B,)
        pooled = torch.gather(x, 1, at[:, None, None].expand(b, 1, x.shape[2])).squeeze(1)
        return x, pooled


class VisionEmbeddings(nn.Module):
    def __init__(self, size, patch, d):
        super().__init__()
        self.class_embedding = nn.Parameter(torch.randn(d))
        self.patch_embedding = nn.Conv2d(3, d, patch, stride=patch, bias=False)
        self.position_embedding = nn.Embedding((size // patch) ** 2 + 1, d)


class VisionTransformer(nn.Module):
    def __init__(self, size, patch, d, layers, heads):
        super().__init__()
        self.embeddings = VisionEmbeddings(size, patch, d)
        self.pre_layrnorm = nn.LayerNorm(d, eps=1e-5)  # sic: the checkpoints' spelling
        self.encoder = Encoder(d, layers, heads, 4 * d)
        self.post_layernorm = nn.LayerNorm(d, eps=1e-5)

    def forward(self, pixel_values):
        # pixel_values (B, 3, S, S) -> last hidden (B, N + 1, D), pooled (B, D) = post_layernorm(class token).
        p = self.embeddings.patch_embedding(pixel_values).flatten(2).transpose(1, 2)  # (B, N, D)
        cls = self.embeddings.class_embedding[None, None, :].expand(p.shape[0], 1, p.shape[2])
        x = torch.cat([cls, p], dim=1) + self.embeddings.position_embedding.weight[None]
        x = self.encoder(self.pre_layrnorm(x), None)
        return x, self.post_layernorm(x[:, 0])


class TinyClip(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        t, v = cfg["text_config"], cfg["vision_config"]
        self.text_model = TextTransformer(t["vocab_size"], t["max_position_embeddings"], t["hidden_size"],
                                          t["num_hidden_layers"], t["num_attention_heads"])
        self.vision_model = VisionTransformer(v["image_size"], v["patch_size"], v["hidden_size"],
                                              v["num_hidden_layers"], v["num_attention_heads"])
        e = cfg["projection_dim"]
        self.visual_projection = nn.Linear(v["hidden_size"], e, bias=False)
        self.text_projection = nn.Linear(t["hidden_size"], e, bias=False)
        self.logit_scale = nn.Parameter(torch.tensor(cfg["logit_scale"]))

    def text_embeds(self, input_ids, attention_mask):
        hidden, pooled = self.text_model(input_ids, attention_mask)
        return self.text_projection(pooled), hidden

    def image_embeds(self, pixel_values):
        hidden, pooled = self.vision_model(pixel_values)
        return self.visual_projection(pooled), hidden

    def forward(self, input_ids, pixel_values, attention_mask):
        t, _ = self.text_embeds(input_ids, attention_mask)
        i, _ = self.image_embeds(pixel_values)
        t = t / t.norm(dim=-1, keepdim=True)
        i = i / i.norm(dim=-1, keepdim=True)
        logits_per_text = self.logit_scale.exp() * t @ i.t()  # (Bt, Bi)
        return logits_per_text.t(), logits_per_text, t, i


class TextWithProjection(nn.Module):
    def __init__(self, clip):
        super().__init__()
        self.clip = clip

    def forward(self, input_ids, attention_mask):
        return self.clip.text_embeds(input_ids, attention_mask)


class VisionWithProjection(nn.Module):
    def __init__(self, clip):
        super().__init__()
        self.clip = clip

    def forward(self, pixel_values):
        return self.clip.image_embeds(pixel_values)


def randomise(model, gen):
    """Random weights with enough spread that different inputs give clearly different embeddings."""
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name.endswith("logit_scale"):
                continue
            if "layer_norm" in name or "layrnorm" in name:
                p.copy_((1.0 if name.endswith("weight") else 0.0) + 0.1 * torch.randn(p.shape, generator=gen))
            elif p.dim() == 1:
                p.copy_(0.1 * torch.randn(p.shape, generator=gen))
            else:
                fan_in = p[0].numel() if p.dim() > 1 else p.numel()
                p.copy_(torch.randn(p.shape, generator=gen) / (fan_in ** 0.5))


# ---------------------------------------------------------------------------------------------------------------------
# Preprocessing: Hugging Face CLIPImageProcessor's steps with PIL.
# ---------------------------------------------------------------------------------------------------------------------


def preprocess(path, pp):
    img = Image.open(path)
    img.load()
    if pp["do_convert_rgb"]:
        img = img.convert("RGB")  # alpha dropped, grey replicated
    w, h = img.size
    size = pp["size"]["shortest_edge"]
    short, long = (w, h) if w <= h else (h, w)
    new_short, new_long = size, int(size * long / short)
    new_w, new_h = (new_short, new_long) if w <= h else (new_long, new_short)
    img = img.resize((new_w, new_h), resample=pp["resample"])
    a = np.array(img)  # (H, W, 3) uint8
    ch, cw = pp["crop_size"]["height"], pp["crop_size"]["width"]
    top, left = (a.shape[0] - ch) // 2, (a.shape[1] - cw) // 2
    a = a[top:top + ch, left:left + cw]
    x = (a.astype(np.float64) * pp["rescale_factor"]).astype(np.float32)
    x = (x - np.array(pp["image_mean"], dtype=np.float32)) / np.array(pp["image_std"], dtype=np.float32)
    return x.transpose(2, 0, 1).copy(), (w, h), (new_w, new_h)


def make_images(folder, gen):
    """Synthetic images with smooth gradients, hard edges and noise (so resampling differences would show)."""
    os.makedirs(folder, exist_ok=True)

    def canvas(w, h, seed):
        g = np.random.default_rng(seed)
        yy, xx = np.mgrid[0:h, 0:w].astype(np.float64)
        r = 255 * xx / max(1, w - 1)
        gch = 255 * yy / max(1, h - 1)
        b = 127 + 120 * np.sin(xx / 3.0 + yy / 5.0)
        a = np.stack([r, gch, b], -1)
        for _ in range(4):  # coloured rectangles with hard edges
            x0, y0 = g.integers(0, w - 2), g.integers(0, h - 2)
            a[y0:y0 + g.integers(2, max(3, h // 2)), x0:x0 + g.integers(2, max(3, w // 2))] = g.integers(0, 256, 3)
        a += g.normal(0, 12, a.shape)
        return np.clip(a, 0, 255).round().astype(np.uint8)

    specs = []
    for name, w, h, seed in [("wide", 40, 24, 1), ("tall", 30, 71, 2), ("big", 160, 96, 3), ("square", 32, 32, 4),
                             ("small", 17, 23, 5)]:
        Image.fromarray(canvas(w, h, seed), "RGB").save(os.path.join(folder, name + ".png"))
        specs.append(name + ".png")
    grey = canvas(50, 45, 6)[:, :, 0]
    Image.fromarray(grey, "L").save(os.path.join(folder, "grey.png"))
    specs.append("grey.png")
    rgba = np.concatenate([canvas(64, 40, 7), np.tile(np.linspace(0, 255, 64).astype(np.uint8), (40, 1))[:, :, None]], -1)
    Image.fromarray(rgba, "RGBA").save(os.path.join(folder, "alpha.png"))
    specs.append("alpha.png")
    Image.fromarray(canvas(90, 60, 8), "RGB").save(os.path.join(folder, "photo.jpg"), quality=90)
    specs.append("photo.jpg")
    Image.fromarray(canvas(48, 36, 9), "RGB").save(os.path.join(folder, "lossless.webp"), lossless=True)
    specs.append("lossless.webp")
    return specs


# ---------------------------------------------------------------------------------------------------------------------
# Files.
# ---------------------------------------------------------------------------------------------------------------------


def resample_cases(folder):
    """PIL's resize of two images with every filter (0 nearest, 1 lanczos, 2 bilinear, 3 bicubic, 4 box, 5 hamming),
    shrinking and enlarging in each direction: the RGB bytes, row-major."""
    cases = []
    for name, size in [("big.png", (37, 23)), ("small.png", (40, 50)), ("tall.png", (45, 20))]:
        img = Image.open(os.path.join(folder, name)).convert("RGB")
        for f in range(6):
            out = np.array(img.resize(size, resample=f))
            cases.append({"file": name, "filter": f, "width": size[0], "height": size[1],
                          "rgb": [int(v) for v in out.reshape(-1)]})
    return cases


def write_safetensors(path, tensors):
    """8-byte little-endian header length, JSON header, raw little-endian float32 data."""
    header, blobs, offset = {}, [], 0
    for name in sorted(tensors):
        data = tensors[name].detach().to(torch.float32).contiguous().numpy().tobytes()
        header[name] = {"dtype": "F32", "shape": list(tensors[name].shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    h = json.dumps(header, separators=(",", ":")).encode("utf-8")
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)


def write_json(path, obj):
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        json.dump(obj, f, ensure_ascii=False, indent=1)
        f.write("\n")


def floats(t):
    return [[float(v) for v in row] for row in t.detach().to(torch.float32).tolist()]


def export(model, cfg, folder, opset=17):
    os.makedirs(os.path.join(folder, "onnx"), exist_ok=True)
    b_ids = torch.full((2, 7), 5, dtype=torch.long)
    b_ids[:, -1] = cfg["text_config"]["vocab_size"] - 1
    b_mask = torch.ones_like(b_ids)
    s = cfg["vision_config"]["image_size"]
    b_px = torch.randn(3, 3, s, s)
    text_axes = {0: "text_batch_size", 1: "sequence_length"}
    torch.onnx.export(model, (b_ids, b_px, b_mask), os.path.join(folder, "model.onnx"), opset_version=opset,
                      input_names=["input_ids", "pixel_values", "attention_mask"],
                      output_names=["logits_per_image", "logits_per_text", "text_embeds", "image_embeds"],
                      dynamic_axes={"input_ids": text_axes, "attention_mask": text_axes,
                                    "pixel_values": {0: "image_batch_size"},
                                    "logits_per_image": {0: "image_batch_size", 1: "text_batch_size"},
                                    "logits_per_text": {0: "text_batch_size", 1: "image_batch_size"},
                                    "text_embeds": {0: "text_batch_size"}, "image_embeds": {0: "image_batch_size"}})
    torch.onnx.export(TextWithProjection(model), (b_ids, b_mask), os.path.join(folder, "onnx", "text_model.onnx"),
                      opset_version=opset, input_names=["input_ids", "attention_mask"],
                      output_names=["text_embeds", "last_hidden_state"],
                      dynamic_axes={"input_ids": text_axes, "attention_mask": text_axes, "text_embeds": {0: "text_batch_size"},
                                    "last_hidden_state": text_axes})
    torch.onnx.export(VisionWithProjection(model), (b_px,), os.path.join(folder, "onnx", "vision_model.onnx"),
                      opset_version=opset, input_names=["pixel_values"], output_names=["image_embeds", "last_hidden_state"],
                      dynamic_axes={"pixel_values": {0: "image_batch_size"}, "image_embeds": {0: "image_batch_size"},
                                    "last_hidden_state": {0: "image_batch_size"}})


def hf_config(vocab_size, text, vision, projection):
    return {
        "architectures": ["CLIPModel"], "model_type": "clip", "projection_dim": projection,
        "logit_scale_init_value": 2.6592,
        "text_config": {"model_type": "clip_text_model", "vocab_size": vocab_size, "max_position_embeddings": CONTEXT,
                        "hidden_size": text[0], "num_hidden_layers": text[1], "num_attention_heads": text[2],
                        "intermediate_size": 4 * text[0], "hidden_act": "quick_gelu", "layer_norm_eps": 1e-5,
                        "bos_token_id": vocab_size - 2, "eos_token_id": vocab_size - 1, "pad_token_id": vocab_size - 1},
        "vision_config": {"model_type": "clip_vision_model", "image_size": vision[0], "patch_size": vision[1],
                          "hidden_size": vision[2], "num_hidden_layers": vision[3], "num_attention_heads": vision[4],
                          "intermediate_size": 4 * vision[2], "hidden_act": "quick_gelu", "layer_norm_eps": 1e-5},
    }


def tokenizer_files(folder, vocab, merges):
    write_json(os.path.join(folder, "vocab.json"), vocab)
    with open(os.path.join(folder, "merges.txt"), "w", encoding="utf-8", newline="\n") as f:
        f.write("#version: 0.2\n")
        for a, b in merges:
            f.write(f"{a} {b}\n")
    write_json(os.path.join(folder, "tokenizer_config.json"), {
        "tokenizer_class": "CLIPTokenizer", "model_max_length": CONTEXT, "do_lower_case": True,
        "bos_token": SOT, "eos_token": EOT, "unk_token": EOT, "pad_token": EOT})
    write_json(os.path.join(folder, "special_tokens_map.json"),
               {"bos_token": SOT, "eos_token": EOT, "unk_token": EOT, "pad_token": EOT})


def tiny():
    torch.manual_seed(20)
    torch.set_num_threads(1)
    gen = torch.Generator().manual_seed(20)
    folder = os.path.join(FIXTURES, "tiny-clip")
    golden = os.path.join(FIXTURES, "golden")
    os.makedirs(folder, exist_ok=True)

    merges = learn_bpe(TRAIN_CORPUS, 400)
    vocab = build_vocab(merges)
    ranks = {m: i for i, m in enumerate(merges)}
    tokenizer_files(folder, vocab, merges)

    pp = {"crop_size": {"height": 32, "width": 32}, "do_center_crop": True, "do_convert_rgb": True,
          "do_normalize": True, "do_rescale": True, "do_resize": True,
          "image_mean": [0.45, 0.5, 0.55], "image_std": [0.25, 0.3, 0.35],
          "image_processor_type": "CLIPImageProcessor", "resample": 3,
          "rescale_factor": 0.00392156862745098, "size": {"shortest_edge": 32}}
    write_json(os.path.join(folder, "preprocessor_config.json"), pp)

    logit_scale = 3.5  # exp = 33.12, not CLIP's 100, so that a reader that assumes 100 is caught
    cfg = hf_config(len(vocab), (32, 2, 4), (32, 8, 32, 2, 4), 16)
    cfg_model = dict(cfg, logit_scale=logit_scale)
    write_json(os.path.join(folder, "config.json"), cfg)
    model = TinyClip(cfg_model).eval()
    randomise(model, gen)
    write_safetensors(os.path.join(folder, "model.safetensors"), dict(model.state_dict()))
    export(model, cfg, folder)

    names = make_images(os.path.join(golden, "images"), gen)
    pixels, sizes = {}, []
    for n in names:
        x, src, resized = preprocess(os.path.join(golden, "images", n), pp)
        pixels[n] = torch.from_numpy(x)
        sizes.append({"file": n, "width": src[0], "height": src[1], "resized_width": resized[0], "resized_height": resized[1]})
    write_safetensors(os.path.join(golden, "pixels.safetensors"), pixels)

    encoded = [encode(text, vocab, ranks) for _, text in CAPTIONS]
    ids = torch.tensor([e[0] for e in encoded], dtype=torch.long)
    mask = torch.tensor([e[1] for e in encoded], dtype=torch.long)
    px = torch.stack([pixels[n] for n in names])
    with torch.no_grad():
        logits_per_image, _, t, i = model(ids, px, mask)
        t_raw, _ = model.text_embeds(ids, mask)
        i_raw, _ = model.image_embeds(px)
    write_json(os.path.join(golden, "golden.json"), {
        "note": "written by tools/onnx/make_tiny_clip.py; embeddings from the plain-PyTorch CLIP in that script",
        "context_length": CONTEXT, "logit_scale": logit_scale,
        "captions": [{"language": lang, "text": text, "ids": e[0], "attention_mask": e[1],
                      "pieces": [s for p in pre_tokenize(text) for s in bpe_word(p, ranks)]}
                     for (lang, text), e in zip(CAPTIONS, encoded)],
        "images": sizes,
        "text_embeds": floats(t), "image_embeds": floats(i),
        "text_embeds_raw": floats(t_raw), "image_embeds_raw": floats(i_raw),
        "logits_per_image": floats(logits_per_image),
        "resample": resample_cases(os.path.join(golden, "images")),
    })
    print(f"vocabulary {len(vocab)} tokens ({len(merges)} merges); {sum(p.numel() for p in model.parameters())} parameters")
    for root, _, files in os.walk(FIXTURES):
        for f in sorted(files):
            print(f"{os.path.getsize(os.path.join(root, f)):>9}  {os.path.relpath(os.path.join(root, f), ROOT)}")


def b32(out):
    """ViT-B/32-sized model folder (text 512 wide, 12 layers, 8 heads; vision 224 px, patch 32, 768 wide, 12 layers,
    12 heads; projection 512) with random weights and the tiny vocabulary (the image tower is what the benchmark times)."""
    torch.manual_seed(32)
    gen = torch.Generator().manual_seed(32)
    os.makedirs(out, exist_ok=True)
    merges = learn_bpe(TRAIN_CORPUS, 400)
    vocab = build_vocab(merges)
    tokenizer_files(out, vocab, merges)
    pp = {"crop_size": {"height": 224, "width": 224}, "do_center_crop": True, "do_convert_rgb": True,
          "do_normalize": True, "do_rescale": True, "do_resize": True,
          "image_mean": [0.48145466, 0.4578275, 0.40821073], "image_std": [0.26862954, 0.26130258, 0.27577711],
          "image_processor_type": "CLIPImageProcessor", "resample": 3,
          "rescale_factor": 0.00392156862745098, "size": {"shortest_edge": 224}}
    write_json(os.path.join(out, "preprocessor_config.json"), pp)
    cfg = hf_config(len(vocab), (512, 12, 8), (224, 32, 768, 12, 12), 512)
    write_json(os.path.join(out, "config.json"), cfg)
    model = TinyClip(dict(cfg, logit_scale=4.6052)).eval()
    randomise(model, gen)
    write_safetensors(os.path.join(out, "model.safetensors"), dict(model.state_dict()))
    export(model, cfg, out)
    print(f"wrote {out}: {sum(p.numel() for p in model.parameters())} parameters")


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--preset", choices=["tiny", "b32"], default="tiny")
    ap.add_argument("--out", help="output folder of --preset b32")
    args = ap.parse_args()
    if args.preset == "tiny":
        tiny()
    else:
        b32(args.out or "/tmp/clip-b32")
