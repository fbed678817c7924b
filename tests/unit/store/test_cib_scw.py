"""ScenarioWizard .scw matrices and .sl solution sets, on the real public files in tests/data/cib (README there)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import numpy as np
import pytest

from scenmatrix.analysis import cib
from scenmatrix.errors import ScenmatrixError
from scenmatrix.store import cib_csv, cib_files, cib_scw
from hardening import SCENMATRIX

DATA = Path(__file__).resolve().parents[2] / "data" / "cib"
SCW = sorted(DATA.glob("*.scw"))
WITH_SOLUTIONS = [p for p in SCW if p.with_suffix(".sl").exists()]


def test_the_real_files_are_here():
    assert len(SCW) >= 5 and len(WITH_SOLUTIONS) >= 5


@pytest.mark.parametrize("path", SCW, ids=lambda p: p.name)
def test_read_write_read_gives_the_same_matrix_and_bytes(path, tmp_path):
    loaded = cib_scw.read_scw(path)
    out = tmp_path / path.name
    cib_scw.write_scw(out, loaded.matrix, loaded.parts)
    assert out.read_bytes() == path.read_bytes()
    again = cib_scw.read_scw(out)
    assert again.matrix == loaded.matrix and again.parts == loaded.parts


def test_global_model_as_scenariowizard_saved_it():
    m = cib_scw.read_scw(DATA / "CIB_global.scw").matrix
    assert m.descriptors == ("WTRD", "WSEC", "WECO")
    assert m.variants[2] == ("Decl", "Stag", "ModGr", "RpdGr")
    assert m.judgments[0].tolist() == [0, 0, 0, 1, 2, -3, -4, -2, 3, 3]
    assert m.judgments[9, 1] == -6  # an aggregated judgment, beyond the -3..+3 of a hand-written one


@pytest.mark.parametrize("path", WITH_SOLUTIONS, ids=lambda p: p.name)
def test_consistent_scenarios_agree_with_scenariowizards_solution_set(path):
    _agree(path, cib.search_scenarios)  # branch and bound: 0.01 s each
    if path.name not in SLOW_TO_SCAN:
        _agree(path, cib.enumerate_scenarios)


SLOW_TO_SCAN = {"CIB_nested.scw": "408 million scenarios: 10 s", "bench_50x50.scw": "60 million: 1.5 s"}


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(SLOW_TO_SCAN))
def test_the_largest_files_agree_when_scanned_too(name):
    _agree(DATA / name, cib.enumerate_scenarios)


def test_the_peer_benchmark_has_the_five_scenarios_its_authors_state():
    # CrossImpactBalances.jl's BENCHMARK_THREEWAY_RESULTS.md: kernel {1984298, 8693546, 11540522, 19807290,
    # 31030843}, its signatures: 0-based mixed-radix numbers with the first descriptor fastest.
    m = cib_scw.read_scw(DATA / "bench_50x50.scw").matrix
    assert m.n_scenarios == 60_466_176 and len(m.sizes) == 15
    found = cib.find_scenarios(m, 0)
    strides = np.cumprod((1,) + m.sizes[:-1])
    assert sorted(int(np.dot(s, strides)) for s, _, _ in found) == [1984298, 8693546, 11540522, 19807290,
                                                                    31030843]


def _agree(path: Path, engine) -> None:
    m = cib_scw.read_scw(path).matrix
    solutions = cib_scw.read_solutions(path.with_suffix(".sl"), m)
    found = engine(m, 0)
    mine = {s: total for s, _, total in found}
    assert set(mine) == set(solutions.scenarios) and solutions.declared == len(solutions.scenarios)
    assert [mine[s] for s in solutions.scenarios] == list(solutions.scores)  # the saved total impact scores


def test_self_impacts_count_as_in_scenariowizard():
    # This file's last descriptor judges itself; ScenarioWizard's solutions hold only if that counts.
    m = cib_scw.read_scw(DATA / "CIB_natl_regional.scw").matrix
    last = slice(m.offsets[-1], m.offsets[-1] + m.sizes[-1])
    assert m.judgments[last, last].any()
    ignored = cib.CIBMatrix(m.descriptors, m.variants, np.where(_own_blocks(m), 0, m.judgments), scale=99)
    solutions = set(cib_scw.read_solutions(DATA / "CIB_natl_regional.sl", m).scenarios)
    assert {s for s, _, _ in cib.enumerate_scenarios(ignored)} != solutions


def _own_blocks(m: cib.CIBMatrix) -> np.ndarray:
    owner = np.repeat(np.arange(len(m.sizes)), m.sizes)
    return owner[:, None] == owner[None, :]


def test_a_changed_judgment_changes_only_its_row_and_keeps_notes_and_colours(tmp_path):
    loaded = cib_scw.read_scw(DATA / "CIB_nested_simplified_standardized.scw")
    J = loaded.matrix.judgments.copy()
    J[0, 3] = -J[0, 3] - 1
    changed = cib.CIBMatrix(loaded.matrix.descriptors, loaded.matrix.variants, J, scale=99, self_impacts=True)
    out = tmp_path / "changed.scw"
    cib_scw.write_scw(out, changed, loaded.parts)
    before = (DATA / "CIB_nested_simplified_standardized.scw").read_bytes().split(b"\n")
    after = out.read_bytes().split(b"\n")
    assert len(after) == len(before)
    assert [k for k, (a, b) in enumerate(zip(before, after)) if a != b] == [_row0(before)]
    assert cib_scw.read_scw(out).matrix == changed
    assert b"Slow urbanization allows" in out.read_bytes()


def _row0(lines: list[bytes]) -> int:
    hashes = [k for k, line in enumerate(lines) if line.startswith(b"#")]
    return hashes[4] + 1


def test_a_csv_matrix_written_as_scw_reads_back_the_same(tmp_path):
    m = cib_csv.read_matrix(DATA / "somewhereland.csv").matrix
    out = tmp_path / "somewhereland.scw"
    cib_scw.write_scw(out, m)
    text = out.read_bytes()
    assert text.startswith(b"$ ScenarioWizard 4.0\r\nsomewhereland.scw\r\n&") and b"\r\nFFFFFF\r\n" in text
    back = cib_scw.read_scw(out)
    assert back.matrix == m
    assert len(back.parts.sections[2]) == m.n_variants  # a colour per variant
    assert cib_files.read_matrix(out).matrix == m


def test_variants_added_write_fresh_sections(tmp_path):
    loaded = cib_scw.read_scw(DATA / "CIB_global.scw")
    m = loaded.matrix
    bigger = cib.CIBMatrix(m.descriptors + ("NEW",), m.variants + (("x", "y"),),
                           np.pad(m.judgments, ((0, 2), (0, 2))), scale=99, self_impacts=True)
    out = tmp_path / "bigger.scw"
    cib_scw.write_scw(out, bigger, loaded.parts)
    back = cib_scw.read_scw(out)
    assert back.matrix == bigger and len(back.parts.sections[2]) == 12
    assert sum(1 for line in back.parts.notes if line.startswith("# ")) == 1 + 4 + 16


@pytest.mark.parametrize("text, line, col, code", [
    ("A,B\n", 1, 1, "cib-file"),
    ("$ ScenarioWizard 4.0\nt\n&A\n -a1\n -a2\n", 5, 1, "cib-layout"),
    ("$ ScenarioWizard 4.0\nt\n&A\n -a1\n -a2\n&B\n -b1\n -b2\n#\n#\n#\n#\n#\n"
     " 0 , 0 , 1 ,-1 \n 0 , 0 ,x ,-1 \n 0 , 0 , 0 , 0 \n 0 , 0 , 0 , 0 \n#\n", 15, 9, "cib-judgment"),
    ("$ ScenarioWizard 4.0\nt\n&A\n -a1\n -a2\n&B\n -b1\n -b2\n#\n#\n#\n#\n#\n"
     " 0 , 0 , 1 \n 0 , 0 , 0 , 0 \n 0 , 0 , 0 , 0 \n 0 , 0 , 0 , 0 \n#\n", 14, 1, "cib-ragged"),
    ("$ ScenarioWizard 4.0\nt\n&A\n -a1\n -a2\n&B\n -b1\n -b2\n#\n#\n#\n#\n#\n 0 , 0 , 0 , 0 \n#\n",
     14, 1, "cib-square"),
    ("$ ScenarioWizard 4.0\nt\n&A\n -a1\n -a2\n&B\n -b1\n -b2\n#\n#\n#\n#\n#\n"
     " 0 , 0 , 100 , 0 \n 0 , 0 , 0 , 0 \n 0 , 0 , 0 , 0 \n 0 , 0 , 0 , 0 \n#\n", 14, 9, "cib-judgment"),
])
def test_bad_files_are_refused_at_their_line(text, line, col, code):
    with pytest.raises(ScenmatrixError) as caught:
        cib_scw.parse_scw(text.encode(), "m.scw")
    first = caught.value.problems[0]
    assert (first.line, first.col, first.code) == (line, col, code), str(caught.value)


def test_a_huge_file_is_refused_before_it_is_split():
    text = "$ ScenarioWizard 4.0\n" + "#\n" * 200_000
    with pytest.raises(ScenmatrixError, match="lines"):
        cib_scw.parse_scw(text, "m.scw")


def test_a_solution_set_for_another_matrix_is_refused():
    m = cib_scw.read_scw(DATA / "CIB_global.scw").matrix
    with pytest.raises(ScenmatrixError, match="not a scenario of the matrix"):
        cib_scw.read_solutions(DATA / "CIB_nested.sl", m)


def test_cli_reads_scw_like_csv():
    run = subprocess.run([SCENMATRIX, "cib", "scenarios", str(DATA / "CIB_global.scw"), "--json"],
                         capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    codes = {s["code"] for s in json.loads(run.stdout)["scenarios"]}
    assert codes == {"222", "123", "313", "232"}
    check = subprocess.run([SCENMATRIX, "cib", "check", str(DATA / "CIB_global.scw")], capture_output=True,
                           text=True, timeout=60)
    assert check.returncode == 0 and "3 descriptors, 10 variants, 36 scenarios" in check.stdout


def test_cli_promotes_a_scenario_of_a_scw_model(tmp_path):
    study = tmp_path / "study.yaml"
    study.write_bytes((Path(__file__).resolve().parents[3] / "scenarios" / "russia-iran-2022.yaml").read_bytes())
    run = subprocess.run([SCENMATRIX, "cib", "promote", str(DATA / "CIB_global.scw"), "313", "-s", str(study),
                          "--id", "S9", "--title", "Mixed trade", "--likelihood", "unlikely", "--confidence", "low"],
                         capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    assert "scenario 313 of CIB_global.scw: WTRD: Mix; WSEC: Rlx; WECO: ModGr. Inconsistency 0, total impact " \
           "score 12." in study.read_text(encoding="utf-8")
