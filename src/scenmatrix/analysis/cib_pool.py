"""The branch-and-bound search on more than one core: the frontiers left on a search's stack are independent
subproblems (each state's subtree is its own), so they are cut into jobs and searched in a pool of
processes (numpy releases the GIL only on large operations; a search's operations are small, so threads
would mostly wait for each other).

- Bounded memory: the jobs are made once (a few thousand partial scenarios, about 1 KB each) and each
  process returns at most 2 x limit scenarios, merged as they come by the caller's `_Kept`.
- The same result as one process: the scenarios kept are chosen by inconsistency then index order and put
  in index order, whatever the order the jobs end in.
- The node budget is shared: a process reserves nodes from a shared counter before it spends them, so the
  search as a whole evaluates at most `max_nodes` (plus a batch); a stopped job reports what it settled.
- Ctrl-C: the processes ignore SIGINT; the caller gets KeyboardInterrupt and the pool is terminated.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
from typing import Any, Optional

import numpy as np

from scenmatrix.analysis.cib_matrix import Progress

Walk = Any  # cib_bnb._Walk: not imported, cib_bnb imports this module

JOBS_PER_WORKER = 16  # subtrees differ widely in size: many jobs let the processes end together
SLICE = 50_000        # nodes a process reserves from the shared budget at a time
POLL = 0.2            # seconds between progress reports while the processes work

_state: dict = {}     # per process: the search's bounds, made once by _init


def can_fork() -> bool:
    """Processes are forked (a copy of this one, nothing imported again): only where that is safe (Linux)."""
    import sys
    return sys.platform.startswith("linux") and "fork" in multiprocessing.get_all_start_methods()


def finish_in_pool(walk: Walk, workers: int, max_nodes: int, progress: Optional[Progress]) -> bool:
    """Search what is left on `walk`'s stack in `workers` processes, into `walk` (kept, settled, nodes; its
    stack is emptied) -> whether everything was searched (else the budget stopped it)."""
    jobs = _jobs(walk, workers, max_nodes)
    if not jobs:  # growing the jobs searched everything
        return True
    ctx = multiprocessing.get_context("fork")  # spawn would run the caller's unguarded script again
    spent = ctx.Value("q", walk.nodes)
    settled = ctx.Value("d", 0.0)  # for progress only (a float: spaces exceed 64 bits); results are exact
    b = walk.b
    # The classes travel with the arguments (forked, not pickled): this module never imports cib_bnb.
    args = (type(walk), type(b), b.m, b.k, walk.kept.limit, walk.batch, spent, settled, max_nodes)
    done, complete, before, shown = 0, True, walk.settled, walk.settled

    def report(settled_now: int) -> None:  # never backwards: the shared float rounds on huge spaces
        nonlocal shown
        if progress is not None and settled_now > shown:
            shown = settled_now
            progress(shown, b.m.n_scenarios)

    with ctx.Pool(min(workers, len(jobs)), initializer=_init, initargs=args) as pool:
        results = pool.imap_unordered(_run, jobs)
        while done < len(jobs):
            try:
                rows, incons, totals, matched, job_settled, nodes, job_complete = results.next(POLL)
            except multiprocessing.TimeoutError:
                report(before + int(settled.value))  # the running jobs' part too
                continue
            done += 1
            walk.settled += job_settled
            walk.nodes += nodes
            complete &= job_complete
            if matched:
                walk.kept.add(rows, incons, totals, matched)
            report(before + int(settled.value))
    report(walk.settled)  # exact, once every job is in
    return complete


def _jobs(walk: Walk, workers: int, max_nodes: int) -> list[list]:
    """The stack's frontiers, the shallowest expanded breadth first until there are children enough, then cut
    into jobs of about equal numbers of children, the shallowest (largest subtrees) first."""
    entries, walk.stack = walk.stack, []
    last = len(walk.b.m.sizes) - 1
    want = JOBS_PER_WORKER * workers

    def left(e: list) -> int:
        return len(e[5]) - e[7]

    while sum(map(left, entries)) < want and walk.nodes < max_nodes:
        open_ = [e for e in entries if int(e[1].sum()) < last]
        if not open_:
            break
        entry = min(open_, key=lambda e: int(e[1].sum()))
        entries.remove(entry)
        while left(entry) and walk.nodes < max_nodes:
            child = walk.advance(entry, walk.batch)
            if child is not None:
                entries.append(child)
        if left(entry):
            entries.append(entry)
    entries = [e for e in entries if left(e)]
    size = max(1, sum(map(left, entries)) // want)
    jobs = []
    for e in sorted(entries, key=lambda e: int(e[1].sum())):
        for start in range(e[7], len(e[5]), size):
            jobs.append(_piece(e, start, min(start + size, len(e[5]))))
    return jobs


def _piece(entry: list, start: int, stop: int) -> list:
    """Children [start, stop) of a frontier as a frontier of its own, holding only the states they need."""
    d, assigned, L, masks, digits, states, variants, _, below = entry
    used, local = np.unique(states[start:stop], return_inverse=True)
    return [d, assigned, L[used], masks[used], digits[used], local.astype(np.intp), variants[start:stop], 0, below]


def _init(walk_type: type, bounds_type: type, m, k: int, limit: Optional[int], batch: int, spent, settled,
          max_nodes: int) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle: it terminates the pool
    _state.update(parent=os.getppid(), walk=walk_type, b=bounds_type(m, k), limit=limit, batch=batch, spent=spent, settled=settled, max_nodes=max_nodes)


def _run(job: list) -> tuple:
    """One job, depth first, spending nodes reserved from the shared budget."""
    s = _state
    walk = s["walk"](s["b"], s["limit"], s["batch"])
    walk.stack = [job]
    while walk.stack and os.getppid() == s["parent"]:  # a parent killed outright leaves no search running
        with s["spent"].get_lock():
            grant = min(SLICE, s["max_nodes"] - s["spent"].value)
            if grant <= 0:
                break
            s["spent"].value += grant
        before_nodes, before_settled = walk.nodes, walk.settled
        walk.run(walk.nodes + grant)
        with s["spent"].get_lock():
            s["spent"].value -= grant - (walk.nodes - before_nodes)  # give back what was not spent
        with s["settled"].get_lock():
            s["settled"].value += walk.settled - before_settled
    rows, incons, totals = walk.kept.arrays()
    return rows, incons, totals, walk.kept.matched, walk.settled, walk.nodes, not walk.stack
