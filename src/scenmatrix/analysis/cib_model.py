"""A study's `cib:` section as a cross-impact balance model, and its analysis as plain data.

    from scenmatrix.analysis import cib_model as cib_study
    from scenmatrix.store.loader import load
    model = load("scenarios/russia-iran-2022.yaml").study.cib
    matrix = cib_study.to_matrix(model)       # a cib.CIBMatrix named by descriptor and variant ids
    report = cib_study.analyze(model)         # the consistent scenarios, best total impact score first
    report.to_json()

Pure functions: the model in, numpy and dataclasses out; no I/O and no printing (see `render.cib_scenarios`
and `sheets_cib`). The study is assumed valid (validate.py has checked its ids and values).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from scenmatrix.analysis import cib
from scenmatrix.analysis.cib import CIBMatrix, GroupSum
from scenmatrix.study.model import CrossImpact


def split_ref(ref: str) -> tuple[str, str]:
    """'iran-support.extensive' -> ('iran-support', 'extensive'); CIB ids hold no '.'."""
    descriptor, _, variant = ref.partition(".")
    return descriptor, variant


def to_matrix(model: CrossImpact) -> CIBMatrix:
    """The judgment matrix over all variants, in the order the study lists descriptors and variants.

    Descriptors and variants are named by their ids (unique by construction, and what a scenario is
    written with); titles stay in the study. Omitted judgments are 0.
    """
    descriptors = tuple(model.descriptors)
    variants = tuple(tuple(d.variants) for d in model.descriptors.values())
    column: dict[str, int] = {}
    for d, vs in zip(descriptors, variants):
        for v in vs:
            column[f"{d}.{v}"] = len(column)
    judgments = np.zeros((len(column), len(column)), dtype=np.int8)
    for source, row in model.judgments.items():
        for target, value in row.items():
            judgments[column[source], column[target]] = value
    return CIBMatrix(descriptors, variants, judgments)


@dataclass(frozen=True)
class CIBScenario:
    """One scenario of the model: the variant (id) chosen for each descriptor (id), and its scores."""

    code: str                  # 1-based variant numbers in descriptor order, e.g. '3212'
    variants: dict[str, str]   # descriptor id -> variant id
    inconsistency: int
    total_impact_score: int


@dataclass(frozen=True)
class CIBReport:
    """The scenarios a study's cross-impact model holds together.

    `scenarios` are the consistent ones (inconsistency 0) when there are any; otherwise the least
    inconsistent ones, and `max_inconsistency` says how inconsistent they are. Highest total impact
    score first (the most self-reinforcing), then in scenario-code order.
    """

    model: CrossImpact
    matrix: CIBMatrix
    scanned: int
    max_inconsistency: int
    scenarios: tuple[CIBScenario, ...]
    unbalanced: tuple[GroupSum, ...]   # judgment groups that do not sum to zero (a warning, not an error)

    @property
    def consistent(self) -> bool:
        return self.max_inconsistency == 0

    def descriptor_title(self, descriptor: str) -> str:
        return self.model.descriptors[descriptor].title

    def variant_title(self, descriptor: str, variant: str) -> str:
        return self.model.descriptors[descriptor].variants[variant]

    def to_json(self) -> dict[str, Any]:
        m = self.matrix
        return {
            "note": self.model.note,
            "descriptors": {d: {"title": desc.title, "variants": dict(desc.variants)}
                            for d, desc in self.model.descriptors.items()},
            "scanned": self.scanned,
            "max_inconsistency": self.max_inconsistency,
            "consistent": self.consistent,
            "scenarios": [{"code": s.code, "variants": s.variants, "inconsistency": s.inconsistency,
                           "total_impact_score": s.total_impact_score} for s in self.scenarios],
            "unbalanced_groups": [{"source": _ref(m, g.row), "descriptor": m.descriptors[g.descriptor],
                                   "sum": g.total} for g in self.unbalanced],
        }


def _ref(m: CIBMatrix, row: int) -> str:
    d = m.descriptor_of(row)
    return f"{m.descriptors[d]}.{m.variants[d][row - m.offsets[d]]}"


def analyze(model: CrossImpact, matrix: CIBMatrix | None = None,
            max_scenarios: int = cib.MAX_CIB_SCENARIOS) -> CIBReport:
    """Every consistent scenario of the model, or, if none is consistent, the least inconsistent ones.

    A model with more than `max_scenarios` scenarios is refused (cib.ScenarioBudgetError) before any scan.
    """
    m = matrix if matrix is not None else to_matrix(model)
    cib.check_budget(m, max_scenarios, "cib")
    limit = 0
    found = cib.enumerate_scenarios(m, 0, max_scenarios=max_scenarios)
    # No consistent scenario: widen, doubling, until some scenario is found (a gap never exceeds twice
    # the largest judgment times the other descriptors); the enumeration keeps the least inconsistent.
    ceiling = 2 * max(m.strongest, 1) * max(len(m.descriptors) - 1, 1)
    while not len(found) and limit < ceiling:
        limit = min(ceiling, max(1, 2 * limit))
        found = cib.enumerate_scenarios(m, limit, max_scenarios=max_scenarios)
    rows = [CIBScenario(cib.scenario_code(m, s), m.names(s), inc, tot) for s, inc, tot in found]
    least = min((r.inconsistency for r in rows), default=0)
    rows = [r for r in rows if r.inconsistency == least]
    rows.sort(key=lambda r: -r.total_impact_score)  # stable: index order among equals
    return CIBReport(model, m, found.scanned, least, tuple(rows), tuple(cib.group_sums(m)))
