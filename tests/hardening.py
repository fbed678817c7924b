"""Helpers shared by the hardening tests (tests/test_hardening_*.py, issue 8).

SCENMATRIX_LONG=1 turns the bounded CI runs into long ones: more fuzzing examples, more kills, more
concurrent edits, and the limits that take minutes. SCENMATRIX_SEED changes the seed of the seeded
randomness (kill moments, command order); a failure prints the seed it ran with.
"""

from __future__ import annotations

import os
import re
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


def run_measured(argv: list[str], timeout: float, cwd: Optional[Path] = None) -> Measured:
    """Run a command in its own process; wall time and that process's own peak RSS (from wait4)."""
    out_path = Path(os.environ.get("TMPDIR", "/tmp")) / f"scenmatrix-measured-{os.getpid()}-{time.monotonic_ns()}"
    with open(f"{out_path}.out", "w+b") as out, open(f"{out_path}.err", "w+b") as err:
        start = time.perf_counter()
        process = subprocess.Popen(argv, stdout=out, stderr=err, cwd=cwd)
        deadline = start + timeout
        while True:
            pid, status, usage = os.wait4(process.pid, os.WNOHANG)
            if pid:
                break
            if time.perf_counter() > deadline:
                process.kill()
                pid, status, usage = os.wait4(process.pid, 0)
                process.returncode = -9
                raise AssertionError(f"{' '.join(argv[:3])}... still running after {timeout:g} s (killed)")
            time.sleep(0.01)
        seconds = time.perf_counter() - start
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        result = Measured(process.returncode, out.read().decode("utf-8", "replace"),
                          err.read().decode("utf-8", "replace"), seconds, usage.ru_maxrss / 1024)
    for suffix in (".out", ".err"):
        Path(f"{out_path}{suffix}").unlink(missing_ok=True)
    return result


def report(name: str, **figures) -> None:
    """One line of figures for the hardening note (shown with `pytest -s`, or -rP on success)."""
    print(f"[hardening] {name}: " + ", ".join(f"{k}={v}" for k, v in figures.items()))
