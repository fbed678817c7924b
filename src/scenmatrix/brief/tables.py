"""The tables a brief can show: the study's normalized tables plus reader-friendly derived columns.

Templates pick columns from these by name (see templates/standard.yaml for every column).
"""

from __future__ import annotations

from typing import Optional

import pandas as pd

from scenmatrix.analysis.rounding import DECIMALS, PERCENT, tidy
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


# Every column's header where a template names none (the annex; a template's `columns` may rename them).
# A test keeps one here for every column of every table, so that no field name reaches a reader.
LABELS: dict[str, str] = {
    "id": "Id", "title": "Title", "name": "Name", "kind": "Kind", "aliases": "Also known as",
    "actor": "Actor", "actor_name": "Actor name", "actor_a": "Actor", "name_a": "Actor name",
    "actor_b": "Other actor", "name_b": "Other actor name", "scenario": "Scenario",
    "scenario_title": "Scenario title", "expected": "Expected impact", "low": "Range low", "high": "Range high",
    "scenarios": "Scenarios touching", "most_favourable": "Most favourable scenario",
    "most_harmful": "Most harmful scenario", "exposure_rank": "Exposure rank", "likelihood": "Likelihood",
    "band": "Band", "probability_low": "Probability low", "probability_high": "Probability high",
    "confidence": "Confidence", "horizon": "Horizon", "narrative": "Narrative", "drivers": "Drivers",
    "constraints": "Constraints", "indicators": "Indicators (status)", "text": "Text", "status": "Status",
    "effect": "Effect", "effect_meaning": "Meaning", "domains": "Domains", "rationale": "Rationale",
    "evidence": "Evidence", "claim": "Claim", "source": "Source", "cited_in": "Cited in", "grade": "Grade",
    "grade_meaning": "Grade meaning", "quote": "Quote", "quote_paragraph": "Paragraph in source",
    "contested": "Contested by (actor: note)",
    "type": "Type", "description": "Description", "author": "Author", "publisher": "Publisher", "date": "Date",
    "url": "Address", "path": "File", "expected_harm": "Expected harm", "worst_case": "Worst case",
    "worst_scenario": "Worst scenario", "spread": "Spread", "rank_harm": "Rank by expected harm",
    "rank_worst": "Rank by worst case", "rank_spread": "Rank by spread", "mean": "Monte Carlo mean",
    "p5": "P5", "p25": "P25", "p50": "Median", "p75": "P75", "p95": "P95", "p_negative": "P(net < 0)",
    "factor": "Factor", "rating": "Rating", "swing": "Swing", "label": "What moves it",
    "alignment": "Alignment", "intensity": "Intensity", "shared": "Shared scenarios", "relation": "Relation",
    "descriptor": "Descriptor", "variants": "Variants", "target": "Acts on", "judgment": "Judgment",
}

# Columns whose numbers are not signed impacts (the style's +0.00): probabilities show as percentages.
NUMBER_FORMATS: dict[str, str] = {"p_negative": PERCENT, "probability_low": PERCENT, "probability_high": PERCENT}

# Evidence's contest as one column ("contested": actor: note lines, what review edits), not three.
EVIDENCE_HIDDEN = ("contested_by", "contest_notes")


def label(field: str) -> str:
    """A column's header for a reader: its declared label (the field's own name only for an actor id
    heading a column of the alignment table)."""
    return LABELS.get(field, field)


def tidy_floats(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame with every float column `tidy`: what its cells hold is what any text of them rounds."""
    out = frame.copy()
    for column in out.columns:
        if out[column].dtype.kind == "f":
            out[column] = tidy_all(out[column].to_numpy())
    return out


def tidy_all(values):
    """`tidy` of every value of a float array, at numpy's speed: np.round (scale, round, unscale) agrees
    with round() but where the scaled value lies within rounding error of a half, or is too large to
    scale exactly; only those few are tidied one by one."""
    import numpy as np

    with np.errstate(over="ignore", invalid="ignore"):
        scaled = values * 10.0 ** DECIMALS
        near_half = np.abs(scaled - np.floor(scaled) - 0.5) < 1e-3
        fast = np.round(values, DECIMALS) + 0.0
    odd = np.flatnonzero(np.isfinite(values) & (near_half | (np.abs(values) >= 1e6)))
    fast[odd] = [tidy(values[i]) for i in odd]
    return fast


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
    out["evidence"] = evidence.drop(columns=list(EVIDENCE_HIDDEN))
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
    tables = {"exposure": exposure, "sensitivity": sensitivity, "alignment_pairs": pairs,
              "alignment": analysis.alignment(matrix)}
    return {name: tidy_floats(frame) for name, frame in tables.items()}


def factor_label(factor: str, scenario: str, rating: str) -> str:
    """'likelihood of S1' or 'rating S1 (-2)'."""
    return f"likelihood of {scenario}" if factor == "likelihood" else f"rating {scenario} ({rating})"
