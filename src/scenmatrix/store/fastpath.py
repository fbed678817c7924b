"""A fast path for loading studies that are valid: rapidyaml (C++) instead of ruamel (pure Python).

ruamel's round-trip parser keeps every position, which pointed errors need, at about 1 s per
megabyte. rapidyaml parses the same text some 30 times faster but keeps no positions, and its
typing of plain scalars is not YAML 1.2's. So the fast path is only ever a shortcut to "valid":
whenever the text uses a construct where the two parsers could disagree, or the study turns out
to have any problem, the caller falls back to the round-trip parse, which reports the problems
with their positions. A study is never loaded with different values than the slow path gives
(tests/unit/store/test_fastload.py compares the two).

rapidyaml's tree takes some five bytes per byte of text, so a big study is parsed a piece at a
time (`_chunks`): its tree never exists whole.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import re
import sys
from typing import Any, Iterator, Optional

from scenmatrix.bulk import gc_paused

CHUNK_CHARS = 1024 * 1024  # a piece's tree is ~5 MB; far smaller pieces cost time in per-piece overhead

# Every test of the text below is a substring search or a regex that starts with a literal: Python's
# re scans for a literal fast, but tries a pattern starting with a character class at every one of
# a big study's 35 million characters (a quarter of a second per pattern).

# Anchors, aliases, tags, directives, complex keys, and the reserved indicators `@` and `` ` `` (which
# YAML forbids at the start of a plain scalar and rapidyaml accepts), at the start of a node.
_NODE_MARKS = "&*!@`%?"
_NODE_START = "\n:-,[{"
# A closing bracket where a block node starts (`rationale: ] closed`): ruamel refuses it, rapidyaml reads
# text. After `[`, `{` or `,` it closes a flow collection, which both parsers read alike.
_CLOSERS = "]}"
_CLOSER_START = "\n:-"
# Line breaks other than \n (ruamel folds them) and tabs.
_ODD_SPACE = "\t\r\x85\u2028\u2029"
_DOCUMENT_MARKER = re.compile(r"\n(?:%|---|\.\.\.)")
# Block-scalar indentation and keep indicators.
_BLOCK_INDICATOR = (re.compile(r"\|(?:[-+]?[0-9]|\+)"), re.compile(r">(?:[-+]?[0-9]|\+)"))
# Nesting far deeper than a study's (~7 levels): rapidyaml's memory grows with it; ruamel refuses at 100.
_DEEP_INDENT = " " * 120
_NESTED_FLOW = (re.compile(r"\[[ ]*[\[{]"), re.compile(r"\{[ ]*[\[{]"))  # two openers in a row: rare, then
_DEEP_FLOW = re.compile(r"(?:[\[{][ ]*){40}")  # this slow check


def _unsafe(text: str) -> bool:
    """Whether the text uses a construct whose meaning could differ between the parsers."""
    if "<<" in text or text.startswith(("%", "---")) or any(c in text for c in _ODD_SPACE):
        return True
    if _DOCUMENT_MARKER.search(text) or any(p.search(text) for p in _BLOCK_INDICATOR):
        return True
    if text.startswith(_DEEP_INDENT) or "\n" + _DEEP_INDENT in text:
        return True
    if any(p.search(text) for p in _NESTED_FLOW) and _DEEP_FLOW.search(text):
        return True
    return _node_property(text) or _flow_comment(text)


def _node_property(text: str) -> bool:
    """A node-property mark (`&`, `*`, `!`, ...) or a closing bracket at the start of a line or after an
    indicator, past spaces."""
    return _led_by(text, _NODE_MARKS, _NODE_START) or _led_by(text, _CLOSERS, _CLOSER_START)


def _led_by(text: str, marks: str, starts: str) -> bool:
    for mark in marks:
        at = text.find(mark)
        while at >= 0:
            before = at
            while before and text[before - 1] == " ":
                before -= 1
            if before == 0 or text[before - 1] in starts:
                return True
            at = text.find(mark, at + 1)
    return False


def _flow_comment(text: str) -> bool:
    """A comment after a flow collection's opening bracket on its line (or on the line before a comment
    line): the parsers disagree on where such a comment starts."""
    checked_to = -1  # every line starting before this is checked: each line is read once
    at = text.find("#", 1)
    while at >= 0:
        if text[at - 1].isspace():
            start = text.rfind("\n", 0, at - 1) + 1  # the line holding the space before the '#'
            if start > checked_to:
                end = text.find("\n", start)
                checked_to = start if end < 0 else end
                code = text[start:at - 1].split("#", 1)[0]
                if "[" in code or "{" in code:
                    return True
        at = text.find("#", at + 1)
    return False


# Bytes that YAML allows in a file, besides those of non-ASCII characters (checked below): ruamel refuses
# a file with any other, even in a comment, which rapidyaml would skip.
_PRINTABLE_BYTES = bytes(range(0x20, 0x7F)) + b"\t\n\r" + bytes(range(0x80, 0x100))
# Non-ASCII characters YAML refuses, as UTF-8 (surrogates as "surrogatepass" writes them): C1 controls but
# U+0085, surrogates, U+FFFE and U+FFFF.
_UNPRINTABLE_UTF8 = (re.compile(rb"\xc2[\x80-\x84\x86-\x9f]"), re.compile(rb"\xed[\xa0-\xbf]"),
                     re.compile(rb"\xef\xbf[\xbe\xbf]"))


def _unprintable(text: str) -> bool:
    data = text.encode("utf-8", "surrogatepass")
    if data.translate(None, _PRINTABLE_BYTES):
        return True
    return not text.isascii() and any(p.search(data) for p in _UNPRINTABLE_UTF8)


# Plain scalars that ruamel types as null, bool, number, timestamp or YAML 1.1's `=` value, while
# rapidyaml leaves them text (or spells them as JSON text): as a JSON string, with its quotes. Numbers
# are matched broadly: every word that starts as ruamel's numbers do (0x1, 0b1, -_1, ._5, 1e3, 6:30, .inf).
# A match starts at a quote that no backslash escapes (the opening quote of a string, a closing one
# never starts a match) and never leaves the string:
_JSON_CHARS = r'(?:[^"\\]|\\.)*'  # a JSON string's characters, escapes included
_TYPED_JSON = re.compile(
    r'"(?<!\\")(?=[~=nNtTfF0-9+.\-])(?:~|=|null|Null|NULL|true|True|TRUE|false|False|FALSE'
    r"|[-+.0-9][0-9A-Za-z_.:+\-]*"
    rf"|[0-9]{{4}}-[0-9]{{1,2}}-[0-9]{{1,2}}[Tt ]{_JSON_CHARS}"
    r')(?=")')
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")

# Where the split into pieces may fall: before a line that starts an entry (a key's first character).
_KEY_START = r"""[A-Za-z0-9_"']"""
_TOP_ENTRY = re.compile(r"\n(?=" + _KEY_START + ")")


class _Doubt(Exception):
    """The fast parse might not mean what the round-trip parse means: use the slow path."""


def fast_tree(text: str) -> Optional[dict]:
    """The study as plain data, or None where the round-trip parser must decide."""
    if _unsafe(text) or _unprintable(text):
        return None
    try:
        import ryml
    except ImportError:
        return None
    data: dict = {}
    owners: dict[Any, Optional[int]] = {}
    parser = _Parser(ryml)
    try:
        with gc_paused():
            for section, chunk in _chunks(text):
                _merge(data, owners, parser.parse(chunk), section)
    except Exception:  # a parse error, invalid JSON (e.g. `+2`), a duplicate key, a doubtful scalar or date
        return None
    return data


def _chunks(text: str) -> Iterator[tuple[Optional[int], str]]:
    """The text in pieces of about CHUNK_CHARS, each with its section (None: whole top-level entries).

    A big top-level entry (`scenarios:`) is cut before the lines that start its own entries, and each
    piece repeats its key line. A cut that falls inside a multi-line quoted or flow scalar leaves its
    piece unterminated, which rapidyaml refuses; anywhere else, a line at an entry's indentation that
    starts like a key can only start an entry.
    """
    keys = ([0] if re.match(_KEY_START, text) else []) + [m.end() for m in _TOP_ENTRY.finditer(text)]
    starts = [0] + keys[1:]  # the first entry takes the comments before it
    group = 0  # the start of the small entries not yet given out
    for start, end in zip(starts, starts[1:] + [len(text)]):
        if end - start <= CHUNK_CHARS:
            if end - group > CHUNK_CHARS and group < start:
                yield None, text[group:start]
                group = start
            continue
        if group < start:
            yield None, text[group:start]
        group = end
        head = keys[0] if start == 0 and keys else start
        yield from ((start, piece) for piece in _section_pieces(text, start, head, end))
    if group < len(text):
        yield None, text[group:]


def _section_pieces(text: str, start: int, head: int, end: int) -> Iterator[str]:
    """A big top-level entry (its key line at `head`) in pieces of whole sub-entries, each after the key line."""
    body = text.find("\n", head, end) + 1
    indent = _body_indent(text, body, end) if body and text[head:body].rstrip(" \n").endswith(":") else 0
    if not indent:
        yield text[start:end]
        return
    key_line = text[head:body]
    entry = re.compile("\n" + " " * indent + "(?=" + _KEY_START + ")")
    cut = start
    lines = [match.start() + 1 for match in entry.finditer(text, body - 1, end)]
    for line in lines[1:]:  # each piece holds an entry: the first, the comments before it
        if line - cut > CHUNK_CHARS:
            yield (key_line if cut > start else "") + text[cut:line]
            cut = line
    yield (key_line if cut > start else "") + text[cut:end]


def _body_indent(text: str, start: int, end: int) -> int:
    """The indentation of the first content line from start (0 where the body is not a block mapping)."""
    for line in text[start:min(end, start + 64 * 1024)].split("\n"):
        content = line.lstrip(" ")
        if content and not content.startswith("#"):
            return len(line) - len(content) if re.match(_KEY_START, content) else 0
    return 0


class _Parser:
    """rapidyaml with one tree and one output buffer for all pieces: memory freed between pieces would
    not return to the system, the Python objects made meanwhile sitting between."""

    def __init__(self, ryml: Any):
        self.ryml = ryml
        self.tree = ryml.Tree()
        self.buffer = bytearray()

    def parse(self, chunk: str) -> Any:
        """One piece as plain data, dates where the model wants them; _Doubt where ruamel may read it otherwise."""
        tree = self.tree
        tree.clear()
        tree.clear_arena()
        with _quiet_stderr():  # rapidyaml prints its errors itself; the slow path will explain them
            self.ryml.parse_in_arena(chunk, tree=tree)
            failed, size = self.ryml.emit_json_to_substr(tree, tree.root_id(), self.buffer)
            if failed:
                self.buffer = bytearray(size + size // 4)
                failed, size = self.ryml.emit_json_to_substr(tree, tree.root_id(), self.buffer)
        emitted = str(memoryview(self.buffer)[:size], "utf-8")
        dates = _plain_dates(tree)
        # Every text that could be typed must be one of those dates: each is such a text, so equal counts
        # mean there is no other.
        if sum(1 for _ in _TYPED_JSON.finditer(emitted)) != dates:
            raise _Doubt("typed plain scalar")
        data = json.loads(emitted, object_pairs_hook=_unique)
        if _read_dates(data) != dates:
            raise _Doubt("date")
        return data


def _unique(pairs: list[tuple[str, Any]]) -> dict:
    mapping = dict(pairs)
    if len(mapping) != len(pairs):
        raise _Doubt("duplicate key")
    return mapping


def _plain_dates(tree: Any) -> int:
    """How many of the model's date fields (study.as_of, study.sources.*.date) hold a plain YYYY-MM-DD,
    which ruamel reads as a date (quoted, or as a block scalar, it is text)."""
    study = _child(tree, tree.root_id(), "study")
    sources = _child(tree, study, "sources")
    fields = [_child(tree, study, "as_of")]
    if sources is not None and tree.is_map(sources):
        fields += [_child(tree, source, "date") for source in _children(tree, sources)]
    return sum(1 for node in fields if node is not None and tree.is_keyval(node) and tree.is_val_plain(node)
               and _ISO_DATE.fullmatch(bytes(tree.val(node)).decode("utf-8")))


def _child(tree: Any, node: Optional[int], key: str) -> Optional[int]:
    if node is None or not tree.is_map(node):
        return None
    found = tree.find_child(node, key)
    return None if found == _NONE else found


def _children(tree: Any, node: int) -> Iterator[int]:
    child = tree.first_child(node)
    while child != _NONE:
        yield child
        child = tree.next_sibling(child)


_NONE = 2 ** 64 - 1  # rapidyaml's "no node"


def _read_dates(data: Any) -> int:
    """The model's date fields that hold YYYY-MM-DD text, made dates; how many."""
    study = data.get("study") if isinstance(data, dict) else None
    if not isinstance(study, dict):
        return 0
    sources = study.get("sources")
    fields = [(study, "as_of")]
    if isinstance(sources, dict):
        fields += [(source, "date") for source in sources.values() if isinstance(source, dict)]
    count = 0
    for holder, key in fields:
        value = holder.get(key)
        if isinstance(value, str) and _ISO_DATE.fullmatch(value):
            holder[key] = dt.date.fromisoformat(value)  # ValueError for 2024-02-30: the slow path explains
            count += 1
    return count


def _merge(data: dict, owners: dict[Any, Optional[int]], part: Any, section: Optional[int]) -> None:
    """A parsed piece into the study's data: a key seen before only as the next piece of its own section."""
    if not isinstance(part, dict) or (section is not None and len(part) != 1):
        raise _Doubt("not a mapping")
    for key, value in part.items():
        if key not in data:
            data[key], owners[key] = value, section
        elif (section is not None and owners[key] == section and isinstance(value, dict)
              and isinstance(data[key], dict) and data[key].keys().isdisjoint(value)):
            data[key].update(value)
        else:
            raise _Doubt("duplicate key")


@contextlib.contextmanager
def _quiet_stderr() -> Iterator[None]:
    sys.stderr.flush()
    saved = os.dup(2)
    try:
        with open(os.devnull, "wb") as null:
            os.dup2(null.fileno(), 2)
            yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
