"""A revision given on the command line reaches git as a revision, never as an option (issue 13)."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from conftest import VALID_STUDY
from hardening import SCENMATRIX, snapshot

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")


def _repo(tmp_path):
    def git(*args):
        subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@example.org", *args], cwd=tmp_path,
                       check=True, capture_output=True)

    git("init", "-q")
    (tmp_path / "s.yaml").write_text(VALID_STUDY)
    git("add", ".")
    git("commit", "-q", "-m", "first")
    return tmp_path / "s.yaml"


@pytest.mark.parametrize("rev", ["--output=OUT/x", "--output=OUT/x:", "-o", "--help", "HEAD --output=OUT/x",
                                 "HEAD\n--output=OUT/x"])
@pytest.mark.parametrize("command", [["diff"], ["brief", "-o", "b.xlsx"]])
def test_a_since_that_looks_like_an_option_is_refused_and_git_writes_nothing(tmp_path, rev, command):
    study = _repo(tmp_path)
    (tmp_path / "OUT").mkdir()
    before = snapshot(tmp_path)
    done = subprocess.run([SCENMATRIX, command[0], str(study), "--since", rev, *command[1:]], cwd=tmp_path,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 1, done
    assert done.stderr.startswith(f"{study}:1:1: cannot read the study at revision {rev!r}"), done.stderr
    assert "Traceback" not in done.stderr
    assert not any((tmp_path / "OUT").iterdir())
    assert snapshot(tmp_path) == before


def test_a_real_revision_still_diffs(tmp_path):
    study = _repo(tmp_path)
    done = subprocess.run([SCENMATRIX, "diff", str(study), "--since", "HEAD"], capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0 and done.stdout == "no changes\n", done
