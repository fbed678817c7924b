"""A study's whole analysis as one result: what `scenmatrix analyze` prints, and its JSON.

The rows are plain values already formatted for a terminal table; the CLI only lays them out.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Optional

import pandas as pd

from scenmatrix.analysis import impacts
from scenmatrix.analysis.budgets import MAX_CIB_SCENARIOS, MAX_CIB_SEARCH_NODES
from scenmatrix.analysis.cib_model import CIBReport
from scenmatrix.analysis.ratings import ActorSpread, expected_spread
from scenmatrix.analysis.rounding import percent, plain, signed
from scenmatrix.study.model import Study

ACTOR_HEADERS = ["actor", "name", "expected", "range", "exp.harm", "harm#", "worst", "P(<0)", "p5..p95",
                 "moves it most"]
PAIR_HEADERS = ["relation", "actor", "actor", "align", "weight", "shared"]


@dataclass(frozen=True)
class StudyAnalysis:
    """Exposure of every actor, alignments between actors, and the cross-impact scenarios if any."""

    samples: int
    seed: int
    names: dict[str, str]              # actor id -> name
    actors: pd.DataFrame               # impacts.actor_report: one row an actor, most exposed first
    results: dict[str, pd.DataFrame]   # impacts.analyze
    cib: Optional[CIBReport]
    raters: tuple[ActorSpread, ...] = ()  # expected impact with each reviewer's ratings (study.ratings)

    @property
    def pairs(self) -> pd.DataFrame:
        return self.results["alignment_pairs"]

    @property
    def alignment_scope(self) -> str:
        """'' or which actors alignment was computed among, when not all (impacts.aligned_actors)."""
        return impacts.alignment_scope(len(self.results["alignment"].columns), len(self.names))

    def to_json(self) -> dict[str, Any]:
        alignment = self.results["alignment"]
        return {
            "actors": self.actors.reset_index().to_dict("records"),
            "sensitivity": self.results["sensitivity"].to_dict("records"),
            "alignment_pairs": self.pairs.to_dict("records"),
            "alignment": alignment.astype(object).where(alignment.notna(), None).to_dict(),
            **({"alignment_scope": self.alignment_scope} if self.alignment_scope else {}),
            **({"cib": self.cib.to_json()} if self.cib is not None else {}),
            **({"raters": [a.to_json() for a in self.raters]} if self.raters else {}),
        }

    def rater_rows(self) -> tuple[list[str], list[list[Any]]]:
        """Headers and rows of how far each actor's expected impact moves across the raters, most moved first."""
        reviewers = list(self.raters[0].by) if self.raters else []
        rows = [[a.actor, self.names.get(a.actor, a.actor), signed(a.lead), f"{signed(a.low)}..{signed(a.high)}",
                 plain(a.high - a.low, 2), *(signed(a.by[r]) for r in reviewers)]
                for a in sorted(self.raters, key=lambda a: a.low - a.high)]
        return ["actor", "name", "lead", "min..max", "moves", *reviewers], rows

    def actor_rows(self) -> list[list[Any]]:
        return [
            [actor, r["name"], signed(r["expected"]), f"{signed(r['low'])}..{signed(r['high'])}",
             signed(r["expected_harm"]), int(r["rank_harm"]),
             f"{int(r['worst_case']):+d} {r['worst_scenario']}" if r["worst_case"] < 0 else "-",
             percent(r["p_negative"]), f"{signed(r['p5'])}..{signed(r['p95'])}", r["moves_it_most"]]
            for actor, r in self.actors.iterrows()
        ]

    def pair_rows(self) -> list[list[Any]]:
        names = self.names
        return [[r.relation, names.get(r.actor_a, r.actor_a), names.get(r.actor_b, r.actor_b), signed(r.alignment),
                 plain(r.intensity, 1), int(r.shared)] for r in self.pairs.itertuples()]


def analyze_study(study: Study, samples: int = 10_000, seed: int = 2022, max_scenarios: int = MAX_CIB_SCENARIOS,
                  max_nodes: int = MAX_CIB_SEARCH_NODES) -> StudyAnalysis:
    """Every analysis of a valid study (see `impacts.analyze` and `cib_model.analyze`: the cross-impact
    scenarios exactly, by branch and bound within `max_nodes`, scanning a space of at most `max_scenarios`
    where the search prunes little)."""
    from scenmatrix.analysis import cib_model
    from scenmatrix.study.tables import frames

    tables = frames(study)
    results = impacts.analyze(tables["impacts"], tables["scenarios"], tables["actors"], samples=samples, seed=seed)
    names = {aid: a.name for aid, a in study.actors.items()}
    cib = None if study.cib is None else cib_model.analyze(study.cib, max_scenarios=max_scenarios, max_nodes=max_nodes)
    return StudyAnalysis(samples, seed, names, impacts.actor_report(results, names), results, cib,
                         tuple(expected_spread(study)))
