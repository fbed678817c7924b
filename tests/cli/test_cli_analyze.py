"""`scenmatrix analyze` through a real process: the value it ranks by beside the rank, and alignments that
say how many scenarios they rest on (issue 14)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from conftest import SMALL
from hardening import SCENMATRIX

BOTH_IN_S2 = SMALL.replace(
    "      A: {effect: -1, domains: [political], confidence: moderate, rationale: Alpha loses a little}",
    "      A: {effect: -1, domains: [political], confidence: moderate, rationale: Alpha loses a little}\n"
    "      B: {effect: 2, domains: [political], confidence: moderate, rationale: Beta gains}")


def analyze(tmp_path: Path, text: str, *args: str) -> subprocess.CompletedProcess:
    (tmp_path / "s.yaml").write_text(text, encoding="utf-8")
    return subprocess.run([SCENMATRIX, "analyze", "s.yaml", *args], cwd=tmp_path, capture_output=True, text=True,
                          timeout=120)


def test_the_rank_stands_beside_the_expected_harm_it_ranks_by(tmp_path: Path) -> None:
    lines = analyze(tmp_path, SMALL).stdout.splitlines()
    header = lines[2].split()
    assert header[4:6] == ["exp.harm", "harm#"]
    beta = next(line.split() for line in lines if line.startswith("B "))
    assert beta[4:6] == ["-2.03", "1"]  # -3 x 67.5 %, ranked first


def test_a_pair_resting_on_one_shared_scenario_is_no_finding(tmp_path: Path) -> None:
    out = analyze(tmp_path, SMALL).stdout  # Alpha and Beta meet in S1 only
    pairs = out[out.index("Strongest alignments"):]
    assert "Alpha" not in pairs and "shared" in pairs
    data = json.loads(analyze(tmp_path, SMALL, "--json").stdout)
    assert data["alignment_pairs"] == [] and data["alignment"]["A"]["B"] is None


def test_a_pair_on_two_shared_scenarios_is_shown_with_their_count(tmp_path: Path) -> None:
    out = analyze(tmp_path, BOTH_IN_S2).stdout
    row = next(line for line in out.splitlines() if line.startswith("opposed"))
    assert row.split()[1:3] == ["Alpha", "Beta"] and row.split()[-1] == "2"
    assert json.loads(analyze(tmp_path, BOTH_IN_S2, "--json").stdout)["alignment_pairs"][0]["shared"] == 2
