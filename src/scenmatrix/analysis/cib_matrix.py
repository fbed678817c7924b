"""The cross-impact matrix and what is computed for one scenario: balances, gaps, scores, codes, indices,
the space's budget, and scenarios as people write them. The engine's parts build on this one (see `cib`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cached_property
from typing import Callable, Iterable, Optional, Sequence

import numpy as np

from scenmatrix.analysis.budgets import CIB_SCAN_RATE, MAX_CIB_SCENARIOS
from scenmatrix.errors import Problem, ScenmatrixError, UsageError, did_you_mean

JUDGMENT_MIN, JUDGMENT_MAX = -3, 3  # the scale a judgment is written on by hand (CSV matrices, studies)
# What a matrix may hold: ScenarioWizard's own files carry aggregated judgments (several experts' summed, or
# weighted), -20..+20 in the public examples; stored as int8.
JUDGMENT_LIMIT = 99

Scenario = tuple[int, ...]  # one 0-based variant index per descriptor
Progress = Callable[[int, int], None]  # (scenarios scanned so far, scenarios in all)


class CIBError(ScenmatrixError):
    """A cross-impact matrix or a scenario that cannot be used."""


class ScenarioBudgetError(CIBError):
    """A scenario space larger than the caller allowed to enumerate."""

    def __init__(self, problems: Iterable[Problem], n_scenarios: int, limit: int):
        super().__init__(problems)
        self.n_scenarios, self.limit = n_scenarios, limit


class ScenarioError(CIBError, UsageError):
    """A scenario, as given on the command line or to `parse_scenario`, that names no scenario of the matrix."""


@dataclass(frozen=True, eq=False)
class CIBMatrix:
    """Descriptors, their variants, and the judgment matrix over all variants (rows act on columns)."""

    descriptors: tuple[str, ...]
    variants: tuple[tuple[str, ...], ...]
    judgments: np.ndarray = field(repr=False)
    # What the matrix may hold beyond a hand-written one. ScenarioWizard's files carry aggregated judgments
    # (up to JUDGMENT_LIMIT) and judgments of a descriptor on itself, which count in its balances as in
    # ScenarioWizard (its solution sets agree only so: tests/unit/store/test_cib_scw.py).
    scale: int = field(default=JUDGMENT_MAX, compare=False)
    self_impacts: bool = field(default=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "descriptors", tuple(self.descriptors))
        object.__setattr__(self, "variants", tuple(tuple(v) for v in self.variants))
        if len(self.descriptors) != len(self.variants):
            raise UsageError(f"{len(self.descriptors)} descriptors but {len(self.variants)} variant lists")
        if not self.descriptors:
            raise UsageError("a CIB matrix needs at least one descriptor")
        if len(set(self.descriptors)) != len(self.descriptors):
            raise UsageError(f"duplicate descriptor names: {_duplicates(self.descriptors)}")
        for name, variants in zip(self.descriptors, self.variants):
            if len(variants) < 2:
                raise UsageError(f"descriptor {name!r} has {len(variants)} variant(s); it needs at least two")
            if len(set(variants)) != len(variants):
                raise UsageError(f"descriptor {name!r} has duplicate variants: {_duplicates(variants)}")
        raw = np.asarray(self.judgments)
        n = sum(len(v) for v in self.variants)
        if raw.shape != (n, n):
            raise UsageError(f"judgments must be {n} x {n} (one row and column per variant), not {raw.shape}")
        if raw.dtype.kind not in "iu" and not (raw.dtype.kind == "f" and np.all(np.mod(raw, 1) == 0)):
            raise UsageError("judgments must be integers")
        if not 1 <= self.scale <= JUDGMENT_LIMIT:
            raise UsageError(f"scale must lie in 1..{JUDGMENT_LIMIT}")
        if raw.size and (raw.min() < -self.scale or raw.max() > self.scale):
            raise UsageError(f"judgments must lie in {-self.scale}..{self.scale}")
        matrix = raw.astype(np.int8)
        for start, size in zip(self.offsets, self.sizes):
            if not self.self_impacts and matrix[start:start + size, start:start + size].any():
                raise UsageError("a descriptor does not act on itself: the diagonal blocks must be zero")
        matrix.setflags(write=False)
        object.__setattr__(self, "judgments", matrix)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, CIBMatrix):
            return NotImplemented
        return (self.descriptors, self.variants) == (other.descriptors, other.variants) and bool(
            np.array_equal(self.judgments, other.judgments))

    __hash__ = None  # type: ignore[assignment]

    @cached_property
    def sizes(self) -> tuple[int, ...]:
        """Number of variants of each descriptor."""
        return tuple(len(v) for v in self.variants)

    @cached_property
    def offsets(self) -> tuple[int, ...]:
        """Row/column of each descriptor's first variant."""
        return tuple(int(x) for x in np.concatenate([[0], np.cumsum(self.sizes)[:-1]]))

    @cached_property
    def strongest(self) -> int:
        """The largest judgment in absolute value (bounds every balance: at most this x (descriptors - 1))."""
        return int(np.abs(self.judgments.astype(np.int16)).max()) if self.judgments.size else 0

    @property
    def n_variants(self) -> int:
        return sum(self.sizes)

    @property
    def n_scenarios(self) -> int:
        """Size of the scenario space (a Python int: it may exceed 64 bits)."""
        total = 1
        for size in self.sizes:
            total *= size
        return total

    def descriptor_of(self, column: int) -> int:
        """Index of the descriptor that owns variant row/column `column`."""
        return int(np.searchsorted(self.offsets, column, side="right") - 1)

    def names(self, scenario: Sequence[int]) -> dict[str, str]:
        """{descriptor: chosen variant name}."""
        return {d: vs[i] for d, vs, i in zip(self.descriptors, self.variants, _check(self, scenario))}


@dataclass(frozen=True)
class GroupSum:
    """A row of a judgment group (one variant's judgments on another descriptor) that does not sum to 0."""

    row: int          # variant row in the matrix
    descriptor: int   # the descriptor acted upon (its columns)
    total: int


def _duplicates(names: Sequence[str]) -> str:
    seen: set[str] = set()
    return ", ".join(sorted({n for n in names if n in seen or seen.add(n)}))  # type: ignore[func-returns-value]


def _check(m: CIBMatrix, scenario: Sequence[int]) -> Scenario:
    s = tuple(int(v) for v in scenario)
    if len(s) != len(m.sizes) or any(not 0 <= v < n for v, n in zip(s, m.sizes)):
        raise UsageError(f"scenario {s} does not fit descriptors with {m.sizes} variants (0-based indices)")
    return s


def _rows(m: CIBMatrix, scenario: Scenario) -> np.ndarray:
    return np.asarray(m.offsets) + np.asarray(scenario)


# --------------------------------------------------------------------------------------------
# One scenario


def balances(m: CIBMatrix, scenario: Sequence[int]) -> np.ndarray:
    """Impact balance on every variant (length n_variants): the column sums of the chosen rows.

    A descriptor's own row adds nothing to its own variants (its diagonal block is zero), so this
    is the sum over the other descriptors, as the definition asks.
    """
    s = _check(m, scenario)
    return m.judgments[_rows(m, s)].sum(axis=0, dtype=np.int64)


def descriptor_gaps(m: CIBMatrix, scenario: Sequence[int]) -> np.ndarray:
    """For each descriptor: its highest balance minus the balance of its chosen variant (0 = consistent)."""
    s = _check(m, scenario)
    bal = balances(m, s)
    best = np.maximum.reduceat(bal, m.offsets)
    return best - bal[_rows(m, s)]


def inconsistency(m: CIBMatrix, scenario: Sequence[int]) -> int:
    """The scenario's inconsistency: the largest descriptor gap (0 for a consistent scenario)."""
    return int(descriptor_gaps(m, scenario).max())


def is_consistent(m: CIBMatrix, scenario: Sequence[int]) -> bool:
    return inconsistency(m, scenario) == 0


def total_impact_score(m: CIBMatrix, scenario: Sequence[int]) -> int:
    """Sum of the balances of the chosen variants."""
    s = _check(m, scenario)
    return int(balances(m, s)[_rows(m, s)].sum())


def balance_table(m: CIBMatrix, scenario: Sequence[int]):
    """One row per variant: descriptor, variant, balance, chosen (bool), best (bool: maximal in its descriptor)."""
    import pandas as pd

    s = _check(m, scenario)
    bal = balances(m, s)
    best = np.repeat(np.maximum.reduceat(bal, m.offsets), m.sizes)
    chosen = np.zeros(m.n_variants, dtype=bool)
    chosen[_rows(m, s)] = True
    return pd.DataFrame({
        "descriptor": np.repeat(np.array(m.descriptors, dtype=object), m.sizes),
        "variant": [v for vs in m.variants for v in vs],
        "balance": bal,
        "chosen": chosen,
        "best": bal == best,
    })


def group_sums(m: CIBMatrix) -> list[GroupSum]:
    """The rows of judgment groups that do not sum to zero.

    CIB matrices are usually "standardized": each variant's judgments on the variants of another
    descriptor sum to zero, so that only relative promotion counts. Other matrices are valid, so
    this is a warning for the analyst, not an error.
    """
    sums = np.add.reduceat(m.judgments.astype(np.int64), m.offsets, axis=1)
    out = []
    for row, target in zip(*np.nonzero(sums)):
        if m.descriptor_of(int(row)) != target:
            out.append(GroupSum(int(row), int(target), int(sums[row, target])))
    return out


# --------------------------------------------------------------------------------------------
# Scenario indices: mixed radix over the descriptors, the first descriptor most significant


def scenario_index(m: CIBMatrix, scenario: Sequence[int]) -> int:
    index = 0
    for v, n in zip(_check(m, scenario), m.sizes):
        index = index * n + v
    return index


def scenario_at(m: CIBMatrix, index: int) -> Scenario:
    if not 0 <= index < m.n_scenarios:
        raise UsageError(f"scenario index {index} outside 0..{m.n_scenarios - 1}")
    out = []
    for n in reversed(m.sizes):
        index, v = divmod(index, n)
        out.append(v)
    return tuple(reversed(out))


def scenario_code(m: CIBMatrix, scenario: Sequence[int]) -> str:
    """1-based variant numbers, e.g. '313211', or '3.1.12.2' when a descriptor has ten or more variants."""
    s = _check(m, scenario)
    sep = "" if max(m.sizes) < 10 else "."
    return sep.join(str(v + 1) for v in s)


# --------------------------------------------------------------------------------------------
# Budget

_SUPERSCRIPT = str.maketrans("0123456789-", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻")


def space_size(n: int) -> str:
    """A count as people read it: 486,000 or, once it is long, 9.5×10¹³."""
    if n < 10 ** 10:
        return f"{n:,}"
    mantissa, exponent = f"{n:.1e}".split("e")
    return f"{mantissa}×10{str(int(exponent)).translate(_SUPERSCRIPT)}"


def search_stopped(scanned: int, space: int, nodes: int, found: int, what: str,
                   further: str = "pass --max-nodes N to search further") -> str:
    """What a branch-and-bound search stopped at its node budget has proved, and what it has not: the
    share of the space settled and what it found there; the rest is not claimed."""
    return (f"searched {100 * scanned / space:.0f} % of the space ({space_size(scanned)} of {space_size(space)} "
            f"scenarios) in {nodes:,} nodes: found {found:,} {what}; others may exist — {further}")


def _duration(seconds: float) -> str:
    for unit, size in (("years", 365 * 86400), ("days", 86400), ("hours", 3600), ("minutes", 60)):
        if seconds >= 2 * size:
            return f"{seconds / size:,.0f} {unit}"
    return f"{seconds:.0f} seconds"


def check_budget(m: CIBMatrix, max_scenarios: int = MAX_CIB_SCENARIOS, source: str = "<matrix>",
                 line: int = 1, col: int = 1, option: str = "--max-scenarios") -> None:
    """Refuse (ScenarioBudgetError) a space larger than `max_scenarios`, saying its size and how to allow it."""
    total = m.n_scenarios
    if total <= max_scenarios:
        return
    message = (f"the cross-impact model has {space_size(total)} scenarios ({len(m.sizes)} descriptors, "
               f"{m.n_variants} variants); full enumeration is refused above {max_scenarios:,} "
               f"(it would take about {_duration(total / CIB_SCAN_RATE)})")
    hint = f"pass {option} N to allow more, or drop descriptors or variants"
    raise ScenarioBudgetError([Problem(source, line, col, "cib-budget", message, hint)], total, max_scenarios)



# --------------------------------------------------------------------------------------------
# Scenarios written by people

_NUMBERS = re.compile(r"\s*\d+(?:\s*[.,;/ ]\s*\d+)*\s*")


def parse_scenario(m: CIBMatrix, text: str, source: str = "SCENARIO") -> Scenario:
    """A scenario from text, in one of three forms (variant numbers are 1-based):

        Government=Social party, Economy=Dynamic, ...   every descriptor, any order; a variant by name or number
        313211   or   3.1.3.2.1.1                        one number per descriptor, in order
        Social party, Cooperation, Dynamic, ...          one variant name per descriptor, in order

    Errors are CIBError problems positioned at the character of `text` (line 1) that is wrong.
    """
    problems: list[Problem] = []

    def fail(col: int, message: str, hint: Optional[str] = None) -> None:
        problems.append(Problem(source, 1, col, "scenario", message, hint))

    if not text.strip():
        example = scenario_code(m, [0] * len(m.sizes))
        raise ScenarioError([Problem(source, 1, 1, "scenario", "empty scenario",
                                     f"give one variant per descriptor, e.g. {example}")], param=source)
    D = len(m.sizes)
    if "=" in text:
        chosen: dict[int, int] = {}
        for part, col in _parts(text, ","):
            name, sep, value = part.partition("=")
            if not sep:
                fail(col, f"expected DESCRIPTOR=VARIANT, got {part.strip()!r}")
                continue
            d = _find(m.descriptors, name.strip())
            if d is None:
                fail(col, f"unknown descriptor {name.strip()!r}",
                     did_you_mean(name.strip(), m.descriptors) or "descriptors: " + ", ".join(m.descriptors))
                continue
            if d in chosen:
                fail(col, f"descriptor {m.descriptors[d]!r} given twice")
                continue
            v = _variant(m, d, value.strip())
            if v is None:
                at = col + len(name) + 1 + (len(value) - len(value.lstrip()))
                fail(at, f"{m.descriptors[d]!r} has no variant {value.strip()!r}",
                     did_you_mean(value.strip(), m.variants[d]) or "variants: " + ", ".join(m.variants[d]))
                continue
            chosen[d] = v
        missing = [m.descriptors[d] for d in range(D) if d not in chosen]
        if missing and not problems:
            fail(len(text) + 1, f"no variant given for {', '.join(map(repr, missing))}",
                 "name a variant for every descriptor")
        if problems:
            raise ScenarioError(problems, param=source)
        return tuple(chosen[d] for d in range(D))

    if _NUMBERS.fullmatch(text):
        stripped = text.strip()
        offset = text.index(stripped[0]) + 1
        if stripped.isdigit() and max(m.sizes) < 10:
            parts = [(ch, offset + i) for i, ch in enumerate(stripped)]
        else:
            parts = [(p, offset + s) for p, s in ((mt.group(), mt.start()) for mt in re.finditer(r"\d+", stripped))]
        if len(parts) != D:
            raise ScenarioError([Problem(source, 1, offset, "scenario",
                                         f"{len(parts)} variant numbers for {D} descriptors",
                                         f"give one per descriptor in order ({', '.join(m.descriptors)})")],
                                param=source)
        out = []
        for d, (number, col) in enumerate(parts):
            if not 1 <= int(number) <= m.sizes[d]:
                fail(col, f"{m.descriptors[d]!r} has variants 1..{m.sizes[d]}, not {number}")
            out.append(int(number) - 1)
        if problems:
            raise ScenarioError(problems, param=source)
        return tuple(out)

    parts = _parts(text, ",")
    if len(parts) != D:
        raise ScenarioError([Problem(source, 1, 1, "scenario", f"{len(parts)} variants for {D} descriptors",
                                     "give one variant per descriptor in order, or DESCRIPTOR=VARIANT pairs")],
                            param=source)
    out = []
    for d, (part, col) in enumerate(parts):
        v = _variant(m, d, part.strip())
        if v is None:
            fail(col + len(part) - len(part.lstrip()), f"{m.descriptors[d]!r} has no variant {part.strip()!r}",
                 did_you_mean(part.strip(), m.variants[d]) or "variants: " + ", ".join(m.variants[d]))
        out.append(v if v is not None else 0)
    if problems:
        raise ScenarioError(problems, param=source)
    return tuple(out)


def _parts(text: str, sep: str) -> list[tuple[str, int]]:
    """Pieces of text between separators, each with its 1-based start column."""
    out, start = [], 0
    for piece in text.split(sep):
        out.append((piece, start + 1))
        start += len(piece) + len(sep)
    return out


def _find(names: Sequence[str], name: str) -> Optional[int]:
    if name in names:
        return list(names).index(name)
    folded = [i for i, n in enumerate(names) if n.casefold() == name.casefold()]
    return folded[0] if len(folded) == 1 else None


def _variant(m: CIBMatrix, d: int, value: str) -> Optional[int]:
    found = _find(m.variants[d], value)
    if found is None and value.isdigit() and 1 <= int(value) <= m.sizes[d]:
        return int(value) - 1
    return found
