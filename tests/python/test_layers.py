"""The house's layers: every import of pyphotoq's modules, deferred ones included, points down a
layer or stays in its own; the few known exceptions are listed here and may only shrink.
docs/architecture.md explains the layers."""

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "pyphotoq"

#: From the bottom up. A new module is placed in one of them (the test fails until it is).
LAYERS = {
    "files": "errors parameters files outputs progress quiet envfile dask_plumbing figures",
    "photos": "view_kinds images camera camera_exif detail photo_files sources splits sidecar_files xmp_packet ratings "
              "catalogues xmp xmp_journal",
    "cache": "cache_format cache_folder views cache cache_builder cache_build statistics_store",
    "model": "metrics statistics edits batches model recipes booster booster_files booster_fit runs prediction",
    "workflow": "history_plot training evaluation facts reasons culling scoring explain learning confounds",
    "report": "plotdata plots bias html_report review_shoot review_server",
    "faces": "__init__ __main__ cli_parser cli interop cluster demo demo_render r_help",
}
#: Imports that still point up (module -> module), to be removed, never added to.
UPWARD: set = set()
#: Groups of modules that import each other (through imports inside functions), to be untied.
LOOPS: list = []


def _imports() -> dict[str, set[str]]:
    """module -> the pyphotoq modules it imports anywhere in its text."""
    found = {}
    for path in PACKAGE.glob("*.py"):
        names = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.level == 1:
                names |= {node.module.split(".")[0]} if node.module else {a.name for a in node.names}
            elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("pyphotoq."):
                names.add(node.module.split(".")[1])
        found[path.stem] = {n for n in names if (PACKAGE / f"{n}.py").exists()} - {path.stem}
    return found


def _layer() -> dict[str, int]:
    return {module: rank for rank, modules in enumerate(LAYERS.values()) for module in modules.split()}


def test_every_module_has_a_layer():
    assert sorted(set(_imports()) - set(_layer())) == []


def test_imports_point_down_but_for_the_known_exceptions():
    layer, imports = _layer(), _imports()
    upward = {(a, b) for a, targets in imports.items() for b in targets if layer.get(b, 0) > layer.get(a, 0)}
    assert upward - UPWARD == set(), "an import points up a layer"
    assert UPWARD - upward == set(), "an exception is gone: remove it from UPWARD"


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


def test_no_new_loop_of_imports():
    loops = _loops(_imports())
    for group in loops:
        assert any(group <= known for known in LOOPS), f"a new loop of imports: {sorted(group)}"
    for known in LOOPS:
        assert any(group <= known and len(group) > 1 for group in loops) or not known, known


def test_the_checks_see_an_upward_import_and_a_loop():
    graph = {"files": {"cli"}, "cli": {"files"}}
    assert _loops(graph) == [{"files", "cli"}]
    assert _layer()["files"] < _layer()["cli"]  # files -> cli would point up
