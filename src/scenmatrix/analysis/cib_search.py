"""Enumeration: every scenario of the space whose inconsistency is at most k, scanned in numpy chunks."""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Iterator, Optional

import numpy as np

from scenmatrix.analysis.budgets import MAX_CIB_SCENARIOS, MAX_LISTED
from scenmatrix.analysis.cib_matrix import (JUDGMENT_MAX, CIBMatrix, Progress, Scenario, check_budget,
                                            scenario_code)
from scenmatrix.errors import UsageError

# Working memory per chunk of the enumeration, in matrix cells (int16): about 16 MB per temporary array.
CHUNK_CELLS = 1 << 23


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


