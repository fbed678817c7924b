"""Loading and validating studies: every malformed input gives one positioned problem a fault.

Each case mutates the valid study of conftest.py (or writes raw bytes) and compares the problems,
flattened to (line, col, code), in one assertion; then a distinctive part of each message and hint.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import VALID_STUDY, line_of, mutate
from scenmatrix.errors import Problem, StudyError
from scenmatrix.store.document import Document, read_document
from scenmatrix.store.loader import load
from scenmatrix.store.report import check_report
from scenmatrix.store.checks import validate_document

Expected = tuple[int, int, str, str, "str | None"]  # line, col, code, part of the message, part of the hint


def problems_of(path: Path | str) -> list[Problem]:
    with pytest.raises(StudyError) as info:
        load(path)
    problems = info.value.problems
    for problem in problems:  # each one line, starting path:line:col:
        assert str(problem).startswith(f"{path}:{problem.line}:{problem.col}: "), str(problem)
        assert len(str(problem).splitlines()) == 1, str(problem)
    assert str(info.value).splitlines() == [str(p) for p in problems]
    return problems


def flatten(problems: list[Problem]) -> list[tuple[int, int, str]]:
    return [(p.line, p.col, p.code) for p in problems]


def described(problems: list[Problem], expected: list[Expected]) -> list[tuple[str, "str | None"]]:
    """(message, hint) of each problem, shortened to the expected part where it contains it.

    So the comparison with [(part, hint part), ...] passes when every part is found, and a failure shows
    the whole text that did not match. An expected hint of None means the problem must have no hint.
    """
    out = []
    for problem, (_, _, _, part, hint) in zip(problems, expected):
        message = part if part in problem.message else problem.message
        hint_ok = problem.hint is None if hint is None else (problem.hint is not None and hint in problem.hint)
        out.append((message, hint if hint_ok else problem.hint))
    return out


def assert_problems(path: Path | str, expected: list[Expected]) -> None:
    problems = problems_of(path)
    assert flatten(problems) == [e[:3] for e in expected]
    assert described(problems, expected) == [e[3:] for e in expected]


# (old text, new text, expected problems) applied to VALID_STUDY. Line numbers are those of the mutated text.
MUTATIONS = [
    # --- broken YAML: one problem, where the parser stopped -------------------------------------------
    pytest.param("    evidence: [E1]\nconstraints:", "    evidence: [E1\nconstraints:",
                 [(39, 12, "file", "expected ',' or ']', but got ':'", "is the '[' on line 38 closed?")],
                 id="yaml-unclosed-flow-list"),
    pytest.param("    kind: state\n    aliases: [Tehran]", "    kind: state\n   aliases: [Tehran]",
                 [(22, 4, "file", "expected <block end>", "check the indentation")],
                 id="yaml-bad-indentation"),
    pytest.param("    kind: state\n    aliases: [Tehran]", "    kind: state\n\taliases: [Tehran]",
                 [(22, 1, "file", "found character '\\t'", "indent with spaces, not tabs")],
                 id="yaml-tab-indentation"),
    pytest.param("    title: Deepening alliance", "    title: Deepening: alliance: now",
                 [(45, 21, "file", "mapping values are not allowed here", "quote text that contains ': '")],
                 id="yaml-a-b-c"),
    pytest.param("  US:\n    name: United States", "  RU:\n    name: United States",
                 [(23, 3, "file", "YAML syntax: duplicate key 'RU'", "ids must be unique")],
                 id="yaml-duplicate-actor-id"),
    pytest.param("    narrative: Military cooperation expands.",
                 "    narrative: Military cooperation expands.\n    title: Again",
                 [(47, 5, "file", "duplicate key 'title'", "ids must be unique")],
                 id="yaml-duplicate-field"),
    pytest.param("        rationale: Loses a partner.\n", "        rationale: Loses a partner.\n---\nextra: 1\n",
                 [(83, 1, "file", "found another document", "a study is one YAML document")],
                 id="yaml-second-document"),
    pytest.param("as_of: 2022-08-20", "as_of: 2022-13-45",
                 [(5, 10, "file", "'2022-13-45' is not a valid date (month must be in 1..12)", "YYYY-MM-DD")],
                 id="yaml-impossible-date"),
    pytest.param("effect: 2", "effect: !!int two",
                 [(58, 17, "file", "cannot read 'two' as int", None)],
                 id="yaml-int-tag-on-text"),
    pytest.param("rationale: Gains drones.", "rationale: !!omap Gains drones.",
                 [(61, 20, "file", "cannot read 'Gains drones.' as omap", None)],
                 id="yaml-omap-tag-on-text"),
    pytest.param("rationale: Gains drones.", "rationale: Gains \x07 drones.",
                 [(61, 26, "file", "character U+0007 is not allowed in YAML", "remove it")],
                 id="yaml-raw-control-character"),
    pytest.param("rationale: Gains drones.", "rationale: " + "[" * 10_000,
                 [(61, 115, "file", "YAML nested more than 100 levels deep", None)],
                 id="yaml-nesting-bomb-in-a-value"),
    pytest.param("  US:\n    name", "<<<<<<< HEAD\n  US:\n    name",
                 [(23, 1, "file", "unresolved git merge conflict marker", "resolve the merge conflict")],
                 id="merge-conflict-start"),
    pytest.param("  S2:\n", "=======\n  S2:\n",
                 [(68, 1, "file", "unresolved git merge conflict marker", "resolve the merge conflict")],
                 id="merge-conflict-separator"),
    # --- fields -----------------------------------------------------------------------------------------
    pytest.param("    horizon: 6-18 months", "    horizn: 6-18 months",
                 [(49, 5, "unknown-field", "scenarios.S1: unknown field 'horizn'", "did you mean 'horizon'?")],
                 id="unknown-field-did-you-mean"),
    pytest.param("    aliases: [Tehran]", "    aliases: [Tehran]\n    flag: green",
                 [(23, 5, "unknown-field", "actors.IR: unknown field 'flag'", None)],
                 id="unknown-field-no-near-name"),
    pytest.param("  KJ1: Cooperation deepens.", '  KJ1: Cooperation deepens.\n"a\\nb": 1',
                 [(14, 1, "unknown-field", "study file: unknown field 'a\nb'", None)],
                 id="unknown-field-with-newline-prints-one-line"),
    pytest.param("        rationale: Gains drones.\n", "",
                 [(57, 7, "missing", "scenarios.S1.impacts.RU: missing required field 'rationale'", None)],
                 id="missing-required-field"),
    pytest.param("  title: Russia and Iran test study\n", "",
                 [(2, 1, "missing", "study: missing required field 'title'", None)],
                 id="missing-study-title"),
    # --- wrong types --------------------------------------------------------------------------------------
    pytest.param("effect: 2", "effect: two",
                 [(58, 17, "int_type", "effect: expected a whole number, got 'two'", "integers from -3 to 3")],
                 id="text-where-a-number-goes"),
    pytest.param("    title: Deepening alliance", "    title: 42",
                 [(45, 12, "string_type", "scenarios.S1.title: expected text, got 42", "put the value in quotes")],
                 id="number-where-text-goes"),
    pytest.param("    title: Deepening alliance", "    title: {en: Deepening alliance}",
                 [(45, 12, "string_type", "expected text, got a mapping", None)],
                 id="mapping-where-text-goes"),
    pytest.param("        text: More drone deliveries.\n        status: emerging",
                 "        - text: More drone deliveries.\n        - status: emerging",
                 [(54, 9, "model_type", "scenarios.S1.indicators.I1: expected a mapping (key: value lines), "
                                        "got a list", None)],
                 id="list-where-a-mapping-goes"),
    pytest.param("domains: [military]", "domains: {military: 1}",
                 [(59, 18, "list_type", "domains: expected a list, got a mapping", "write a list as [a, b]")],
                 id="mapping-where-a-list-goes"),
    pytest.param("domains: [military]", "domains: military",
                 [(59, 18, "list_type", "domains: expected a list, got 'military'", "write a list as [a, b]")],
                 id="text-where-a-list-goes"),
    pytest.param("as_of: 2022-08-20", "as_of: August 2022",
                 [(5, 10, "date_type", "study.as_of: expected a date, got 'August 2022'", "YYYY-MM-DD")],
                 id="date-in-words"),
    pytest.param("as_of: 2022-08-20", "as_of: '2022-08-20'",
                 [(5, 10, "date_type", "expected a date, got '2022-08-20'", "YYYY-MM-DD, unquoted")],
                 id="date-quoted"),
    # --- effects ----------------------------------------------------------------------------------------
    pytest.param("effect: 2", "effect: 5",
                 [(58, 17, "less_than_equal", "scenarios.S1.impacts.RU.effect: 5 is out of range -3..3",
                   "-3 severe harm")],
                 id="effect-above-range"),
    pytest.param("effect: -2", "effect: -4",
                 [(64, 17, "greater_than_equal", "scenarios.S1.impacts.US.effect: -4 is out of range -3..3",
                   "3 major gain")],
                 id="effect-below-range"),
    pytest.param("effect: 2", "effect: 2.5",
                 [(58, 17, "int_type", "expected a whole number, got 2.5", "integers from -3 to 3")],
                 id="effect-not-integer"),
    pytest.param("effect: 2", "effect: true",
                 [(58, 17, "int_type", "expected a whole number, got True", "integers from -3 to 3")],
                 id="effect-bool"),
    pytest.param("effect: 2", "effect:",
                 [(58, 9, "int_type", "expected a whole number, got nothing", "integers from -3 to 3")],
                 id="effect-empty-on-its-own-line"),
    # --- vocabularies -------------------------------------------------------------------------------------
    pytest.param("likelihood: likely", "likelihood: Likely",
                 [(47, 17, "vocabulary", "'Likely' is not a valid likelihood term", "did you mean 'likely'?")],
                 id="likelihood-wrong-case"),
    pytest.param("likelihood: unlikely", "likelihood: probable",
                 [(71, 17, "vocabulary", "scenarios.S2.likelihood: 'probable' is not a valid likelihood term",
                   "did you mean 'likely'?")],
                 id="likelihood-icd203-paired-word"),
    pytest.param("likelihood: unlikely", "likelihood: somewhat",
                 [(71, 17, "vocabulary", "scenarios.S2.likelihood: 'somewhat' is not a valid likelihood term",
                   "expected one of: almost no chance, very unlikely, unlikely")],
                 id="likelihood-unknown-word"),
    pytest.param("    confidence: moderate\n    horizon", "    confidence: medium\n    horizon",
                 [(48, 17, "vocabulary", "scenarios.S1.confidence: 'medium' is not a valid confidence",
                   "expected one of: low, moderate, high")],
                 id="confidence-unknown"),
    pytest.param("TLP:CLEAR", "TLP:WHITE",
                 [(6, 12, "vocabulary", "study.marking: 'TLP:WHITE' is not a valid marking",
                   "did you mean 'TLP:CLEAR'?")],
                 id="tlp-1.0-white-means-clear"),
    pytest.param("TLP:CLEAR", "TLP:AMBR",
                 [(6, 12, "vocabulary", "'TLP:AMBR' is not a valid marking", "did you mean 'TLP:AMBER'?")],
                 id="tlp-misspelt"),
    pytest.param("grade: B2", "grade: B7",
                 [(31, 12, "string_pattern_mismatch", "evidence.E1.grade: 'B7' is not an Admiralty grade",
                   "reliability A-F then credibility 1-6")],
                 id="admiralty-grade"),
    pytest.param("    name: Iran\n    kind: state", "    name: Iran\n    kind: country",
                 [(21, 11, "vocabulary", "actors.IR.kind: 'country' is not a valid kind",
                   "expected one of: state, international organization")],
                 id="actor-kind"),
    pytest.param("status: emerging", "status: Emerging",
                 [(55, 17, "vocabulary", "'Emerging' is not a valid status", "did you mean 'emerging'?")],
                 id="indicator-status"),
    pytest.param("domains: [military]", "domains: [militray]",
                 [(59, 19, "vocabulary", "domains[0]: 'militray' is not a valid domain", "did you mean 'military'?")],
                 id="domain-misspelt"),
    pytest.param("domains: [military]", "domains: []",
                 [(59, 18, "too_short", "scenarios.S1.impacts.RU.domains: needs at least 1 entry", None)],
                 id="domains-empty"),
    # --- text ---------------------------------------------------------------------------------------------
    pytest.param("rationale: Gains drones.", "rationale: ''",
                 [(61, 20, "string_too_short", "scenarios.S1.impacts.RU.rationale: must not be empty", None)],
                 id="text-empty"),
    pytest.param("rationale: Gains drones.", "rationale:",
                 [(61, 9, "string_type", "rationale: expected text, got nothing", None)],
                 id="text-missing-value-on-its-own-line"),
    pytest.param("rationale: Gains drones.", 'rationale: "Gains \\0 drones."',
                 [(61, 20, "character", "rationale: unprintable character U+0000 in text", "remove the escape")],
                 id="nul-escape-in-text"),
    pytest.param("claim: Russia plans to buy Iranian drones.", 'claim: "Russia \\e[31m plans"',
                 [(28, 12, "character", "evidence.E1.claim: unprintable character U+001B in text",
                   "remove the escape")],
                 id="terminal-escape-in-text"),
    pytest.param("rationale: Gains drones.", 'rationale: "Gains \\ud800"',
                 [(61, 20, "character", "unprintable character U+D800 in text", "remove the escape")],
                 id="lone-surrogate-escape-in-text"),
    pytest.param("  C1:\n", '  "C\\ud800":\n',
                 [(40, 3, "character", "constraints: unprintable character U+D800 in a key", "remove the escape"),
                  (51, 19, "reference", "scenarios.S1.constraints[0]: unknown constraint 'C1'", "known: C\ud800")],
                 id="lone-surrogate-escape-in-a-key"),
    # --- ids ------------------------------------------------------------------------------------------------
    pytest.param("  D1:\n", "  1D:\n",
                 [(35, 3, "id", "drivers: invalid id '1D'", "ids start with a letter"),
                  (50, 15, "reference", "scenarios.S1.drivers[0]: unknown driver 'D1'", "known: 1D")],
                 id="id-starts-with-a-digit"),
    pytest.param("  C1:\n", "  C" + "x" * 40 + ":\n",
                 [(40, 3, "id", "constraints: invalid id 'Cxxxx", "(at most 40)"),
                  (51, 19, "reference", "unknown constraint 'C1'", "known: Cxxxx")],
                 id="id-too-long"),
    pytest.param("  KJ1: Cooperation deepens.", "  1: Cooperation deepens.",
                 [(13, 5, "id", "study.key_judgments: invalid id 1", "ids start with a letter")],
                 id="id-is-a-number"),
    pytest.param("  D1:\n", "  ~:\n",
                 [(35, 3, "id", "drivers: invalid id", "ids start with a letter"),
                  (50, 15, "reference", "unknown driver 'D1'", "known: ")],
                 id="id-is-null"),
    # --- references -------------------------------------------------------------------------------------
    pytest.param("      US:\n        effect: -2", "      IRN:\n        effect: -2",
                 [(63, 7, "reference", "scenarios.S1.impacts.IRN: unknown actor 'IRN'", "did you mean 'IR'?")],
                 id="actor-unknown-near-id"),
    pytest.param("      IR:\n        effect: -1", "      Iran:\n        effect: -1",
                 [(78, 7, "reference", "scenarios.S2.impacts.Iran: unknown actor 'Iran'", "did you mean 'IR'?")],
                 id="actor-by-name"),
    pytest.param("      IR:\n        effect: -1", "      Tehran:\n        effect: -1",
                 [(78, 7, "reference", "unknown actor 'Tehran'", "did you mean 'IR'?")],
                 id="actor-by-alias"),
    pytest.param("      IR:\n        effect: -1", "      CN:\n        effect: -1",
                 [(78, 7, "reference", "unknown actor 'CN'", "known: IR, RU, US")],
                 id="actor-unknown-lists-known"),
    pytest.param("      RU: Called", "      Moscow: Called",
                 [(33, 7, "reference", "evidence.E1.contested_by.Moscow: unknown actor 'Moscow'",
                   "did you mean 'RU'?")],
                 id="contested-by-actor-alias"),
    pytest.param("        evidence: [E1]", "        evidence: [E2]",
                 [(62, 20, "reference", "scenarios.S1.impacts.RU.evidence[0]: unknown evidence 'E2'", "known: E1")],
                 id="impact-evidence-unknown"),
    pytest.param("    evidence: [E1]\nconstraints:", "    evidence: [E9]\nconstraints:",
                 [(38, 16, "reference", "drivers.D1.evidence[0]: unknown evidence 'E9'", "known: E1")],
                 id="driver-evidence-unknown"),
    pytest.param("    drivers: [D1]", "    drivers: [D2]",
                 [(50, 15, "reference", "scenarios.S1.drivers[0]: unknown driver 'D2'", "known: D1")],
                 id="driver-unknown"),
    pytest.param("    drivers: [D1]", "    drivers: [C1]",
                 [(50, 15, "reference", "unknown driver 'C1'", "known: D1")],
                 id="constraint-listed-as-driver"),
    pytest.param("    constraints: [C1]", "    constraints: [C2]",
                 [(51, 19, "reference", "scenarios.S1.constraints[0]: unknown constraint 'C2'", "known: C1")],
                 id="constraint-unknown"),
    pytest.param("cited_in: khater", "cited_in: khatter",
                 [(30, 15, "reference", "evidence.E1.cited_in: unknown source 'khatter'", "did you mean 'khater'?")],
                 id="source-unknown"),
    # --- uniqueness -------------------------------------------------------------------------------------
    pytest.param("      I2:\n", "      I1:\n",
                 [(74, 7, "duplicate", "scenarios.S2.indicators.I1: indicator id 'I1' is already used in "
                                       "scenario 'S1'", "indicator ids are unique across the study")],
                 id="indicator-id-in-two-scenarios"),
    pytest.param("    drivers: [D1]", "    drivers: [D1, D1]",
                 [(50, 19, "duplicate", "scenarios.S1.drivers: 'D1' is listed twice", None)],
                 id="driver-listed-twice"),
    pytest.param("domains: [military]", "domains: [military, military]",
                 [(59, 29, "duplicate", "domains: 'military' is listed twice", None)],
                 id="domain-listed-twice"),
    pytest.param("domains: [military]", "domains: [[military]]",
                 [(59, 19, "string_type", "domains[0]: expected text, got a list", None)],
                 id="list-inside-a-list"),
]


@pytest.mark.parametrize("old, new, expected", MUTATIONS)
def test_malformed_study(write_study, old: str, new: str, expected: list[Expected]) -> None:
    assert_problems(write_study(mutate(VALID_STUDY, old, new)), expected)


def test_anchors_and_aliases_are_refused_where_written(write_study) -> None:
    text = mutate(VALID_STUDY, "domains: [military]", "domains: &dom [military]")
    text = mutate(text, "        domains: [economic]", "        domains: *dom")
    assert_problems(write_study(text), [
        (59, 18, "anchor", "YAML anchor '&dom': anchors and aliases are not allowed", "write the entry out in full"),
        (80, 18, "anchor", "YAML alias '*dom': anchors and aliases are not allowed", "write the entry out in full"),
    ])


def test_merge_key_alias_is_refused(write_study) -> None:
    text = mutate(VALID_STUDY, "  IR:\n    name: Iran\n", "  IR: &state\n    name: Iran\n")
    text = mutate(text, "    name: United States\n    kind: state\n", "    <<: *state\n    name: United States\n")
    assert_problems(write_study(text), [
        (19, 7, "anchor", "YAML anchor '&state'", "write the entry out in full"),
        (24, 9, "anchor", "YAML alias '*state'", "write the entry out in full"),
    ])


# Whole files that are not studies at all: (bytes, expected problems).
FILES = [
    pytest.param(b"", [(1, 1, "file", "empty study file", "scenmatrix new")], id="empty-file"),
    pytest.param(b"  \n\n\t\n", [(1, 1, "file", "empty study file", "scenmatrix new")], id="whitespace-only"),
    pytest.param(b"# a study\n\n   # comes here\n", [(1, 1, "file", "empty study file", "scenmatrix new")],
                 id="comments-only"),
    pytest.param(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
                 [(3, 1, "file", "binary file, not YAML text (NUL byte)", "UTF-8 .yaml text file")],
                 id="binary-file"),
    pytest.param(mutate(VALID_STUDY, "Gains drones.", "Gains \x00 drones.").encode(),
                 [(61, 26, "file", "binary file, not YAML text (NUL byte)", "UTF-8 .yaml text file")],
                 id="raw-nul-inside-a-string"),
    pytest.param(mutate(VALID_STUDY, "Gains drones.", "Gains dr\xf6nes.").encode("latin-1"),
                 [(61, 28, "file", "not valid UTF-8 text", "save the file as UTF-8")],
                 id="latin-1-byte"),
    pytest.param(VALID_STUDY.encode("utf-16"), [(1, 1, "file", "UTF-16 text, not UTF-8", "save the file as UTF-8")],
                 id="utf-16"),
    pytest.param(b"- study\n- actors\n",
                 [(1, 1, "structure", "a study must be a mapping with `study:`", None)], id="top-level-list"),
    pytest.param(b"just some words\n", [(1, 1, "structure", "a study must be a mapping", None)], id="top-level-text"),
    pytest.param(b"~\n", [(1, 1, "structure", "a study must be a mapping", None)], id="top-level-null"),
    pytest.param(b"study:\n", [(1, 1, "model_type", "study: expected a mapping (key: value lines), got nothing", None)],
                 id="study-section-empty"),
    pytest.param(b"[" * 10_000, [(1, 101, "file", "YAML nested more than 100 levels deep", None)],
                 id="nesting-bomb"),
    pytest.param(b"{a: " * 10_000, [(1, 398, "file", "YAML nested more than 100 levels deep", None)],
                 id="nesting-bomb-mappings"),  # at the key `a` of the 100th mapping: the 101st level
]


@pytest.mark.parametrize("data, expected", FILES)
def test_file_that_is_no_study(write_study, data: bytes, expected: list[Expected]) -> None:
    assert_problems(write_study(data=data), expected)


def test_missing_file(tmp_path: Path) -> None:
    assert_problems(tmp_path / "nope.yaml", [(1, 1, "file", "no such file", "check the path")])


def test_folder_given_as_a_study(tmp_path: Path) -> None:
    (tmp_path / "scenarios").mkdir()
    assert_problems(tmp_path / "scenarios", [(1, 1, "file", "is a folder, not a study file", "give the path of a study file")])


def test_several_problems_are_all_reported_in_one_run_sorted_by_line(write_study) -> None:
    text = VALID_STUDY
    for old, new in [
        ("effect: 2", "effect: 5"),                                  # line 58, schema
        ("TLP:CLEAR", "TLP:WHITE"),                                  # line 6, vocabulary
        ("      I2:\n", "      I1:\n"),                              # line 74, uniqueness
        ("      US:\n        effect: -2", "      IRN:\n        effect: -2"),  # line 63, reference
        ("grade: B2", "grade: B7"),                                  # line 31, pattern
        ("    horizon: 6-18 months", "    horizn: 6-18 months"),     # line 49, unknown field
        ("domains: [military]", "domains: [military, military]"),    # line 59, duplicate list entry
        ("likelihood: unlikely", "likelihood: Unlikely"),            # line 71, vocabulary
    ]:
        text = mutate(text, old, new)
    path = write_study(text)
    expected = [
        (6, 12, "vocabulary"),
        (31, 12, "string_pattern_mismatch"),
        (49, 5, "unknown-field"),
        (58, 17, "less_than_equal"),
        (59, 29, "duplicate"),
        (63, 7, "reference"),
        (71, 17, "vocabulary"),
        (74, 7, "duplicate"),
    ]
    assert flatten(problems_of(path)) == expected
    problems, summaries = check_report([path])
    assert (flatten(problems), summaries) == (expected, [])


def test_valid_study_loads(write_study) -> None:
    loaded = load(write_study())
    study = loaded.study
    assert (list(study.actors), list(study.scenarios), list(study.evidence)) == (
        ["RU", "IR", "US"], ["S1", "S2"], ["E1"])
    assert [(aid, imp.effect) for aid, imp in study.scenarios["S1"].impacts.items()] == [("RU", 2), ("US", -2)]
    assert study.study.as_of.isoformat() == "2022-08-20"
    assert study.actors["IR"].aliases == ["Tehran"]


def test_valid_study_line_numbers() -> None:
    """The positions above are counted in VALID_STUDY: pin the lines they rely on."""
    lines = VALID_STUDY.splitlines()
    assert (lines[5], lines[30], lines[46], lines[57], lines[62], lines[73]) == (
        "  marking: TLP:CLEAR", "    grade: B2", "    likelihood: likely", "        effect: 2",
        "      US:", "      I2:")
    assert line_of(VALID_STUDY, "rationale: Gains drones.") == 61


@pytest.mark.parametrize("encode", [
    pytest.param(lambda text: b"\xef\xbb\xbf" + text.encode(), id="utf-8-bom"),
    pytest.param(lambda text: text.replace("\n", "\r\n").encode(), id="crlf"),
])
def test_bom_and_crlf_studies_read_with_the_same_positions(write_study, encode) -> None:
    assert load(write_study(data=encode(VALID_STUDY))).study.scenarios["S1"].impacts["RU"].effect == 2
    bad = mutate(VALID_STUDY, "effect: 2", "effect: 5")
    assert flatten(problems_of(write_study(data=encode(bad)))) == [(58, 17, "less_than_equal")]


def test_unicode_text_is_valid(write_study) -> None:
    rationale = "Gains drones — “Shahed” 🚁 عربي"
    text = mutate(VALID_STUDY, "rationale: Gains drones.", f"rationale: {rationale}")
    assert load(write_study(text)).study.scenarios["S1"].impacts["RU"].rationale == rationale


def test_validate_document_reports_without_raising(write_study) -> None:
    document = read_document(write_study(mutate(VALID_STUDY, "effect: 2", "effect: 9")))
    assert isinstance(document, Document)
    study, problems = validate_document(document)
    assert study is None
    assert flatten(problems) == [(58, 17, "less_than_equal")]
    study, problems = validate_document(read_document(write_study(name="ok.yaml")))
    assert problems == [] and study is not None


def test_check_report_summarises_valid_and_collects_every_files_problems(write_study) -> None:
    good = write_study(name="good.yaml")
    bad = write_study(mutate(VALID_STUDY, "grade: B2", "grade: Z9"), name="bad.yaml")
    empty = write_study("", name="empty.yaml")
    problems, summaries = check_report([good, bad, empty])
    assert summaries == [f"{good}: valid (2 scenarios, 3 actors, 3 impacts)"]
    assert [(Path(p.path).name, p.line, p.col, p.code) for p in problems] == [
        ("bad.yaml", 31, 12, "string_pattern_mismatch"), ("empty.yaml", 1, 1, "file")]


def test_loading_never_writes(write_study, tmp_path: Path) -> None:
    path = write_study(mutate(VALID_STUDY, "effect: 2", "effect: 5"))
    before = path.read_bytes()
    problems_of(path)
    load(write_study(name="ok.yaml"))
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ok.yaml", "study.yaml"]
