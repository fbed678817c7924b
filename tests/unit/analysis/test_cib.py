"""Cross-impact balance analysis: the engine, the CSV layout, and `scenmatrix cib`.

Reference results come from three places, named at each test:
- Hand-derived: the TINY model and the two-descriptor COORDINATION model below, whose balances,
  consistent sets and successions are worked out by hand in the comments.
- Published: Weimer-Jehle's "Somewhereland" example (ScenarioWizard manual, Fig. 2-2 and 2-3;
  cross-impact.de, "The CIB algorithm"), with its published impact balances for one scenario and its
  published list of the ten consistent scenarios.
- A brute-force enumerator in plain Python (itertools), written from the definitions, compared with
  the vectorised engine on random models.
"""

from __future__ import annotations

import itertools
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scenmatrix.analysis import cib
from scenmatrix.store import cib_csv as cib_io
from scenmatrix.cli import cib_commands as cli_cib
from scenmatrix.edit import api as edit
from scenmatrix.analysis.cib import CIBError, CIBMatrix
from scenmatrix.cli.app import cli

DATA = Path(__file__).resolve().parents[2] / "data" / "cib"
SOMEWHERELAND = DATA / "somewhereland.csv"

# --------------------------------------------------------------------------------------------
# Hand-derived model: three descriptors A (a1 a2), B (b1 b2), C (c1 c2 c3); every row of every
# judgment group sums to 0.

TINY = """\
,,A,,B,,C,,
,,a1,a2,b1,b2,c1,c2,c3
A,a1,,,2,-2,1,0,-1
,a2,,,-1,1,-2,1,1
B,b1,3,-3,,,0,2,-2
,b2,-1,1,,,1,-1,0
C,c1,2,-2,-1,1,,,
,c2,0,0,3,-3,,,
,c3,-2,2,0,0,,,
"""


def tiny() -> CIBMatrix:
    return cib_io.parse_matrix(TINY, "tiny.csv").matrix


def test_tiny_balances_by_hand():
    m = tiny()
    # (a1, b1, c2): A gets b1 [3,-3] + c2 [0,0] = [3,-3]; B gets a1 [2,-2] + c2 [3,-3] = [5,-5];
    # C gets a1 [1,0,-1] + b1 [0,2,-2] = [1,2,-3]. Every chosen variant is the highest: consistent,
    # total impact 3 + 5 + 2 = 10.
    assert cib.balances(m, (0, 0, 1)).tolist() == [3, -3, 5, -5, 1, 2, -3]
    assert cib.descriptor_gaps(m, (0, 0, 1)).tolist() == [0, 0, 0]
    assert cib.is_consistent(m, (0, 0, 1))
    assert cib.total_impact_score(m, (0, 0, 1)) == 10
    # (a2, b2, c1): A gets b2 [-1,1] + c1 [2,-2] = [1,-1]  -> a2 is 2 short;
    # B gets a2 [-1,1] + c1 [-1,1] = [-2,2] -> b2 fine; C gets a2 [-2,1,1] + b2 [1,-1,0] = [-1,0,1]
    # -> c1 is 2 short. Inconsistency 2, total impact -1 + 2 - 1 = 0.
    assert cib.balances(m, (1, 1, 0)).tolist() == [1, -1, -2, 2, -1, 0, 1]
    assert cib.descriptor_gaps(m, (1, 1, 0)).tolist() == [2, 0, 2]
    assert cib.inconsistency(m, (1, 1, 0)) == 2
    assert cib.total_impact_score(m, (1, 1, 0)) == 0


def test_tiny_consistent_set_by_hand():
    # C's best variant for each (A, B): (a1,b1) -> c2, (a1,b2) -> c1, (a2,b1) -> c2, (a2,b2) -> c3.
    # Of those four: (a1,b2,c1) fails B ([1,-1] favours b1), (a2,b1,c2) fails A ([3,-3] favours a1);
    # (a1,b1,c2) holds (total 10) and (a2,b2,c3) holds: A [-3,3], B [-1,1], C [-1,0,1], total 3+1+1 = 5.
    found = cib.enumerate_scenarios(tiny())
    assert list(found) == [((0, 0, 1), 0, 10), ((1, 1, 2), 0, 5)]
    assert found.scanned == 12


def test_tiny_balance_table():
    table = cib.balance_table(tiny(), (1, 1, 0))
    assert list(table.columns) == ["descriptor", "variant", "balance", "chosen", "best"]
    assert table["balance"].tolist() == [1, -1, -2, 2, -1, 0, 1]
    assert table[table.chosen].variant.tolist() == ["a2", "b2", "c1"]
    assert table[table.best].variant.tolist() == ["a1", "b2", "c3"]


def test_tiny_succession_by_hand():
    # From (a1,b2,c1): B [1,-1] says b1 (gap 2), A and C agree -> (a1,b1,c1); there C [1,2,-3]
    # says c2 -> (a1,b1,c2), which is consistent: the fixed point, after two steps.
    result = cib.succession(tiny(), (0, 1, 0))
    assert result.path == ((0, 1, 0), (0, 0, 0), (0, 0, 1))
    assert result.attractor == ((0, 0, 1),)
    assert not result.is_cycle and result.steps == 2
    assert cib.succession(tiny(), (0, 0, 1)).path == ((0, 0, 1),)


# Hand-derived: X (x1 x2) and Y (y1 y2) that each want to match the other, X pushing harder:
# x1 -> [+3 y1, -3 y2], x2 -> [-3, +3]; y1 -> [+1 x1, -1 x2], y2 -> [-1, +1].
# Consistent: (x1,y1) and (x2,y2). From (x1,y2): X gap 2, Y gap 6. Global succession switches both,
# to (x2,y1), and back: a cycle of two. Adjusted succession switches only Y (the larger gap) and
# lands on (x1,y1).
COORDINATION = CIBMatrix(("X", "Y"), (("x1", "x2"), ("y1", "y2")),
                         np.array([[0, 0, 3, -3], [0, 0, -3, 3], [1, -1, 0, 0], [-1, 1, 0, 0]]))


def test_coordination_by_hand():
    m = COORDINATION
    assert [s for s, _, _ in cib.enumerate_scenarios(m)] == [(0, 0), (1, 1)]
    glob = cib.succession(m, (0, 1), "global")
    assert glob.path == ((0, 1), (1, 0)) and glob.attractor == ((0, 1), (1, 0)) and glob.is_cycle
    assert glob.steps == 0
    adjusted = cib.succession(m, (0, 1), "adjusted")
    assert adjusted.path == ((0, 1), (0, 0)) and adjusted.attractor == ((0, 0),)
    assert cib.successor(m, (0, 1), "global") == (1, 0)
    assert cib.successor(m, (0, 1), "adjusted") == (0, 0)


def test_succession_keeps_a_tied_variant_and_takes_the_first_of_tied_others():
    # All judgments zero: every balance ties, so every scenario is consistent and a fixed point.
    flat = CIBMatrix(("P", "Q"), (("p1", "p2", "p3"), ("q1", "q2")), np.zeros((5, 5), dtype=int))
    assert cib.successor(flat, (2, 1)) == (2, 1)
    assert len(cib.enumerate_scenarios(flat)) == 6
    # q1 promotes p2 and p3 equally: from (p1, q1), P switches to p2, the first of the tied best.
    m = CIBMatrix(("P", "Q"), (("p1", "p2", "p3"), ("q1", "q2")),
                  np.array([[0, 0, 0, 0, 0], [0, 0, 0, 0, 0], [0, 0, 0, 0, 0], [-2, 1, 1, 0, 0], [0, 0, 0, 0, 0]]))
    assert cib.successor(m, (0, 0)) == (1, 0)


# --------------------------------------------------------------------------------------------
# Published: "Somewhereland" (W. Weimer-Jehle, ScenarioWizard 4.1 manual, 2013, Fig. 2-2 and 2-3;
# the same example on http://www.cross-impact.de/english/CIB_e_Alg_3.htm and CIB_e_Alg_4.htm).
# The rows as printed: each variant's judgments on the variants of the OTHER descriptors, in order.

PUBLISHED_ROWS = """\
A1 -2 1 1 0 0 0 0 0 -2 1 1 0 0 0
A2 2 1 -3 -2 -1 3 -2 2 0 0 0 2 -1 -1
A3 0 0 0 0 2 -2 3 -3 2 -1 -1 -2 2 0
B1 0 0 0 -2 1 1 0 0 0 0 0 0 0 0
B2 0 0 0 0 1 -1 0 0 1 0 -1 0 0 0
B3 3 -1 -2 3 0 -3 0 0 3 -1 -2 -2 1 1
C1 2 1 -3 0 0 0 -2 2 -3 1 2 0 0 0
C2 -1 2 -1 0 0 0 0 0 0 0 0 0 0 0
C3 0 0 0 0 0 0 -2 2 3 -1 -2 0 0 0
D1 0 0 0 0 0 0 0 0 0 3 -1 -2 -2 1 1
D2 0 -3 3 0 0 0 0 0 0 -3 1 2 2 -1 -1
E1 0 0 0 0 0 0 -2 -1 3 0 0 2 -1 -1
E2 0 0 0 -1 0 1 1 1 -2 0 0 -1 0 1
E3 2 -1 -1 -3 1 2 3 0 -3 0 0 -2 -1 3
F1 0 3 -3 0 0 0 -3 0 3 -3 3 -2 1 1
F2 1 -2 1 0 0 0 -1 2 -1 2 -2 2 -1 -1
F3 0 0 0 0 0 0 -1 2 -1 1 -1 2 -1 -1
"""

# Published (cross-impact.de, "The CIB algorithm (4/4)"): "only ten scenarios are free of internal
# inconsistencies", in ScenarioWizard's notation.
PUBLISHED_CONSISTENT = """\
A3 B1 C3 D2 E1 F1
A3 B2 C3 D2 E1 F1
A2 B1 C3 D2 E2 F1
A2 B2 C3 D2 E2 F1
A3 B1 C2 D1 E1 F2
A1 B2 C2 D1 E1 F2
A3 B2 C2 D1 E1 F2
A1 B3 C2 D1 E1 F2
A1 B3 C2 D1 E1 F3
A1 B3 C1 D2 E3 F3
"""


def published(text: str) -> tuple[int, ...]:
    return tuple(int(tok[1:]) - 1 for tok in text.split())


def somewhereland() -> CIBMatrix:
    return cib_io.read_matrix(SOMEWHERELAND).matrix


def test_somewhereland_csv_holds_the_published_matrix():
    m = somewhereland()
    assert m.descriptors == ("Government", "Foreign policy", "Economy", "Distribution of wealth",
                             "Social cohesion", "Social values")
    assert m.sizes == (3, 3, 3, 2, 3, 3)
    for i, line in enumerate(PUBLISHED_ROWS.splitlines()):
        own = m.descriptor_of(i)
        others = [j for j in range(m.n_variants) if m.descriptor_of(j) != own]
        assert m.judgments[i, others].tolist() == [int(x) for x in line.split()[1:]], line


def test_somewhereland_published_balances():
    # Fig. 2-3: S = [A2 B1 C3 D1 E1 F1], "Balances 0 3 -3 2 1 -3 -9 -1 10 -7 7 4 -1 -3 2 -1 -1", and only
    # descriptor D (Distribution of wealth) contradicts its balance.
    m = somewhereland()
    s = published("A2 B1 C3 D1 E1 F1")
    assert cib.balances(m, s).tolist() == [0, 3, -3, 2, 1, -3, -9, -1, 10, -7, 7, 4, -1, -3, 2, -1, -1]
    assert [m.descriptors[k] for k, gap in enumerate(cib.descriptor_gaps(m, s)) if gap] == ["Distribution of wealth"]
    assert cib.inconsistency(m, s) == 14


def test_somewhereland_published_consistent_scenarios():
    m = somewhereland()
    found = cib.enumerate_scenarios(m)
    assert found.scanned == 486  # "3*3*3*2*3*3 = 486 possible scenarios"
    assert {s for s, _, _ in found} == {published(line) for line in PUBLISHED_CONSISTENT.splitlines()}
    assert all(inc == 0 for _, inc, _ in found)
    assert cib.group_sums(m) == []  # a standardized matrix: no warnings


def test_somewhereland_agrees_with_brute_force_within_inconsistency_3():
    m = somewhereland()
    for k in range(4):
        assert as_set(cib.enumerate_scenarios(m, k)) == reference(m, k)


def test_somewhereland_succession_from_the_published_test_scenario():
    # Not published: derived here. Only D is off (Fig. 2-3), so it switches to D2; then E (social
    # cohesion) follows to E2, and [A2 B1 C3 D2 E2 F1] -- published consistent scenario no. 3,
    # "Prosperity in a divided society" -- is a fixed point.
    m = somewhereland()
    for rule in ("global", "adjusted"):
        result = cib.succession(m, published("A2 B1 C3 D1 E1 F1"), rule)
        assert result.path == tuple(map(published, ("A2 B1 C3 D1 E1 F1", "A2 B1 C3 D2 E1 F1", "A2 B1 C3 D2 E2 F1")))
        assert result.attractor == (published("A2 B1 C3 D2 E2 F1"),)


def test_every_consistent_scenario_is_a_fixed_point_and_succession_ends_in_one_or_a_cycle():
    m = somewhereland()
    consistent = {s for s, _, _ in cib.enumerate_scenarios(m)}
    for s in consistent:
        assert cib.successor(m, s) == s
    for index in range(0, m.n_scenarios, 7):
        result = cib.succession(m, cib.scenario_at(m, index))
        assert result.is_cycle or result.attractor[0] in consistent


# --------------------------------------------------------------------------------------------
# Brute force from the definitions, in plain Python


def reference(m: CIBMatrix, k: int) -> dict[tuple[int, ...], tuple[int, int]]:
    """{scenario: (inconsistency, total impact score)} for every scenario with inconsistency <= k."""
    J = m.judgments.tolist()
    offsets, sizes = m.offsets, m.sizes
    out = {}
    for s in itertools.product(*(range(n) for n in sizes)):
        gaps, total = [], 0
        for d, (o, n) in enumerate(zip(offsets, sizes)):
            # balance of each variant of d: the judgments of the OTHER descriptors' chosen variants on it
            bal = [sum(J[offsets[e] + s[e]][o + v] for e in range(len(sizes)) if e != d) for v in range(n)]
            gaps.append(max(bal) - bal[s[d]])
            total += bal[s[d]]
        if max(gaps) <= k:
            out[s] = (max(gaps), total)
    return out


def as_set(found: cib.Enumeration) -> dict[tuple[int, ...], tuple[int, int]]:
    return {s: (inc, tot) for s, inc, tot in found}


@st.composite
def models(draw, max_descriptors: int = 5, max_variants: int = 4) -> CIBMatrix:
    sizes = draw(st.lists(st.integers(2, max_variants), min_size=1, max_size=max_descriptors))
    n = sum(sizes)
    zeros = draw(st.sampled_from([0.0, 0.5, 0.9]))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    J = rng.integers(-3, 4, (n, n))
    J[rng.random((n, n)) < zeros] = 0
    start = 0
    for size in sizes:
        J[start:start + size, start:start + size] = 0
        start += size
    return CIBMatrix(tuple(f"D{i}" for i in range(len(sizes))),
                     tuple(tuple(f"v{j}" for j in range(size)) for size in sizes), J)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(m=models(), k=st.integers(0, 3))
def test_vectorised_enumeration_equals_brute_force(m, k):
    expected = reference(m, k)
    assert as_set(cib.enumerate_scenarios(m, k)) == expected
    # Tiny chunks and two threads: every chunk boundary and the in-order collection are exercised.
    small = cib.enumerate_scenarios(m, k, chunk_cells=m.n_variants * 3, workers=2)
    assert as_set(small) == expected
    assert list(small.indices) == sorted(cib.scenario_index(m, s) for s in expected)


@settings(max_examples=40, deadline=None)
@given(m=models(max_descriptors=4), data=st.data())
def test_single_scenario_functions_equal_brute_force(m, data):
    s = tuple(data.draw(st.integers(0, n - 1)) for n in m.sizes)
    inc, tot = reference(m, 10**6)[s]
    assert cib.inconsistency(m, s) == inc
    assert cib.total_impact_score(m, s) == tot
    assert cib.is_consistent(m, s) == (inc == 0)
    assert cib.scenario_at(m, cib.scenario_index(m, s)) == s
    assert cib.parse_scenario(m, cib.scenario_code(m, s)) == s


def test_a_larger_space_in_many_chunks_equals_a_plain_numpy_scan():
    rng = np.random.default_rng(7)
    sizes = (5, 4, 3, 5, 2, 4, 3, 2, 3)  # 86,400 scenarios
    n = sum(sizes)
    J = rng.integers(-3, 4, (n, n))
    offsets = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    for o, size in zip(offsets, sizes):
        J[o:o + size, o:o + size] = 0
    m = CIBMatrix(tuple(map(str, range(9))), tuple(tuple(map(str, range(s))) for s in sizes), J)
    rows = np.stack(np.unravel_index(np.arange(m.n_scenarios), sizes), axis=1) + offsets
    bal = J[rows].sum(axis=1)
    chosen = np.take_along_axis(bal, rows, axis=1)
    gaps = (np.maximum.reduceat(bal, offsets, axis=1) - chosen).max(axis=1)
    for k in (0, 2, 5):
        found = cib.enumerate_scenarios(m, k, chunk_cells=5000, workers=2)
        assert found.indices.tolist() == np.nonzero(gaps <= k)[0].tolist()
        assert found.inconsistency.tolist() == gaps[gaps <= k].tolist()
        assert found.total_impact.tolist() == chosen.sum(axis=1)[gaps <= k].tolist()


def test_progress_reports_every_chunk_up_to_the_total():
    m = somewhereland()
    calls = []
    cib.enumerate_scenarios(m, progress=lambda done, total: calls.append((done, total)), chunk_cells=17 * 20)
    assert len(calls) > 3
    assert [d for d, _ in calls] == sorted(d for d, _ in calls)
    assert calls[-1] == (486, 486) and {t for _, t in calls} == {486}


def test_enumeration_frame_and_sorted_order():
    found = cib.enumerate_scenarios(somewhereland(), 1)
    frame = found.frame()
    assert list(frame.columns) == ["code", "Government", "Foreign policy", "Economy", "Distribution of wealth",
                                   "Social cohesion", "Social values", "inconsistency", "total_impact"]
    assert len(frame) == len(found) == len(reference(somewhereland(), 1))
    assert frame["code"].tolist() == [cib.scenario_code(found.matrix, s) for s, _, _ in found]  # index order
    incs = [inc for _, inc, _ in found.sorted()]
    assert incs == sorted(incs) and incs[0] == 0
    assert cib.scenario_code(found.matrix, next(found.sorted())[0]) == "122112"


# --------------------------------------------------------------------------------------------
# The model and scenarios written by people


@pytest.mark.parametrize("descriptors, variants, judgments, message", [
    (("A",), (("a1",),), [[0]], "at least two"),
    (("A", "A"), (("a1", "a2"), ("b1", "b2")), np.zeros((4, 4)), "duplicate descriptor"),
    (("A",), (("a1", "a1"),), np.zeros((2, 2)), "duplicate variants"),
    (("A",), (("a1", "a2"),), np.zeros((3, 3)), "must be 2 x 2"),
    (("A", "B"), (("a1", "a2"), ("b1", "b2")), np.full((4, 4), 0.5), "integers"),
    (("A", "B"), (("a1", "a2"), ("b1", "b2")), np.full((4, 4), 4) * (1 - np.kron(np.eye(2), np.ones((2, 2)))),
     "-3..3"),
    (("A", "B"), (("a1", "a2"), ("b1", "b2")), np.eye(4), "diagonal blocks"),
])
def test_matrix_validation(descriptors, variants, judgments, message):
    with pytest.raises(ValueError, match=message):
        CIBMatrix(descriptors, variants, judgments)


def test_matrix_is_immutable_and_compares_by_content():
    m = tiny()
    with pytest.raises(ValueError):
        m.judgments[0, 2] = 1
    assert m == tiny() and m != COORDINATION
    assert m.n_scenarios == 12 and m.offsets == (0, 2, 4) and m.names((1, 0, 2)) == {"A": "a2", "B": "b1", "C": "c3"}


@pytest.mark.parametrize("text", ["213", "2.1.3", "2, 1, 3", "a2, b1, c3", "A=a2, B=b1, C=c3", "c=3, a=A2, B=1"])
def test_parse_scenario_forms(text):
    assert cib.parse_scenario(tiny(), text) == (1, 0, 2)


@pytest.mark.parametrize("text, expected", [
    ("214", [(1, 3, "'C' has variants 1..3, not 4")]),
    ("21", [(1, 1, "2 variant numbers for 3 descriptors")]),
    ("A=a2, B=b1, Cx=c3", [(1, 12, "unknown descriptor 'Cx'")]),
    ("A=a2, B=b3, C=c3", [(1, 9, "'B' has no variant 'b3'")]),
    ("A=a2, B=b1", [(1, 11, "no variant given for 'C'")]),
    ("A=a2, A=a1, B=b1, C=c1", [(1, 6, "descriptor 'A' given twice")]),
    ("a2, bb, c9", [(1, 5, "'B' has no variant 'bb'"), (1, 9, "'C' has no variant 'c9'")]),
    ("  ", [(1, 1, "empty scenario")]),
])
def test_parse_scenario_errors_are_positioned(text, expected):
    with pytest.raises(CIBError) as exc:
        cib.parse_scenario(tiny(), text)
    assert [(p.line, p.col, p.message) for p in exc.value.problems] == expected


def test_parse_scenario_hints():
    with pytest.raises(CIBError) as exc:
        cib.parse_scenario(somewhereland(), "Government=Prosperity party, Economy=Dynamik")
    assert "did you mean 'Dynamic'?" in str(exc.value)


def test_codes_use_dots_when_a_descriptor_has_ten_variants():
    m = CIBMatrix(("A", "B"), (tuple(f"a{i}" for i in range(12)), ("b1", "b2")), np.zeros((14, 14), dtype=int))
    assert cib.scenario_code(m, (10, 1)) == "11.2"
    assert cib.parse_scenario(m, "11.2") == (10, 1)


# --------------------------------------------------------------------------------------------
# CSV: round trips and layouts


def test_somewhereland_round_trips_byte_for_byte(tmp_path):
    loaded = cib_io.read_matrix(SOMEWHERELAND)
    out = tmp_path / "out.csv"
    cib_io.write_matrix(out, loaded.matrix, loaded.layout)
    assert out.read_bytes() == SOMEWHERELAND.read_bytes()


def test_a_spreadsheet_dialect_round_trips_byte_for_byte(tmp_path):
    # Semicolons, CRLF, a UTF-8 byte order mark, descriptor names on every row and column, zeros on
    # the diagonal blocks, labels in the corner, and a quoted name with the separator in it.
    path = DATA / "tiny-excel.csv"
    data = path.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf") and b"\r\n" in data
    loaded = cib_io.read_matrix(path)
    assert loaded.layout == cib_io.Layout(delimiter=";", newline="\r\n", bom=True, repeat_descriptors=True,
                                          diagonal="0", corner=("Descriptor", "", "", "Variant"))
    assert loaded.matrix.descriptors == ("A; first", "B", "C")
    assert np.array_equal(loaded.matrix.judgments, tiny().judgments)
    out = tmp_path / "out.csv"
    cib_io.write_matrix(out, loaded.matrix, loaded.layout)
    assert out.read_bytes() == data


def test_windows_1252_is_read_with_a_warning_and_written_back(tmp_path):
    text = TINY.replace("c3", "cé")
    path = tmp_path / "latin.csv"
    path.write_bytes(text.encode("cp1252"))
    loaded = cib_io.read_matrix(path)
    assert loaded.matrix.variants[2][2] == "cé"
    assert [(w.line, w.col, w.code) for w in loaded.warnings] == [(1, 1, "cib-encoding")]
    cib_io.write_matrix(tmp_path / "back.csv", loaded.matrix, loaded.layout)
    assert (tmp_path / "back.csv").read_bytes() == path.read_bytes()


def test_spellings_are_normalized():
    loaded = cib_io.parse_matrix(TINY.replace("A,a1,,,2,-2,1,0,-1", "A,a1,,, +2 ,-2,1,,-1"))
    assert np.array_equal(loaded.matrix.judgments, tiny().judgments)
    assert cib_io.format_matrix(loaded.matrix, loaded.layout) == TINY


names = st.text(st.characters(codec="utf-8", categories=["L", "N", "P", "S", "Zs"]), min_size=1, max_size=8) \
    .map(str.strip).filter(bool)


@settings(max_examples=40, deadline=None)
@given(m=models(max_descriptors=4), data=st.data())
def test_any_model_round_trips(m, data):
    descriptors = data.draw(st.lists(names, min_size=len(m.sizes), max_size=len(m.sizes), unique=True))
    variants = [data.draw(st.lists(names, min_size=n, max_size=n, unique=True)) for n in m.sizes]
    model = CIBMatrix(descriptors, variants, m.judgments)
    layout = cib_io.Layout(delimiter=data.draw(st.sampled_from([",", ";", "\t"])),
                           newline=data.draw(st.sampled_from(["\n", "\r\n"])),
                           repeat_descriptors=data.draw(st.booleans()), diagonal=data.draw(st.sampled_from(["", "0"])))
    text = cib_io.format_matrix(model, layout)
    back = cib_io.parse_matrix(text.encode("utf-8"))
    assert back.matrix == model
    assert cib_io.format_matrix(back.matrix, back.layout) == text


def test_written_atomically_through_store(tmp_path, monkeypatch):
    calls = []
    monkeypatch.setattr(cib_io.files, "write_atomic", lambda path, data: calls.append((path, data)))
    cib_io.write_matrix(tmp_path / "m.csv", tiny())
    assert calls == [(tmp_path / "m.csv", TINY.encode())]


# --------------------------------------------------------------------------------------------
# CSV: bad input gives every problem, positioned


def line_edit(text: str, number: int, new: str) -> str:
    lines = text.splitlines(keepends=True)
    lines[number - 1] = new + "\n"
    return "".join(lines)


BAD = {
    "non-integer": (line_edit(TINY, 3, "A,a1,,,1.5,-2,1,0,-1"), [(3, 8, "cib-judgment")]),
    "out of range": (line_edit(TINY, 3, "A,a1,,,5,-2,1,0,-1"), [(3, 8, "cib-judgment")]),
    "unicode minus": (line_edit(TINY, 4, ",a2,,,\u22121,1,-2,1,1"), [(4, 7, "cib-judgment")]),
    "word": (line_edit(TINY, 4, ",a2,,,-1,one,-2,1,1"), [(4, 10, "cib-judgment")]),
    "ragged": (line_edit(TINY, 5, "B,b1,3,-3,,,0,2"), [(5, 15, "cib-ragged")]),
    "blank line": (TINY.replace("\n,b2,", "\n\n,b2,"), [(6, 1, "cib-ragged")]),
    "unknown variant": (line_edit(TINY, 6, ",b3,-1,1,,,1,-1,0"), [(6, 2, "cib-label")]),
    "rows out of order": (line_edit(line_edit(TINY, 8, ",c3,-2,2,0,0,,,"), 9, ",c2,0,0,3,-3,,,"),
                          [(8, 2, "cib-label"), (9, 2, "cib-label")]),
    "row descriptor": (line_edit(TINY, 5, "X,b1,3,-3,,,0,2,-2"), [(5, 1, "cib-label")]),
    "duplicate variant": (line_edit(TINY, 2, ",,a1,a1,b1,b2,c1,c2,c3"), [(2, 6, "cib-duplicate")]),
    "duplicate descriptor": (line_edit(TINY, 1, ",,A,,B,,A,,"), [(1, 9, "cib-duplicate")]),
    "no descriptor name": (line_edit(TINY, 1, ",,,,B,,C,,"), [(1, 3, "cib-descriptor")]),
    "missing variant name": (line_edit(TINY, 2, ",,a1,a2,b1,,c1,c2,c3"), [(2, 12, "cib-variant")]),
    "one variant": (",,A,,B\n,,a1,a2,b1\nA,a1,,,1\n,a2,,,-1\nB,b1,1,-1,\n", [(1, 6, "cib-variants")]),
    "diagonal": (line_edit(TINY, 3, "A,a1,,1,2,-2,1,0,-1"), [(3, 7, "cib-diagonal")]),
    "not square": ("".join(TINY.splitlines(keepends=True)[:-1]), [(8, 1, "cib-square")]),
    "unclosed quote": (line_edit(TINY, 1, ',,"A,,B,,C,,'), [(1, 3, "cib-file")]),
    "text after quote": (line_edit(TINY, 1, ',,"A"x,,B,,C,,'), [(1, 6, "cib-file")]),
    "not a matrix": ("just some text\n", [(1, 1, "cib-layout")]),
    "empty": ("\n\n", [(1, 1, "cib-file")]),
    "merge conflict": (TINY.replace("\n,c2,", "\n<<<<<<< HEAD\n,c2,"), [(8, 1, "cib-file")]),
    "several at once": (line_edit(line_edit(TINY, 3, "A,a1,,1,2,-2,1,0,-1"), 9, ",c3,-2,2,0,7,,,"),
                        [(3, 7, "cib-diagonal"), (9, 12, "cib-judgment")]),
}


@pytest.mark.parametrize("name", BAD)
def test_bad_csv_gives_positioned_problems(name):
    text, expected = BAD[name]
    with pytest.raises(CIBError) as exc:
        cib_io.parse_matrix(text.encode(), "bad.csv")
    assert [(p.line, p.col, p.code) for p in exc.value.problems] == expected
    for line in str(exc.value).splitlines():
        assert line.startswith("bad.csv:")


def test_bad_csv_messages_name_the_cell_and_hint():
    def message(text: str) -> str:
        with pytest.raises(CIBError) as exc:
            cib_io.parse_matrix(text, "m.csv")
        return str(exc.value)

    assert message(BAD["out of range"][0]) == "m.csv:3:8: cell E3: judgment 5 is outside -3..3 — " \
                                              "-3 strongly hinders ... 0 no effect ... +3 strongly promotes"
    assert "write the minus sign as an ASCII hyphen" in message(BAD["unicode minus"][0])
    assert "whole numbers" in message(BAD["non-integer"][0])
    assert "same order as the columns" in message(BAD["rows out of order"][0])
    assert message(line_edit(TINY, 3, "A,a11,,,2,-2,1,0,-1")).endswith("did you mean 'a1'?")


def test_binary_and_missing_files(tmp_path):
    (tmp_path / "bin.csv").write_bytes(b",,A\n\x00\x01")
    with pytest.raises(CIBError, match=r"bin.csv:2:1: binary file"):
        cib_io.read_matrix(tmp_path / "bin.csv")
    with pytest.raises(CIBError, match=r"nope.csv:1:1: no such file"):
        cib_io.read_matrix(tmp_path / "nope.csv")
    with pytest.raises(CIBError, match="is a folder"):
        cib_io.read_matrix(tmp_path)


def test_unbalanced_groups_are_positioned_warnings_not_errors():
    # a1 on B: 2, -1 sums to +1; c3 on A: -2, 3 sums to +1.
    text = line_edit(line_edit(TINY, 3, "A,a1,,,2,-1,1,0,-1"), 9, ",c3,-2,3,0,0,,,")
    loaded = cib_io.parse_matrix(text, "w.csv")
    assert [(w.line, w.col, w.code) for w in loaded.warnings] == [(3, 8, "cib-sum"), (9, 5, "cib-sum")]
    assert str(loaded.warnings[0]).startswith("w.csv:3:8: warning: the judgments of 'A' = 'a1' on 'B' sum to +1, not 0")
    assert [(g.row, g.descriptor, g.total) for g in cib.group_sums(loaded.matrix)] == [(0, 1, 1), (6, 0, 1)]


# --------------------------------------------------------------------------------------------
# The command line


def run(*args: str):
    return CliRunner().invoke(cli, ["cib", *map(str, args)])


def test_cli_scenarios_table():
    result = run("scenarios", SOMEWHERELAND)
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].split()[:3] == ["code", "Government", "Foreign"]
    codes = [line.split()[0] for line in lines[1:]]
    assert codes == ["122112", "131233", "132112", "132113", "213221", "223221", "312112", "313211", "322112",
                     "323211"]
    assert lines[1].split()[-2:] == ["0", "9"]
    assert result.stderr == f"{SOMEWHERELAND}: 10 consistent scenarios of 486\n"


def test_cli_scenarios_json_with_max_inconsistency():
    result = run("scenarios", SOMEWHERELAND, "--max-inconsistency", "2", "--json")
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    expected = reference(somewhereland(), 2)
    assert data["scanned"] == 486 and data["max_inconsistency"] == 2
    assert len(data["scenarios"]) == len(expected)
    first = data["scenarios"][0]
    assert first == {"code": "122112", "variants": {
        "Government": "Patriots party", "Foreign policy": "Rivalry", "Economy": "Stagnant",
        "Distribution of wealth": "Balanced", "Social cohesion": "Social peace", "Social values": "Solidarity"},
        "inconsistency": 0, "total_impact_score": 9}
    m = somewhereland()
    for item in data["scenarios"]:
        assert expected[cib.parse_scenario(m, item["code"])] == (item["inconsistency"], item["total_impact_score"])
    assert [item["inconsistency"] for item in data["scenarios"]] == sorted(i["inconsistency"] for i in data["scenarios"])


def test_cli_scenarios_none_found():
    result = run("scenarios", DATA / "cycle.csv")
    assert result.exit_code == 0 and result.stdout == ""
    assert "0 consistent scenarios of 4" in result.stderr


def test_cli_balances_published_scenario():
    result = run("balances", SOMEWHERELAND, "213111")
    assert result.exit_code == 0
    assert "Balanced               -7  <- chosen, not the highest" in result.stdout
    assert "Strong contrasts        7  <- highest" in result.stdout
    assert result.stdout.splitlines()[-1] == \
        "inconsistency 14, total impact score 14: inconsistent (Distribution of wealth)"
    pairs = ("Economy=Dynamic, Government=2, Foreign policy=Cooperation, Distribution of wealth=Balanced, "
             "social cohesion=Social peace, Social values=1")
    data = json.loads(run("balances", SOMEWHERELAND, pairs, "--json").stdout)
    assert data["balances"]["Economy"] == {"Shrinking": -9, "Stagnant": -1, "Dynamic": 10}
    assert (data["code"], data["consistent"], data["inconsistency"]) == ("213111", False, 14)


def test_cli_bad_scenario_is_a_usage_error():
    result = run("balances", SOMEWHERELAND, "Government=Prosperity party, Economy=Dynamik")
    assert result.exit_code == 2 and result.stdout == ""
    assert "Invalid value for SCENARIO: 'Economy' has no variant 'Dynamik' — did you mean 'Dynamic'?" in result.stderr


def test_cli_bad_matrix_exits_1_with_positions(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text(BAD["several at once"][0])
    result = run("scenarios", bad)
    assert result.exit_code == 1 and result.stdout == ""
    assert [line.split(": ")[0] for line in result.stderr.splitlines()] == [f"{bad}:3:7", f"{bad}:9:12"]
    missing = run("balances", tmp_path / "none.csv", "111")
    assert missing.exit_code == 1 and missing.stderr.startswith(f"{tmp_path / 'none.csv'}:1:1: no such file")


def test_cli_usage_errors_exit_2():
    assert run("scenarios").exit_code == 2
    assert run("scenarios", SOMEWHERELAND, "-k", "-1").exit_code == 2
    assert run("succession", SOMEWHERELAND, "111111", "--rule", "local").exit_code == 2


def test_cli_succession():
    result = run("succession", SOMEWHERELAND, "213111")
    assert result.exit_code == 0
    assert [line.split()[:2] for line in result.stdout.splitlines()[1:4]] == [["0", "213111"], ["1", "213211"],
                                                                              ["2", "213221"]]
    assert result.stdout.splitlines()[-1] == "fixed point after 2 steps: 213221"
    cycle = run("succession", DATA / "cycle.csv", "11")
    assert cycle.stdout.splitlines()[-1] == "cycle of 4 scenarios after 0 steps: 11 -> 12 -> 22 -> 21 -> 11"
    data = json.loads(run("succession", DATA / "cycle.csv", "x1, y2", "--json", "--rule", "adjusted").stdout)
    assert data["cycle"] and data["attractor"] == ["12", "22", "21", "11"]


def test_cli_warnings_are_capped_except_in_check(tmp_path):
    # Every row of the cycle matrix is unbalanced on purpose: four warnings.
    path = tmp_path / "w.csv"
    path.write_text((DATA / "cycle.csv").read_text().replace("-1", "0"))
    result = run("scenarios", path)
    assert result.exit_code == 0
    warnings = [line for line in result.stderr.splitlines() if "warning:" in line]
    assert len(warnings) == 3
    assert f"{path}: 1 more warning; `scenmatrix cib check {path}` lists them all" in result.stderr
    check = run("check", path)
    assert check.exit_code == 0 and check.stderr.count("warning:") == 4
    assert check.stdout == f"{path}: 2 descriptors, 4 variants, 4 scenarios\n"


def test_cli_progress_bar_only_on_a_terminal_for_long_runs(monkeypatch):
    assert "scanning" not in run("scenarios", SOMEWHERELAND).stderr
    monkeypatch.setattr(cli_cib, "_stderr_is_terminal", lambda: True)
    assert "scanning" not in run("scenarios", SOMEWHERELAND).stderr  # short run
    monkeypatch.setattr(cli_cib, "LONG_RUN", 100)
    result = run("scenarios", SOMEWHERELAND)
    assert "scanning scenarios" in result.stderr and result.stdout.count("\n") == 11


def test_cli_promote(tmp_path):
    study = tmp_path / "study.yaml"
    edit.new_study(study, "A study", as_of="2024-01-01")
    before = study.read_text()
    args = ["promote", SOMEWHERELAND, "313211", "-s", study, "--id", "S5", "--title", "Social cooperation",
            "--likelihood", "unlikely", "--confidence", "low"]
    dry = run(*args, "--dry-run")
    assert dry.exit_code == 0 and dry.stdout.startswith(f"--- {study}") and study.read_text() == before
    result = run(*args)
    assert result.exit_code == 0, result.stderr
    assert result.stdout == f"{study}: added scenario S5 (CIB 313211)\n"
    from scenmatrix.store.loader import load

    scenario = load(study).study.scenarios["S5"]
    assert scenario.title == "Social cooperation" and scenario.likelihood == "unlikely"
    assert scenario.narrative == (
        "Cross-impact balance scenario 313211 of somewhereland.csv: Government: Social party; Foreign policy: "
        "Cooperation; Economy: Dynamic; Distribution of wealth: Strong contrasts; Social cohesion: Social peace; "
        "Social values: Meritocratic. Inconsistency 0, total impact score 9.")
    again = run(*args)
    assert again.exit_code == 1 and "S5 already exists" in again.stderr
    inconsistent = run(*args[:2], "213111", *args[3:6], "S6", *args[7:])
    assert inconsistent.exit_code == 0
    assert "warning: CIB scenario 213111 is not consistent (inconsistency 14)" in inconsistent.stderr


@pytest.mark.parametrize("command", ["check", "scenarios", "balances", "succession", "basins", "promote"])
def test_cli_help_has_an_example(command):
    result = run(command, "--help")
    assert result.exit_code == 0 and "Example" in result.stdout


def test_cli_module_imports_neither_numpy_nor_pandas():
    code = ("import sys, scenmatrix.cli, scenmatrix.cli.cib_commands; "
            "print(sorted(m for m in ('numpy', 'pandas', 'openpyxl') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
