"""Helpers shared by the hardening tests (tests/test_hardening_*.py, issue 8).

SCENMATRIX_LONG=1 turns the bounded CI runs into long ones: more fuzzing examples, more kills, more
concurrent edits, and the limits that take minutes. SCENMATRIX_SEED changes the seed of the seeded
randomness (kill moments, command order); a failure prints the seed it ran with.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

LONG = os.environ.get("SCENMATRIX_LONG", "") not in ("", "0")
SEED = int(os.environ.get("SCENMATRIX_SEED", "20221") or 20221)
BIN = Path(sys.executable).parent
SCENMATRIX = str(BIN / "scenmatrix")
ROOT = Path(__file__).resolve().parents[1]
DEFAULT_STUDY = ROOT / "scenarios" / "russia-iran-2022.yaml"
TEMPLATES = ("annex", "executive", "standard")  # `scenmatrix templates`; test_hardening_injection checks the list


def scaled(ci: int, long: int) -> int:
    """A bounded count in CI, a larger one under SCENMATRIX_LONG=1."""
    return long if LONG else ci


def positioned(path: Path | str) -> "re.Pattern[str]":
    """A problem line about `path`: `path:LINE:COL: message`, lines and columns from 1."""
    return re.compile(re.escape(str(path)) + r":[1-9]\d*:[1-9]\d*: \S")


# A brief that cannot hold some text names the cell it would have gone to (cells.checked_text).
OUTPUT_POSITION = re.compile(r"^[^!\n]+![A-Z]{1,3}[1-9]\d*: "
                             r"text (contains character U\+[0-9A-F]{4}|is [\d,]+ characters)")


def assert_refusal(stderr: str, path: Path | str, *, output_positions: bool = False) -> None:
    """Every line of stderr is one positioned problem (or, for a brief, the output cell it names)."""
    lines = stderr.splitlines()
    assert lines, "a refusal must say why"
    assert "Traceback" not in stderr, stderr
    pattern = positioned(path)
    for line in lines:
        ok = pattern.match(line) or (output_positions and OUTPUT_POSITION.match(line))
        assert ok, f"not a positioned problem: {line!r}\n--- all of stderr:\n{stderr}"


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file under folder with its bytes (what a refused command must leave as it was)."""
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def lock_sidecar(study: Path) -> str:
    """The advisory-lock file an edit creates beside its study (store.locked); it holds no data."""
    return f".{study.name}.lock"


def temps(path: Path) -> list[Path]:
    """Temporary files of an atomic write to `path` (store.atomic_writer), finished or not."""
    pattern = re.compile(re.escape(f".{path.name}.") + r"[a-z0-9_]{8}\.tmp")
    return sorted(p for p in path.parent.iterdir() if pattern.fullmatch(p.name))


@dataclass
class Measured:
    returncode: int
    stdout: str
    stderr: str
    seconds: float
    peak_mb: float


# Starts the command from a small fresh interpreter and reports the command's own peak RSS (wait4): a
# child forked straight from the test process would count the pages it shares with that process.
_MEASURE = (
    "import os, subprocess, sys\n"
    "child = subprocess.Popen(sys.argv[2:])\n"
    "_, status, usage = os.wait4(child.pid, 0)\n"
    "child.returncode = os.waitstatus_to_exitcode(status)\n"
    "open(sys.argv[1], 'w').write(f'{child.returncode} {usage.ru_maxrss}')\n"
)


def run_measured(argv: list[str], timeout: float, cwd: Optional[Path] = None) -> Measured:
    """Run a command in its own process: exit code, output, wall time and the process's own peak RSS."""
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        figures = Path(tmp) / "figures"
        with open(Path(tmp) / "out", "w+b") as out, open(Path(tmp) / "err", "w+b") as err:
            start = time.perf_counter()
            wrapper = subprocess.Popen([sys.executable, "-c", _MEASURE, str(figures), *argv], stdout=out,
                                       stderr=err, cwd=cwd, start_new_session=True)
            try:
                wrapper.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                os.killpg(wrapper.pid, signal.SIGKILL)
                wrapper.wait()
                raise AssertionError(f"{' '.join(map(str, argv[:3]))}... still running after {timeout:g} s (killed)")
            seconds = time.perf_counter() - start
            out.seek(0)
            err.seek(0)
            code, maxrss = figures.read_text().split()
            return Measured(int(code), out.read().decode("utf-8", "replace"), err.read().decode("utf-8", "replace"),
                            seconds, int(maxrss) / 1024)


def report(name: str, **figures) -> None:
    """One line of figures for the hardening note (shown with `pytest -s`, or -rP on success)."""
    print(f"[hardening] {name}: " + ", ".join(f"{k}={v}" for k, v in figures.items()))
