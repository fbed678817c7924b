"""Exact search at any size: depth-first branch and bound over the descriptors, for the scenarios whose
inconsistency is at most k, without scanning the space.

Descriptors are assigned one at a time. For every descriptor d, every variant c of d and every rival
variant v, the search keeps a lower bound on how far v's balance can exceed c's once the scenario is
complete: the part the assigned descriptors already contribute (exact), plus, for each descriptor not yet
assigned, the least its variants still possible can add to v's balance minus c's. A variant c whose bound
against some rival exceeds k can never be chosen within k, so a partial scenario is dropped as soon as an
assigned descriptor's chosen variant, or every variant of an unassigned one, is out; a variant found out
no longer weakens the other bounds (two rounds of this per batch), and only the variants still possible
are tried for the next descriptor, the strongest left. At a complete scenario the bound is the exact gap,
so what is left is exactly the scenarios within k, put in index order.

The frontier is processed in batches of numpy arrays, depth first, so memory is bounded by about one batch
per descriptor. A search still running after `ALONE` nodes cuts what is left into independent subtrees for
a pool of processes (cib_pool), with the same result. The work is bounded by `max_nodes` partial scenarios
in all: a search stopped there says what it has proved (the share of the space it settled) and never
claims the rest.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

import numpy as np

from scenmatrix.analysis.budgets import CIB_SCAN_RATE, CIB_SEARCH_RATE, MAX_CIB_SCENARIOS, MAX_CIB_SEARCH_NODES, MAX_LISTED
from scenmatrix.analysis.cib_matrix import CIBMatrix, Progress
from scenmatrix.analysis.cib_pool import can_fork, finish_in_pool
from scenmatrix.analysis.cib_search import Enumeration, _workers, enumerate_scenarios
from scenmatrix.errors import UsageError

BATCH = 4096  # partial scenarios evaluated together: about 1 KB each for a 20 x 5 model
ALONE = 300_000  # nodes searched here before the rest goes to a process pool: about half a second


@dataclass(frozen=True, eq=False)
class Search(Enumeration):
    """An Enumeration found by branch and bound. `scanned` is the part of the space settled (every scenario
    of it either found or proved outside k); `complete` says whether that is the whole space. The scenarios
    are held as rows (any size of space), `indices` numbers them 0.. in index order."""

    rows: np.ndarray = field(default=None, repr=False)  # (found, descriptors) 0-based variants
    complete: bool = True
    nodes: int = 0
    max_nodes: int = MAX_CIB_SEARCH_NODES

    def _decode(self, indices: np.ndarray) -> np.ndarray:
        return self.rows[indices].astype(np.int64)

    @property
    def share(self) -> float:
        """The share of the space settled, 0..1."""
        return self.scanned / self.matrix.n_scenarios


class _Bounds:
    """The precomputed parts of the bound. L, per partial scenario, is a (width x variants) plane of lower
    bounds: for rival w of variant column c, how far w's balance at least exceeds c's once complete.

    An unassigned descriptor adds the least its variants still possible can add (`tight`, by the bit mask of
    those variants, for descriptors of up to TIGHT_WIDTH variants; the others add the least of all their
    variants): a variant proved impossible no longer weakens every other bound, which prunes far more than
    the least over all variants, and the bounds only rise down the tree, so a state keeps its masks."""

    def __init__(self, m: CIBMatrix, k: int):
        self.m, self.k = m, k
        J = m.judgments.astype(np.int32)
        # Each column's rivals are the other variants of its descriptor (itself is always 0 behind: k >= 0); a
        # descriptor narrower than the widest repeats the column itself, a cell that stays 0.
        V, W = m.n_variants, max(m.sizes)
        R = W - 1
        rival = np.zeros((R, V), np.intp)
        for o, n in zip(m.offsets, m.sizes):
            for j in range(n):
                others = [o + r for r in range(n) if r != j]
                rival[:, o + j] = others + [o + j] * (R - len(others))
        diff = (J[:, rival] - J[:, None, :]).reshape(V, R * V)  # a row's exact part
        least = np.stack([diff[o:o + n].min(axis=0) for o, n in zip(m.offsets, m.sizes)])  # per descriptor
        bound = 2 * max(m.strongest, 1) * (len(m.sizes) + 1)
        # The narrowest integers that hold every bound (|L| <= 2 x strongest x descriptors): memory traffic is
        # the search's cost.
        self.dtype = np.int8 if bound < 127 else np.int16 if bound < 32000 else np.int32
        self.root = least.sum(axis=0).astype(self.dtype)[None, :]
        tight = [_tight(diff[o:o + n] - least[d], self.dtype) for d, (o, n) in enumerate(zip(m.offsets, m.sizes))]
        self.tight = tight
        # Assigning variant c to descriptor d whose possible variants are `mask`: add its row's exact part,
        # drop d's least part over the mask (one table: one gather a child). Any order.
        self.step = [(diff[o:o + n][None] - least[d] - tight[d][:, None]).astype(self.dtype)
                     for d, (o, n) in enumerate(zip(m.offsets, m.sizes))]
        # A state's possible variants, laid out (descriptor, width) to pack them into one bit mask and one
        # count per descriptor with two small integer products (no float BLAS: its threads spin on 2 cores).
        self.uniform = all(n == W for n in m.sizes)
        pad = np.full((len(m.sizes), W), V)  # column V: a padding variant, never possible
        for d, (o, n) in enumerate(zip(m.offsets, m.sizes)):
            pad[d, :n] = o + np.arange(n)
        self.pad = pad.ravel()
        self.pow2 = (1 << np.arange(W)).astype(np.uint8)  # wraps past 8 variants: those masks are zeroed
        self.ones = np.ones(W, np.uint8)
        self.wide = np.array([d for d, t in enumerate(self.tight) if len(t) == 1], np.intp)
        self.tightened = np.array([len(t) > 1 for t in self.tight])
        self.tables = np.concatenate(self.tight)  # every descriptor's table, one after the other
        self.table_base = np.concatenate([[0], np.cumsum([len(t) for t in self.tight])[:-1]]).astype(np.intp)
        self.full = np.array([len(t) - 1 for t in self.tight], np.uint8)  # every variant possible
        self.width, self.rivals, self.n_variants = W, R, V
        strength = [int(np.abs(J[o:o + n]).sum()) / n for o, n in zip(m.offsets, m.sizes)]
        self.rank = np.argsort(np.argsort([-x for x in strength], kind="stable"))  # 0: the strongest

    def feasible(self, L: np.ndarray) -> np.ndarray:
        """(states, variants): can this variant still be chosen within k? The largest gap over the rivals,
        slice by slice (contiguous maxima vectorise; a reduction over the middle axis does not)."""
        return self.worst(L) <= self.k

    def worst(self, L: np.ndarray) -> np.ndarray:
        """(states, variants): the largest lower bound over each column's rivals."""
        V = self.n_variants
        worst = L[:, :V].copy() if self.rivals > 1 else L[:, :V]
        for w in range(1, self.rivals):
            np.maximum(worst, L[:, w * V:(w + 1) * V], out=worst)
        return worst

    def masks(self, F: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(states, descriptors) bit masks of the variants still possible (0 for wide descriptors), and
        their counts."""
        n, D = len(F), len(self.m.sizes)
        if self.uniform:
            laid = F.view(np.uint8).reshape(n, D, self.width)
        else:
            laid = np.concatenate([F, np.zeros((n, 1), bool)], axis=1)[:, self.pad].view(np.uint8)
            laid = laid.reshape(n, D, self.width)
        if self.width > 8:  # masks wrap: count the variants instead
            masks, counts = laid @ self.pow2, laid @ self.ones
        else:
            masks = laid @ self.pow2
            counts = _POPCOUNT[masks]
        if len(self.wide):
            masks[:, self.wide] = 0
        return masks, counts

    def branch(self, counts: np.ndarray, assigned: np.ndarray) -> int:
        """The descriptor to assign next: one that every state of the frontier has down to one variant (no
        branching), else the strongest (largest judgments on the others) not yet assigned. A fixed order by
        strength prunes far more than the fewest variants first: on the 20 x 5 balanced random model, 8 to 11
        million nodes instead of 45 to 55 (the strongest descriptors decide most of the others' balances)."""
        free = np.flatnonzero(~assigned)
        forced = free[counts[:, free].sum(axis=0) <= len(counts)]
        return int(min(forced if len(forced) else free, key=lambda d: self.rank[d]))


_POPCOUNT = np.array([bin(x).count("1") for x in range(256)], np.uint8)
TIGHT_WIDTH = 6  # 2^6 masks x (width x variants) cells per descriptor; at most 8 (uint8 masks)


def _tight(part: np.ndarray, dtype) -> np.ndarray:
    """For every bit mask of a descriptor's variants, the least its variants in the mask add to each bound,
    above the least of all of them (>= 0; the full mask adds 0). Wide descriptors: one row of zeros."""
    n = len(part)
    if n > TIGHT_WIDTH:
        return np.zeros((1, part.shape[1]), dtype)
    table = np.zeros((1 << n, part.shape[1]), np.int64)
    for mask in range(1, 1 << n):
        chosen = [i for i in range(n) if mask >> i & 1]
        table[mask] = part[chosen].min(axis=0)
    table[0] = 0  # no variant possible: the state is dropped, never bounded
    return table.astype(dtype)


class _Kept:
    """The scenarios found, cut back to the `limit` least inconsistent whenever twice that many pile up."""

    def __init__(self, limit: Optional[int]):
        self.limit, self.parts, self.size, self.matched = limit, [], 0, 0

    def add(self, rows: np.ndarray, incons: np.ndarray, totals: np.ndarray, matched: Optional[int] = None) -> None:
        """`matched`: how many matched, where `rows` are already cut to the limit (another process's)."""
        self.parts.append((rows, incons, totals))
        self.size += len(rows)
        self.matched += len(rows) if matched is None else matched
        if self.limit is not None and self.size > 2 * self.limit:
            self.parts = [self.arrays()]
            self.size = len(self.parts[0][0])

    def arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        if not self.parts:
            return np.zeros((0, 0), np.int16), np.zeros(0, np.int32), np.zeros(0, np.int32)
        rows, incons, totals = (np.concatenate(p) for p in zip(*self.parts))
        if self.limit is not None and len(rows) > self.limit:  # the least inconsistent, first in index order
            keep = np.lexsort((*rows.T[::-1], incons))[:self.limit]
            rows, incons, totals = rows[keep], incons[keep], totals[keep]
        # Index order (first descriptor slowest): the search assigns descriptors in its own order.
        order = np.lexsort(rows.T[::-1]) if rows.size else np.arange(len(rows))
        return rows[order], incons[order], totals[order]


class _Walk:
    """The depth-first search: a stack of frontiers, each [descriptor to assign, assigned mask, L, masks,
    digits, states, variants, cursor, scenarios below each child], its children the (state, variant) pairs
    still possible. All states of a frontier have the same descriptors assigned, so every frontier (or any
    part of its children) is a subproblem of its own: the parallel search hands them to other processes."""

    def __init__(self, b: _Bounds, limit: Optional[int], batch: int):
        self.b, self.batch = b, batch
        self.kept = _Kept(limit)
        self.settled, self.nodes = 0, 0
        self.stack: list[list] = []

    def start(self) -> None:
        b, D = self.b, len(self.b.m.sizes)
        none = np.zeros(D, dtype=bool)
        root = _propagate(b, b.root.copy(), b.full[None, :].copy(), np.zeros((1, D), np.int16), none)
        self.nodes = 1
        if len(root[0]):
            self.stack.append(self.frontier(none, *root))
        else:
            self.settled = self.b.m.n_scenarios

    def frontier(self, assigned: np.ndarray, L: np.ndarray, masks: np.ndarray, digits: np.ndarray,
                 F: np.ndarray, counts: np.ndarray) -> list:
        m = self.b.m
        d = self.b.branch(counts, assigned)
        o, n = m.offsets[d], m.sizes[d]
        below = _below(m, assigned, d)
        states, variants = np.nonzero(F[:, o:o + n])
        self.settled += (len(L) * n - len(states)) * below  # variants already out
        return [d, assigned, L, masks, digits, states, variants, 0, below]

    def advance(self, entry: list, take: int) -> Optional[list]:
        """Evaluate the next `take` children of a frontier -> the frontier of those that survive, if any."""
        b = self.b
        d, assigned, L, masks, digits, states, variants, cursor, below = entry
        take = min(take, len(states) - cursor)
        i, c = states[cursor:cursor + take], variants[cursor:cursor + take]
        entry[7] = cursor + take
        self.nodes += take
        child = L[i]
        child += b.step[d][masks[i, d], c]  # d's least over its possible variants leaves: d is now exact
        child_digits = digits[i]
        child_digits[:, d] = c
        now = assigned.copy()
        now[d] = True
        child, child_masks, child_digits, F, counts = _propagate(b, child, masks[i], child_digits, now)
        self.settled += (take - len(child)) * below
        if now.all():
            self.settled += len(child)
            if len(child):
                _record(b, self.kept, child, child_digits)
            return None
        return self.frontier(now, child, child_masks, child_digits, F, counts) if len(child) else None

    def run(self, max_nodes: int, progress: Optional[Progress] = None, shown: int = 0) -> None:
        """Depth first until the stack is empty or `max_nodes` are spent (`shown` settled elsewhere)."""
        total = self.b.m.n_scenarios
        while self.stack and self.nodes < max_nodes:
            entry = self.stack[-1]
            child = self.advance(entry, min(self.batch, max(1, max_nodes - self.nodes)))
            if entry[7] >= len(entry[5]):
                self.stack.pop()
            if child is not None:
                self.stack.append(child)
            if progress is not None:
                progress(shown + self.settled, total)


def search_scenarios(m: CIBMatrix, max_inconsistency: int = 0, *, progress: Optional[Progress] = None,
                     max_nodes: int = MAX_CIB_SEARCH_NODES, limit: Optional[int] = MAX_LISTED,
                     batch: int = BATCH, workers: Optional[int] = None, alone: int = ALONE) -> Search:
    """Every scenario with inconsistency <= max_inconsistency, by branch and bound (see the module).

    Stops after `max_nodes` partial scenarios evaluated: the result then has `complete` False and
    `scanned` the part of the space proved. At most `limit` scenarios are kept, the least inconsistent
    (None: all). `progress(settled, space)` is called after each batch. A search not done after `alone`
    nodes goes on in `workers` processes (None: one per core; 1: here only): the same result, in the
    same order; only the count of nodes can differ (frontiers are cut otherwise).
    """
    if max_inconsistency < 0:
        raise UsageError("max_inconsistency must be 0 or more")
    if limit is not None and limit < 1:
        raise UsageError("limit must be 1 or more")
    if max_nodes < 1:
        raise UsageError("max_nodes must be 1 or more")
    walk = _Walk(_Bounds(m, max_inconsistency), limit, batch)
    walk.start()
    n_workers = _workers(workers) if can_fork() else 1
    walk.run(min(max_nodes, alone) if n_workers > 1 else max_nodes, progress)
    complete = not walk.stack
    if not complete and n_workers > 1 and walk.nodes < max_nodes:
        complete = finish_in_pool(walk, n_workers, max_nodes, progress)
    settled = m.n_scenarios if complete else walk.settled
    rows, incons, totals = walk.kept.arrays()
    return Search(m, max_inconsistency, settled, np.arange(len(rows), dtype=np.int64), incons, totals,
                  walk.kept.matched, limit, rows=rows.reshape(len(rows), len(m.sizes)), complete=complete,
                  nodes=walk.nodes, max_nodes=max_nodes)


ROUNDS = 2  # rounds of tightening per batch: each can shrink others' masks; a third costs more than it prunes


def _propagate(b: _Bounds, L: np.ndarray, masks: np.ndarray, digits: np.ndarray, assigned: np.ndarray
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Drop the states whose chosen variants or whose unassigned descriptors' every variant is out, and
    tighten the others' bounds with the variants left (in place). -> (L, masks, digits, F, counts) kept.
    Whole-array operations only (no loop over descriptors): a batch is often a few hundred states."""
    m = b.m
    done = np.flatnonzero(assigned)
    tight = ~assigned & b.tightened  # the unassigned descriptors whose bound follows their masks
    chosen = np.asarray(m.offsets)[done] + digits[:, done].astype(np.intp)  # one gather for all assigned
    for _ in range(ROUNDS):
        F = b.feasible(L)
        now, counts = b.masks(F)
        ok = F[np.arange(len(F))[:, None], chosen].all(axis=1) & ((counts > 0) | assigned).all(axis=1)
        if not ok.all():
            L, masks, digits, F, now, counts, chosen = (a[ok] for a in (L, masks, digits, F, now, counts, chosen))
        if not tight.any() or not len(L):
            break
        rows, cols = np.nonzero((now != masks) & tight)  # by state: rows ascending
        if not len(rows):
            break
        # Each changed mask's table row replaces the old one (>= 0: the bounds only rise, so every partial
        # sum fits L's dtype). A state's j-th changes are added together: no state twice in one addition.
        base = b.table_base[cols]
        delta = b.tables[base + now[rows, cols]] - b.tables[base + masks[rows, cols]]
        starts = np.flatnonzero(np.r_[True, rows[1:] != rows[:-1]])
        nth = np.arange(len(rows)) - np.repeat(starts, np.diff(np.r_[starts, len(rows)]))
        for j in range(int(nth.max()) + 1):
            pick = nth == j
            L[rows[pick]] += delta[pick]
        np.copyto(masks, now, where=tight)
    return L, masks, digits, F, counts


def _below(m: CIBMatrix, assigned: np.ndarray, d: int) -> int:
    """Scenarios under each child of a frontier that assigns d."""
    below = 1
    for e in range(len(m.sizes)):
        if not assigned[e] and e != d:
            below *= m.sizes[e]
    return below


def _record(b: _Bounds, kept: _Kept, L: np.ndarray, rows: np.ndarray) -> None:
    """Complete scenarios -> their exact inconsistency and total impact score, kept."""
    m = b.m
    worst = b.worst(L)  # exact now: the largest gap of each variant to its rivals (< 0: it leads)
    chosen = np.asarray(m.offsets) + rows.astype(np.intp)
    incons = np.maximum(worst[np.arange(len(rows))[:, None], chosen].max(axis=1), 0).astype(np.int32)
    J = m.judgments.astype(np.int32)
    totals = J[chosen[:, :, None], chosen[:, None, :]].sum(axis=(1, 2)).astype(np.int32)  # chosen balances
    kept.add(rows, incons, totals)


def find_scenarios(m: CIBMatrix, max_inconsistency: int = 0, *, progress: Optional[Progress] = None,
                   max_scenarios: int = MAX_CIB_SCENARIOS, max_nodes: int = MAX_CIB_SEARCH_NODES,
                   limit: Optional[int] = MAX_LISTED) -> Enumeration:
    """The scenarios with inconsistency <= max_inconsistency, exactly, by the faster of the two engines.

    Branch and bound first: it settles most models in a small part of their space. Where it prunes little
    (weak or evenly balanced judgments, a wide k) and the space is at most `max_scenarios`, it is given
    about the time a full scan takes, then the space is scanned instead. A larger space is searched up
    to `max_nodes`; if that does not settle it, the result says so (`Search.complete`, `.share`).
    """
    scannable = m.n_scenarios <= max_scenarios
    budget = min(max_nodes, max(10_000, m.n_scenarios * CIB_SEARCH_RATE // CIB_SCAN_RATE)) if scannable else max_nodes
    found = search_scenarios(m, max_inconsistency, progress=progress, max_nodes=budget, limit=limit)
    if found.complete or not scannable:
        return found
    floor = found.scanned
    shown = None if progress is None else (lambda done, total: progress(max(done, floor), total))
    return enumerate_scenarios(m, max_inconsistency, progress=shown, max_scenarios=max_scenarios, limit=limit)
