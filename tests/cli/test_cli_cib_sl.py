"""`cib scenarios MATRIX --sl OUT.sl` (issue 17): the scenarios found, written as a ScenarioWizard solution
set, laid out as the public ones ScenarioWizard wrote (tests/data/cib) and read back to the same set."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest

from hardening import ROOT, SCENMATRIX
from scenmatrix.store import cib_scw

DATA = ROOT / "tests" / "data" / "cib"
LINE = re.compile(r'"([\d ]+)",(\d+),(-?\d+),(\d+),(-?\d+),""')


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([SCENMATRIX, *args], cwd=cwd, capture_output=True, text=True, timeout=300)


def fields(text: str) -> dict[str, tuple[str, ...]]:
    """code -> (basin, consistency value, third, total impact score) of each solution line."""
    return {m.group(1): m.groups()[1:] for m in map(LINE.fullmatch, text.splitlines()[4:]) if m}


def test_the_solutions_of_cib_global_are_scenariowizards_own_lines(tmp_path: Path) -> None:
    out = tmp_path / "g.sl"
    result = run("cib", "scenarios", str(DATA / "CIB_global.scw"), "--sl", str(out), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert f"wrote {out}" in result.stderr
    data = out.read_bytes()
    assert data.startswith(b"$ ScenarioWizard 3.0\r\nSolution set\r\n 4 \r\n\r\n") and data.endswith(b'""\r\n')
    ours = data.decode("cp1252").replace("\r\n", "\n").splitlines()
    theirs = (DATA / "CIB_global.sl").read_text(encoding="cp1252").splitlines()
    assert ours[:4] == theirs[:4]
    assert sorted(ours[4:]) == sorted(theirs[4:])  # basins, consistency values, scores: every number


def test_a_larger_space_agrees_but_for_the_basins_it_does_not_count(tmp_path: Path) -> None:
    out = tmp_path / "n.sl"
    assert run("cib", "scenarios", str(DATA / "CIB_natl_regional.scw"), "--sl", str(out), cwd=tmp_path).returncode == 0
    ours = fields(out.read_bytes().decode("cp1252"))
    theirs = fields((DATA / "CIB_natl_regional.sl").read_text(encoding="cp1252"))
    assert ours.keys() == theirs.keys() and len(ours) == 16
    assert {code: f[1:] for code, f in ours.items()} == {code: f[1:] for code, f in theirs.items()}
    assert {f[0] for f in ours.values()} == {"0"}  # 22.7 million scenarios: not followed, so not counted


def test_a_solution_set_reads_back_to_the_scenarios_listed_with_k(tmp_path: Path) -> None:
    out = tmp_path / "k.sl"
    matrix = DATA / "somewhereland.csv"
    result = run("cib", "scenarios", str(matrix), "-k", "2", "--sl", str(out), "--json", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    listed = json.loads(result.stdout)["scenarios"]
    m = cib_scw.parse_solutions(out.read_bytes(), _matrix(matrix)).scenarios
    assert ["".join(str(v + 1) for v in s) for s in m] == [s["code"] for s in listed]
    values = [int(f[1]) for f in fields(out.read_bytes().decode("cp1252")).values()]
    incons = {s["code"]: s["inconsistency"] for s in listed}
    # an inconsistent scenario's consistency value is minus its inconsistency
    assert any(v < 0 for v in values) and any(v >= 0 for v in values)
    assert sorted(v for v in values if v < 0) == sorted(-i for i in incons.values() if i > 0)


def _matrix(path: Path):
    from scenmatrix.store.cib_files import read_matrix

    return read_matrix(path).matrix


@pytest.mark.parametrize("target, message", [
    ("out.txt", "does not end in .sl"),
    ("m.sl", None),
])
def test_a_wrong_output_is_refused_before_the_search(tmp_path: Path, target: str, message: str | None) -> None:
    matrix = tmp_path / "m.sl" if message is None else DATA / "CIB_global.scw"
    if message is None:  # a matrix named .sl: writing the solutions there would destroy it
        matrix.write_bytes((DATA / "somewhereland.csv").read_bytes())
        message = "is the matrix this command reads"
    before = matrix.read_bytes()
    result = run("cib", "scenarios", str(matrix), "--sl", str(tmp_path / target), cwd=tmp_path)
    assert result.returncode == 2 and message in result.stderr, result.stderr
    assert matrix.read_bytes() == before and not (tmp_path / "out.txt").exists()
