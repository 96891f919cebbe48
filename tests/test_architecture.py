"""The import contract's second half: no import cycles, and proof that the checks bite.

``lint-imports`` (run by ``make test``, configured in ``[tool.importlinter]`` of
``pyproject.toml``) checks the layers, that nothing imports a face and that no two siblings of a
package import each other in a cycle. Two kinds of cycle escape it, and this module checks them
over grimp's import graph (imports inside functions and under ``TYPE_CHECKING`` count):

* a cycle between single modules, reported with every import line that closes it;
* a cycle through a package's own ``__init__``: the package re-exports from a child and a
  descendant imports the package (``critmin.data.build`` importing ``critmin``, whose
  ``__init__`` imports ``critmin.data.dataset``, was one).

The last tests write tiny broken packages to a temporary folder and check that the cycle finder
and ``lint-imports`` (with the same contract types as critmin's) report every breach.
See docs/decisions/0015-import-contract.md.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import grimp
import pytest

ROOT = "critmin"


@dataclass(frozen=True)
class Cycle:
    """Nodes (modules or squashed packages) that import each other, and the imports between."""

    nodes: tuple[str, ...]
    imports: tuple[str, ...]

    def __str__(self) -> str:
        lines = "\n".join(f"    {i}" for i in self.imports)
        return f"cycle between {', '.join(self.nodes)}:\n{lines}"


def strongly_connected(edges: Mapping[str, Iterable[str]]) -> list[list[str]]:
    """The strongly connected components with more than one node (Tarjan, iterative).

    Parameters
    ----------
    edges
        Node to the nodes it points at; every node must be a key.

    Returns
    -------
    list of list of str
        Each component's nodes, sorted; components sorted by their first node.
    """
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    succ = {v: sorted(ws) for v, ws in edges.items()}
    for start in sorted(succ):
        if start in index:
            continue
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        work: list[tuple[str, int]] = [(start, 0)]
        while work:
            v, i = work[-1]
            if i < len(succ[v]):
                work[-1] = (v, i + 1)
                w = succ[v][i]
                if w not in index:
                    index[w] = low[w] = len(index)
                    stack.append(w)
                    on_stack.add(w)
                    work.append((w, 0))
                elif w in on_stack:
                    low[v] = min(low[v], index[w])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[v])
            if low[v] == index[v]:
                comp: list[str] = []
                while True:
                    w = stack.pop()
                    on_stack.discard(w)
                    comp.append(w)
                    if w == v:
                        break
                if len(comp) > 1:
                    found.append(sorted(comp))
    return sorted(found)


def _imports_between(
    graph: grimp.ImportGraph, group: Callable[[str], str | None], nodes: set[str]
) -> tuple[str, ...]:
    """Every import line from a module of one node to a module of another node in ``nodes``."""
    out = []
    for importer in sorted(graph.modules):
        a = group(importer)
        if a not in nodes:
            continue
        for imported in sorted(graph.find_modules_directly_imported_by(importer)):
            b = group(imported)
            if b in nodes and b != a:
                for d in graph.get_import_details(importer=importer, imported=imported):
                    out.append(
                        f"{importer} -> {imported} "
                        f"(l.{d['line_number']}: {d['line_contents'].strip()})"
                    )
    return tuple(out)


def module_cycles(graph: grimp.ImportGraph) -> list[Cycle]:
    """Cycles between single modules of ``graph``.

    Parameters
    ----------
    graph
        A grimp import graph.

    Returns
    -------
    list of Cycle
        One per strongly connected component, with the imports inside it.
    """
    edges = {m: graph.find_modules_directly_imported_by(m) for m in graph.modules}
    return [
        Cycle(tuple(comp), _imports_between(graph, lambda m: m, set(comp)))
        for comp in strongly_connected(edges)
    ]


def package_cycles(graph: grimp.ImportGraph) -> list[Cycle]:
    """Cycles between a package's ``__init__`` and its children, each child squashed.

    For every package ``p`` of ``graph``, the nodes are ``p`` itself (its ``__init__`` module)
    and each child of ``p`` together with all its descendants (named ``child.*``). This finds
    the cycles ``lint-imports``' ``acyclic_siblings`` finds and also those that pass through
    the package's own ``__init__``; a cycle between single modules always shows at the level of
    the innermost package holding them all.

    Parameters
    ----------
    graph
        A grimp import graph.

    Returns
    -------
    list of Cycle
        One per strongly connected component per package, with the imports inside it.
    """
    cycles = []
    for package in sorted(m for m in graph.modules if graph.find_children(m)):
        children = graph.find_children(package)

        def group(module: str, package: str = package, children: set[str] = children) -> str:
            if module == package:
                return package
            for child in children:
                if module == child or module.startswith(child + "."):
                    return child + ".*" if graph.find_children(child) else child
            return ""

        edges: dict[str, set[str]] = {}
        for importer in [package, *graph.find_descendants(package)]:
            a = group(importer)
            edges.setdefault(a, set())
            for imported in graph.find_modules_directly_imported_by(importer):
                b = group(imported)
                if b and b != a:
                    edges[a].add(b)
                    edges.setdefault(b, set())
        for comp in strongly_connected(edges):
            cycles.append(Cycle(tuple(comp), _imports_between(graph, group, set(comp))))
    return cycles


def _message(cycles: list[Cycle]) -> str:
    return "import cycles (break each one by moving the shared code to the lower module):\n" + (
        "\n".join(str(c) for c in cycles)
    )


@pytest.fixture(scope="module")
def critmin_graph() -> grimp.ImportGraph:
    return grimp.build_graph(ROOT, cache_dir=None)


def test_no_cycle_between_modules(critmin_graph: grimp.ImportGraph) -> None:
    cycles = module_cycles(critmin_graph)
    assert not cycles, _message(cycles)


def test_no_cycle_through_a_package_or_between_its_children(
    critmin_graph: grimp.ImportGraph,
) -> None:
    cycles = package_cycles(critmin_graph)
    assert not cycles, _message(cycles)


def test_every_module_lives_in_a_layer(critmin_graph: grimp.ImportGraph) -> None:
    """A new top-level module must be put in the contract (or in a layer package)."""
    layers = {"data", "metrics", "demand", "sim", "policy", "sourcing", "store", "analysis"}
    layers |= {"report", "cli", "api"}
    outside = {"critmin", "critmin.__main__", "critmin._version", "critmin._lazy"}
    top = {m for m in critmin_graph.find_children(ROOT)}
    assert top - outside == {f"{ROOT}.{name}" for name in layers}
    # The two modules every layer may use import nothing of critmin.
    assert not critmin_graph.find_modules_directly_imported_by("critmin._version")
    assert not critmin_graph.find_modules_directly_imported_by("critmin._lazy")


# --- the checks bite: tiny broken packages in a temporary folder ---------------------------


def _write(root: Path, files: Mapping[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))


def _graph(root: Path, package: str, monkeypatch: pytest.MonkeyPatch) -> grimp.ImportGraph:
    monkeypatch.syspath_prepend(str(root))
    return grimp.build_graph(package, cache_dir=None)


def test_a_cycle_through_a_lazy_import_is_reported(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _write(
        tmp_path,
        {
            "cyc/__init__.py": "",
            "cyc/a.py": """
                from cyc.b import g

                def f() -> int:
                    return g()
                """,
            "cyc/b.py": """
                def g() -> int:
                    from cyc.a import f

                    return 1
                """,
            "cyc/c.py": "from cyc.a import f\n",
        },
    )
    graph = _graph(tmp_path, "cyc", monkeypatch)
    cycles = module_cycles(graph)
    assert [c.nodes for c in cycles] == [("cyc.a", "cyc.b")]
    message = _message(cycles)
    assert "cyc.a -> cyc.b (l.2: from cyc.b import g)" in message
    assert "cyc.b -> cyc.a (l.3: from cyc.a import f)" in message
    assert [c.nodes for c in package_cycles(graph)] == [("cyc.a", "cyc.b")]


def test_a_cycle_through_a_package_init_is_reported(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # As critmin.data.build importing critmin, whose __init__ imports critmin.data.dataset.
    _write(
        tmp_path,
        {
            "top/__init__.py": "from top.data.dataset import load\n",
            "top/data/__init__.py": "",
            "top/data/dataset.py": "def load() -> None: ...\n",
            "top/data/build.py": """
                def build() -> None:
                    from top import load
                """,
        },
    )
    graph = _graph(tmp_path, "top", monkeypatch)
    assert module_cycles(graph) == []  # invisible between single modules...
    cycles = package_cycles(graph)  # ...but not once the package is squashed
    assert [c.nodes for c in cycles] == [("top", "top.data.*")]
    assert "top.data.build -> top (l.3: from top import load)" in cycles[0].imports


def test_a_clean_package_has_no_cycles(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _write(
        tmp_path,
        {
            "clean/__init__.py": "from clean.low.x import f\n",
            "clean/low/__init__.py": "from clean.low.x import f\n",
            "clean/low/x.py": "def f() -> None: ...\n",
            "clean/high.py": "from clean.low import f\n",
        },
    )
    graph = _graph(tmp_path, "clean", monkeypatch)
    assert module_cycles(graph) == []
    assert package_cycles(graph) == []


LINT_CONFIG = """
[tool.importlinter]
root_package = "app"
include_external_packages = false

[[tool.importlinter.contracts]]
name = "layers"
type = "layers"
layers = ["app.cli | app.api", "app.core", "app.data"]

[[tool.importlinter.contracts]]
name = "faces"
type = "protected"
protected_modules = ["app.cli", "app.api"]
allowed_importers = ["app.__main__"]

[[tool.importlinter.contracts]]
name = "root"
type = "forbidden"
as_packages = false
allow_indirect_imports = true
source_modules = ["app.core", "app.core.**", "app.data", "app.data.**"]
forbidden_modules = ["app", "app.__main__"]

[[tool.importlinter.contracts]]
name = "acyclic"
type = "acyclic_siblings"
ancestors = ["app"]
"""

CLEAN_APP = {
    "app/__init__.py": "from app.data.store import load\n",
    "app/__main__.py": "from app.cli.main import run\n",
    "app/cli/__init__.py": "",
    "app/cli/main.py": "from app.core.logic import answer\n\ndef run() -> None: ...\n",
    "app/api/__init__.py": "",
    "app/api/web.py": "import app\nfrom app.core.logic import answer\n",
    "app/core/__init__.py": "",
    "app/core/logic.py": "from app.data.store import load\n\ndef answer() -> None: ...\n",
    "app/core/helper.py": "from app.core.logic import answer\n",
    "app/data/__init__.py": "",
    "app/data/store.py": "def load() -> None: ...\n",
}

# Each breach hides in a function body, as critmin's lazy imports do.
BREACHES = {
    "app/data/store.py": "def load() -> None:\n    from app.core.logic import answer\n",
    "app/api/web.py": "def serve() -> None:\n    from app.cli.main import run\n",
    "app/core/__init__.py": "def face() -> None:\n    import app\n",
    "app/core/logic.py": "def answer() -> None:\n    from app.core.helper import x\n",
}


def _lint(root: Path) -> subprocess.CompletedProcess[str]:
    (root / "importlinter.toml").write_text(LINT_CONFIG)
    env = {**os.environ, "PYTHONPATH": str(root)}
    command = "from importlinter.cli import lint_imports_command; lint_imports_command()"
    return subprocess.run(
        [sys.executable, "-c", command, "--config", "importlinter.toml", "--no-cache"],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_lint_imports_keeps_a_clean_package(tmp_path: Path) -> None:
    _write(tmp_path, CLEAN_APP)
    result = _lint(tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "4 kept, 0 broken" in result.stdout


def test_lint_imports_reports_every_breach(tmp_path: Path) -> None:
    _write(tmp_path, {**CLEAN_APP, **BREACHES})
    result = _lint(tmp_path)
    out = " ".join(result.stdout.split())  # import-linter wraps long lines
    assert result.returncode == 1, out + result.stderr
    assert "0 kept, 4 broken" in out
    assert "app.data is not allowed to import app.core" in out  # an upward import
    assert "app.api is not allowed to import app.cli" in out  # one face imports the other
    assert "app.api.web -> app.cli.main" in out  # ...which is also a face
    assert "app.core is not allowed to import app" in out  # a layer imports the top package
    assert "No cycles are allowed in app.core" in out  # logic <-> helper
