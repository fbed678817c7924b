"""`scenmatrix cib basins`: the attractors of global succession and their basins.

Reference results: a brute force that follows `cib.succession` (the single-scenario function) from
every scenario and counts where each ends; the published Somewhereland matrix, whose ten consistent
scenarios `cib scenarios` lists; and a hand-made matrix with a cycle of two.
"""

from __future__ import annotations

import itertools
import json
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scenmatrix.analysis import budgets, cib, cib_basins, cib_reports
from scenmatrix.analysis.cib import CIBMatrix, ScenarioBudgetError
from scenmatrix.cli import cib_commands, render
from scenmatrix.cli.app import cli
from scenmatrix.store import cib_csv

DATA = Path(__file__).resolve().parents[2] / "data" / "cib"
SOMEWHERELAND = DATA / "somewhereland.csv"

# Hand-derived: X (x1 x2) and Y (y1 y2) each want to match the other, X pushing harder. (x1,y1) and
# (x2,y2) are consistent. From (x1,y2) both descriptors are off, so global succession switches both, to
# (x2,y1), where both are off again and switch back: a cycle of two, "12 → 21", whose basin is itself.
TWO_CYCLE = """\
,,X,,Y,
,,x1,x2,y1,y2
X,x1,,,3,-3
,x2,,,-3,3
Y,y1,1,-1,,
,y2,-1,1,,
"""


def scenmatrix(*args: object) -> subprocess.CompletedProcess:
    """The real command, in its own process."""
    return subprocess.run([sys.executable, "-m", "scenmatrix", "cib", *map(str, args)], capture_output=True,
                          text=True, timeout=120)


def somewhereland() -> CIBMatrix:
    return cib_csv.read_matrix(SOMEWHERELAND).matrix


def random_matrix(sizes: tuple[int, ...], seed: int, zeros: float = 0.0) -> CIBMatrix:
    rng = np.random.default_rng(seed)
    n = sum(sizes)
    J = rng.integers(-3, 4, (n, n))
    J[rng.random((n, n)) < zeros] = 0
    start = 0
    for size in sizes:
        J[start:start + size, start:start + size] = 0
        start += size
    return CIBMatrix(tuple(f"D{i}" for i in range(len(sizes))),
                     tuple(tuple(f"v{j}" for j in range(size)) for size in sizes), J)


def brute_force(m: CIBMatrix, starts=None) -> Counter:
    """{attractor: starts ending there}, following `cib.succession` from each start; an attractor is its
    scenarios in succession order from the one with the lowest index."""
    found: Counter = Counter()
    for s in itertools.product(*(range(n) for n in m.sizes)) if starts is None else starts:
        attractor = cib.succession(m, s).attractor
        assert attractor, "global succession always ends in a fixed point or a cycle"
        low = min(range(len(attractor)), key=lambda k: cib.scenario_index(m, attractor[k]))
        found[attractor[low:] + attractor[:low]] += 1
    return found


def as_counter(found: cib_basins.Basins) -> Counter:
    return Counter(dict(iter(found)))


# --------------------------------------------------------------------------------------------
# The engine against the single-scenario succession


def test_somewhereland_basins_equal_brute_force_and_cover_the_space():
    m = somewhereland()
    found = cib_basins.basins(m)
    assert (found.scanned, found.space, found.sampled) == (486, 486, False)
    assert int(found.sizes.sum()) == 486
    assert as_counter(found) == brute_force(m)
    assert found.cycles == 0 and len(found) == 10
    assert list(found.sizes) == sorted(found.sizes, reverse=True)


def test_two_cycle_by_hand():
    m = cib_csv.parse_matrix(TWO_CYCLE, "two.csv").matrix
    found = cib_basins.basins(m)
    assert list(found) == [(((0, 1), (1, 0)), 2), (((0, 0),), 1), (((1, 1),), 1)]
    assert found.cycles == 1
    assert as_counter(found) == brute_force(m)


def test_a_larger_space_equals_brute_force_with_cycles():
    m = random_matrix((3, 4, 2, 3, 3, 2), seed=5)  # 432 scenarios, two cycles among its attractors
    found = cib_basins.basins(m)
    assert found.cycles >= 1
    assert as_counter(found) == brute_force(m)


@st.composite
def models(draw, max_descriptors: int = 5, max_variants: int = 4):
    sizes = tuple(draw(st.lists(st.integers(2, max_variants), min_size=1, max_size=max_descriptors)))
    return random_matrix(sizes, draw(st.integers(0, 2 ** 32 - 1)), draw(st.sampled_from([0.0, 0.5, 0.9])))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(m=models())
def test_basin_sizes_equal_brute_force(m):
    expected = brute_force(m)
    assert as_counter(cib_basins.basins(m)) == expected
    # The sampled search, given every scenario as a start, in batches that meet each other's paths:
    every = np.stack(np.unravel_index(np.arange(m.n_scenarios), m.sizes), axis=1)
    batches = [every[::2], every[1::2][::-1], every[:1]]
    walked = cib_basins._follow(m, batches, m.n_scenarios + 1)
    assert as_counter(walked) == expected + Counter({brute_force(m, [tuple(every[0])]).most_common(1)[0][0]: 1})


@settings(max_examples=30, deadline=None)
@given(m=models(max_descriptors=4), seed=st.integers(0, 2 ** 16))
def test_a_sample_finds_only_true_attractors_and_counts_every_start(m, seed):
    expected = brute_force(m)
    found = cib_basins.basins(m, sample=50, seed=seed)
    assert found.sampled and found.scanned == 50 and found.space == m.n_scenarios
    assert int(found.sizes.sum()) == 50
    assert set(as_counter(found)) <= set(expected)
    assert list(cib_basins.basins(m, sample=50, seed=seed)) == list(found)  # the seed draws the same starts


def test_a_large_sample_of_a_small_space_estimates_the_shares():
    m = somewhereland()
    exact = {a: size / 486 for a, size in cib_basins.basins(m)}
    sampled = cib_basins.basins(m, sample=20_000, seed=3)
    assert set(as_counter(sampled)) == set(exact)
    for attractor, size in sampled:
        assert abs(size / 20_000 - exact[attractor]) < 0.02  # over 5 standard deviations for every share


def test_a_space_above_the_scan_budget_is_sampled():
    m = random_matrix((5,) * 20, seed=1)  # 9.5e13 scenarios
    found = cib_basins.basins(m)
    assert found.sampled and found.scanned == budgets.CIB_BASIN_SAMPLE and found.space == 5 ** 20
    assert int(found.sizes.sum()) == found.scanned
    for attractor, _ in itertools.islice(found, 3):  # each really is a fixed point or a cycle
        result = cib.succession(m, attractor[0])
        assert result.path == attractor and result.attractor == attractor


@pytest.mark.slow
def test_a_space_of_a_million_is_scanned_in_seconds():
    m = random_matrix((4,) * 10, seed=2)  # 1,048,576 scenarios: over the budget, so allow it
    started = time.perf_counter()
    found = cib_basins.basins(m, max_scan=m.n_scenarios)
    elapsed = time.perf_counter() - started
    assert not found.sampled and int(found.sizes.sum()) == m.n_scenarios
    assert elapsed < 30, f"{elapsed:.1f} s"  # about 1.5 s on two idle cores
    starts = [cib.scenario_at(m, i) for i in range(0, m.n_scenarios, 7919)]
    heads = {a[0]: a for a, _ in found}
    for s in starts:
        attractor = cib.succession(m, s).attractor
        low = min(range(len(attractor)), key=lambda k: cib.scenario_index(m, attractor[k]))
        assert heads[attractor[low]] == attractor[low:] + attractor[:low]


def test_walks_past_the_states_budget_stop_and_count_the_batches_finished():
    m = somewhereland()
    every = np.stack(np.unravel_index(np.arange(m.n_scenarios), m.sizes), axis=1)
    first = every[:40]
    found = cib_basins._follow(m, [first, every[40:]], 486, max_states=300)
    assert found.stopped and (found.scanned, found.asked, found.budget) == (40, 486, 300)
    assert as_counter(found) == brute_force(m, map(tuple, first))
    assert not cib_basins._follow(m, [first, every[40:]], 486).stopped


def test_walks_past_the_states_budget_in_the_first_batch_are_refused_positioned():
    m = random_matrix((5,) * 20, seed=1)
    with pytest.raises(ScenarioBudgetError) as caught:
        cib_basins._follow(m, [np.zeros((10, 20), dtype=int) + np.arange(10)[:, None] % 5], 10, source="m.csv",
                           max_states=5)
    problem = caught.value.problems[0]
    assert (problem.path, problem.line, problem.code) == ("m.csv", 1, "cib-budget")
    assert "more than 5 distinct scenarios" in problem.message and "--sample" in problem.hint


def test_a_space_too_large_to_index_is_refused():
    m = CIBMatrix(tuple(f"D{i}" for i in range(63)), (("a", "b"),) * 63, np.zeros((126, 126), dtype=int))
    with pytest.raises(ScenarioBudgetError, match="64 bits"):
        cib_basins.basins(m, sample=10, source="huge.csv")


# --------------------------------------------------------------------------------------------
# The command, in real processes


def test_every_consistent_scenario_of_cib_scenarios_is_a_fixed_point_with_a_basin():
    listed = json.loads(scenmatrix("scenarios", SOMEWHERELAND, "--json").stdout)
    consistent = {item["code"] for item in listed["scenarios"]}
    done = scenmatrix("basins", SOMEWHERELAND, "--json")
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert set(data) == {"basins", "scanned", "space", "sampled"}
    assert (data["scanned"], data["space"], data["sampled"]) == (486, 486, False)
    assert sum(b["size"] for b in data["basins"]) == 486
    fixed = {b["code"]: b["size"] for b in data["basins"] if "code" in b}
    assert set(fixed) == consistent and len(consistent) == 10
    assert all(size >= 1 for size in fixed.values())
    assert data["basins"][0] == {"code": "132113", "size": 178}


def test_the_table_and_its_summary():
    done = scenmatrix("basins", SOMEWHERELAND)
    assert done.returncode == 0 and done.stderr == ""
    lines = done.stdout.splitlines()
    assert lines[0].split() == ["basin", "share", "kind", "attractor"]
    assert lines[1].split() == ["178", "36.6", "%", "fixed", "point", "132113"]
    assert len(lines) == 12
    assert lines[-1] == (f"{SOMEWHERELAND}: 10 attractors (10 fixed points, 0 cycles); global succession followed "
                         "from every one of the 486 scenarios")


def test_a_cycle_is_shown_as_codes_joined_by_arrows(tmp_path):
    path = tmp_path / "two.csv"
    path.write_text(TWO_CYCLE)
    table = scenmatrix("basins", path)
    assert table.returncode == 0
    assert table.stdout.splitlines()[1].split() == ["2", "50.0", "%", "cycle", "of", "2", "12", "→", "21"]
    assert "(2 fixed points, 1 cycle)" in table.stdout
    data = json.loads(scenmatrix("basins", path, "--json").stdout)
    assert data == {"basins": [{"cycle": ["12", "21"], "size": 2}, {"code": "11", "size": 1},
                               {"code": "22", "size": 1}], "scanned": 4, "space": 4, "sampled": False}
    four = json.loads(scenmatrix("basins", DATA / "cycle.csv", "--json").stdout)
    assert four["basins"] == [{"cycle": ["11", "12", "22", "21"], "size": 4}]


def test_codes_are_made_as_scenario_code_makes_them():
    for m in (somewhereland(), random_matrix((10, 3, 2), seed=4), random_matrix((12, 2), seed=6, zeros=0.9)):
        found = cib_basins.basins(m)
        assert [(codes, size) for codes, size in found.coded()] == \
            [([cib.scenario_code(m, s) for s in attractor], size) for attractor, size in found]
        assert any("." in codes[0] for codes, _ in found.coded()) == (max(m.sizes) >= 10)


def test_the_streamed_json_is_the_json_of_the_result():
    for m in (somewhereland(), cib_csv.parse_matrix(TWO_CYCLE, "two.csv").matrix):
        report = cib_reports.BasinReport("m.csv", cib_basins.basins(m))
        assert "".join(report.json_text()) == json.dumps(report.to_json(), indent=2, ensure_ascii=False)


def test_a_model_whose_every_scenario_is_a_fixed_point_is_listed_whole_and_fast():
    sizes = (4,) * 7 + (3,)  # 49,152 scenarios, all judgments 0: every scenario is its own attractor
    m = CIBMatrix(tuple(f"D{i}" for i in range(8)), tuple(tuple(f"v{j}" for j in range(s)) for s in sizes),
                  np.zeros((sum(sizes), sum(sizes)), dtype=int))
    started = time.perf_counter()
    report = cib_reports.BasinReport("zero.csv", cib_basins.basins(m))
    lines = list(render.lines(report.headers, report.rows(), report.widths(), report.right, rule=False))
    assert len(lines) == 1 + m.n_scenarios and lines[1] == "    1  0.0 %  fixed point  11111111"
    assert json.loads("".join(report.json_text()))["basins"][-1] == {"code": "44444443", "size": 1}
    assert time.perf_counter() - started < 20


def test_sample_says_it_sampled_with_its_size_and_the_space():
    done = scenmatrix("basins", SOMEWHERELAND, "--sample", "300", "--seed", "4")
    assert done.returncode == 0
    summary = done.stdout.splitlines()[-1]
    assert "uniform sample of 300 start scenarios (seed 4) of the 486 in the space. Sampled:" in summary
    assert sum(int(line.split()[0].replace(",", "")) for line in done.stdout.splitlines()[1:-1]) == 300
    data = json.loads(scenmatrix("basins", SOMEWHERELAND, "--sample", "300", "--seed", "4", "--json").stdout)
    assert (data["sampled"], data["scanned"], data["space"]) == (True, 300, 486)
    assert sum(b["size"] for b in data["basins"]) == 300


def test_a_large_space_is_sampled_by_default_and_says_so(tmp_path):
    path = tmp_path / "big.csv"
    path.write_text(cib_csv.format_matrix(random_matrix((5,) * 20, seed=1)))
    done = scenmatrix("basins", path, "--json")
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert (data["sampled"], data["scanned"], data["space"]) == (True, budgets.CIB_BASIN_SAMPLE, 5 ** 20)
    text = scenmatrix("basins", path).stdout.splitlines()[-1]
    assert f"uniform sample of {budgets.CIB_BASIN_SAMPLE:,} start scenarios (seed 0) of the 9.5×10¹³" in text


def test_bad_input_exits_1_with_a_positioned_message(tmp_path):
    missing = scenmatrix("basins", tmp_path / "none.csv")
    assert missing.returncode == 1 and missing.stdout == ""
    assert missing.stderr.startswith(f"{tmp_path / 'none.csv'}:1:1: no such file")
    bad = tmp_path / "bad.csv"
    bad.write_text(TWO_CYCLE.replace("X,x1,,,3,-3", "X,x1,,,3,lots"))
    malformed = scenmatrix("basins", bad)
    assert malformed.returncode == 1 and malformed.stdout == "" and "Traceback" not in malformed.stderr
    assert malformed.stderr.startswith(f"{bad}:3:10: cell F3: 'lots' is not an integer judgment")
    usage = scenmatrix("basins", SOMEWHERELAND, "--sample", "0")
    assert usage.returncode == 2 and usage.stdout == "" and "Invalid value for '--sample'" in usage.stderr


@pytest.mark.parametrize("args", [[], ["--sample", "0"], ["--sample", "many"], ["--seed", "-1"],
                                  ["--sample", str(budgets.MAX_CIB_BASIN_SCAN + 1)], ["--rule", "global"]])
def test_bad_options_exit_2(args):
    done = CliRunner().invoke(cli, ["cib", "basins", *([str(SOMEWHERELAND)] if args else []), *args])
    assert done.exit_code == 2 and done.stdout == "" and "Traceback" not in done.stderr


def test_the_states_budget_is_refused_on_the_command_line(monkeypatch):
    monkeypatch.setattr(cib_basins, "MAX_CIB_BASIN_STATES", 20)
    done = CliRunner().invoke(cli, ["cib", "basins", str(SOMEWHERELAND), "--sample", "100"])
    assert done.exit_code == 1 and done.stdout == ""
    assert done.stderr.startswith(f"{SOMEWHERELAND}:1:1: succession from the first starts of 100 sampled passes "
                                  "through more than 20 distinct scenarios")


def test_a_sample_stopped_at_the_states_budget_says_so_and_counts_what_it_followed(monkeypatch):
    monkeypatch.setattr(cib_basins, "SAMPLE_BATCH", 20)
    monkeypatch.setattr(cib_basins, "MAX_CIB_BASIN_STATES", 200)
    done = CliRunner().invoke(cli, ["cib", "basins", str(SOMEWHERELAND), "--sample", "1000", "--json"])
    assert done.exit_code == 0, done.stderr
    data = json.loads(done.stdout)
    assert data["sampled"] and 0 < data["scanned"] < 1000 and data["scanned"] % 20 == 0
    assert sum(b["size"] for b in data["basins"]) == data["scanned"]
    assert done.stderr == (f"{SOMEWHERELAND}: warning: stopped after {data['scanned']:,} of the 1,000 sampled starts: "
                           "their walks passed through 200 distinct scenarios, the most held in memory; the basins "
                           f"count those {data['scanned']:,} — pass a smaller --sample N\n")
    text = CliRunner().invoke(cli, ["cib", "basins", str(SOMEWHERELAND), "--sample", "1000"]).stdout
    assert f"uniform sample of the first {data['scanned']:,} of 1,000 start scenarios" in text.splitlines()[-1]


def test_progress_bar_only_on_a_terminal_for_long_runs(monkeypatch):
    assert "following" not in CliRunner().invoke(cli, ["cib", "basins", str(SOMEWHERELAND)]).stderr
    monkeypatch.setattr(cib_commands, "_stderr_is_terminal", lambda: True)
    monkeypatch.setattr(cib_commands, "BASIN_LONG_RUN", 100)
    result = CliRunner().invoke(cli, ["cib", "basins", str(SOMEWHERELAND)])
    assert result.exit_code == 0 and "following succession" in result.stderr
    assert result.stdout.count("\n") == 12
