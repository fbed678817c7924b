"""Exact search at any size: depth-first branch and bound over the descriptors, for the scenarios whose
inconsistency is at most k, without scanning the space.

Descriptors are assigned one at a time. For every descriptor d, every variant c of d and every rival
variant v, the search keeps a lower bound on how far v's balance can exceed c's once the scenario is
complete: the part the assigned descriptors already contribute (exact), plus, for each descriptor not yet
assigned, the least its variants can add to v's balance minus c's (precomputed, summed from the back).
A variant c whose bound against some rival exceeds k can never be chosen within k, so a partial scenario
is dropped as soon as an assigned descriptor's chosen variant, or every variant of an unassigned one, is
out; and only the variants still possible are tried for the next descriptor. At a complete scenario the
bound is the exact gap, so what is left is exactly the scenarios within k, found in index order.

The frontier is processed in batches of numpy arrays, depth first, so memory is bounded by about one batch
per descriptor. The work is bounded by `max_nodes` partial scenarios: a search stopped there says what it
has proved (the share of the space it settled) and never claims the rest.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

import numpy as np

from scenmatrix.analysis.budgets import CIB_SCAN_RATE, CIB_SEARCH_RATE, MAX_CIB_SCENARIOS, MAX_CIB_SEARCH_NODES, MAX_LISTED
from scenmatrix.analysis.cib_matrix import CIBMatrix, Progress
from scenmatrix.analysis.cib_search import Enumeration, enumerate_scenarios
from scenmatrix.errors import UsageError

BATCH = 4096  # partial scenarios evaluated together: about 1 KB each for a 20 x 5 model


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
    bounds: for rival w of variant column c, how far w's balance at least exceeds c's once complete."""

    def __init__(self, m: CIBMatrix, k: int):
        self.m, self.k = m, k
        J = m.judgments.astype(np.int32)
        # A descriptor narrower than the widest pads its rivals (cells that stay 0).
        V, W = m.n_variants, max(m.sizes)
        owner = np.repeat(np.arange(len(m.sizes)), m.sizes)
        rival = np.asarray(m.offsets)[owner][None, :] + np.arange(W)[:, None]   # (W, V) rival columns
        real = np.arange(W)[:, None] < np.asarray(m.sizes)[owner][None, :]
        rival = np.where(real, rival, 0)
        diff = np.where(real[None], J[:, rival] - J[:, None, :], 0).reshape(V, W * V)  # a row's exact part
        least = np.stack([diff[o:o + n].min(axis=0) for o, n in zip(m.offsets, m.sizes)])  # per descriptor
        bound = 2 * max(m.strongest, 1) * (len(m.sizes) + 1)
        # The narrowest integers that hold every bound (|L| <= 2 x strongest x descriptors): memory traffic is
        # the search's cost. A padding cell stays 0: the variant itself is among its rivals, at exactly 0.
        self.dtype = np.int8 if bound < 127 else np.int16 if bound < 32000 else np.int32
        self.root = least.sum(axis=0).astype(self.dtype)[None, :]
        # Assigning variant c to descriptor d: add its row's exact part, drop d's least part. Any order.
        self.step = [(diff[o:o + n] - least[d]).astype(self.dtype) for d, (o, n) in enumerate(zip(m.offsets,
                                                                                                  m.sizes))]
        self.width, self.n_variants = W, V
        strength = [int(np.abs(J[o:o + n]).sum()) / n for o, n in zip(m.offsets, m.sizes)]
        self.rank = np.argsort(np.argsort([-x for x in strength], kind="stable"))  # tie-break: strongest first

    def feasible(self, L: np.ndarray) -> np.ndarray:
        """(states, variants): can this variant still be chosen within k?"""
        return L.reshape(len(L), self.width, self.n_variants).max(axis=1) <= self.k

    def alive(self, F: np.ndarray, digits: np.ndarray, assigned: np.ndarray) -> np.ndarray:
        """States whose assigned descriptors keep their chosen variant possible and whose others keep one."""
        m = self.m
        done = np.flatnonzero(assigned)
        chosen = np.asarray(m.offsets)[done] + digits[:, done].astype(np.intp)  # one gather for all assigned
        ok = F[np.arange(len(F))[:, None], chosen].all(axis=1)
        for d in np.flatnonzero(~assigned):
            o, n = m.offsets[d], m.sizes[d]
            ok &= F[:, o:o + n].any(axis=1)
        return ok

    def branch(self, F: np.ndarray, assigned: np.ndarray) -> int:
        """The descriptor to assign next: the one with the fewest variants still possible (fail first)."""
        m = self.m
        counts = [(int(np.count_nonzero(F[:, o:o + n])), self.rank[d], d)
                  for d, (o, n) in enumerate(zip(m.offsets, m.sizes)) if not assigned[d]]
        return min(counts)[2]


class _Kept:
    """The scenarios found, cut back to the `limit` least inconsistent whenever twice that many pile up."""

    def __init__(self, limit: Optional[int]):
        self.limit, self.parts, self.size, self.matched = limit, [], 0, 0

    def add(self, rows: np.ndarray, incons: np.ndarray, totals: np.ndarray) -> None:
        self.parts.append((rows, incons, totals))
        self.size += len(rows)
        self.matched += len(rows)
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


def search_scenarios(m: CIBMatrix, max_inconsistency: int = 0, *, progress: Optional[Progress] = None,
                     max_nodes: int = MAX_CIB_SEARCH_NODES, limit: Optional[int] = MAX_LISTED,
                     batch: int = BATCH) -> Search:
    """Every scenario with inconsistency <= max_inconsistency, by branch and bound (see the module).

    Stops after `max_nodes` partial scenarios evaluated: the result then has `complete` False and
    `scanned` the part of the space proved. At most `limit` scenarios are kept, the least inconsistent
    (None: all). `progress(settled, space)` is called after each batch.
    """
    if max_inconsistency < 0:
        raise UsageError("max_inconsistency must be 0 or more")
    if limit is not None and limit < 1:
        raise UsageError("limit must be 1 or more")
    if max_nodes < 1:
        raise UsageError("max_nodes must be 1 or more")
    b = _Bounds(m, max_inconsistency)
    D, total = len(m.sizes), m.n_scenarios
    kept = _Kept(limit)
    settled, nodes = 0, 1
    # A stack of frontiers, depth first: [descriptor to assign, assigned mask, L, digits, states, variants,
    # cursor, scenarios below each child]. All states of a frontier have the same descriptors assigned.
    stack: list[list] = []

    def push(assigned: np.ndarray, L: np.ndarray, digits: np.ndarray, F: np.ndarray) -> None:
        nonlocal settled
        d = b.branch(F, assigned)
        o, n = m.offsets[d], m.sizes[d]
        below = 1
        for e in range(D):
            if not assigned[e] and e != d:
                below *= m.sizes[e]
        states, variants = np.nonzero(F[:, o:o + n])
        settled += (len(L) * n - len(states)) * below  # variants already out
        stack.append([d, assigned, L, digits, states, variants, 0, below])

    none = np.zeros(D, dtype=bool)
    digits0 = np.zeros((1, D), np.int16)
    F0 = b.feasible(b.root)
    if b.alive(F0, digits0, none).all():
        push(none, b.root, digits0, F0)
    else:
        settled = total
    while stack and nodes < max_nodes:
        entry = stack[-1]
        d, assigned, L, digits, states, variants, cursor, below = entry
        take = min(batch, len(states) - cursor, max(1, max_nodes - nodes))
        i, c = states[cursor:cursor + take], variants[cursor:cursor + take]
        entry[6] = cursor + take
        if entry[6] >= len(states):
            stack.pop()
        nodes += take
        child = L[i]
        child += b.step[d][c]
        child_digits = digits[i]
        child_digits[:, d] = c
        now = assigned.copy()
        now[d] = True
        F = b.feasible(child)
        ok = b.alive(F, child_digits, now)
        settled += int(np.count_nonzero(~ok)) * below
        if now.all():
            settled += int(np.count_nonzero(ok))
            if ok.any():
                _record(m, b, kept, child[ok], child_digits[ok])
        elif ok.any():
            push(now, child[ok], child_digits[ok], F[ok])
        if progress is not None:
            progress(settled, total)
    complete = not stack
    if complete:
        settled = total
    rows, incons, totals = kept.arrays()
    return Search(m, max_inconsistency, settled, np.arange(len(rows), dtype=np.int64), incons, totals,
                  kept.matched, limit, rows=rows.reshape(len(rows), D), complete=complete, nodes=nodes,
                  max_nodes=max_nodes)


def _record(m: CIBMatrix, b: _Bounds, kept: _Kept, L: np.ndarray, rows: np.ndarray) -> None:
    """Complete scenarios -> their exact inconsistency and total impact score, kept."""
    worst = L.reshape(len(L), b.width, b.n_variants).max(axis=1)  # exact now: the largest gap of each variant
    chosen = np.asarray(m.offsets) + rows.astype(np.intp)
    incons = worst[np.arange(len(rows))[:, None], chosen].max(axis=1).astype(np.int32)
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
