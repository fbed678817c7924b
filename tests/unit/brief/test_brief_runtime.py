"""How a brief runs: the progress bar of long briefs (on a terminal after a delay, never on a pipe or in
CI), and garbage collection paused while it builds and restored after, even when it fails."""

from __future__ import annotations

import gc
import io
import os
import pty
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from scenmatrix.brief.build import STEPS_BESIDE_SHEETS, build_brief_file
from scenmatrix.bulk import gc_paused
from scenmatrix.errors import StudyError
from scenmatrix.cli.app import LateProgressBar, cli
from scenmatrix.brief.template import load_template

REPO = Path(__file__).resolve().parents[3]
DEFAULT = REPO / "scenarios" / "russia-iran-2022.yaml"


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def run_steps(bar: LateProgressBar, total: int = 5) -> None:
    with bar:
        for done in range(total + 1):
            bar(done, total, f"step {done}")


def test_a_long_run_on_a_terminal_shows_the_bar_to_the_end(monkeypatch) -> None:
    monkeypatch.delenv("CI", raising=False)
    out = Terminal()
    run_steps(LateProgressBar("Building brief", delay=0, file=out))
    assert "Building brief" in out.getvalue() and "100%" in out.getvalue() and "step 5" in out.getvalue()


@pytest.mark.parametrize("stream, ci, delay", [(io.StringIO, None, 0), (Terminal, "true", 0), (Terminal, None, 60)])
def test_pipes_ci_and_short_runs_get_no_bar(monkeypatch, stream, ci, delay) -> None:
    monkeypatch.delenv("CI", raising=False)
    if ci:
        monkeypatch.setenv("CI", ci)
    out = stream()
    run_steps(LateProgressBar("Building brief", delay=delay, file=out))
    assert out.getvalue() == ""


def test_the_library_reports_every_step_in_order(tmp_path: Path) -> None:
    seen: list[tuple[int, int, str]] = []
    build_brief_file(DEFAULT, "standard", tmp_path / "b.xlsx", progress=lambda *step: seen.append(step))
    total = len(load_template("standard").template.sheets) + STEPS_BESIDE_SHEETS
    assert [s[0] for s in seen] == list(range(total + 1)) and {s[1] for s in seen} == {total}
    assert seen[0][2] == "loading the study" and seen[-2][2] == "saving" and seen[-1][2] == "done"


def test_cli_on_a_pipe_says_only_what_it_wrote(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["brief", str(DEFAULT), "-o", str(tmp_path / "b.xlsx")])
    assert result.exit_code == 0 and result.output == f"wrote {tmp_path / 'b.xlsx'}\n"


def test_a_real_terminal_sees_the_bar_of_a_long_brief(tmp_path: Path) -> None:
    """A real process with its stderr on a pseudo-terminal, briefing a study big enough to take > 2 s."""
    sys.path.insert(0, str(REPO / "benchmarks"))
    from generate import study_text

    study = tmp_path / "big.yaml"
    study.write_text(study_text(40_000), encoding="utf-8")
    master, slave = pty.openpty()
    env = {k: v for k, v in os.environ.items() if k != "CI"}
    proc = subprocess.Popen([sys.executable, "-m", "scenmatrix", "brief", str(study), "-o", str(tmp_path / "b.xlsx")],
                            stdout=subprocess.PIPE, stderr=slave, env=env, cwd=REPO)
    os.close(slave)
    seen = b""
    while True:
        try:
            chunk = os.read(master, 4096)
        except OSError:  # the terminal closed with the process
            break
        if not chunk:
            break
        seen += chunk
    stdout, _ = proc.communicate(timeout=300)
    os.close(master)
    assert proc.returncode == 0 and stdout.startswith(b"wrote ")
    assert b"Building brief" in seen and b"100%" in seen


def test_collection_is_paused_while_building_and_restored_after(tmp_path: Path) -> None:
    states: list[bool] = []
    build_brief_file(DEFAULT, "standard", tmp_path / "b.xlsx", progress=lambda *step: states.append(gc.isenabled()))
    assert states and not any(states) and gc.isenabled()
    bad = tmp_path / "bad.yaml"
    bad.write_text("study: {}\n", encoding="utf-8")
    with pytest.raises(StudyError):
        build_brief_file(bad, "standard", tmp_path / "c.xlsx")
    assert gc.isenabled()
    gc.disable()
    try:
        with gc_paused():
            pass
        assert not gc.isenabled()  # a caller's choice is left as it was
    finally:
        gc.enable()


def test_a_brief_lets_the_studys_text_go_but_keeps_its_hash(tmp_path: Path) -> None:
    import hashlib

    import openpyxl

    from scenmatrix.store.document import Document

    document = Document(DEFAULT, DEFAULT.read_text(encoding="utf-8"), None)
    document.forget_text()
    sha = hashlib.sha256(DEFAULT.read_bytes()).hexdigest()
    assert document.text == "" and document.sha256 == sha
    wb = openpyxl.load_workbook(build_brief_file(DEFAULT, "standard", tmp_path / "b.xlsx"))
    cover = [c.value for row in wb["Cover"].iter_rows() for c in row]
    assert wb["_scenmatrix"]["A5"].value == sha and sha in cover


def test_sensitivity_keeps_every_factor_only_where_a_table_sheet_shows_them(tmp_path: Path) -> None:
    import datetime as dt

    from scenmatrix.brief.build import build_context
    from scenmatrix.brief.tables import FACTORS_SHOWN
    from scenmatrix.store.loader import load

    sys.path.insert(0, str(REPO / "benchmarks"))
    from generate import study_text

    study = tmp_path / "s.yaml"
    study.write_text(study_text(2_000), encoding="utf-8")
    loaded, now = load(study), dt.datetime(2026, 1, 1)
    mine = tmp_path / "mine.yaml"
    mine.write_text("description: All factors\nsheets:\n  - {kind: table, table: sensitivity, title: Factors}\n"
                    "  - {kind: sensitivity, title: Sensitivity}\n", encoding="utf-8")
    every = build_context(loaded, load_template(mine), now).table("sensitivity")
    shown = build_context(loaded, load_template("standard"), now).table("sensitivity")
    assert len(every) > len(shown) == FACTORS_SHOWN * every["actor"].nunique()
    assert shown.equals(every.groupby("actor", sort=False).head(FACTORS_SHOWN).reset_index(drop=True))


def test_a_brief_killed_while_writing_sheets_leaves_no_rows_behind(tmp_path: Path) -> None:
    """The rows wait in unnamed temporary files: a SIGKILL leaves only openpyxl's own (small) sheet files."""
    import signal
    import time

    sys.path.insert(0, str(REPO / "benchmarks"))
    from generate import study_text

    study, scratch = tmp_path / "big.yaml", tmp_path / "tmp"
    study.write_text(study_text(40_000), encoding="utf-8")
    scratch.mkdir()
    proc = subprocess.Popen([sys.executable, "-m", "scenmatrix", "brief", str(study), "-o", str(tmp_path / "b.xlsx")],
                            env={**os.environ, "TMPDIR": str(scratch)}, cwd=REPO,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while not any(p.name.startswith("openpyxl.") for p in scratch.iterdir()) and proc.poll() is None:
        assert time.monotonic() < deadline
        time.sleep(0.01)
    time.sleep(0.3)  # well into the sheets
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert [p.name for p in scratch.iterdir() if not p.name.startswith("openpyxl.")] == []
    assert not (tmp_path / "b.xlsx").exists()
