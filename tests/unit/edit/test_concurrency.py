"""Twenty real `scenmatrix add` processes started at once against one study: all land, none is lost."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from edit_fixtures import AWKWARD, write
from scenmatrix.store.loader import load

SCENMATRIX = str(Path(sys.executable).with_name("scenmatrix"))


def test_twenty_concurrent_adds_all_land_and_the_study_stays_valid(tmp_path):
    path = write(tmp_path)
    processes = [
        subprocess.Popen([SCENMATRIX, "add", "actor", f"A{i:02d}", "--name", f"Actor {i}", "--kind", "state",
                          "-s", str(path)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for i in range(20)
    ]
    results = [(p.wait(timeout=120), p.stderr.read()) for p in processes]
    for p in processes:
        p.stdout.close()
        p.stderr.close()
    assert [code for code, _ in results] == [0] * 20, results
    study = load(path).study
    assert {f"A{i:02d}" for i in range(20)} <= set(study.actors)
    assert len(study.actors) == 3 + 20
    # everything that was there is still there, byte for byte, in front of the new actors
    text = path.read_text()
    head, _, _ = AWKWARD.partition("  # trailing note about actors")
    assert text.startswith(head)
    assert not list(tmp_path.glob(".study.yaml.*.tmp"))  # no temporary file left behind


def test_concurrent_edits_of_one_entry_are_serialized(tmp_path):
    path = write(tmp_path)
    processes = [
        subprocess.Popen([SCENMATRIX, "set", "impact", "S1/RU", "--rationale", f"Reason {i}", "-s", str(path)],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for i in range(6)
    ]
    assert [p.wait(timeout=120) for p in processes] == [0] * 6
    rationale = load(path).study.scenarios["S1"].impacts["RU"].rationale
    assert rationale in {f"Reason {i}" for i in range(6)}
