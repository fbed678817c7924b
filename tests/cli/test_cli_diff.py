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
