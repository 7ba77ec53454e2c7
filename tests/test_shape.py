"""The shape of server/: imports point down, never round (issue 17, docs/decisions/0030).

Read from the source with `ast`, so an import inside a function counts as much as one at the top of a file: it runs
as soon as that function is called. Three rules:
- no cycle between packages (a package is the first folder under server/, or a top-level module such as db.py);
- no cycle between files;
- a route module never imports another route module (shared page helpers live in server/web/).
"""

import ast
from pathlib import Path

SERVER = Path(__file__).resolve().parent.parent / "server"

# Modules that hold route handlers are named controllers.py or <topic>_controllers.py (one name in every domain); a
# module defining a handler under any other name counts too (see _defines_routes), and fails its own test.
ROUTE_DECORATORS = {"get", "post", "put", "patch", "delete", "route", "websocket"}


def _module_of(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _sources(root: Path = SERVER) -> dict[str, Path]:
    return {
        _module_of(path, root): path
        for path in sorted(root.rglob("*.py"))
        if "migrations" not in path.relative_to(root).parts
    }


def _resolve(importer: str, is_package: bool, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ""
    base = importer.split(".") if is_package else importer.split(".")[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def _imports(module: str, path: Path, known: dict[str, Path]) -> set[str]:
    """Every server module this file imports, anywhere in it."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            origin = _resolve(module, path.name == "__init__.py", node)
            # `from server.places import controllers` imports the module server.places.controllers.
            targets = [
                f"{origin}.{alias.name}" if f"{origin}.{alias.name}" in known else origin for alias in node.names
            ]
        else:
            continue
        for target in targets:
            # `import server.a.b` names the deepest known module of the dotted path.
            while target and target not in known:
                target = target.rpartition(".")[0]
            if target and target != module and "." in target:
                found.add(target)
    return found


def _graph(root: Path = SERVER) -> dict[str, set[str]]:
    known = _sources(root)
    return {module: _imports(module, path, known) for module, path in known.items()}


def _package(module: str) -> str:
    return module.split(".")[1] if module.count(".") >= 1 else module


def _defines_routes(path: Path) -> bool:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            for decorator in node.decorator_list:
                call = decorator.func if isinstance(decorator, ast.Call) else decorator
                name = call.attr if isinstance(call, ast.Attribute) else getattr(call, "id", "")
                if name in ROUTE_DECORATORS:
                    return True
    return False


def _is_route_module(module: str, path: Path) -> bool:
    leaf = module.rpartition(".")[2]
    return _named_as_routes(leaf) or _defines_routes(path)


def _named_as_routes(leaf: str) -> bool:
    return leaf == "controllers" or leaf.endswith("_controllers")


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The cycles of the graph, each as a path back to its start: for every node caught in one, the shortest."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[set[str]] = []

    def connect(node: str) -> None:  # Tarjan's algorithm; the graph is a few hundred nodes deep at most.
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt not in index:
                connect(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = set()
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.add(member)
                if member == node:
                    break
            if len(component) > 1:
                components.append(component)

    for node in sorted(graph):
        if node not in index:
            connect(node)
    cycles: list[list[str]] = []
    for component in components:
        for start in sorted(component):
            cycle = _path_round(graph, component, start)
            first = cycle.index(min(cycle[:-1]))
            cycle = [*cycle[first:-1], *cycle[:first], cycle[first]]  # told from its first name, so said once
            if cycle not in cycles:
                cycles.append(cycle)
    return cycles


def _path_round(graph: dict[str, set[str]], component: set[str], start: str) -> list[str]:
    """The shortest way from start back to itself, inside its component."""
    previous = {start: ""}
    frontier = [start]
    while frontier:
        following = []
        for node in frontier:
            for nxt in sorted(graph[node] & component):
                if nxt == start:
                    path = [node]
                    while previous[path[-1]]:
                        path.append(previous[path[-1]])
                    return [*reversed(path), start]
                if nxt not in previous:
                    previous[nxt] = node
                    following.append(nxt)
        frontier = following
    raise AssertionError(f"no way round {sorted(component)}")


def _package_graph(graph: dict[str, set[str]]) -> dict[str, set[str]]:
    packages: dict[str, set[str]] = {}
    for module, targets in graph.items():
        edges = packages.setdefault(_package(module), set())
        edges.update(_package(t) for t in targets if _package(t) != _package(module))
    return packages


def _witness(graph: dict[str, set[str]], cycle: list[str]) -> list[str]:
    """For a package cycle, one file import behind each of its steps, so the message says where to look."""
    lines = []
    for here, there in zip(cycle, cycle[1:], strict=False):
        for module in sorted(graph):
            hits = sorted(t for t in graph[module] if _package(module) == here and _package(t) == there)
            if hits:
                lines.append(f"  {here} -> {there}: {module} imports {hits[0]}")
                break
    return lines


def test_the_graph_sees_every_kind_of_import(tmp_path):
    """The rules below are only as good as the graph: relative, absolute and in-function imports all count."""
    root = tmp_path / "server"
    files = {
        "__init__.py": "",
        "a/__init__.py": "",
        "a/tables.py": "from server.b import services\n",
        "b/__init__.py": "",
        "b/services.py": "def late():\n    from ..c.masks import hide\n",
        "c/__init__.py": "",
        "c/masks.py": "import server.a.tables\n",
        "c/other.py": "from . import masks\n",
    }
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    graph = _graph(root)
    assert graph["server.a.tables"] == {"server.b.services"}
    assert graph["server.b.services"] == {"server.c.masks"}
    assert graph["server.c.masks"] == {"server.a.tables"}
    assert graph["server.c.other"] == {"server.c.masks"}
    assert _cycles(_package_graph(graph)) == [["a", "b", "c", "a"]]
    assert _cycles(graph) == [["server.a.tables", "server.b.services", "server.c.masks", "server.a.tables"]]


def test_no_cycle_between_packages():
    graph = _graph()
    cycles = _cycles(_package_graph(graph))
    message = []
    for cycle in cycles:
        message.append(" -> ".join(cycle))
        message.extend(_witness(graph, cycle))
    assert not cycles, "packages of server/ import each other round:\n" + "\n".join(message)


def test_no_cycle_between_files():
    cycles = _cycles(_graph())
    assert not cycles, "files of server/ import each other round:\n" + "\n".join(" -> ".join(c) for c in cycles)


def test_no_route_module_imports_another():
    graph = _graph()
    sources = _sources()
    routes = {module for module, path in sources.items() if _is_route_module(module, path)}
    assert "server.places.controllers" in routes and "server.guides.reading_controllers" in routes
    crossings = sorted(f"{module} -> {target}" for module in routes for target in graph[module] & routes)
    assert not crossings, (
        "route modules import other route modules (move what they share to server/web/):\n" + "\n".join(crossings)
    )


def _constants_set_twice(tree: ast.Module) -> list[str]:
    """UPPER_CASE names a module assigns at its top level more than once: the second silently replaces the first for
    every line below it and every module that imports it (a 12-hour clock limit once became 2 minutes that way)."""
    seen: dict[str, int] = {}
    twice = []
    for node in tree.body:
        targets = (
            node.targets if isinstance(node, ast.Assign) else [node.target] if isinstance(node, ast.AnnAssign) else []
        )
        for target in targets:
            if isinstance(target, ast.Name) and target.id.isupper():
                if target.id in seen:
                    twice.append(f"{target.id} (lines {seen[target.id]} and {node.lineno})")
                seen.setdefault(target.id, node.lineno)
    return twice


def test_the_constant_check_sees_a_second_assignment():
    tree = ast.parse("LIMIT = 1\nOTHER: int = 2\nLIMIT = 3\nlower = 1\nlower = 2\n")
    assert _constants_set_twice(tree) == ["LIMIT (lines 1 and 3)"]


def test_no_module_sets_a_constant_twice():
    found = [
        f"{module}: {name}"
        for module, path in _sources().items()
        for name in _constants_set_twice(ast.parse(path.read_text(encoding="utf-8")))
    ]
    assert not found, "constants assigned twice (the second replaces the first everywhere):\n" + "\n".join(found)


def test_route_modules_have_one_name_in_every_domain():
    misnamed = sorted(
        module
        for module, path in _sources().items()
        if _defines_routes(path) and not _named_as_routes(module.rpartition(".")[2])
    )
    assert not misnamed, "route handlers outside a controllers.py or *_controllers.py module:\n" + "\n".join(misnamed)


def _handlers_defined(path: Path) -> set[str]:
    """The top-level route handlers and controllers a module defines, by name."""
    names = set()
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.ClassDef) and any(getattr(b, "id", "") == "Controller" for b in node.bases):
            names.add(node.name)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and _defines_routes_in(node):
            names.add(node.name)
    return names


def _defines_routes_in(node: ast.AST) -> bool:
    for decorator in getattr(node, "decorator_list", []):
        call = decorator.func if isinstance(decorator, ast.Call) else decorator
        if (call.attr if isinstance(call, ast.Attribute) else getattr(call, "id", "")) in ROUTE_DECORATORS:
            return True
    return False


def test_every_route_handler_is_served_through_its_domain():
    """A controller or handler no domain.py names is a page nobody can open: each domain says its routes in one place
    that app.py reads (server/web/domains.py)."""
    from server.app import DOMAINS, domain

    handlers = [handler for name in DOMAINS for handler in (*domain(name).pages, *domain(name).api)]
    # A controller is a class; a decorated function is a handler object holding the function.
    served = {(h.__module__, h.__name__) if isinstance(h, type) else (h.fn.__module__, h.fn.__name__) for h in handlers}
    defined = {
        (module, name)
        for module, path in _sources().items()
        if _named_as_routes(module.rpartition(".")[2])
        for name in _handlers_defined(path)
    }
    assert defined, "no route handler found: the test reads the wrong files"
    assert not defined - served, f"route handlers no domain serves: {sorted(defined - served)}"
    assert {f"server.{name}" for name in DOMAINS} >= {m.rpartition(".")[0] for m, _ in defined}
