"""A reviewed brief off the happy path: moved columns, repeated rows, odd cells, a re-signed marker, far
cells, and an edit landing between the plan and the write (issue 13)."""

from __future__ import annotations

import json
import time
from pathlib import Path

import openpyxl
import pytest

from scenmatrix.brief.build import build_brief
from scenmatrix.brief.marker import MARKER_SHEET, _checksum
from scenmatrix.edit import api as edit
from scenmatrix.errors import WorkbookError
from scenmatrix.review.importer import BriefImportError, apply_import, describe, plan_import
from scenmatrix.store.loader import load
from scenmatrix.store.workbook_guard import Limits, check_archive
from conftest import SMALL


@pytest.fixture()
def study(tmp_path: Path) -> Path:
    path = tmp_path / "small.yaml"
    path.write_text(SMALL, encoding="utf-8")
    return path


@pytest.fixture()
def briefed(study: Path, tmp_path: Path) -> Path:
    return build_brief(load(study), "standard", tmp_path / "b.xlsx")


def column(ws, header: str) -> int:
    return [c.value for c in ws[3]].index(header) + 1


def row_of(ws, scenario: str, actor: str) -> int:
    s, a = column(ws, "Scenario"), column(ws, "Actor")
    return next(r for r in range(4, ws.max_row + 1) if ws.cell(r, s).value == scenario and ws.cell(r, a).value == actor)


def edited(path: Path, change) -> Path:
    wb = openpyxl.load_workbook(path)
    change(wb["Impacts"])
    out = path.with_name("reviewed.xlsx")
    wb.save(out)
    return out


def refusal(brief: Path, study: Path) -> str:
    before = study.read_bytes()
    with pytest.raises((BriefImportError, WorkbookError)) as caught:
        plan_import(brief, study)
    assert study.read_bytes() == before
    return str(caught.value)


def test_an_inserted_column_is_ignored_and_said_so(briefed: Path, study: Path) -> None:
    def change(ws) -> None:
        rationale = column(ws, "Rationale")
        ws.insert_cols(rationale)
        ws.cell(3, rationale).value = "Reviewer comment"
        row = row_of(ws, "S1", "B")
        ws.cell(row, rationale).value = "I doubt this"
        ws.cell(row, column(ws, "Rationale")).value = "Beta adapts"

    plan = plan_import(edited(briefed, change), study)
    assert [(c.key, c.field, c.new) for c in plan.changes] == [("S1/B", "rationale", "Beta adapts")]
    assert "note: Impacts: column(s) 'Reviewer comment' are not the brief's; ignored" in describe(plan)


def test_moved_columns_are_found_by_their_headers(briefed: Path, study: Path) -> None:
    def change(ws) -> None:
        effect, rationale = column(ws, "Effect"), column(ws, "Rationale")
        for r in range(3, ws.max_row + 1):  # swap the two columns, headers and all
            a, b = ws.cell(r, effect), ws.cell(r, rationale)
            a.value, b.value = b.value, a.value
        ws.cell(row_of(ws, "S1", "A"), column(ws, "Effect")).value = 1

    plan = plan_import(edited(briefed, change), study)
    assert [(c.key, c.field, c.old, c.new) for c in plan.changes] == [("S1/A", "effect", 2, 1)]


@pytest.mark.parametrize("header, expected", [
    ("Effect (edited)", "Impacts!A3: column 'Effect' (effect) is missing from the header row — put its header back"),
    ("Rationale", "column 'Rationale' appears 2 times"),
])
def test_a_renamed_or_repeated_editable_header_is_refused(briefed: Path, study: Path, header: str,
                                                         expected: str) -> None:
    message = refusal(edited(briefed, lambda ws: setattr(ws.cell(3, column(ws, "Effect")), "value", header)), study)
    assert "reviewed.xlsx:3:" in message and expected in message, message


def test_a_row_given_twice_is_refused(briefed: Path, study: Path) -> None:
    def change(ws) -> None:
        source, copy = row_of(ws, "S1", "A"), ws.max_row + 1
        for c in range(1, ws.max_column + 1):
            ws.cell(copy, c).value = ws.cell(source, c).value
        ws.cell(copy, column(ws, "Effect")).value = -3

    message = refusal(edited(briefed, change), study)
    assert "reviewed.xlsx:7:1: Impacts!A7: impact S1/A is given twice (rows 4 and 7) — keep one row an entry" in message


@pytest.mark.parametrize("value", ["--2", "+-1", "²", "٢", "２", "2.5", 2.5, "3 ", True, "", "x"])
def test_any_effect_a_reviewer_types_gets_a_message(briefed: Path, study: Path, value) -> None:
    def change(ws) -> None:
        ws.cell(row_of(ws, "S1", "A"), column(ws, "Effect")).value = value

    if value == "3 ":
        assert [c.new for c in plan_import(edited(briefed, change), study).changes] == [3]
        return
    message = refusal(edited(briefed, change), study)
    assert "Impacts!E4: effect" in message and "is not a whole number from -3 to 3" in message, message


def test_a_date_typed_into_a_text_cell_is_refused_not_stringified(briefed: Path, study: Path) -> None:
    import datetime as dt

    message = refusal(edited(briefed, lambda ws: setattr(ws.cell(4, column(ws, "Rationale")), "value",
                                                         dt.datetime(2024, 5, 1))), study)
    assert "Impacts!I4: holds a date or time (2024-05-01 00:00:00), not text" in message


@pytest.mark.parametrize("value, expected", [("=2-1", "holds a formula (=2-1) — type the value itself"),
                                             ("#N/A", "holds the error #N/A — type the value itself")])
def test_a_formula_or_error_in_an_editable_cell_is_refused(briefed: Path, study: Path, value: str,
                                                           expected: str) -> None:
    message = refusal(edited(briefed, lambda ws: setattr(ws.cell(4, column(ws, "Effect")), "value", value)), study)
    assert f"reviewed.xlsx:4:5: Impacts!E4: {expected}" in message


def resigned(path: Path, payload: str) -> Path:
    """The brief with its marker's JSON replaced and the checksum recomputed, as anyone could."""
    wb = openpyxl.load_workbook(path)
    ws = wb[MARKER_SHEET]
    head = [ws.cell(r, 1).value for r in range(1, 7)]
    ws.cell(7, 1).value, ws.cell(8, 1).value, ws.cell(9, 1).value = "1", _checksum(head, [payload]), payload
    for r in range(10, ws.max_row + 1):
        ws.cell(r, 1).value = None
    out = path.with_name("resigned.xlsx")
    wb.save(out)
    return out


@pytest.mark.parametrize("payload", ['{"tables": ', '[]', '{"tables": {}, "snapshot": []}',
                                     '{"tables": {"impacts": {"sheet": 1}}, "snapshot": {}}',
                                     '{"tables": {}, "snapshot": {"impacts": {"S1/A": {"effect": "2"}}}}',
                                     '{"tables": {"planets": {}}, "snapshot": {}}'])
def test_a_re_signed_marker_of_the_wrong_shape_is_refused(briefed: Path, study: Path, payload: str) -> None:
    message = refusal(resigned(briefed, payload), study)
    assert "resigned.xlsx:1:1: the brief's marker is not one scenmatrix writes (" in message


@pytest.mark.parametrize("cell", ["Z1048576", "C1048576"])
def test_a_far_cell_costs_nothing(briefed: Path, study: Path, cell: str) -> None:
    """Reported: one cell at C1048576 made a 31 KB brief take 67 s and 2.2 GB (every row up to it was read)."""
    out = edited(briefed, lambda ws: setattr(ws[cell], "value", "far"))
    start = time.perf_counter()
    if cell == "Z1048576":  # a column import does not read
        assert plan_import(out, study).empty
    else:
        assert "Impacts!A1048576: a row without its id" in refusal(out, study)
    assert time.perf_counter() - start < 5


def test_a_workbook_over_the_cell_limit_is_refused_before_it_is_parsed(briefed: Path) -> None:
    with pytest.raises(WorkbookError, match=r"b\.xlsx:1:1: the workbook has over 100 cells — a reviewed brief is "
                                            r"read whole"):
        check_archive(briefed, Limits(cells=100))
    check_archive(briefed)  # the real limit leaves a brief alone


def test_an_edit_between_plan_and_write_is_kept_and_the_import_replanned(briefed: Path, study: Path) -> None:
    reviewed = edited(briefed, lambda ws: setattr(ws.cell(row_of(ws, "S1", "A"), column(ws, "Effect")), "value", 1))
    plan = plan_import(reviewed, study)
    edit.set_fields(study, "impact", None, {"rationale": "Alpha gains, says a second source"}, scenario="S1",
                    actor="B")  # lands after the plan, before the write
    apply_import(plan)
    after = load(study).study.scenarios["S1"].impacts
    assert after["A"].effect == 1 and after["B"].rationale == "Alpha gains, says a second source"


def test_an_edit_between_plan_and_write_of_the_same_field_is_a_conflict(briefed: Path, study: Path) -> None:
    reviewed = edited(briefed, lambda ws: setattr(ws.cell(row_of(ws, "S1", "A"), column(ws, "Effect")), "value", 1))
    plan = plan_import(reviewed, study)
    edit.set_fields(study, "impact", None, {"effect": 3}, scenario="S1", actor="A")
    with pytest.raises(BriefImportError, match="1 conflict"):
        apply_import(plan)
    assert load(study).study.scenarios["S1"].impacts["A"].effect == 3


def test_a_second_sheet_of_one_table_is_named_as_not_imported(study: Path, tmp_path: Path) -> None:
    template = tmp_path / "two.yaml"
    template.write_text("description: Two views\nsheets:\n  - {kind: table, table: impacts, title: Impacts}\n"
                        "  - {kind: table, table: impacts, title: Impacts again}\n", encoding="utf-8")
    plan = plan_import(build_brief(load(study), template, tmp_path / "b.xlsx"), study)
    assert "note: sheet 'Impacts again' also shows impacts; edits there are not imported (only 'Impacts' is)" \
        in describe(plan)
    assert json.loads(json.dumps(plan.to_json()))["notes"] == plan.notes
