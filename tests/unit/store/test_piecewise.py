"""Problems placed piece by piece (store/piecewise.py) are the full parse's, position for position.

Every malformed study of test_validate's corpus, and generated studies with a problem put anywhere, are
validated both ways, with every entry cut to its smallest piece (BIG_ENTRY = 0): the problems must be
equal wherever the piecewise path places them, and it must place most of them.
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import VALID_STUDY, mutate
from scenmatrix.errors import StudyError
from scenmatrix.store import document, piecewise
from scenmatrix.store.checks import validate_document
from test_validate import MUTATIONS

pytestmark = pytest.mark.usefixtures("every_entry_cut")


@pytest.fixture()
def every_entry_cut(monkeypatch) -> None:
    monkeypatch.setattr(piecewise, "BIG_ENTRY", 0)


def full_parse(path: Path, text: str) -> list:
    try:
        return validate_document(document.parse(path, text))[1]
    except StudyError as exc:
        return exc.problems


def test_the_corpus_is_placed_as_the_full_parse_places_it(tmp_path: Path) -> None:
    placed = 0
    for case in MUTATIONS:
        old, new = case.values[:2]
        text = mutate(VALID_STUDY, old, new)
        path = tmp_path / "s.yaml"
        found = piecewise.problems(path, text)
        if found is not None:
            placed += 1
            assert found == full_parse(path, text), case.id
    assert placed >= len(MUTATIONS) // 2, placed  # the rest are YAML the fast path leaves to ruamel


def generated(seed: int) -> str:
    import sys

    sys.path.insert(0, str(Path(__file__).parents[3] / "benchmarks"))
    from generate import study_text

    return study_text(400, seed)


# (a line's start, what the line becomes): each a problem the checks find on plain data
BAD_LINES = [("        effect: ", "        effect: 9"), ("        domains: [", "        domains: [militry]"),
             ("        confidence: low", "        confidence: lo"), ("        evidence: [E", "        evidence: [X1]"),
             ("    likelihood: ", "    likelihood: probable"), ("      A1:", "      NOBODY:")]


def broken(text: str, rng: random.Random, bad: list[tuple[str, str]]) -> str:
    for old, new in bad:
        at = rng.choice([i for i in range(len(text)) if text.startswith("\n" + old, i)]) + 1
        end = text.find("\n", at)
        text = text[:at] + (new + text[at + len(old):end] if new.endswith(":") else new) + text[end:]
    return text


def test_a_problem_deep_in_a_big_study_is_placed_from_its_own_entry(tmp_path: Path) -> None:
    text = broken(generated(1), random.Random(1), [BAD_LINES[0]])
    found = piecewise.problems(tmp_path / "g.yaml", text)
    assert found is not None and len(found) == 1 and found == full_parse(tmp_path / "g.yaml", text)


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 10_000), st.lists(st.sampled_from(BAD_LINES), min_size=1, max_size=3))
def test_problems_put_anywhere_are_placed_as_the_full_parse_places_them(tmp_path_factory, seed, bad) -> None:
    text = broken(generated(seed % 5), random.Random(seed), bad)
    path = tmp_path_factory.mktemp("g") / "g.yaml"
    found = piecewise.problems(path, text)
    assert found is None or found == full_parse(path, text)


def load_problems(path: Path) -> list:
    from scenmatrix.store.loader import load

    try:
        load(path)
    except StudyError as exc:
        return exc.problems
    return []


def test_load_places_a_big_invalid_study_from_its_one_fast_parse(tmp_path: Path, monkeypatch) -> None:
    """load() places a big study's problems from the plain data its fast load read (the schema's errors
    on it, where they are the only problems): one fast parse, no full parse, the full parse's problems."""
    from scenmatrix.store import fastpath, loader

    monkeypatch.setattr(piecewise, "PIECEWISE_FROM", 0)
    parses, schema_only = [], []
    fast_tree, schema_problems = fastpath.fast_tree, piecewise.schema_problems
    monkeypatch.setattr(fastpath, "fast_tree", lambda text: parses.append(1) or fast_tree(text))
    monkeypatch.setattr(piecewise, "schema_problems", lambda *a: schema_only.append(1) or schema_problems(*a))
    cases = [mutate(VALID_STUDY, *case.values[:2]) for case in MUTATIONS]
    cases += [broken(generated(seed), random.Random(seed), [bad]) for seed in range(2) for bad in BAD_LINES]
    cases += [broken(generated(3), random.Random(3), BAD_LINES[:3])]  # several schema errors, far apart
    placed = 0
    for index, text in enumerate(cases):
        path = tmp_path / f"s{index}.yaml"
        path.write_text(text, encoding="utf-8")
        parses.clear()
        full_parses = []
        monkeypatch.setattr(loader, "parse", lambda *a: full_parses.append(1) or document.parse(*a))
        assert load_problems(path) == full_parse(path, text), index
        assert len(parses) <= 1, index
        placed += not full_parses
    assert placed >= len(cases) // 2 and len(schema_only) >= 10, (placed, len(schema_only))
