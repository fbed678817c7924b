"""Positions of the problems in a big invalid study without a round-trip parse of all of it.

The fast path reads a big study as plain data in seconds, and the checks find its problems on that data;
only their positions need ruamel, whose round-trip parse of 35 MB takes minutes. So each problem is placed
by parsing just the entry that holds it: its top-level entry, or in a big top-level entry (`scenarios:`,
`actors:`) the sub-entry, behind the section's key line, and the piece's line numbers moved to where the
piece sits in the file. The positions are the full parse's exactly (tests/unit/store/test_piecewise.py
compares them on every malformed study of the suite's corpus); where a piece cannot be told apart for
certain, the caller falls back to the full parse.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Optional

from scenmatrix.errors import Problem
from scenmatrix.store.document import Document, round_trip_yaml
from scenmatrix.store.messages import Loc, Locator
from scenmatrix.study.values import plain

# From this size an invalid study is placed piece by piece (a smaller one's full parse takes under a second
# or two); the threshold is a module global so that tests can place small studies the same way.
PIECEWISE_FROM = 2 * 1024 * 1024
# A top-level entry bigger than this is cut into its sub-entries for placing.
BIG_ENTRY = 64 * 1024

_KEY_START = r"(?=[A-Za-z0-9_\"'])"
_PLAIN_KEY = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.\-]*")


class Unplaceable(Exception):
    """A location whose entry cannot be found for certain in the text: use the full parse."""


def problems(path: Path, text: str, tree: Optional[dict] = None) -> Optional[list[Problem]]:
    """The problems of a study the fast path reads as plain data (`tree`, where the caller has it already),
    placed piece by piece; None where the fast path cannot read it, where it is valid, or where a problem
    cannot be placed for certain."""
    from scenmatrix.store import fastpath
    from scenmatrix.store.checks import validate_document

    tree = fastpath.fast_tree(text) if tree is None else tree
    if tree is None:
        return None
    document = Document(path, text, tree)
    try:
        _, found = validate_document(document, PieceLocator(document))
    except Unplaceable:
        return None
    return found or None


def schema_problems(path: Path, text: str, tree: dict, errors: list[dict]) -> Optional[list[Problem]]:
    """The problems of a study whose plain data passed every check but the schema's: pydantic's `errors`
    on `tree` placed piece by piece, as `validate_document` reports them; None where one cannot be placed
    for certain. Only the entries holding an error are read in `tree`: elsewhere it may hold models."""
    document = Document(path, text, tree)
    locate = PieceLocator(document)
    try:
        # string_unicode (a lone surrogate) is check_characters' to report, as in validate_document
        found = [locate.from_pydantic(error) for error in errors if error["type"] != "string_unicode"]
    except Unplaceable:
        return None
    return sorted(found) or None


class PieceLocator(Locator):
    """A Locator for a document whose tree is plain data: each position from a parse of its entry alone."""

    def __init__(self, document: Document):
        super().__init__(document)
        self._pieces: dict[tuple[int, int], Locator] = {}
        self._tops = _entries(document.text, 0, len(document.text), 0)

    def position(self, loc: Loc, key: bool = False) -> tuple[int, int]:
        if not loc:
            return 1, 1
        text = self.document.text
        key_line, start, end = self._find(self._tops, loc[0])
        heads: list[str] = []  # the key lines of the entries cut into, each before the next
        depth, indent = 1, 0
        while depth < len(loc) and end - start > BIG_ENTRY:
            body = text.find("\n", key_line, end) + 1
            inner = _indent(text, body, end) if body else 0
            if inner <= indent:
                break  # not a block mapping below: the entry is the piece
            heads.append(text[key_line:body])
            key_line, start, end = self._find(_entries(text, body, end, inner), loc[depth])
            depth, indent = depth + 1, inner
        line, col = self._piece(start, end, heads, loc[:depth]).position(loc, key)
        return text.count("\n", 0, start) + line - len(heads), col

    def _piece(self, start: int, end: int, heads: list[str], keys: Loc) -> Locator:
        """The entry's own parse, once it is known to hold exactly what the whole study's plain data has there."""
        if (start, end) not in self._pieces:
            piece = "".join(heads) + self.document.text[start:end]
            try:
                tree = round_trip_yaml().load(piece)
            except Exception:  # a cut inside a multi-line scalar, say: the full parse decides
                raise Unplaceable(keys) from None
            if not _holds_only(tree, self.document.tree, keys):
                raise Unplaceable(keys)
            self._pieces[(start, end)] = Locator(Document(self.document.path, piece, tree))
        return self._pieces[(start, end)]

    @staticmethod
    def _find(entries: list[tuple[Any, int, int, int]], key: Any) -> tuple[int, int, int]:
        found = [(line, start, end) for name, line, start, end in entries if name == key]
        if len(found) != 1:
            raise Unplaceable(key)
        return found[0]


def _holds_only(piece: Any, whole: Any, keys: Loc) -> bool:
    """The piece's tree is the whole's along `keys` and nothing else: one key a level, the same data below."""
    for key in keys:
        if not (isinstance(piece, dict) and isinstance(whole, dict) and list(piece) == [key] and key in whole):
            return False
        piece, whole = piece[key], whole[key]
    return plain(piece) == plain(whole)


def _entries(text: str, begin: int, end: int, indent: int) -> list[tuple[Any, int, int, int]]:
    """(key, key line start, start, end) of every entry at `indent` in text[begin:end]; a key that is not
    plain or simply quoted is None (so never found). An entry runs to the next; the first takes what comes
    before it."""
    # Searched as a line break and the indentation, then the key's first character: Python's re scans
    # for a literal fast, where `^` (re.M) would be tried at every character of a big study.
    line = re.compile("\n" + " " * indent + _KEY_START)
    starts = [m.start() + 1 for m in line.finditer(text, max(begin - 1, 0), end)]
    if begin == 0 and re.compile(" " * indent + _KEY_START).match(text, 0, end):
        starts.insert(0, 0)
    bounds = [begin] + starts[1:] + [end] if starts else []
    return [(_key(text, s + indent), s, a, b) for s, a, b in zip(starts, bounds, bounds[1:])]


def _key(text: str, at: int) -> Optional[str]:
    quote = text[at]
    if quote in "\"'":
        close = text.find(quote, at + 1)
        inner = text[at + 1:close]
        simple = close > at and _PLAIN_KEY.fullmatch(inner) and text.startswith(":", close + 1)
        return inner if simple else None
    match = _PLAIN_KEY.match(text, at)
    return match.group() if match and text.startswith(":", match.end()) else None


def _indent(text: str, start: int, end: int) -> int:
    """The indentation of the first content line from start; 0 where the body is not a block mapping."""
    for line in text[start:min(end, start + 64 * 1024)].split("\n"):
        content = line.lstrip(" ")
        if content and not content.startswith("#"):
            return len(line) - len(content) if _PLAIN_KEY.match(content) or content[0] in "\"'" else 0
    return 0
