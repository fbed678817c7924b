"""Pure analysis on the study's tables: pandas in, pandas out, no I/O."""

from __future__ import annotations

import pandas as pd


def impact_matrix(impacts: pd.DataFrame, scenarios: pd.DataFrame, actors: pd.DataFrame) -> pd.DataFrame:
    """Effects as scenarios (rows) x actors (columns), in study order; NaN where no impact is rated."""
    matrix = impacts.pivot(index="scenario", columns="actor", values="effect") if len(impacts) else pd.DataFrame()
    return matrix.reindex(index=list(scenarios["id"]), columns=list(actors["id"])).astype("float64")


def expected_impact(matrix: pd.DataFrame, scenarios: pd.DataFrame) -> pd.DataFrame:
    """Per actor: sum over scenarios of probability x effect, at band midpoints, with the band-edge range.

    Each term is bounded independently (a gain is smallest at the band's low edge, a harm at its
    high edge), so low/high are the exact extremes over all probabilities within the bands.
    """
    bands = scenarios.set_index("id")[["probability_low", "probability_high"]].reindex(matrix.index)
    effects = matrix.fillna(0.0)
    at_low = effects.mul(bands["probability_low"], axis=0)
    at_high = effects.mul(bands["probability_high"], axis=0)
    mid = (at_low + at_high) / 2
    out = pd.DataFrame({
        "expected": mid.sum(),
        "low": at_low.where(at_low < at_high, at_high).sum(),
        "high": at_high.where(at_high > at_low, at_low).sum(),
    })
    out.index.name = "actor"
    return out


def actor_summary(impacts: pd.DataFrame, scenarios: pd.DataFrame, actors: pd.DataFrame) -> pd.DataFrame:
    """One row per actor: expected net impact and range, best and worst scenario, reach, exposure rank.

    Exposure rank 1 is the actor with the most negative expected impact (ties: the lower range edge).
    """
    matrix = impact_matrix(impacts, scenarios, actors)
    expected = expected_impact(matrix, scenarios)
    titles = scenarios.set_index("id")["title"]
    out = actors.set_index("id")[["name", "kind"]].join(expected)
    rated = matrix.notna()
    out["scenarios"] = rated.sum().astype(int)
    out["most_favourable"] = _extreme(matrix, titles, best=True)
    out["most_harmful"] = _extreme(matrix, titles, best=False)
    order = out.sort_values(["expected", "low"], kind="stable").index
    out["exposure_rank"] = pd.Series(range(1, len(order) + 1), index=order)
    out.index.name = "actor"
    return out.reset_index()


def _extreme(matrix: pd.DataFrame, titles: pd.Series, best: bool) -> pd.Series:
    """Per actor, 'S1 title (+2)' for the scenario with its highest (or lowest) effect; '' if none."""
    result = {}
    for actor in matrix.columns:
        column = matrix[actor].dropna()
        column = column[column > 0] if best else column[column < 0]
        if column.empty:
            result[actor] = ""
            continue
        sid = column.idxmax() if best else column.idxmin()
        result[actor] = f"{sid} {titles[sid]} ({int(column[sid]):+d})"
    return pd.Series(result, dtype="object")
