"""Evidence anyone can check (issue 18): `validate` looks for each evidence quote in the local copy of the
source it cites, and the brief's Evidence sheet says in which paragraph. Real processes, real workbooks."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest

from conftest import line_of, mutate

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_STUDY = ROOT / "scenarios" / "russia-iran-2022.yaml"
SOURCE_PATH = "../../shared/sources/russia-iran-2022.txt"  # as the default study writes it
SOURCE = DEFAULT_STUDY.parent / SOURCE_PATH
QUOTE = "an agreement to transfer space technology"  # E06's
MISQUOTE = "an agreement to transfer space techniques"


def scenmatrix(*args: object, cwd: Path) -> subprocess.CompletedProcess:
    done = subprocess.run([sys.executable, "-m", "scenmatrix", *map(str, args)], cwd=cwd, capture_output=True,
                          text=True, encoding="utf-8", timeout=120)
    assert "Traceback" not in done.stdout + done.stderr, done.stderr
    return done


def study_in(tmp_path: Path, text: str | None = None, with_source: bool = True) -> Path:
    """The default study (or `text`) at tmp/work/scenarios/study.yaml, its source where its path leads."""
    study = tmp_path / "work" / "scenarios" / "study.yaml"
    study.parent.mkdir(parents=True)
    study.write_text(text if text is not None else DEFAULT_STUDY.read_text(encoding="utf-8"), encoding="utf-8")
    if with_source:
        (tmp_path / "shared" / "sources").mkdir(parents=True)
        shutil.copy(SOURCE, tmp_path / "shared" / "sources" / SOURCE.name)
    return study


def paragraphs(text: str) -> list[str]:
    """The source's paragraphs as a reader counts them: blocks between blank lines."""
    return [block for block in re.split(r"\n\s*\n", text) if block.strip()]


def test_the_default_study_validates_strictly_with_every_quote_found() -> None:
    assert SOURCE.is_file(), f"the default study cites {SOURCE}"
    done = scenmatrix("validate", "--strict", DEFAULT_STUDY, cwd=ROOT)
    assert (done.returncode, done.stderr) == (0, ""), done.stderr
    assert "valid (4 scenarios" in done.stdout


def test_a_misquote_is_a_warning_at_the_quote_and_fails_only_with_strict(tmp_path: Path) -> None:
    text = mutate(DEFAULT_STUDY.read_text(encoding="utf-8"), f'quote: "{QUOTE}"', f'quote: "{MISQUOTE}"')
    study = study_in(tmp_path, text)
    line = line_of(text, MISQUOTE)
    col = text.splitlines()[line - 1].index('"') + 1
    paragraph = next(n for n, p in enumerate(paragraphs(SOURCE.read_text(encoding="utf-8")), 1) if QUOTE in p)
    expected = (f"study.yaml:{line}:{col}: warning: evidence.E06.quote: {MISQUOTE!r} is not in the text of source "
                f"'khater-2022' ({SOURCE_PATH}) — nearest in the source, paragraph {paragraph}: "
                f"'\"{QUOTE},\"'; copy the quote from the source as written")
    done = scenmatrix("validate", study.name, cwd=study.parent)
    assert done.returncode == 0 and "study.yaml: valid" in done.stdout
    assert len(done.stderr.splitlines()) == 1 and done.stderr.startswith(expected), done.stderr
    strict = scenmatrix("validate", "--strict", study.name, cwd=study.parent)
    assert (strict.returncode, strict.stderr) == (1, done.stderr)


def test_a_quote_retyped_with_other_spacing_case_quotes_and_dashes_is_found(tmp_path: Path) -> None:
    text = mutate(DEFAULT_STUDY.read_text(encoding="utf-8"), 'quote: "20-year agreement with Russia"',
                  "quote: \"\u201c20\u2014YEAR agreement   with\\nRussia,\u201d\"")
    study = study_in(tmp_path, text)
    done = scenmatrix("validate", "--strict", study, cwd=tmp_path)
    assert (done.returncode, done.stderr) == (0, ""), done.stderr


def test_a_missing_local_copy_is_a_warning_at_its_path_and_the_brief_still_builds(tmp_path: Path) -> None:
    study = study_in(tmp_path, with_source=False)
    text = study.read_text(encoding="utf-8")
    line = line_of(text, f"path: {SOURCE_PATH}")
    col = text.splitlines()[line - 1].index("../") + 1
    done = scenmatrix("validate", study.name, cwd=study.parent)
    assert done.returncode == 0
    assert done.stderr.startswith(f"study.yaml:{line}:{col}: warning: study.sources.khater-2022.path: the local copy "
                                  f"of source 'khater-2022' cannot be read ({SOURCE_PATH}: no such file)"), done.stderr
    assert len(done.stderr.splitlines()) == 1  # one warning for the source, none for each of its quotes
    assert scenmatrix("validate", "--strict", study.name, cwd=study.parent).returncode == 1
    brief = scenmatrix("brief", study.name, "-o", "b.xlsx", cwd=study.parent)
    assert brief.returncode == 0, brief.stderr
    column = evidence_column(study.parent / "b.xlsx")
    assert column["E06"] == "not checked: khater-2022 cannot be read"
    assert column["E01"] is None  # no quote: nothing to say


def _fifo(path: Path) -> None:
    os.mkfifo(path)


def _huge(path: Path) -> None:
    with path.open("wb") as handle:
        handle.truncate(21 * 1024 * 1024)  # sparse: over store.sources.MAX_SOURCE_BYTES, no disk used


@pytest.mark.parametrize("make, words", [
    (lambda p: p.mkdir(), "is a folder"),
    (_fifo, "FIFO"),
    (_huge, "over the limit"),
    (lambda p: p.write_bytes(b"text\x00binary"), "binary"),
    (lambda p: p.write_bytes(b"%PDF-1.7\n..."), "a PDF"),
])
def test_a_local_copy_that_is_no_text_file_is_a_warning_not_a_hang_or_a_crash(tmp_path: Path, make, words) -> None:
    study = study_in(tmp_path, with_source=False)
    (tmp_path / "shared" / "sources").mkdir(parents=True)
    make(tmp_path / "shared" / "sources" / SOURCE.name)
    done = scenmatrix("validate", study.name, cwd=study.parent)
    assert done.returncode == 0 and "study.sources.khater-2022.path" in done.stderr and words in done.stderr, done


def test_a_local_copy_in_windows_1252_is_read(tmp_path: Path) -> None:
    study = study_in(tmp_path)
    copy = tmp_path / "shared" / "sources" / SOURCE.name
    copy.write_bytes(copy.read_text(encoding="utf-8").encode("cp1252", "replace"))
    done = scenmatrix("validate", "--strict", study, cwd=tmp_path)
    assert (done.returncode, done.stderr) == (0, ""), done.stderr


def evidence_column(brief: Path, header: str = "Paragraph in source") -> dict[str, object]:
    """Evidence id -> the value of one column of the Evidence sheet, read back by openpyxl."""
    rows = list(openpyxl.load_workbook(brief)["Evidence"].iter_rows(min_row=3, values_only=True))
    at = rows[0].index(header)
    return {row[0]: row[at] for row in rows[1:]}


@pytest.mark.parametrize("template", ["standard", "annex"])
def test_the_evidence_sheet_shows_each_quotes_paragraph_and_marks_a_misquote(tmp_path: Path, template: str) -> None:
    text = mutate(DEFAULT_STUDY.read_text(encoding="utf-8"), f'quote: "{QUOTE}"', f'quote: "{MISQUOTE}"')
    study = study_in(tmp_path, text)
    done = scenmatrix("brief", study.name, "-t", template, "-o", "b.xlsx", cwd=study.parent)
    assert done.returncode == 0, done.stderr
    column = evidence_column(study.parent / "b.xlsx", "Paragraph in source")
    assert column["E06"] == "not found in khater-2022"
    quotes = dict(re.findall(r"\n  (E\d+):\n(?:    .*\n)*?    quote: \"(.*)\"", text))
    assert len(quotes) == 5 and "E06" in quotes
    source = paragraphs(SOURCE.read_text(encoding="utf-8"))
    for eid, quote in quotes.items():
        if eid != "E06":
            where = next(n for n, p in enumerate(source, 1) if quote in " ".join(p.split()))
            assert column[eid] == where and isinstance(column[eid], int), (eid, column[eid])
    assert all(value is None for eid, value in column.items() if eid not in quotes)
