"""The fast path for large studies never means something the round-trip parser would not."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import sys
from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from scenmatrix.store import fastpath as fastload
from scenmatrix.store import document
from scenmatrix.store import checks, loader
from scenmatrix.errors import StudyError
from scenmatrix.store.loader import load

ROOT = Path(__file__).resolve().parents[3]
DEFAULT = ROOT / "scenarios" / "russia-iran-2022.yaml"
sys.path.insert(0, str(ROOT / "benchmarks"))
from generate import study_text  # noqa: E402


@pytest.fixture(autouse=True)
def every_size(monkeypatch):
    """Parse in pieces of a few lines, so that every test also tests the cuts between pieces."""
    monkeypatch.setattr(fastload, "CHUNK_CHARS", 100)


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
    return plain(document.parse(Path("x.yaml"), text).tree)


def test_default_study_reads_the_same_both_ways() -> None:
    text = DEFAULT.read_text(encoding="utf-8")
    fast = fastload.fast_tree(text)
    assert fast is not None and fast == slow(text)
    assert fast["study"]["as_of"] == dt.date(2022, 8, 31)


@pytest.mark.parametrize("impacts, seed", [(50, 1), (400, 2), (2000, 3)])
@pytest.mark.parametrize("chunk", [1, 100, 10_000, 10 ** 9])
def test_generated_studies_read_the_same_both_ways(monkeypatch, impacts: int, seed: int, chunk: int) -> None:
    monkeypatch.setattr(fastload, "CHUNK_CHARS", chunk)
    text = study_text(impacts, seed)
    assert fastload.fast_tree(text) == slow(text)


BASE = "study: {id: s, title: T, as_of: 2024-01-01, marking: TLP:CLEAR}\nactors:\n  A: {name: NAME, kind: state}\n"


@pytest.mark.parametrize("name", [
    "~", "null", "Null", "true", "False", "007", "0x10", "0o17", "1e3", ".inf", "-.5", "2024-01-01", "+2",
    "2024-01-01T10:00:00", "0_1", "1_000", "0b1", "0x_1", "1_0.5", "1__0", ".NaN", "-.INF", "0xA",
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
    BASE.replace("as_of: 2024-01-01", '"as_of": "2024-01-01"'),     # quoted date after a quoted key
    BASE.replace("as_of: 2024-01-01", "as_of: '2024-01-01'"),
    "study:\n  id: s\n  title: T\n  as_of: |-\n    2024-01-01\n  marking: TLP:CLEAR\n",  # block-scalar date
    "study:\n  id: s\n  title: T\n  as_of: >-\n    2024-01-01\n  marking: TLP:CLEAR\n",
    "study: {id: s, title: T, as_of: 2024-01-01, marking: TLP:CLEAR, sources: {g: {title: G, date: '2024-01-02'}}}\n",
    "# \x07 in a comment, which ruamel refuses\n" + BASE,             # unprintable, even unread
    BASE + "# \x85 \u0080 \ufffe\n",
    BASE + "  B: {name: 2024-01-01, kind: state}\n",                  # a date where text belongs
    BASE + "  date: {name: 2024-01-01, kind: state}\n",
    BASE + "study: {id: t, title: T, as_of: 2024-01-01, marking: TLP:CLEAR}\n",  # duplicate top-level key
    BASE + "  B: {name: B, kind: state}\n  C:\n    name: ] closed\n    kind: state\n",  # ruamel refuses a
    BASE + "  B:\n    name: }closed\n    kind: state\n",                                  # plain `]` or `}`
    BASE + "  B:\n    name: B\n    kind: state\n    aliases:\n    - ] x\n",
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


@pytest.mark.parametrize("old, new, message", [
    ("effect: 1\n", "effect: 9\n", "9 is out of range"),
    ("evidence: [E1]", "evidence: [E999]", "unknown evidence 'E999'"),
])
def test_a_large_invalid_study_is_reported_with_positions(tmp_path: Path, old: str, new: str, message: str) -> None:
    path = tmp_path / "big.yaml"
    path.write_text(study_text(300, 4).replace(old, new, 1), encoding="utf-8")
    with pytest.raises(StudyError) as exc:
        load(path)
    (problem,) = exc.value.problems
    assert message in problem.message
    assert path.read_text().splitlines()[problem.line - 1].strip() == new.strip()


def test_load_takes_the_fast_path_for_a_large_valid_study(tmp_path: Path, monkeypatch) -> None:
    path = tmp_path / "big.yaml"
    text = study_text(300, 5)
    path.write_text(text, encoding="utf-8")
    monkeypatch.setattr(loader, "parse", None)  # the slow path would fail
    loaded = load(path)
    assert loaded.document.tree is None and loaded.document.text == text and not loaded.warnings
    assert loaded.document.sha256 == hashlib.sha256(text.encode()).hexdigest()
    assert sum(len(s.impacts) for s in loaded.study.scenarios.values()) == 300
    parsed = []
    monkeypatch.setattr(loader, "parse", lambda *args: parsed.append(args) or document.parse(*args))
    monkeypatch.setattr(fastload, "fast_tree", lambda text: None)  # as outcome(fast=False) does
    slow_study = load(path).study
    assert parsed  # the slow path, really
    assert loaded.study == slow_study
    for sid, scenario in loaded.study.scenarios.items():
        same = slow_study.scenarios[sid]
        assert scenario.model_fields_set == same.model_fields_set
        for actor, impact in scenario.impacts.items():
            assert impact.model_fields_set == same.impacts[actor].model_fields_set
    assert loaded.study.model_dump(exclude_unset=True) == slow_study.model_dump(exclude_unset=True)


SMALL_VALID = study_text(20, 7)


@pytest.mark.slow
@settings(max_examples=150, deadline=None)
@given(st.integers(0, len(SMALL_VALID) - 1), st.integers(0, 8),
       st.sampled_from(["", " ", "  ", ":", "-", "\n", "'", '"', "#", "[", "{", "x", "0", "\n  ", "\n  S0:\n", "1_0",
                        "\n  A0: {}\n", " &a", "\\x07"]))
def test_damage_loads_the_same_either_way(tmp_path_factory, at: int, cut: int, insert: str) -> None:
    text = SMALL_VALID[:at] + insert + SMALL_VALID[at + cut:]
    path = tmp_path_factory.mktemp("damaged") / "s.yaml"
    path.write_text(text, encoding="utf-8")
    assert outcome(path, fast=True) == outcome(path, fast=False)


# Characters that matter to YAML, and some that matter to Unicode. A long run: SCENMATRIX_LONG=1.
ALPHABET = list(" \n\"'#:-,[]{}&*!|>%@`?~=0123456789.eE+xaZ\\éж😀\u00a0\ufeff")


@pytest.mark.slow
def test_random_yaml_fragments_load_the_same_either_way(tmp_path: Path) -> None:
    import os
    import random

    rng = random.Random(2022)
    path = tmp_path / "s.yaml"
    rounds = 6000 if os.environ.get("SCENMATRIX_LONG") else 250
    for _ in range(rounds):
        value = "".join(rng.choice(ALPHABET) for _ in range(rng.randint(0, 10)))
        for spelling in (value, "{" + value + "}", "[" + value + "]", "'" + value.replace("'", "''") + "'",
                         '"' + value + '"', value + "\n    " + value, value + "\n  " + value, value + "\n" + value):
            path.write_text(BASE.replace("NAME", spelling), encoding="utf-8")
            assert outcome(path, fast=True) == outcome(path, fast=False), spelling


# A value written over several lines, some of them starting where the entries of the mapping around it
# start: a cut between pieces falls inside it.
@pytest.mark.parametrize("value", [
    '"a\n  b: c"', "'a\n  b: c'", "[a,\n  b]", "{a: 1,\n  b: 2}", '"a\nb: c"', "[a,\nb]", "{a: 1,\nb: 2}",
    "a\n  b: c", "a\n   b", "|\n  b: c", "|\n    b: c\n  B: x", ">\n   folded\n  C: x", '"a\n\n  b"', "'a\n#  b'",
])
@pytest.mark.parametrize("chunk", [1, 30])
def test_a_cut_inside_a_multiline_value_changes_nothing(tmp_path: Path, monkeypatch, value: str, chunk: int) -> None:
    monkeypatch.setattr(fastload, "CHUNK_CHARS", chunk)
    path = tmp_path / "s.yaml"
    for text in (BASE.replace("NAME", value) + "  B: {name: B, kind: state}\n",
                 BASE.replace("  A: {name: NAME, kind: state}", "  A:\n    name: NAME\n    kind: state").replace(
                     "NAME", value.replace("\n  ", "\n    ")) + "  B: {name: B, kind: state}\n"):
        path.write_text(text, encoding="utf-8")
        assert outcome(path, fast=True) == outcome(path, fast=False), text
        fast = fastload.fast_tree(text)
        try:
            assert fast is None or fast == slow(text)
        except StudyError:
            assert fast is None


# Keys that repeat and mean things to YAML, and values that YAML types, quotes, folds or nests.
KEYS = st.one_of(st.integers(0, 99).map("k{}".format),
                 st.sampled_from(["k1", "study", "sources", "as_of", "date", "1", "true", "~", "'k1'", '"k2"', "x y",
                                  "1_0"]))
VALUES = st.sampled_from([
    "x", "1", "-3", "1.5", "1_000", "0x1", "2024-01-01", "2024-02-30", "'2024-01-01'", '"2024-01-01"',
    "2024-01-01 10:00", "null", "~", "", "true", "True", "'x'", '"\\x41"', '"\\u00e9"', "[a, a]", "{a: 1, a: 2}", "{a: 1, b: [x, {c: d}]}",
    "[1, '2', \"3\"]", "|\n  text", ">-\n  folded\n  text", "'it''s'", "x # comment", "a b\n  c d", "[a,\n  b]",
    '"a\n  b"', "-", "=", ".inf", "'#'", "{}", "[]",
])
# Plain scalars led by each of YAML's indicators (most are refused there, or mean something else).
INDICATOR_LED = st.builds("".join, st.tuples(st.sampled_from(list("-?:,[]{}#&*!|>'\"%@`")),
                                             st.sampled_from(["", " ", "x", " x", " closed", "]", "}", ","])))


@st.composite
def yaml_mappings(draw, indent: int = 0, depth: int = 0) -> str:
    lines = []
    for _ in range(draw(st.integers(1, 4))):
        key = draw(KEYS)
        if depth < 3 and draw(st.booleans()):
            lines.append(" " * indent + key + ":")
            lines.append(draw(yaml_mappings(indent + draw(st.sampled_from([2, 4])), depth + 1)))
        else:
            continued = "\n" + " " * draw(st.sampled_from([0, indent, indent + 2, indent + 2, indent + 4]))
            value = draw(st.one_of(VALUES, INDICATOR_LED))
            lines.append(" " * indent + key + ": " + value.replace("\n  ", continued))
    return "\n".join(lines)


@settings(max_examples=400, deadline=None)
@given(yaml_mappings(), st.sampled_from([1, 20, 10 ** 9]))
def test_random_mappings_read_the_same_or_not_at_all(text: str, chunk: int) -> None:
    """Duplicate keys, dates, typed and multi-line scalars, in pieces or whole: the fast parse gives what
    ruamel gives, or declines; and it always declines what ruamel refuses."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(fastload, "CHUNK_CHARS", chunk)
        fast = fastload.fast_tree(text + "\n")
    try:
        expected = slow(text + "\n")
    except StudyError:
        assert fast is None
        return
    assert fast is None or fast == expected


def old_unsafe(text: str) -> bool:
    """The checks for constructs where the parsers may differ, as first written: slow regexes, the oracle
    (less the check for quoted dates, which the check of each date's style replaced; plus a closing
    bracket leading a block node, which ruamel refuses)."""
    return bool(
        re.search(r"(?m)(?:^[ ]*|[:\-,\[{][ ]*)[&*!@`%?]", text) or re.search(r"(?m)(?:^[ ]*|[:\-][ ]*)[\]}]", text)
        or "<<" in text or text.startswith(("%", "---"))
        or any(c in text for c in "\t\r\x85\u2028\u2029") or any(m in text for m in ("\n%", "\n---", "\n..."))
        or re.search(r"(?m)^ {120}", text) or re.search(r"(?:[\[{][ ]*){40}", text)
        or re.search(r"(?m)^[^#\n]*[\[{][^\n]*\s#", text) or re.search(r"[|>](?:[-+]?[0-9]|\+)", text))


TEXT_BITS = st.sampled_from([
    " ", "  ", "\n", "#", " #", "[", "{", "]", "}", ":", "-", ",", "a", "1", "&", "*", "!", "@", "`", "%", "?",
    "|", ">", "+", "-1", "<", "<<", "---", "...", "\t", "\r", "\x85", "\u2028", "\x1c", "\xa0", "\u3000",
    " " * 120, "[ " * 20, "{" * 20, "é",
])


@settings(max_examples=1000, deadline=None)
@given(st.lists(TEXT_BITS, max_size=40).map("".join))
def test_unsafe_finds_what_the_slow_regexes_find(text: str) -> None:
    assert fastload._unsafe(text) == old_unsafe(text)


@settings(max_examples=500, deadline=None)
@given(st.lists(st.one_of(st.integers(0, 0x10FFFF).map(chr),
                          st.sampled_from(["a", "\n", "\x85", "\ufffe", "\uffff", "\ud800", "\x7f", "\x9f", "\xa0"])),
                max_size=20).map("".join))
def test_unprintable_is_ruamels_rule(text: str) -> None:
    assert fastload._unprintable(text) == bool(checks._NOT_PRINTABLE.search(text))


def test_a_duplicate_in_a_later_piece_is_reported_with_its_position(tmp_path: Path) -> None:
    path = tmp_path / "big.yaml"
    text = study_text(300, 4)
    path.write_text(text + "  S0:\n    title: Again\n", encoding="utf-8")
    with pytest.raises(StudyError) as exc:
        load(path)
    (problem,) = exc.value.problems
    assert "duplicate key 'S0'" in problem.message and problem.line == text.count("\n") + 1


@pytest.mark.slow
@settings(max_examples=1500, deadline=None)
@given(st.one_of(st.from_regex(r"[-+]?(0[xob])?[0-9_]{1,6}(\.[0-9_]{0,3})?([eE][-+]?[0-9]{1,2})?", fullmatch=True),
                 st.from_regex(r"[-+]?\.?[0-9][0-9_.:xXoObBeEaAfF+\-]{0,8}", fullmatch=True),
                 st.from_regex(r"[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}([Tt ][0-9:. +\-Z]{0,12})?", fullmatch=True),
                 st.text(st.sampled_from("0123456789_.:+-eExXoObBaAfFtTnNlLsSuUrRiI~= "), min_size=1, max_size=12)))
@example("0_1")
@example("1_000")
@example("0b1")
@example("0x_1")
@example("1_0.5")
@example("1__0")
@example("0o17")
@example(".NaN")
@example("2001-12-14t21:59:43.10-05:00")
@example("2024-1-1 10:00")
@example("6:30")
def test_every_plain_scalar_ruamel_types_is_doubted(value: str) -> None:
    """What ruamel reads as a null, bool, number or timestamp, and rapidyaml gives as text, the fast path
    doubts (it may doubt more)."""
    import ryml

    text = f"k: {value}\n"
    try:
        typed = not isinstance(document.parse(Path("x.yaml"), text).tree["k"], str)
        tree = ryml.parse_in_arena(text)
        emitted = ryml.emit_json_malloc(tree, tree.root_id())
        fast = json.loads(emitted)["k"]
    except (StudyError, TypeError, ryml.ExceptionParse, ValueError):
        return  # not a plain scalar to both parsers, or not JSON (which the fast path declines)
    if typed and isinstance(fast, str):
        assert fastload._TYPED_JSON.search(emitted), value


def test_shared_field_name_sets_refuse_change_and_dumps_still_work(tmp_path: Path) -> None:
    path = tmp_path / "big.yaml"
    path.write_text(study_text(300, 5), encoding="utf-8")
    study = load(path).study
    impacts = [i for s in study.scenarios.values() for i in s.impacts.values()]
    assert impacts[0].model_fields_set is impacts[-1].model_fields_set  # one set, not 300
    assert impacts[0].model_dump(mode="json", exclude_unset=True)["effect"] == impacts[0].effect
    with pytest.raises(TypeError, match="share their field-name sets"):
        impacts[0].model_copy(update={"effect": 0})
    with pytest.raises(TypeError, match="share their field-name sets"):
        impacts[0].confidence = "low"
