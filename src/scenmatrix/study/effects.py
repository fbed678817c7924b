"""The scenarios x actors matrix of effects (what `scenmatrix show` prints), as a result with `to_json()`.

Plain data only: no pandas, so that showing a study stays as fast as editing one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from scenmatrix.study.model import Study


@dataclass(frozen=True)
class EffectMatrix:
    """One row a scenario, with its likelihood; one column an actor; '.' where there is no impact."""

    study: Study

    def to_json(self) -> dict[str, Any]:
        s = self.study
        return {
            "actors": [{"id": aid, "name": a.name} for aid, a in s.actors.items()],
            "scenarios": [{"id": sid, "title": sc.title, "likelihood": sc.likelihood, "confidence": sc.confidence,
                           "impacts": {aid: imp.effect for aid, imp in sc.impacts.items()}}
                          for sid, sc in s.scenarios.items()],
        }

    @property
    def headers(self) -> list[str]:
        return ["scenario", "likelihood", *self.study.actors]

    @property
    def right(self) -> frozenset[int]:
        """The effects' columns, aligned right so that signs line up."""
        return frozenset(range(2, len(self.headers)))

    def rows(self) -> list[list[str]]:
        actors = list(self.study.actors)
        return [[sid, sc.likelihood, *(f"{sc.impacts[a].effect:+d}" if a in sc.impacts else "." for a in actors)]
                for sid, sc in self.study.scenarios.items()]
