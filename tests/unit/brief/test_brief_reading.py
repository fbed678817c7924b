"""What a reader sees in a brief (issue 15), read back with openpyxl: one figure shows the same digits
wherever it appears, probabilities as percentages, headers in words and aligned with their numbers,
no sheet with nothing to show, and a legible TLP marking."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import openpyxl
import pytest

from scenmatrix.analysis.impacts import expected_impact, impact_matrix
from scenmatrix.analysis.rounding import PERCENT, PLAIN, SIGNED, plain, rounded, signed, tidy
from scenmatrix.brief.build import build_brief
from scenmatrix.brief.context import build_context
from scenmatrix.brief.template import load_template
from scenmatrix.brief.tables import EVIDENCE_HIDDEN, LABELS
from scenmatrix.review.importer import plan_import
from scenmatrix.store.loader import load
from scenmatrix.study import vocab
from scenmatrix.study.tables import frames
from conftest import SMALL

ROOT = Path(__file__).resolve().parents[3]
DEFAULT = ROOT / "scenarios" / "russia-iran-2022.yaml"
GENERATED = dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.timezone.utc)

# Alpha's expected impact is 1 x 0.03 + 1 x 0.125 = 0.155, summed in floating point: 0.15499999999999997,
# which Python's "+.2f" shows as +0.15 and a spreadsheet (15 digits, half away from zero) as +0.16.
NOISY = SMALL.replace("likelihood: likely", "likelihood: almost no chance").replace(
    "likelihood: unlikely", "likelihood: very unlikely").replace(
    "A: {effect: 2, domains: [military]", "A: {effect: 1, domains: [military]").replace(
    "A: {effect: -1, domains: [political]", "A: {effect: 1, domains: [political]")


def write(tmp_path: Path, text: str, name: str = "s.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def brief_of(study: Path, out: Path, template: str = "standard") -> openpyxl.Workbook:
    return openpyxl.load_workbook(build_brief(load(study), template, out, generated=GENERATED))


def chart_title(chart) -> str:
    return "".join(run.t for p in chart.title.tx.rich.p for run in (p.r or []))


def header_row(ws, row: int = 3) -> dict[str, openpyxl.cell.Cell]:
    return {c.value: c for c in ws[row] if c.value is not None}


# ---------------------------------------------------------------- one rounding rule


@pytest.mark.parametrize("value, places, shown", [
    (0.19499999999999998, 2, "+0.20"), (-2.8249999999999997, 2, "-2.83"), (0.5249999999999995, 2, "+0.53"),
    (0.5250000000000004, 2, "+0.53"), (-0.245, 2, "-0.25"), (-6.9e-18, 2, "0.00"), (0.0, 2, "0.00"),
    (4.25, 1, "+4.3"), (-4.25, 1, "-4.3")])
def test_half_away_from_zero_at_the_shown_precision(value: float, places: int, shown: str) -> None:
    assert signed(value, places) == shown
    assert plain(abs(value), places) == shown.lstrip("+-")


def test_tidy_drops_only_the_noise() -> None:
    assert tidy(5.125 - 4.6) == tidy(0.525) == 0.525 and tidy(-6.9e-18) == 0.0
    assert str(tidy(-1e-12)) == "0.0" and tidy(1234.567891) == 1234.567891
    assert rounded(0.125, 2) == rounded(0.12500000000000003, 2)


def test_the_sensitivity_title_shows_the_tables_figure(tmp_path: Path) -> None:
    study = write(tmp_path, NOISY)
    raw = frames(load(study).study)
    noisy = expected_impact(impact_matrix(raw["impacts"], raw["scenarios"], raw["actors"]), raw["scenarios"])
    assert f"{noisy.loc['A', 'expected']:+.2f}" == "+0.15"  # what the title said before
    ws = brief_of(study, tmp_path / "b.xlsx")["Sensitivity"]
    rows = {r[0].value: r for r in ws.iter_rows(min_row=4, max_row=6)}
    expected = rows["Alpha"][2]
    assert expected.value == 0.155 and expected.number_format == SIGNED  # the tidy value, not 0.15499999999999997
    (title,) = [chart_title(c) for c in ws._charts if chart_title(c).startswith("Alpha")]
    assert title == "Alpha (+0.16): what moves it"  # as a spreadsheet shows the cell's 0.155
    for chart in ws._charts:  # every title's figure is the Expected cell of its actor, shown by the same rule
        name, figure = chart_title(chart).split(" (")[0], chart_title(chart).split("(")[-1].split(")")[0]
        assert figure == signed(rows[name][2].value)


def test_charts_whiskers_are_unsigned_and_equal_where_the_bands_are(tmp_path: Path) -> None:
    ws = brief_of(DEFAULT, tmp_path / "b.xlsx")["Charts"]
    headers = [c.value for c in ws[4]]
    assert headers == ["Actor", "Expected impact", "Below, to range low", "Above, to range high"]
    rows = list(ws.iter_rows(min_row=5, max_col=4))
    rows = rows[:next(i for i, r in enumerate(rows) if r[0].value is None)]
    assert len(rows) == len(load(DEFAULT).study.actors)
    for name, expected, below, above in rows:
        assert expected.number_format == SIGNED and below.number_format == above.number_format == PLAIN
        # ICD 203 bands are symmetric about their midpoints: both whiskers are one length (Iran's were
        # 0.7749999999999995 and 0.7750000000000004, shown as 0.77 and 0.78)
        assert below.value == above.value >= 0, name.value
        assert below.value == tidy(below.value)


def test_probabilities_are_percentages(tmp_path: Path) -> None:
    wb = brief_of(DEFAULT, tmp_path / "b.xlsx")
    ws = wb["Exposure"]
    column = [c.value for c in ws[3]].index("P(net < 0)") + 1
    cells = [ws.cell(r, column) for r in range(4, ws.max_row + 1) if ws.cell(r, column).value is not None]
    assert cells and all(c.number_format == PERCENT for c in cells)  # 1 shows as 100 %, not +1.00
    assert {c.value for c in cells} <= {0, 1} or all(0 <= c.value <= 1 for c in cells)
    annex = brief_of(DEFAULT, tmp_path / "a.xlsx", "annex")["Scenarios"]
    headers = [c.value for c in annex[3]]
    for header in ("Probability low", "Probability high"):
        assert annex.cell(4, headers.index(header) + 1).number_format == PERCENT


# ---------------------------------------------------------------- headers


def test_every_column_of_every_table_has_a_label() -> None:
    ctx = build_context(load(DEFAULT), load_template("standard"), GENERATED)
    names = [*ctx.tables, "exposure", "sensitivity", "alignment_pairs"]
    missing = {(name, c) for name in names for c in ctx.table(name).columns if c not in LABELS}
    assert not missing
    assert not set(EVIDENCE_HIDDEN) & set(ctx.table("evidence").columns)


def test_the_annex_headers_are_words_and_evidence_shows_a_contest_once(tmp_path: Path) -> None:
    study = write(tmp_path, SMALL)
    wb = brief_of(study, tmp_path / "a.xlsx", "annex")
    for ws in (wb[t] for t in wb.sheetnames if t != "_scenmatrix"):
        headers = [c.value for c in ws[3] if c.value is not None]
        assert headers and not [h for h in headers if "_" in h or h[0].islower()], ws.title
    evidence = wb["Evidence"]
    headers = [c.value for c in evidence[3]]
    assert [h for h in headers if "ontest" in h] == ["Contested by (actor: note)"]
    row = [c.value for c in evidence[4]]
    assert row[headers.index("Id")] == "E1" and row[headers.index("Contested by (actor: note)")] == "B: Beta denies it"


def test_an_annex_reviewers_contest_imports_back(tmp_path: Path) -> None:
    study = write(tmp_path, SMALL)
    out = tmp_path / "a.xlsx"
    build_brief(load(study), "annex", out, generated=GENERATED)
    assert plan_import(out, study).empty
    wb = openpyxl.load_workbook(out)
    ws = wb["Evidence"]
    headers = [c.value for c in ws[3]]
    ws.cell(5, headers.index("Contested by (actor: note)") + 1).value = "A: Alpha doubts it"
    wb.save(out)
    assert [(c.key, c.field, c.new) for c in plan_import(out, study).changes] == [
        ("E2", "contested", "A: Alpha doubts it")]


def test_headers_align_with_their_numbers(tmp_path: Path) -> None:
    wb = brief_of(DEFAULT, tmp_path / "b.xlsx")
    exposure = header_row(wb["Exposure"])
    for header in ("Expected harm", "Monte Carlo mean", "P5", "P(net < 0)"):  # floats: right, as the values
        assert exposure[header].alignment.horizontal == "right", header
        assert wb["Exposure"].cell(4, exposure[header].column).alignment.horizontal == "right"
    for header in ("Rank by expected harm", "Rank by worst case"):  # whole numbers: centred, as the values
        assert exposure[header].alignment.horizontal == "center", header
        assert wb["Exposure"].cell(4, exposure[header].column).alignment.horizontal == "center"
    assert exposure["Actor"].alignment.horizontal is None and exposure["Worst scenario"].alignment.horizontal is None
    assert header_row(wb["Impacts"])["Effect"].alignment.horizontal == "center"
    charts = header_row(wb["Charts"], 4)
    assert [charts[h].alignment.horizontal for h in ("Actor", "Expected impact", "Below, to range low")] == \
        [None, "right", "right"]
    sensitivity = header_row(wb["Sensitivity"])
    assert [sensitivity[h].alignment.horizontal for h in ("Actor", "Expected", "Swing")] == [None, "right", "right"]
    summary = brief_of(DEFAULT, tmp_path / "e.xlsx", "executive")["Executive summary"]
    (rank,) = [c for row in summary.iter_rows() for c in row if c.value == "Rank"]
    top = {c.value: c.alignment.horizontal for c in summary[rank.row] if c.value}
    assert top == {"Rank": "center", "Actor": None, "Expected": "right", "Low": "right", "High": "right"}


# ---------------------------------------------------------------- sheets with nothing to show


def test_no_cross_impact_sheet_without_a_model(tmp_path: Path) -> None:
    assert load(DEFAULT).study.cib is not None and "Cross-impact" in brief_of(DEFAULT, tmp_path / "d.xlsx").sheetnames
    study = write(tmp_path, SMALL)
    assert load(study).study.cib is None
    wb = brief_of(study, tmp_path / "b.xlsx")
    assert "Cross-impact" not in wb.sheetnames and "Charts" in wb.sheetnames
    texts = [c.value for ws in wb.worksheets for row in ws.iter_rows() for c in row if isinstance(c.value, str)]
    assert not [t for t in texts if "Cross-impact" in t or "cross-impact model" in t]
    links = [c.hyperlink.location for ws in wb.worksheets for row in ws.iter_rows() for c in row if c.hyperlink]
    assert not [link for link in links if link and "Cross-impact" in link]


def test_a_brief_of_only_a_cross_impact_sheet_still_says_why_it_is_empty(tmp_path: Path) -> None:
    study = write(tmp_path, SMALL)
    template = write(tmp_path, "description: Cross-impact only\nsheets:\n  - {kind: cib, title: CIB}\n", "t.yaml")
    wb = brief_of(study, tmp_path / "b.xlsx", str(template))
    assert wb.sheetnames == ["CIB", "_scenmatrix"]
    assert "no cross-impact model" in wb["CIB"]["A3"].value


# ---------------------------------------------------------------- the TLP marking


@pytest.mark.parametrize("marking", ["TLP:CLEAR", "TLP:GREEN", "TLP:AMBER", "TLP:AMBER+STRICT", "TLP:RED"])
def test_the_marking_is_legible_on_every_sheet_and_in_colour_on_black_on_the_cover(tmp_path: Path,
                                                                                   marking: str) -> None:
    study = write(tmp_path, SMALL.replace("marking: TLP:AMBER", f"marking: {marking}"))
    wb = brief_of(study, tmp_path / "b.xlsx")
    for ws in (wb[t] for t in wb.sheetnames if t != "_scenmatrix"):
        for part in (ws.oddHeader.right, ws.oddFooter.right):
            assert part.text == marking.replace("&", "&&") and part.color == "000000", ws.title
            assert part.font.endswith(",Bold") and part.size >= 11
    cover = wb["Cover"]["A2"]
    assert cover.value == marking and cover.font.b
    assert cover.font.color.rgb[-6:] == vocab.TLP_COLOURS[marking] and cover.fill.fgColor.rgb[-6:] == "000000"
    assert {"TLP:CLEAR": "FFFFFF", "TLP:GREEN": "33FF00", "TLP:AMBER": "FFC000", "TLP:AMBER+STRICT": "FFC000",
            "TLP:RED": "FF2B2B"}[marking] == vocab.TLP_COLOURS[marking]  # as TLP 2.0 prescribes them
