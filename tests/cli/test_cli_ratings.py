"""Independent ratings (issue 18), through a real brief and real processes: a reviewer's edits of a generated
brief imported with `--as NAME` are recorded beside the lead analyst's values, never over them."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import openpyxl
import pytest

from conftest import SMALL
from hardening import SCENMATRIX


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([SCENMATRIX, *args], cwd=cwd, capture_output=True, text=True, timeout=120)


@pytest.fixture()
def briefed(tmp_path: Path) -> Path:
    (tmp_path / "s.yaml").write_text(SMALL, encoding="utf-8")
    assert run("brief", "s.yaml", "-o", "b.xlsx", cwd=tmp_path).returncode == 0
    return tmp_path


def _row(ws, key: str) -> int:
    return next(r for r in range(4, ws.max_row + 1) if "/".join(str(ws.cell(r, c).value) for c in (1, 3)) == key)


def reviewed(folder: Path, name: str, impacts: dict[str, dict[str, object]] = {},
             scenarios: dict[str, dict[str, object]] = {}, brief: str = "b.xlsx") -> str:
    """The brief as a reviewer left it: cells of the Impacts and Scenarios sheets changed by header."""
    wb = openpyxl.load_workbook(folder / brief)
    for sheet, rows, key_of in (("Impacts", impacts, _row), ("Scenarios", scenarios, None)):
        ws = wb[sheet]
        headers = [c.value for c in ws[3]]
        for key, fields in rows.items():
            row = key_of(ws, key) if key_of else next(r for r in range(4, ws.max_row + 1) if ws.cell(r, 1).value == key)
            for header, value in fields.items():
                ws.cell(row, headers.index(header) + 1).value = value
    wb.save(folder / f"{name}.xlsx")
    return f"{name}.xlsx"


def test_import_as_records_the_reviewers_ratings_and_leaves_the_leads_values_byte_for_byte(briefed: Path) -> None:
    before = (briefed / "s.yaml").read_text(encoding="utf-8")
    path = reviewed(briefed, "alice", {"S1/A": {"Effect": -1, "Rationale": "Alice's own reason"},
                                       "S1/B": {"Confidence": "high"}}, {"S1": {"Likelihood": "very likely"}})
    dry = run("import", path, "-s", "s.yaml", "--as", "alice", cwd=briefed)
    assert dry.returncode == 0, dry.stderr
    assert "~ rating alice impact S1/A: effect: -1" in dry.stdout
    assert "not imported: impact rationale" in dry.stdout
    assert (briefed / "s.yaml").read_text(encoding="utf-8") == before  # a dry run by default

    result = run("import", path, "-s", "s.yaml", "--as", "alice", "--apply", cwd=briefed)
    assert result.returncode == 0, result.stderr
    after = (briefed / "s.yaml").read_text(encoding="utf-8")
    assert after.startswith(before)  # every line of the lead's study as it was, comments and all
    assert after[len(before):] == ("ratings:\n  alice:\n    S1:\n      likelihood: very likely\n      impacts:\n"
                                   "        A: {effect: -1}\n        B: {confidence: high}\n")
    assert run("validate", "s.yaml", cwd=briefed).returncode == 0


def test_importing_again_as_the_same_name_replaces_and_another_name_adds(briefed: Path) -> None:
    run("import", reviewed(briefed, "a1", {"S1/A": {"Effect": -1}}), "-s", "s.yaml", "--as", "alice", "--apply",
        cwd=briefed)
    run("import", reviewed(briefed, "b1", {"S2/A": {"Effect": 1}}), "-s", "s.yaml", "--as", "bob", "--apply",
        cwd=briefed)
    again = run("import", reviewed(briefed, "a2", {"S1/B": {"Effect": 0}}), "-s", "s.yaml", "--as", "alice",
                "--apply", "--json", cwd=briefed)
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout)["replaces"] == {"S1": {"impacts": {"A": {"effect": -1}}}}
    text = (briefed / "s.yaml").read_text(encoding="utf-8")
    tail = text[text.index("ratings:"):]
    assert tail == ("ratings:\n  alice:\n    S1:\n      impacts:\n        B: {effect: 0}\n"
                    "  bob:\n    S2:\n      impacts:\n        A: {effect: 1}\n")


def test_a_reviewer_who_changed_nothing_has_their_ratings_removed_on_reimport(briefed: Path) -> None:
    run("import", reviewed(briefed, "a1", {"S1/A": {"Effect": -1}}), "-s", "s.yaml", "--as", "alice", "--apply",
        cwd=briefed)
    result = run("import", "b.xlsx", "-s", "s.yaml", "--as", "alice", "--apply", cwd=briefed)
    assert result.returncode == 0, result.stderr
    assert (briefed / "s.yaml").read_text(encoding="utf-8") == SMALL


@pytest.mark.parametrize("name", ["a b", "1alice", "", "x" * 41, "al/ice"])
def test_a_bad_reviewer_name_is_a_usage_error(briefed: Path, name: str) -> None:
    result = run("import", "b.xlsx", "-s", "s.yaml", "--as", name, "--apply", cwd=briefed)
    assert result.returncode == 2, result.stderr
    assert "is not a reviewer name" in result.stderr and "Traceback" not in result.stderr
    assert (briefed / "s.yaml").read_text(encoding="utf-8") == SMALL


RATED = SMALL + "ratings:\n  alice:\n    S1:\n      likelihood: very likely\n      impacts:\n        A: {effect: -1}\n"


@pytest.mark.parametrize("old, new, message", [
    ("        A: {effect: -1}", "        Zed: {effect: -1}", "49:9: ratings.alice.S1.impacts.Zed: unknown actor 'Zed'"),
    ("    S1:\n      likelihood", "    S7:\n      likelihood", "46:5: ratings.alice.S7: unknown scenario 'S7'"),
    ("likelihood: very likely", "likelihood: remote chance", "47:19: ratings.alice.S1.likelihood: 'remote chance' "
                                                             "is not an ICD 203 term"),
    ("{effect: -1}", "{effect: -4}", "49:21: ratings.alice.S1.impacts.A.effect: -4 is out of range"),
])
def test_validate_refuses_a_rating_of_what_the_study_does_not_have_with_its_position(
        tmp_path: Path, old: str, new: str, message: str) -> None:
    (tmp_path / "s.yaml").write_text(RATED, encoding="utf-8")
    assert run("validate", "s.yaml", cwd=tmp_path).returncode == 0
    (tmp_path / "s.yaml").write_text(RATED.replace(old, new), encoding="utf-8")
    result = run("validate", "s.yaml", cwd=tmp_path)
    assert result.returncode == 1
    assert f"s.yaml:{message}" in result.stderr, result.stderr


def test_removing_or_renaming_an_actor_follows_into_the_ratings(tmp_path: Path) -> None:
    (tmp_path / "s.yaml").write_text(RATED, encoding="utf-8")
    assert run("rename", "actor", "A", "AL", "-s", "s.yaml", cwd=tmp_path).returncode == 0
    assert "        AL: {effect: -1}" in (tmp_path / "s.yaml").read_text(encoding="utf-8")


# --- the brief -----------------------------------------------------------------------------------------------


@pytest.fixture()
def rated(briefed: Path) -> Path:
    """Two reviewers' ratings imported from edits of a real brief, then a new brief of the rated study."""
    alice = reviewed(briefed, "alice", {"S1/A": {"Effect": -1}, "S1/B": {"Confidence": "moderate"}},
                     {"S1": {"Likelihood": "almost certain"}})
    bob = reviewed(briefed, "bob", {"S1/A": {"Effect": 3}, "S2/A": {"Effect": -2}}, {"S1": {"Likelihood": "unlikely"}})
    for name, path in (("alice", alice), ("bob", bob)):
        assert run("import", path, "-s", "s.yaml", "--as", name, "--apply", cwd=briefed).returncode == 0
    result = run("brief", "s.yaml", "-o", "rated.xlsx", cwd=briefed)
    assert result.returncode == 0, result.stderr
    return briefed


def test_the_review_sheet_lists_every_rated_field_disagreements_first(rated: Path) -> None:
    wb = openpyxl.load_workbook(rated / "rated.xlsx")
    assert wb.sheetnames.index("Review") == wb.sheetnames.index("Alignment") + 1
    ws = wb["Review"]
    assert ws["A3"].value.startswith("2 disagreement(s) among 4 rated field(s)")
    rows = [list(r) for r in ws.iter_rows(min_row=4, values_only=True)]
    assert rows == [
        ["Disagreement", "Kind", "Entry", "Field", "Lead", "alice", "bob", "Raters", "Steps apart", "Lead's rationale"],
        # likely (lead), almost certain (alice), unlikely (bob): 4 steps apart on ICD 203
        ["yes", "scenario", "S1", "likelihood", "likely", "almost certain", "unlikely", 3, 4, None],
        # +2 (lead), -1 (alice), +3 (bob): opposite signs, 4 steps apart
        ["yes", "impact", "S1/A", "effect", "+2", "-1", "+3", 3, 4, "Alpha gains"],
        ["no", "impact", "S1/B", "confidence", "low", "moderate", None, 2, 1, "Beta loses"],
        ["no", "impact", "S2/A", "effect", "-1", None, "-2", 2, 1, "Alpha loses a little"],
    ]


def test_the_matrix_marks_the_disagreements_and_the_brief_imports_back_clean(rated: Path) -> None:
    ws = openpyxl.load_workbook(rated / "rated.xlsx")["Matrix"]
    marks = [str(cf.sqref) for cf in ws.conditional_formatting if cf.rules[0].type == "expression"]
    assert marks == ["C4 F4"]  # S1's likelihood and S1 x Alpha; the agreements (S1/B, S2/A) are not marked
    rule = next(cf for cf in ws.conditional_formatting if cf.rules[0].type == "expression").rules[0]
    assert rule.dxf.font.b and rule.dxf.border.left.style == "thin"
    assert "the raters disagree" in next(c.value for c in ws["B"] if isinstance(c.value, str) and "Cells:" in c.value)
    before = (rated / "s.yaml").read_bytes()
    for args in ((), ("--as", "alice")):
        result = run("import", "rated.xlsx", "-s", "s.yaml", *args, cwd=rated)
        assert result.returncode == 0, result.stderr
        assert "~" not in result.stdout, result.stdout
    assert run("import", "rated.xlsx", "-s", "s.yaml", "--apply", cwd=rated).stdout == "no changes\n"
    assert (rated / "s.yaml").read_bytes() == before


def test_a_study_without_reviewers_ratings_has_no_review_sheet_and_no_marks(briefed: Path) -> None:
    wb = openpyxl.load_workbook(briefed / "b.xlsx")
    assert "Review" not in wb.sheetnames
    assert [cf.rules[0].type for cf in wb["Matrix"].conditional_formatting] == ["colorScale"]


# --- review and analyze --------------------------------------------------------------------------------------


def test_review_lists_the_disagreements_in_the_terminal_and_as_json(rated: Path) -> None:
    result = run("review", "s.yaml", "--json", cwd=rated)
    assert result.returncode == 0, result.stderr
    found = json.loads(result.stdout)["disagreements"]
    assert [(d["kind"], d["key"], d["field"], d["lead"], d["reviewers"], d["raters"], d["steps"], d["opposite"])
            for d in found] == [
        ("scenario", "S1", "likelihood", "likely", {"alice": "almost certain", "bob": "unlikely"}, 3, 4, False),
        ("impact", "S1/A", "effect", 2, {"alice": -1, "bob": 3}, 3, 4, True),
    ]
    assert found[1]["rationale"] == "Alpha gains"
    text = run("review", "s.yaml", cwd=rated).stdout.splitlines()
    assert text[0].split() == ["entry", "kind", "field", "lead", "reviewers", "raters", "steps"]
    assert text[3].split() == ["S1/A", "impact", "effect", "+2", "alice", "-1,", "bob", "+3", "3", "4"]


def test_review_of_a_study_without_ratings_finds_no_disagreement(briefed: Path) -> None:
    assert run("review", "s.yaml", "--json", cwd=briefed).stdout == '{\n  "disagreements": []\n}\n'
    assert run("review", "s.yaml", cwd=briefed).stdout == "no disagreements\n"


def test_analyze_reports_how_far_each_actors_expected_impact_moves_across_the_raters(rated: Path) -> None:
    data = json.loads(run("analyze", "s.yaml", "--json", "--samples", "1000", cwd=rated).stdout)
    spread = {a["actor"]: a for a in data["raters"]}
    # likely = 67.5 % at mid-band, unlikely 32.5 %, almost certain 97 %
    assert spread["A"]["lead"] == pytest.approx(0.675 * 2 - 0.325)
    assert spread["A"]["by"] == pytest.approx({"alice": 0.97 * -1 - 0.325, "bob": 0.325 * 3 - 0.325 * 2})
    assert (spread["A"]["min"], spread["A"]["max"]) == pytest.approx((-1.295, 1.025))
    assert spread["B"]["by"] == pytest.approx({"alice": 0.97 * -3, "bob": 0.325 * -3})
    expected = {a["actor"]: a["expected"] for a in data["actors"]}
    assert all(spread[a]["lead"] == pytest.approx(expected[a]) for a in expected)  # the lead's is analyze's own
    text = run("analyze", "s.yaml", "--samples", "1000", cwd=rated).stdout
    section = text[text.index("Expected impact across raters"):].splitlines()
    assert section[2].split() == ["actor", "name", "lead", "min..max", "moves", "alice", "bob"]
    assert section[4].split() == ["A", "Alpha", "+1.03", "-1.30..+1.03", "2.32", "-1.30", "+0.33"]


def test_analyze_of_a_study_without_ratings_has_no_raters_section(briefed: Path) -> None:
    assert "raters" not in json.loads(run("analyze", "s.yaml", "--json", "--samples", "1000", cwd=briefed).stdout)
    assert "across raters" not in run("analyze", "s.yaml", "--samples", "1000", cwd=briefed).stdout


def test_diff_shows_a_reviewers_ratings_as_entries(tmp_path: Path) -> None:
    (tmp_path / "old.yaml").write_text(SMALL, encoding="utf-8")
    (tmp_path / "new.yaml").write_text(RATED, encoding="utf-8")
    result = run("diff", "old.yaml", "new.yaml", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "+ rating alice/S1" in result.stdout, result.stdout
