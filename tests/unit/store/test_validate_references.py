"""The bulk check of references (references.unresolved, the common case) never passes what the item-by-item
check reports."""

from __future__ import annotations

from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from scenmatrix.store import messages
from scenmatrix.store import checks
from scenmatrix.study import references
from scenmatrix.store.document import Document

IDS = st.sampled_from(["A", "B", "E1", "E2", "military", "energy", "nope"])
ID_LISTS = st.one_of(st.none(), st.just("E1"), st.lists(st.one_of(IDS, st.integers(0, 2)), max_size=3))
IMPACTS = st.dictionaries(
    st.one_of(IDS, st.integers(0, 2)),
    st.one_of(st.none(), st.just("text"),
              st.fixed_dictionaries({}, optional={"evidence": ID_LISTS, "domains": ID_LISTS})),
    max_size=4)


def problems(tree: dict, bulk: bool) -> list[str]:
    original = references.unresolved
    item_by_item = lambda tree, reference: references.containers(tree, reference)  # noqa: E731
    checks.unresolved = original if bulk else item_by_item
    try:
        return [str(p) for p in checks.check_references(tree, messages.Locator(Document(Path("s.yaml"), "", tree)))]
    finally:
        checks.unresolved = original


@settings(max_examples=500, deadline=None)
@given(IMPACTS)
def test_bulk_check_agrees_with_the_item_by_item_check(impacts: dict) -> None:
    tree = {"actors": {"A": {"name": "Actor A"}, "B": {}}, "evidence": {"E1": {}, "E2": {}},
            "scenarios": {"S": {"impacts": impacts}}}
    assert problems(tree, bulk=True) == problems(tree, bulk=False)


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.none(), IDS, st.integers(0, 2)), ID_LISTS,
       st.dictionaries(st.one_of(IDS, st.integers(0, 2)), st.just("text"), max_size=3))
def test_bulk_check_agrees_for_every_kind_of_reference(cited_in, ids: list, contested: dict) -> None:
    """A field holding an id (cited_in), a list of ids (drivers, evidence) and a mapping keyed by ids
    (contested_by): each is declared once in kinds.REFERENCES and checked the same two ways."""
    tree = {"study": {"sources": {"A": {}}}, "actors": {"A": {}},
            "evidence": {"E1": {"cited_in": cited_in, "contested_by": contested}},
            "drivers": {"D": {"evidence": ids}}, "constraints": {"C": {}},
            "scenarios": {"S": {"drivers": ids, "constraints": ids, "impacts": {}}}}
    assert problems(tree, bulk=True) == problems(tree, bulk=False)
