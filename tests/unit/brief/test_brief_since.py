"""`scenmatrix brief --since REV`: a Changes sheet listing what changed in the study since a git revision."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from scenmatrix.edit import api as edit
from scenmatrix.cli.app import cli

ROOT = Path(__file__).resolve().parents[3]
pytestmark = pytest.mark.skipif(not shutil.which("git"), reason="git is not installed")


@pytest.fixture()
def repo(tmp_path: Path) -> Path:
    study = tmp_path / "study.yaml"
    shutil.copy(ROOT / "scenarios" / "russia-iran-2022.yaml", study)
    git = ["git", "-C", str(tmp_path), "-c", "user.email=a@b", "-c", "user.name=a"]
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    subprocess.run(git + ["add", "study.yaml"], check=True)
    subprocess.run(git + ["commit", "-qm", "Add the Wagner study"], check=True,
                   env={**os.environ, "GIT_COMMITTER_DATE": "2026-11-30T12:00:00Z"})
    return study


def test_changes_sheet_lists_each_changed_field(repo: Path, tmp_path: Path) -> None:
    edit.set_fields(repo, "impact", "S1/RU", {"effect": 3})
    edit.add(repo, "actor", "TR", {"name": "Turkey", "kind": "state"})
    out = tmp_path / "b.xlsx"
    result = CliRunner().invoke(cli, ["brief", str(repo), "--since", "HEAD", "-o", str(out)])
    assert result.exit_code == 0, result.output
    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames[:3] == ["Cover", "Changes", "Matrix"]
    rows = [r for r in wb["Changes"].iter_rows(min_row=4, values_only=True)]
    # the revision as a reader knows it: the commit's date and subject, not "HEAD"
    assert wb["Changes"]["A1"].value == "Changes since 2026-11-30 “Add the Wagner study”"
    assert ("changed", "impact", "S1/RU", "effect", "2", "3") in rows
    assert ("added", "actor", "TR", "name", None, "Turkey") in rows
    assert wb["Changes"].auto_filter.ref == f"A3:F{3 + len(rows)}"


def test_no_changes_says_so(repo: Path, tmp_path: Path) -> None:
    out = tmp_path / "b.xlsx"
    assert CliRunner().invoke(cli, ["brief", str(repo), "--since", "HEAD", "-o", str(out)]).exit_code == 0
    assert openpyxl.load_workbook(out)["Changes"]["A4"].value == "No changes."


def test_unknown_revision_is_refused_and_nothing_written(repo: Path, tmp_path: Path) -> None:
    out = tmp_path / "b.xlsx"
    result = CliRunner().invoke(cli, ["brief", str(repo), "--since", "nope", "-o", str(out)])
    assert result.exit_code == 1 and "cannot read the study at revision 'nope'" in result.stderr
    assert "Traceback" not in result.output and not out.exists()


def test_a_long_subject_is_cut_in_the_title(repo: Path, tmp_path: Path) -> None:
    git = ["git", "-C", str(repo.parent), "-c", "user.email=a@b", "-c", "user.name=a"]
    subprocess.run(git + ["commit", "-q", "--allow-empty", "-m", "Rework " + "every scenario " * 10, "-m", "body"],
                   check=True, env={**os.environ, "GIT_COMMITTER_DATE": "2026-12-01T08:00:00Z"})
    out = tmp_path / "b.xlsx"
    assert CliRunner().invoke(cli, ["brief", str(repo), "--since", "HEAD", "-o", str(out)]).exit_code == 0
    title = openpyxl.load_workbook(out)["Changes"]["A1"].value
    assert title.startswith("Changes since 2026-12-01 “Rework every scenario") and title.endswith("…”")
    assert len(title) < len("Changes since 2026-12-01 “”") + 81 and "body" not in title
