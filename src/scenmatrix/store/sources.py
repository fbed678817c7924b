"""The local copies of a study's sources (study.sources.<id>.path), read to check the evidence quotes.

Reading is bounded and never blocks (files.read_regular): a missing file, a folder, a FIFO, a device or
a huge file is a warning at the source's `path`, never a crash. Finding the quotes is study/quotes.py's.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

from scenmatrix.errors import Problem
from scenmatrix.store import files
from scenmatrix.store.document import Document
from scenmatrix.store.messages import Locator, key_path
from scenmatrix.study.model import Study
from scenmatrix.study.quotes import SourceText, short, source_text

MAX_SOURCE_BYTES = 20 * 1024 * 1024  # a long report as text is a few MB


class _Unreadable(Exception):
    def __init__(self, message: str, hint: Optional[str] = None):
        super().__init__(message)
        self.message, self.hint = message, hint


@dataclass
class QuoteCheck:
    """Where each evidence quote was found in its source's local copy, and what could not be checked."""

    found: dict[str, int] = field(default_factory=dict)  # evidence id -> 1-based paragraph of the source
    missing: dict[str, str] = field(default_factory=dict)  # evidence id -> the source id it is not found in
    nearest: dict[str, tuple[int, str]] = field(default_factory=dict)  # evidence id -> a near passage, if any
    unchecked: dict[str, str] = field(default_factory=dict)  # evidence id -> the unreadable source it cites
    unreadable: dict[str, tuple[str, Optional[str]]] = field(default_factory=dict)  # source id -> (why, hint)


def source_file(study_path: Path | str, path: str) -> Path:
    """Where a source's `path` leads: relative to the folder of the study file (an absolute path as is)."""
    return Path(study_path).parent / path


def check_quotes(study_path: Path | str, study: Study) -> QuoteCheck:
    """Every quote of evidence citing a source with a local copy, looked for in that copy's text."""
    out = QuoteCheck()
    texts: dict[str, SourceText] = {}
    for sid, source in study.study.sources.items():
        if source.path is None:
            continue
        try:
            texts[sid] = source_text(_read(source_file(study_path, source.path)))
        except _Unreadable as exc:
            out.unreadable[sid] = (exc.message, exc.hint)
    for eid, evidence in study.evidence.items():
        sid = evidence.cited_in
        if evidence.quote is None or sid is None:
            continue
        if sid in out.unreadable:
            out.unchecked[eid] = sid
        elif sid in texts:
            paragraph = texts[sid].paragraph_of(evidence.quote)
            if paragraph is None:
                out.missing[eid] = sid
                near = texts[sid].nearest(evidence.quote)
                if near is not None:
                    out.nearest[eid] = near
            else:
                out.found[eid] = paragraph
    return out


def quote_warnings(document: Document, study: Study) -> list[Problem]:
    """Warnings for quotes not found in their source, and for local copies that cannot be read."""
    if not any(source.path is not None for source in study.study.sources.values()):
        return []  # the common case: nothing to read
    check = check_quotes(document.path, study)
    locate = Locator(document)
    out = []
    for sid, (message, hint) in check.unreadable.items():
        loc = ("study", "sources", sid, "path")
        out.append(locate.problem(loc, "source-file", f"{key_path(loc)}: the local copy of source {sid!r} cannot be "
                                  f"read ({study.study.sources[sid].path}: {message}); its quotes are not checked",
                                  hint or "check the path: it is relative to the study file", severity="warning"))
    for eid, sid in check.missing.items():
        loc = ("evidence", eid, "quote")
        quote = study.evidence[eid].quote or ""
        hint = ("copy the quote from the source as written (spacing, case, curly quotes and dashes do not count), "
                "or correct cited_in")
        if eid in check.nearest:
            paragraph, passage = check.nearest[eid]
            hint = f"nearest in the source, paragraph {paragraph}: {short(passage)!r}; " + hint
        out.append(locate.problem(loc, "quote", f"{key_path(loc)}: {short(quote)!r} is not in the text of source "
                                  f"{sid!r} ({study.study.sources[sid].path})", hint, severity="warning"))
    return out


def _read(path: Path) -> str:
    """A source's text: UTF-8 (a BOM dropped), else Windows-1252; refused if not a text file."""
    try:
        data = files.read_regular(path, MAX_SOURCE_BYTES, _Unreadable, "source file",
                                  "check the path: it is relative to the study file")
    except ValueError:  # a path holding a NUL character
        raise _Unreadable("not a valid path") from None
    if data.startswith(b"%PDF"):
        raise _Unreadable("a PDF, not text", "save the source's text as a .txt file and point `path` at it")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise _Unreadable("UTF-16 text, not UTF-8", "save the local copy as UTF-8 text")
    if b"\x00" in data:
        raise _Unreadable("a binary file, not text", "save the source's text as a .txt file and point `path` at it")
    try:
        return data.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError:
        raise _Unreadable("not UTF-8 or Windows-1252 text", "save the local copy as UTF-8 text") from None
