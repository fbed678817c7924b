"""The brief, read back with openpyxl and with python-calamine (an independent reader)."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import zipfile
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner
from python_calamine import CalamineWorkbook

from scenmatrix.study import vocab
from scenmatrix.brief.build import build_brief
from scenmatrix.cli.app import cli
from scenmatrix.errors import OutputError, TemplateError
from scenmatrix.store.loader import load
from conftest import SMALL

ROOT = Path(__file__).resolve().parents[3]
DEFAULT = ROOT / "scenarios" / "russia-iran-2022.yaml"
GENERATED = dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.timezone.utc)
STANDARD_SHEETS = ["Cover", "Matrix", "Actors", "Scenarios", "Indicators", "Impacts", "Evidence",
                   "Drivers & constraints", "Exposure", "Sensitivity", "Alignment", "Cross-impact", "Charts"]
NO_CIB_SHEETS = [s for s in STANDARD_SHEETS if s != "Cross-impact"]  # a study without a cross-impact model



@pytest.fixture()
def small(tmp_path: Path) -> Path:
    path = tmp_path / "small.yaml"
    path.write_text(SMALL, encoding="utf-8")
    return path


def brief_of(study: Path, out: Path, template: str = "standard") -> Path:
    return build_brief(load(study), template, out, generated=GENERATED)


def visible(wb) -> list[str]:
    return [ws.title for ws in wb.worksheets if ws.sheet_state == "visible"]


def rows_of(ws) -> list[list]:
    return [tuple(r) for r in ws.iter_rows(values_only=True)]


def find_row(ws, column: int, value) -> int:
    for row in ws.iter_rows(min_col=column, max_col=column):
        if row[0].value == value:
            return row[0].row
    raise AssertionError(f"{value!r} not in column {column} of {ws.title}")


# ---------------------------------------------------------------- structure and values


def test_standard_brief_has_every_sheet_in_order(tmp_path: Path) -> None:
    wb = openpyxl.load_workbook(brief_of(DEFAULT, tmp_path / "b.xlsx"))
    assert wb.sheetnames == STANDARD_SHEETS + ["_scenmatrix"]
    assert visible(wb) == STANDARD_SHEETS and wb["_scenmatrix"].sheet_state == "veryHidden"


def test_cover_holds_title_marking_judgments_and_provenance(small: Path, tmp_path: Path) -> None:
    wb = openpyxl.load_workbook(brief_of(small, tmp_path / "b.xlsx"))
    ws = wb["Cover"]
    assert ws["A1"].value == "Small study"
    assert ws["A2"].value == "TLP:AMBER"
    assert ws["A2"].font.color.rgb.endswith(vocab.TLP_COLOURS["TLP:AMBER"])
    assert ws["A2"].fill.fgColor.rgb.endswith("000000")
    labels = {r[0]: r[1] for r in rows_of(ws) if r[0]}
    assert labels["As of"] == "2024-05-01"
    assert labels["KJ1"] == "Alpha gains."
    assert labels["Study SHA-256"] == hashlib.sha256(small.read_bytes()).hexdigest()
    assert labels["Generated at"] == "2026-01-02T03:04:05Z"
    assert "A. Author" in labels["Source"] and "A report" in labels["Source"]
    assert "likely 55%–80%" in labels["Likelihood (ICD 203)"]


def test_matrix_effects_colour_scale_and_expected_impact(small: Path, tmp_path: Path) -> None:
    ws = openpyxl.load_workbook(brief_of(small, tmp_path / "b.xlsx"))["Matrix"]
    header = [c.value for c in ws[3]]
    assert header == ["Scenario", "Title", "Likelihood", "Band", "Confidence", "Alpha", "Beta", "Gamma"]
    assert [c.value for c in ws[4]] == ["S1", "First", "likely", "55%–80%", "moderate", 2, -3, None]
    assert [c.value for c in ws[5]] == ["S2", "Second", "unlikely", "20%–45%", "low", -1, None, None]
    rules = [r for rng in ws.conditional_formatting for r in rng.rules]
    (scale,) = [r for r in rules if r.type == "colorScale"]
    assert [v.val for v in scale.colorScale.cfvo] == [-3, 0, 3]
    assert [c.rgb[-6:] for c in scale.colorScale.color] == ["C0504D", "FFFFFF", "4F9A52"]
    assert str(next(iter(ws.conditional_formatting)).sqref) == "F4:H5"
    # By hand: Alpha = 2 * 0.675 + (-1) * 0.325 = 1.025; low = 2*.55 - .45 = 0.65; high = 2*.8 - .2 = 1.4
    expected_row = find_row(ws, 2, "Expected impact")
    assert ws.cell(expected_row, 6).value == pytest.approx(1.025)
    assert ws.cell(expected_row + 1, 6).value == pytest.approx(0.65)
    assert ws.cell(expected_row + 2, 6).value == pytest.approx(1.4)
    # Beta = -3 * 0.675; range from the band edges
    assert ws.cell(expected_row, 7).value == pytest.approx(-2.025)
    assert ws.cell(expected_row + 1, 7).value == pytest.approx(-2.4)
    assert ws.cell(expected_row + 2, 7).value == pytest.approx(-1.65)
    assert ws.freeze_panes == "F4"


def test_matrix_cells_link_to_their_impact_row(small: Path, tmp_path: Path) -> None:
    wb = openpyxl.load_workbook(brief_of(small, tmp_path / "b.xlsx"))
    link = wb["Matrix"]["G4"].hyperlink  # S1 x Beta
    sheet, cell = re.fullmatch(r"'(.+)'!A(\d+)", link.location).groups()
    impacts = wb[sheet]
    assert sheet == "Impacts"
    assert impacts.cell(int(cell), 1).value == "S1" and impacts.cell(int(cell), 3).value == "B"
    assert wb["Matrix"]["H4"].hyperlink is None  # not rated: no link


def test_impacts_is_an_excel_table_with_filter_and_frozen_header(small: Path, tmp_path: Path) -> None:
    ws = openpyxl.load_workbook(brief_of(small, tmp_path / "b.xlsx"))["Impacts"]
    (table,) = ws.tables.values()
    assert table.ref == "A3:J6"
    assert [c.name for c in table.tableColumns] == [c.value for c in ws[3]]
    assert ws.freeze_panes == "B4"
    assert ws.print_title_rows == "$3:$3"
    assert [c.value for c in ws[5]] == ["S1", "First", "B", "Beta", -3, "severe harm", "economic; energy", "low",
                                        "Beta loses", "E2; E1"]
    evidence_link = ws["J5"].hyperlink.location
    assert evidence_link.startswith("'Evidence'!A")


def test_evidence_and_drivers_hold_every_claim_with_grade_and_contest(small: Path, tmp_path: Path) -> None:
    wb = openpyxl.load_workbook(brief_of(small, tmp_path / "b.xlsx"))
    ev = {r[0]: r for r in rows_of(wb["Evidence"])[3:]}
    assert ev["E1"][1:5] == ("Claim one", "Officials", "src", "B2")
    assert ev["E1"][6] == "B: Beta denies it"
    assert ev["E1"][5] == "usually reliable source, information probably true"
    assert ev["E2"][7] == "short"
    drivers = {r[0]: r for r in rows_of(wb["Drivers & constraints"])[3:]}
    assert drivers["d1"][1:4] == ("driver", "Driver one", "Facts")
    assert drivers["c1"][1:4] == ("constraint", "Constraint one", "Limits")


def test_indicators_coloured_by_status_rule(small: Path, tmp_path: Path) -> None:
    ws = openpyxl.load_workbook(brief_of(small, tmp_path / "b.xlsx"))["Indicators"]
    rules = {r.formula[0]: r.dxf.fill.bgColor.rgb[-6:] for rng in ws.conditional_formatting for r in rng.rules}
    assert rules == {'"observed"': "F4B183", '"emerging"': "FFE699", '"not observed"': "EDEDED"}
    assert [c.value for c in ws[4]][:5] == ["I1", "S1", "First", "Signpost one", "observed"]


def test_actors_sheet_ranks_exposure(small: Path, tmp_path: Path) -> None:
    ws = openpyxl.load_workbook(brief_of(small, tmp_path / "b.xlsx"))["Actors"]
    data = rows_of(ws)[3:]
    assert [(r[0], r[1]) for r in data] == [(1, "B"), (2, "C"), (3, "A")]
    alpha = data[2]
    assert alpha[8] == "S1 First (+2)" and alpha[9] == "S2 Second (-1)" and alpha[7] == 2


def test_default_study_brief_shows_everything_the_study_holds(tmp_path: Path) -> None:
    loaded = load(DEFAULT)
    wb = openpyxl.load_workbook(brief_of(DEFAULT, tmp_path / "b.xlsx"))
    impacts = rows_of(wb["Impacts"])[3:]
    assert len(impacts) == sum(len(s.impacts) for s in loaded.study.scenarios.values())
    assert {r[0] for r in rows_of(wb["Evidence"])[3:]} == set(loaded.study.evidence)
    drivers = {r[0] for r in rows_of(wb["Drivers & constraints"])[3:]}
    assert drivers == set(loaded.study.drivers) | set(loaded.study.constraints)
    assert {r[0] for r in rows_of(wb["Indicators"])[3:]} == {
        i for s in loaded.study.scenarios.values() for i in s.indicators}


def test_calamine_reads_the_same_values(small: Path, tmp_path: Path) -> None:
    path = brief_of(small, tmp_path / "b.xlsx")
    cal = CalamineWorkbook.from_path(str(path))
    assert cal.sheet_names == NO_CIB_SHEETS + ["_scenmatrix"]
    matrix = cal.get_sheet_by_name("Matrix").to_python()
    assert matrix[3][:7] == ["S1", "First", "likely", "55%–80%", "moderate", 2.0, -3.0]
    impacts = cal.get_sheet_by_name("Impacts").to_python()
    assert impacts[2][0] == "Scenario" and impacts[4][8] == "Beta loses"


def test_page_setup_marking_and_properties(small: Path, tmp_path: Path) -> None:
    wb = openpyxl.load_workbook(brief_of(small, tmp_path / "b.xlsx"))
    for ws in (wb[title] for title in visible(wb)):
        assert ws.page_setup.orientation == "landscape", ws.title
        # one page wide only when that keeps the scale at 80 % or more: else at 100 %, titles repeated
        if ws.sheet_properties.pageSetUpPr.fitToPage:
            assert ws.page_setup.fitToWidth == 1, ws.title
        else:
            assert ws.page_setup.scale == 100 and ws.print_title_cols, ws.title
        # black bold on white paper: amber (or green, or white) text there is hard to read or invisible
        for part in (ws.oddHeader.right, ws.oddFooter.right):
            assert part.text == "TLP:AMBER" and part.color == "000000" and part.font.endswith(",Bold")
        assert ws.oddFooter.center.text == "Page &P of &N"
    assert wb.properties.title == "Small study"
    assert "TLP:AMBER" in wb.properties.keywords and "Alpha" in wb.properties.keywords
    assert "Scenario x actor impact brief" in wb.properties.subject


def test_charts_are_native_bar_charts(small: Path, tmp_path: Path) -> None:
    path = brief_of(small, tmp_path / "b.xlsx")
    wb = openpyxl.load_workbook(path)
    assert len(wb["Charts"]._charts) == 2
    assert len(wb["Sensitivity"]._charts) == 2  # tornados of the exposed actors that have factors: Beta, Alpha
    with zipfile.ZipFile(path) as z:
        xml = [z.read(n).decode() for n in z.namelist() if n.startswith("xl/charts/chart")]
    assert len(xml) == 4
    assert all(re.search(r"<(c:)?barChart>", x) for x in xml)
    assert sum(bool(re.search(r"<(c:)?errBars>", x)) for x in xml) == 2


def test_exposure_sensitivity_and_alignment_sheets(small: Path, tmp_path: Path) -> None:
    wb = openpyxl.load_workbook(brief_of(small, tmp_path / "b.xlsx"))
    exposure = rows_of(wb["Exposure"])
    assert exposure[2][:4] == ("Rank by expected harm", "Id", "Actor", "Expected harm")
    assert exposure[3][:4] == (1, "B", "Beta", pytest.approx(-3 * 0.675))
    assert exposure[3][13] == 1.0  # Beta's net impact is negative in every draw
    sens = rows_of(wb["Sensitivity"])
    by_actor = {r[0]: r for r in sens[3:6]}
    # -3 x (80 % - 55 %) = 0.75 beats the rating, which can only move one step up: 0.675
    assert by_actor["Beta"][1] == "likelihood of S1" and by_actor["Beta"][5] == pytest.approx(0.75)
    aligned = rows_of(wb["Alignment"])
    assert aligned[2][:4] == ("Actor", "Alpha", "Beta", "Gamma")
    # Alpha and Beta meet in S1 alone: their -1 would rest on one scenario, so it is blank and no pair
    assert aligned[3][:4] == ("Alpha", None, None, None) and aligned[4][1] is None
    assert not any(str(r[0]).startswith(("opposed:", "aligned:")) for r in aligned)
    assert any("fewer than 2 rated scenarios" in str(r[0]) for r in aligned)


# ---------------------------------------------------------------- templates


def test_executive_is_one_page_or_two_when_one_would_shrink_its_type(small: Path, tmp_path: Path) -> None:
    one = openpyxl.load_workbook(brief_of(small, tmp_path / "s.xlsx", "executive"))["Executive summary"]
    assert one.page_setup.fitToHeight == 1 and one.page_setup.fitToWidth == 1 and not one.print_area
    wb = openpyxl.load_workbook(brief_of(DEFAULT, tmp_path / "e.xlsx", "executive"))
    (title,) = visible(wb)
    ws = wb[title]
    # 22 actors, a row each, at 80 % or more: two pages tall, one wide
    assert ws.page_setup.fitToHeight == 2 and ws.page_setup.fitToWidth == 1
    texts = [c for row in rows_of(ws) for c in row if isinstance(c, str)]
    assert "Key judgments" in texts and "The 5 most exposed actors" in texts


def test_annex_holds_only_tables(tmp_path: Path) -> None:
    wb = openpyxl.load_workbook(brief_of(DEFAULT, tmp_path / "a.xlsx", "annex"))
    assert all(wb[title].tables for title in visible(wb))
    assert "Cover" not in wb.sheetnames and "Sources" in wb.sheetnames


@pytest.mark.parametrize("change, message", [
    ("sheets:\n  - {kind: cover, title: 'A/B'}\n", "sheet title 'A/B' must be 1-31 characters"),
    ("sheets:\n  - {kind: cover, title: " + "x" * 32 + "}\n", "must be 1-31 characters"),
    ("sheets:\n  - {kind: cuver, title: C}\n", "did you mean 'cover'?"),
    ("sheets:\n  - {kind: table, table: nope, title: T}\n", "unknown table 'nope'"),
    ("sheets:\n  - {kind: table, table: impacts, title: T, columns: {nope: N}}\n", "has no column 'nope'"),
    ("sheets: []\n", "needs at least 1 entry"),
    ("sheets:\n  - {kind: cover, title: A}\n  - {kind: matrix, title: A}\n", "sheet title 'A' is already used by sheet 'A'"),
    ("style: {header_fill: blue}\nsheets:\n  - {kind: cover, title: A}\n", "not 6 hex digits"),
])
def test_broken_template_is_refused_with_its_file(small: Path, tmp_path: Path, change: str, message: str) -> None:
    template = tmp_path / "mine.yaml"
    template.write_text("description: Mine\n" + change, encoding="utf-8")
    with pytest.raises(TemplateError) as exc:
        build_brief(load(small), template, tmp_path / "b.xlsx")
    assert str(template) in str(exc.value) and message in str(exc.value)
    assert not (tmp_path / "b.xlsx").exists()


def test_copied_template_changes_titles_and_columns(small: Path, tmp_path: Path) -> None:
    template = tmp_path / "mine.yaml"
    template.write_text("description: Mine\nsheets:\n  - kind: table\n    table: impacts\n    title: Who\n"
                        "    columns: {actor_name: Actor, effect: Score}\n", encoding="utf-8")
    ws = openpyxl.load_workbook(build_brief(load(small), template, tmp_path / "b.xlsx"))["Who"]
    assert [c.value for c in ws[3]] == ["Actor", "Score"]
    assert [c.value for c in ws[4]] == ["Alpha", 2]


def test_base_workbook_is_filled(small: Path, tmp_path: Path) -> None:
    base = openpyxl.Workbook()
    base.active.title = "House"
    base.active["A1"] = "Logo here"
    base.save(tmp_path / "house.xlsx")
    template = tmp_path / "mine.yaml"
    template.write_text("description: Mine\nbase: house.xlsx\nsheets:\n  - {kind: matrix, title: Matrix}\n")
    wb = openpyxl.load_workbook(build_brief(load(small), template, tmp_path / "b.xlsx"))
    assert visible(wb) == ["House", "Matrix"] and wb["House"]["A1"].value == "Logo here"
    # every cell of a row, not only its last (a bug once left all but the last empty)
    assert [c.value for c in wb["Matrix"][3][:3]] == ["Scenario", "Title", "Likelihood"]
    assert wb["Matrix"]["A1"].value == "Matrix" and wb["Matrix"]["A1"].font.b


# ---------------------------------------------------------------- safe output

HOSTILE = ["=cmd|' /C calc'!A0", "=1+1", "+SUM(A1:A2)", "-2+3", "@SUM(A1)", "#N/A", "=HYPERLINK(\"http://x\")",
           "\t=1", "\r=1"]


def hostile_study(tmp_path: Path, payload: str) -> Path:
    quoted = payload.replace("\\", "\\\\").replace('"', '\\"').replace("\t", "\\t").replace("\r", "\\r")
    text = re.sub(r"(title|name|claim|source|rationale|narrative|text|description|quote): [^,}\n]+",
                  lambda m: f'{m.group(1)}: "{quoted}"', SMALL.split("study:", 1)[1])
    text = "study:" + text
    text = text.replace("KJ1: Alpha gains.", f'KJ1: "{quoted}"').replace("Beta denies it", f'"{quoted}"')
    path = tmp_path / "hostile.yaml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize("template", ["standard", "executive", "annex"])
@pytest.mark.parametrize("payload", HOSTILE)
def test_hostile_text_is_only_ever_text(tmp_path: Path, payload: str, template: str) -> None:
    out = brief_of(hostile_study(tmp_path, payload), tmp_path / "h.xlsx", template)
    with zipfile.ZipFile(out) as z:
        for name in z.namelist():
            if name.startswith("xl/worksheets/sheet"):
                xml = z.read(name).decode()
                assert "<f>" not in xml and "<f " not in xml, name
                assert 't="e"' not in xml, name
    wb = openpyxl.load_workbook(out)
    seen = [c for ws in wb.worksheets for row in ws.iter_rows() for c in row
            if isinstance(c.value, str) and c.value.replace("\r", "\n") == payload.replace("\r", "\n")]
    assert seen, "the payload must appear literally"
    assert all(c.data_type == "s" and c.quotePrefix for c in seen)


def test_text_too_long_for_a_cell_is_refused_and_old_brief_kept(small: Path, tmp_path: Path) -> None:
    out = tmp_path / "b.xlsx"
    out.write_bytes(b"earlier brief")
    long_study = tmp_path / "long.yaml"
    long_study.write_text(SMALL.replace("rationale: Alpha gains", "rationale: " + "x" * 40_000), encoding="utf-8")
    with pytest.raises(OutputError, match=r"Impacts!I4: text is 40,000 characters; an Excel cell holds at most"):
        brief_of(long_study, out)
    assert out.read_bytes() == b"earlier brief"
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []


def test_illegal_xml_character_from_the_api_is_refused(small: Path, tmp_path: Path) -> None:
    loaded = load(small)
    loaded.study.actors["A"].name = "Al\x07pha"
    with pytest.raises(OutputError, match="U\\+0007"):
        build_brief(loaded, "standard", tmp_path / "b.xlsx")
    assert not (tmp_path / "b.xlsx").exists()


# ---------------------------------------------------------------- CLI


def test_cli_brief_writes_the_file(small: Path, tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["brief", str(small), "-o", str(tmp_path / "x.xlsx")])
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == f"wrote {tmp_path / 'x.xlsx'}"
    assert visible(openpyxl.load_workbook(tmp_path / "x.xlsx")) == NO_CIB_SHEETS


def test_cli_brief_of_invalid_study_writes_nothing(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(SMALL.replace("effect: 2", "effect: 9"), encoding="utf-8")
    result = CliRunner().invoke(cli, ["brief", str(bad), "-o", str(tmp_path / "x.xlsx")])
    assert result.exit_code == 1
    assert re.search(r"bad\.yaml:\d+:\d+: scenarios\.S1\.impacts\.A\.effect: 9 is out of range", result.stderr)
    assert "Traceback" not in result.output
    assert not (tmp_path / "x.xlsx").exists()


def test_cli_unknown_template_is_a_usage_error(small: Path) -> None:
    result = CliRunner().invoke(cli, ["brief", str(small), "-t", "nope"])
    assert result.exit_code == 2 and "annex, executive, standard" in result.stderr


def test_cli_templates_lists_them() -> None:
    result = CliRunner().invoke(cli, ["templates"])
    names = [line.split()[0] for line in result.stdout.splitlines()]
    assert names == ["annex", "executive", "standard"]


def test_hyperlinks_stay_within_excels_limit_per_sheet(small: Path, tmp_path: Path, monkeypatch) -> None:
    from scenmatrix.brief.sheets import links

    # Impacts has 3 rows x 3 link columns (scenario, actor, evidence); allow 6: actor links go first.
    monkeypatch.setattr(links, "MAX_LINKS", 6)
    wb = openpyxl.load_workbook(brief_of(small, tmp_path / "b.xlsx"))
    impacts = wb["Impacts"]
    # 3 scenario links + 2 evidence links (one impact cites no evidence)
    assert sum(c.hyperlink is not None for row in impacts.iter_rows() for c in row) == 5
    assert impacts["C4"].hyperlink is None and impacts["A4"].hyperlink is not None  # actor dropped, scenario kept
    assert impacts["J4"].hyperlink is not None  # evidence kept first
    monkeypatch.setattr(links, "MAX_LINKS", 2)  # the matrix has 3 rated cells: no links at all there
    wb = openpyxl.load_workbook(brief_of(small, tmp_path / "c.xlsx"))
    assert all(c.hyperlink is None for row in wb["Matrix"].iter_rows() for c in row)


def test_every_kind_of_sheet_has_a_writer() -> None:
    from typing import get_args

    from scenmatrix.brief.sheets.registry import WRITERS
    from scenmatrix.brief.template import Sheet

    assert set(WRITERS) == set(get_args(Sheet.model_fields["kind"].annotation))


def test_template_schema_file_matches_the_model() -> None:
    import json

    from scenmatrix.brief.template import Template
    from scenmatrix.store import packaged

    schema = Template.model_json_schema()
    schema["title"] = "scenmatrix brief template"
    assert json.loads((ROOT / "templates" / "template.schema.json").read_text()) == schema  # for team templates
    assert json.loads(packaged.template_schema_text()) == schema
