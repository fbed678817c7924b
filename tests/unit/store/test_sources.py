"""Quote warnings come out the same from every way a study is loaded: the fast path for big studies keeps
its shortcut to "valid" only when the quotes are found, and falls back to the positioned warnings otherwise."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from scenmatrix.store import fastpath as fastload
from scenmatrix.store import loader
from scenmatrix.store.loader import load
from scenmatrix.store.report import check_studies
from scenmatrix.store.sources import check_quotes

ROOT = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(ROOT / "benchmarks"))
from generate import study_text  # noqa: E402

SOURCE_TEXT = "First paragraph.\n\nThe officials said the \u201cdrones were delivered\u201d in July.\n"


def big_study(tmp_path: Path, quote: str) -> Path:
    """A generated study of 300 impacts whose source has a local copy and whose first evidence quotes it."""
    text = study_text(300, 5)
    text = text.replace("author: benchmarks/generate.py}", "author: benchmarks/generate.py, path: gen.txt}", 1)
    assert "path: gen.txt" in text
    text = text.replace(", grade: B2}", f", grade: B2, quote: '{quote}'}}", 1)
    (tmp_path / "gen.txt").write_text(SOURCE_TEXT, encoding="utf-8")
    path = tmp_path / "big.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def warnings_of(path: Path, fast: bool) -> list[str]:
    with pytest.MonkeyPatch.context() as patch:
        if not fast:
            patch.setattr(fastload, "fast_tree", lambda text: None)
        return [str(w) for w in load(path).warnings]


def test_a_big_study_whose_quotes_are_found_keeps_the_fast_path(tmp_path: Path, monkeypatch) -> None:
    path = big_study(tmp_path, "drones were delivered")
    monkeypatch.setattr(loader, "parse", None)  # the slow path would fail
    loaded = load(path)
    assert loaded.document.tree is None and not loaded.warnings
    assert check_quotes(path, loaded.study).found == {"E0": 2}


def test_a_big_study_with_a_misquote_warns_the_same_either_way(tmp_path: Path) -> None:
    path = big_study(tmp_path, "drones were sold")
    fast, slow = warnings_of(path, fast=True), warnings_of(path, fast=False)
    assert fast == slow and len(fast) == 1
    line = next(n for n, text in enumerate(path.read_text().splitlines(), 1) if "drones were sold" in text)
    assert fast[0].startswith(f"{path}:{line}:") and "evidence.E0.quote: 'drones were sold' is not in" in fast[0]


def test_a_big_study_with_a_missing_copy_warns_the_same_either_way(tmp_path: Path) -> None:
    path = big_study(tmp_path, "drones were delivered")
    (tmp_path / "gen.txt").unlink()
    fast = warnings_of(path, fast=True)
    assert fast == warnings_of(path, fast=False) and len(fast) == 1 and "study.sources.gen.path" in fast[0]
    assert check_studies([path]).warnings and not check_studies([path]).problems


def test_a_source_without_a_local_copy_reads_nothing(tmp_path: Path, monkeypatch) -> None:
    from scenmatrix.store import sources

    path = big_study(tmp_path, "drones were sold")
    path.write_text(path.read_text().replace(", path: gen.txt", ""), encoding="utf-8")
    monkeypatch.setattr(sources, "_read", None)  # any read would fail
    assert load(path).warnings == []
