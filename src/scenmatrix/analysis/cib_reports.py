"""What the `scenmatrix cib` commands show, as results: each has `to_json()`, the rows of its table (cells
as text) and its verdict; the CLI only lays them out. No I/O and no printing here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterator, Optional

from scenmatrix.analysis import cib
from scenmatrix.analysis.cib import CIBMatrix, Enumeration, Scenario, Succession


@dataclass(frozen=True)
class ScenarioList:
    """The scenarios of a matrix whose inconsistency is at most `max_inconsistency`, consistent ones first."""

    source: str            # the matrix's file, as given
    matrix: CIBMatrix
    max_inconsistency: int
    found: Enumeration

    @property
    def summary(self) -> str:
        k = self.max_inconsistency
        what = "consistent scenarios" if k == 0 else f"scenarios with inconsistency <= {k}"
        return f"{self.source}: {len(self.found):,} {what} of {self.found.scanned:,}"

    def to_json(self) -> dict[str, Any]:
        m = self.matrix
        return {
            "matrix": self.source, "descriptors": list(m.descriptors), "scanned": self.found.scanned,
            "max_inconsistency": self.max_inconsistency,
            "scenarios": [{"code": cib.scenario_code(m, s), "variants": m.names(s), "inconsistency": inc,
                           "total_impact_score": tot} for s, inc, tot in self.found.sorted()],
        }

    @property
    def headers(self) -> list[str]:
        return ["code", *self.matrix.descriptors, "inconsistency", "total impact"]

    @property
    def right(self) -> frozenset[int]:
        return frozenset({len(self.headers) - 2, len(self.headers) - 1})

    def widths(self) -> list[int]:
        """Known before the rows are made, so that a long list can be printed as it is made."""
        m, header = self.matrix, self.headers
        widths = [max(len(header[0]), len(cib.scenario_code(m, [n - 1 for n in m.sizes])))]
        widths += [max(len(d), *map(len, vs)) for d, vs in zip(m.descriptors, m.variants)]
        largest = int(abs(self.found.total_impact).max()) if len(self.found) else 0
        return widths + [len(header[-2]), max(len(header[-1]), len(str(largest)) + 1)]

    def rows(self) -> Iterator[list[str]]:
        m = self.matrix
        for s, inc, tot in self.found.sorted():
            yield [cib.scenario_code(m, s), *m.names(s).values(), str(inc), str(tot)]


def list_scenarios(m: CIBMatrix, max_inconsistency: int = 0, source: str = "", progress=None) -> ScenarioList:
    return ScenarioList(source, m, max_inconsistency, cib.enumerate_scenarios(m, max_inconsistency,
                                                                              progress=progress))


@dataclass(frozen=True)
class BalanceReport:
    """A scenario's impact balance on every variant, and whether it is consistent."""

    matrix: CIBMatrix
    scenario: Scenario

    def __post_init__(self) -> None:
        m, s = self.matrix, self.scenario
        object.__setattr__(self, "_balances", cib.balances(m, s))
        object.__setattr__(self, "_gaps", cib.descriptor_gaps(m, s))

    @property
    def inconsistency(self) -> int:
        return int(self._gaps.max())

    @property
    def total_impact_score(self) -> int:
        return cib.total_impact_score(self.matrix, self.scenario)

    @property
    def code(self) -> str:
        return cib.scenario_code(self.matrix, self.scenario)

    def to_json(self) -> dict[str, Any]:
        m, bal, off = self.matrix, self._balances, self.matrix.offsets
        return {
            "code": self.code, "variants": m.names(self.scenario), "consistent": self.inconsistency == 0,
            "inconsistency": self.inconsistency, "total_impact_score": self.total_impact_score,
            "balances": {d: {v: int(bal[off[k] + j]) for j, v in enumerate(m.variants[k])}
                         for k, d in enumerate(m.descriptors)},
        }

    headers = ["descriptor", "variant", "balance", ""]
    right = frozenset({2})

    def rows(self) -> list[list[str]]:
        m, s, bal, gaps = self.matrix, self.scenario, self._balances, self._gaps
        rows = []
        for k, d in enumerate(m.descriptors):
            block = bal[m.offsets[k]:m.offsets[k] + m.sizes[k]]
            for j, v in enumerate(m.variants[k]):
                best, chosen = block[j] == block.max(), j == s[k]
                mark = "<- chosen" if chosen and best else "<- chosen, not the highest" if chosen else \
                    "<- highest" if best and gaps[k] else ""
                rows.append([d if j == 0 else "", v, str(int(block[j])), mark])
        return rows

    @property
    def verdict(self) -> str:
        off_by = [d for d, g in zip(self.matrix.descriptors, self._gaps) if g]
        verdict = "consistent" if self.inconsistency == 0 else f"inconsistent ({', '.join(off_by)})"
        return f"inconsistency {self.inconsistency}, total impact score {self.total_impact_score}: {verdict}"


@dataclass(frozen=True)
class SuccessionReport:
    """Where succession from a scenario leads: each step, and the fixed point or cycle it ends in."""

    matrix: CIBMatrix
    rule: str
    result: Succession

    def _code(self, s: Scenario) -> str:
        return cib.scenario_code(self.matrix, s)

    def to_json(self) -> dict[str, Any]:
        m, r = self.matrix, self.result
        return {
            "rule": self.rule, "steps": r.steps, "cycle": r.is_cycle,
            "path": [{"code": self._code(s), "variants": m.names(s), "inconsistency": cib.inconsistency(m, s)}
                     for s in r.path],
            "attractor": [self._code(s) for s in r.attractor],
        }

    @property
    def headers(self) -> list[str]:
        return ["step", "code", *self.matrix.descriptors, "inconsistency"]

    @property
    def right(self) -> frozenset[int]:
        return frozenset({0, len(self.headers) - 1})

    def rows(self) -> list[list[str]]:
        m = self.matrix
        return [[str(step), self._code(s), *m.names(s).values(), str(cib.inconsistency(m, s))]
                for step, s in enumerate(self.result.path)]

    @property
    def outcome(self) -> str:
        r = self.result
        if not r.attractor:
            return f"no attractor within {r.steps} steps"
        if r.is_cycle:
            loop = " -> ".join(self._code(s) for s in (*r.attractor, r.attractor[0]))
            return f"cycle of {len(r.attractor)} scenarios after {r.steps} steps: {loop}"
        return f"fixed point after {r.steps} step{'s' * (r.steps != 1)}: {self._code(r.attractor[0])}"


def follow(m: CIBMatrix, s: Scenario, rule: str = "global") -> SuccessionReport:
    return SuccessionReport(m, rule, cib.succession(m, s, rule))


@dataclass(frozen=True)
class Promotion:
    """A CIB scenario as the fields of a new study scenario, with the analyst's judgments added."""

    code: str
    inconsistency: int
    fields: dict[str, str]

    @property
    def warning(self) -> Optional[str]:
        """Said when the scenario does not hang together: promoting it is allowed, but worth a second look."""
        if not self.inconsistency:
            return None
        return f"warning: CIB scenario {self.code} is not consistent (inconsistency {self.inconsistency})"


def promotion(m: CIBMatrix, s: Scenario, source_name: str, title: str, likelihood: str, confidence: str,
              horizon: Optional[str] = None) -> Promotion:
    """The study scenario's fields; its narrative lists the CIB variant of each descriptor and its scores."""
    code, inc, tot = cib.scenario_code(m, s), cib.inconsistency(m, s), cib.total_impact_score(m, s)
    narrative = (f"Cross-impact balance scenario {code} of {source_name}: "
                 + "; ".join(f"{d}: {v}" for d, v in m.names(s).items())
                 + f". Inconsistency {inc}, total impact score {tot}.")
    fields = {"title": title, "narrative": narrative, "likelihood": likelihood, "confidence": confidence}
    if horizon:
        fields["horizon"] = horizon
    return Promotion(code, inc, fields)
