"""The fast path for large studies never means something the round-trip parser would not."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scenmatrix import fastload, store
from scenmatrix.problems import StudyError
from scenmatrix.validate import load

ROOT = Path(__file__).resolve().parents[1]
DEFAULT = ROOT / "scenarios" / "russia-iran-2022.yaml"
sys.path.insert(0, str(ROOT / "benchmarks"))
from generate import study_text  # noqa: E402


@pytest.fixture(autouse=True)
def every_size(monkeypatch):
    """Take the fast path for small texts too, so that tests stay small."""
    monkeypatch.setattr(fastload, "FAST_MIN_CHARS", 0)


def plain(node):
    """The round-trip tree as the plain data the fast path gives."""
    if isinstance(node, dict):
        return {str(k): plain(v) for k, v in node.items()}
    if isinstance(node, list):
        return [plain(v) for v in node]
    if node is None or isinstance(node, (dt.date, bool)):
        return node
    for kind in (int, float, str):  # ruamel's ScalarInt, ScalarFloat, quoted strings: their plain values
        if isinstance(node, kind):
            return kind(node)
    return node


def slow(text: str):
    return plain(store.parse(Path("x.yaml"), text).tree)


def test_default_study_reads_the_same_both_ways() -> None:
    text = DEFAULT.read_text(encoding="utf-8")
    fast = fastload.fast_tree(text)
    assert fast is not None and fast == slow(text)
    assert fast["study"]["as_of"] == dt.date(2022, 8, 31)


@pytest.mark.parametrize("impacts, seed", [(50, 1), (400, 2), (2000, 3)])
def test_generated_studies_read_the_same_both_ways(impacts: int, seed: int) -> None:
    text = study_text(impacts, seed)
    assert fastload.fast_tree(text) == slow(text)


BASE = "study: {id: s, title: T, as_of: 2024-01-01, marking: TLP:CLEAR}\nactors:\n  A: {name: NAME, kind: state}\n"


@pytest.mark.parametrize("name", [
    "~", "null", "Null", "true", "False", "007", "0x10", "0o17", "1e3", ".inf", "-.5", "2024-01-01", "+2",
    "2024-01-01T10:00:00",
])
def test_plain_scalars_typed_by_yaml_are_left_to_the_slow_path(name: str) -> None:
    text = BASE.replace("NAME", name)
    fast = fastload.fast_tree(text)
    assert fast is None or fast == slow(text)


@pytest.mark.parametrize("text", [
    BASE + "  A: {name: Again, kind: state}\n",                       # duplicate key
    BASE + "  B: &x {name: B, kind: state}\n  C: *x\n",              # anchor and alias
    BASE + "  B: !!str {name: B, kind: state}\n",                    # tag
    BASE + "  B:\n    <<: {name: B}\n    kind: state\n",             # merge key
    BASE.replace("as_of: 2024-01-01", 'as_of: "2024-01-01"'),       # quoted date: text, not a date
    BASE + "  B: {name: |2\n      indented, kind: state}\n",          # block indentation indicator
    "%YAML 1.2\n---\n" + BASE,                                        # directive
    BASE + "  B:\t{name: B, kind: state}\n",                          # tab
])
def test_constructs_where_parsers_may_differ_take_the_slow_path(text: str) -> None:
    assert fastload.fast_tree(text) is None


def outcome(path: Path, fast: bool):
    """What load() gives, with or without the fast path: the study's data, or the problems."""
    with pytest.MonkeyPatch.context() as patch:
        if not fast:
            patch.setattr(fastload, "fast_tree", lambda text: None)
        try:
            return load(path).study.model_dump()
        except StudyError as exc:
            return [str(p) for p in exc.problems]


@settings(max_examples=80, deadline=None)
@given(st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=30))
def test_any_text_value_loads_the_same_either_way(tmp_path_factory, value: str) -> None:
    quoted = '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    for spelling in (value, quoted, "{" + value + "}", "[" + value + "]"):
        path = tmp_path_factory.mktemp("v") / "s.yaml"
        path.write_text(BASE.replace("NAME", spelling), encoding="utf-8")
        assert outcome(path, fast=True) == outcome(path, fast=False), spelling


def test_a_large_invalid_study_is_reported_with_positions(tmp_path: Path) -> None:
    path = tmp_path / "big.yaml"
    path.write_text(study_text(300, 4).replace("effect: 1\n", "effect: 9\n", 1), encoding="utf-8")
    with pytest.raises(StudyError) as exc:
        load(path)
    (problem,) = exc.value.problems
    assert "9 is out of range" in problem.message
    assert path.read_text().splitlines()[problem.line - 1].strip() == "effect: 9"


def test_load_takes_the_fast_path_for_a_large_valid_study(tmp_path: Path) -> None:
    path = tmp_path / "big.yaml"
    path.write_text(study_text(300, 5), encoding="utf-8")
    loaded = load(path)
    assert type(loaded.document.tree) is dict  # plain data: rapidyaml, not ruamel
    assert sum(len(s.impacts) for s in loaded.study.scenarios.values()) == 300


SMALL_VALID = study_text(20, 7)


@settings(max_examples=150, deadline=None)
@given(st.integers(0, len(SMALL_VALID) - 1), st.integers(0, 8), st.sampled_from(["", " ", "  ", ":", "-", "\n", "'", '"', "#", "[", "{", "x", "0"]))
def test_damage_the_slow_path_refuses_is_refused_by_load(tmp_path_factory, at: int, cut: int, insert: str) -> None:
    text = SMALL_VALID[:at] + insert + SMALL_VALID[at + cut:]
    path = tmp_path_factory.mktemp("damaged") / "s.yaml"
    path.write_text(text, encoding="utf-8")
    try:
        store.parse(path, text)
        from scenmatrix.validate import validate_document

        slow_ok = not validate_document(store.parse(path, text))[1]
    except StudyError:
        slow_ok = False
    if slow_ok:
        load(path)
    else:
        with pytest.raises(StudyError):
            load(path)


# Characters that matter to YAML, and some that matter to Unicode. A long run: SCENMATRIX_LONG=1.
ALPHABET = list(" \n\"'#:-,[]{}&*!|>%@`?~=0123456789.eE+xaZ\\éж😀\u00a0\ufeff")


def test_random_yaml_fragments_load_the_same_either_way(tmp_path: Path) -> None:
    import os
    import random

    rng = random.Random(2022)
    path = tmp_path / "s.yaml"
    rounds = 6000 if os.environ.get("SCENMATRIX_LONG") else 250
    for _ in range(rounds):
        value = "".join(rng.choice(ALPHABET) for _ in range(rng.randint(0, 10)))
        for spelling in (value, "{" + value + "}", "[" + value + "]", "'" + value.replace("'", "''") + "'",
                         '"' + value + '"', value + "\n    " + value):
            path.write_text(BASE.replace("NAME", spelling), encoding="utf-8")
            assert outcome(path, fast=True) == outcome(path, fast=False), spelling
