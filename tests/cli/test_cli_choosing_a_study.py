"""Which study a command works on when none is named (issue 14): never a guess among several."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from conftest import SMALL, VALID_STUDY
from hardening import SCENMATRIX, snapshot

ADD = ["add", "actor", "ML", "--name", "Mali", "--kind", "state"]


def run(*args: str, cwd: Path, env: dict | None = None) -> subprocess.CompletedProcess:
    import os

    return subprocess.run([SCENMATRIX, *args], cwd=cwd, capture_output=True, text=True, timeout=60,
                          env={**os.environ, **(env or {})})


@pytest.fixture()
def two(tmp_path: Path) -> Path:
    (tmp_path / "scenarios").mkdir()
    (tmp_path / "scenarios" / "russia-iran-2022.yaml").write_text(VALID_STUDY, encoding="utf-8")
    (tmp_path / "scenarios" / "wagner-mali.yaml").write_text(SMALL, encoding="utf-8")
    return tmp_path


@pytest.mark.parametrize("args", [ADD, ["list", "actors"], ["brief", "-o", "b.xlsx"], ["export"]],
                         ids=["add", "list", "brief", "export"])
def test_with_several_studies_and_none_named_every_command_refuses_and_lists_them(two: Path, args) -> None:
    before = snapshot(two)
    result = run(*args, cwd=two)
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert "2 studies under scenarios/ (scenarios/russia-iran-2022.yaml, scenarios/wagner-mali.yaml) — name one " \
           "with -s/--study" in result.stderr
    assert snapshot(two) == before


def test_a_named_study_or_the_environment_chooses(two: Path) -> None:
    assert run(*ADD, "-s", "scenarios/wagner-mali.yaml", cwd=two).returncode == 0
    assert "ML:" in (two / "scenarios" / "wagner-mali.yaml").read_text(encoding="utf-8")
    listed = run("list", "actors", cwd=two, env={"SCENMATRIX_STUDY": "scenarios/wagner-mali.yaml"})
    assert listed.returncode == 0 and "Mali" in listed.stdout
    assert "ML" not in (two / "scenarios" / "russia-iran-2022.yaml").read_text(encoding="utf-8")


def test_the_only_study_is_chosen(tmp_path: Path) -> None:
    (tmp_path / "scenarios").mkdir()
    (tmp_path / "scenarios" / "wagner-mali.yaml").write_text(SMALL, encoding="utf-8")
    assert run(*ADD, cwd=tmp_path).returncode == 0
    assert "ML:" in (tmp_path / "scenarios" / "wagner-mali.yaml").read_text(encoding="utf-8")
