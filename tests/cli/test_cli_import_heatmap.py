"""Edits a reviewer made on the Matrix sheet's heatmap, imported through a real process (issue 14): imported
like the same edit on the Impacts sheet, or reported with the cell and where to make it — never dropped."""

from __future__ import annotations

import subprocess
from pathlib import Path

import openpyxl
import pytest

from conftest import SMALL
from hardening import SCENMATRIX


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([SCENMATRIX, *args], cwd=cwd, capture_output=True, text=True, timeout=120)


@pytest.fixture()
def briefed(tmp_path: Path) -> Path:
    (tmp_path / "s.yaml").write_text(SMALL, encoding="utf-8")
    assert run("brief", "s.yaml", "-o", "b.xlsx", cwd=tmp_path).returncode == 0
    return tmp_path


def reviewed(folder: Path, cells: dict[str, object], impacts_effect: dict[str, int] | None = None,
             template_sheet: str = "Matrix") -> Path:
    wb = openpyxl.load_workbook(folder / "b.xlsx")
    ws = wb[template_sheet]
    assert [c.value for c in ws[3]][:8] == ["Scenario", "Title", "Likelihood", "Band", "Confidence", "Alpha", "Beta",
                                            "Gamma"]
    for coordinate, value in cells.items():
        ws[coordinate].hyperlink = None  # as a cleared cell in Excel: the link goes with the value
        ws[coordinate] = value
    for key, effect in (impacts_effect or {}).items():
        sheet = wb["Impacts"]
        column = [c.value for c in sheet[3]].index("Effect") + 1
        row = next(r for r in range(4, sheet.max_row + 1)
                   if f"{sheet.cell(r, 1).value}/{sheet.cell(r, 3).value}" == key)
        sheet.cell(row, column).value = effect
    wb.save(folder / "r.xlsx")
    return folder / "r.xlsx"


def test_an_effect_changed_on_the_heatmap_is_imported_like_one_on_the_impacts_sheet(briefed: Path) -> None:
    reviewed(briefed, {"F4": 3})  # S1 x Alpha, briefed +2
    result = run("import", "r.xlsx", "-s", "s.yaml", "--apply", cwd=briefed)
    assert result.returncode == 0, result.stderr
    assert "note: Matrix!F4: impact S1/A effect +2 → +3, read from the heatmap" in result.stdout + result.stderr
    assert "A: {effect: 3, domains: [military]" in (briefed / "s.yaml").read_text(encoding="utf-8")


def test_what_a_heatmap_cannot_say_is_reported_with_its_cell_and_where_to_do_it(briefed: Path) -> None:
    reviewed(briefed, {"F5": None, "H5": 1})  # S2 x Alpha cleared; S2 x Gamma, not rated, given +1
    result = run("import", "r.xlsx", "-s", "s.yaml", cwd=briefed)
    out = result.stdout + result.stderr
    assert result.returncode == 0, out
    assert "note: Matrix!F5: impact S2/A was cleared; a brief does not remove impacts" in out
    assert "note: Matrix!H5: +1 for impact S2/C, which the study does not rate, is not imported" in out
    assert "`scenmatrix add impact S2/C`" in out and "no changes" in out


def test_the_heatmap_and_the_impacts_sheet_must_agree(briefed: Path) -> None:
    reviewed(briefed, {"F4": 3}, {"S1/A": 1})
    before = (briefed / "s.yaml").read_bytes()
    result = run("import", "r.xlsx", "-s", "s.yaml", "--apply", cwd=briefed)
    assert result.returncode == 1
    assert "r.xlsx:4:6: Matrix!F4: impact S1/A: +3 here, +1 on the Impacts sheet (briefed +2)" in result.stderr
    assert (briefed / "s.yaml").read_bytes() == before
    reviewed(briefed, {"F4": 3}, {"S1/A": 3})  # the same edit on both is one edit
    assert run("import", "r.xlsx", "-s", "s.yaml", "--apply", cwd=briefed).returncode == 0


@pytest.mark.parametrize("value, message", [("=1+2", "holds a formula"), ("4", "effect 4 is not a whole number"),
                                            ("two", "effect 'two' is not a whole number")])
def test_a_heatmap_cell_that_holds_no_effect_is_refused_with_its_cell(briefed: Path, value: str, message: str) -> None:
    reviewed(briefed, {"G4": value})
    result = run("import", "r.xlsx", "-s", "s.yaml", cwd=briefed)
    assert result.returncode == 1 and "r.xlsx:4:7: Matrix!G4: " in result.stderr and message in result.stderr


def test_the_executive_summary_heatmap_is_read_too_without_an_impacts_sheet(tmp_path: Path) -> None:
    (tmp_path / "s.yaml").write_text(SMALL, encoding="utf-8")
    assert run("brief", "s.yaml", "-t", "executive", "-o", "b.xlsx", cwd=tmp_path).returncode == 0
    wb = openpyxl.load_workbook(tmp_path / "b.xlsx")
    (ws,) = [ws for ws in wb.worksheets if ws.sheet_state == "visible"]
    # actors down (id, name), most exposed first; a column a scenario, its id and band under its title
    header = next(r for r in range(1, 40) if (ws.cell(r, 1).value, ws.cell(r, 2).value) == ("Id", "Actor"))
    assert ws.cell(header, 3).value == "First" and ws.cell(header + 1, 3).value.startswith("S1 ")
    assert (ws.cell(header + 2, 1).value, ws.cell(header + 2, 2).value) == ("B", "Beta")
    ws.cell(header + 2, 3).value = -2  # S1 x Beta, briefed -3
    wb.save(tmp_path / "r.xlsx")
    result = run("import", "r.xlsx", "-s", "s.yaml", "--apply", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "B: {effect: -2, domains: [economic, energy]" in (tmp_path / "s.yaml").read_text(encoding="utf-8")


def many_actors(count: int) -> str:
    actors = "".join(f"  A{i}: {{name: Actor number {i}, kind: state}}\n" for i in range(count))
    impacts = "".join(f"      A{i}: {{effect: {i % 7 - 3}, domains: [security], confidence: low, rationale: r{i}}}\n"
                      for i in range(count))
    return SMALL.split("actors:\n")[0] + "actors:\n" + actors + (
        "evidence: {}\nscenarios:\n  S1:\n    title: First\n    narrative: One.\n    likelihood: likely\n"
        "    confidence: moderate\n    impacts:\n" + impacts +
        "  S2:\n    title: Second\n    narrative: Two.\n    likelihood: unlikely\n    confidence: low\n"
        "    impacts:\n      A0: {effect: 1, domains: [security], confidence: low, rationale: r}\n")


def test_a_heatmap_of_many_actors_turns_and_its_edits_import(tmp_path: Path) -> None:
    (tmp_path / "s.yaml").write_text(many_actors(61), encoding="utf-8")
    assert run("brief", "s.yaml", "-o", "b.xlsx", cwd=tmp_path).returncode == 0, "brief"
    wb = openpyxl.load_workbook(tmp_path / "b.xlsx")
    ws = wb["Matrix"]
    assert ws["A3"].value.startswith("61 actors: one row each, the scenarios across")
    assert [c.value for c in ws[4]][:4] == ["Actor", "Name", "S1 First (likely)", "S2 Second (unlikely)"]
    assert ws.max_column == 7 and ws.max_row >= 5 + 61 - 1
    assert [ws.cell(5, c).value for c in range(1, 5)] == ["A0", "Actor number 0", -3, 1]
    ws["D5"] = 2  # A0 in S2, briefed +1
    wb.save(tmp_path / "r.xlsx")
    result = run("import", "r.xlsx", "-s", "s.yaml", "--apply", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "note: Matrix!D5: impact S2/A0 effect +1 → +2, read from the heatmap" in result.stdout + result.stderr
    assert "A0: {effect: 2, domains: [security], confidence: low, rationale: r}" in (tmp_path / "s.yaml").read_text()
