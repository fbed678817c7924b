"""`scenmatrix merge-driver` and `resolve` through real git merges: a repository in tmp_path, a study
committed, two branches edited with the scenmatrix CLI, the driver set up by `merge-driver --install`, and
`git merge`."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from conftest import SMALL
from hardening import SCENMATRIX

STUDY = "scenarios/small.yaml"
# A comment and a blank line the merge must keep, byte for byte.
COMMENTED = SMALL.replace("actors:\n", "actors:  # who acts\n").replace("evidence:\n", "\n# the record\nevidence:\n")


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([SCENMATRIX, *args], cwd=cwd, capture_output=True, text=True, timeout=120)


def git(*args: str, cwd: Path, check: bool = True) -> subprocess.CompletedProcess:
    done = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, timeout=120)
    assert not check or done.returncode == 0, done.stderr
    return done


def edit(repo: Path, *args: str) -> None:
    done = run(*args, "-s", STUDY, cwd=repo)
    assert done.returncode == 0, done.stderr


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A repository with the study committed on main and the driver installed, on branch main."""
    (tmp_path / "scenarios").mkdir()
    (tmp_path / STUDY).write_text(COMMENTED, encoding="utf-8")
    git("init", "-q", "-b", "main", cwd=tmp_path)
    git("config", "user.email", "analyst@example.org", cwd=tmp_path)
    git("config", "user.name", "Analyst", cwd=tmp_path)
    installed = run("merge-driver", "--install", cwd=tmp_path)
    assert installed.returncode == 0, installed.stderr
    # git must run the scenmatrix under test: the venv's, by its full path
    assert git("config", "merge.scenmatrix.driver", cwd=tmp_path).stdout.strip() == \
        f"{SCENMATRIX} merge-driver %O %A %B %P"
    git("config", "merge.scenmatrix.driver", f"{SCENMATRIX} merge-driver %O %A %B %P", cwd=tmp_path)
    git("add", ".", cwd=tmp_path)
    git("commit", "-qm", "study", cwd=tmp_path)
    return tmp_path


def branches(repo: Path, theirs: list[tuple[str, ...]], ours: list[tuple[str, ...]]) -> subprocess.CompletedProcess:
    """Edit branch `theirs` and then main, each with the CLI, and merge theirs into main."""
    git("checkout", "-qb", "theirs", cwd=repo)
    for args in theirs:
        edit(repo, *args)
    git("commit", "-qam", "their edits", cwd=repo)
    git("checkout", "-q", "main", cwd=repo)
    for args in ours:
        edit(repo, *args)
    git("commit", "-qam", "our edits", cwd=repo)
    return git("merge", "--no-edit", "theirs", cwd=repo, check=False)


def validate(repo: Path) -> subprocess.CompletedProcess:
    return run("validate", STUDY, cwd=repo)


def test_install_writes_the_attribute_once_and_documents_both_lines(tmp_path: Path) -> None:
    git("init", "-q", cwd=tmp_path)
    (tmp_path / ".gitattributes").write_text("*.xlsx binary", encoding="utf-8")  # no final newline
    assert run("merge-driver", "--install", cwd=tmp_path).returncode == 0
    assert run("merge-driver", "--install", cwd=tmp_path).returncode == 0
    assert (tmp_path / ".gitattributes").read_text() == "*.xlsx binary\nscenarios/*.yaml merge=scenmatrix\n"
    assert git("config", "merge.scenmatrix.name", cwd=tmp_path).stdout.startswith("scenmatrix")
    help_text = run("merge-driver", "--help", cwd=tmp_path).stdout
    assert "scenarios/*.yaml merge=scenmatrix" in help_text
    assert 'git config merge.scenmatrix.driver "scenmatrix merge-driver %O %A %B %P"' in help_text


def test_actors_added_on_both_branches_are_both_kept_with_the_comments(repo: Path) -> None:
    merged = branches(repo, theirs=[("add", "actor", "E", "--name", "Epsilon", "--kind", "bloc")],
                      ours=[("add", "actor", "D", "--name", "Delta", "--kind", "state")])
    assert merged.returncode == 0, merged.stdout + merged.stderr
    text = (repo / STUDY).read_text(encoding="utf-8")
    # E is written as `scenmatrix add` wrote it on their branch, after our D; the rest is ours byte for byte
    their_e = "  E:\n    name: Epsilon\n    kind: bloc\n"
    assert their_e in git("show", "theirs:" + STUDY, cwd=repo).stdout
    ours = git("show", "HEAD~1:" + STUDY, cwd=repo).stdout
    our_d = "  D:\n    name: Delta\n    kind: state\n"
    assert our_d in ours and text == ours.replace(our_d, our_d + their_e)
    assert "actors:  # who acts\n" in text and "\n\n# the record\nevidence:" in text
    assert validate(repo).returncode == 0
    # nothing left behind by the driver (the edits' own lock file beside the study is theirs)
    assert git("status", "--porcelain", cwd=repo).stdout == "?? scenarios/.small.yaml.lock\n"


def test_changes_to_different_impacts_and_fields_both_land(repo: Path) -> None:
    merged = branches(repo, theirs=[("set", "impact", "S1/B", "--effect", "-1"),
                                    ("set", "impact", "S1/A", "--confidence", "low")],
                      ours=[("set", "impact", "S1/A", "--effect", "3")])
    assert merged.returncode == 0, merged.stdout + merged.stderr
    text = (repo / STUDY).read_text(encoding="utf-8")
    assert "      A: {effect: 3, domains: [military], confidence: low, rationale: Alpha gains, evidence: [E1]}\n" in text
    assert "      B: {effect: -1, domains: [economic, energy], confidence: low," in text
    assert validate(repo).returncode == 0


def test_a_real_conflict_stops_the_merge_validate_shows_it_and_resolve_settles_it(repo: Path) -> None:
    merged = branches(repo, theirs=[("set", "impact", "S1/A", "--effect", "-3"), ("add", "actor", "E", "--name",
                                                                                  "Epsilon", "--kind", "bloc")],
                      ours=[("set", "impact", "S1/A", "--effect", "3")])
    assert merged.returncode != 0
    assert "CONFLICT" in merged.stdout
    text = (repo / STUDY).read_text(encoding="utf-8")
    assert "<<<<<<<" not in text and "  E:\n    name: Epsilon\n" in text  # the rest merged
    checked = validate(repo)
    assert checked.returncode == 1
    line = text.splitlines().index("  - entry: impact S1/A") + 1
    assert checked.stderr.splitlines() == [
        f"{STUDY}:{line}:5: conflict: impact S1/A effect: ours (main) +3, theirs (theirs) -3 — settle it with "
        "`scenmatrix resolve --ours|--theirs impact S1/A`, or edit the study and remove this record"]
    wrong = run("resolve", "--theirs", "impact", "S2/A", "-s", STUDY, cwd=repo)
    assert wrong.returncode == 1 and re.match(rf"{STUDY}:\d+:1: no conflict is recorded for impact S2/A — recorded: "
                                              "impact S1/A", wrong.stderr)
    settled = run("resolve", "--theirs", "impact", "S1/A", "-s", STUDY, cwd=repo)
    assert settled.returncode == 0, settled.stderr
    assert validate(repo).returncode == 0
    text = (repo / STUDY).read_text(encoding="utf-8")
    assert "conflicts:" not in text and "      A: {effect: -3, domains: [military]" in text
    assert "actors:  # who acts\n" in text and "\n# the record\nevidence:" in text
    git("commit", "-qam", "merged", cwd=repo)


def test_removal_against_change_conflicts_and_resolve_all_ours_keeps_ours(repo: Path) -> None:
    merged = branches(repo, theirs=[("rm", "impact", "S2/A"), ("set", "impact", "S1/A", "--effect", "1")],
                      ours=[("set", "impact", "S2/A", "--effect", "-2"), ("set", "impact", "S1/A", "--effect", "0")])
    assert merged.returncode != 0
    problems = validate(repo).stderr.splitlines()
    assert [p.split(": ", 1)[1].split(" — ")[0] for p in problems] == [
        "conflict: impact S1/A effect: ours (main) +0, theirs (theirs) +1",
        "conflict: impact S2/A: ours (main) changed it, theirs (theirs) removed it"]
    assert run("resolve", "--all", "--ours", "-s", STUDY, cwd=repo).returncode == 0
    assert validate(repo).returncode == 0
    text = (repo / STUDY).read_text(encoding="utf-8")
    assert "      A: {effect: -2, domains: [political]" in text and "      A: {effect: 0," in text


def test_their_rename_is_followed_by_our_edit_of_the_renamed_actors_impact(repo: Path) -> None:
    merged = branches(repo, theirs=[("rename", "actor", "B", "BETA")],
                      ours=[("set", "impact", "S1/B", "--effect", "-1", "--rationale", "Beta loses less")])
    assert merged.returncode == 0, merged.stdout + merged.stderr
    text = (repo / STUDY).read_text(encoding="utf-8")
    assert "      BETA: {effect: -1, domains: [economic, energy], confidence: low, rationale: Beta loses less," in text
    assert "  BETA: {name: Beta, kind: bloc}" in text and "contested_by: {BETA: Beta denies it}" in text
    assert not re.search(r"^\s+B:", text, re.M)
    assert validate(repo).returncode == 0


def test_our_rename_is_followed_by_their_edit(repo: Path) -> None:
    merged = branches(repo, theirs=[("set", "impact", "S1/B", "--effect", "-1")],
                      ours=[("rename", "actor", "B", "BETA")])
    assert merged.returncode == 0, merged.stdout + merged.stderr
    assert "      BETA: {effect: -1," in (repo / STUDY).read_text(encoding="utf-8")
    assert validate(repo).returncode == 0


def test_a_malformed_side_exits_1_with_its_position_and_leaves_ours_untouched(tmp_path: Path) -> None:
    (tmp_path / "base").write_text(SMALL, encoding="utf-8")
    (tmp_path / "ours").write_text(COMMENTED, encoding="utf-8")
    (tmp_path / "theirs").write_text(SMALL.replace("  B: {name: Beta, kind: bloc}", "  B: {name: Beta"),
                                     encoding="utf-8")
    done = run("merge-driver", "base", "ours", "theirs", STUDY, cwd=tmp_path)
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert re.match(rf"{STUDY}:\d+:\d+: YAML syntax: .* \(in the theirs version\)", done.stderr), done.stderr
    assert (tmp_path / "ours").read_text(encoding="utf-8") == COMMENTED
    (tmp_path / "theirs").write_text("- a list\n", encoding="utf-8")
    done = run("merge-driver", "base", "ours", "theirs", STUDY, cwd=tmp_path)
    assert done.returncode == 1 and done.stderr.startswith(f"{STUDY}:1:1: the theirs version is not a study")
    assert run("merge-driver", "base", "ours", cwd=tmp_path).returncode == 2


CIB = """cib:
  note: Analyst judgment.
  descriptors:
    X: {title: X, variants: {a: A, b: B}}
    Y: {title: Y, variants: {c: C, d: D}}
  judgments:
    X.a: {Y.c: 2, Y.d: -2}
"""


def test_their_new_cross_impact_model_is_taken_whole_as_they_wrote_it(tmp_path: Path) -> None:
    (tmp_path / "base").write_text(SMALL, encoding="utf-8")
    (tmp_path / "ours").write_text(COMMENTED, encoding="utf-8")
    (tmp_path / "theirs").write_text(SMALL + CIB, encoding="utf-8")
    done = run("merge-driver", "base", "ours", "theirs", STUDY, cwd=tmp_path)
    assert (done.returncode, done.stderr) == (0, "")
    assert (tmp_path / "ours").read_text(encoding="utf-8") == COMMENTED + CIB


def test_their_impact_on_an_actor_we_removed_is_a_conflict_and_resolve_refuses_what_would_not_validate(
        tmp_path: Path) -> None:
    (tmp_path / "scenarios").mkdir()
    (tmp_path / "base").write_text(SMALL, encoding="utf-8")
    ours = SMALL.replace("  C: {name: Gamma, kind: other}\n", "")
    (tmp_path / STUDY).write_text(ours, encoding="utf-8")
    (tmp_path / "theirs").write_text(SMALL.replace(
        "      A: {effect: -1, domains: [political], confidence: moderate, rationale: Alpha loses a little}\n",
        "      A: {effect: -1, domains: [political], confidence: moderate, rationale: Alpha loses a little}\n"
        "      C: {effect: 1, domains: [political], confidence: low, rationale: Gamma gains}\n"), encoding="utf-8")
    done = run("merge-driver", "base", STUDY, "theirs", cwd=tmp_path)
    assert done.returncode == 1
    assert re.fullmatch(rf"{STUDY}:\d+:5: conflict: impact S2/C: ours removed it, theirs changed it — .*\n", done.stderr)
    before = (tmp_path / STUDY).read_text(encoding="utf-8")
    refused = run("resolve", "--theirs", "impact", "S2/C", "-s", STUDY, cwd=tmp_path)
    assert refused.returncode == 1 and "unknown actor 'C'" in refused.stderr and "Traceback" not in refused.stderr
    assert (tmp_path / STUDY).read_text(encoding="utf-8") == before
    assert run("resolve", "--ours", "impact", "S2/C", "-s", STUDY, cwd=tmp_path).returncode == 0
    assert (tmp_path / STUDY).read_text(encoding="utf-8") == ours
    assert validate(tmp_path).returncode == 0


def test_a_merge_that_would_not_validate_exits_1_and_leaves_ours_untouched(tmp_path: Path) -> None:
    (tmp_path / "base").write_text(SMALL, encoding="utf-8")
    (tmp_path / "ours").write_text(COMMENTED, encoding="utf-8")
    (tmp_path / "theirs").write_text(SMALL.replace("A: {effect: 2,", "A: {effect: 9,"), encoding="utf-8")
    done = run("merge-driver", "base", "ours", "theirs", STUDY, cwd=tmp_path)
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert re.match(rf"{STUDY}:\d+:\d+: .*effect.* \(in the merged study, not written\)", done.stderr), done.stderr
    assert (tmp_path / "ours").read_text(encoding="utf-8") == COMMENTED


ALICE = "  alice:\n    S1:\n      likelihood: very likely\n"
BOB = "  bob:\n    S1:\n      impacts:\n        A: {effect: -1}\n"


def test_two_branches_that_each_imported_a_different_reviewer_keep_both(tmp_path: Path) -> None:
    (tmp_path / "base").write_text(SMALL, encoding="utf-8")
    (tmp_path / "ours").write_text(SMALL + "ratings:\n" + ALICE, encoding="utf-8")
    (tmp_path / "theirs").write_text(SMALL + "ratings:\n" + BOB, encoding="utf-8")
    done = run("merge-driver", "base", "ours", "theirs", STUDY, cwd=tmp_path)
    assert (done.returncode, done.stderr) == (0, "")
    merged = (tmp_path / "ours").read_text(encoding="utf-8")
    assert "alice:" in merged and "bob:" in merged and merged.startswith(SMALL)
    (tmp_path / "m.yaml").write_text(merged, encoding="utf-8")
    assert run("validate", "m.yaml", cwd=tmp_path).returncode == 0


def test_one_reviewer_rerated_differently_on_both_branches_is_a_conflict(tmp_path: Path) -> None:
    (tmp_path / "base").write_text(SMALL + "ratings:\n" + ALICE, encoding="utf-8")
    (tmp_path / "ours").write_text(SMALL + "ratings:\n" + ALICE.replace("very likely", "unlikely"), encoding="utf-8")
    (tmp_path / "theirs").write_text(SMALL + "ratings:\n" + ALICE.replace("very likely", "almost certain"),
                                     encoding="utf-8")
    done = run("merge-driver", "base", "ours", "theirs", STUDY, cwd=tmp_path)
    assert done.returncode == 1 and "Traceback" not in done.stderr
