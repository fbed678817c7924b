"""The analysis functions against values computed by hand on a two-scenario, three-actor study.

S1 'likely' (55-80 %, mid 67.5 %): A +2, B -2.   S2 'unlikely' (20-45 %, mid 32.5 %): B +1.   C unrated.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scenmatrix.analysis.impacts import (actor_summary, alignment, expected_impact, exposure, impact_matrix, monte_carlo,
                                 sensitivity, strongest_pairs)

SCENARIOS = pd.DataFrame({"id": ["S1", "S2"], "title": ["One", "Two"],
                          "probability_low": [0.55, 0.20], "probability_high": [0.80, 0.45]})
ACTORS = pd.DataFrame({"id": ["A", "B", "C"], "name": ["Alpha", "Beta", "Gamma"], "kind": ["state"] * 3})
IMPACTS = pd.DataFrame({"scenario": ["S1", "S1", "S2"], "actor": ["A", "B", "B"], "effect": [2, -2, 1]})


@pytest.fixture()
def matrix() -> pd.DataFrame:
    return impact_matrix(IMPACTS, SCENARIOS, ACTORS)


def test_impact_matrix_keeps_study_order_and_blanks(matrix: pd.DataFrame) -> None:
    assert list(matrix.index) == ["S1", "S2"] and list(matrix.columns) == ["A", "B", "C"]
    assert matrix.at["S1", "A"] == 2 and np.isnan(matrix.at["S2", "A"]) and matrix["C"].isna().all()


def test_expected_impact_and_range_from_band_edges(matrix: pd.DataFrame) -> None:
    out = expected_impact(matrix, SCENARIOS)
    # A: 2 x .675 = 1.35, range 2 x .55 .. 2 x .80
    assert out.loc["A"].tolist() == pytest.approx([1.35, 1.10, 1.60])
    # B: -2 x .675 + 1 x .325 = -1.025; low -2 x .8 + .2 = -1.4; high -2 x .55 + .45 = -0.65
    assert out.loc["B"].tolist() == pytest.approx([-1.025, -1.40, -0.65])
    assert out.loc["C"].tolist() == [0, 0, 0]


def test_actor_summary_ranks_by_exposure() -> None:
    out = actor_summary(IMPACTS, SCENARIOS, ACTORS).set_index("actor")
    assert out["exposure_rank"].to_dict() == {"B": 1, "C": 2, "A": 3}
    assert out.at["B", "most_harmful"] == "S1 One (-2)" and out.at["B", "most_favourable"] == "S2 Two (+1)"
    assert out["scenarios"].to_dict() == {"A": 1, "B": 2, "C": 0}


def test_exposure_by_harm_worst_case_and_spread(matrix: pd.DataFrame) -> None:
    out = exposure(matrix, SCENARIOS)
    assert out["expected_harm"].to_dict() == pytest.approx({"A": 0, "B": -1.35, "C": 0})
    assert out["worst_case"].to_dict() == {"A": 0, "B": -2, "C": 0}
    assert out.at["B", "worst_scenario"] == "S1" and out.at["A", "worst_scenario"] == ""
    assert out["spread"].to_dict() == {"A": 0, "B": 3, "C": 0}
    assert out["rank_harm"].to_dict() == {"A": 2, "B": 1, "C": 2}
    assert out["rank_spread"].to_dict() == {"A": 2, "B": 1, "C": 2}


def test_sensitivity_tornado_rows(matrix: pd.DataFrame) -> None:
    out = sensitivity(matrix, SCENARIOS)
    b = out[out["actor"] == "B"].reset_index(drop=True)
    # Rating S1 -2 -> -3 / -1 at p .675: -1.025 -/+ .675; rating S2 +1 -> 0 / +2 at .325.
    assert b.loc[0, ["factor", "scenario", "rating"]].tolist() == ["rating", "S1", "-2"]
    assert b.loc[0, ["low", "high", "swing"]].tolist() == pytest.approx([-1.7, -0.35, 1.35])
    assert b.loc[1, ["factor", "scenario"]].tolist() == ["rating", "S2"]
    assert b.loc[1, ["low", "high"]].tolist() == pytest.approx([-1.35, -0.70])
    # Likelihood of S1 across 55-80 %: -2 x (.55 - .675) .. -2 x (.8 - .675)
    like = b[b["factor"] == "likelihood"].set_index("scenario")
    assert like.loc["S1", ["low", "high"]].tolist() == pytest.approx([-1.275, -0.775])
    assert like.loc["S2", ["low", "high"]].tolist() == pytest.approx([-1.15, -0.90])
    assert out[out["actor"] == "C"].empty
    assert list(b["swing"]) == sorted(b["swing"], reverse=True)


def test_rating_at_the_scale_end_moves_one_way_only(matrix: pd.DataFrame) -> None:
    m = matrix.copy()
    m.at["S1", "A"] = 3
    row = sensitivity(m, SCENARIOS).query("actor == 'A' and factor == 'rating'").iloc[0]
    assert (row["low"], row["high"]) == pytest.approx((3 * 0.675 - 0.675, 3 * 0.675))


def test_monte_carlo_is_seeded_and_within_the_range(matrix: pd.DataFrame) -> None:
    one = monte_carlo(matrix, SCENARIOS, samples=5000, seed=7)
    assert one.equals(monte_carlo(matrix, SCENARIOS, samples=5000, seed=7))
    assert not one.equals(monte_carlo(matrix, SCENARIOS, samples=5000, seed=8))
    assert one.at["A", "mean"] == pytest.approx(1.35, abs=0.01)
    assert 1.10 <= one.at["A", "p5"] <= one.at["A", "p95"] <= 1.60
    assert one.at["B", "p_negative"] == 1.0 and one.at["A", "p_negative"] == 0.0
    assert one.loc["C"].abs().sum() == 0


def test_monte_carlo_a_few_actors_at_a_time_gives_the_figures_of_all_at_once(monkeypatch) -> None:
    import scenmatrix.analysis.impacts as analysis

    rng = np.random.default_rng(3)
    effects = rng.integers(-3, 4, size=(6, 70)).astype(float)
    effects[rng.random(effects.shape) < 0.3] = np.nan
    m = pd.DataFrame(effects, index=[f"S{i}" for i in range(6)], columns=[f"A{i}" for i in range(70)])
    bands = rng.uniform(0, 0.5, 6)
    scenarios = pd.DataFrame({"id": list(m.index), "probability_low": bands, "probability_high": bands + 0.4})
    chunked = monte_carlo(m, scenarios, samples=2000)
    monkeypatch.setattr(analysis, "MC_ACTORS_AT_ONCE", 1000)
    whole = monte_carlo(m, scenarios, samples=2000)
    assert list(chunked.columns) == list(whole.columns) and list(chunked.index) == list(whole.index)
    assert np.allclose(chunked.to_numpy(), whole.to_numpy(), rtol=0, atol=1e-12)


def test_monte_carlo_probability_negative_matches_the_analytic_value() -> None:
    m = pd.DataFrame({"A": [1.0, -2.0]}, index=["S1", "S2"])
    # net = p1 - 2 p2 < 0  <=>  p2 > X with X = p1 / 2 ~ U(.275, .4), inside p2 ~ U(.2, .45), so
    # P = E[(.45 - X) / .25] = (.45 - .3375) / .25 = 0.45.
    out = monte_carlo(m, SCENARIOS, samples=200_000, seed=1)
    assert out.at["A", "p_negative"] == pytest.approx(0.45, abs=0.005)


def test_alignment_convergence_and_divergence() -> None:
    m = pd.DataFrame({"A": [2.0, 1.0, np.nan], "B": [1.0, -3.0, 2.0], "C": [np.nan, np.nan, -1.0]},
                     index=["S1", "S2", "S3"])
    out = alignment(m)
    # A-B: S1 converge (2+1)/2 = 1.5; S2 diverge (1+3)/2 = 2 -> (1.5 - 2)/(3.5)
    assert out.at["A", "B"] == pytest.approx(-0.5 / 3.5) and out.at["B", "A"] == out.at["A", "B"]
    # B-C meet in S3 alone: -1 from one scenario is no finding, so it is left blank; A-C never meet
    assert np.isnan(out.at["B", "C"]) and np.isnan(out.at["A", "C"])
    pairs = strongest_pairs(m, n=2)
    assert pairs[["actor_a", "actor_b", "relation", "shared"]].values.tolist() == [["A", "B", "opposed", 2]]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(st.one_of(st.none(), st.integers(-3, 3)), min_size=3, max_size=3), min_size=1, max_size=6),
       st.lists(st.sampled_from([(0.01, 0.05), (0.2, 0.45), (0.55, 0.8), (0.95, 0.99)]), min_size=6, max_size=6))
def test_expected_impact_lies_within_its_range_and_equals_brute_force(rows, bands) -> None:
    ids = [f"S{i}" for i in range(len(rows))]
    scenarios = pd.DataFrame({"id": ids, "title": ids, "probability_low": [b[0] for b in bands[:len(ids)]],
                              "probability_high": [b[1] for b in bands[:len(ids)]]})
    m = pd.DataFrame([[np.nan if v is None else float(v) for v in r] for r in rows], index=ids, columns=list("ABC"))
    out = expected_impact(m, scenarios)
    for actor in "ABC":
        corners = []
        for choice in range(2 ** len(ids)):  # every combination of band edges: the exact extremes
            total = 0.0
            for i, sid in enumerate(ids):
                p = bands[i][(choice >> i) & 1]
                total += p * (0 if np.isnan(m.at[sid, actor]) else m.at[sid, actor])
            corners.append(total)
        assert out.at[actor, "low"] == pytest.approx(min(corners))
        assert out.at[actor, "high"] == pytest.approx(max(corners))
        assert out.at[actor, "low"] - 1e-12 <= out.at[actor, "expected"] <= out.at[actor, "high"] + 1e-12


effect_rows = st.lists(st.lists(st.one_of(st.none(), st.integers(-3, 3)), min_size=4, max_size=4), max_size=7)


def frame(rows: list[list]) -> pd.DataFrame:
    ids = [f"S{i}" for i in range(len(rows))]
    return pd.DataFrame([[np.nan if v is None else float(v) for v in r] for r in rows], index=ids,
                        columns=list("ABCD"), dtype="float64")


@settings(max_examples=80, deadline=None)
@given(effect_rows)
def test_alignment_equals_its_definition_pair_by_pair(rows) -> None:
    m = frame(rows)
    out = alignment(m)
    pairs = strongest_pairs(m, n=100).set_index(["actor_a", "actor_b"])
    for a in m.columns:
        for b in m.columns:
            conv = div = 0.0
            shared = 0
            for x, y in zip(m[a], m[b]):  # the definition, one scenario at a time
                shared += not (np.isnan(x) or np.isnan(y))
                if not (np.isnan(x) or np.isnan(y)) and x * y != 0:
                    conv, div = (conv + (abs(x) + abs(y)) / 2, div) if x * y > 0 else (conv, div + (abs(x) + abs(y)) / 2)
            expected = (conv - div) / (conv + div) if conv + div and shared >= 2 else np.nan
            assert (np.isnan(expected) and np.isnan(out.at[a, b])) or out.at[a, b] == expected
            if (a, b) in pairs.index:
                assert pairs.at[(a, b), "shared"] == shared >= 2


@settings(max_examples=80, deadline=None)
@given(effect_rows)
def test_most_favourable_and_harmful_are_the_first_extreme_scenarios(rows) -> None:
    m = frame(rows)
    scenarios = pd.DataFrame({"id": list(m.index), "title": [f"t{s}" for s in m.index],
                              "probability_low": 0.2, "probability_high": 0.45})
    impacts = m.stack().rename("effect").rename_axis(["scenario", "actor"]).reset_index()
    actors = pd.DataFrame({"id": list("ABCD"), "name": list("ABCD"), "kind": "state"})
    out = actor_summary(impacts, scenarios, actors).set_index("actor")
    for actor in "ABCD":
        gains = [(v, sid) for sid, v in m[actor].items() if v > 0]
        harms = [(v, sid) for sid, v in m[actor].items() if v < 0]
        best = max(gains, key=lambda g: g[0]) if gains else None  # max/min keep the first of equals
        worst = min(harms, key=lambda h: h[0]) if harms else None
        assert out.at[actor, "most_favourable"] == (f"{best[1]} t{best[1]} ({int(best[0]):+d})" if best else "")
        assert out.at[actor, "most_harmful"] == (f"{worst[1]} t{worst[1]} ({int(worst[0]):+d})" if worst else "")


# ---------------------------------------------------------------- scenmatrix analyze

def test_cli_analyze_default_study_terminal_and_json() -> None:
    import json
    from pathlib import Path

    from click.testing import CliRunner

    from scenmatrix.cli.app import cli

    study = str(Path(__file__).resolve().parents[3] / "scenarios" / "russia-iran-2022.yaml")
    text = CliRunner().invoke(cli, ["analyze", study])
    assert text.exit_code == 0, text.output
    lines = text.stdout.splitlines()
    assert lines[0] == "Actors, most exposed first (10,000 Monte Carlo draws, seed 2022)"
    assert lines[4].split()[:3] == ["US", "United", "States"]
    assert "Strongest alignments and oppositions" in text.stdout
    first = CliRunner().invoke(cli, ["analyze", study, "--json", "--samples", "2000", "--seed", "5"])
    again = CliRunner().invoke(cli, ["analyze", study, "--json", "--samples", "2000", "--seed", "5"])
    assert first.stdout == again.stdout
    data = json.loads(first.stdout)
    assert data["actors"][0]["actor"] == "US" and data["actors"][0]["expected"] == pytest.approx(-4.25)
    assert data["alignment"]["RU"]["IR"] == 1.0 and data["alignment"]["RU"]["RU"] == 1.0
    assert {"actor", "factor", "scenario", "low", "high", "swing"} <= set(data["sensitivity"][0])
    bad = CliRunner().invoke(cli, ["analyze", study, "--samples", "5"])
    assert bad.exit_code == 2


def test_a_study_without_scenarios_is_analysed_and_briefed(tmp_path) -> None:
    """Found by the damage fuzzer: a study cut short after its sources has no scenarios, and Monte Carlo
    drew from empty bands of dtype object (a TypeError) instead of giving every actor nothing."""
    from click.testing import CliRunner
    from openpyxl import load_workbook

    from scenmatrix.cli import cli

    scenarios = SCENARIOS.iloc[:0]
    empty = impact_matrix(IMPACTS.iloc[:0], scenarios, ACTORS)
    assert monte_carlo(empty, scenarios.astype(object), samples=100)["mean"].tolist() == [0.0, 0.0, 0.0]
    study = tmp_path / "study.yaml"
    study.write_text("study:\n  id: A\n  title: Nothing yet\n  as_of: 2000-01-01\n  marking: TLP:CLEAR\n"
                     "  sources:\n    A:\n      title: An article\n", encoding="utf-8")
    out = tmp_path / "brief.xlsx"
    result = CliRunner().invoke(cli, ["brief", str(study), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "Cover" in load_workbook(out, read_only=True).sheetnames


def test_alignment_of_many_actors_is_among_the_most_affected_and_says_so() -> None:
    from scenmatrix.analysis.budgets import MAX_ALIGNMENT_ACTORS
    from scenmatrix.analysis.impacts import alignment_scope

    n = MAX_ALIGNMENT_ACTORS + 1
    m = pd.DataFrame([[1.0] * n, [1.0] * n], index=["S1", "S2"], columns=[f"A{i}" for i in range(n)])
    m["A0"] = [0.5, 0.5]  # the least affected: left out
    out = alignment(m)
    assert len(out.columns) == MAX_ALIGNMENT_ACTORS and "A0" not in out.columns
    assert "A0" not in set(strongest_pairs(m, n=1000)[["actor_a", "actor_b"]].to_numpy().ravel())
    assert alignment_scope(len(out.columns), n) == (f"among the {MAX_ALIGNMENT_ACTORS} most affected of {n} actors, "
                                                    "by their sum of |effect|")
    assert alignment_scope(5, 5) == ""
