"""Properties of loading and validation, over generated studies and arbitrary text.

(a) a generated valid study validates with no problem and reads back as the data it was written from;
(b) one vocabulary field set to a word outside its vocabulary gives exactly one problem, on that line;
(c) whatever the text or bytes, loading raises StudyError or nothing.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import re
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import VALID_STUDY
from scenmatrix.study import vocab
from scenmatrix.study.model import ID_PATTERN, Study
from scenmatrix.errors import StudyError
from scenmatrix.store.document import parse, round_trip_yaml
from scenmatrix.store.loader import load
from scenmatrix.store.checks import validate_document

SETTINGS = settings(max_examples=75, deadline=None, suppress_health_check=[HealthCheck.too_slow])
PATH = Path("generated.yaml")

# --- strategies ----------------------------------------------------------------------------------------------

ids = st.from_regex(ID_PATTERN.replace("{0,39}", "{0,11}"), fullmatch=True)
# Any printable text YAML can hold: letters of every script, emoji, punctuation, spaces, line breaks.
# (No control characters or surrogates: those are refused, see test_validate.)
text = st.text(
    st.characters(codec="utf-8", exclude_categories=("Cc", "Cs", "Cn"), include_characters="\n"),
    min_size=1, max_size=30,
)
dates = st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2100, 12, 31))


def subset(draw, choices: list[str], **kwargs) -> list[str]:
    return draw(st.lists(st.sampled_from(choices), unique=True, **kwargs)) if choices else []


@st.composite
def studies(draw) -> dict:
    """A valid study as plain data: every reference resolves, every list is unique."""
    actor_ids = draw(st.lists(ids, min_size=1, max_size=4, unique=True))
    source_ids = draw(st.lists(ids, max_size=2, unique=True))
    evidence_ids = draw(st.lists(ids, max_size=3, unique=True))
    driver_ids = draw(st.lists(ids, max_size=2, unique=True))
    constraint_ids = draw(st.lists(ids, max_size=2, unique=True))
    scenario_ids = draw(st.lists(ids, min_size=1, max_size=3, unique=True))
    indicator_ids = draw(st.lists(ids, max_size=4, unique=True))  # unique across the study

    def factor() -> dict:
        return {"title": draw(text), "description": draw(text), "evidence": subset(draw, evidence_ids)}

    info = {
        "id": draw(ids), "title": draw(text), "as_of": draw(dates), "marking": draw(st.sampled_from(vocab.TLP)),
        "sources": {sid: {"title": draw(text), "date": draw(dates), "author": draw(text)} for sid in source_ids},
        "key_judgments": {kid: draw(text) for kid in draw(st.lists(ids, max_size=2, unique=True))},
    }
    study = {
        "study": info,
        "actors": {aid: {"name": draw(text), "kind": draw(st.sampled_from(vocab.ACTOR_KINDS)),
                         "aliases": draw(st.lists(text, max_size=2))} for aid in actor_ids},
        "evidence": {
            eid: {"claim": draw(text), "source": draw(text), "grade": draw(st.sampled_from(vocab.GRADES)),
                  **({"cited_in": draw(st.sampled_from(source_ids))} if source_ids and draw(st.booleans()) else {}),
                  "contested_by": {aid: draw(text) for aid in subset(draw, actor_ids, max_size=2)}}
            for eid in evidence_ids
        },
        "drivers": {fid: factor() for fid in driver_ids},
        "constraints": {fid: factor() for fid in constraint_ids},
        "scenarios": {},
    }
    for index, sid in enumerate(scenario_ids):
        study["scenarios"][sid] = {
            "title": draw(text), "narrative": draw(text),
            "likelihood": draw(st.sampled_from(list(vocab.ICD203))),
            "confidence": draw(st.sampled_from(vocab.CONFIDENCE)),
            "drivers": subset(draw, driver_ids), "constraints": subset(draw, constraint_ids),
            "indicators": {iid: {"text": draw(text), "status": draw(st.sampled_from(vocab.INDICATOR_STATUS))}
                           for iid in indicator_ids[index::len(scenario_ids)]},
            "impacts": {
                aid: {"effect": draw(st.integers(vocab.EFFECT_MIN, vocab.EFFECT_MAX)),
                      "domains": subset(draw, list(vocab.DOMAINS), min_size=1, max_size=3),
                      "confidence": draw(st.sampled_from(vocab.CONFIDENCE)),
                      "rationale": draw(text), "evidence": subset(draw, evidence_ids)}
                for aid in subset(draw, actor_ids)
            },
        }
    return study


def dump(data: dict) -> str:
    out = io.StringIO()
    round_trip_yaml().dump(data, out)
    return out.getvalue()


# --- (a) valid studies ------------------------------------------------------------------------------------------


@SETTINGS
@given(studies())
def test_generated_valid_study_has_no_problem_and_round_trips(data: dict) -> None:
    text = dump(data)
    study, problems = validate_document(parse(PATH, text))
    assert problems == []
    assert study is not None
    expected = Study.model_validate(data)  # the data as the model sees it (defaults filled in)
    assert study == expected
    # ... and back through the model's own dump and the YAML writer: the same study again
    again, problems = validate_document(parse(PATH, dump(study.model_dump(exclude_none=True))))
    assert (problems, again) == ([], expected)


# --- (b) one field outside its vocabulary ------------------------------------------------------------------------

# The lines of VALID_STUDY holding a word from a vocabulary, and what that vocabulary allows.
VOCAB_FIELDS = {
    "likelihood": set(vocab.ICD203) | {t for scale in getattr(vocab, "SCALES", {}).values() for t in scale},
    "confidence": set(vocab.CONFIDENCE),
    "status": set(vocab.INDICATOR_STATUS),
    "kind": set(vocab.ACTOR_KINDS),
    "marking": set(vocab.TLP),
}
FIELD_LINES = [
    (number, match.group(1), match.group(2))
    for number, line in enumerate(VALID_STUDY.splitlines(), 1)
    if (match := re.match(rf"^(\s*(?:{'|'.join(VOCAB_FIELDS)}|grade|effect): )(.*)$", line))
]
DOMAIN_LINES = [number for number, line in enumerate(VALID_STUDY.splitlines(), 1) if "domains: [" in line]
words = st.text(st.characters(codec="utf-8", exclude_categories=("Cc", "Cs", "Cn", "Zl", "Zp")), min_size=1,
                max_size=25)


def replace_line(number: int, new: str) -> str:
    lines = VALID_STUDY.splitlines(keepends=True)
    lines[number - 1] = new + "\n"
    return "".join(lines)


def problems_in(text: str) -> list:
    try:
        study, problems = validate_document(parse(PATH, text))
    except StudyError as exc:
        return exc.problems
    return problems


@SETTINGS
@given(st.sampled_from(FIELD_LINES), words, st.integers())
def test_one_field_outside_its_vocabulary_is_one_problem_on_its_line(field_line, word: str, number: int) -> None:
    line, prefix, _ = field_line
    field = prefix.strip().rstrip(":")
    if field == "effect":
        if vocab.EFFECT_MIN <= number <= vocab.EFFECT_MAX:
            number = vocab.EFFECT_MAX + 1 + abs(number)
        value = str(number)
    elif field == "grade":
        if re.fullmatch(r"[A-F][1-6]", word):
            word += "!"
        value = json.dumps(word, ensure_ascii=False)  # a JSON string is a double-quoted YAML scalar
    else:
        if word in VOCAB_FIELDS[field]:
            word += "?"
        value = json.dumps(word, ensure_ascii=False)
    problems = problems_in(replace_line(line, prefix + value))
    assert [(p.line, p.col) for p in problems] == [(line, len(prefix) + 1)], [str(p) for p in problems]
    assert problems[0].code in ("vocabulary", "string_pattern_mismatch", "less_than_equal", "greater_than_equal")


@SETTINGS
@given(st.sampled_from(DOMAIN_LINES), words)
def test_one_domain_outside_its_vocabulary_is_one_problem_on_its_line(line: int, word: str) -> None:
    if word in vocab.DOMAINS:
        word += "?"
    old = VALID_STUDY.splitlines()[line - 1]
    new = re.sub(r"\[(\w+)", lambda m: "[" + json.dumps(word, ensure_ascii=False), old, count=1)
    problems = problems_in(replace_line(line, new))
    assert [(p.line, p.col, p.code) for p in problems] == [(line, old.index("[") + 2, "vocabulary")]


# --- (c) nothing but StudyError escapes ---------------------------------------------------------------------------

# Bits of YAML syntax, so that the generated text reaches the parser's corners (flow collections,
# anchors, tags, block scalars, documents, directives) and not only its first character check.
YAML_PIECES = [
    "[", "]", "{", "}", ":", ": ", "- ", ",", "&a ", "*a", "!!", "!!int ", "!!float ", "!!binary ", "!!omap ",
    "!!set ", "!!timestamp ", "!tag ", "|", ">", "'", '"', "#", "%YAML 1.2\n", "---\n", "...\n", "? ", "<<: ",
    "\n", "\n  ", "\n    ", "\t", " ", "~", "null", "true", "1", "-3", "2.5", "0x1F", "2022-13-45", "2022-08-20",
    "\\0", "\\e", "\\ud800", "\x07", "\x85", "\u2028", "\ufeff", "é", "🚁",
    "study:", "actors:", "scenarios:", "impacts:", "effect: ", "likelihood: ", "domains: ", "RU", "E1",
]
yamlish = st.lists(st.sampled_from(YAML_PIECES) | st.text(max_size=3), max_size=40).map("".join)


def assert_only_study_errors(text: str) -> None:
    for problem in problems_in(text):
        assert problem.line >= 1 and problem.col >= 1
        assert len(str(problem).splitlines()) == 1, str(problem)


@SETTINGS
@given(st.text(max_size=200))
def test_arbitrary_text_raises_nothing_but_study_error(text: str) -> None:
    assert_only_study_errors(text)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(yamlish)
def test_yaml_like_text_raises_nothing_but_study_error(text: str) -> None:
    assert_only_study_errors(text)


@SETTINGS
@given(st.integers(0, len(VALID_STUDY) - 1), yamlish)
def test_valid_study_with_text_spliced_in_raises_nothing_but_study_error(at: int, piece: str) -> None:
    assert_only_study_errors(VALID_STUDY[:at] + piece + VALID_STUDY[at:])


@SETTINGS
@given(st.binary(max_size=200))
def test_arbitrary_bytes_raise_nothing_but_study_error(tmp_path_factory, data: bytes) -> None:
    path = tmp_path_factory.getbasetemp() / "bytes.yaml"
    path.write_bytes(data)
    try:
        load(path)
    except StudyError as exc:
        assert all(len(str(p).splitlines()) == 1 for p in exc.problems)
