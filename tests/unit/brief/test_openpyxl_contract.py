"""The private parts of openpyxl that scenmatrix relies on, each checked on its own.

A brief's write-only sheets are written by scenmatrix itself (brief/xlsx/rows.py) and spliced into the
sheet files openpyxl writes (rows.SplicingArchive, through brief/build.py's ExcelWriter); grid.py drives
openpyxl's write-only writer by hand. None of that is openpyxl's public API, so pyproject.toml pins
openpyxl to one minor series. When an openpyxl release changes one of these privates, the test that
fails names the private and the file that needs it: fix that file (or keep the pin) before widening it.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import zipfile
from copy import copy
from pathlib import Path
from typing import Any, Iterator

import openpyxl
import pytest
from openpyxl import Workbook, load_workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font, NamedStyle
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.hyperlink import Hyperlink
from packaging.specifiers import SpecifierSet
from packaging.version import Version

REPO = Path(__file__).resolve().parents[3]
GRID = "src/scenmatrix/brief/xlsx/grid.py"
ROWS = "src/scenmatrix/brief/xlsx/rows.py"
BUILD = "src/scenmatrix/brief/build.py"
GUARD = "src/scenmatrix/store/workbook_guard.py"
EMPTY_SHEET_DATA = (b"<sheetData/>", b"<sheetData></sheetData>")  # what rows.SplicingArchive replaces


@contextlib.contextmanager
def relied_on(private: str, *users: str) -> Iterator[None]:
    """Any failure inside is reported as openpyxl's `private` having changed under the files `users`."""
    try:
        yield
    except Exception as exc:  # AssertionError included: a changed behaviour, not only a missing name
        pytest.fail(f"openpyxl {openpyxl.__version__} changed {private}, which {' and '.join(users)} "
                    f"{'rely' if len(users) > 1 else 'relies'} on: {type(exc).__name__}: {exc}\nAdapt {users[0]} to it (the pin on openpyxl in "
                    f"pyproject.toml names the series that still has it).", pytrace=False)


def write_only_book() -> tuple[Workbook, Any]:
    wb = Workbook(write_only=True)
    wb.add_named_style(NamedStyle("sm_bold", font=Font(bold=True)))
    return wb, wb.create_sheet("T")


class RecordingArchive:
    """A ZipFile as ExcelWriter uses it, that records each file it is asked to copy in, with its bytes."""

    def __init__(self, archive: zipfile.ZipFile):
        self._archive = archive
        self.copied: list[tuple[str, str, bytes]] = []  # (filename, arcname, the file's bytes)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._archive, name)

    def write(self, filename, arcname=None, *args, **kwargs) -> None:
        with open(filename, "rb") as f:
            self.copied.append((str(filename), str(arcname), f.read()))
        self._archive.write(filename, arcname, *args, **kwargs)


# ---------------------------------------------------------------- the pin


def test_openpyxl_is_in_the_series_pyproject_pins() -> None:
    text = (REPO / "pyproject.toml").read_text(encoding="utf-8")
    pins = re.findall(r'^\s*"openpyxl\s*([^";]*)"', text, re.MULTILINE)
    assert len(pins) == 1, f"pyproject.toml should list openpyxl once among the dependencies, found {pins}"
    spec = SpecifierSet(pins[0])
    assert any(s.operator in ("<", "<=", "==", "~=", "===") for s in spec), (
        f"pyproject.toml pins openpyxl{pins[0]} without an upper bound: {GRID}, {ROWS} and {BUILD} use its "
        "private writer API, which any minor release may change; keep the pin to one series")
    assert Version(openpyxl.__version__) in spec, (
        f"openpyxl {openpyxl.__version__} is installed, but pyproject.toml pins openpyxl{pins[0]}: "
        f"{GRID}, {ROWS} and {BUILD} are proven only against the pinned series (reinstall with `make setup`)")


# ---------------------------------------------------------------- grid.py: the write-only sheet's writer


def test_get_writer_makes_one_writer_with_the_file_the_sheet_goes_to() -> None:
    wb, ws = write_only_book()
    with relied_on("WriteOnlyWorksheet._get_writer() (and the ._writer it sets)", GRID):
        ws._get_writer()
        writer = ws._writer
        assert writer is not None, "_get_writer() set no _writer"
        ws._get_writer()
        assert ws._writer is writer, "a second _get_writer() replaced the writer (close() calls it again)"
    with relied_on("WriteOnlyWorksheet._writer.out (the path of the temporary file the sheet is written to)",
                   GRID, ROWS):
        assert isinstance(writer.out, str), f"out is {writer.out!r}, not a path"
        assert os.path.isfile(writer.out), f"out {writer.out!r} is not a file"
    ws.close()


def test_hyperlinks_added_after_the_writer_is_made_are_written() -> None:
    wb, ws = write_only_book()
    with relied_on("WriteOnlyWorksheet._hyperlinks (a list, emptied by _get_writer, written by close)", GRID):
        assert isinstance(ws._hyperlinks, list), f"_hyperlinks is a {type(ws._hyperlinks).__name__}"
        ws._get_writer()
        assert isinstance(ws._hyperlinks, list), f"_hyperlinks is a {type(ws._hyperlinks).__name__}"
        ws._hyperlinks.extend([Hyperlink(ref="B2", location="'T'!A1")])
        ws.close()
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w") as archive:
            from openpyxl.writer.excel import ExcelWriter

            ExcelWriter(wb, archive).save()
        sheet = zipfile.ZipFile(out).read("xl/worksheets/sheet1.xml")
        assert re.search(rb'<hyperlink [^>]*ref="B2"', sheet), f"no hyperlink at B2 in {sheet[-400:]!r}"


def test_a_write_only_sheet_takes_data_validations() -> None:
    wb, ws = write_only_book()
    with relied_on("WriteOnlyWorksheet.data_validations (a DataValidationList; no add_data_validation)", GRID):
        dv = DataValidation(type="list", formula1='"a,b"')
        dv.add("A1:A3")
        ws.data_validations.append(dv)
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w") as archive:
            from openpyxl.writer.excel import ExcelWriter

            ExcelWriter(wb, archive).save()
        sheet = zipfile.ZipFile(out).read("xl/worksheets/sheet1.xml")
        assert b'sqref="A1:A3"' in sheet, f"no data validation of A1:A3 in {sheet[-400:]!r}"


def test_a_cells_style_array_can_be_set_from_a_write_only_cells() -> None:
    wb = Workbook()
    wb.add_named_style(NamedStyle("sm_bold", font=Font(bold=True)))
    ws = wb.active
    with relied_on("Cell._style (the style array, copied from a WriteOnlyCell's)", GRID):
        proto = WriteOnlyCell(ws)
        proto.style = "sm_bold"
        proto.number_format = "0.0"
        cell = ws.cell(row=1, column=1)
        cell._style = copy(proto._style)
        assert cell.style == "sm_bold" and cell.font.bold and cell.number_format == "0.0", (
            f"the cell reads style {cell.style!r}, bold {cell.font.bold}, format {cell.number_format!r}")
        out = io.BytesIO()
        wb.save(out)
        back = load_workbook(io.BytesIO(out.getvalue()))["Sheet"]["A1"]
        assert back.style == "sm_bold" and back.font.bold and back.number_format == "0.0"


# ---------------------------------------------------------------- rows.py: style ids and the splice


def test_a_write_only_cells_style_id_is_its_index_in_the_saved_style_table() -> None:
    from scenmatrix.brief import build
    from scenmatrix.brief.xlsx.rows import SheetBodies

    wb, ws = write_only_book()
    with relied_on("WriteOnlyCell._style, .style_id and .has_style (the style table index a <c s=...> names)",
                   ROWS):
        plain = WriteOnlyCell(ws)
        assert not plain.has_style, "a new WriteOnlyCell has a style"
        proto = WriteOnlyCell(ws)
        proto.style = "sm_bold"
        proto.number_format = "0.0"
        assert proto.has_style, "a WriteOnlyCell given a named style has none"
        assert proto._style is not None, "a styled WriteOnlyCell has no _style"
        sid = proto.style_id
        assert isinstance(sid, int) and sid > 0, f"style_id is {sid!r}"
        bodies = SheetBodies()
        try:
            ws._get_writer()
            with bodies.open(ws._writer.out) as body:
                body.write(f'<row r="1"><c r="A1" s="{sid}" t="n"><v>2.5</v></c>'
                           f'<c r="B1" s="0" t="n"><v>1</v></c></row>')
            ws.close()
            out = io.BytesIO()
            build.save(wb, out, bodies)
        finally:
            bodies.cleanup()
        sheet = load_workbook(io.BytesIO(out.getvalue()))["T"]
        a1, b1 = sheet["A1"], sheet["B1"]
        assert (a1.value, a1.style, a1.font.bold, a1.number_format) == (2.5, "sm_bold", True, "0.0"), (
            f"the cell written with s={sid} reads {a1.value!r}, style {a1.style!r}, bold {a1.font.bold}, "
            f"format {a1.number_format!r}")
        assert (b1.value, b1.style, b1.font.bold) == (1, "Normal", False), "s=0 is not the default style"


def test_excel_writer_copies_each_write_only_sheet_in_with_an_empty_sheet_data() -> None:
    from openpyxl.writer.excel import ExcelWriter

    wb, ws = write_only_book()
    other = wb.create_sheet("U")
    # what a brief's sheet has set before its rows: widths, panes, a table's worth of settings, links
    ws.column_dimensions["A"].width = 30
    ws.freeze_panes = "A4"
    ws.protection.sheet = True
    outs = {}
    for sheet in (ws, other):
        sheet._get_writer()
        outs[sheet._writer.out] = f"xl/worksheets/sheet{len(outs) + 1}.xml"
        sheet._hyperlinks.append(Hyperlink(ref="A1", location="'T'!A1"))
        sheet.close()
    with relied_on("ExcelWriter(wb, archive).save() copying each write-only sheet in with "
                   "archive.write(filename, arcname), its file holding an empty <sheetData/>", ROWS, BUILD):
        target = io.BytesIO()
        archive = zipfile.ZipFile(target, "w")
        recorder = RecordingArchive(archive)
        ExcelWriter(wb, recorder).save()
        assert archive.fp is None, "ExcelWriter.save() left the archive open (build.save relies on its close)"
        copied = {filename: (arcname, data) for filename, arcname, data in recorder.copied}
        assert set(copied) == set(outs), (
            f"archive.write was called with {sorted(copied)}, not with each sheet's _writer.out {sorted(outs)}")
        for filename, arcname in outs.items():
            got, data = copied[filename]
            assert got == arcname, f"{filename} was copied in as {got!r}, not {arcname!r}"
            found = [empty for empty in EMPTY_SHEET_DATA if data.count(empty) == 1]
            assert found and data.count(b"<sheetData") == 1, (
                f"{arcname} holds no single empty sheetData ({' or '.join(e.decode() for e in EMPTY_SHEET_DATA)}) "
                f"for the rows to go into: {data[:600]!r}")
        names = zipfile.ZipFile(target).namelist()
        assert set(outs.values()) <= set(names), f"the saved workbook holds {names}"


# ---------------------------------------------------------------- store/workbook_guard.py: reading a brief


def test_excel_reader_and_a_loaded_sheets_cells() -> None:
    from openpyxl.reader.excel import ExcelReader

    wb = Workbook()
    ws = wb.active
    ws.title = "Data"
    ws["A1"], ws["C5"] = "x", 3
    out = io.BytesIO()
    wb.save(out)
    with relied_on("ExcelReader(f, data_only=, keep_links=).read(), .wb and .parser.sheets[].name", GUARD):
        reader = ExcelReader(io.BytesIO(out.getvalue()), data_only=True, keep_links=False)
        reader.read()
        assert [sheet.name for sheet in reader.parser.sheets] == ["Data"]
        loaded = reader.wb["Data"]
    with relied_on("Worksheet._cells (only the cells in the file, keyed by (row, column))", GUARD):
        assert {key: cell.value for key, cell in loaded._cells.items()} == {(1, 1): "x", (5, 3): 3}
