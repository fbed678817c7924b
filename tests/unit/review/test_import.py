"""Round trip: a reviewer edits the brief (with openpyxl, or LibreOffice re-saves it) and import reads it back."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scenmatrix.edit import api as edit
from scenmatrix.brief.build import build_brief
from scenmatrix.cli.app import cli
from scenmatrix.review.importer import BriefImportError, apply_import, plan_import
from scenmatrix.store.loader import load

from conftest import SMALL

ROOT = Path(__file__).resolve().parents[3]
DEFAULT = ROOT / "scenarios" / "russia-iran-2022.yaml"


@pytest.fixture()
def study(tmp_path: Path) -> Path:
    path = tmp_path / "small.yaml"
    path.write_text("# reviewed weekly\n" + SMALL, encoding="utf-8")
    return path


def brief(study: Path, out: Path, template: str = "standard") -> Path:
    return build_brief(load(study), template, out)


def find(ws, **where) -> int:
    """The row whose header-named cells hold the given values."""
    headers = [c.value for c in ws[3]]
    for row in range(4, ws.max_row + 1):
        if all(ws.cell(row, headers.index(h) + 1).value == v for h, v in where.items()):
            return row
    raise AssertionError(f"no row {where} in {ws.title}")


def put(ws, row: int, header: str, value) -> None:
    headers = [c.value for c in ws[3]]
    ws.cell(row, headers.index(header) + 1).value = value


def review(path: Path) -> Path:
    """A reviewer's edits, one of each kind, made with openpyxl."""
    wb = openpyxl.load_workbook(path)
    imp = wb["Impacts"]
    row = find(imp, Scenario="S1", Actor="B")
    put(imp, row, "Effect", -2)
    put(imp, row, "Confidence", "moderate")
    put(imp, row, "Rationale", "Beta adapts; less harm than first thought")
    new = imp.max_row + 1
    for header, value in {"Scenario": "S2", "Actor": "C", "Effect": 1, "Domains": "diplomatic; economic",
                          "Confidence": "low", "Rationale": "Gamma brokers talks", "Evidence": "E2"}.items():
        put(imp, new, header, value)
    put(wb["Scenarios"], find(wb["Scenarios"], Id="S2"), "Likelihood", "roughly even chance")
    put(wb["Indicators"], find(wb["Indicators"], Id="I2"), "Status", "observed")
    ev = wb["Evidence"]
    put(ev, find(ev, Id="E2"), "Grade", "C3")
    put(ev, find(ev, Id="E2"), "Contested by", "A: Alpha calls it propaganda")
    out = path.with_name("reviewed.xlsx")
    wb.save(out)
    return out


EXPECTED = {
    ("impacts", "S1/B", "effect", -3, -2),
    ("impacts", "S1/B", "confidence", "low", "moderate"),
    ("impacts", "S1/B", "rationale", "Beta loses", "Beta adapts; less harm than first thought"),
    ("scenarios", "S2", "likelihood", "unlikely", "roughly even chance"),
    ("indicators", "I2", "status", "emerging", "observed"),
    ("evidence", "E2", "grade", "D4", "C3"),
    ("evidence", "E2", "contested", "", "A: Alpha calls it propaganda"),
}


def summary(plan) -> set:
    return {(c.table, c.key, c.field, c.old, c.new) for c in plan.changes}


def test_unedited_brief_imports_as_no_change_for_every_template(study: Path, tmp_path: Path) -> None:
    for template in ("standard", "executive", "annex"):
        plan = plan_import(brief(study, tmp_path / f"{template}.xlsx", template), study)
        assert plan.empty and not plan.deleted, template


def test_reviewer_changes_are_found_and_applied_keeping_comments(study: Path, tmp_path: Path) -> None:
    reviewed = review(brief(study, tmp_path / "b.xlsx"))
    plan = plan_import(reviewed, study)
    assert summary(plan) == EXPECTED
    assert plan.added == [("S2/C", {"effect": 1, "confidence": "low", "rationale": "Gamma brokers talks",
                                    "domains": ["diplomatic", "economic"], "evidence": ["E2"]})]
    assert not plan.conflicts and not plan.deleted and not plan.study_changed
    before = study.read_text()
    apply_import(plan)
    after = load(study).study
    assert after.scenarios["S1"].impacts["B"].effect == -2
    assert after.scenarios["S1"].impacts["B"].rationale == "Beta adapts; less harm than first thought"
    assert after.scenarios["S2"].likelihood == "roughly even chance"
    assert after.scenarios["S2"].indicators["I2"].status == "observed"
    assert after.evidence["E2"].grade == "C3" and after.evidence["E2"].contested_by == {"A": "Alpha calls it propaganda"}
    assert after.scenarios["S2"].impacts["C"].domains == ["diplomatic", "economic"]
    text = study.read_text()
    assert text.startswith("# reviewed weekly\n") and text != before
    # Importing the same brief again: the study now has every change, so nothing is left to do.
    assert plan_import(reviewed, study).changes == []


@pytest.mark.skipif(not shutil.which("soffice"), reason="LibreOffice is not installed")
def test_libreoffice_resaved_review_imports_the_same(study: Path, tmp_path: Path) -> None:
    reviewed = review(brief(study, tmp_path / "b.xlsx"))
    out = tmp_path / "lo"
    subprocess.run(["soffice", f"-env:UserInstallation=file://{tmp_path}/profile", "--headless", "--convert-to",
                    "xlsx", "--outdir", str(out), str(reviewed)], check=True, capture_output=True, timeout=180)
    plan = plan_import(out / "reviewed.xlsx", study)
    assert summary(plan) == EXPECTED
    assert [k for k, _ in plan.added] == ["S2/C"]


def test_deleted_rows_are_reported_never_removed(study: Path, tmp_path: Path) -> None:
    path = brief(study, tmp_path / "b.xlsx")
    wb = openpyxl.load_workbook(path)
    wb["Impacts"].delete_rows(find(wb["Impacts"], Scenario="S2", Actor="A"))
    wb.save(path)
    plan = plan_import(path, study)
    assert plan.deleted == [("impacts", "S2/A")] and plan.empty
    assert apply_import(plan) == ""
    assert "A" in load(study).study.scenarios["S2"].impacts


def test_study_changed_since_merges_one_sided_changes(study: Path, tmp_path: Path) -> None:
    reviewed = review(brief(study, tmp_path / "b.xlsx"))
    edit.set_fields(study, "impact", "S1/A", {"rationale": "Analyst rewrote this meanwhile"})
    plan = plan_import(reviewed, study)
    assert plan.study_changed and summary(plan) == EXPECTED and not plan.conflicts
    apply_import(plan)
    after = load(study).study
    assert after.scenarios["S1"].impacts["A"].rationale == "Analyst rewrote this meanwhile"
    assert after.scenarios["S1"].impacts["B"].effect == -2


def test_same_field_changed_on_both_sides_is_a_conflict(study: Path, tmp_path: Path) -> None:
    reviewed = review(brief(study, tmp_path / "b.xlsx"))
    edit.set_fields(study, "impact", "S1/B", {"effect": 1})
    plan = plan_import(reviewed, study)
    ((change, ours),) = [c for c in plan.conflicts if c[0].field == "effect"]
    assert (change.old, ours, change.new) == (-3, 1, -2)
    before = study.read_bytes()
    with pytest.raises(BriefImportError, match="1 conflict"):
        apply_import(plan)
    assert study.read_bytes() == before
    apply_import(plan, prefer="ours")
    assert load(study).study.scenarios["S1"].impacts["B"].effect == 1
    apply_import(plan_import(reviewed, study), prefer="theirs")
    assert load(study).study.scenarios["S1"].impacts["B"].effect == -2


@pytest.mark.parametrize("sheet, where, header, value, message", [
    ("Impacts", {"Scenario": "S1", "Actor": "A"}, "Effect", 5, "Impacts!E4: effect 5 is not a whole number"),
    ("Impacts", {"Scenario": "S1", "Actor": "A"}, "Confidence", "sure", "'sure' is not an allowed confidence"),
    ("Scenarios", {"Id": "S1"}, "Likelihood", "likley", "did you mean 'likely'?"),
    ("Indicators", {"Id": "I1"}, "Status", "seen", "'seen' is not an allowed status"),
    ("Evidence", {"Id": "E1"}, "Grade", "G9", "'G9' is not an allowed grade"),
    ("Evidence", {"Id": "E1"}, "Contested by", "Nobody: denies", "is not 'ACTOR: how it is contested'"),
    ("Impacts", {"Scenario": "S1", "Actor": "A"}, "Rationale", None, "rationale must not be empty"),
])
def test_values_outside_the_vocabularies_are_refused(study: Path, tmp_path: Path, sheet, where, header, value,
                                                     message) -> None:
    path = brief(study, tmp_path / "b.xlsx")
    wb = openpyxl.load_workbook(path)
    put(wb[sheet], find(wb[sheet], **where), header, value)
    wb.save(path)
    before = study.read_bytes()
    with pytest.raises(BriefImportError, match=message.replace("(", r"\(").replace("?", r"\?")):
        plan_import(path, study)
    assert study.read_bytes() == before


def test_new_rows_outside_impacts_are_refused(study: Path, tmp_path: Path) -> None:
    path = brief(study, tmp_path / "b.xlsx")
    wb = openpyxl.load_workbook(path)
    put(wb["Scenarios"], wb["Scenarios"].max_row + 1, "Id", "S9")
    wb.save(path)
    with pytest.raises(BriefImportError, match="only new impacts can be added"):
        plan_import(path, study)


def test_tampered_or_foreign_workbooks_are_refused(study: Path, tmp_path: Path) -> None:
    path = brief(study, tmp_path / "b.xlsx")
    wb = openpyxl.load_workbook(path)
    wb["_scenmatrix"]["A9"].value = wb["_scenmatrix"]["A9"].value.replace('"low"', '"high"', 1)
    wb.save(tmp_path / "tampered.xlsx")
    with pytest.raises(BriefImportError, match="tampered"):
        plan_import(tmp_path / "tampered.xlsx", study)
    del wb["_scenmatrix"]
    wb.save(tmp_path / "foreign.xlsx")
    with pytest.raises(BriefImportError, match="not a scenmatrix brief"):
        plan_import(tmp_path / "foreign.xlsx", study)
    with pytest.raises(BriefImportError, match="made from study 'russia-iran-2022'"):
        plan_import(brief(DEFAULT, tmp_path / "other.xlsx"), study)


def test_cli_import_shows_then_applies(study: Path, tmp_path: Path) -> None:
    reviewed = review(brief(study, tmp_path / "b.xlsx"))
    shown = CliRunner().invoke(cli, ["import", str(reviewed), "-s", str(study)])
    assert shown.exit_code == 0, shown.output
    assert "~ impact S1/B: effect: -3 → -2" in shown.stdout and "+ impact S2/C" in shown.stdout
    assert shown.stderr == "nothing written; run again with --apply to write these changes\n"
    as_json = json.loads(CliRunner().invoke(cli, ["import", str(reviewed), "-s", str(study), "--json"]).stdout)
    assert len(as_json["changes"]) == len(EXPECTED) and as_json["added"][0]["impact"] == "S2/C"
    applied = CliRunner().invoke(cli, ["import", str(reviewed), "-s", str(study), "--apply"])
    assert applied.exit_code == 0 and f"applied to {study}" in applied.stderr
    assert load(study).study.scenarios["S1"].impacts["B"].effect == -2
    again = CliRunner().invoke(cli, ["import", str(reviewed), "-s", str(study), "--apply"])
    assert again.exit_code == 0 and again.stdout.endswith("\nno changes\n") and again.stderr == ""
    missing = CliRunner().invoke(cli, ["import", str(tmp_path / "nope.xlsx"), "-s", str(study)])
    assert missing.exit_code == 1 and "Traceback" not in missing.output


# ---------------------------------------------------------------- property: brief -> import is a no-op

TEXT = st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc", "Cn")), min_size=1, max_size=40).filter(
    lambda s: s.strip() == s and s.strip())


@st.composite
def studies(draw) -> str:
    n_actors = draw(st.integers(1, 4))
    n_scenarios = draw(st.integers(1, 3))
    lines = ["study: {id: gen, title: Generated, as_of: 2024-01-01, marking: TLP:GREEN}", "actors:"]
    lines += [f"  A{a}: {{name: {json.dumps(draw(TEXT), ensure_ascii=False)}, kind: state}}" for a in range(n_actors)]
    lines += ["evidence:", f"  E1: {{claim: {json.dumps(draw(TEXT), ensure_ascii=False)}, source: s, grade: "
                           f"{draw(st.sampled_from(['A1', 'C3', 'F6']))}, contested_by: {{A0: {json.dumps(draw(TEXT), ensure_ascii=False)}}}}}",
              "scenarios:"]
    for s in range(n_scenarios):
        lines += [f"  S{s}:", f"    title: {json.dumps(draw(TEXT), ensure_ascii=False)}", "    narrative: n",
                  f"    likelihood: {draw(st.sampled_from(['unlikely', 'likely', 'almost certain']))}",
                  "    confidence: low", f"    indicators: {{I{s}: {{text: t, status: emerging}}}}"]
        impacts = []
        for a in range(n_actors):
            if draw(st.booleans()):
                impacts.append(f"      A{a}: {{effect: {draw(st.integers(-3, 3))}, domains: [energy], confidence: high, "
                             f"rationale: {json.dumps(draw(TEXT), ensure_ascii=False)}, evidence: [E1]}}")
        lines += ["    impacts:", *impacts] if impacts else ["    impacts: {}"]
    return "\n".join(lines) + "\n"


@pytest.mark.slow
@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(studies())
def test_any_study_briefed_then_imported_unchanged_is_an_empty_diff(tmp_path: Path, text: str) -> None:
    path = tmp_path / "gen.yaml"
    path.write_text(text, encoding="utf-8")
    for template in ("standard", "annex"):
        plan = plan_import(brief(path, tmp_path / f"gen-{template}.xlsx", template), path)
        assert plan.empty and not plan.deleted, (template, plan.changes)


def test_marker_holds_no_excel_escape_sequences(study: Path, tmp_path: Path) -> None:
    study.write_text(study.read_text().replace("rationale: Alpha gains", "rationale: _x003D_1+1 and snake_case"))
    path = brief(study, tmp_path / "b.xlsx")
    marker = openpyxl.load_workbook(path)["_scenmatrix"]
    assert not any("_x" in str(c.value) for row in marker.iter_rows(min_row=9) for c in row)
    assert plan_import(path, study).empty


@pytest.mark.slow
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(studies(), st.integers(1, 40))
def test_marker_payload_in_pieces_is_the_snapshots_json_cut_anywhere(tmp_path: Path, monkeypatch, text: str,
                                                                     chunk: int) -> None:
    from scenmatrix.brief import marker as editable

    path = tmp_path / "gen.yaml"
    path.write_text(text, encoding="utf-8")
    study = load(path).study
    sheets = {"impacts": {"sheet": "Impacts", "columns": ["scenario", "actor"], "header_row": 3}}
    heatmaps = [{"sheet": "Matrix", "first_row": 4, "first_col": 6, "scenarios": list(study.scenarios),
                 "actors": list(study.actors)}]
    whole = json.dumps({"tables": sheets, "snapshot": editable.snapshot(study), "heatmaps": heatmaps},
                       ensure_ascii=False, sort_keys=True)
    assert "".join(editable.marker_payload(sheets, study, heatmaps)) == whole.replace("_", "\\u005f")
    monkeypatch.setattr(editable, "CHUNK", chunk)  # cells cut at every possible place
    assert plan_import(brief(path, tmp_path / "b.xlsx"), path).empty
