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

from scenmatrix.errors import counted
from scenmatrix.analysis import cib
from scenmatrix.analysis.budgets import MAX_CIB_SEARCH_NODES, MAX_STUDY_CIB_LISTED
from scenmatrix.analysis.cib import CIBMatrix, GroupSum
from scenmatrix.analysis.cib_matrix import search_stopped
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
    scanned: int                       # scenarios settled: the whole space unless the search stopped
    max_inconsistency: int
    scenarios: tuple[CIBScenario, ...]
    unbalanced: tuple[GroupSum, ...]   # judgment groups that do not sum to zero (a warning, not an error)
    complete: bool = True              # False: the search stopped at its node budget (`stopped` says where)
    nodes: int = 0                     # partial scenarios the branch-and-bound search evaluated
    left_out: int = 0                  # as inconsistent as those listed, but beyond the listing's limit

    @property
    def consistent(self) -> bool:
        return self.max_inconsistency == 0

    @property
    def space(self) -> int:
        return self.matrix.n_scenarios

    @property
    def stopped(self) -> str | None:
        """What an unfinished search proved ('searched 46 % of the space ... others may exist'), or None."""
        return self.stopped_saying("pass --max-nodes N to search further")

    def stopped_saying(self, further: str) -> str | None:
        """`stopped`, with `further` saying how to search further."""
        if self.complete:
            return None
        found = len(self.scenarios) + self.left_out
        what = "consistent scenario" + "s" * (found != 1)
        return search_stopped(self.scanned, self.space, self.nodes, found, what, further)

    def unbalanced_saying(self) -> str | None:
        """How many judgment groups do not sum to 0, as one clause for the CLI and the sheet; None if none."""
        n = len(self.unbalanced)
        return f"{counted(n, 'judgment group')} {'does' if n == 1 else 'do'} not sum to 0" if n else None

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
            "space": self.space,
            "complete": self.complete,
            **({"nodes": self.nodes} if self.nodes else {}),
            **({"left_out": self.left_out} if self.left_out else {}),
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


def analyze(model: CrossImpact, matrix: CIBMatrix | None = None, max_scenarios: int = cib.MAX_CIB_SCENARIOS,
            max_nodes: int = MAX_CIB_SEARCH_NODES, limit: int = MAX_STUDY_CIB_LISTED) -> CIBReport:
    """Every consistent scenario of the model, or, if none is consistent, the least inconsistent ones.

    Exact at any size, as `cib scenarios`: branch and bound (cib.find_scenarios), scanning a space of at
    most `max_scenarios` where the search prunes little. The search evaluates at most `max_nodes` partial
    scenarios in all: one stopped there reports what it found in the part it settled (`complete` False).
    At most `limit` scenarios are kept, the least inconsistent; `left_out` counts the others as good.
    """
    m = matrix if matrix is not None else to_matrix(model)
    k, nodes = 0, 0

    def find(k: int) -> cib.Enumeration:
        nonlocal nodes
        found = cib.find_scenarios(m, k, max_scenarios=max_scenarios, max_nodes=max(1, max_nodes - nodes),
                                   limit=limit)
        nodes += getattr(found, "nodes", 0)
        return found

    found = find(0)
    # No consistent scenario, proved: widen, doubling, until some scenario is found (a gap never exceeds
    # twice the largest judgment times the other descriptors); the search keeps the least inconsistent.
    # An unfinished search has proved nothing about the rest, so it is not widened.
    ceiling = 2 * max(m.strongest, 1) * max(len(m.descriptors) - 1, 1)
    while not len(found) and getattr(found, "complete", True) and k < ceiling and nodes < max_nodes:
        k = min(ceiling, max(1, 2 * k))
        found = find(k)
    rows = [CIBScenario(cib.scenario_code(m, s), m.names(s), inc, tot) for s, inc, tot in found]
    least = min((r.inconsistency for r in rows), default=0)
    rows = [r for r in rows if r.inconsistency == least]
    # counted only where they are as good as those listed: consistent (with k > 0 those left out may be worse)
    left_out = found.left_out if found.max_inconsistency == 0 else 0
    rows.sort(key=lambda r: -r.total_impact_score)  # stable: index order among equals
    return CIBReport(model, m, found.scanned, least, tuple(rows), tuple(cib.group_sums(m)),
                     bool(getattr(found, "complete", True)), nodes, left_out)
