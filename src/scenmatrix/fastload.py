"""A fast path for loading large studies that are valid: rapidyaml (C++) instead of ruamel (pure Python).

ruamel's round-trip parser keeps every position, which pointed errors need, at about 1 s per
megabyte. rapidyaml parses the same text some 30 times faster but keeps no positions, and its
typing of plain scalars is not YAML 1.2's. So the fast path is only ever a shortcut to "valid":
whenever the text uses a construct where the two parsers could disagree, or the study turns out
to have any problem, the caller falls back to the round-trip parse, which reports the problems
with their positions. A study is never loaded with different values than the slow path gives
(tests/test_fastload.py compares the two).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import re
import sys
from typing import Any, Iterator, Optional

FAST_MIN_CHARS = 256 * 1024  # below this, ruamel takes a quarter of a second at most: not worth a second path

# Constructs whose meaning could differ between the parsers: anchors, aliases, tags, merge keys,
# directives, document markers, tabs, line breaks other than \\n (ruamel folds them), block-scalar indentation/keep indicators. Any of them: slow path.
# (Checked with substring tests first: a regex over a 35 MB file costs seconds.)
# Anchors, aliases, tags, complex keys, and the reserved indicators `@` and `` ` `` (which YAML forbids
# at the start of a plain scalar and rapidyaml accepts) at the start of a node.
_NODE_PROPERTY = re.compile(r"(?m)(?:^[ ]*|[:\-,\[{][ ]*)[&*!@`%?]")
# A comment on a line with a flow collection: the parsers disagree on where such a comment starts.
_FLOW_COMMENT = re.compile(r"(?m)^[^#\n]*[\[{][^\n]*\s#")
# Nesting far deeper than a study's (~7 levels): rapidyaml's memory grows with it; ruamel refuses at 100.
_DEEP = (re.compile(r"(?m)^ {120}"), re.compile(r"(?:[\[{][ ]*){40}"))
_BLOCK_INDICATOR = re.compile(r"[|>](?:[-+]?[0-9]|\+)")
# A quoted value where the model wants a date: YAML would give text (an error), we would not know.
_QUOTED_DATES = (re.compile(r"as_of\s*:\s*[\"']"), re.compile(r"date\s*:\s*[\"']"))


def _unsafe(text: str) -> bool:
    if any(mark in text for mark in "&*!@`%?") and _NODE_PROPERTY.search(text):
        return True
    if "<<" in text or text.startswith(("%", "---")) or any(c in text for c in "\t\r\x85\u2028\u2029"):
        return True
    if any(marker in text for marker in ("\n%", "\n---", "\n...")):
        return True
    nested_flow = any(pair in text for pair in ("[[", "[ [", "{{", "{ {", "[{", "[ {", "{[", "{ ["))
    if _DEEP[0].search(text) or (nested_flow and _DEEP[1].search(text)):
        return True
    if " #" in text and _FLOW_COMMENT.search(text):
        return True
    return bool(_BLOCK_INDICATOR.search(text) or any(p.search(text) for p in _QUOTED_DATES))


# Plain scalars that ruamel types as null, bool, number, date or YAML 1.1's `=` value, while rapidyaml
# leaves them text.
_TYPED_PLAIN = re.compile(
    r"~|=|null|Null|NULL|true|True|TRUE|false|False|FALSE|[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+"
    r"|[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN)"
    r"|[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}(?:[Tt ].*)?")
# The model's only date fields are study.as_of and a source's date; any other key holding a date is
# an unknown field, which validation reports (on the slow path, with its position).
_DATE_KEYS = {"as_of", "date"}
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
# Only text starting with one of these can be a typed plain scalar: a cheap test before the regex.
_TYPED_START = frozenset("~=nNtTfF0123456789+-.")


class _Doubt(Exception):
    """The fast parse might not mean what the round-trip parse means: use the slow path."""


def fast_tree(text: str) -> Optional[dict]:
    """The study as plain data, or None where the round-trip parser must decide."""
    if len(text) < FAST_MIN_CHARS or _unsafe(text):
        return None
    try:
        import ryml
    except ImportError:
        return None
    try:
        with _quiet_stderr():  # rapidyaml prints its errors itself; the slow path will explain them
            tree = ryml.parse_in_arena(text)
            emitted = ryml.emit_json_malloc(tree, tree.root_id())
        if not isinstance(emitted, (str, bytes)):
            emitted = bytes(emitted)
        data = json.loads(emitted, object_pairs_hook=_checked_mapping)
        return data if isinstance(data, dict) else None
    except Exception:  # a parse error, invalid JSON (e.g. `+2`), a duplicate key, a doubtful scalar
        return None


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


def _checked_mapping(pairs: list[tuple[str, Any]]) -> dict:
    """Each mapping as the JSON decoder builds it: unique keys, no doubtful text, dates where wanted."""
    data = dict(pairs)
    if len(data) != len(pairs):
        raise _Doubt("duplicate key")
    for key, value in pairs:
        if _doubtful(key):
            raise _Doubt(key)
        if isinstance(value, str):
            if _doubtful(value):
                if key in _DATE_KEYS and _ISO_DATE.fullmatch(value):
                    data[key] = dt.date.fromisoformat(value)
                else:
                    raise _Doubt(value)
        elif isinstance(value, list) and any(isinstance(v, str) and _doubtful(v) for v in value):
            raise _Doubt(key)
    return data


def _doubtful(text: str) -> bool:
    return bool(text) and text[0] in _TYPED_START and _TYPED_PLAIN.fullmatch(text) is not None
