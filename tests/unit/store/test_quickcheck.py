"""scenmatrix.store.quickcheck answers "valid" exactly when validate_document finds no problem.

Edits trust its "valid" without running pydantic, so the property below mutates real studies
(values of every type YAML gives, ids that do and do not resolve, unprintable text, extra and
missing fields) and compares the two answers on each result.
"""

from __future__ import annotations

import copy
import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.scalarint import HexInt, ScalarInt
from ruamel.yaml.scalarstring import DoubleQuotedScalarString, LiteralScalarString

from conftest import RATED_STUDY, VALID_STUDY
from edit_fixtures import AWKWARD
from scenmatrix.edit import tree as edit_tree
from scenmatrix.study import model
from scenmatrix.store import quickcheck
from scenmatrix.store.document import Document
from scenmatrix.store.checks import validate_document

REPO = Path(__file__).resolve().parents[3]
DEFAULT = (REPO / "scenarios" / "russia-iran-2022.yaml").read_text(encoding="utf-8")
STUDIES = {"default": DEFAULT, "small": VALID_STUDY, "awkward": AWKWARD, "rated": RATED_STUDY}
TREES = {name: edit_tree.parse(text)[0] for name, text in STUDIES.items()}


def slow_valid(tree: Any) -> bool:
    return not validate_document(Document(Path("study.yaml"), "", tree))[1]


def test_shapes_py_is_generated_from_the_current_model():
    """Drift: regenerate with the command in src/scenmatrix/study/shapes.py's docstring after changing model.py."""
    assert (REPO / "src" / "scenmatrix" / "study" / "shapes.py").read_text(encoding="utf-8") == model.shapes_source()


def test_shapes_refuse_what_quickcheck_does_not_implement(monkeypatch):
    from pydantic import field_validator

    class Checked(model.Entity):
        name: str

        @field_validator("name")
        @classmethod
        def upper(cls, value: str) -> str:
            return value.upper()

    class Wrapper(model.Entity):
        study: Checked

    monkeypatch.setattr(model, "Study", Wrapper)
    with pytest.raises(ValueError, match="quickcheck cannot check"):
        model.shapes()


def test_printable_text_is_what_check_characters_accepts_for_every_character():
    from scenmatrix.store.checks import _NOT_PRINTABLE

    for code in range(0x110000):
        char = chr(code)
        assert quickcheck._printable(f"a{char}b") == (_NOT_PRINTABLE.search(char) is None), hex(code)


@pytest.mark.parametrize("name", STUDIES)
def test_valid_studies_are_valid_at_once(name):
    assert slow_valid(TREES[name])
    assert quickcheck.valid(TREES[name])


def _values(tree: Any) -> list[Any]:
    """Values to put anywhere: ids of the study, words of its vocabularies, and what YAML can give."""
    ids: set[str] = set()
    stack = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            ids.update(k for k in node if isinstance(k, str))
            stack += node.values()
        elif isinstance(node, list):
            stack += node
    words = ["state", "likely", "remote chance", "very likely", "military", "energy", "low", "observed", "B2", "G7",
             "TLP:CLEAR", "TLP:WHITE", "phia", "icd203", "iran-support.extensive", "x.y", "S1.a"]
    odd = ["", " ", "RU\n", "a\x07", DoubleQuotedScalarString("\ud800"), "x\x85y", "tab\there", "é", "x" * 41, "1a",
           "nb\xa0sp", "x\u2028y", "\ufeff", "\ue000", "\uffff", "\x7f", "\x9f", "\x85", "😀", "a\nb", "a\r\nb"]
    return sorted(ids) + words + odd + [
        0, 3, -3, 4, -4, True, None, 1.5, ScalarInt(0), HexInt(2), dt.date(2022, 1, 1), dt.datetime(2022, 1, 1),
        DoubleQuotedScalarString("likely"), LiteralScalarString("text\n"), [], ["E07"], ["E07", "E07"],
        ["military", "military"], ["E1", "E1"], CommentedSeq(["D1"]), CommentedMap(), CommentedMap(a=1), (1, 2)]


def _locations(tree: Any) -> list[tuple[Any, Any]]:
    """(container, key or index) of every value in the tree."""
    out: list[tuple[Any, Any]] = []
    stack = [tree]
    while stack:
        node = stack.pop()
        items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
        for key, value in items:
            out.append((node, key))
            stack.append(value)
    return out


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), name=st.sampled_from(sorted(STUDIES)), steps=st.integers(1, 3))
def test_quickcheck_agrees_with_validate_on_mutated_studies(data, name, steps):
    tree = TREES[name]
    values = _values(tree)
    undo = []
    try:
        for _ in range(steps):
            container, key = data.draw(st.sampled_from(_locations(tree)))
            how = data.draw(st.sampled_from(["set", "delete", "add", "rename"]))
            undo.append(_mutate(container, key, how, copy.deepcopy(data.draw(st.sampled_from(values)))))
        quick, slow = quickcheck.valid(tree), slow_valid(tree)
        assert quick == slow
    finally:
        for restore in reversed(undo):
            restore()
    assert quickcheck.valid(tree)


def _mutate(container: Any, key: Any, how: str, value: Any):
    """Change the tree in place: set, delete, add (a list item again, or the value under a new key) or
    rename (a key); return what undoes it."""
    old = container[key]
    if how == "delete":
        position = list(container).index(key) if isinstance(container, dict) else key
        del container[key]
        if isinstance(container, dict):
            return lambda: container.insert(position, key, old)
        return lambda: container.insert(key, old)
    if how == "add" and isinstance(container, list):
        container.insert(key, old)
        return lambda: container.pop(key)
    if how in ("add", "rename") and isinstance(container, dict) and _hashable(value) and value not in container:
        position = list(container).index(key)
        if how == "rename":
            del container[key]
        container.insert(position, value, old)

        def restore() -> None:
            container.pop(value)
            if how == "rename":
                container.insert(position, key, old)
        return restore
    container[key] = value
    return lambda: container.__setitem__(key, old)


def _hashable(value: Any) -> bool:
    return value is None or isinstance(value, (str, int, float, dt.date, tuple))
