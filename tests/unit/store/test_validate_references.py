"""The bulk check of a scenario's impacts (the common case) never passes what the item-by-item check reports."""

from __future__ import annotations

from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from scenmatrix.store import messages
from scenmatrix.store import checks
from scenmatrix.store.document import Document

IDS = st.sampled_from(["A", "B", "E1", "E2", "military", "energy", "nope"])
ID_LISTS = st.one_of(st.none(), st.just("E1"), st.lists(st.one_of(IDS, st.integers(0, 2)), max_size=3))
IMPACTS = st.dictionaries(
    st.one_of(IDS, st.integers(0, 2)),
    st.one_of(st.none(), st.just("text"),
              st.fixed_dictionaries({}, optional={"evidence": ID_LISTS, "domains": ID_LISTS})),
    max_size=4)


def problems(tree: dict, bulk: bool) -> list[str]:
    original = checks._impacts_fine
    checks._impacts_fine = original if bulk else (lambda *args: False)
    try:
        return [str(p) for p in checks.check_references(tree, messages.Locator(Document(Path("s.yaml"), "", tree)))]
    finally:
        checks._impacts_fine = original


@settings(max_examples=500, deadline=None)
@given(IMPACTS)
def test_bulk_check_agrees_with_the_item_by_item_check(impacts: dict) -> None:
    tree = {"actors": {"A": {"name": "Actor A"}, "B": {}}, "evidence": {"E1": {}, "E2": {}},
            "scenarios": {"S": {"impacts": impacts}}}
    assert problems(tree, bulk=True) == problems(tree, bulk=False)
