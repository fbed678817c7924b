"""Small studies stay instant (issue 16): what a real process imports for `--help` and for `validate` of a
small valid study. Each module named here took a measurable part of the start-up before it was left out."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from conftest import VALID_STUDY

HEAVY = {"pydantic", "ruamel", "numpy", "pandas", "openpyxl"}
# the standard library's slower imports that --help does without (pathlib, json, shutil and the
# compression modules shutil brings, difflib)
STARTUP = {"pathlib", "json", "shutil", "lzma", "bz2", "difflib"}


def imported(*args: str, cwd: Path) -> set[str]:
    """The top-level modules a real `scenmatrix ARGS` process imported (python -X importtime)."""
    env = {**os.environ, "SCENMATRIX_CACHE": "off"}
    done = subprocess.run([sys.executable, "-X", "importtime", "-c", "from scenmatrix.cli import main; main()",
                           *args], capture_output=True, text=True, cwd=cwd, env=env)
    assert done.returncode == 0, done.stderr[-2000:]
    lines = [line.split("|")[-1] for line in done.stderr.splitlines() if line.startswith("import time:")]
    return {line.strip().split(".")[0] for line in lines[1:]}


def test_help_imports_nothing_it_does_not_need(tmp_path: Path) -> None:
    assert imported("--help", cwd=tmp_path) & (HEAVY | STARTUP) == set()


def test_validate_of_a_small_valid_study_imports_neither_pydantic_nor_ruamel(tmp_path: Path) -> None:
    study = tmp_path / "study.yaml"
    study.write_text(VALID_STUDY, encoding="utf-8")
    assert imported("validate", str(study), cwd=tmp_path) & HEAVY == set()
    study.write_text(VALID_STUDY.replace("effect: -1", "effect: -9", 1), encoding="utf-8")
    done = subprocess.run([sys.executable, "-c", "from scenmatrix.cli import main; main()", "validate", str(study)],
                          capture_output=True, text=True, cwd=tmp_path)
    assert done.returncode == 1 and "is out of range" in done.stderr  # an invalid one: pydantic's positioned report
