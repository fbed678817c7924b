"""Independent ratings (a study's `ratings:`): where the raters disagree, and how far the reviewers'
ratings move each actor's expected impact. Pure logic on the model, no I/O.

The lead analyst's values are the study's own; a reviewer's rating counts only for the fields the
reviewer gave. Ratings are compared in steps of their scale: an effect's whole numbers, a likelihood's
place on the study's scale, a confidence's place among low, moderate, high. Raters disagree on a cell
when two of them are two or more steps apart, or when one effect is a gain and another a harm.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterator, Optional

from scenmatrix.study import vocab
from scenmatrix.study.model import Study

LEAD = "lead"  # how the lead analyst is named among the raters
DISAGREEMENT_STEPS = 2


@dataclass(frozen=True)
class Spread:
    """One rated field of one cell: the lead's value and each reviewer's who rated it."""

    kind: str                 # "impact" or "scenario"
    key: str                  # "S1/RU" or "S1"
    field: str                # effect, likelihood or confidence
    lead: Any
    reviewers: dict[str, Any]  # reviewer name -> their value, in the order of `ratings:`
    steps: int                # the largest distance between two raters, in steps of the field's scale
    opposite: bool            # an effect rated a gain by one rater and a harm by another
    rationale: Optional[str]  # the lead's rationale (impacts)

    @property
    def raters(self) -> int:
        return 1 + len(self.reviewers)

    @property
    def disagreement(self) -> bool:
        return self.steps >= DISAGREEMENT_STEPS or self.opposite

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "key": self.key, "field": self.field, "lead": self.lead,
                "reviewers": self.reviewers, "raters": self.raters, "steps": self.steps, "opposite": self.opposite,
                "disagreement": self.disagreement, "rationale": self.rationale}


def spreads(study: Study) -> list[Spread]:
    """Every field some reviewer rated, of a scenario or an impact the lead rates too, in study order."""
    out = []
    for sid, scenario in study.scenarios.items():
        for name in ("likelihood", "confidence"):
            given = {who: getattr(r[sid], name) for who, r in study.ratings.items()
                     if sid in r and getattr(r[sid], name) is not None}
            if given:
                out.append(_spread(study, "scenario", sid, name, getattr(scenario, name), given, None))
        for aid, impact in scenario.impacts.items():
            for name in ("effect", "confidence"):
                given = {who: getattr(r[sid].impacts[aid], name) for who, r in study.ratings.items()
                         if sid in r and aid in r[sid].impacts and getattr(r[sid].impacts[aid], name) is not None}
                if given:
                    out.append(_spread(study, "impact", f"{sid}/{aid}", name, getattr(impact, name), given,
                                       impact.rationale))
    return out


def disagreements(study: Study) -> list[Spread]:
    """The spreads where the raters disagree."""
    return [s for s in spreads(study) if s.disagreement]


def _spread(study: Study, kind: str, key: str, name: str, lead: Any, given: dict[str, Any],
            rationale: Optional[str]) -> Spread:
    values = [lead, *given.values()]
    places = [_place(study, name, v) for v in values]
    opposite = name == "effect" and any(v > 0 for v in values) and any(v < 0 for v in values)
    return Spread(kind, key, name, lead, dict(given), max(places) - min(places), opposite, rationale)


def _place(study: Study, name: str, value: Any) -> int:
    if name == "effect":
        return int(value)
    words = list(study.scale) if name == "likelihood" else list(vocab.CONFIDENCE)
    return words.index(value)


@dataclass(frozen=True)
class ActorSpread:
    """An actor's expected net impact (band midpoints), as the lead rates it and with each reviewer's ratings
    put in place of the lead's where the reviewer gave them."""

    actor: str
    lead: float
    by: dict[str, float]  # reviewer -> expected impact with their ratings

    @property
    def low(self) -> float:
        return min(self.lead, *self.by.values())

    @property
    def high(self) -> float:
        return max(self.lead, *self.by.values())

    def to_json(self) -> dict[str, Any]:
        return {"actor": self.actor, "lead": self.lead, "by": self.by, "min": self.low, "max": self.high,
                "moves": self.high - self.low}


def expected_spread(study: Study) -> list[ActorSpread]:
    """Per actor, in study order: expected impact for the lead and for each reviewer ([] without ratings)."""
    if not study.ratings:
        return []
    lead = _expected(study, None)
    by = {name: _expected(study, name) for name in study.ratings}
    return [ActorSpread(aid, lead[aid], {name: values[aid] for name, values in by.items()}) for aid in study.actors]


def _expected(study: Study, reviewer: Optional[str]) -> dict[str, float]:
    """Sum over scenarios of mid-band probability x effect, as `analysis.impacts.expected_impact` computes it."""
    out = dict.fromkeys(study.actors, 0.0)
    for sid, aid, probability, effect in _rated(study, reviewer):
        out[aid] += probability * effect
    return out


def _rated(study: Study, reviewer: Optional[str]) -> Iterator[tuple[str, str, float, int]]:
    ratings = study.ratings.get(reviewer, {}) if reviewer is not None else {}
    for sid, scenario in study.scenarios.items():
        own = ratings.get(sid)
        band = study.band(own.likelihood if own is not None and own.likelihood is not None else scenario.likelihood)
        for aid, impact in scenario.impacts.items():
            theirs = own.impacts.get(aid) if own is not None else None
            effect = theirs.effect if theirs is not None and theirs.effect is not None else impact.effect
            yield sid, aid, band.mid, effect
