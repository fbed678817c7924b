"""The tables a brief can show: the study's normalized tables plus reader-friendly derived columns.

Templates pick columns from these by name (see templates/standard.yaml for every column).
"""

from __future__ import annotations

from typing import Optional

import pandas as pd

from scenmatrix.study import vocab
from scenmatrix.brief.marker import contested_text
from scenmatrix.study.model import Study
from scenmatrix.study.tables import flat
from scenmatrix.store.sources import QuoteCheck

ANALYSIS_TABLES = ("exposure", "sensitivity", "alignment_pairs", "alignment")

# Columns that identify a row, so other sheets can link to it.
TABLE_KEYS: dict[str, tuple[str, ...]] = {
    "impacts": ("scenario", "actor"),
    "evidence": ("id",),
    "scenarios": ("id",),
    "indicators": ("id",),
    "drivers": ("id",),
    "actors": ("actor",),
}


def brief_tables(study: Study, raw: dict[str, pd.DataFrame], summary: pd.DataFrame,
                 quotes: Optional[QuoteCheck] = None) -> dict[str, pd.DataFrame]:
    names = {aid: a.name for aid, a in study.actors.items()}
    titles = {sid: s.title for sid, s in study.scenarios.items()}
    out = {name: frame.copy() for name, frame in raw.items()}

    impacts = out["impacts"]
    impacts.insert(1, "scenario_title", impacts["scenario"].map(titles))
    impacts.insert(3, "actor_name", impacts["actor"].map(names))
    impacts["effect_meaning"] = impacts["effect"].map(vocab.EFFECT_WORDS)

    scenarios = out["scenarios"]
    scenarios.insert(3, "band", [study.band(t).label() for t in scenarios["likelihood"].tolist()])
    scenarios["indicators"] = [
        "\n".join(f"• {ind.text} ({ind.status})" for ind in study.scenarios[sid].indicators.values())
        for sid in scenarios["id"].tolist()
    ]

    indicators = out["indicators"]
    indicators.insert(2, "scenario_title", indicators["scenario"].map(titles))

    evidence = out["evidence"]
    evidence["grade_meaning"] = [vocab.describe_grade(g) for g in evidence["grade"].tolist()]
    evidence["contested"] = [contested_text(study.evidence[eid].contested_by) for eid in evidence["id"].tolist()]
    quotes = quotes or QuoteCheck()
    evidence["quote_paragraph"] = pd.Series([quote_place(eid, quotes) for eid in evidence["id"].tolist()],
                                            index=evidence.index, dtype=object)  # ints stay ints beside text
    aliases = raw["actors"].set_index("id")["aliases"]
    out["actors"] = summary.assign(aliases=summary["actor"].map(aliases)).sort_values("exposure_rank")
    for frame in out.values():
        for column in frame.columns:
            if frame[column].dtype == object:
                values = frame[column].tolist()
                if any(isinstance(v, list) for v in values):
                    frame[column] = [flat(v) for v in values]
    return out


def quote_place(eid: str, quotes: QuoteCheck) -> int | str | None:
    """Where the evidence's quote is in its source: the paragraph number, or why there is none (nothing
    for evidence with no quote or a source with no local copy)."""
    if eid in quotes.found:
        return quotes.found[eid]
    if eid in quotes.missing:
        return f"not found in {quotes.missing[eid]}"
    if eid in quotes.unchecked:
        return f"not checked: {quotes.unchecked[eid]} cannot be read"
    return None


# The factors per actor a sensitivity sheet draws (its tornado charts); the rest only a table sheet shows.
FACTORS_SHOWN = 8


def analysis_tables(study: Study, matrix: pd.DataFrame, scenarios: pd.DataFrame,
                    all_factors: bool = True) -> dict[str, pd.DataFrame]:
    """Exposure (with Monte Carlo), sensitivity and alignment as brief tables, with actor names beside ids.

    Without `all_factors` the sensitivity table keeps each actor's FACTORS_SHOWN strongest factors: a
    large study has one per scenario and actor, and no sheet but a table of them shows the rest."""
    from scenmatrix.analysis import impacts as analysis

    names = {aid: a.name for aid, a in study.actors.items()}
    exposure = analysis.exposure(matrix, scenarios).join(analysis.monte_carlo(matrix, scenarios)).reset_index()
    exposure.insert(1, "name", exposure["actor"].map(names))
    exposure = exposure.sort_values(["rank_harm", "rank_worst"], kind="stable")
    sensitivity = analysis.sensitivity(matrix, scenarios)
    if not all_factors:
        sensitivity = sensitivity.groupby("actor", sort=False).head(FACTORS_SHOWN).reset_index(drop=True)
    sensitivity.insert(1, "name", sensitivity["actor"].map(names))
    sensitivity["label"] = [factor_label(f, s, r) for f, s, r in
                            zip(*(sensitivity[c].tolist() for c in ("factor", "scenario", "rating")))]
    pairs = analysis.strongest_pairs(matrix, n=10)
    for side in ("actor_a", "actor_b"):
        pairs.insert(pairs.columns.get_loc(side) + 1, side.replace("actor", "name"), pairs[side].map(names))
    return {"exposure": exposure, "sensitivity": sensitivity, "alignment_pairs": pairs,
            "alignment": analysis.alignment(matrix)}


def factor_label(factor: str, scenario: str, rating: str) -> str:
    """'likelihood of S1' or 'rating S1 (-2)'."""
    return f"likelihood of {scenario}" if factor == "likelihood" else f"rating {scenario} ({rating})"
