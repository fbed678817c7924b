"""Limits (issue 8): what is refused, and what big inputs cost, measured on real processes.

Each command runs in its own process; its wall time and its own peak resident memory (from wait4)
are bounded. Refusals must come fast and small (before the file is read or expanded) with a
positioned message. Big but allowed studies are measured under SCENMATRIX_LONG=1 only: 10^5 impacts
(a 35 MB file) and a 50 MB file take minutes with today's round-trip parser (see README, Guarantees).
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from conftest import VALID_STUDY
from hardening import LONG, ROOT, SCENMATRIX, assert_refusal, report, run_measured, snapshot
from scenmatrix.edit import api as edit
from scenmatrix.store import document
from scenmatrix.store import files
from scenmatrix.errors import StudyError
from scenmatrix.store.loader import load

pytestmark = pytest.mark.slow
long_only = pytest.mark.skipif(not LONG, reason="minutes long: runs with SCENMATRIX_LONG=1")

sys.path.insert(0, str(ROOT / "benchmarks"))
from generate import study_text  # noqa: E402

# Bounds for a refusal: the interpreter and the command's imports (pandas and openpyxl for a brief,
# about 100 MB) plus a little; nothing in proportion to the input.
REFUSAL_SECONDS = 15.0
REFUSAL_MB = 200.0


def commands(path: Path, out: Path) -> dict[str, list[str]]:
    s = ["-s", str(path)]
    return {
        "validate": ["validate", str(path)],
        "brief": ["brief", str(path), "-o", str(out)],
        "export": ["export", str(path), "--format", "json"],
        "show": ["show", str(path)],
        "add": ["add", "actor", "Znew", "--name", "New", "--kind", "state", *s],
        "set": ["set", "actor", "RU", "--name", "Renamed", *s],
        "rm": ["rm", "actor", "US", "--cascade", *s],
        "rename": ["rename", "actor", "US", "USA", *s],
        "list": ["list", "actor", *s],
        "diff": ["diff", str(path), str(path)],
    }


def assert_all_refused_fast(path: Path, expect: str, names: tuple[str, ...] = ()) -> dict[str, tuple[float, float]]:
    """Every command on `path` exits 1 with positioned problems containing `expect`, fast and small, and
    writes nothing; returns name -> (seconds, peak MB)."""
    folder = path.parent
    out = folder / "out.xlsx"
    before = snapshot(folder)
    figures = {}
    for name, args in commands(path, out).items():
        if names and name not in names:
            continue
        run = run_measured([SCENMATRIX, *args], timeout=REFUSAL_SECONDS * 4)
        assert run.returncode == 1, (name, run.stdout[-300:], run.stderr[-300:])
        assert_refusal(run.stderr, path)
        assert expect in run.stderr, (name, run.stderr[:300])
        assert run.seconds < REFUSAL_SECONDS and run.peak_mb < REFUSAL_MB, (name, run.seconds, run.peak_mb)
        figures[name] = (round(run.seconds, 2), round(run.peak_mb))
        after = snapshot(folder)
        after.pop(f".{path.name}.lock", None)
        assert after == before, f"{name} wrote something"
    return figures


def test_a_file_over_the_size_limit_is_refused_before_it_is_read(tmp_path: Path) -> None:
    """A 100 MB text field makes the file larger than MAX_STUDY_BYTES: refused from its size alone."""
    path = tmp_path / "huge.yaml"
    head, tail = VALID_STUDY.split("Gains drones.")
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(head)
        chunk = "lorem ipsum " * 87_381  # about 1 MiB
        for _ in range(100):
            handle.write(chunk)
        handle.write(tail)
    assert path.stat().st_size > files.MAX_STUDY_BYTES
    figures = assert_all_refused_fast(path, f"over the limit of {files.MAX_STUDY_BYTES:,}")
    report("limit: 100 MB text field (file over MAX_STUDY_BYTES)", size=path.stat().st_size, **figures)


def test_an_edit_never_writes_a_study_over_the_size_limit(tmp_path: Path, monkeypatch) -> None:
    path = tmp_path / "study.yaml"
    path.write_text(VALID_STUDY, encoding="utf-8")
    monkeypatch.setattr(files, "MAX_STUDY_BYTES", len(VALID_STUDY) + 1000)
    with pytest.raises(StudyError, match=r"study\.yaml:1:1: the study would be [\d,]+ bytes; the limit is"):
        edit.set_fields(path, "impact", "S1/RU", {"rationale": "x" * 2000})
    assert path.read_text(encoding="utf-8") == VALID_STUDY
    edit.set_fields(path, "impact", "S1/RU", {"rationale": "x" * 500})  # under the limit: written, and readable
    assert load(path).study.scenarios["S1"].impacts["RU"].rationale == "x" * 500


def bomb(levels: int, fan: int, indent: str, item: str = "") -> str:
    """`fan ** levels` nodes written in a few hundred bytes: the "billion laughs" of YAML."""
    lines = [f"{indent}{item}&l0 [{', '.join(['lol'] * fan)}]"]
    lines += [f"{indent}{item}&l{i} [{', '.join([f'*l{i - 1}'] * fan)}]" for i in range(1, levels)]
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("where", ["actor aliases", "top level"])
def test_billion_laughs_is_refused_without_expanding_it(tmp_path: Path, where: str) -> None:
    path = tmp_path / "bomb.yaml"
    if where == "top level":  # 10^12 nodes if expanded
        text = VALID_STUDY + "laughs:\n" + bomb(12, 10, "  ", "- ")
    else:  # an actor's aliases hold the bomb, and another actor's aliases point at it
        actor = "  ZZ:\n    name: Bomb\n    kind: other\n    aliases:\n" + bomb(12, 10, "      ", "- ")
        text = VALID_STUDY.replace("actors:\n", "actors:\n" + actor, 1).replace("aliases: [Tehran]", "aliases: *l11")
    path.write_text(text, encoding="utf-8")
    figures = assert_all_refused_fast(path, "anchors and aliases are not allowed")
    report(f"limit: billion laughs ({where}, 10^12 nodes)", **figures)


@pytest.mark.parametrize("shape", ["flow", "block"])
def test_deep_nesting_is_refused_at_its_depth(tmp_path: Path, shape: str) -> None:
    path = tmp_path / "deep.yaml"
    if shape == "flow":  # a million brackets in one line
        nested = "[" * 1_000_000 + "]" * 1_000_000
    else:  # two thousand levels of indentation
        nested = "".join(f"\n{' ' * (8 + 2 * i)}k{i}:" for i in range(2000)) + " x"
    path.write_text(VALID_STUDY.replace("Gains drones.", nested if shape == "flow" else nested.lstrip(" ")),
                    encoding="utf-8")
    figures = assert_all_refused_fast(path, f"nested more than {document.MAX_DEPTH} levels deep",
                                      ("validate", "brief", "add", "set", "diff"))
    report(f"limit: deep nesting ({shape})", **figures)


def test_a_thousand_impacts_are_handled_in_bounded_time_and_memory(tmp_path: Path) -> None:
    path = tmp_path / "big.yaml"
    path.write_text(study_text(1000, seed=8), encoding="utf-8")
    figures = measure_allowed(path, 60.0, 400.0)
    report("limit: 1,000 impacts", size=path.stat().st_size, **figures)


def measure_allowed(path: Path, seconds: float, mb: float) -> dict[str, tuple[float, float]]:
    """validate, brief and an edit of a big valid study: each succeeds within the bounds."""
    figures = {}
    out = path.with_suffix(".xlsx")
    for name, args in {"validate": ["validate", str(path)], "brief": ["brief", str(path), "-o", str(out)],
                       "add": ["add", "actor", "Znew", "--name", "New", "--kind", "state", "-s", str(path)]}.items():
        run = run_measured([SCENMATRIX, *args], timeout=seconds * 2)
        assert run.returncode == 0, (name, run.stderr[-500:])
        assert run.seconds < seconds and run.peak_mb < mb, (name, run.seconds, run.peak_mb)
        figures[name] = (round(run.seconds, 1), round(run.peak_mb))
    return figures


@long_only
def test_a_hundred_thousand_impacts_are_handled_in_bounded_time_and_memory(tmp_path: Path) -> None:
    path = tmp_path / "big.yaml"
    path.write_text(study_text(100_000, seed=8), encoding="utf-8")
    figures = measure_allowed(path, 900.0, 4000.0)
    report("limit: 100,000 impacts", size=path.stat().st_size, **figures)


@long_only
def test_a_50_mb_study_is_handled_in_bounded_time_and_memory(tmp_path: Path) -> None:
    path = tmp_path / "big.yaml"
    path.write_text(study_text(142_000, seed=8), encoding="utf-8")
    assert 45_000_000 < path.stat().st_size < 55_000_000
    run = run_measured([SCENMATRIX, "validate", str(path)], timeout=1800)
    assert run.returncode == 0, run.stderr[-500:]
    assert run.seconds < 900 and run.peak_mb < 4000, (run.seconds, run.peak_mb)
    report("limit: 50 MB study, validate", size=path.stat().st_size, seconds=round(run.seconds, 1),
           peak_mb=round(run.peak_mb))


@long_only
def test_a_text_field_just_under_the_size_limit_is_handled_in_bounded_time_and_memory(tmp_path: Path) -> None:
    path = tmp_path / "field.yaml"
    head, tail = VALID_STUDY.split("Gains drones.")
    size = files.MAX_STUDY_BYTES - len(VALID_STUDY) - 1024
    path.write_text(head + "x" * size + tail, encoding="utf-8")
    run = run_measured([SCENMATRIX, "validate", str(path)], timeout=1800)
    assert run.returncode == 0, run.stderr[-500:]
    assert run.seconds < 900 and run.peak_mb < 4000, (run.seconds, run.peak_mb)
    out = tmp_path / "b.xlsx"
    brief = run_measured([SCENMATRIX, "brief", str(path), "-o", str(out)], timeout=1800)
    assert brief.returncode == 1 and "an Excel cell holds at most 32,767" in brief.stderr and not out.exists()
    report("limit: 99 MB text field", validate_seconds=round(run.seconds, 1), validate_mb=round(run.peak_mb),
           brief_seconds=round(brief.seconds, 1), brief_mb=round(brief.peak_mb))
