"""What the `scenmatrix cib` commands show, as results: each has `to_json()`, the rows of its table (cells
as text) and its verdict; the CLI only lays them out. No I/O and no printing here.
"""

from __future__ import annotations

import itertools
import json
import textwrap
from dataclasses import dataclass
from typing import Any, Iterator, Optional

from scenmatrix.analysis import cib, cib_basins
from scenmatrix.analysis.budgets import MAX_CIB_BASIN_SCAN, MAX_CIB_SEARCH_NODES
from scenmatrix.analysis.cib_matrix import search_stopped
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
        found = self.found
        if not getattr(found, "complete", True):  # a search stopped at its budget: what it proved, no more
            line = f"{self.source}: warning: " + search_stopped(found.scanned, self.matrix.n_scenarios, found.nodes,
                                                                len(found) + found.left_out, what)
        else:
            line = f"{self.source}: {len(found) + found.left_out:,} {what} of {found.scanned:,}"
        if found.left_out:
            line += (f"; only the {len(found):,} least inconsistent are listed, {found.left_out:,} are not"
                     f" — pass --limit N to list more")
        return line

    def _head(self) -> dict[str, Any]:
        return {
            "matrix": self.source, "descriptors": list(self.matrix.descriptors), "scanned": self.found.scanned,
            "max_inconsistency": self.max_inconsistency,
            "matched": len(self.found) + self.found.left_out, "left_out": self.found.left_out,
            "complete": bool(getattr(self.found, "complete", True)),
        }

    def _entries(self) -> Iterator[dict[str, Any]]:
        m = self.matrix
        for s, inc, tot in self.found.sorted():
            yield {"code": cib.scenario_code(m, s), "variants": m.names(s), "inconsistency": inc,
                   "total_impact_score": tot}

    def to_json(self) -> dict[str, Any]:
        return {**self._head(), "scenarios": list(self._entries())}

    def json_text(self) -> Iterator[str]:
        """`json.dumps(self.to_json(), indent=2)` piece by piece: a long list is never held as objects."""
        head = json.dumps({**self._head(), "scenarios": []}, indent=2, ensure_ascii=False)
        assert head.endswith("[]\n}")
        entries = self._entries()
        first = next(entries, None)
        if first is None:
            yield head
            return
        yield head[:-4] + "[\n"
        for n, entry in enumerate(itertools.chain([first], entries)):
            yield ("" if n == 0 else ",\n") + textwrap.indent(json.dumps(entry, indent=2, ensure_ascii=False), "    ")
        yield "\n  ]\n}"

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

    def solution_rows(self) -> list[tuple[Scenario, int, int, int]]:
        """The scenarios listed as a ScenarioWizard solution set has them (store.cib_scw.format_solutions):
        (scenario, basin, consistency value, total impact score). The basin is each one's under global
        succession where the whole space can be followed (at most MAX_CIB_BASIN_SCAN), else 0: not counted."""
        m = self.matrix
        basin: dict[Scenario, int] = {}
        if m.n_scenarios <= MAX_CIB_BASIN_SCAN and len(self.found):
            basin = {states[0]: int(size) for states, size in cib.basins(m) if len(states) == 1}
        return [(s, basin.get(s, 0), consistency_value(m, s), tot) for s, _, tot in self.found.sorted()]


def consistency_value(m: CIBMatrix, s: Scenario) -> int:
    """The least lead of a chosen variant over the best other variant of its descriptor: 0 or more for a
    consistent scenario (0 where one ties), minus its inconsistency for another."""
    bal = cib.balances(m, s)
    leads = []
    for d, (o, n) in enumerate(zip(m.offsets, m.sizes)):
        own = bal[o:o + n]
        leads.append(int(own[s[d]]) - int(max(v for j, v in enumerate(own) if j != s[d])))
    return min(leads)


def list_scenarios(m: CIBMatrix, max_inconsistency: int = 0, source: str = "", progress=None,
                   max_scenarios: int = cib.MAX_CIB_SCENARIOS, limit: Optional[int] = cib.MAX_LISTED,
                   max_nodes: int = MAX_CIB_SEARCH_NODES) -> ScenarioList:
    """The scenarios with inconsistency <= max_inconsistency, exactly (`cib.find_scenarios`): a space above
    `max_scenarios` is never scanned, only searched, up to `max_nodes`; at most `limit` scenarios are kept."""
    found = cib.find_scenarios(m, max_inconsistency, progress=progress, max_scenarios=max_scenarios,
                               max_nodes=max_nodes, limit=limit)
    return ScenarioList(source, m, max_inconsistency, found)


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


@dataclass(frozen=True)
class BasinReport:
    """The attractors of global succession with their basins, as `cib basins` shows them."""

    source: str          # the matrix's file, as given
    basins: cib_basins.Basins

    def _entries(self) -> Iterator[dict[str, Any]]:
        for codes, size in self.basins.coded():
            yield {"code": codes[0], "size": size} if len(codes) == 1 else {"cycle": codes, "size": size}

    def _tail(self) -> dict[str, Any]:
        b = self.basins
        return {"scanned": b.scanned, "space": b.space, "sampled": b.sampled}

    def to_json(self) -> dict[str, Any]:
        return {"basins": list(self._entries()), **self._tail()}

    def json_text(self) -> Iterator[str]:
        """`json.dumps(self.to_json(), indent=2)` piece by piece: a model whose every scenario is a fixed point
        has as many attractors as scenarios."""
        whole = json.dumps({"basins": [], **self._tail()}, indent=2, ensure_ascii=False)
        head, rest = whole.split("[]", 1)
        first = True
        yield head + "["
        for entry in self._entries():
            if "code" in entry:  # written out: json.dumps of each of a million entries takes most of the time
                text = f'    {{\n      "code": "{entry["code"]}",\n      "size": {entry["size"]}\n    }}'
            else:
                text = textwrap.indent(json.dumps(entry, indent=2, ensure_ascii=False), "    ")
            yield ("\n" if first else ",\n") + text
            first = False
        yield ("]" if first else "\n  ]") + rest

    # The attractor last: a cycle can run to many codes, and the other columns stay narrow and aligned.
    headers = ["basin", "share", "kind", "attractor"]
    right = frozenset({0, 1})

    def widths(self) -> list[int]:
        """Known before the rows are made, so that a long table can be printed as it is made."""
        b, m = self.basins, self.basins.matrix
        code = len(cib.scenario_code(m, [n - 1 for n in m.sizes]))
        largest = int(b.sizes.max()) if len(b) else 0
        kind = len("fixed point") if b.longest <= 1 else max(len("fixed point"), len(f"cycle of {b.longest}"))
        share = len(f"{100 * largest / b.scanned:.1f} %") if len(b) else 0
        return [max(5, len(f"{largest:,}")), max(5, share), kind, max(9, b.longest * (code + 3) - 3)]

    def rows(self) -> Iterator[list[str]]:
        scanned = self.basins.scanned
        for codes, size in self.basins.coded():
            yield [f"{size:,}", f"{100 * size / scanned:.1f} %",
                   "fixed point" if len(codes) == 1 else f"cycle of {len(codes)}", " → ".join(codes)]

    @property
    def summary(self) -> str:
        b = self.basins
        fixed = len(b) - b.cycles
        found = f"{len(b):,} attractor{'s' * (len(b) != 1)} ({fixed:,} fixed point{'s' * (fixed != 1)}, " \
                f"{b.cycles:,} cycle{'s' * (b.cycles != 1)})"
        if not b.sampled:
            return f"{self.source}: {found}; global succession followed from every one of the {b.space:,} scenarios"
        starts = f"the first {b.scanned:,} of {b.asked:,}" if b.stopped else f"{b.scanned:,}"
        return (f"{self.source}: {found}; global succession followed from a uniform sample of {starts} start "
                f"scenarios (seed {b.seed}) of the {cib.space_size(b.space)} in the space. Sampled: basins count "
                f"sampled starts, shares estimate the space's, and an attractor with a small basin may be missed")

    @property
    def warning(self) -> Optional[str]:
        """Said when the walks stopped at the memory budget before every start asked for was followed."""
        b = self.basins
        if not b.stopped:
            return None
        return (f"{self.source}: warning: stopped after {b.scanned:,} of the {b.asked:,} sampled starts: their walks "
                f"passed through {b.budget:,} distinct scenarios, the most held in memory; the basins count those "
                f"{b.scanned:,} — pass a smaller --sample N")


def basin_report(m: CIBMatrix, source: str = "", sample: Optional[int] = None, seed: int = 0,
                 progress=None) -> BasinReport:
    """Every scenario followed by global succession to its attractor, or `sample` starts (and a default sample
    when the space is larger than `budgets.MAX_CIB_BASIN_SCAN`), as `cib_basins.basins`."""
    found = cib_basins.basins(m, sample, seed, progress=progress, source=source or "<matrix>")
    return BasinReport(source, found)
