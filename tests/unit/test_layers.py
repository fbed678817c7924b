"""The package's layers: every import runs down the list in the README's Architecture section, and no
module takes part in an import circle (imports inside functions and under TYPE_CHECKING count too)."""

from __future__ import annotations

import grimp
import pytest

# Top to bottom: a module may import its own layer and those below it, never one above.
LAYERS = ["cli", "review", "brief", "edit", "store", "analysis", "study", "errors|bulk|version"]
# The package's front door and the names kept for code written against earlier versions: above all layers.
ENTRY = {"scenmatrix", "scenmatrix.__main__", "scenmatrix.tables", "scenmatrix.importer", "scenmatrix.cib"}


@pytest.fixture(scope="module")
def graph() -> grimp.ImportGraph:
    return grimp.build_graph("scenmatrix", exclude_type_checking_imports=False)


def _layer(module: str) -> int:
    part = module.split(".")[1]
    return next(i for i, names in enumerate(LAYERS) if part in names.split("|"))


def test_imports_run_down_the_layers(graph: grimp.ImportGraph) -> None:
    upward = sorted(
        f"{importer} -> {imported}"
        for importer in graph.modules - ENTRY
        for imported in graph.find_modules_directly_imported_by(importer)
        if imported not in ENTRY and _layer(imported) < _layer(importer))
    assert upward == []


def test_no_import_circles(graph: grimp.ImportGraph) -> None:
    circles = set()
    for module in graph.modules:
        for imported in graph.find_modules_directly_imported_by(module):
            if graph.chain_exists(imported, module):
                circles.add(" -> ".join(graph.find_shortest_chain(imported, module) or ()) + f" -> {imported}")
    assert sorted(circles) == []


def test_every_module_is_in_a_layer(graph: grimp.ImportGraph) -> None:
    for module in graph.modules - ENTRY:
        _layer(module)  # StopIteration names the module that belongs nowhere
