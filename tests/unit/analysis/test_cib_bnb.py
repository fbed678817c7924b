"""Branch and bound finds exactly what full enumeration finds, and a stopped search says what it proved."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scenmatrix.analysis import cib
from scenmatrix.analysis.cib_bnb import search_scenarios


def _random(sizes: list[int], seed: int, density: float, self_impacts: bool = False, scale: int = 3) -> cib.CIBMatrix:
    rng = np.random.default_rng(seed)
    n = sum(sizes)
    J = rng.integers(-scale, scale + 1, (n, n)) * (rng.random((n, n)) < density)
    owner = np.repeat(np.arange(len(sizes)), sizes)
    if not self_impacts:
        J[owner[:, None] == owner[None, :]] = 0
    return cib.CIBMatrix(tuple(f"D{i}" for i in range(len(sizes))),
                         tuple(tuple(f"v{j}" for j in range(s)) for s in sizes), J, scale=scale,
                         self_impacts=self_impacts)


def _brute(m: cib.CIBMatrix, k: int) -> list[tuple[tuple[int, ...], int, int]]:
    out = []
    for s in itertools.product(*(range(n) for n in m.sizes)):
        inc = cib.inconsistency(m, s)
        if inc <= k:
            out.append((s, inc, cib.total_impact_score(m, s)))
    return out


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(sizes=st.lists(st.integers(2, 4), min_size=1, max_size=6), seed=st.integers(0, 2 ** 32 - 1),
       density=st.sampled_from([0.0, 0.3, 0.7, 1.0]), k=st.sampled_from([0, 1]), self_impacts=st.booleans(),
       scale=st.sampled_from([1, 3, 12]))
def test_branch_and_bound_equals_brute_force(sizes, seed, density, k, self_impacts, scale):
    m = _random(sizes, seed, density, self_impacts, scale)
    found = search_scenarios(m, k, limit=None, batch=7)  # a small batch: many frontiers, deep stacks
    assert found.complete and found.scanned == m.n_scenarios
    assert list(found) == _brute(m, k)
    assert list(found) == list(cib.enumerate_scenarios(m, k, limit=None))


def test_keeps_the_least_inconsistent_first_in_index_order_like_enumeration():
    m = _random([3, 3, 3, 3, 2], 7, 0.6)
    for limit in (1, 5, 40):
        assert list(search_scenarios(m, 3, limit=limit, batch=5)) == list(cib.enumerate_scenarios(m, 3, limit=limit))
        assert search_scenarios(m, 3, limit=limit).left_out == cib.enumerate_scenarios(m, 3, limit=limit).left_out


def test_a_stopped_search_says_how_much_it_settled_and_claims_nothing_else():
    m = _random([5] * 12, 2024, 0.5)
    stopped = search_scenarios(m, 0, max_nodes=2000, batch=256)
    full = search_scenarios(m, 0)
    assert not stopped.complete and 0 <= stopped.scanned < m.n_scenarios and stopped.nodes <= 2000 + 256
    assert full.complete and full.nodes > stopped.nodes
    assert set(s for s, _, _ in stopped) <= set(s for s, _, _ in full)


def test_progress_reports_the_settled_share_up_to_the_whole_space():
    m = _random([4] * 8, 3, 0.5)
    seen: list[tuple[int, int]] = []
    search_scenarios(m, 0, progress=lambda done, total: seen.append((done, total)), batch=16)
    assert seen and all(b >= a for (a, _), (b, _) in zip(seen, seen[1:]))
    assert seen[-1] == (m.n_scenarios, m.n_scenarios)


def test_any_size_of_space():
    # 2^80 scenarios: beyond int64 indices; a strongly coupled chain settles in a few nodes.
    D = 80
    J = np.zeros((2 * D, 2 * D), int)
    for d in range(D):
        e = (d + 1) % D
        J[2 * d:2 * d + 2, 2 * e:2 * e + 2] = [[3, -3], [-3, 3]]  # each descriptor copies the one before
    m = cib.CIBMatrix(tuple(f"D{i}" for i in range(D)), (("a", "b"),) * D, J)
    found = search_scenarios(m)
    assert found.complete and [s for s, _, _ in found] == [(0,) * D, (1,) * D]


@pytest.mark.parametrize("bad", [{"max_inconsistency": -1}, {"limit": 0}, {"max_nodes": 0}])
def test_bad_arguments(bad):
    with pytest.raises(ValueError):
        search_scenarios(_random([2, 2], 1, 1.0), **bad)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(sizes=st.lists(st.integers(2, 5), min_size=4, max_size=8), seed=st.integers(0, 2 ** 32 - 1),
       k=st.sampled_from([0, 1, 2]), limit=st.sampled_from([None, 3]))
def test_the_process_pool_gives_exactly_the_single_process_result(sizes, seed, k, limit):
    m = _random(sizes, seed, 0.6)
    alone = search_scenarios(m, k, limit=limit, batch=5, workers=1)
    pooled = search_scenarios(m, k, limit=limit, batch=5, workers=2, alone=3)  # the pool after 3 nodes
    assert pooled.complete and pooled.scanned == m.n_scenarios == alone.scanned
    assert list(pooled) == list(alone) and pooled.matched == alone.matched


def test_the_pool_shares_one_node_budget_and_says_what_it_settled():
    m = _random([5] * 12, 2024, 0.5)
    stopped = search_scenarios(m, 0, max_nodes=20_000, batch=256, workers=2, alone=1000)
    full = search_scenarios(m, 0, workers=1)
    assert not stopped.complete and 0 < stopped.scanned < m.n_scenarios
    assert stopped.nodes <= 20_000 + 2 * 256  # a batch at most over, per process
    assert set(s for s, _, _ in stopped) <= set(s for s, _, _ in full)


def test_ctrl_c_stops_the_pool_and_leaves_no_process_behind():
    import os
    import signal
    import subprocess
    import sys
    import time
    from pathlib import Path

    script = ("import signal, sys; sys.path.insert(0, sys.argv[1]); import bench_cib\n"
              "signal.signal(signal.SIGINT, signal.default_int_handler)\n"  # as on a terminal, if run from a job
              "from scenmatrix.analysis.cib_bnb import search_scenarios\n"
              "print('start', flush=True)\n"
              "search_scenarios(bench_cib.balanced(), 0, workers=2, alone=10_000, max_nodes=10**9)\n")
    bench = Path(__file__).resolve().parents[3] / "benchmarks"
    proc = subprocess.Popen([sys.executable, "-c", script, str(bench)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, start_new_session=True)
    assert proc.stdout.readline() == "start\n"
    time.sleep(3)  # the pool is working by now
    os.killpg(proc.pid, signal.SIGINT)  # as a terminal sends it: to every process of the group
    _, err = proc.communicate(timeout=30)
    assert proc.returncode != 0 and err.count("KeyboardInterrupt") == 1  # the parent's only
    time.sleep(0.5)
    with pytest.raises(ProcessLookupError):
        os.killpg(proc.pid, 0)  # no worker left


@pytest.mark.parametrize("sizes", [[9, 7, 3, 2], [7, 7, 7], [10, 2, 2, 2, 2], [6, 6, 6, 6]])
@pytest.mark.parametrize("k", [0, 2])
def test_wide_descriptors_keep_the_plain_bound_and_the_same_answer(sizes, k):
    # Up to 6 variants a descriptor's bound follows the variants still possible (a table per bit mask); wider
    # ones (7, 9, 10: masks past 8 bits wrap) keep the least over all their variants.
    for seed in range(3):
        m = _random(sizes, seed, 0.8)
        assert list(search_scenarios(m, k, limit=None, batch=3)) == _brute(m, k)


def test_the_pool_reports_progress_forwards_up_to_the_whole_space():
    m = _random([4] * 9, 3, 0.5)
    seen: list[int] = []
    found = search_scenarios(m, 0, progress=lambda done, total: seen.append(done), batch=16, workers=2, alone=50)
    assert found.complete and seen == sorted(seen) and seen[-1] == m.n_scenarios
    assert all(isinstance(x, int) for x in seen)
