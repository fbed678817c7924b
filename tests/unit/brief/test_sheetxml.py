"""The rows scenmatrix writes itself (sheetxml) against openpyxl's own cell writer, and read back by
openpyxl and python-calamine."""

from __future__ import annotations

import datetime as dt
import math
import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st
from openpyxl import Workbook, load_workbook
from openpyxl.styles import NamedStyle
from python_calamine import CalamineWorkbook

from scenmatrix.brief import build as brief
from scenmatrix.brief.xlsx.cells import ILLEGAL, ooxml_unescape
from scenmatrix.brief.xlsx.grid import Grid, flush
from scenmatrix.errors import OutputError
from scenmatrix.brief.xlsx.rows import Block, SheetBodies, escape
from scenmatrix.brief.template import load_template
from scenmatrix.store.loader import load

from conftest import RATED_STUDY, VALID_STUDY

REPO = Path(__file__).resolve().parents[3]
NOW = dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.timezone.utc)
STYLES = ("sm_body", "sm_int", "sm_number", "sm_effect")


def write_block(path: Path, block: Block, title: str = "T") -> Path:
    """One write-only sheet holding `block`, written the way a brief is."""
    wb = Workbook(write_only=True)
    for name in STYLES:
        wb.add_named_style(NamedStyle(name))
    grid = Grid(wb.create_sheet(title))
    grid.stream(block.first, len(block), lambda: [block])
    bodies = SheetBodies()
    try:
        flush(grid, bodies)
        with open(path, "wb") as handle:
            brief.save(wb, handle, bodies)
    finally:
        bodies.cleanup()
    return path


def text_block(texts: list[str], first: int = 2) -> Block:
    return Block(first, [texts], ["sm_body"], [None], [None] * len(texts))


def cell_facts(cell) -> tuple:
    value = cell.value
    return (value, cell.data_type if value is not None else None, repr(cell.font), repr(cell.fill),
            repr(cell.border), cell.number_format, repr(cell.alignment), repr(cell.protection), cell.quotePrefix,
            cell.hyperlink.location if cell.hyperlink else None)


def sheet_facts(ws) -> dict:
    return {
        "cells": {c.coordinate: cell_facts(c) for row in ws.iter_rows() for c in row if c.has_style or c.value is not None},
        "heights": {r: d.height for r, d in ws.row_dimensions.items() if d.height},
        "widths": {k: d.width for k, d in ws.column_dimensions.items()},
        "merged": sorted(map(str, ws.merged_cells.ranges)),
        "validations": sorted(str(dv.sqref) for dv in ws.data_validations.dataValidation),
        "freeze": ws.freeze_panes,
        "conditional": sorted((str(cf.sqref), tuple(r.type for r in cf.rules)) for cf in ws.conditional_formatting),
    }


NASTY = ["=1+1", "+44 20", "-2", "@SUM(A1)", "#N/A", " lead", "trail ", "a\nb", "x\ry", "_x0041_ spelled",
         "tab\tinside", "<b>&amp;</b>", "ünïcödé 😀", ""]


def nasty_study(tmp_path: Path) -> Path:
    """The small valid study with risky, odd and empty text in fields the brief shows."""
    text = VALID_STUDY.replace("claim: Russia plans to buy Iranian drones.", 'claim: "=HYPERLINK(\\"x\\")"')
    text = text.replace("title: Sanctions pressure", 'title: " _x0041_ <&> "')
    text = text.replace("Called it a ridiculous rumor.", '"+1 \\r\\n@ said #N/A"')
    path = tmp_path / "nasty.yaml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize("template", ["standard", "executive", "annex"])
@pytest.mark.parametrize("study", ["default", "nasty", "rated"])
def test_write_only_brief_equals_openpyxls_own_cells(tmp_path: Path, template: str, study: str) -> None:
    path = REPO / "scenarios" / "russia-iran-2022.yaml" if study == "default" else nasty_study(tmp_path)
    if study == "rated":  # reviewers' ratings: a Review sheet, and disagreements marked on the heatmaps
        path.write_text(RATED_STUDY, encoding="utf-8")
    tpl = load_template(template)
    fast = tmp_path / "fast.xlsx"
    with open(fast, "wb") as handle:
        brief.write_brief(brief.build_context(load(path), tpl, NOW), handle)
    slow_wb = Workbook()  # a normal workbook: every cell through openpyxl
    brief._fill(slow_wb, brief.build_context(load(path), tpl, NOW), None)
    slow_wb.save(tmp_path / "slow.xlsx")
    fast_wb, slow_wb = load_workbook(fast), load_workbook(tmp_path / "slow.xlsx")
    assert fast_wb.sheetnames == slow_wb.sheetnames[1:]  # the normal workbook starts with an empty "Sheet"
    for name in fast_wb.sheetnames:
        assert sheet_facts(fast_wb[name]) == sheet_facts(slow_wb[name]), name


def test_nasty_text_reads_back_as_text_with_quote_prefix(tmp_path: Path) -> None:
    path = write_block(tmp_path / "b.xlsx", text_block(NASTY))
    ws = load_workbook(path)["T"]
    for row, text in enumerate(NASTY, 2):
        cell = ws.cell(row=row, column=1)
        assert cell.data_type in ("s", "n") and (ooxml_unescape(cell.value) if cell.value else "") == text
        assert cell.quotePrefix == text.startswith(("=", "+", "-", "@")) or text == "#N/A"
    calamine = CalamineWorkbook.from_path(str(path)).get_sheet_by_name("T").to_python()  # from the first used row
    assert [r[0] for r in calamine] == NASTY[:-1]  # calamine decodes _xHHHH_ as Excel does; "" is an empty cell


printable = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\ufffe\uffff"), max_size=40) \
    .filter(lambda t: not ILLEGAL.search(t))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(printable, min_size=1, max_size=8), st.lists(st.integers(-10**15, 10**15) | st.floats(
    allow_nan=True, allow_infinity=False, width=32), min_size=1, max_size=8))
def test_any_text_and_number_round_trip(tmp_path_factory, texts: list[str], numbers: list) -> None:
    n = max(len(texts), len(numbers))
    texts, numbers = (texts * n)[:n], (numbers * n)[:n]
    block = Block(3, [texts, numbers], ["sm_body", None], [None, None], [None] * n)
    path = write_block(tmp_path_factory.mktemp("rt") / "b.xlsx", block)
    ws = load_workbook(path)["T"]
    for i, (text, number) in enumerate(zip(texts, numbers)):
        got_text, got_number = ws.cell(row=3 + i, column=1).value, ws.cell(row=3 + i, column=2).value
        assert (ooxml_unescape(got_text) if got_text is not None else "") == text
        if isinstance(number, float) and math.isnan(number):
            assert got_number is None
        else:
            assert got_number == pytest.approx(number, rel=1e-15, abs=0)


def test_links_fonts_heights_and_number_formats(tmp_path: Path) -> None:
    from openpyxl.styles import Font

    font = Font(color="0563C1", underline="single")
    block = Block(4, [["E1", "E2"], [1.5, float("nan")]], ["sm_body", "sm_effect"], [["'T'!A5", None], None],
                  [30.0, None], link_font=font, formats=[None, "+0.0"])
    ws = load_workbook(write_block(tmp_path / "b.xlsx", block))["T"]
    assert ws["A4"].hyperlink.location == "'T'!A5" and ws["A4"].font.u == "single"
    assert ws["A5"].hyperlink is None and ws["A5"].font.u is None
    assert ws["B4"].value == 1.5 and ws["B4"].number_format == "+0.0"
    assert ws["B5"].value is None and ws["B5"].number_format == "+0.0"  # empty, styled like its column
    assert ws.row_dimensions[4].height == 30 and not ws.row_dimensions[5].height


@pytest.mark.parametrize("value, message", [
    ("ok\x01", "T!A3: text contains character U+0001"),
    ("x" * 32_768, "T!A3: text is 32,768 characters"),
    ("😀" * 16_384, "T!A3: text is 32,768 characters"),  # UTF-16 units, as Excel counts
    (float("inf"), "T!A3: the number inf cannot be written"),
    (dt.date(2022, 1, 1), "T!A3: a value of type date cannot be written"),
])
def test_what_a_workbook_cannot_hold_is_refused_with_the_cell(tmp_path: Path, value, message: str) -> None:
    block = Block(2, [["fine", value]], [None], [None], [None, None])
    with pytest.raises(OutputError, match=re.escape(message)):
        write_block(tmp_path / "b.xlsx", block)


def test_escape_keeps_carriage_returns_and_markup() -> None:
    assert escape("a<b>&c\rd") == "a&lt;b&gt;&amp;c&#13;d"


def test_sheets_without_rows_and_parts_are_passed_through(tmp_path: Path) -> None:
    path = write_block(tmp_path / "b.xlsx", Block(1, [[]], ["sm_body"], [None], []))
    wb = load_workbook(path)
    assert wb.sheetnames == ["T"] and wb["T"].max_row == 1 and wb["T"]["A1"].value is None


def test_the_rated_study_marks_its_disagreements_in_both_writers(tmp_path: Path) -> None:
    """The comparison above would pass with no marks at all: the rated study has some to compare."""
    path = tmp_path / "rated.yaml"
    path.write_text(RATED_STUDY, encoding="utf-8")
    fast = tmp_path / "fast.xlsx"
    with open(fast, "wb") as handle:
        brief.write_brief(brief.build_context(load(path), load_template("standard"), NOW), handle)
    wb = load_workbook(fast)
    assert "Review" in wb.sheetnames
    assert [str(cf.sqref) for cf in wb["Matrix"].conditional_formatting if cf.rules[0].type == "expression"]
