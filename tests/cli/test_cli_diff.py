"""`scenmatrix diff` through a real process: renames as renames, and the exit codes its --help states."""

from __future__ import annotations

import subprocess
from pathlib import Path

from conftest import SMALL
from hardening import SCENMATRIX


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([SCENMATRIX, *args], cwd=cwd, capture_output=True, text=True, timeout=60)


def test_diff_shows_a_rename_and_exits_as_its_help_says(tmp_path: Path) -> None:
    (tmp_path / "old.yaml").write_text(SMALL, encoding="utf-8")
    (tmp_path / "new.yaml").write_text(SMALL, encoding="utf-8")
    assert run("rename", "actor", "A", "ALPHA", "-s", "new.yaml", cwd=tmp_path).returncode == 0
    result = run("diff", "old.yaml", "new.yaml", cwd=tmp_path)
    assert (result.returncode, result.stdout) == (0, "~ actor A → ALPHA: renamed, and 2 references to it\n")
    assert run("diff", "old.yaml", "old.yaml", cwd=tmp_path).stdout == "no changes\n"
    help_text = " ".join(run("diff", "--help", cwd=tmp_path).stdout.split())
    assert "Exit code 0 whether or not anything changed; 1 if a version cannot be read" in help_text
    missing = run("diff", "old.yaml", "gone.yaml", cwd=tmp_path)
    assert missing.returncode == 1 and missing.stderr.startswith("gone.yaml:1:1: no such file")
    (tmp_path / "bad.yaml").write_text("study: [\n", encoding="utf-8")
    assert run("diff", "old.yaml", "bad.yaml", cwd=tmp_path).returncode == 1
    assert run("diff", "old.yaml", cwd=tmp_path).returncode == 2


def test_export_has_the_cross_impact_model_as_tables(tmp_path: Path) -> None:
    import json

    default = Path(__file__).parents[2] / "scenarios" / "russia-iran-2022.yaml"
    data = json.loads(run("export", str(default), cwd=tmp_path).stdout)
    assert [d["id"] for d in data["cib_descriptors"]][:1] == ["iran-support"]
    assert {"descriptor": "iran-support", "id": "none", "title": "None (the denials hold)"} in data["cib_variants"]
    assert {"source": "iran-support.none", "target": "russia-israel.working", "judgment": 1} in data["cib_judgments"]
    csv = run("export", str(default), "--format", "csv", "--table", "cib_judgments", cwd=tmp_path).stdout
    assert csv.splitlines()[0] == "source,target,judgment"
    (tmp_path / "s.yaml").write_text(SMALL, encoding="utf-8")  # no model: the tables are empty, not missing
    assert json.loads(run("export", "s.yaml", cwd=tmp_path).stdout)["cib_judgments"] == []


def test_diff_names_the_cross_impact_model_cell_by_cell_and_follows_its_renames(tmp_path: Path) -> None:
    import json

    default = Path(__file__).parents[2] / "scenarios" / "russia-iran-2022.yaml"
    for name in ("old.yaml", "new.yaml"):
        (tmp_path / name).write_text(default.read_text(encoding="utf-8"), encoding="utf-8")
    edits = (("set", "judgment", "iran-support.extensive", "us-pressure.escalating", "--value", "3"),
             ("rm", "judgment", "iran-support.limited", "agreement.signed"),
             ("set", "judgment", "agreement.stalled", "russia-israel.working", "--value", "-1"),
             ("rename", "descriptor", "us-pressure", "us-stance"),
             ("rename", "variant", "iran-support.none", "nil"),
             ("set", "variant", "agreement.signed", "--title", "Signed and ratified"))
    for args in edits:
        done = run(*args, "-s", "new.yaml", cwd=tmp_path)
        assert done.returncode == 0, done.stderr
    result = run("diff", "old.yaml", "new.yaml", cwd=tmp_path)
    assert (result.returncode, result.stderr) == (0, "")
    # each judgment is one cell, named as `set judgment` names it, under the ids the renames gave
    assert result.stdout == (
        "~ descriptor us-pressure → us-stance: renamed, and 9 references to it\n"
        "~ variant iran-support.none → iran-support.nil: renamed, and 4 references to it\n"
        "~ variant agreement.signed: title: Signed → 'Signed and ratified'\n"
        "~ judgment iran-support.extensive us-stance.escalating: +2 → +3\n"
        "+ judgment agreement.stalled russia-israel.working: -1\n"
        "- judgment iran-support.limited agreement.signed\n")
    data = json.loads(run("diff", "old.yaml", "new.yaml", "--json", cwd=tmp_path).stdout)
    assert {k: data[k] for k in ("added", "removed", "changed", "renamed")} == {
        "added": 1, "removed": 1, "changed": 2, "renamed": 2}
    assert {"kind": "judgment", "id": "iran-support.extensive us-stance.escalating", "action": "changed",
            "fields": {"value": {"old": 2, "new": 3}}} in data["changes"]
    # a variant that went from one descriptor and came to another is not a rename
    moved = (tmp_path / "old.yaml").read_text(encoding="utf-8").replace(
        "        strained: Strained\n", "").replace("        escalating: Escalating\n",
                                                   "        escalating: Escalating\n        strained: Strained\n")
    (tmp_path / "moved.yaml").write_text(moved, encoding="utf-8")
    lines = run("diff", "old.yaml", "moved.yaml", cwd=tmp_path).stdout.splitlines()
    assert "+ variant us-pressure.strained: title Strained" in lines
    assert "- variant russia-israel.strained" in lines
