"""Basins of attraction under global succession: where succession leads from every scenario of the space
(or from a uniform sample of it, when the space is too large), and from how many starts.

    from scenmatrix.analysis import cib_basins
    found = cib_basins.basins(model)                      # every scenario, when the space allows it
    found = cib_basins.basins(model, sample=10_000, seed=1)
    for attractor, size in found: ...                     # (scenarios of the fixed point or cycle, starts)

Global succession (`cib_succession.successor`, rule "global") maps each scenario to one scenario, so the
space is a functional graph: every path ends in a cycle, a fixed point being a cycle of one (a consistent
scenario). Both searches compute each scenario's successor once, in numpy batches, and share what they
resolved: the full scan takes the successor of every scenario and resolves all paths at once by pointer
doubling; the sampled one walks its starts in lockstep, stops a walk as soon as it reaches a scenario that
any walk has seen (it will take that walk's attractor), and resolves the piece of the graph seen alike.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable, Iterator, Optional

import numpy as np

from scenmatrix.analysis.budgets import CIB_BASIN_SAMPLE, MAX_CIB_BASIN_SCAN, MAX_CIB_BASIN_STATES
from scenmatrix.analysis.cib_matrix import CIBMatrix, Progress, Scenario, ScenarioBudgetError, space_size
from scenmatrix.analysis.cib_search import CHUNK_CELLS
from scenmatrix.errors import Problem, UsageError

INDEXABLE = 2 ** 62        # scenario indices are int64 (as in the enumeration)
SAMPLE_BATCH = 1 << 14     # starts walked together: what is kept of a sample that meets the budget


@dataclass(frozen=True, eq=False)
class Basins:
    """Each attractor reached, with the number of start scenarios whose succession ends in it.

    Attractor `a` is the scenario indices `states[bounds[a]:bounds[a + 1]]`: one scenario for a fixed
    point, or a cycle in succession order starting at its lowest index. Largest basin first, then by
    the attractor's lowest index. `sizes` sum to `scanned`: every scenario of the space, or the
    `scanned` sampled starts (drawn uniformly, with replacement, from `seed`) when `sampled`: all those
    asked for, or, when the walks met the memory budget (`stopped`), the batches of starts finished before.
    """

    matrix: CIBMatrix = field(repr=False)
    states: np.ndarray = field(repr=False)   # int64 scenario indices, attractor after attractor
    bounds: np.ndarray = field(repr=False)   # len(self) + 1 offsets into states
    sizes: np.ndarray = field(repr=False)    # int64, one per attractor
    scanned: int
    space: int
    sampled: bool
    seed: Optional[int] = None
    asked: Optional[int] = None   # starts asked for; more than `scanned` when the walks stopped at the budget
    budget: Optional[int] = None  # the distinct scenarios the walks were allowed

    @property
    def stopped(self) -> bool:
        """The walks stopped at the budget: only the first `scanned` of the `asked` starts are counted."""
        return self.asked is not None and self.asked > self.scanned

    def __len__(self) -> int:
        return len(self.sizes)

    def __iter__(self) -> Iterator[tuple[tuple[Scenario, ...], int]]:
        """(the attractor's scenarios, basin size) in order, decoded in batches as they are asked for."""
        for rows, cuts, sizes in self._batches():
            rows = list(map(tuple, rows.tolist()))
            for start, end, size in zip(cuts, cuts[1:], sizes):
                yield tuple(rows[start:end]), size

    def coded(self) -> Iterator[tuple[list[str], int]]:
        """As iteration, with each scenario as its code (`cib.scenario_code`), made a batch at a time."""
        m = self.matrix
        for rows, cuts, sizes in self._batches():
            if max(m.sizes) < 10:  # one digit a descriptor: the codes are the digits' bytes
                ascii_digits = np.ascontiguousarray(rows + ord("1"), dtype=np.uint8)
                codes = ascii_digits.view(f"S{len(m.sizes)}")[:, 0].astype(str).tolist()
            else:
                codes = [".".join(str(v + 1) for v in row) for row in rows.tolist()]
            for start, end, size in zip(cuts, cuts[1:], sizes):
                yield codes[start:end], size

    def _batches(self, per: int = 1 << 14) -> Iterator[tuple[np.ndarray, list[int], list[int]]]:
        """(scenarios x descriptors) variant indices of a batch of attractors, where each starts, their sizes."""
        for first in range(0, len(self), per):
            last = min(len(self), first + per)
            lo, hi = int(self.bounds[first]), int(self.bounds[last])
            rows = np.stack(np.unravel_index(self.states[lo:hi], self.matrix.sizes), axis=1)
            yield rows, (self.bounds[first:last + 1] - lo).tolist(), self.sizes[first:last].tolist()

    @property
    def longest(self) -> int:
        """The most scenarios in one attractor (1 when every one is a fixed point)."""
        return int(np.diff(self.bounds).max()) if len(self) else 0

    @property
    def cycles(self) -> int:
        return int(np.count_nonzero(np.diff(self.bounds) > 1))


def starts(m: CIBMatrix, sample: Optional[int] = None, max_scan: int = MAX_CIB_BASIN_SCAN) -> int:
    """How many start scenarios `basins` follows: the whole space when it is at most `max_scan` and no
    sample is asked for, otherwise `sample` (CIB_BASIN_SAMPLE by default)."""
    if sample is None and m.n_scenarios <= max_scan:
        return m.n_scenarios
    return CIB_BASIN_SAMPLE if sample is None else sample


def basins(m: CIBMatrix, sample: Optional[int] = None, seed: int = 0, *, progress: Optional[Progress] = None,
           max_scan: int = MAX_CIB_BASIN_SCAN, source: str = "<matrix>") -> Basins:
    """The attractors of global succession and their basins.

    Every scenario is followed when the space has at most `max_scan` scenarios and `sample` is None;
    otherwise `sample` starts (CIB_BASIN_SAMPLE when None) drawn uniformly from the space with `seed`.
    `progress(done, total)` is called after each batch of starts. A space of 2**62 scenarios or more
    cannot be indexed and is refused (ScenarioBudgetError, positioned at `source`).
    """
    if sample is not None and sample < 1:
        raise UsageError("sample must be 1 or more")
    total = m.n_scenarios
    if total >= INDEXABLE:
        message = (f"the cross-impact model has {space_size(total)} scenarios ({len(m.sizes)} descriptors, "
                   f"{m.n_variants} variants); basins index scenarios in 64 bits, so at most "
                   f"{space_size(INDEXABLE - 1)}")
        raise ScenarioBudgetError([Problem(source, 1, 1, "cib-budget", message, "drop descriptors or variants")],
                                  total, INDEXABLE - 1)
    if sample is None and total <= max_scan:
        return _full_scan(m, progress)
    return _sampled(m, starts(m, sample, max_scan), seed, progress, source=source)


# --------------------------------------------------------------------------------------------
# One global succession step for many scenarios at once


class _Stepper:
    """Global succession on (scenarios x descriptors) arrays of variant indices, as `successor` does it:
    a descriptor whose chosen variant has less than its highest balance switches to the first variant
    with the highest balance; one that ties for the highest stays.

    Balances are held per scenario as (descriptors x widest descriptor) blocks, the cells past a
    descriptor's last variant at a value no balance reaches, so that every descriptor's best variant is
    found by one pass over the block's columns.
    """

    def __init__(self, m: CIBMatrix):
        self.sizes, self.offsets = m.sizes, np.asarray(m.offsets)
        D, width, V = len(m.sizes), max(m.sizes), m.n_variants
        self.dtype = np.int16 if 3 * D < 8000 else np.int32  # a balance is at most 3 x (descriptors - 1)
        cols = np.full((D, width), V)  # column V: a padding cell, judged 0
        for j, (o, n) in enumerate(zip(m.offsets, m.sizes)):
            cols[j, :n] = o + np.arange(n)
        J = np.zeros((V, V + 1), dtype=self.dtype)
        J[:, :V] = m.judgments
        self.J = J[:, cols]  # variant row -> its judgments as (descriptors x width) blocks
        self.floor = np.where(cols == V, np.iinfo(self.dtype).min // 2, 0).astype(self.dtype)
        self.batch = max(1, CHUNK_CELLS // (D * width))

    def balances(self, digits: np.ndarray) -> np.ndarray:
        """(scenarios x descriptors x width) balances, padding cells at the floor."""
        rows = digits + self.offsets
        bal = self.floor + self.J[rows[:, 0]]
        for j in range(1, len(self.sizes)):
            bal += self.J[rows[:, j]]
        return bal

    def __call__(self, digits: np.ndarray) -> np.ndarray:
        """The successor of each scenario."""
        bal = self.balances(digits)
        # Over the short last axis one column at a time: numpy reduces a long axis far faster.
        best = bal[:, :, 0].copy()
        for k in range(1, bal.shape[2]):
            np.maximum(best, bal[:, :, k], out=best)
        first = np.full(digits.shape, bal.shape[2] - 1, dtype=digits.dtype)
        for k in range(bal.shape[2] - 2, -1, -1):
            first[bal[:, :, k] == best] = k
        chosen = np.take_along_axis(bal, digits[:, :, None], axis=2)[:, :, 0]
        return np.where(chosen < best, first, digits)

    def index(self, digits: np.ndarray) -> np.ndarray:
        return np.ravel_multi_index(tuple(digits.T), self.sizes).astype(np.int64)

    def digits(self, indices: np.ndarray) -> np.ndarray:
        return np.stack(np.unravel_index(indices, self.sizes), axis=1).astype(np.intp)


# --------------------------------------------------------------------------------------------
# The whole space


def _full_scan(m: CIBMatrix, progress: Optional[Progress]) -> Basins:
    step, total = _Stepper(m), m.n_scenarios
    succ = np.empty(total, dtype=np.int64)
    for first in range(0, total, step.batch):
        idx = np.arange(first, min(total, first + step.batch), dtype=np.int64)
        digits = step.digits(idx)
        succ[idx] = step.index(step(digits))
        if progress is not None:
            progress(int(idx[-1]) + 1, total)
    heads, counts = np.unique(_heads(succ), return_counts=True)
    return _collect(m, heads, counts, succ, None, total, sampled=False)


def _heads(succ: np.ndarray, key: Optional[np.ndarray] = None) -> np.ndarray:
    """For every node of the functional graph `succ`, the node of the cycle its path ends in with the lowest
    `key` (its scenario index; the node itself when `key` is None)."""
    # Pointer doubling: g = succ^(2^k). image(g o g) is a subset of image(g), equal exactly when every g[i]
    # lies on a cycle (a node on a tail of length d is in image(g) only while 2^k <= d, and then the
    # deepest such node is not in image(g o g)); so a few doublings settle it, however large the graph.
    g = succ
    while True:
        on = np.zeros(len(succ), dtype=bool)
        on[g] = True
        g2 = g[g]
        on2 = np.zeros(len(succ), dtype=bool)
        on2[g2] = True
        if np.count_nonzero(on) == np.count_nonzero(on2):
            break
        g = g2
    key = np.arange(len(succ)) if key is None else key
    cyclic = np.flatnonzero(on)
    best, cur, back = cyclic.copy(), succ[cyclic], np.zeros(len(cyclic), dtype=bool)
    while not back.all():  # once round every cycle, keeping its lowest key
        best = np.where(key[cur] < key[best], cur, best)
        back |= cur == cyclic
        cur = succ[cur]
    head = np.zeros(len(succ), dtype=np.int64)
    head[cyclic] = best
    return head[g]


def _collect(m: CIBMatrix, heads: np.ndarray, counts: np.ndarray, succ: np.ndarray, key: Optional[np.ndarray],
             scanned: int, sampled: bool, seed: Optional[int] = None, **more) -> Basins:
    """The Basins, largest first: each head node (lowest scenario index of its cycle) expanded to its cycle."""
    key = np.arange(len(succ)) if key is None else key
    order = np.lexsort((key[heads], -counts))
    heads, counts = heads[order], counts[order]
    lengths = np.ones(len(heads), dtype=np.int64)
    cycles = {}
    for a in np.flatnonzero(succ[heads] != heads).tolist():  # fixed points need no walk; cycles are few
        cycle, s = [int(heads[a])], int(succ[heads[a]])
        while s != cycle[0]:
            cycle.append(s)
            s = int(succ[s])
        cycles[a], lengths[a] = cycle, len(cycle)
    bounds = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
    nodes = np.empty(int(bounds[-1]), dtype=np.int64)
    nodes[bounds[:-1]] = heads
    for a, cycle in cycles.items():
        nodes[bounds[a]:bounds[a + 1]] = cycle
    return Basins(m, key[nodes].astype(np.int64), bounds, counts.astype(np.int64), scanned, m.n_scenarios, sampled,
                  seed if sampled else None, **more)


# --------------------------------------------------------------------------------------------
# A sample of the space


class _Visited:
    """The scenarios seen so far, each a node numbered in the order seen, found by scenario index.

    Kept as a few sorted runs of halving size (a new run is merged into the last while it is as large), so
    adding n scenarios costs O(n log n) in all and finding one O(log^2 n)."""

    def __init__(self) -> None:
        self.runs: list[tuple[np.ndarray, np.ndarray]] = []  # (sorted scenario indices, their nodes)
        self.count = 0

    def find(self, keys: np.ndarray) -> np.ndarray:
        """The node of each scenario index, -1 where not seen."""
        nodes = np.full(len(keys), -1, dtype=np.int64)
        for run, ids in self.runs:
            pos = np.minimum(np.searchsorted(run, keys), len(run) - 1)
            hit = run[pos] == keys
            nodes[hit] = ids[pos[hit]]
        return nodes

    def add(self, keys: np.ndarray) -> np.ndarray:
        """Number the scenario indices `keys` (unique, none seen yet) as new nodes; return their nodes."""
        nodes = np.arange(self.count, self.count + len(keys), dtype=np.int64)
        self.count += len(keys)
        if not len(keys):
            return nodes
        order = np.argsort(keys)
        run, ids = keys[order], nodes[order]
        while self.runs and len(self.runs[-1][0]) <= len(run):
            last, last_ids = self.runs.pop()
            run, ids = np.concatenate([last, run]), np.concatenate([last_ids, ids])
            merged = np.argsort(run, kind="stable")  # two sorted runs: a linear merge
            run, ids = run[merged], ids[merged]
        self.runs.append((run, ids))
        return nodes


def _sampled(m: CIBMatrix, n: int, seed: int, progress: Optional[Progress], source: str = "<matrix>") -> Basins:
    """`n` starts drawn uniformly with `seed`, followed by `_follow`."""
    step, rng = _Stepper(m), np.random.default_rng(seed)
    per = min(step.batch, SAMPLE_BATCH)
    batches = ((first, min(per, n - first)) for first in range(0, n, per))
    # One uniform draw per descriptor: uniform over the space, whatever its size.
    draws = (np.stack([rng.integers(0, k, size=size) for k in m.sizes], axis=1) for _, size in batches)
    return _follow(m, draws, n, seed, progress, source)


def _follow(m: CIBMatrix, batches: Iterable[np.ndarray], n: int, seed: Optional[int] = None,
            progress: Optional[Progress] = None, source: str = "<matrix>",
            max_states: Optional[int] = None) -> Basins:
    """Walk each batch of starts ((starts x descriptors) variant indices, `n` in all) in lockstep; a walk
    stops at the first scenario any walk has already seen, so no scenario's successor is computed twice.

    What the walks saw is a piece of the functional graph (each scenario seen, with its successor), in
    which every path ends in a cycle; it is resolved as the full scan is, by pointer doubling. To bound
    memory, the walks stop once they have seen `max_states` scenarios (MAX_CIB_BASIN_STATES by default):
    the batch under way is dropped and the batches finished are counted (`Basins.stopped`); if none was,
    the budget is refused (ScenarioBudgetError)."""
    limit = MAX_CIB_BASIN_STATES if max_states is None else max_states
    step, seen = _Stepper(m), _Visited()
    keys, successors = [], []   # per node: its scenario index, its successor's scenario index
    start_keys = []
    done = 0
    for digits in batches:
        digits = np.asarray(digits, dtype=np.intp)
        closed = len(keys)  # every node seen so far has its successor seen too
        if not _walk(step, digits, seen, keys, successors, limit):
            del keys[closed:], successors[closed:]  # the nodes seen after `closed` keep ids no one looks up
            break
        start_keys.append(step.index(digits))
        done += len(digits)
        if progress is not None:
            progress(done, n)
    if not done:
        raise _too_many(m, n, limit, source)
    key, succ_key = np.concatenate(keys), np.concatenate(successors)
    succ = seen.find(succ_key)  # every successor was seen: it was the next step of its walk
    head = _heads(succ, key)
    start_head = head[seen.find(np.concatenate(start_keys))]
    heads, counts = np.unique(start_head, return_counts=True)
    return _collect(m, heads, counts, succ, key, done, sampled=True, seed=seed, asked=n, budget=limit)


def _walk(step: _Stepper, digits: np.ndarray, seen: _Visited, keys: list, successors: list, limit: int) -> bool:
    """Walk one batch of starts until each walk reaches a scenario seen; False if that is more than `limit`."""
    while len(digits):
        key = step.index(digits)
        key, first_of = np.unique(key, return_index=True)  # walks that meet go on as one
        new = seen.find(key) < 0
        key, digits = key[new], digits[first_of[new]]
        if seen.count + len(key) > limit:
            return False
        seen.add(key)
        digits = step(digits)
        keys.append(key)
        successors.append(step.index(digits))
    return True


def _too_many(m: CIBMatrix, n: int, max_states: int, source: str) -> ScenarioBudgetError:
    message = (f"succession from the first starts of {n:,} sampled passes through more than {max_states:,} "
               f"distinct scenarios of {space_size(m.n_scenarios)}; stopped to bound memory")
    return ScenarioBudgetError([Problem(source, 1, 1, "cib-budget", message, "pass a smaller --sample N")],
                               m.n_scenarios, max_states)
