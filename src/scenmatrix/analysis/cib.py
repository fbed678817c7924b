"""Cross-impact balance (CIB) analysis after Weimer-Jehle (2006): pure functions on numpy arrays.

A CIB model has descriptors, each with two or more variants, and a square matrix of integer
judgments (-3..+3) over all variants: the cell in row i, column j says how strongly variant i, when
it holds, promotes (+) or hinders (-) variant j of another descriptor. A descriptor does not act on
itself, so the diagonal blocks are zero.

A scenario picks one variant per descriptor, written here as a tuple of 0-based variant indices.
Its impact balance on a variant is the sum, over the other descriptors, of the judgment of their
chosen variant on that variant. A scenario is consistent when every descriptor's chosen variant has
the highest balance within its descriptor (ties allowed); its inconsistency is the largest shortfall
(max balance - balance of the chosen variant) over the descriptors; its total impact score is the
sum of the balances of the chosen variants.

    from scenmatrix.analysis import cib
    from scenmatrix.store import cib_csv as cib_io
    model = cib_io.read_matrix("tests/data/cib/somewhereland.csv").matrix
    found = cib.enumerate_scenarios(model)                 # all consistent scenarios
    found = cib.enumerate_scenarios(model, max_inconsistency=1)
    cib.balance_table(model, cib.parse_scenario(model, "313211"))
    cib.succession(model, (1, 0, 2, 0, 0, 0)).attractor

No file I/O here (see `cib_io`), and pandas is imported only by the functions that return frames.
"""

from __future__ import annotations

import os
import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import cached_property
from typing import Callable, Iterable, Iterator, Optional, Sequence

import numpy as np

from scenmatrix.analysis.budgets import CIB_SCAN_RATE, MAX_CIB_SCENARIOS, MAX_LISTED
from scenmatrix.errors import Problem, ScenmatrixError, UsageError, did_you_mean

__all__ = [
    "JUDGMENT_MIN", "JUDGMENT_MAX", "CIBError", "ScenarioError", "CIBMatrix",
    "Scenario", "GroupSum", "Enumeration", "Succession",
    "balances", "descriptor_gaps", "inconsistency", "is_consistent", "total_impact_score", "balance_table",
    "group_sums", "enumerate_scenarios", "successor", "succession", "parse_scenario", "scenario_code",
    "scenario_index", "scenario_at", "MAX_CIB_SCENARIOS", "MAX_LISTED", "ScenarioBudgetError", "check_budget",
    "space_size",
]

JUDGMENT_MIN, JUDGMENT_MAX = -3, 3
SUCCESSION_RULES = ("global", "adjusted")

Scenario = tuple[int, ...]  # one 0-based variant index per descriptor
Progress = Callable[[int, int], None]  # (scenarios scanned so far, scenarios in all)

# Working memory per chunk of the enumeration, in matrix cells (int16): about 16 MB per temporary array.
CHUNK_CELLS = 1 << 23


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
        if raw.size and (raw.min() < JUDGMENT_MIN or raw.max() > JUDGMENT_MAX):
            raise UsageError(f"judgments must lie in {JUDGMENT_MIN}..{JUDGMENT_MAX}")
        matrix = raw.astype(np.int8)
        for start, size in zip(self.offsets, self.sizes):
            if matrix[start:start + size, start:start + size].any():
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
# Enumeration


@dataclass(frozen=True, eq=False)
class Enumeration:
    """The scenarios with inconsistency <= max_inconsistency, in index order (first descriptor slowest).

    At most `limit` of them are kept, the least inconsistent (the first in index order among equals);
    `matched` counts all there are, so `matched - len(self)` were left out.
    """

    matrix: CIBMatrix = field(repr=False)
    max_inconsistency: int
    scanned: int
    indices: np.ndarray = field(repr=False)        # int64, ascending
    inconsistency: np.ndarray = field(repr=False)  # per scenario found
    total_impact: np.ndarray = field(repr=False)   # per scenario found
    matched: Optional[int] = None                  # None: every scenario found was kept
    limit: Optional[int] = None

    def __len__(self) -> int:
        return len(self.indices)

    @property
    def left_out(self) -> int:
        """Scenarios that matched but were not kept (beyond `limit`)."""
        return 0 if self.matched is None else self.matched - len(self)

    @property
    def scenarios(self) -> np.ndarray:
        """(found, descriptors) array of 0-based variant indices."""
        return self._decode(self.indices)

    def _decode(self, indices: np.ndarray) -> np.ndarray:
        if not len(indices):
            return np.zeros((0, len(self.matrix.sizes)), dtype=np.int64)
        return np.stack(np.unravel_index(indices, self.matrix.sizes), axis=1)

    def _items(self, order: np.ndarray) -> Iterator[tuple[Scenario, int, int]]:
        for start in range(0, len(order), 1 << 16):  # decoded in batches: the list may be long
            part = order[start:start + (1 << 16)]
            rows = self._decode(self.indices[part]).tolist()
            yield from zip(map(tuple, rows), self.inconsistency[part].tolist(), self.total_impact[part].tolist())

    def __iter__(self) -> Iterator[tuple[Scenario, int, int]]:
        """(scenario, inconsistency, total impact score) for each scenario found, in index order."""
        return self._items(np.arange(len(self)))

    def sorted(self) -> Iterator[tuple[Scenario, int, int]]:
        """As iteration, but consistent scenarios first, then by rising inconsistency (index order within each)."""
        return self._items(np.argsort(self.inconsistency, kind="stable"))

    def frame(self):
        """A DataFrame: one column per descriptor (variant names), then code, inconsistency, total_impact."""
        import pandas as pd

        m = self.matrix
        data: dict[str, object] = {}
        for k, name in enumerate(m.descriptors):
            data[name] = np.asarray(m.variants[k], dtype=object)[self.scenarios[:, k]]
        frame = pd.DataFrame(data)
        frame.insert(0, "code", [scenario_code(m, s) for s, _, _ in self])
        frame["inconsistency"] = self.inconsistency.astype(np.int64)
        frame["total_impact"] = self.total_impact.astype(np.int64)
        return frame


@dataclass(frozen=True)
class _Plan:
    """How the space is cut: the trailing `suffix` descriptors vary inside a block of `block` scenarios,
    and each chunk is `per_chunk` consecutive blocks (one per combination of the leading descriptors)."""

    split: int       # descriptors [0, split) are the prefix, [split, D) the suffix
    block: int       # scenarios per prefix combination (product of the suffix sizes)
    per_chunk: int   # prefix combinations per chunk
    prefixes: int    # prefix combinations in all


def _plan(m: CIBMatrix, chunk_cells: int) -> _Plan:
    target = max(1, chunk_cells // m.n_variants)  # scenarios per chunk
    split, block = len(m.sizes) - 1, m.sizes[-1]
    while split > 0 and block * m.sizes[split - 1] <= target:
        split -= 1
        block *= m.sizes[split]
    return _Plan(split, block, max(1, target // block), m.n_scenarios // block)


class _Kernel:
    """Evaluates chunks of consecutive scenario indices without building every balance.

    The balances of a scenario are P[prefix] + T[suffix]: T (variants x block) holds the summed rows
    of every combination of the trailing descriptors, P the summed rows of the leading ones. Gaps are
    computed one descriptor at a time, on that descriptor's columns only: first densely over the
    whole chunk, then, once few candidates are left (a random scenario is rarely consistent, so
    usually after one or two descriptors), only over the survivors, dropping each scenario as soon as
    its inconsistency exceeds the limit. The scenarios left are scored exactly.
    """

    def __init__(self, m: CIBMatrix, plan: _Plan, max_inconsistency: int):
        self.m, self.plan, self.k = m, plan, max_inconsistency
        self.dtype = np.int16 if 2 * JUDGMENT_MAX * len(m.sizes) < np.iinfo(np.int16).max else np.int32
        self.J = m.judgments.astype(self.dtype)
        self.offsets = np.asarray(m.offsets)
        self.pre_sizes, self.suf_sizes = m.sizes[:plan.split], m.sizes[plan.split:]
        self.suf_digits = [d.astype(np.intp) for d in np.unravel_index(np.arange(plan.block), self.suf_sizes)]
        self.suf_rows = [self.offsets[plan.split + j] + d for j, d in enumerate(self.suf_digits)]
        T = np.zeros((1, m.n_variants), dtype=self.dtype)
        for o, n in zip(m.offsets[plan.split:][::-1], self.suf_sizes[::-1]):  # last descriptor varies fastest
            T = (self.J[o:o + n, None, :] + T[None, :, :]).reshape(-1, m.n_variants)
        self.T = np.ascontiguousarray(T.T)  # variants x block
        cols = np.arange(plan.block)
        self.T_chosen = [self.T[r, cols] for r in self.suf_rows]  # suffix part of a suffix descriptor's choice

    def __call__(self, first: int, count: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Scenarios [first*block, (first+count)*block) -> (indices, inconsistency, total) of those kept."""
        m, plan, k, T = self.m, self.plan, self.k, self.T
        pre_digits = [d.astype(np.intp) for d in np.unravel_index(np.arange(first, first + count), self.pre_sizes)] \
            if plan.split else []
        pre_rows = [self.offsets[j] + d for j, d in enumerate(pre_digits)]
        P = np.zeros((count, m.n_variants), dtype=self.dtype)
        for r in pre_rows:
            P += self.J[r]
        lines = np.arange(count)
        descriptors = list(enumerate(zip(m.offsets, m.sizes)))

        # Dense: every scenario of the chunk, while most survive.
        worst = np.zeros((count, plan.block), dtype=self.dtype)
        while descriptors:
            j, (o, n) = descriptors.pop(0)
            best = (P[:, o:o + n, None] + T[None, o:o + n, :]).max(axis=1)
            if j < plan.split:
                r = pre_rows[j]
                chosen = P[lines, r][:, None] + T[r]
            else:
                chosen = P[:, self.suf_rows[j - plan.split]] + self.T_chosen[j - plan.split][None, :]
            np.maximum(worst, best - chosen, out=worst)
            if np.count_nonzero(worst <= k) * 8 <= worst.size:
                break
        line, col = np.nonzero(worst <= k)
        worst = worst[line, col]

        # Sparse: the survivors only, one descriptor at a time.
        digits = [d[line] for d in pre_digits] + [d[col] for d in self.suf_digits]
        for j, (o, n) in descriptors:
            if not len(line):
                break
            bal = P[line, o:o + n] + T[o:o + n, col].T
            gap = bal.max(axis=1) - bal[np.arange(len(line)), digits[j]]
            np.maximum(worst, gap, out=worst)
            keep = worst <= k
            if not keep.all():
                line, col, worst = line[keep], col[keep], worst[keep]
                digits = [d[keep] for d in digits]

        total = np.zeros(len(line), dtype=np.int32)
        for j, o in enumerate(m.offsets):
            rows = o + digits[j]
            total += P[line, rows] + T[rows, col]
        indices = (np.int64(first) + line.astype(np.int64)) * plan.block + col
        return indices, worst.astype(np.int16), total


def _workers(workers: Optional[int]) -> int:
    if workers is not None:
        return max(1, int(workers))
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


Found = tuple[np.ndarray, np.ndarray, np.ndarray]  # indices, inconsistency, total impact


class _Kept:
    """The scenarios found so far, cut back to the `limit` least inconsistent whenever twice that many
    pile up, so that memory stays about 2 x limit scenarios however many match."""

    def __init__(self, limit: Optional[int]):
        self.limit, self.parts, self.size, self.matched = limit, [], 0, 0

    def add(self, part: Found) -> None:
        self.parts.append(part)
        self.size += len(part[0])
        self.matched += len(part[0])
        if self.limit is not None and self.size > 2 * self.limit:
            self.parts = [self.arrays()]
            self.size = len(self.parts[0][0])

    def arrays(self) -> Found:
        if not self.parts:
            return np.zeros(0, np.int64), np.zeros(0, np.int16), np.zeros(0, np.int32)
        indices, incons, totals = (np.concatenate(p) for p in zip(*self.parts))
        if self.limit is not None and len(indices) > self.limit:
            # Chunks arrive in index order, so a stable sort on inconsistency keeps index order among equals.
            keep = np.sort(np.argsort(incons, kind="stable")[:self.limit])
            indices, incons, totals = indices[keep], incons[keep], totals[keep]
        return indices, incons, totals


def enumerate_scenarios(m: CIBMatrix, max_inconsistency: int = 0, *, progress: Optional[Progress] = None,
                        workers: Optional[int] = None, chunk_cells: int = CHUNK_CELLS,
                        max_scenarios: int = MAX_CIB_SCENARIOS, limit: Optional[int] = MAX_LISTED) -> Enumeration:
    """Every scenario with inconsistency <= max_inconsistency (0: the consistent ones), scanning the whole space.

    The space is scanned in chunks of consecutive scenario indices, each evaluated with whole-array
    numpy operations in a pool of `workers` threads (numpy releases the GIL); memory stays bounded by
    `chunk_cells` per worker plus about 2 x `limit` scenarios found (None: keep all). A space larger
    than `max_scenarios` is refused (ScenarioBudgetError) before any work. `progress(done, total)` is
    called from the calling thread after each chunk.
    """
    if max_inconsistency < 0:
        raise UsageError("max_inconsistency must be 0 or more")
    if limit is not None and limit < 1:
        raise UsageError("limit must be 1 or more")
    check_budget(m, min(max_scenarios, 2 ** 62 - 1))  # indices are int64
    total = m.n_scenarios
    plan = _plan(m, chunk_cells)
    kernel = _Kernel(m, plan, max_inconsistency)
    starts = range(0, plan.prefixes, plan.per_chunk)
    jobs = ((first, min(plan.per_chunk, plan.prefixes - first)) for first in starts)
    found = _Kept(limit)
    done = 0

    def collect(result: Found, count: int) -> None:
        nonlocal done
        found.add(result)
        done += count * plan.block
        if progress is not None:
            progress(done, total)

    n_workers = min(_workers(workers), len(starts))
    if n_workers <= 1:
        for first, count in jobs:
            collect(kernel(first, count), count)
    else:
        with ThreadPoolExecutor(n_workers) as pool:
            pending: list = []
            try:
                for first, count in jobs:  # a bounded window of chunks in flight, collected in order
                    pending.append((pool.submit(kernel, first, count), count))
                    if len(pending) >= 2 * n_workers:
                        future, n = pending.pop(0)
                        collect(future.result(), n)
                for future, n in pending:
                    collect(future.result(), n)
            except BaseException:
                for future, _ in pending:
                    future.cancel()
                raise
    indices, incons, totals = found.arrays()
    return Enumeration(m, max_inconsistency, total, indices, incons, totals, found.matched, limit)


# --------------------------------------------------------------------------------------------
# Succession


@dataclass(frozen=True)
class Succession:
    """Where repeated succession steps lead from `path[0]`.

    `path` lists every scenario visited, each once, ending where the next step would revisit one;
    `attractor` is the tail of the path that repeats: one scenario (a consistent scenario, the fixed
    point) or the scenarios of a cycle in the order visited. `attractor` is empty when no scenario
    repeated within the step limit.
    """

    rule: str
    path: tuple[Scenario, ...]
    attractor: tuple[Scenario, ...]

    @property
    def is_cycle(self) -> bool:
        return len(self.attractor) > 1

    @property
    def steps(self) -> int:
        """Steps taken until the attractor was first reached."""
        return len(self.path) - len(self.attractor) if self.attractor else len(self.path) - 1


def successor(m: CIBMatrix, scenario: Sequence[int], rule: str = "global") -> Scenario:
    """One succession step.

    global:   every inconsistent descriptor switches, all at once, to its highest-balance variant.
    adjusted: only the descriptors with the largest gap switch in this step (ScenarioWizard's
              "adjusted succession"); the others wait for the balances to be recomputed.
    A descriptor whose chosen variant ties for the highest balance stays; when several other
    variants tie for the highest, the first listed is taken.
    """
    if rule not in SUCCESSION_RULES:
        raise UsageError(f"unknown succession rule {rule!r}; use one of {', '.join(SUCCESSION_RULES)}")
    s = _check(m, scenario)
    bal = balances(m, s)
    gaps = np.maximum.reduceat(bal, m.offsets) - bal[_rows(m, s)]
    limit = 1 if rule == "global" else max(1, int(gaps.max()))
    out = list(s)
    for j, (o, n) in enumerate(zip(m.offsets, m.sizes)):
        if gaps[j] >= limit:
            out[j] = int(np.argmax(bal[o:o + n]))
    return tuple(out)


def succession(m: CIBMatrix, start: Sequence[int], rule: str = "global", max_steps: int = 10_000) -> Succession:
    """Apply `successor` from `start` until a scenario repeats (a fixed point or a cycle)."""
    path = [_check(m, start)]
    seen = {path[0]: 0}
    for _ in range(max_steps):
        nxt = successor(m, path[-1], rule)
        if nxt in seen:
            return Succession(rule, tuple(path), tuple(path[seen[nxt]:]))
        seen[nxt] = len(path)
        path.append(nxt)
    return Succession(rule, tuple(path), ())


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
