"""The package's layout: data flows one way (core -> helpers -> model/training/io -> analyses
-> protocols -> app), the import graph has no cycle, and no private name crosses modules
except from the underscore helper modules. Function-level imports count like module-level ones.
"""

import ast
import os

import pytest

ROOT = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "netchaos")

#: rank of every layer; a module may import modules of its own rank or below (never above)
LAYERS = {
    "core": 0,        # the Numba kernels
    "helpers": 1,     # one copy of each helper (underscore modules at the top)
    "base": 2,        # the model, trajectories, data, maps, results on disk, scheduling
    "analyses": 3,    # one module per quantity
    "protocols": 4,   # the papers' analyses and the known-answer suite
    "api": 5,         # the flat public API (netchaos/__init__.py)
    "app": 6,         # plots, explorers, reproduction, command line
}
BASE = {"model", "training", "datasets", "systems", "io", "checkpoint", "distributed",
        "adapters", "torch", "jax"}
ANALYSES = {"perturbation", "exponents", "sweeps", "weights", "spectra", "hessian", "timeseries",
            "stability", "clv", "bifurcation", "trainability", "recorder"}
PROTOCOLS = {"protocols", "validation"}
APP_SHIMS = {"plots", "widgets", "reproduce", "cli"}


def _modules():
    out = {}
    for folder, _, files in os.walk(ROOT):
        for f in files:
            if f.endswith(".py"):
                path = os.path.join(folder, f)
                rel = os.path.relpath(path, os.path.dirname(ROOT))[:-3].replace(os.sep, ".")
                out[rel[:-9] if rel.endswith(".__init__") else rel] = path
    return out


MODULES = _modules()


def layer(module):
    parts = module.split(".")
    if module == "netchaos":
        return "api"
    top = parts[1]
    if top == "core":
        return "core"
    if top == "app" or top in APP_SHIMS:
        return "app"
    if top.startswith("_"):
        return "helpers"
    if top in BASE:
        return "base"
    if top in ANALYSES or top.startswith("protocols_"):
        return "analyses" if top in ANALYSES else "protocols"
    if top in PROTOCOLS:
        return "protocols"
    raise AssertionError(f"module {module} is in no layer: add it to tests/test_architecture.py")


def _imports(module, path):
    """(imported module, [names], line) of every netchaos import in ``module``'s file."""
    with open(path, encoding="utf-8") as fh:
        tree = ast.parse(fh.read())
    is_pkg = path.endswith("__init__.py")
    pkg = module.split(".") if is_pkg else module.split(".")[:-1]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                if a.name.split(".")[0] == "netchaos":
                    yield a.name, [], node.lineno
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = pkg[:len(pkg) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if target.split(".")[0] != "netchaos":
                continue
            names = [a.name for a in node.names]
            subs = [n for n in names if f"{target}.{n}" in MODULES]
            for n in subs:
                yield f"{target}.{n}", [], node.lineno
            rest = [n for n in names if n not in subs]
            if rest or not subs:
                yield target, rest, node.lineno


EDGES = [(m, t, names, line) for m, p in MODULES.items() for t, names, line in _imports(m, p)]


def test_every_module_has_a_layer():
    for m in MODULES:
        assert layer(m) in LAYERS


def test_no_upward_import():
    bad = [f"{m}:{line} ({layer(m)}) imports {t} ({layer(t)})" for m, t, _, line in EDGES
           if LAYERS[layer(t)] > LAYERS[layer(m)]]
    assert not bad, "\n".join(bad)


def test_core_imports_only_core():
    bad = [f"{m}:{line} imports {t}" for m, t, _, line in EDGES
           if layer(m) == "core" and layer(t) != "core"]
    assert not bad, "\n".join(bad)


def test_no_import_cycle():
    graph = {}
    for m, t, _, _ in EDGES:
        if t != m and t in MODULES:
            graph.setdefault(m, set()).add(t)
    # a package's __init__ importing its own submodules is not a cycle when they do not
    # import the package back, so the plain graph is what is checked
    state, stack, cycles = {}, [], []

    def visit(n):
        state[n] = 1
        stack.append(n)
        for t in sorted(graph.get(n, ())):
            if state.get(t) == 1:
                cycles.append(stack[stack.index(t):] + [t])
            elif t not in state:
                visit(t)
        stack.pop()
        state[n] = 2

    for n in sorted(graph):
        if n not in state:
            visit(n)
    assert not cycles, "\n".join(" -> ".join(c) for c in cycles)


def test_private_names_only_from_helper_modules():
    bad = []
    for m, t, names, line in EDGES:
        if not t.startswith("netchaos") or t == m:
            continue
        parts = t.split(".")
        helper = any(p.startswith("_") and not p.startswith("__") for p in parts[1:])
        for n in names:
            if n.startswith("_") and not n.startswith("__") and not helper:
                bad.append(f"{m}:{line} imports {n} from {t}")
    assert not bad, "\n".join(bad)


@pytest.mark.parametrize("module", sorted(m for m in MODULES if layer(m) != "core"))
def test_modules_stay_small(module):
    with open(MODULES[module], encoding="utf-8") as fh:
        n = sum(1 for _ in fh)
    assert n <= 720, f"{module} has {n} lines: split it by quantity"


def test_the_checker_sees_violations():
    """The rules above catch what they are meant to (a check of the checker)."""
    assert LAYERS[layer("netchaos.app.widgets")] > LAYERS[layer("netchaos.sweeps")]
    assert layer("netchaos.core.mlp") == "core" and layer("netchaos._fit") == "helpers"
    fake = [("netchaos.core.mlp", "netchaos.model", [], 1)]
    assert [e for e in fake if LAYERS[layer(e[1])] > LAYERS[layer(e[0])]]
