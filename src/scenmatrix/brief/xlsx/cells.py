"""Writing cells safely: text stays text, nothing a workbook cannot hold reaches the file.

openpyxl stores a string starting with '=' as a formula and one equal to an error code as an
error cell; spreadsheet applications may evaluate '+', '-', '@' prefixes when a cell is edited.
Every string goes through `put`, which forces the text type and sets quotePrefix on risky text.
"""

from __future__ import annotations

import math
import re
from typing import Any, Callable

from openpyxl.cell.cell import Cell
from openpyxl.worksheet.worksheet import Worksheet

from scenmatrix.errors import OutputError
from scenmatrix.store.excel_limits import MAX_CELL_CHARS
from scenmatrix.study.formulas import is_risky

# XML 1.0 forbids these; U+FFFE/U+FFFF and lone surrogates make a file openpyxl itself cannot reopen.
ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


# Excel reads `_xHHHH_` in a cell's text as the character U+HHHH (ECMA-376 ST_Xstring), so text holding
# such a sequence literally ("_x003D_1+1", which Excel would show as "=1+1") is written with its underscore
# escaped as `_x005F_`. openpyxl does not decode on reading: `ooxml_unescape` does what Excel does.
_OOXML_ESCAPE = re.compile(r"_(?=x[0-9A-Fa-f]{4}_)")
_OOXML_CHAR = re.compile(r"_x([0-9A-Fa-f]{4})_")


def ooxml_escape(text: str) -> str:
    return _OOXML_ESCAPE.sub("_x005F_", text) if "_x" in text else text


def ooxml_unescape(text: str) -> str:
    return _OOXML_CHAR.sub(lambda m: chr(int(m.group(1), 16)), text) if "_x" in text else text


def sheet_ref(title: str) -> str:
    """A sheet's title as a formula or link writes it: quoted, an apostrophe in it doubled (`'It''s'`)."""
    return "'" + title.replace("'", "''") + "'"


def checked_text(text: str, where: "str | Callable[[], str]") -> str:
    """The text unchanged, or an OutputError naming where it was bound and what is wrong with it."""
    where_text = where if isinstance(where, str) else None
    bad = ILLEGAL.search(text)
    if bad:
        where_text = where_text or where()  # type: ignore[operator]
        raise OutputError(f"{where_text}: text contains character U+{ord(bad.group()):04X}, which a workbook cannot "
                          "hold — remove it from the study")
    units = len(text) if len(text) * 2 <= MAX_CELL_CHARS else len(text.encode("utf-16-le")) // 2
    if units > MAX_CELL_CHARS:
        where_text = where_text or where()  # type: ignore[operator]
        raise OutputError(f"{where_text}: text is {units:,} characters; an Excel cell holds at most {MAX_CELL_CHARS:,} "
                          "— shorten it in the study")
    return text


def put(ws: Worksheet, row: int, col: int, value: Any, style: str | None = None) -> Cell:
    """Write one value; strings are always stored as text, never as a formula or error."""
    cell = ws.cell(row=row, column=col)
    prepare(cell, value, style, where=lambda: f"{ws.title}!{cell.coordinate}")
    return cell


def prepare(cell: Any, value: Any, style: str | None, where: Callable[[], str]) -> None:
    """Set a cell (real or buffered) to a value safely; `where()` names it in an error."""
    if style:  # first: assigning a named style resets quotePrefix
        cell.style = style
    if isinstance(value, str):
        cell.value = ooxml_escape(checked_text(value, where))
        cell.data_type = "s"
        if is_risky(value):
            cell.quotePrefix = True
    elif isinstance(value, float) and math.isnan(value):
        cell.value = None
    else:
        cell.value = value


def header_footer_text(text: str) -> str:
    """Header/footer codes start with '&': a literal ampersand is written doubled."""
    return text.replace("&", "&&")


LINE_CHARS = 1.1  # characters of 10-pt text a line holds per character of column width, less a margin


def lines_needed(text: str, width: float) -> int:
    """How many lines wrapped text takes in a column `width` characters wide (a slight overestimate):
    wrapped a word at a time, as applications wrap, at `1.1 width - 1` characters a line (a column holds
    about 1.2 `width` characters of 10-pt text: Excel's Calibri, LibreOffice's substitute for it)."""
    usable = max(LINE_CHARS * width - 1.0, 1.0)
    lines = 0
    for part in str(text).split("\n"):
        if len(part) <= usable:
            lines += 1
            continue
        count, filled = 0, None
        for word in part.split(" "):
            if filled is not None and filled + 1 + len(word) <= usable:
                filled += 1 + len(word)
            else:  # a new line; a word longer than a line is broken over several
                pieces = max(1, math.ceil(len(word) / usable))
                count, filled = count + pieces, len(word) - (pieces - 1) * usable
        lines += count
    return lines
