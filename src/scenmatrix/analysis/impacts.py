"""Pure analysis on the study's tables: pandas in, pandas out, no I/O."""

from __future__ import annotations

import pandas as pd

from scenmatrix.analysis.budgets import MAX_ALIGNMENT_ACTORS


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
    import numpy as np

    e = matrix.to_numpy()
    if not len(e):
        return pd.Series([""] * e.shape[1], index=matrix.columns, dtype="object")
    sign = 1.0 if best else -1.0
    scored = np.where(e * sign > 0, e * sign, -np.inf)  # only gains (or only harms) count; NaN never does
    rows, found = scored.argmax(axis=0), np.isfinite(scored.max(axis=0))  # argmax: the first, as idxmax
    sids = list(matrix.index)
    return pd.Series([f"{sids[r]} {titles[sids[r]]} ({int(e[r, c]):+d})" if ok else ""
                      for c, (r, ok) in enumerate(zip(rows, found))], index=matrix.columns, dtype="object")


def _bands(matrix: pd.DataFrame, scenarios: pd.DataFrame) -> pd.DataFrame:
    bands = scenarios.set_index("id")[["probability_low", "probability_high"]].reindex(matrix.index)
    return bands.assign(mid=(bands["probability_low"] + bands["probability_high"]) / 2)


def exposure(matrix: pd.DataFrame, scenarios: pd.DataFrame) -> pd.DataFrame:
    """Per actor: expected harm (gains ignored), worst case, spread of outcomes, and a rank for each.

    expected_harm = sum of mid-band probability x effect over the scenarios that harm the actor;
    worst_case = its most negative effect in any scenario (0 if none harms it);
    spread = highest minus lowest effect across the scenarios that rate it.
    Rank 1 is the most exposed on each measure; ties share the better rank.
    """
    mid = _bands(matrix, scenarios)["mid"]
    harm = matrix.clip(upper=0).fillna(0.0).mul(mid, axis=0).sum()
    worst = matrix.min().fillna(0.0).clip(upper=0)
    out = pd.DataFrame({
        "expected_harm": harm,
        "worst_case": worst,
        "worst_scenario": [matrix[a].idxmin() if (matrix[a] < 0).any() else "" for a in matrix.columns],
        "spread": (matrix.max() - matrix.min()).fillna(0.0),
    })
    out["rank_harm"] = out["expected_harm"].rank(method="min").astype(int)
    out["rank_worst"] = out["worst_case"].rank(method="min").astype(int)
    out["rank_spread"] = out["spread"].rank(method="min", ascending=False).astype(int)
    out.index.name = "actor"
    return out


def sensitivity(matrix: pd.DataFrame, scenarios: pd.DataFrame) -> pd.DataFrame:
    """What moves each actor's expected impact most: a tornado table, one row per actor x factor.

    Factors: a scenario's likelihood swept across its band (others at midpoints), and a single
    impact rating moved one step down and up (within -3..3; an unrated pair counts from 0).
    `low`/`high` are the actor's expected impact at either end; `swing` = high - low. Sorted by
    actor, then largest swing first.
    """
    import numpy as np

    bands = _bands(matrix, scenarios)
    rated = matrix.notna().to_numpy()
    e = matrix.fillna(0.0).to_numpy()  # scenarios x actors
    lo, hi, mid = (bands[c].to_numpy()[:, None] for c in ("probability_low", "probability_high", "mid"))
    base = np.broadcast_to((e * mid).sum(axis=0), e.shape)
    # A scenario's likelihood across its band (where the actor is affected at all).
    like_a, like_b = base + e * (lo - mid), base + e * (hi - mid)
    # One rating a step down and up, clipped to the scale (an unrated pair is not a factor).
    down, up = base + (np.maximum(e - 1, -3) - e) * mid, base + (np.minimum(e + 1, 3) - e) * mid
    s_idx, a_idx = np.nonzero(e != 0)
    r_idx, ra_idx = np.nonzero(rated)
    actors, sids = np.asarray(matrix.columns, dtype=object), np.asarray(matrix.index, dtype=object)
    likelihood = pd.DataFrame({
        "actor": actors[a_idx], "factor": "likelihood", "scenario": sids[s_idx], "rating": "",
        "low": np.minimum(like_a, like_b)[s_idx, a_idx], "high": np.maximum(like_a, like_b)[s_idx, a_idx],
        "_o": a_idx})
    rating = pd.DataFrame({
        "actor": actors[ra_idx], "factor": "rating", "scenario": sids[r_idx],
        "rating": [f"{int(v):+d}" for v in e[r_idx, ra_idx]],
        "low": down[r_idx, ra_idx], "high": up[r_idx, ra_idx], "_o": ra_idx})
    # Within an actor: likelihood factors, then ratings, each in scenario order, before sorting by swing.
    out = pd.concat([likelihood, rating], ignore_index=True)
    out["swing"] = out["high"] - out["low"]
    out = out.sort_values(["_o", "swing"], ascending=[True, False], kind="stable")
    return out.drop(columns="_o").reset_index(drop=True)


MC_ACTORS_AT_ONCE = 32  # 10,000 samples x 32 actors: 2.5 MB of net impacts at a time
# Net impacts held at once, in float64 cells (128 MB): more draws than this, and the actors are summarized
# a few at a time (at 10,000,000 draws, one), each group from the same draws made again from the seed.
MC_CELLS = 1 << 24
MC_DRAW_ROWS = 1 << 16  # draws made at once: 65,536 x the scenarios


def monte_carlo(matrix: pd.DataFrame, scenarios: pd.DataFrame, samples: int = 10_000, seed: int = 2022,
                percentiles: tuple[int, ...] = (5, 25, 50, 75, 95)) -> pd.DataFrame:
    """Each actor's net impact when every scenario's probability is drawn uniformly within its band.

    Scenarios are drawn independently; the same seed gives the same figures on every machine.
    Columns: mean, the percentiles (p5 ...), and p_negative, the share of draws below zero.
    Memory is bounded whatever the number of scenarios and actors: the draws are made again, from the
    same seed, for each group of actors, and only the group's net impacts (`MC_CELLS` at most) are kept.
    """
    import numpy as np

    bands = _bands(matrix, scenarios)
    # float: a study without scenarios has empty bands of dtype object, which numpy cannot draw from
    low, high = bands["probability_low"].to_numpy(float), bands["probability_high"].to_numpy(float)
    effects = matrix.fillna(0.0).to_numpy()
    stats = np.empty((len(percentiles) + 2, effects.shape[1]))
    per_pass = max(1, min(MC_ACTORS_AT_ONCE, MC_CELLS // max(samples, 1)))
    for start in range(0, effects.shape[1], per_pass):
        net = _net_impacts(low, high, effects[:, start:start + per_pass], samples, seed)
        columns = slice(start, start + net.shape[1])
        stats[0, columns] = net.mean(axis=0)
        stats[-1, columns] = (net < 0).mean(axis=0)
        stats[1:-1, columns] = np.percentile(net, percentiles, axis=0, overwrite_input=True)
    names = ["mean", *(f"p{q}" for q in percentiles), "p_negative"]
    out = pd.DataFrame(dict(zip(names, stats)), index=matrix.columns)
    out.index.name = "actor"
    return out


def _net_impacts(low, high, effects, samples: int, seed: int):
    """samples x actors net impacts. The draws are made in row chunks into one buffer; they are those of a
    single `uniform(low, high, (samples, scenarios))` (a generator continues its stream across calls, and
    uniform is low + (high - low) x random, which the buffer repeats in place, three times faster)."""
    import numpy as np

    rng = np.random.default_rng(seed)
    net = np.empty((samples, effects.shape[1]))
    rows = max(1, min(samples, MC_DRAW_ROWS))
    buffer, scale = np.empty((rows, len(low))), high - low
    for first in range(0, samples, rows):
        count = min(rows, samples - first)
        draws = buffer[:count]
        rng.random(out=draws)
        draws *= scale
        draws += low
        np.matmul(draws, effects, out=net[first:first + count])
    return net


def _convergence(matrix: pd.DataFrame):
    """MACTOR-style convergence and divergence between every pair of actors, as numpy arrays.

    With P and N the scenarios x actors indicators of a gain and of a harm and A the effects' sizes,
    convergence = sum over scenarios of [both gain or both lose] x (|a| + |b|) / 2, which is the
    symmetric part of (A*P)'P + (A*N)'N; divergence likewise from (A*P)'N + (A*N)'P. Matrix products
    instead of a loop over scenarios; every term is a multiple of 1/2, so the sums are exact.
    """
    import numpy as np

    e = np.nan_to_num(matrix.to_numpy(), nan=0.0)
    gain, harm, size = (e > 0).astype(float), (e < 0).astype(float), np.abs(e)
    same = (size * gain).T @ gain + (size * harm).T @ harm
    opposite = (size * gain).T @ harm + (size * harm).T @ gain
    return (same + same.T) / 2, (opposite + opposite.T) / 2


# An alignment resting on fewer shared rated scenarios is no finding: from one scenario it is always ±1.
MIN_SHARED_SCENARIOS = 2


def shared_scenarios(matrix: pd.DataFrame):
    """Actor x actor: in how many scenarios both actors are rated (a numpy array of whole numbers)."""
    rated = matrix.notna().to_numpy(dtype=float)
    return (rated.T @ rated).astype(int)


def aligned_actors(matrix: pd.DataFrame) -> pd.DataFrame:
    """The columns alignment is computed among: every actor, or the MAX_ALIGNMENT_ACTORS most affected
    (largest sum of |effect|; the first of equals), in the matrix's order."""
    if len(matrix.columns) <= MAX_ALIGNMENT_ACTORS:
        return matrix
    weight = matrix.abs().sum()
    keep = set(weight.sort_values(ascending=False, kind="stable").index[:MAX_ALIGNMENT_ACTORS])
    return matrix[[actor for actor in matrix.columns if actor in keep]]


def alignment_scope(aligned: int, actors: int) -> str:
    """What a reader is told when alignment leaves actors out ('' when it does not)."""
    if aligned >= actors:
        return ""
    return f"among the {aligned} most affected of {actors:,} actors, by their sum of |effect|"


def _index(matrix: pd.DataFrame):
    """Alignment and intensity of every pair, NaN where they share fewer than MIN_SHARED_SCENARIOS."""
    import numpy as np

    conv, div = _convergence(matrix)
    with np.errstate(invalid="ignore", divide="ignore"):
        index = (conv - div) / (conv + div)
    index[shared_scenarios(matrix) < MIN_SHARED_SCENARIOS] = np.nan
    return index, conv + div


def alignment(matrix: pd.DataFrame) -> pd.DataFrame:
    """Actor x actor alignment in [-1, 1], in the spirit of MACTOR's convergence and divergence.

    For each scenario both actors are rated in, with effects of the same sign the pair converges
    by (|a| + |b|) / 2, with opposite signs it diverges by as much. Alignment is
    (convergence - divergence) / (convergence + divergence); NaN where they share fewer than
    MIN_SHARED_SCENARIOS rated scenarios (or only scenarios where one of them is rated 0). Among
    `aligned_actors` only.
    """
    matrix = aligned_actors(matrix)
    return pd.DataFrame(_index(matrix)[0], index=matrix.columns, columns=matrix.columns)


def strongest_pairs(matrix: pd.DataFrame, n: int = 5) -> pd.DataFrame:
    """The n most aligned and the n most opposed pairs: actor_a, actor_b, alignment, intensity, shared
    (scenarios both are rated in), relation; pairs sharing fewer than MIN_SHARED_SCENARIOS are left out.

    Intensity (convergence + divergence) breaks ties: two actors that gain together in three
    scenarios are more aligned than two that meet twice.
    """
    import numpy as np

    matrix = aligned_actors(matrix)
    index, intensity = _index(matrix)
    a, b = np.triu_indices(len(matrix.columns), k=1)
    pairs = pd.DataFrame({"actor_a": matrix.columns[a], "actor_b": matrix.columns[b],
                          "alignment": index[a, b], "intensity": intensity[a, b],
                          "shared": shared_scenarios(matrix)[a, b]}).dropna()
    top = pairs[pairs["alignment"] > 0].sort_values(["alignment", "intensity"], ascending=False, kind="stable")
    bottom = pairs[pairs["alignment"] < 0].sort_values(["alignment", "intensity"], ascending=[True, False],
                                                       kind="stable")
    return pd.concat([top.head(n).assign(relation="aligned"), bottom.head(n).assign(relation="opposed")],
                     ignore_index=True)


def analyze(impacts: pd.DataFrame, scenarios: pd.DataFrame, actors: pd.DataFrame, samples: int = 10_000,
            seed: int = 2022) -> dict[str, pd.DataFrame]:
    """Every analysis of the impact table at once, as named DataFrames (what `scenmatrix analyze` shows)."""
    matrix = impact_matrix(impacts, scenarios, actors)
    table = sensitivity(matrix, scenarios)
    return {
        "expected": expected_impact(matrix, scenarios),
        "exposure": exposure(matrix, scenarios),
        "monte_carlo": monte_carlo(matrix, scenarios, samples=samples, seed=seed),
        "sensitivity": table,
        "top_factor": table.groupby("actor", sort=False).head(1).set_index("actor"),
        "alignment": alignment(matrix),
        "alignment_pairs": strongest_pairs(matrix, n=10),
    }


def actor_report(results: dict[str, pd.DataFrame], names: dict[str, str]) -> pd.DataFrame:
    """One row per actor joining the analyses, most exposed first: the table `scenmatrix analyze` prints."""
    from scenmatrix.analysis.rounding import plain

    mc, top = results["monte_carlo"], results["top_factor"]
    out = results["expected"].join(results["exposure"]).join(mc[["p5", "p50", "p95", "p_negative"]])
    out.insert(0, "name", [names.get(a, a) for a in out.index])
    out["moves_it_most"] = [
        "" if a not in top.index else
        (f"likelihood of {top.at[a, 'scenario']}" if top.at[a, "factor"] == "likelihood"
         else f"rating {top.at[a, 'scenario']} ({top.at[a, 'rating']})") + f" ±{plain(top.at[a, 'swing'] / 2)}"
        for a in out.index]
    return out.sort_values(["rank_harm", "rank_worst", "expected"], kind="stable")
