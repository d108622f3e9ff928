"""The house rules of docs/architecture.md, checked on the real import graph (grimp, as import-linter builds it).

``make lint`` runs import-linter's contracts (pyproject.toml); these tests say the same rules in the
suite's words, so that a broken rule fails ``make test`` too, with the import that breaks it.
"""

from __future__ import annotations

import grimp
import pytest

COMPOSITION = {"civicid.app", "civicid.server", "civicid.plugins", "civicid.schema", "civicid.cli", "civicid.__main__"}


@pytest.fixture(scope="module")
def graph() -> grimp.ImportGraph:
    return grimp.build_graph("civicid", cache_dir=None)


def top_level(module: str) -> str:
    return ".".join(module.split(".")[:2])


def package_arrows(graph: grimp.ImportGraph) -> dict[str, set[str]]:
    """Which top-level package imports which, directly (the composition modules left out)."""
    arrows: dict[str, set[str]] = {}
    for module in graph.modules:
        source = top_level(module)
        if source in COMPOSITION or source == "civicid":
            continue
        for imported in graph.find_modules_directly_imported_by(module):
            target = top_level(imported)
            if target != source and target.startswith("civicid.") and target not in COMPOSITION:
                arrows.setdefault(source, set()).add(target)
    return arrows


def cycles(arrows: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one package (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for nxt in arrows.get(node, ()):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(arrows):
        if node not in index:
            visit(node)
    return found


def test_no_two_packages_import_each_other_even_through_others(graph: grimp.ImportGraph) -> None:
    assert cycles(package_arrows(graph)) == []


def test_the_cycle_finder_finds_a_cycle() -> None:
    arrows = {"civicid.a": {"civicid.b"}, "civicid.b": {"civicid.c"}, "civicid.c": {"civicid.a"}, "civicid.d": set()}
    assert cycles(arrows) == [["civicid.a", "civicid.b", "civicid.c"]]


def test_no_production_module_imports_the_simulator(graph: grimp.ImportGraph) -> None:
    importers = {
        module
        for module in graph.find_modules_that_directly_import("civicid.sim", as_package=True)
        if top_level(module) not in {"civicid.sim", "civicid.cli"}
    }
    assert importers == set()


def test_no_capability_imports_the_composition(graph: grimp.ImportGraph) -> None:
    for composed in COMPOSITION - {"civicid.__main__"}:
        importers = graph.find_modules_that_directly_import(composed)
        composing = COMPOSITION | {"civicid.sim"}
        assert {m for m in importers if top_level(m) not in composing} == set(), composed


def test_the_kit_imports_no_server_module(graph: grimp.ImportGraph) -> None:
    allowed = {"civicid.field", "civicid.protocol", "civicid.country", "civicid.biometrics", "civicid.web"}
    allowed.add("civicid.core")
    reached = {top_level(m) for m in graph.find_upstream_modules("civicid.field", as_package=True)}
    assert {m for m in reached if m.startswith("civicid.")} <= allowed


# Where the simulator still imports another folder's models (decision 0035): the type of the campaign
# rows the campaign's service hands it, and the kit's own local store, on which it plays the kit's
# operator. These edges, and no others, are let through by the contracts "<folder>-models-private".
SIMULATOR_READS = {
    ("civicid.sim.campaign", "civicid.campaign.models"),
    ("civicid.sim.field", "civicid.field.models"),
    ("civicid.sim.campaign", "civicid.field.models"),
}


def test_a_folders_models_are_imported_only_by_the_folder_itself(graph: grimp.ImportGraph) -> None:
    """Other folders read an owner's tables through its ``queries`` and ``service``, never its models."""
    trespassing = set()
    for models in sorted(m for m in graph.modules if m.endswith(".models") and m.count(".") == 2):
        owner = top_level(models)
        if owner == "civicid.core":
            continue
        for importer in graph.find_modules_that_directly_import(models):
            if top_level(importer) not in {owner, "civicid.schema"} and (importer, models) not in SIMULATOR_READS:
                trespassing.add((importer, models))
    assert trespassing == set()
