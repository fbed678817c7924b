"""Budgets (issue 13), measured on real processes: work the tool would do for weeks is refused at once
with its size and the option that allows it, and memory stays bounded however much is asked for.

Before: `brief` and `analyze` of a study with a 20 x 5 `cib:` model ran for an estimated 14 days,
`cib scenarios -k 60` on a 12 x 5 matrix reached 10.8 GB in 60 s, `analyze --samples 10000000` 3.9 GB,
and a 19 MB single-line CSV took 30 s and 2.9 GB to refuse.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import numpy as np
import pytest

from conftest import VALID_STUDY
from hardening import ROOT, SCENMATRIX, report, run_measured
from scenmatrix.analysis.budgets import CIB_BASIN_SAMPLE, MAX_CIB_BASIN_STATES
from scenmatrix.analysis.cib import CIBMatrix
from scenmatrix.store import cib_csv

pytestmark = pytest.mark.slow

sys.path.insert(0, str(ROOT / "tests" / "unit" / "analysis"))
from test_budgets import with_big_cib  # noqa: E402

FAST_SECONDS = 10.0   # a refusal, or a bounded run: the interpreter, the imports, and a little work
SMALL_MB = 200.0      # the interpreter and the command's imports (about 100 MB with pandas) plus a little


def matrix_csv(path: Path, descriptors: int, variants: int) -> Path:
    rng = np.random.default_rng(1)
    n = descriptors * variants
    judgments = rng.integers(-3, 4, size=(n, n))
    for d in range(descriptors):
        judgments[d * variants:(d + 1) * variants, d * variants:(d + 1) * variants] = 0
    m = CIBMatrix(tuple(f"D{d}" for d in range(descriptors)),
                  tuple(tuple(f"v{v}" for v in range(variants)) for _ in range(descriptors)), judgments)
    path.write_text(cib_csv.format_matrix(m), encoding="utf-8")
    return path


def test_cib_scenarios_on_a_20_by_5_matrix_searches_within_its_node_budget_and_says_what_it_proved(
        tmp_path: Path) -> None:
    path = matrix_csv(tmp_path / "m20x5.csv", 20, 5)
    run = run_measured([SCENMATRIX, "cib", "scenarios", str(path), "--max-nodes", "300000"], timeout=60)
    assert run.returncode == 0, run.stderr[-300:]
    assert re.search(rf"{re.escape(str(path))}: warning: searched \d+ % of the space \([\d.,×⁰¹²³⁴⁵⁶⁷⁸⁹]+ of "
                     r"9\.5×10¹³ scenarios\) in 3\d\d,\d\d\d nodes: found \d+ consistent scenarios?; others may "
                     r"exist — pass --max-nodes N", run.stderr), run.stderr[-400:]
    assert run.seconds < FAST_SECONDS and run.peak_mb < SMALL_MB, (run.seconds, run.peak_mb)
    report("budget: cib scenarios, 20 x 5, 300,000 nodes", seconds=round(run.seconds, 2), peak_mb=round(run.peak_mb))


def test_a_wide_k_keeps_only_the_limit_in_memory(tmp_path: Path) -> None:
    """-k 60 matches every one of 1,953,125 scenarios; at most --limit are kept and listed."""
    path = matrix_csv(tmp_path / "m9x5.csv", 9, 5)
    run = run_measured([SCENMATRIX, "cib", "scenarios", str(path), "-k", "60", "--limit", "1000"], timeout=60)
    assert run.returncode == 0, run.stderr[-300:]
    assert len(run.stdout.splitlines()) == 1 + 1000
    assert "1,953,125 scenarios with inconsistency <= 60 of 1,953,125; only the 1,000 least inconsistent are " \
           "listed, 1,952,125 are not" in run.stderr
    assert run.seconds < FAST_SECONDS and run.peak_mb < SMALL_MB, (run.seconds, run.peak_mb)
    report("budget: cib scenarios -k 60, 9 x 5", seconds=round(run.seconds, 2), peak_mb=round(run.peak_mb))


def test_ten_million_monte_carlo_draws_stay_bounded_in_memory(tmp_path: Path) -> None:
    path = tmp_path / "study.yaml"
    path.write_text(VALID_STUDY, encoding="utf-8")
    run = run_measured([SCENMATRIX, "analyze", str(path), "--samples", "10000000"], timeout=120)
    assert run.returncode == 0, run.stderr[-300:]
    assert "10,000,000 Monte Carlo draws" in run.stdout
    # One float64 per draw for the actor summarized (80 MB), a chunk of draws, and the imports; before: 790 MB.
    assert run.seconds < 30 and run.peak_mb < 350, (run.seconds, run.peak_mb)
    report("budget: analyze --samples 10,000,000", seconds=round(run.seconds, 2), peak_mb=round(run.peak_mb))


def test_a_19_mb_single_line_csv_is_refused_before_it_is_tokenized(tmp_path: Path) -> None:
    path = tmp_path / "one-line.csv"
    path.write_text(",," + ",".join("1" for _ in range(9_500_000)) + "\n", encoding="utf-8")
    assert 18_000_000 < path.stat().st_size < cib_csv.MAX_CSV_BYTES
    run = run_measured([SCENMATRIX, "cib", "check", str(path)], timeout=60)
    assert run.returncode == 1, run.stderr[-300:]
    assert f"{path}:1:" in run.stderr and "a matrix row has at most" in run.stderr
    assert run.seconds < 5 and run.peak_mb < SMALL_MB, (run.seconds, run.peak_mb)
    report("budget: 19 MB single-line CSV", seconds=round(run.seconds, 2), peak_mb=round(run.peak_mb))


@pytest.mark.parametrize("command", ["analyze", "brief"])
def test_a_study_with_a_20_by_5_cib_model_is_analysed_and_briefed_at_once(tmp_path: Path, command: str) -> None:
    path = with_big_cib(tmp_path)
    # the search of a model whose every scenario is consistent stops at its budget: the brief's own, or a
    # small one given to analyze
    args = (["analyze", str(path), "--max-nodes", "300000"] if command == "analyze"
            else ["brief", str(path), "-o", str(tmp_path / "b.xlsx")])
    run = run_measured([SCENMATRIX, *args], timeout=60)
    assert run.returncode == 0, run.stderr[-300:]
    if command == "analyze":
        assert "of 9.5×10¹³ scenarios) in 300,000 nodes: found" in run.stdout and "others may exist" in run.stdout
    assert run.seconds < FAST_SECONDS and run.peak_mb < SMALL_MB, (run.seconds, run.peak_mb)
    report(f"budget: {command} of a study with a 20 x 5 cib model", seconds=round(run.seconds, 2),
           peak_mb=round(run.peak_mb))


def test_cib_basins_on_a_20_by_5_matrix_samples_and_says_so(tmp_path: Path) -> None:
    path = matrix_csv(tmp_path / "m20x5.csv", 20, 5)
    run = run_measured([SCENMATRIX, "cib", "basins", str(path)], timeout=60)
    assert run.returncode == 0, run.stderr[-300:]
    assert f"uniform sample of {CIB_BASIN_SAMPLE:,} start scenarios (seed 0) of the 9.5×10¹³" in run.stdout
    assert run.seconds < FAST_SECONDS and run.peak_mb < SMALL_MB, (run.seconds, run.peak_mb)
    report("budget: cib basins, 20 x 5, default sample", seconds=round(run.seconds, 2), peak_mb=round(run.peak_mb))


def test_cib_basins_at_the_scan_budget_follows_every_scenario_in_seconds(tmp_path: Path) -> None:
    """4^9 x 3 = 786,432 scenarios, under MAX_CIB_BASIN_SCAN: every one is followed."""
    rng = np.random.default_rng(2)
    sizes = (4,) * 9 + (3,)
    n = sum(sizes)
    judgments = rng.integers(-3, 4, size=(n, n))
    start = 0
    for size in sizes:
        judgments[start:start + size, start:start + size] = 0
        start += size
    m = CIBMatrix(tuple(f"D{d}" for d in range(10)), tuple(tuple(f"v{v}" for v in range(s)) for s in sizes),
                  judgments)
    path = tmp_path / "m786k.csv"
    path.write_text(cib_csv.format_matrix(m), encoding="utf-8")
    run = run_measured([SCENMATRIX, "cib", "basins", str(path)], timeout=60)
    assert run.returncode == 0, run.stderr[-300:]
    assert "global succession followed from every one of the 786,432 scenarios" in run.stdout
    assert run.seconds < FAST_SECONDS and run.peak_mb < SMALL_MB, (run.seconds, run.peak_mb)
    report("budget: cib basins, 786,432 scenarios", seconds=round(run.seconds, 2), peak_mb=round(run.peak_mb))


def test_cib_basins_walks_stop_at_the_states_budget_in_bounded_memory(tmp_path: Path) -> None:
    """A million starts on a 20 x 5 matrix whose walks are long: they stop at MAX_CIB_BASIN_STATES."""
    path = matrix_csv(tmp_path / "m20x5.csv", 20, 5)
    run = run_measured([SCENMATRIX, "cib", "basins", str(path), "--sample", "1000000", "--json"], timeout=120)
    assert run.returncode == 0, run.stderr[-300:]
    assert "warning: stopped after " in run.stderr and f"passed through {MAX_CIB_BASIN_STATES:,} distinct" in run.stderr
    data = json.loads(run.stdout)
    assert data["sampled"] and 0 < data["scanned"] < 1_000_000
    assert sum(b["size"] for b in data["basins"]) == data["scanned"]
    assert run.seconds < 60 and run.peak_mb < 2 * SMALL_MB, (run.seconds, run.peak_mb)
    report("budget: cib basins --sample 1000000, 20 x 5", seconds=round(run.seconds, 2), peak_mb=round(run.peak_mb))
