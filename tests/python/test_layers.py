"""The house's layers are its folders: every import of pyphotoq's modules, deferred ones
included, points down a layer or stays in its own, and no modules import each other in a loop.
docs/architecture.md explains the layers."""

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "pyphotoq"

#: The layers from the bottom up: one folder each, then the faces at the top of the package.
LAYERS = ["core", "photos", "data", "models", "workflow", "reporting", "faces"]


def _module_name(path: Path) -> str:
    """A module's dotted name inside the package: "data.cache", or "cli" for a face."""
    parts = path.relative_to(PACKAGE).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts) or "__init__"


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for p in PACKAGE.rglob("*.py") if "review_page" not in p.parts}


def _imports() -> dict[str, set[str]]:
    """module -> the pyphotoq modules it imports anywhere in its text (relative or absolute)."""
    modules = _modules()
    found = {}
    for name, path in modules.items():
        folder = name.split(".")[:-1] if path.name != "__init__.py" else name.split(".")
        if name == "__init__":
            folder = []
        targets = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.ImportFrom):
                continue
            if node.level:
                base = folder[: len(folder) - (node.level - 1)] if node.level > 1 else list(folder)
            elif (node.module or "").startswith("pyphotoq"):
                base = []
            else:
                continue
            module = node.module.split(".") if node.module else []
            if not node.level:
                module = module[1:]
            stem = base + module
            candidates = [".".join(stem)] if module else []
            candidates += [".".join(stem + [a.name]) for a in node.names]
            targets |= {c for c in candidates if c in modules}
        found[name] = targets - {name}
    return found


def _layer_of(module: str) -> str:
    first = module.split(".")[0]
    return first if "." in module or first in LAYERS[:-1] else "faces"


def _rank() -> dict[str, int]:
    return {module: LAYERS.index(_layer_of(module)) for module in _modules()}


def test_every_module_sits_in_a_layer_folder():
    folders = sorted(p.name for p in PACKAGE.iterdir() if p.is_dir() and (p / "__init__.py").exists())
    assert folders == sorted(LAYERS[:-1])
    faces = sorted(m for m in _modules() if _layer_of(m) == "faces")
    assert faces == sorted(["__init__", "__main__", "cli", "cli_parser", "cluster", "demo", "demo_render", "interop",
                            "r_help"]), "a new module goes into the folder of its layer"


def test_imports_point_down():
    rank, imports = _rank(), _imports()
    upward = sorted((a, b) for a, targets in imports.items() for b in targets
                    if rank[b] > rank[a] and not (_layer_of(a) == "faces" and b in ("__init__",)))
    assert upward == [], f"imports point up a layer: {upward}"


def _loops(graph: dict[str, set[str]]) -> list[set[str]]:
    """The strongly connected groups of more than one module (Tarjan's algorithm)."""
    index, low, stack, on, groups, counter = {}, {}, [], set(), [], [0]

    def visit(node):
        index[node] = low[node] = counter[0]
        counter[0] += 1
        stack.append(node)
        on.add(node)
        for other in graph.get(node, ()):
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in on:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            group = set()
            while True:
                member = stack.pop()
                on.discard(member)
                group.add(member)
                if member == node:
                    break
            if len(group) > 1:
                groups.append(group)

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return groups


def test_no_loop_of_imports():
    assert _loops(_imports()) == []


def test_the_checks_see_an_upward_import_and_a_loop():
    graph = {"core.files": {"cli"}, "cli": {"core.files"}}
    assert _loops(graph) == [{"core.files", "cli"}]
    assert _rank()["core.files"] < _rank()["cli"]  # core.files -> cli would point up
    assert "data.cache_format" in _imports()["data.cache"] and "core.errors" in _imports()["data.cache"]
