"""The one error path: usage mistakes exit 2, bad input and operating-system errors exit 1 with one line
naming the path and what to do, Ctrl-C exits 130; never a traceback.

Tests run as root, whom permission bits do not stop: the operating-system errors are made with a parent
that is a file (ENOTDIR), a 300-character name (ENAMETOOLONG), a symbolic link loop (ELOOP), /proc (a file
system that takes no new files), and a disk made full in-process (ENOSPC).
"""

from __future__ import annotations

import ast
import errno
import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from conftest import VALID_STUDY
from scenmatrix.cli import cli

REPO = Path(__file__).resolve().parents[2]
SOMEWHERELAND = REPO / "tests" / "data" / "cib" / "somewhereland.csv"
LONG_NAME = "x" * 300


def scenmatrix(*args: object, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "scenmatrix", *map(str, args)], capture_output=True, text=True,
                          cwd=cwd)


def assert_one_line(done: subprocess.CompletedProcess | Result, code: int, line: str) -> None:
    stderr = done.stderr
    returncode = done.returncode if isinstance(done, subprocess.CompletedProcess) else done.exit_code
    assert (returncode, stderr) == (code, line + "\n")


@pytest.fixture
def place(tmp_path: Path) -> Path:
    """A folder with a study, a regular file, and a symbolic link that points at itself."""
    (tmp_path / "study.yaml").write_text(VALID_STUDY)
    (tmp_path / "afile").write_text("not a folder\n")
    (tmp_path / "loop").symlink_to("loop")
    return tmp_path


# --- usage mistakes ------------------------------------------------------------------------------------


def test_cib_promote_with_an_empty_id_is_a_usage_error_not_a_traceback(place):
    done = scenmatrix("cib", "promote", SOMEWHERELAND, "313211", "-s", "study.yaml", "--id", "", "--title", "T",
                      "--likelihood", "unlikely", "--confidence", "low", cwd=place)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert done.stderr.splitlines()[-1] == "Error: give the scenario's id"
    assert (place / "study.yaml").read_text() == VALID_STUDY


def test_library_usage_errors_are_usage_errors_on_the_command_line():
    from scenmatrix.analysis import cib
    from scenmatrix.errors import UsageError

    with pytest.raises(UsageError, match="rule 'local'"):
        cib.succession(cib.CIBMatrix(("A", "B"), (("a1", "a2"), ("b1", "b2")), [[0] * 4] * 4), (0, 0), "local")
    bad = CliRunner().invoke(cli, ["cib", "balances", str(SOMEWHERELAND), "99"])
    assert bad.exit_code == 2
    assert bad.stderr.splitlines()[-1].startswith("Error: Invalid value for SCENARIO: 2 variant numbers for 6 ")


# --- operating-system errors, through real processes ---------------------------------------------------


def test_an_output_whose_parent_is_a_file(place):
    assert_one_line(scenmatrix("brief", "study.yaml", "-o", "afile/out.xlsx", cwd=place), 1,
                    "afile: is a file, not a folder — choose another folder, or move the file")
    assert_one_line(scenmatrix("export", "study.yaml", "-o", "afile/x", cwd=place), 1,
                    "afile/x: a part of the path is a file, not a folder — check the path: every part before the "
                    "last must be a folder")
    assert_one_line(scenmatrix("new", "afile/new.yaml", "--title", "T", cwd=place), 1,
                    "afile: is a file, not a folder — choose another folder, or move the file")
    assert_one_line(scenmatrix("set", "actor", "IR", "--name", "Iran", "-s", "afile/x.yaml", cwd=place), 1,
                    "afile/x.yaml:1:1: a part of the path is a file, not a folder — check the path: every part "
                    "before the last must be a folder")


def test_a_file_name_too_long(place):
    hint = "file name too long — choose a shorter name (most file systems allow 255 bytes a name)"
    assert_one_line(scenmatrix("brief", "study.yaml", "-o", f"{LONG_NAME}.xlsx", cwd=place), 1,
                    f"{LONG_NAME}.xlsx: {hint}")
    assert_one_line(scenmatrix("export", "study.yaml", "-o", LONG_NAME, cwd=place), 1, f"{LONG_NAME}: {hint}")
    assert_one_line(scenmatrix("new", f"{LONG_NAME}.yaml", "--title", "T", "--id", "t", cwd=place), 1,
                    f"{LONG_NAME}.yaml: {hint}")
    assert sorted(p.name for p in place.iterdir()) == ["afile", "loop", "study.yaml"]  # no temp file left


def test_a_symbolic_link_loop(place):
    loop = "too many levels of symbolic links — a symbolic link in the path leads back to itself; fix or remove it"
    assert_one_line(scenmatrix("brief", "study.yaml", "-o", "loop/out.xlsx", cwd=place), 1, f"loop: {loop}")
    assert_one_line(scenmatrix("export", "study.yaml", "-o", "loop", cwd=place), 1, f"loop: {loop}")
    assert_one_line(scenmatrix("new", "loop/new.yaml", "--title", "T", cwd=place), 1, f"loop: {loop}")
    assert_one_line(scenmatrix("set", "actor", "IR", "--name", "Iran", "-s", "loop", cwd=place), 1,
                    f"loop:1:1: {loop}")
    assert_one_line(scenmatrix("validate", "loop", cwd=place), 1, f"loop:1:1: {loop}")
    assert_one_line(scenmatrix("cib", "check", "loop", cwd=place), 1, f"loop:1:1: {loop}")


@pytest.mark.skipif(not Path("/proc/version").exists(), reason="no /proc")
def test_a_file_system_that_takes_no_new_files(place):
    # /proc refuses to create a file with ENOENT, though the folder is there
    refused = "cannot create it in this folder — choose a folder on an ordinary disk"
    assert_one_line(scenmatrix("brief", "study.yaml", "-o", "/proc/out.xlsx", cwd=place), 1,
                    f"/proc/out.xlsx: {refused}")
    assert_one_line(scenmatrix("export", "study.yaml", "-o", "/proc/scenmatrix-export", cwd=place), 1,
                    f"/proc/scenmatrix-export: {refused}")
    assert_one_line(scenmatrix("new", "/proc/new.yaml", "--title", "T", cwd=place), 1, f"/proc/new.yaml: {refused}")


# --- a full disk, in-process ---------------------------------------------------------------------------


class _FullDisk(io.BufferedRandom):
    def write(self, data) -> int:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


@pytest.fixture
def full_disk(monkeypatch):
    """Every atomic write fails as a full disk does: on write, naming no file."""
    from scenmatrix.store import files

    real = os.fdopen

    def fdopen(fd, mode="r", *args, **kwargs):
        if mode == "w+b":
            return _FullDisk(io.FileIO(fd, "r+"))
        return real(fd, mode, *args, **kwargs)

    monkeypatch.setattr(files.os, "fdopen", fdopen)


FULL = "no space left on the disk — free some space, or choose a path on another disk"


@pytest.mark.parametrize("args, named", [
    (["brief", "study.yaml", "-o", "out.xlsx"], "out.xlsx"),
    (["export", "study.yaml", "--format", "csv", "-o", "tables"], "tables/sources.csv"),
    (["new", "new.yaml", "--title", "T"], "new.yaml"),
    (["set", "actor", "IR", "--name", "Iran!", "-s", "study.yaml"], "study.yaml"),
])
def test_a_full_disk_leaves_the_files_as_they_were(place, monkeypatch, full_disk, args, named):
    monkeypatch.chdir(place)
    result = CliRunner().invoke(cli, args)
    assert_one_line(result, 1, f"{named}: {FULL}")
    assert (place / "study.yaml").read_text() == VALID_STUDY
    leftovers = [p.name for p in place.rglob("*") if p.name.endswith(".tmp") or p.name in ("out.xlsx", "new.yaml")]
    assert leftovers == []


def test_ctrl_c_exits_130(place, monkeypatch):
    from scenmatrix.store import loader

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(loader, "load", interrupted)
    result = CliRunner().invoke(cli, ["export", str(place / "study.yaml")])
    assert (result.exit_code, result.stderr) == (130, "interrupted; nothing was written\n")


# --- where exit codes are decided ----------------------------------------------------------------------


def test_exit_codes_are_decided_in_app_only():
    """No command module catches errors to choose an exit code: app.reported does, for every command."""
    for path in sorted((REPO / "src" / "scenmatrix" / "cli").glob("*.py")):
        if path.name == "app.py":
            continue
        tree = ast.parse(path.read_text())
        caught = [ast.unparse(h.type) for h in ast.walk(tree) if isinstance(h, ast.ExceptHandler) and h.type]
        assert [c for c in caught if c != "Exception"] == [], path.name  # Exception: completion never fails
        exits = [n.lineno for n in ast.walk(tree) if isinstance(n, ast.Call) and ast.unparse(n.func) == "sys.exit"]
        assert exits == [], path.name


def test_app_imports_no_command_module():
    tree = ast.parse((REPO / "src" / "scenmatrix" / "cli" / "app.py").read_text())
    imported = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)} | {
        a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    assert not {m for m in imported if m and m.startswith("scenmatrix.cli")}
