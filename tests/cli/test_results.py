"""Thin commands: the library returns result objects (to_json, rows, verdicts); cli/render.py lays out
every table the commands print."""

from __future__ import annotations

import ast
import json
from pathlib import Path

from click.testing import CliRunner

from conftest import VALID_STUDY
from scenmatrix.analysis import cib_reports
from scenmatrix.cli import cli, render
from scenmatrix.store.cib_csv import read_matrix
from scenmatrix.store.loader import load

REPO = Path(__file__).resolve().parents[2]
SOMEWHERELAND = REPO / "tests" / "data" / "cib" / "somewhereland.csv"


def test_the_analysis_is_a_result_whose_json_the_command_prints(tmp_path):
    from scenmatrix.analysis.report import analyze_study

    path = tmp_path / "study.yaml"
    path.write_text(VALID_STUDY)
    analysis = analyze_study(load(path).study, samples=200, seed=1)
    printed = CliRunner().invoke(cli, ["analyze", str(path), "--json", "--samples", "200", "--seed", "1"])
    assert json.loads(printed.stdout) == json.loads(json.dumps(analysis.to_json()))
    assert [row[0] for row in analysis.actor_rows()] == list(analysis.actors.index)
    assert render.actor_report(analysis).splitlines()[0].split()[:3] == ["actor", "name", "expected"]


def test_cib_results_carry_their_verdicts():
    model = read_matrix(SOMEWHERELAND).matrix
    balance = cib_reports.BalanceReport(model, (1, 0, 2, 0, 0, 0))
    assert balance.verdict == "inconsistency 14, total impact score 14: inconsistent (Distribution of wealth)"
    assert balance.to_json()["inconsistency"] == 14
    follow = cib_reports.follow(model, (1, 0, 2, 0, 0, 0))
    assert follow.outcome == "fixed point after 2 steps: 213221" and follow.to_json()["attractor"] == ["213221"]
    promoted = cib_reports.promotion(model, (1, 0, 2, 0, 0, 0), "m.csv", "T", "unlikely", "low")
    assert promoted.warning == "warning: CIB scenario 213111 is not consistent (inconsistency 14)"
    assert promoted.fields["narrative"].startswith("Cross-impact balance scenario 213111 of m.csv: ")


def test_a_streamed_table_is_the_table():
    listing = cib_reports.list_scenarios(read_matrix(SOMEWHERELAND).matrix, 1, source="s.csv")
    streamed = list(render.lines(listing.headers, listing.rows(), listing.widths(), listing.right, rule=False))
    assert "\n".join(streamed) == render.table(listing.headers, list(listing.rows()), listing.widths(), listing.right,
                                               rule=False)
    assert listing.summary.startswith("s.csv: ") and len(listing.to_json()["scenarios"]) == len(streamed) - 1


def test_the_effect_matrix_is_a_result(tmp_path):
    from scenmatrix.study.effects import EffectMatrix

    path = tmp_path / "study.yaml"
    path.write_text(VALID_STUDY)
    matrix = EffectMatrix(load(path).study)
    shown = CliRunner().invoke(cli, ["show", str(path)]).stdout
    assert shown == render.table(matrix.headers, matrix.rows(), right=matrix.right, rule=False) + "\n"
    assert json.loads(CliRunner().invoke(cli, ["show", str(path), "--json"]).stdout) == matrix.to_json()


def test_only_render_pads_table_cells():
    """One renderer: no other command module pads cells into columns."""
    for path in sorted((REPO / "src" / "scenmatrix" / "cli").glob("*.py")):
        if path.name == "render.py":
            continue
        calls = [n for n in ast.walk(ast.parse(path.read_text()))
                 if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and n.func.attr in ("ljust", "rjust")]
        assert calls == [], path.name
