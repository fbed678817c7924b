"""The semantic diff of two versions of a study, as text and JSON, from files and from git."""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest
from click.testing import CliRunner

from edit_fixtures import AWKWARD, write
from scenmatrix.store import revisions
from scenmatrix.study import diff
from scenmatrix.edit import api as edit
from scenmatrix.cli.app import cli
from scenmatrix.store.document import parse


def changes_between(old: str, new: str):
    return diff.diff_trees(parse("old", old).tree, parse("new", new).tree)


def test_identical_studies_have_no_changes():
    assert changes_between(AWKWARD, AWKWARD) == []
    # spelling and comments are not changes
    assert changes_between(AWKWARD, AWKWARD.replace("+2    # written with a plus", "2")) == []


def test_added_removed_and_changed_entries_field_by_field(tmp_path):
    old = write(tmp_path, AWKWARD, "old.yaml")
    new = write(tmp_path, AWKWARD, "new.yaml")
    edit.add(new, "actor", "US", {"name": "United States", "kind": "state"})
    edit.set_fields(new, "impact", "S1/RU", {"effect": "3", "domains": ["military", "energy", "nuclear"]})
    edit.set_fields(new, "indicator", "I1", {"status": "observed"})
    edit.remove(new, "evidence", "E2", cascade=True)
    edit.set_fields(new, "key-judgment", "KJ1", {"text": "Ties deepen."})
    changes = revisions.diff_files(old, new)
    summary = [(c.action, c.kind, c.id) for c in changes]
    assert summary == [
        ("changed", "key-judgment", "KJ1"),
        ("added", "actor", "US"),
        ("removed", "evidence", "E2"),
        ("changed", "driver", "D1"),
        ("changed", "constraint", "C1"),
        ("changed", "indicator", "S1/I1"),
        ("changed", "impact", "S1/RU"),
        ("changed", "impact", "S1/IR"),
    ]
    ru = next(c for c in changes if c.id == "S1/RU")
    assert ru.fields == {"effect": (2, 3), "domains": (["military", "energy"], ["military", "energy", "nuclear"]),
                         "evidence": (["E1", "E2"], ["E1"])}
    text = diff.to_text(changes)
    assert "~ impact S1/RU: effect: +2 → +3; domains: [military, energy] → [military, energy, nuclear];" \
           " evidence: [E1, E2] → [E1]\n" in text
    assert "+ actor US: name 'United States', kind state\n" in text
    assert "- evidence E2\n" in text
    assert "~ indicator S1/I1: status: emerging → observed\n" in text


def test_cli_diff_text_and_json(tmp_path):
    old = write(tmp_path, AWKWARD, "old.yaml")
    new = write(tmp_path, AWKWARD, "new.yaml")
    edit.set_fields(new, "scenario", "S2", {"likelihood": "roughly even chance"})
    runner = CliRunner()
    result = runner.invoke(cli, ["diff", str(old), str(new)])
    assert result.exit_code == 0
    assert result.stdout == "~ scenario S2: likelihood: unlikely → 'roughly even chance'\n"
    data = json.loads(runner.invoke(cli, ["diff", str(old), str(new), "--json"]).stdout)
    assert data == {"added": 0, "removed": 0, "changed": 1, "renamed": 0, "changes": [
        {"kind": "scenario", "id": "S2", "action": "changed",
         "fields": {"likelihood": {"old": "unlikely", "new": "roughly even chance"}}}]}
    same = runner.invoke(cli, ["diff", str(old), str(old)])
    assert same.exit_code == 0 and same.stdout == "no changes\n"
    assert runner.invoke(cli, ["diff", str(old)]).exit_code == 2
    broken = write(tmp_path, "study: [\n", "broken.yaml")
    result = runner.invoke(cli, ["diff", str(old), str(broken)])
    assert result.exit_code == 1 and result.stderr.startswith(f"{broken}:2:1: YAML syntax")


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
def test_cli_diff_since_a_git_revision(tmp_path, monkeypatch):
    def git(*args):
        subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@example.org", *args], cwd=tmp_path,
                       check=True, capture_output=True)

    git("init", "-q")
    path = write(tmp_path / "scenarios" if (tmp_path / "scenarios").mkdir() is None else tmp_path, AWKWARD)
    git("add", ".")
    git("commit", "-q", "-m", "first")
    edit.set_fields(path, "impact", "S2/RU", {"effect": "-2"})
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    result = runner.invoke(cli, ["diff", "--since", "HEAD"])  # the only study under scenarios/
    assert result.exit_code == 0, result.stderr
    assert result.stdout == "~ impact S2/RU: effect: -1 → -2\n"
    result = runner.invoke(cli, ["diff", "--since", "HEAD", str(path), "--json"])
    assert json.loads(result.stdout)["changed"] == 1
    missing = runner.invoke(cli, ["diff", "--since", "no-such-rev", str(path)])
    assert missing.exit_code == 1
    assert missing.stderr.startswith(f"{path}:1:1: cannot read the study at revision 'no-such-rev'")


# --- renames (issue 14) ------------------------------------------------------------------------------------

from conftest import SMALL  # noqa: E402


@pytest.mark.parametrize("kind, old_id, references", [
    ("key-judgment", "KJ1", 0), ("source", "src", 1), ("actor", "A", 2), ("evidence", "E1", 3),
    ("driver", "d1", 1), ("constraint", "c1", 1), ("scenario", "S1", 0),
])
def test_a_rename_is_one_change_with_its_references_followed(tmp_path, kind, old_id, references):
    old, new = write(tmp_path, SMALL, "old.yaml"), write(tmp_path, SMALL, "new.yaml")
    edit.rename(new, kind, old_id, "Renamed")
    changes = revisions.diff_files(old, new)
    assert [c.to_json() for c in changes] == [{"kind": kind, "id": "Renamed", "action": "renamed",
                                               "fields": {"id": {"old": old_id, "new": "Renamed"}},
                                               "references": references}]
    assert diff.to_text(changes).startswith(f"~ {kind} {old_id} → Renamed: renamed")


def test_a_rename_with_a_changed_name_is_a_rename_then_a_change(tmp_path):
    old, new = write(tmp_path, SMALL, "old.yaml"), write(tmp_path, SMALL, "new.yaml")
    edit.rename(new, "actor", "B", "BLOC")
    edit.set_fields(new, "actor", "BLOC", {"name": "The Bloc"})
    text = diff.to_text(revisions.diff_files(old, new))
    assert text == "~ actor B → BLOC: renamed, and 2 references to it\n~ actor BLOC: name: Beta → 'The Bloc'\n"


def test_entries_that_could_be_either_are_not_guessed_as_renames():
    twins = SMALL.replace("  C: {name: Gamma, kind: other}", "  C: {name: Gamma, kind: other}\n  D: {name: Gamma, kind: other}")
    renamed = twins.replace("  C: {name", "  X: {name").replace("  D: {name", "  Y: {name")
    summary = [(c.action, c.id) for c in changes_between(twins, renamed)]
    assert sorted(summary) == [("added", "X"), ("added", "Y"), ("removed", "C"), ("removed", "D")]


def test_a_removal_and_an_unrelated_addition_stay_what_they_are(tmp_path):
    old, new = write(tmp_path, SMALL, "old.yaml"), write(tmp_path, SMALL, "new.yaml")
    edit.remove(new, "actor", "C")
    edit.add(new, "actor", "D", {"name": "Delta", "kind": "state"})
    assert [(c.action, c.id) for c in revisions.diff_files(old, new)] == [("added", "D"), ("removed", "C")]


def test_the_cross_impact_model_is_diffed_descriptor_by_descriptor_and_cell_by_cell():
    from pathlib import Path

    old = (Path(__file__).parents[3] / "scenarios" / "russia-iran-2022.yaml").read_text(encoding="utf-8")
    new = old.replace("    iran-support.none:\n      russia-israel.working: 1\n",
                      "    iran-support.none:\n      russia-israel.working: 3\n")
    new = new.replace("title: Iranian military aid to Russia", "title: Iranian military aid")
    assert new.count("russia-israel.working: 3") == 1
    assert diff.to_text(changes_between(old, new)) == (
        "~ descriptor iran-support: title: 'Iranian military aid to Russia' → 'Iranian military aid'\n"
        "~ judgment iran-support.none russia-israel.working: +1 → +3\n")


CIB = """study: {title: T, as_of: 2024-01-01, marking: OFFICIAL}
cib:
  note: Ours.
  descriptors:
    a: {title: Aid, variants: {low: Low, high: High}}
    b: {title: Pressure, variants: {soft: Soft, hard: Hard}}
  judgments:
    a.low: {b.soft: 1, b.hard: -1}
    a.high: {b.soft: -2, b.hard: 2}
"""


def test_a_renamed_descriptor_and_its_renamed_variant_are_two_renames_and_the_judgments_follow_both():
    new = (CIB.replace("    b: {title", "    p: {title").replace("hard: Hard", "harsh: Hard")
           .replace("b.soft", "p.soft").replace("b.hard: 2", "p.harsh: 3").replace("b.hard", "p.harsh"))
    assert diff.to_text(changes_between(CIB, new)) == (
        "~ descriptor b → p: renamed, and 4 references to it\n"
        "~ variant p.hard → p.harsh: renamed, and 2 references to it\n"
        "~ judgment a.high p.harsh: +2 → +3\n")
    # renamed and retitled: still one rename, found by its variants
    retitled = CIB.replace("    b: {title: Pressure", "    p: {title: US pressure").replace("b.", "p.")
    assert diff.to_text(changes_between(CIB, retitled)) == (
        "~ descriptor b → p: renamed, and 4 references to it\n"
        "~ descriptor p: title: Pressure → 'US pressure'\n")


def test_a_judgment_set_to_zero_or_left_out_and_a_new_variant_are_their_own_changes():
    new = CIB.replace("b.soft: 1, ", "").replace("b.soft: -2", "b.soft: 0").replace("high: High}", "high: High, mid: Mid}")
    assert diff.to_text(changes_between(CIB, new)) == (
        "+ variant a.mid: title Mid\n"
        "~ judgment a.high b.soft: -2 → +0\n"  # signed, as an effect of 0 is
        "- judgment a.low b.soft\n")


def test_an_invalid_model_is_still_compared_not_a_traceback():
    bad = CIB.replace("{low: Low, high: High}", "[low, high]").replace("a.low: {b.soft: 1, b.hard: -1}", "a.low: 1")
    assert [(c.action, c.kind, c.id) for c in changes_between(CIB, bad)] == [
        ("changed", "descriptor", "a"), ("removed", "variant", "a.low"), ("removed", "variant", "a.high"),
        ("added", "judgment", "a.low"), ("removed", "judgment", "a.low b.soft"), ("removed", "judgment", "a.low b.hard")]


def test_a_merge_is_not_confused_by_a_descriptor_renamed_on_one_side():
    from scenmatrix.study.merge import merge

    renamed = parse("renamed", CIB.replace("    b: {title", "    p: {title").replace("b.", "p.")).tree
    noted = parse("noted", CIB.replace("note: Ours.", "note: Theirs.")).tree
    for ours, theirs in ((renamed, noted), (noted, renamed)):
        result = merge(parse("base", CIB).tree, ours, theirs)
        assert [c.kind for c in result.conflicts] == ["section"]  # the model is merged whole, as before
        assert not [op for op in result.operations if op.action == "rename"]
