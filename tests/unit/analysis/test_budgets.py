"""Budgets (issue 13): every analysis says how much work it will do, refuses more with the size and the
option that allows it, and keeps its memory bounded however big the request."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from scenmatrix.analysis import budgets, cib, cib_reports, impacts
from scenmatrix.analysis.cib import CIBError, CIBMatrix, ScenarioBudgetError
from scenmatrix.cli.app import cli
from scenmatrix.store import cib_csv

SOMEWHERELAND = Path(__file__).resolve().parents[2] / "data" / "cib" / "somewhereland.csv"
DEFAULT = Path(__file__).resolve().parents[3] / "scenarios" / "russia-iran-2022.yaml"


def uniform(descriptors: int, variants: int, seed: int = 1) -> CIBMatrix:
    rng = np.random.default_rng(seed)
    n = descriptors * variants
    judgments = rng.integers(-3, 4, size=(n, n))
    for d in range(descriptors):
        judgments[d * variants:(d + 1) * variants, d * variants:(d + 1) * variants] = 0
    return CIBMatrix(tuple(f"D{d}" for d in range(descriptors)),
                     tuple(tuple(f"v{v}" for v in range(variants)) for _ in range(descriptors)), judgments)


def big_cib(descriptors: int, variants: int) -> str:
    """A study's `cib:` section with `descriptors` x `variants` (one judgment group, balanced)."""
    lines = ["cib:", "  note: A large generated model.", "  descriptors:"]
    for d in range(descriptors):
        lines += [f"    d{d}:", f"      title: Descriptor {d}", "      variants:"]
        lines += [f"        v{v}: Variant {v}" for v in range(variants)]
    lines += ["  judgments:", "    d0.v0:", "      d1.v0: 1", "      d1.v1: -1"]
    return "\n".join(lines) + "\n"


def with_big_cib(tmp_path: Path, descriptors: int = 20, variants: int = 5) -> Path:
    text = DEFAULT.read_text(encoding="utf-8")
    path = tmp_path / "big.yaml"
    path.write_text(text[:text.index("\ncib:") + 1] + big_cib(descriptors, variants), encoding="utf-8")
    (tmp_path / "study.schema.json").write_bytes((DEFAULT.parent / "study.schema.json").read_bytes())
    return path


# --------------------------------------------------------------------------------------------
# Scenario space


def test_a_space_above_the_budget_is_refused_with_its_size_time_and_option() -> None:
    m = uniform(20, 5)
    with pytest.raises(ScenarioBudgetError) as caught:
        cib.enumerate_scenarios(m)
    problem = caught.value.problems[0]
    assert "9.5×10¹³ scenarios (20 descriptors, 100 variants)" in problem.message
    assert f"refused above {budgets.MAX_CIB_SCENARIOS:,}" in problem.message and "days" in problem.message
    assert "--max-scenarios N" in problem.hint
    assert caught.value.n_scenarios == 5 ** 20 and caught.value.limit == budgets.MAX_CIB_SCENARIOS
    assert isinstance(caught.value, CIBError)


def test_max_scenarios_moves_the_budget_both_ways() -> None:
    m = cib_csv.read_matrix(SOMEWHERELAND).matrix  # 486 scenarios
    with pytest.raises(ScenarioBudgetError, match="has 486 scenarios"):
        cib.enumerate_scenarios(m, max_scenarios=485)
    assert cib.enumerate_scenarios(m, max_scenarios=486).scanned == 486


def test_space_size_reads_as_people_write_it() -> None:
    assert cib.space_size(486) == "486"
    assert cib.space_size(244_140_625) == "244,140,625"
    assert cib.space_size(5 ** 20) == "9.5×10¹³"


@pytest.mark.parametrize("chunk_cells", [cib.CHUNK_CELLS, 17 * 3])
@pytest.mark.parametrize("limit", [1, 7, 40])
def test_a_limit_keeps_the_least_inconsistent_in_listing_order(chunk_cells: int, limit: int) -> None:
    m = cib_csv.read_matrix(SOMEWHERELAND).matrix
    everything = cib.enumerate_scenarios(m, 4, limit=None, chunk_cells=chunk_cells, workers=1)
    kept = cib.enumerate_scenarios(m, 4, limit=limit, chunk_cells=chunk_cells, workers=1)
    assert len(everything) > 40
    assert list(kept.sorted()) == list(everything.sorted())[:limit]
    assert list(kept.indices) == sorted(kept.indices)
    assert kept.matched == len(everything) and kept.left_out == len(everything) - limit


def test_a_listing_says_how_many_were_left_out_and_its_json_streams_as_a_whole() -> None:
    m = cib_csv.read_matrix(SOMEWHERELAND).matrix
    listing = cib_reports.list_scenarios(m, 3, source="s.csv", limit=5)
    assert "; only the 5 least inconsistent are listed" in listing.summary and "--limit N" in listing.summary
    data = listing.to_json()
    assert len(data["scenarios"]) == 5 and data["matched"] == 5 + data["left_out"] > 5
    assert "".join(listing.json_text()) == json.dumps(data, indent=2, ensure_ascii=False)
    empty = cib_reports.list_scenarios(uniform(2, 2, seed=0), 0, source="e.csv")
    assert json.loads("".join(empty.json_text())) == empty.to_json()


def test_cib_scenarios_searches_a_big_matrix_within_its_node_budget_and_says_so(tmp_path: Path) -> None:
    path = tmp_path / "big.csv"
    path.write_text(cib_csv.format_matrix(uniform(20, 5)), encoding="utf-8")
    result = CliRunner().invoke(cli, ["cib", "scenarios", str(path), "--max-nodes", "20000"])
    assert result.exit_code == 0, result.output
    assert f"{path}: warning: searched " in result.stderr and "9.5×10¹³ scenarios) in 2" in result.stderr
    assert "others may exist — pass --max-nodes N to search further" in result.stderr
    # A space beyond --max-scenarios is searched, not scanned: the search settles this one exactly.
    small = CliRunner().invoke(cli, ["cib", "scenarios", str(SOMEWHERELAND), "--max-scenarios", "100"])
    assert small.exit_code == 0 and "10 consistent scenarios of 486" in small.stderr


def test_cib_scenarios_limit_lists_that_many(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["cib", "scenarios", str(SOMEWHERELAND), "-k", "5", "--limit", "3"])
    assert result.exit_code == 0, result.output
    assert len(result.stdout.splitlines()) == 1 + 3
    assert "only the 3 least inconsistent are listed" in result.stderr


def test_help_shows_every_budget_as_a_default() -> None:
    scenarios = CliRunner().invoke(cli, ["cib", "scenarios", "--help"]).stdout
    assert f"default: {budgets.MAX_CIB_SCENARIOS}" in scenarios and f"default: {budgets.MAX_LISTED}" in scenarios
    analyze = CliRunner().invoke(cli, ["analyze", "--help"]).stdout
    assert f"{budgets.MAX_SAMPLES:,}" in analyze and f"default: {budgets.MAX_CIB_SCENARIOS}" in analyze


# --------------------------------------------------------------------------------------------
# A study's own cross-impact model


def test_analyze_searches_a_20_by_5_model_within_its_node_budget_and_says_what_it_proved(tmp_path: Path) -> None:
    """Every scenario of this model is consistent (one judgment): the search stops at --max-nodes, lists
    MAX_STUDY_CIB_LISTED, counts the rest it found, and claims nothing of the space it did not settle."""
    path = with_big_cib(tmp_path)
    result = CliRunner().invoke(cli, ["analyze", str(path), "--samples", "200", "--max-nodes", "300000"])
    assert result.exit_code == 0, result.output
    assert "Strongest alignments and oppositions" in result.stdout
    assert re.search(r"Cross-impact balance: [\d,]+ consistent scenarios found in part of 9\.5×10¹³ \(analyst "
                     rf"judgment\); the first {budgets.MAX_STUDY_CIB_LISTED:,} are listed", result.stdout)
    assert re.search(r"warning: searched \d+ % of the space \([\d.,×⁰¹²³⁴⁵⁶⁷⁸⁹]+ of 9\.5×10¹³ scenarios\) in "
                     r"300,000 nodes: found [\d,]+ consistent scenarios; others may exist — pass --max-nodes N",
                     result.stdout), result.stdout[-600:]
    data = json.loads(CliRunner().invoke(cli, ["analyze", str(path), "--json", "--samples", "200",
                                               "--max-nodes", "300000"]).stdout)
    model = data["cib"]
    assert model["complete"] is False and model["nodes"] == 300_000 and model["space"] == 5 ** 20
    assert 0 < model["scanned"] < 5 ** 20 and len(model["scenarios"]) == budgets.MAX_STUDY_CIB_LISTED
    assert model["left_out"] > 0 and data["actors"]


def test_analyze_max_scenarios_is_still_accepted_and_the_search_is_exact_either_way(tmp_path: Path) -> None:
    path = with_big_cib(tmp_path, 3, 2)
    runs = [json.loads(CliRunner().invoke(cli, ["analyze", str(path), "--json", "--samples", "200",
                                                "--max-scenarios", n]).stdout)["cib"] for n in ("8", "7", "1")]
    assert all(run["complete"] and run["scanned"] == 8 for run in runs)
    assert runs[0]["scenarios"] == runs[1]["scenarios"] == runs[2]["scenarios"] != []
    shown = CliRunner().invoke(cli, ["analyze", "--help"]).stdout
    assert "a larger one is only searched" in " ".join(shown.split())


def test_the_brief_searches_a_large_model_within_its_budget_and_says_so(tmp_path: Path) -> None:
    import openpyxl

    path = with_big_cib(tmp_path)
    out = tmp_path / "brief.xlsx"
    result = CliRunner().invoke(cli, ["brief", str(path), "-o", str(out)])
    assert result.exit_code == 0, result.output
    sheet = openpyxl.load_workbook(out)["Cross-impact"]
    text = " ".join(str(c) for row in sheet.iter_rows(values_only=True) for c in row if c is not None)
    assert "Consistent scenarios found:" in text and "in the part of the space searched" in text
    assert f"in {budgets.MAX_BRIEF_CIB_NODES:,} nodes" in text
    assert "others may exist — `scenmatrix brief --max-nodes N` searches further" in text
    assert "Cross-impact judgments" in text and "--max-scenarios" not in text
    smaller = tmp_path / "smaller.xlsx"
    assert CliRunner().invoke(cli, ["brief", str(path), "-o", str(smaller), "--max-nodes", "100000"]).exit_code == 0
    sheet = openpyxl.load_workbook(smaller)["Cross-impact"]
    text = " ".join(str(c) for row in sheet.iter_rows(values_only=True) for c in row if c is not None)
    assert "in 100,000 nodes" in text


# --------------------------------------------------------------------------------------------
# Monte Carlo


def test_monte_carlo_in_chunks_gives_the_figures_of_one_draw(monkeypatch) -> None:
    rng = np.random.default_rng(3)
    effects = rng.integers(-3, 4, size=(5, 9)).astype(float)
    m = pd.DataFrame(effects, index=[f"S{i}" for i in range(5)], columns=[f"A{i}" for i in range(9)])
    bands = rng.uniform(0, 0.5, 5)
    scenarios = pd.DataFrame({"id": list(m.index), "probability_low": bands, "probability_high": bands + 0.3})
    whole = impacts.monte_carlo(m, scenarios, samples=3000, seed=4)
    monkeypatch.setattr(impacts, "MC_DRAW_ROWS", 7)     # draws made 7 rows at a time
    monkeypatch.setattr(impacts, "MC_CELLS", 2 * 3000)  # two actors a pass
    chunked = impacts.monte_carlo(m, scenarios, samples=3000, seed=4)
    assert np.allclose(chunked.to_numpy(), whole.to_numpy(), rtol=0, atol=1e-12)


def test_monte_carlo_draws_are_those_of_one_uniform_call() -> None:
    low, high = np.array([0.1, 0.2, 0.05]), np.array([0.4, 0.3, 0.9])
    effects = np.eye(3)
    net = impacts._net_impacts(low, high, effects, 1000, 9)
    assert np.array_equal(net, np.random.default_rng(9).uniform(low, high, size=(1000, 3)))


def test_samples_above_the_maximum_are_a_usage_error() -> None:
    result = CliRunner().invoke(cli, ["analyze", str(DEFAULT), "--samples", str(budgets.MAX_SAMPLES + 1)])
    assert result.exit_code == 2 and "--samples" in result.stderr


# --------------------------------------------------------------------------------------------
# CSV sizes, checked before tokenizing


@pytest.mark.parametrize("text, position, message", [
    ("\n" * (cib_csv.MAX_CSV_LINES + 5) + "x", (cib_csv.MAX_CSV_LINES + 1, 1), "lines; a matrix has at most"),
    (",," + "x" * cib_csv.MAX_CSV_LINE_CHARS + "\n", (1, cib_csv.MAX_CSV_LINE_CHARS + 1), "characters; a matrix row"),
    ("a,b\n,," + ",".join("1" * 1 for _ in range(cib_csv.MAX_CSV_VARIANTS + 1)) + "\n", (2, 1),
     f"cells; a matrix row has at most {cib_csv.MAX_CSV_CELLS}"),
])
def test_a_csv_too_big_to_be_a_matrix_is_refused_from_its_text(text: str, position: tuple[int, int],
                                                               message: str) -> None:
    with pytest.raises(CIBError) as caught:
        cib_csv.parse_matrix(text, "big.csv")
    problem = caught.value.problems[0]
    assert (problem.line, problem.col) == position and message in problem.message
    assert f"at most {cib_csv.MAX_CSV_VARIANTS} variants" in problem.hint


def test_quoted_separators_do_not_count_as_cells() -> None:
    names = ",".join(f'"v{j}, long"' for j in range(cib_csv.MAX_CSV_VARIANTS))
    with pytest.raises(CIBError) as caught:  # fails later, as a matrix, not as too many cells
        cib_csv.parse_matrix(f",,{names}\n", "quoted.csv")
    assert "cells" not in str(caught.value)


def test_a_search_on_a_terminal_stops_at_its_budget_too(tmp_path: Path, monkeypatch) -> None:
    from scenmatrix.cli import cib_commands

    monkeypatch.setattr(cib_commands, "_stderr_is_terminal", lambda: True)
    path = tmp_path / "big.csv"
    path.write_text(cib_csv.format_matrix(uniform(20, 5)), encoding="utf-8")
    result = CliRunner().invoke(cli, ["cib", "scenarios", str(path), "--max-nodes", "5000"])
    assert result.exit_code == 0 and "9.5×10¹³ scenarios) in 5" in result.stderr, result.output
