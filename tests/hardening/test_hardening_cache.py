"""The parse cache through the real command (issue 13): a study re-marked TLP:RED loses every parse the
cache held of it at the next `scenmatrix validate`, and slots planted in the cache folder (a link, garbage,
a pickle that runs a command, a folder of someone else's) are discarded without a traceback, their
targets untouched. test_edit_cache.py has each case in-process."""

from __future__ import annotations

import os
import pickle
import subprocess
from pathlib import Path

import pytest

from conftest import VALID_STUDY
from hardening import SCENMATRIX
from scenmatrix.store import cache as parse_cache


def run(*args: str, cache: Path) -> subprocess.CompletedProcess:
    result = subprocess.run([SCENMATRIX, *args], capture_output=True, text=True, timeout=120,
                            stdin=subprocess.DEVNULL, env={**os.environ, "SCENMATRIX_CACHE": str(cache)})
    assert "Traceback" not in result.stderr, result.stderr
    return result


def edited(tmp_path: Path, cache: Path, name: str, text: str = VALID_STUDY) -> tuple[Path, Path]:
    """A study one `scenmatrix add` has edited, and the slot that edit left."""
    path = tmp_path / name
    path.write_text(text)
    assert run("add", "actor", "IL", "--name", "Israel", "--kind", "state", "-s", str(path), cache=cache).returncode == 0
    slot = cache / f"{parse_cache._slot_keys(path)[0]}.parse"
    assert slot.is_file()
    return path, slot


def test_validate_of_a_study_re_marked_red_removes_its_cached_parses_and_no_others(tmp_path):
    cache = tmp_path / "cache"
    path, slot = edited(tmp_path, cache, "private.yaml")
    _, other = edited(tmp_path, cache, "other.yaml")
    kept = other.read_bytes()
    path.write_text(path.read_text().replace("marking: TLP:CLEAR", "marking: TLP:RED"))
    assert run("validate", str(path), cache=cache).returncode == 0
    assert sorted(p.name for p in cache.iterdir()) == [other.name] and other.read_bytes() == kept
    assert run("set", "actor", "IL", "--name", "Israel (state)", "-s", str(path), cache=cache).returncode == 0
    assert sorted(p.name for p in cache.iterdir()) == [other.name]  # nor does an edit of it leave one


@pytest.mark.parametrize("plant", ["a link", "garbage", "a command"])
def test_an_edit_discards_a_planted_slot_and_runs_nothing(tmp_path, plant):
    cache = tmp_path / "cache"
    path, slot = edited(tmp_path, cache, "study.yaml")
    data = slot.read_bytes()
    header = data[:data.index(b"\n") + 1]
    target, ran = tmp_path / "target", tmp_path / "ran"
    target.write_bytes(data)
    if plant == "a link":
        # the parse of another text under this text's header: followed, the edit would start from it and
        # fail its cross-check (SCENMATRIX_CROSS_CHECK=1, inherited) or write the wrong study
        _, decoy = edited(tmp_path, cache, "decoy.yaml", VALID_STUDY.replace("name: Russia", "name: Muscovy"))
        decoy_data = decoy.read_bytes()
        target.write_bytes(data := header + decoy_data[decoy_data.index(b"\n") + 1:])
        slot.unlink()
        slot.symlink_to(target)
    else:
        command = pickle.dumps((_Command(f"touch {ran}"), ()))
        slot.write_bytes(header + (b"\x80\x05garbage" if plant == "garbage" else command))
    result = run("add", "impact", "S2/IL", "--effect", "-1", "--domain", "military", "--confidence", "low",
                 "--rationale", "Costs.",
                 "-s", str(path), cache=cache)
    assert result.returncode == 0, result.stderr
    assert target.read_bytes() == data and not ran.exists()
    assert not slot.is_symlink() and slot.read_bytes() != data  # the edit's own parse replaced the plant
    assert "IL:" in path.read_text().split("impacts:")[-1] and "Muscovy" not in path.read_text()


def test_a_cache_folder_of_someone_else_is_neither_read_nor_written(tmp_path):
    if os.geteuid() != 0:
        pytest.skip("only root can give a folder away")
    cache = tmp_path / "cache"
    path, slot = edited(tmp_path, cache, "study.yaml")
    os.chown(cache, 65534, 65534)
    before = {p.name: p.read_bytes() for p in cache.iterdir()}
    result = run("add", "actor", "UA", "--name", "Ukraine", "--kind", "state", "-s", str(path), cache=cache)
    assert result.returncode == 0, result.stderr
    assert {p.name: p.read_bytes() for p in cache.iterdir()} == before


class _Command:
    """A pickle that runs a shell command when pickle.loads reads it."""

    def __init__(self, command: str):
        self.command = command

    def __reduce__(self) -> tuple:
        return os.system, (self.command,)
