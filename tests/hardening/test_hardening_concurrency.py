"""Concurrency (issue 8): many edit processes at once against one study, while readers run.

Adds, sets, removals and renames, each of its own entry so that every one must land, are started
together as real `scenmatrix` processes, in a seeded random order. Meanwhile `scenmatrix validate`
and `scenmatrix brief` processes run in a loop against the same study, and a thread reads the file
as fast as it can. Every edit lands exactly once; no reader ever sees a half-written file: every
validate exits 0, every brief is built, and every read of the bytes parses to a valid study.
(test_concurrency.py covers twenty adds alone and one entry edited by several processes.)
"""

from __future__ import annotations

import random
import re
import subprocess
import threading
import time
from pathlib import Path

import openpyxl
import pytest

from conftest import VALID_STUDY
from hardening import SCENMATRIX, SEED, lock_sidecar, report, scaled, temps
from scenmatrix.store.document import parse
from scenmatrix.store.loader import load
from scenmatrix.store.checks import validate_document

pytestmark = pytest.mark.slow

PER_KIND = scaled(8, 40)  # edits of each of the four kinds


def seeded_study(path: Path) -> None:
    """VALID_STUDY plus entries for the removals (key judgments) and renames and sets (actors)."""
    judgments = "".join(f"    KJrm{i}: To be removed {i}.\n" for i in range(PER_KIND))
    actors = "".join(f"  Xren{i}:\n    name: To rename {i}\n    kind: other\n"
                     f"  Pset{i}:\n    name: To set {i}\n    kind: other\n" for i in range(PER_KIND))
    text = VALID_STUDY.replace("    KJ1: Cooperation deepens.\n", "    KJ1: Cooperation deepens.\n" + judgments)
    text = text.replace("actors:\n", "actors:\n" + actors, 1)
    path.write_text(text, encoding="utf-8")
    load(path)


def edit_commands(study: Path) -> list[list[str]]:
    s = ["-s", str(study)]
    commands = []
    for i in range(PER_KIND):
        commands += [
            ["add", "actor", f"Nadd{i}", "--name", f"Added {i}", "--kind", "state", *s],
            ["set", "actor", f"Pset{i}", "--name", f"Changed {i}", *s],
            ["rm", "key-judgment", f"KJrm{i}", *s],
            ["rename", "actor", f"Xren{i}", f"Yren{i}", *s],
        ]
    random.Random(SEED).shuffle(commands)
    return commands


class Readers:
    """validate and brief processes in a loop, and a thread re-reading the bytes, until stopped."""

    def __init__(self, study: Path, folder: Path):
        self.study, self.folder = study, folder
        self.stop = threading.Event()
        self.validates: list[tuple[int, str]] = []
        self.briefs: list[tuple[int, str, Path]] = []
        self.reads = 0
        self.bad_reads: list[str] = []
        self.threads = [threading.Thread(target=self._validate_loop), threading.Thread(target=self._brief_loop),
                        threading.Thread(target=self._read_loop)]

    def __enter__(self) -> "Readers":
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join(timeout=120)

    def _validate_loop(self) -> None:
        while not self.stop.is_set():
            done = subprocess.run([SCENMATRIX, "validate", str(self.study)], capture_output=True, text=True)
            self.validates.append((done.returncode, done.stderr))

    def _brief_loop(self) -> None:
        n = 0
        while not self.stop.is_set():
            out = self.folder / f"brief-{n}.xlsx"
            done = subprocess.run([SCENMATRIX, "brief", str(self.study), "-o", str(out)], capture_output=True,
                                  text=True)
            self.briefs.append((done.returncode, done.stderr, out))
            n += 1

    def _read_loop(self) -> None:
        while not self.stop.is_set():
            text = self.study.read_bytes().decode("utf-8")
            self.reads += 1
            try:
                _, problems = validate_document(parse(self.study, text))
            except Exception as exc:  # noqa: BLE001 - any failure to read is what this counts
                problems = [exc]
            if problems:
                self.bad_reads.append(f"{len(text)} chars: {problems[0]}")
            time.sleep(0.002)


def test_many_edit_processes_land_exactly_once_while_readers_never_see_half_a_file(tmp_path: Path) -> None:
    study = tmp_path / "study.yaml"
    seeded_study(study)
    briefs = tmp_path / "briefs"
    briefs.mkdir()
    commands = edit_commands(study)
    with Readers(study, briefs) as readers:
        time.sleep(0.5)  # the readers are running before the first edit
        processes = [subprocess.Popen([SCENMATRIX, *c], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                     for c in commands]
        results = [(p.wait(timeout=300), p.communicate()[1]) for p in processes]
        while not readers.briefs or not readers.validates:  # at least one whole read of each kind
            time.sleep(0.1)
    failed = [(c, r) for c, r in zip(commands, results) if r[0] != 0]
    assert failed == [], failed

    text = study.read_text(encoding="utf-8")
    final = load(study).study
    for i in range(PER_KIND):
        assert len(re.findall(rf"(?m)^  Nadd{i}:", text)) == 1 and final.actors[f"Nadd{i}"].name == f"Added {i}"
        assert final.actors[f"Pset{i}"].name == f"Changed {i}" and text.count(f"name: Changed {i}\n") == 1
        assert f"KJrm{i}" not in text
        assert f"Xren{i}" not in text and len(re.findall(rf"(?m)^  Yren{i}:", text)) == 1
    assert len(final.actors) == 3 + 3 * PER_KIND
    assert list(final.study.key_judgments) == ["KJ1"]
    assert text.startswith(VALID_STUDY.split("  KJ1:")[0])  # untouched lines stay byte for byte

    assert readers.bad_reads == [], readers.bad_reads[:3]
    assert [(code, err) for code, err in readers.validates if code != 0] == []
    assert [(code, err) for code, err, _ in readers.briefs if code != 0] == []
    for _, _, out in readers.briefs:
        openpyxl.load_workbook(out, read_only=True).close()
    assert temps(study) == [] and {p.name for p in tmp_path.iterdir()} == {study.name, lock_sidecar(study), "briefs"}
    report("concurrency", edits=len(commands), landed=len(commands) - len(failed), validate_runs=len(readers.validates),
           brief_runs=len(readers.briefs), byte_reads=readers.reads, seed=SEED)


def test_concurrent_briefs_to_one_output_each_leave_a_complete_file(tmp_path: Path) -> None:
    study = tmp_path / "study.yaml"
    study.write_text(VALID_STUDY, encoding="utf-8")
    out = tmp_path / "brief.xlsx"
    processes = [subprocess.Popen([SCENMATRIX, "brief", str(study), "-o", str(out), "-t", template],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
                 for template in ["standard", "annex", "executive", "standard"]]
    assert [(p.wait(timeout=120), p.communicate()[1]) for p in processes] == [(0, "")] * 4
    openpyxl.load_workbook(out, read_only=True).close()
    assert temps(out) == []
