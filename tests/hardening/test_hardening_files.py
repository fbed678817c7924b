"""Files the tool writes and reads, off the happy path (issue 13): devices, FIFOs, links, owners, line endings.

Each test drives the installed CLI in a real process and checks the files afterwards, byte for byte.
"""

from __future__ import annotations

import os
import stat
import subprocess
from pathlib import Path

import pytest

from conftest import SMALL
from hardening import SCENMATRIX, lock_sidecar, positioned, run_measured, snapshot

ROOT_ONLY = pytest.mark.skipif(os.geteuid() != 0, reason="needs root (device nodes, chown)")
ADD = ["add", "actor", "D", "--name", "Delta", "--kind", "state"]


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    result = subprocess.run([SCENMATRIX, *args], cwd=cwd, capture_output=True, text=True, timeout=120,
                            stdin=subprocess.DEVNULL)
    assert "Traceback" not in result.stderr, result.stderr
    return result


@pytest.fixture()
def folder(tmp_path: Path) -> Path:
    (tmp_path / "scenarios").mkdir()
    (tmp_path / "scenarios" / "small.yaml").write_text(SMALL, encoding="utf-8")
    return tmp_path


# ---------------------------------------------------------------- what is read


def test_a_fifo_among_the_studies_is_refused_at_once(folder: Path) -> None:
    os.mkfifo(folder / "scenarios" / "stuck.yaml")  # no writer: a plain open would wait for ever
    result = run_measured([SCENMATRIX, "validate"], timeout=60, cwd=folder)
    assert result.returncode == 1, result.stderr
    assert "scenarios/stuck.yaml:1:1: is a FIFO (named pipe), not a regular file" in result.stderr
    assert "scenarios/small.yaml: valid" in result.stdout, "the other study is still checked"
    assert result.seconds < 30


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="no /dev/zero")
def test_an_endless_device_is_refused_without_reading_it(folder: Path) -> None:
    result = run_measured([SCENMATRIX, "validate", "/dev/zero"], timeout=60, cwd=folder)
    assert result.returncode == 1
    assert result.stderr.startswith("/dev/zero:1:1: is a character device, not a regular file")
    assert result.peak_mb < 300, f"{result.peak_mb:.0f} MB: the device was read"


@pytest.mark.parametrize("args", [["brief", "-t", "{fifo}"], ["cib", "scenarios", "{fifo}"],
                                  ["import", "{fifo}", "-s", "scenarios/small.yaml"]],
                         ids=["template", "cib-csv", "reviewed-brief"])
def test_every_input_kind_refuses_a_fifo(folder: Path, args: list[str]) -> None:
    suffix = {"brief": ".yaml", "cib": ".csv", "import": ".xlsx"}[args[0]]
    fifo = folder / f"pipe{suffix}"
    os.mkfifo(fifo)
    before = snapshot(folder / "scenarios")
    result = run_measured([SCENMATRIX, *[a.format(fifo=fifo) for a in args]], timeout=60, cwd=folder)
    assert result.returncode == 1, result.stderr
    assert f"{fifo}:1:1: is a FIFO (named pipe), not a regular file" in result.stderr
    assert snapshot(folder / "scenarios") == before


# ---------------------------------------------------------------- what is written


def test_the_study_is_never_an_output(folder: Path) -> None:
    before = snapshot(folder)
    result = run("brief", "scenarios/small.yaml", "-o", "scenarios/small.yaml", cwd=folder)
    assert result.returncode == 2
    assert "-o/--output" in result.stderr and "does not end in .xlsx" in result.stderr
    assert snapshot(folder) == before


def test_a_csv_name_for_a_brief_is_refused_not_written_as_xlsx(folder: Path) -> None:
    result = run("brief", "scenarios/small.yaml", "-o", "brief.csv", cwd=folder)
    assert result.returncode == 2 and "'brief.csv' does not end in .xlsx" in result.stderr
    assert not (folder / "brief.csv").exists()


def test_a_parent_that_is_a_file_is_refused(folder: Path) -> None:
    (folder / "briefs").write_text("not a folder", encoding="utf-8")
    result = run("brief", "scenarios/small.yaml", "-o", "briefs/b.xlsx", cwd=folder)
    assert result.returncode == 1 and "briefs: is a file, not a folder" in result.stderr
    assert (folder / "briefs").read_text(encoding="utf-8") == "not a folder"


def test_the_base_workbook_is_never_an_output(folder: Path) -> None:
    import openpyxl

    openpyxl.Workbook().save(folder / "house.xlsx")
    (folder / "house.yaml").write_text("description: House\nbase: house.xlsx\nsheets:\n"
                                       "  - {kind: matrix, title: Matrix}\n", encoding="utf-8")
    before = snapshot(folder)
    result = run("brief", "scenarios/small.yaml", "-t", "house.yaml", "-o", "house.xlsx", cwd=folder)
    assert result.returncode == 2, result.stderr
    assert "'house.xlsx' is the template's base workbook this command reads" in result.stderr
    assert snapshot(folder) == before


def test_a_fifo_as_output_is_not_replaced(folder: Path) -> None:
    os.mkfifo(folder / "out.xlsx")
    result = run("brief", "scenarios/small.yaml", "-o", "out.xlsx", cwd=folder)
    assert result.returncode == 1
    assert positioned("out.xlsx").match(result.stderr) and "is a FIFO (named pipe), not a regular file; it is " \
                                                            "not replaced" in result.stderr
    assert stat.S_ISFIFO(os.lstat(folder / "out.xlsx").st_mode)


@ROOT_ONLY
def test_a_device_as_output_is_not_replaced_even_by_root(folder: Path) -> None:
    """The report was `brief -o /dev/null` as root; the same device node made here, so a failure harms nothing."""
    null = folder / "null.xlsx"
    os.mknod(null, stat.S_IFCHR | 0o666, os.makedev(1, 3))
    for args in (["brief", "scenarios/small.yaml", "-o", str(null)], ["new", str(null.with_suffix(".yaml")),
                                                                       "--title", "T"]):
        if args[0] == "new":
            os.rename(null, null.with_suffix(".yaml"))
            null = null.with_suffix(".yaml")
        result = run(*args, cwd=folder)
        assert result.returncode == 1, result.stderr
        assert "is a character device, not a regular file; it is not replaced" in result.stderr
        assert stat.S_ISCHR(os.lstat(null).st_mode)


def test_export_refuses_a_table_file_that_is_not_regular(folder: Path) -> None:
    (folder / "out").mkdir()
    os.mkfifo(folder / "out" / "impacts.csv")
    result = run("export", "scenarios/small.yaml", "-f", "csv", "-o", "out", cwd=folder)
    assert result.returncode == 1 and "is a FIFO (named pipe)" in result.stderr
    assert sorted(p.name for p in (folder / "out").iterdir()) == ["impacts.csv"], "no table is written"


# ---------------------------------------------------------------- edits keep the file as it was


def test_an_edit_through_a_symlink_edits_the_target_and_keeps_the_link(folder: Path) -> None:
    real = folder / "scenarios" / "small.yaml"
    link = folder / "current.yaml"
    link.symlink_to(real)
    result = run(*ADD, "-s", "current.yaml", cwd=folder)
    assert result.returncode == 0, result.stderr
    assert link.is_symlink() and os.readlink(link) == str(real)
    assert "  D:" in real.read_text(encoding="utf-8")
    assert (folder / "scenarios" / lock_sidecar(real)).exists() and not (folder / lock_sidecar(link)).exists()


@ROOT_ONLY
def test_owner_group_and_mode_survive_an_edit_by_root(folder: Path) -> None:
    study = folder / "scenarios" / "small.yaml"
    os.chown(study, 65534, 65534)
    os.chmod(study, 0o640)
    assert run(*ADD, "-s", str(study), cwd=folder).returncode == 0
    after = os.stat(study)
    assert (after.st_uid, after.st_gid, stat.S_IMODE(after.st_mode)) == (65534, 65534, 0o640)


def test_a_hard_linked_study_is_refused_not_split(folder: Path) -> None:
    study = folder / "scenarios" / "small.yaml"
    os.link(study, folder / "other-name.yaml")
    before = snapshot(folder)
    result = run(*ADD, "-s", str(study), cwd=folder)
    assert result.returncode == 1
    assert "has 1 other hard link(s); a write would split them" in result.stderr
    after = snapshot(folder)
    after.pop(f"scenarios/{lock_sidecar(study)}")  # the lock was taken; it holds no data
    assert after == before and os.stat(study).st_nlink == 2


def test_a_lock_file_that_is_a_symlink_is_never_followed(folder: Path) -> None:
    study = folder / "scenarios" / "small.yaml"
    victim = folder / "victim.txt"
    victim.write_text("precious", encoding="utf-8")
    (study.parent / lock_sidecar(study)).symlink_to(victim)
    result = run(*ADD, "-s", str(study), cwd=folder)
    assert result.returncode == 1 and "is a symbolic link; it is not followed" in result.stderr
    assert victim.read_text(encoding="utf-8") == "precious" and study.read_text(encoding="utf-8") == SMALL


@pytest.mark.parametrize("newline, bom", [("\r\n", ""), ("\r", ""), ("\n", "\ufeff"), ("\r\n", "\ufeff")],
                         ids=["crlf", "cr", "bom", "crlf-bom"])
def test_line_endings_and_bom_are_kept(folder: Path, newline: str, bom: str) -> None:
    study = folder / "scenarios" / "small.yaml"
    study.write_bytes((bom + SMALL.replace("\n", newline)).encode("utf-8"))
    assert run(*ADD, "-s", str(study), cwd=folder).returncode == 0
    data = study.read_bytes().decode("utf-8")
    assert data.startswith(bom) and (not bom or not data[1:].startswith(bom))
    assert "Delta" in data
    body = data.removeprefix(bom)
    assert body.replace(newline, "") == body.replace("\r", "").replace("\n", ""), "one kind of line break only"
    assert body.count(newline) >= SMALL.count("\n") + 1


def test_mixed_line_endings_are_validated_but_not_edited(folder: Path) -> None:
    study = folder / "scenarios" / "small.yaml"
    text = SMALL.replace("\n", "\r\n", 3)  # the first three lines CRLF, the rest LF
    study.write_bytes(text.encode("utf-8"))
    assert run("validate", str(study), cwd=folder).returncode == 0
    result = run(*ADD, "-s", str(study), cwd=folder)
    assert result.returncode == 1
    assert f"{study}:4:" in result.stderr and "line break" in result.stderr
    assert study.read_bytes() == text.encode("utf-8")
