"""A reviewer's brief through the real `scenmatrix import` (issue 13): odd cells are refused with their cell and
the study untouched; what is not imported is said; a far cell costs nothing."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest

from conftest import SMALL
from hardening import SCENMATRIX, assert_refusal, run_measured


@pytest.fixture()
def folder(tmp_path: Path) -> Path:
    (tmp_path / "small.yaml").write_text(SMALL, encoding="utf-8")
    result = run_measured([SCENMATRIX, "brief", "small.yaml", "-o", "b.xlsx"], timeout=120, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    return tmp_path


def reviewed(folder: Path, cell: str, value) -> Path:
    wb = openpyxl.load_workbook(folder / "b.xlsx")
    wb["Impacts"][cell] = value
    wb["Impacts"]["L3"] = "Reviewer comment"  # a column of the reviewer's own
    wb.save(folder / "r.xlsx")
    return folder / "r.xlsx"


@pytest.mark.parametrize("value", ["=1+1", "--2", "２"])
def test_an_odd_effect_is_refused_with_its_cell_and_nothing_written(folder: Path, value: str) -> None:
    brief = reviewed(folder, "E4", value)
    before = (folder / "small.yaml").read_bytes()
    result = run_measured([SCENMATRIX, "import", str(brief), "-s", "small.yaml", "--apply"], timeout=60, cwd=folder)
    assert result.returncode == 1
    assert_refusal(result.stderr, brief)
    assert "Impacts!E4: " in result.stderr
    assert (folder / "small.yaml").read_bytes() == before


def test_a_good_edit_lands_and_the_reviewers_column_is_named_as_ignored(folder: Path) -> None:
    brief = reviewed(folder, "E4", 1)
    result = run_measured([SCENMATRIX, "import", str(brief), "-s", "small.yaml", "--apply"], timeout=60, cwd=folder)
    assert result.returncode == 0, result.stderr
    assert "~ impact S1/A: effect: 2 → 1" in result.stdout
    assert "column(s) 'Reviewer comment' are not the brief's; ignored" in result.stdout
    assert "effect: 1" in (folder / "small.yaml").read_text(encoding="utf-8")


def test_a_far_cell_is_read_in_a_moment(folder: Path) -> None:
    brief = reviewed(folder, "Z1048576", "far away")
    result = run_measured([SCENMATRIX, "import", str(brief), "-s", "small.yaml"], timeout=60, cwd=folder)
    assert result.returncode == 0, result.stderr
    assert result.seconds < 10 and result.peak_mb < 300, (result.seconds, result.peak_mb)
