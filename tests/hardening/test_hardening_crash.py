"""Crash safety (issue 8): real `scenmatrix brief` and `scenmatrix add` processes killed with SIGKILL.

Two kinds of kill, from one seeded random generator (SCENMATRIX_SEED):
- at a random moment of the process's life (start-up, parsing, building, writing);
- the moment its temporary file appears, plus a random few milliseconds: inside the write itself.
And, deterministically, at the exact steps of the atomic write (after the temp file is written and
fsynced, just before the rename, just after it), by a wrapper that kills its own process there.

After every kill: the study is byte-identical or exactly the complete new version, and valid; an
earlier brief at the output path is the same bytes or a complete new brief that opens; at most one
temporary file is left (the killed writer's), and the next write to that path removes it.
"""

from __future__ import annotations

import random
import shutil
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import openpyxl
import pytest

from hardening import DEFAULT_STUDY, SCENMATRIX, SEED, lock_sidecar, report, scaled, temps
from scenmatrix.edit import api as edit
from scenmatrix.store import files
from scenmatrix.store.loader import load

pytestmark = pytest.mark.slow

TRIALS = scaled(30, 200)


def spawn(*args: str) -> subprocess.Popen:
    return subprocess.Popen([SCENMATRIX, *args], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def kill_at_random(process: subprocess.Popen, rng: random.Random, life: float, watch: Path, mode: str) -> str:
    """SIGKILL the process at a random moment, or once a temp file for `watch` appears; say when."""
    start = time.perf_counter()
    if mode == "anytime":
        time.sleep(rng.uniform(0, life * 1.1))
        moment = "anytime"
    else:
        delay = rng.uniform(0, 0.03)
        moment = "no temp seen"
        while time.perf_counter() - start < life * 3 and process.poll() is None:
            if temps(watch):
                time.sleep(delay)
                moment = "during write"
                break
            time.sleep(0.0005)
    finished = process.poll() is not None
    if not finished:
        process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)
    process.stderr.close()
    return "finished first" if finished else moment


def timed_run(*args: str) -> float:
    start = time.perf_counter()
    done = subprocess.run([SCENMATRIX, *args], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return time.perf_counter() - start


def assert_complete_brief(path: Path) -> None:
    with zipfile.ZipFile(path) as z:
        assert z.testzip() is None
    wb = openpyxl.load_workbook(path, read_only=True)
    assert "Matrix" in wb.sheetnames and "Impacts" in wb.sheetnames
    wb.close()


def test_sigkill_during_brief_leaves_the_earlier_brief_or_a_complete_new_one(tmp_path: Path) -> None:
    rng = random.Random(SEED)
    study = tmp_path / "study.yaml"
    shutil.copy(DEFAULT_STUDY, study)
    study_bytes = study.read_bytes()
    out = tmp_path / "brief.xlsx"
    life = timed_run("brief", str(study), "-o", str(out))
    assert_complete_brief(out)
    outcomes: dict[str, int] = {}
    replaced = 0
    for trial in range(TRIALS):
        before = out.read_bytes()
        process = spawn("brief", str(study), "-o", str(out))
        moment = kill_at_random(process, rng, life, out, "anytime" if trial % 2 else "write")
        outcomes[moment] = outcomes.get(moment, 0) + 1
        after = out.read_bytes()
        if after != before:
            replaced += 1
            assert_complete_brief(out)
        assert study.read_bytes() == study_bytes, "a brief must never touch its study"
        assert len(temps(out)) <= 1, f"trial {trial} (seed {SEED}): temporary files accumulate: {temps(out)}"
    timed_run("brief", str(study), "-o", str(out))
    assert temps(out) == [], "the next brief removes a killed brief's temporary file"
    assert_complete_brief(out)
    report("brief kills", trials=TRIALS, seed=SEED, replaced_by_complete_brief=replaced, **outcomes)


def test_sigkill_during_add_leaves_the_study_as_it_was_or_completely_edited(tmp_path: Path) -> None:
    rng = random.Random(SEED + 1)
    study = tmp_path / "study.yaml"
    shutil.copy(DEFAULT_STUDY, study)
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    life = timed_run("validate", str(study))
    outcomes: dict[str, int] = {}
    landed = 0
    for trial in range(TRIALS):
        before = study.read_bytes()
        fields = {"name": f"Killed actor {trial}", "kind": "state"}
        shutil.copy(study, scratch / study.name)  # the same edit, done whole, is the only other allowed result
        edit.add(scratch / study.name, "actor", f"K{trial}", fields)
        complete = (scratch / study.name).read_bytes()
        process = spawn("add", "actor", f"K{trial}", "--name", fields["name"], "--kind", "state", "-s", str(study))
        moment = kill_at_random(process, rng, life, study, "anytime" if trial % 2 else "write")
        outcomes[moment] = outcomes.get(moment, 0) + 1
        after = study.read_bytes()
        assert after in (before, complete), f"trial {trial} (seed {SEED}): the study is neither old nor new"
        landed += after == complete
        load(study)  # valid, always
        assert len(temps(study)) <= 1, f"trial {trial} (seed {SEED}): temporary files accumulate: {temps(study)}"
    timed_run("add", "actor", "Final", "--name", "Final", "--kind", "state", "-s", str(study))
    assert temps(study) == [], "the next edit removes a killed edit's temporary file"
    assert {p.name for p in tmp_path.iterdir()} == {study.name, lock_sidecar(study), "scratch"}
    report("add kills", trials=TRIALS, seed=SEED, edits_landed=landed, **outcomes)


# The wrapper: run the CLI in a process that SIGKILLs itself at one step of files.atomic_writer.
KILL_AT = r"""
import os, signal, sys
point = sys.argv.pop(1)
real_fsync, real_replace = os.fsync, os.replace
def die(*_):
    os.kill(os.getpid(), signal.SIGKILL)
if point == "after-fsync":
    os.fsync = lambda fd: (real_fsync(fd), die())
elif point == "before-replace":
    os.replace = die
elif point == "after-replace":
    os.replace = lambda a, b: (real_replace(a, b), die())
from scenmatrix.cli.app import main
sys.argv[0] = "scenmatrix"
main()
"""


@pytest.mark.parametrize("point", ["after-fsync", "before-replace", "after-replace"])
@pytest.mark.parametrize("command", ["add", "brief"])
def test_sigkill_at_each_step_of_the_atomic_write(tmp_path: Path, command: str, point: str) -> None:
    study = tmp_path / "study.yaml"
    shutil.copy(DEFAULT_STUDY, study)
    out = tmp_path / "brief.xlsx"
    if command == "brief":  # an earlier brief to protect, of a study that then changes (a brief made within
        # the same second of the same study is byte-identical: the new one must be told apart)
        subprocess.run([SCENMATRIX, "brief", str(study), "-o", str(out)], check=True, capture_output=True)
        study.write_text(study.read_text(encoding="utf-8") + "# changed after the first brief\n", encoding="utf-8")
    target = study if command == "add" else out
    before = target.read_bytes()
    args = (["add", "actor", "Z9", "--name", "Zed", "--kind", "state", "-s", str(study)] if command == "add"
            else ["brief", str(study), "-o", str(out)])
    done = subprocess.run([sys.executable, "-c", KILL_AT, point, *args], capture_output=True, text=True, timeout=120)
    assert done.returncode == -signal.SIGKILL, done.stderr
    after = target.read_bytes()
    if point == "after-replace":
        assert after != before  # the rename happened: the new version is whole
        if command == "add":
            assert "Z9" in load(study).study.actors
        else:
            assert_complete_brief(out)
    else:
        assert after == before
        assert len(temps(target)) == 1  # the killed writer's, complete or not, never renamed
    load(study)
    # the next write to the path removes the dead writer's temp file; the lock died with its holder
    again = (["add", "actor", "Z8", "--name", "Zed 8", "--kind", "state", "-s", str(study)] if command == "add"
             else ["brief", str(study), "-o", str(out)])
    subprocess.run([SCENMATRIX, *again], check=True, capture_output=True, timeout=60)
    assert temps(target) == []


def test_a_live_writers_temp_file_is_never_taken_for_stale(tmp_path: Path) -> None:
    target = tmp_path / "brief.xlsx"
    with files.atomic_writer(target) as handle:
        handle.write(b"first")
        (live,) = temps(target)
        assert files.remove_stale_temps(target) == []  # its writer holds the lock
        files.write_atomic(target, b"another writer, meanwhile")  # also cleans, and must leave ours
        assert live.exists()
    assert target.read_bytes() == b"first" and temps(target) == []


def test_a_dead_writers_temp_file_is_removed_by_the_next_write(tmp_path: Path) -> None:
    target = tmp_path / "study.yaml"
    target.write_bytes(b"old")
    stale = tmp_path / ".study.yaml.abcd1234.tmp"
    stale.write_bytes(b"half of a st")  # no process holds its lock: its writer is gone
    other = tmp_path / ".other.yaml.abcd1234.tmp"
    other.write_bytes(b"not ours")
    unrelated = tmp_path / ".study.yaml.notatemp"
    unrelated.write_bytes(b"keep")
    files.write_atomic(target, b"new")
    assert target.read_bytes() == b"new"
    assert not stale.exists() and other.exists() and unrelated.exists()


def test_a_killed_edit_releases_its_lock(tmp_path: Path) -> None:
    study = tmp_path / "study.yaml"
    shutil.copy(DEFAULT_STUDY, study)
    holder = subprocess.Popen([sys.executable, "-c", (
        "import sys, time; from scenmatrix.store import files\n"
        "with files.locked(sys.argv[1]):\n    print('locked', flush=True); time.sleep(600)\n"), str(study)],
        stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "locked"
    waiting = spawn("add", "actor", "W1", "--name", "Waits", "--kind", "state", "-s", str(study))
    time.sleep(1.0)
    assert waiting.poll() is None, "an edit waits for the lock"
    holder.send_signal(signal.SIGKILL)
    holder.wait()
    holder.stdout.close()
    assert waiting.wait(timeout=60) == 0, waiting.stderr.read()
    waiting.stderr.close()
    assert "W1" in load(study).study.actors
