"""Cross-impact models inside studies: the `cib:` section, its checks, its conversion to a CIBMatrix,
and how `scenmatrix analyze` and the brief show it.

Reference results are worked out by hand in the comments (the small model below), checked against the
CSV reader of `cib_io` (the same model written in the common CIB layout), and against a brute-force
scan of every scenario with the engine's one-scenario functions (the default study's model).
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from conftest import VALID_STUDY, line_of, mutate
from scenmatrix.analysis import cib
from scenmatrix.store import cib_csv as cib_io
from scenmatrix.analysis import cib_model as cib_study
from scenmatrix.cli import render
from scenmatrix.brief.build import build_brief
from scenmatrix.cli.app import cli
from scenmatrix.errors import StudyError
from scenmatrix.brief.template import Sheet
from scenmatrix.store.loader import load
from scenmatrix.store.report import check_studies

ROOT = Path(__file__).resolve().parents[3]
DEFAULT = ROOT / "scenarios" / "russia-iran-2022.yaml"
GENERATED = dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.timezone.utc)

# Two descriptors, A (a1 a2) and B (b1 b2 b3); every judgment group sums to 0. By hand:
#   (a1, b1): A gets b1's (+1, -1) -> a1 highest; B gets a1's (+2, 0, -2) -> b1 highest. Consistent, TIS 1 + 2 = 3.
#   (a2, b2): A gets b2's (0, 0) -> a2 ties for highest; B gets a2's (0, +1, -1) -> b2. Consistent, TIS 0 + 1 = 1.
#   The other four: B's chosen variant is not a1's or a2's favourite, or A's is not b1's. Inconsistent.
CIB_SECTION = """\
cib:
  note: Analyst judgment, for the tests.
  descriptors:
    A:
      title: Alpha
      variants:
        a1: Alpha one
        a2: Alpha two
    B:
      title: Beta
      variants:
        b1: Beta one
        b2: Beta two
        b3: Beta three
  judgments:
    A.a1:
      B.b1: 2
      B.b3: -2
    A.a2: {B.b2: 1, B.b3: -1}
    B.b1:
      A.a1: 1
      A.a2: -1
"""
STUDY = VALID_STUDY + CIB_SECTION

# The same model in the CSV layout of CIB software (ids as names, blank where a descriptor meets itself).
CSV = """\
,,A,,B,,
,,a1,a2,b1,b2,b3
A,a1,,,2,0,-2
,a2,,,0,1,-1
B,b1,1,-1,,,
,b2,0,0,,,
,b3,0,0,,,
"""


def at(text: str, needle: str, col: int) -> tuple[int, int]:
    return line_of(text, needle), col


def problems(write_study, text: str) -> list[tuple[int, int, str, str, "str | None"]]:
    with pytest.raises(StudyError) as info:
        load(write_study(text))
    return [(p.line, p.col, p.code, p.message, p.hint) for p in info.value.problems]


# ---------------------------------------------------------------- model


def test_study_with_a_cib_section_loads(write_study) -> None:
    loaded = load(write_study(STUDY))
    model = loaded.study.cib
    assert model.note == "Analyst judgment, for the tests."
    assert {d: list(desc.variants) for d, desc in model.descriptors.items()} == {"A": ["a1", "a2"],
                                                                                 "B": ["b1", "b2", "b3"]}
    assert model.judgments["A.a2"] == {"B.b2": 1, "B.b3": -1}
    assert loaded.warnings == []


def test_schema_describes_the_cib_section() -> None:
    schema = json.loads((ROOT / "scenarios" / "study.schema.json").read_text(encoding="utf-8"))
    section = schema["$defs"]["CrossImpact"]
    assert section["required"] == ["note", "descriptors"]
    (ref, row), = section["properties"]["judgments"]["patternProperties"].items()
    (same, value), = row["patternProperties"].items()
    assert ref == same == r"^[A-Za-z][A-Za-z0-9_\-]{0,39}\.[A-Za-z][A-Za-z0-9_\-]{0,39}$"
    assert value == {"maximum": 3, "minimum": -3, "type": "integer"}
    assert schema["$defs"]["Descriptor"]["properties"]["variants"]["minProperties"] == 2


def test_schema_accepts_the_default_study() -> None:
    jsonschema = pytest.importorskip("jsonschema")
    from scenmatrix.store.document import read_document

    schema = json.loads((ROOT / "scenarios" / "study.schema.json").read_text(encoding="utf-8"))
    tree = json.loads(json.dumps(read_document(DEFAULT).tree, default=lambda v: v.isoformat()))
    assert list(jsonschema.Draft202012Validator(schema).iter_errors(tree)) == []


# ---------------------------------------------------------------- validation, with positions

CASES = [
    pytest.param("    A.a1:\n      B.b1: 2", "    A.x1:\n      B.b1: 2",
                 [("    A.x1:", 5, "reference", "'A.x1': descriptor 'A' has no variant 'x1'", "did you mean 'A.a1'?")],
                 id="unknown-source-variant"),
    pytest.param("    B.b1:\n", "    Beta.b1:\n",
                 [("    Beta.b1:", 5, "reference", "'Beta.b1': unknown descriptor 'Beta'", "did you mean 'B.b1'?")],
                 id="unknown-source-descriptor"),
    pytest.param("      B.b3: -2", "      B.b4: -2",
                 [("      B.b4: -2", 7, "reference", "cib.judgments.A.a1: 'B.b4': descriptor 'B' has no variant 'b4'",
                   "did you mean 'B.b3'?")],
                 id="unknown-target-variant"),
    pytest.param("    B.b1:\n", "    Gamma.b1:\n",
                 [("    Gamma.b1:", 5, "reference", "'Gamma.b1': unknown descriptor 'Gamma'", "descriptors: A, B")],
                 id="unknown-source-descriptor-no-near-name"),
    pytest.param("      B.b3: -2", "      C.b3: -2",
                 [("      C.b3: -2", 7, "reference", "unknown descriptor 'C'", "did you mean 'B.b3'?")],
                 id="unknown-target-descriptor"),
    pytest.param("      B.b3: -2", "      A.a2: -2",
                 [("      A.a2: -2", 7, "cib-self", "cib.judgments.A.a1 -> A.a2: a descriptor does not act on itself",
                   "remove this entry")],
                 id="judgment-on-its-own-descriptor"),
    pytest.param("      B.b3: -2", "      B.b3: -4",
                 [("      B.b3: -4", 13, "cib-judgment", "judgments.A.a1 -> B.b3: judgment -4 is out of range -3..3",
                   "+3 strongly promotes")],
                 id="judgment-out-of-range"),
    pytest.param("      B.b3: -2", "      B.b3: 1.5",
                 [("      B.b3: 1.5", 13, "cib-judgment", "expected a whole number, got 1.5", "-3 strongly hinders")],
                 id="judgment-not-a-whole-number"),
    pytest.param("      B.b3: -2", "      B.b3: strong",
                 [("      B.b3: strong", 13, "cib-judgment", "expected a whole number, got 'strong'",
                   "-3 strongly hinders")],
                 id="judgment-as-a-word"),
    pytest.param("      B.b3: -2", "      b3: -2",
                 [("      b3: -2", 7, "id", "cib.judgments.A.a1: 'b3' does not name a variant",
                   "write DESCRIPTOR.VARIANT")],
                 id="judgment-without-its-descriptor"),
    pytest.param("    B:\n      title: Beta", "    B.x:\n      title: Beta",
                 [("    B.x:", 5, "id", "cib.descriptors: invalid id 'B.x'", "no '.'")],
                 id="dot-in-a-descriptor-id"),
    pytest.param("  judgments:\n", "  judgements:\n",
                 [("  judgements:", 3, "unknown-field", "cib: unknown field 'judgements'", "'judgments'?")],
                 id="misspelt-section"),
    pytest.param("  note: Analyst judgment, for the tests.\n", "",
                 [("cib:", 1, "missing", "cib: missing required field 'note'", None)],
                 id="note-is-required"),
]


@pytest.mark.parametrize("old, new, expected", CASES)
def test_cib_problems_are_positioned(write_study, old: str, new: str, expected: list) -> None:
    text = mutate(STUDY, old, new)
    found = problems(write_study, text)
    want = [(*at(text, needle, col), code) for needle, col, code, _, _ in expected]
    assert [(line, col, code) for line, col, code, _, _ in found] == want
    for (_, _, _, message, hint), (_, _, _, part, hint_part) in zip(found, expected):
        assert part in message
        assert (hint is None) if hint_part is None else (hint is not None and hint_part in hint), hint


def test_descriptor_needs_two_variants(write_study) -> None:
    text = mutate(STUDY, "        b2: Beta two\n        b3: Beta three\n", "")
    text = mutate(text, "      B.b3: -2\n", "")
    text = mutate(text, "    A.a2: {B.b2: 1, B.b3: -1}\n", "")
    found = problems(write_study, text)
    line = line_of(text, "        b1: Beta one")
    assert [(l, c, code) for l, c, code, _, _ in found] == [(line, 9, "too_short")]
    assert "cib.descriptors.B.variants: needs at least 2 variants" in found[0][3]


def test_every_cib_problem_is_reported_in_one_run(write_study) -> None:
    text = mutate(STUDY, "      B.b3: -2", "      A.a2: 5")
    text = mutate(text, "      A.a1: 1", "      A.z9: 1")
    found = problems(write_study, text)
    assert [(line, col, code) for line, col, code, _, _ in found] == [
        (line_of(text, "      A.a2: 5"), 7, "cib-self"),
        (line_of(text, "      A.a2: 5"), 13, "cib-judgment"),
        (line_of(text, "      A.z9: 1"), 7, "reference"),
    ]


def test_unbalanced_group_is_a_warning_not_a_problem(write_study, tmp_path: Path) -> None:
    text = mutate(STUDY, "      B.b3: -2", "      B.b3: -1")
    path = write_study(text)
    loaded = load(path)  # valid
    assert [(w.line, w.col, w.code) for w in loaded.warnings] == [(line_of(text, "      B.b1: 2"), 7, "cib-sum")]
    assert "cib.judgments.A.a1: the judgments on 'B' sum to +1, not 0" in loaded.warnings[0].message
    report = check_studies([path])
    assert report.problems == [] and len(report.warnings) == 1
    result = CliRunner().invoke(cli, ["validate", str(path)])
    assert result.exit_code == 0
    assert "a cross-impact model of 2 descriptors and 5 variants" in result.stdout
    assert f"{path}:{line_of(text, '      B.b1: 2')}:7: warning:" in result.stderr


# ---------------------------------------------------------------- conversion and analysis


def test_conversion_equals_the_csv_layout(write_study) -> None:
    model = load(write_study(STUDY)).study.cib
    matrix = cib_study.to_matrix(model)
    assert matrix == cib_io.parse_matrix(CSV, "small.csv").matrix
    assert cib_io.format_matrix(matrix) == CSV


def test_default_study_model_round_trips_through_csv() -> None:
    matrix = cib_study.to_matrix(load(DEFAULT).study.cib)
    assert matrix.descriptors == ("iran-support", "russia-israel", "agreement", "us-pressure")
    assert cib_io.parse_matrix(cib_io.format_matrix(matrix)).matrix == matrix
    assert cib.group_sums(matrix) == []  # standardized: every group sums to 0


def test_small_model_consistent_scenarios_by_hand(write_study) -> None:
    report = cib_study.analyze(load(write_study(STUDY)).study.cib)
    assert report.consistent and report.scanned == 6
    assert [(s.code, s.variants, s.total_impact_score) for s in report.scenarios] == [
        ("11", {"A": "a1", "B": "b1"}, 3),
        ("22", {"A": "a2", "B": "b2"}, 1),
    ]


def test_default_study_consistent_scenarios_match_a_brute_force_scan() -> None:
    report = cib_study.analyze(load(DEFAULT).study.cib)
    m = report.matrix
    brute = sorted(((cib.total_impact_score(m, s), cib.scenario_code(m, s))
                    for s in itertools.product(*(range(n) for n in m.sizes)) if cib.is_consistent(m, s)),
                   key=lambda pair: -pair[0])
    assert [(s.total_impact_score, s.code) for s in report.scenarios] == brute
    assert [s.code for s in report.scenarios] == ["3222", "2222", "1111"]
    assert report.scenarios[0].variants == {"iran-support": "extensive", "russia-israel": "strained",
                                            "agreement": "signed", "us-pressure": "escalating"}
    assert [s.total_impact_score for s in report.scenarios] == [10, 7, 4]


def test_without_a_consistent_scenario_the_least_inconsistent_are_reported(write_study) -> None:
    # A cycle (tests/data/cib/cycle.csv): x1 -> y2 -> x2 -> y1 -> x1. Every scenario has inconsistency 2.
    cycle = """\
cib:
  note: A cycle.
  descriptors:
    X: {title: X, variants: {x1: one, x2: two}}
    Y: {title: Y, variants: {y1: one, y2: two}}
  judgments:
    X.x1: {Y.y1: -1, Y.y2: 1}
    X.x2: {Y.y1: 1, Y.y2: -1}
    Y.y1: {X.x1: 1, X.x2: -1}
    Y.y2: {X.x1: -1, X.x2: 1}
"""
    model = load(write_study(VALID_STUDY + cycle)).study.cib
    assert cib_study.to_matrix(model) == cib_io.read_matrix(ROOT / "tests" / "data" / "cib" / "cycle.csv").matrix
    report = cib_study.analyze(model)
    assert (report.consistent, report.max_inconsistency) == (False, 2)
    assert [s.code for s in report.scenarios] == ["11", "12", "21", "22"]
    assert "no consistent scenario of 4; the least inconsistent (inconsistency 2)" in render.cib_scenarios(report)


# ---------------------------------------------------------------- scenmatrix analyze


def test_analyze_shows_the_consistent_scenarios() -> None:
    result = CliRunner().invoke(cli, ["analyze", str(DEFAULT), "--samples", "200"])
    assert result.exit_code == 0, result.output
    tail = result.stdout[result.stdout.index("Cross-impact balance"):].splitlines()
    assert tail[0] == "Cross-impact balance: 3 consistent scenarios of 24 (analyst judgment)"
    assert tail[2].split("  ")[:2] == ["code", "Iranian military aid to Russia"]
    assert tail[4].split()[:4] == ["3222", "Extensive", "(drones", "at"]
    assert tail[4].split()[-2:] == ["0", "10"]
    assert [row.split()[0] for row in tail[4:7]] == ["3222", "2222", "1111"]
    assert tail[8].startswith("Analyst judgment:")


def test_analyze_json_has_a_cib_key() -> None:
    result = CliRunner().invoke(cli, ["analyze", str(DEFAULT), "--json", "--samples", "200"])
    data = json.loads(result.stdout)["cib"]
    assert data["scanned"] == 24 and data["consistent"] is True and data["unbalanced_groups"] == []
    assert data["note"].startswith("Analyst judgment")
    assert data["descriptors"]["agreement"] == {"title": "20-year strategic agreement",
                                                "variants": {"stalled": "Stalled", "signed": "Signed"}}
    assert data["scenarios"][0] == {
        "code": "3222", "inconsistency": 0, "total_impact_score": 10,
        "variants": {"iran-support": "extensive", "russia-israel": "strained", "agreement": "signed",
                     "us-pressure": "escalating"}}


def test_analyze_without_a_cib_section(write_study) -> None:
    path = write_study()
    text = CliRunner().invoke(cli, ["analyze", str(path), "--samples", "200"])
    assert text.exit_code == 0 and "Cross-impact" not in text.stdout
    data = json.loads(CliRunner().invoke(cli, ["analyze", str(path), "--json", "--samples", "200"]).stdout)
    assert "cib" not in data


# ---------------------------------------------------------------- the brief


def test_cib_is_a_template_sheet_kind() -> None:
    assert Sheet.model_validate({"kind": "cib", "title": "Cross-impact"}).kind == "cib"


def rows_of(ws) -> list[tuple]:
    return [tuple(r) for r in ws.iter_rows(values_only=True)]


def test_brief_cib_sheet_holds_the_matrix_and_scenarios(write_study, tmp_path: Path) -> None:
    out = build_brief(load(write_study(STUDY)), "standard", tmp_path / "b.xlsx", generated=GENERATED)
    ws = openpyxl.load_workbook(out)["Cross-impact"]
    rows = rows_of(ws)
    assert rows[0][0] == "Cross-impact" and rows[2][0] == "Analyst judgment, for the tests."
    top = [r[0] for r in rows].index("Cross-impact judgments")
    assert rows[top + 1][:7] == ("Descriptor", "Variant", "Alpha", None, "Beta", None, None)
    assert rows[top + 2][2:7] == ("Alpha one", "Alpha two", "Beta one", "Beta two", "Beta three")
    body = [r[:7] for r in rows[top + 3:top + 8]]
    assert body == [
        ("Alpha", "Alpha one", None, None, 2, 0, -2),
        (None, "Alpha two", None, None, 0, 1, -1),
        ("Beta", "Beta one", 1, -1, None, None, None),
        (None, "Beta two", 0, 0, None, None, None),
        (None, "Beta three", 0, 0, None, None, None),
    ]
    first, last = top + 4, top + 8  # 1-based rows of the judgments
    assert ws.cell(first, 3).fill.fgColor.rgb.endswith("D9D9D9") and ws.cell(first, 5).fill.fill_type is None
    (rule_range, rules), = [(str(cf.sqref), cf.rules) for cf in ws.conditional_formatting]
    assert rule_range == f"C{first}:G{last}"
    scale = rules[0].colorScale
    assert [(v.type, v.val) for v in scale.cfvo] == [("num", -3.0), ("num", 0.0), ("num", 3.0)]
    assert [c.rgb[-6:] for c in scale.color] == ["C0504D", "FFFFFF", "4F9A52"]  # the template's heatmap
    heading = [r[0] for r in rows].index("Consistent scenarios: 2 of 6")
    assert rows[heading + 1][:5] == ("Scenario (code)", "Total impact score", "Inconsistency", "Alpha", "Beta")
    assert [r[:5] for r in rows[heading + 2:heading + 4]] == [("1 (11)", 3, 0, "Alpha one", "Beta one"),
                                                            ("2 (22)", 1, 0, "Alpha two", "Beta two")]
    assert rows[heading + 4][0].startswith("Consistent: given the other descriptors' variants")


def test_brief_of_the_default_study_has_its_cib_sheet(tmp_path: Path) -> None:
    out = build_brief(load(DEFAULT), "standard", tmp_path / "b.xlsx", generated=GENERATED)
    ws = openpyxl.load_workbook(out)["Cross-impact"]
    codes = [r[0] for r in ws.iter_rows(values_only=True) if isinstance(r[0], str) and r[0][:2] in ("1 ", "2 ", "3 ")]
    assert codes == ["1 (3222)", "2 (2222)", "3 (1111)"]
    assert ws.protection.sheet


def test_brief_of_a_study_without_cib_leaves_the_sheet_out(write_study, tmp_path: Path) -> None:
    out = build_brief(load(write_study()), "standard", tmp_path / "b.xlsx", generated=GENERATED)
    wb = openpyxl.load_workbook(out)
    assert "Cross-impact" not in wb.sheetnames and wb.sheetnames[-2:] == ["Charts", "_scenmatrix"]
