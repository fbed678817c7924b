"""The rows of a write-only sheet as SpreadsheetML text, spliced into the sheet openpyxl writes.

openpyxl spends some 25 µs on a cell (a Cell object, descriptors, an lxml element), and a brief of
100,000 impacts has about 1.5 million cells. So in write-only mode everything around the rows stays
openpyxl's — styles, tables, validations, conditional formats, hyperlinks, page setup, charts, the
package — and it writes every sheet with an empty `<sheetData>`; the rows are written here, column by
column where a table is large, into an unnamed temporary file that `SplicingArchive` puts in place of
that empty element when the workbook is saved. The rows use the plainest forms of the schema (ECMA-376
Part 1, §18.3.1.73 row, §18.3.1.4 c): a style index from openpyxl's own style table, numbers,
booleans and inline strings.
"""

from __future__ import annotations

import contextlib
import io
import math
import re
import shutil
import tempfile
from dataclasses import dataclass
from typing import IO, TYPE_CHECKING, Any, Callable, Iterator, Optional

from openpyxl.cell import WriteOnlyCell
from openpyxl.utils import get_column_letter

from scenmatrix.brief.xlsx.cells import ILLEGAL, LINE_CHARS, MAX_CELL_CHARS, checked_text, lines_needed, ooxml_escape
from scenmatrix.study.formulas import RISKY_PREFIXES, is_risky
from scenmatrix.errors import OutputError

if TYPE_CHECKING:
    import numpy as np

# The separator of a column's texts joined into one string, so that C-speed string methods check and
# escape the whole column at once: NUL, which no text that passed the illegal-character check holds.
_SEP = "\x00"
_ILLEGAL_BUT_SEP = re.compile(ILLEGAL.pattern.replace("\x00", "\x01"))
_RISKY_START = re.compile("\x00[" + re.escape("".join(RISKY_PREFIXES)) + "]")


def escape(text: str) -> str:
    """Text as XML character data. A carriage return is written as a reference, as lxml does, so it
    survives the parser's line-end normalisation."""
    if "&" in text:
        text = text.replace("&", "&amp;")
    if "<" in text:
        text = text.replace("<", "&lt;")
    if ">" in text:
        text = text.replace(">", "&gt;")
    if "\r" in text:
        text = text.replace("\r", "&#13;")
    return text


def _text_cell(ref: str, style: int, escaped: str, preserve: bool) -> str:
    s = f' s="{style}"' if style else ""
    t = '<t xml:space="preserve">' if preserve else "<t>"
    return f'<c r="{ref}"{s} t="inlineStr"><is>{t}{escaped}</t></is></c>'


def number_text(value: float | int, where: Callable[[], str]) -> str:
    """A number as a cell's `<v>`: Excel holds no infinity or NaN, so those are refused with a pointer."""
    if isinstance(value, float):
        if not math.isfinite(value):
            raise OutputError(f"{where()}: the number {value} cannot be written to a workbook")
        return "%.16g" % value  # as openpyxl writes numbers: 2.0 reads back as 2, -3.55 not as -3.5500000000000003
    return str(int(value))


def value_cell(ref: str, style: int, value: Any, where: Callable[[], str]) -> str:
    """One cell whose value is already safe (checked by `cells.prepare`): text, number, bool or empty."""
    s = f' s="{style}"' if style else ""
    if hasattr(value, "item") and type(value).__module__ == "numpy":  # analysis tables hold numpy scalars
        value = value.item()
    if value is None or value == "":  # as openpyxl: an empty text is an empty cell
        return f'<c r="{ref}"{s}/>' if style else ""
    if isinstance(value, str):
        return _text_cell(ref, style, escape(value), value[:1].isspace() or value[-1:].isspace())
    if isinstance(value, bool):
        return f'<c r="{ref}"{s} t="b"><v>{int(value)}</v></c>'
    if isinstance(value, (int, float)):
        return f'<c r="{ref}"{s}><v>{number_text(value, where)}</v></c>'
    raise OutputError(f"{where()}: a value of type {type(value).__name__} cannot be written to a workbook")


def row_xml(row: int, cells: str, height: Optional[float]) -> str:
    if height is None:
        return f'<row r="{row}">{cells}</row>'
    return f'<row r="{row}" ht="{height:g}" customHeight="1">{cells}</row>'


# ---------------------------------------------------------------- styles


class StyleIds:
    """Cell styles (a named style plus overrides) as openpyxl style arrays and as the index of each in
    the workbook's style table: computed once per combination, not once per cell."""

    def __init__(self, ws):
        self._ws = ws
        self._cache: dict[tuple, tuple[Any, int, tuple]] = {}

    def array(self, style: Optional[str] = None, quote: bool = False, number_format: Optional[str] = None,
              font=None, fill=None, alignment=None):
        return self._entry(style, quote, number_format, font, fill, alignment)[0]

    def id(self, style: Optional[str] = None, quote: bool = False, number_format: Optional[str] = None,
           font=None, fill=None, alignment=None) -> int:
        return self._entry(style, quote, number_format, font, fill, alignment)[1]

    def _entry(self, style, quote, number_format, font, fill, alignment):
        overrides = (font, fill, alignment)
        # Identity keys are cheap; the cache holds the objects, so an id is never reused meanwhile.
        key = (style, quote, number_format, *map(id, overrides))
        if key not in self._cache:
            proto = WriteOnlyCell(self._ws)
            if style:
                proto.style = style
            for name, value in zip(("font", "fill", "alignment"), overrides):
                if value is not None:
                    setattr(proto, name, value)
            if number_format is not None:
                proto.number_format = number_format
            if quote:
                proto.quotePrefix = True
            self._cache[key] = (proto._style, proto.style_id if proto.has_style else 0, overrides)
        return self._cache[key]


# ---------------------------------------------------------------- tables, column by column


@dataclass
class Block:
    """Consecutive rows of a table, column by column: values (None: empty), a named style per column
    (None: by the value's type), each row's link target per linking column, and the rows' heights."""

    first: int
    columns: list[list[Any]]
    styles: list[Optional[str]]
    links: list[Optional[list[Optional[str]]]]
    heights: list[Optional[float]]
    link_font: Any = None
    formats: Optional[list[Optional[str]]] = None  # a number format per column, over its style's

    def __len__(self) -> int:
        return len(self.heights)


def type_style(value: Any) -> str:
    if isinstance(value, float):
        return "sm_number"
    return "sm_int" if isinstance(value, int) and not isinstance(value, bool) else "sm_body"


def block_xml(block: Block, ids: StyleIds, title: str, hyperlinks: list) -> str:
    """The block's rows as XML; its links are appended to `hyperlinks` (openpyxl writes those)."""
    from openpyxl.worksheet.hyperlink import Hyperlink

    rows = range(block.first, block.first + len(block))
    formats = block.formats or [None] * len(block.columns)
    columns = []
    for c, values in enumerate(block.columns, 1):
        letter = get_column_letter(c)
        links = block.links[c - 1]
        if links is not None:
            hyperlinks += [Hyperlink(ref=f"{letter}{r}", location=to) for r, to in zip(rows, links) if to]
        column = _Column(letter, rows, block.styles[c - 1], formats[c - 1], links, block.link_font, ids, title)
        columns.append(column.xml(values))
    return "".join(row_xml(r, "".join(cells), h) for r, h, *cells in zip(rows, block.heights, *columns))


@dataclass
class _Column:
    """One column of a block: its cells' XML, by the quickest path its values allow."""

    letter: str
    rows: range
    style: Optional[str]
    number_format: Optional[str]
    links: Optional[list[Optional[str]]]
    link_font: Any
    ids: StyleIds
    title: str

    def xml(self, values: list) -> list[str]:
        kinds = set(map(type, values))
        if kinds == {str}:
            return self._texts(values)
        if self.links is None and kinds <= {int, float} and all(map(_finite_or_nan, values)):
            return self._numbers(values)
        return [self._cell(r, v, link) for r, v, link in zip(self.rows, values, self.links or [None] * len(values))]

    def _id(self, named: str, quote: bool = False, link: Optional[str] = None) -> int:
        return self.ids.id(named, quote, self.number_format, self.link_font if link else None)

    def _cell(self, row: int, value: Any, link: Optional[str]) -> str:
        ref = f"{self.letter}{row}"
        where = lambda: f"{self.title}!{ref}"  # noqa: E731
        named = self.style or type_style(value)  # an empty float (NaN) keeps its number style
        if isinstance(value, float) and math.isnan(value):
            value = None
        if isinstance(value, str):
            value = ooxml_escape(checked_text(value, where))
            return value_cell(ref, self._id(named, is_risky(value), link), value, where)
        return value_cell(ref, self._id(named, link=link), value, where)

    def _numbers(self, values: list) -> list[str]:
        kinds = set(map(type, values))
        if self.style is None and len(kinds) > 1:  # each cell's style follows its type
            return [self._cell(r, v, None) for r, v in zip(self.rows, values)]
        sid = self._id(self.style or type_style(values[0]))
        cell = f'<c r="{self.letter}%d"' + (f' s="{sid}"' if sid else "")
        if kinds == {int}:
            return [f"{cell % r}><v>{v}</v></c>" for r, v in zip(self.rows, values)]
        empty = f"{cell}/>" if sid else ""  # NaN: an empty cell, styled like its column
        return [f"{cell % r}><v>{'%.16g' % v}</v></c>" if v == v else (empty and empty % r)
                for r, v in zip(self.rows, values)]

    def _texts(self, texts: list[str]) -> list[str]:
        """Checked and escaped as one joined string; only odd cells are looked at one by one."""
        joined, letter = _SEP.join(texts), self.letter
        if (_ILLEGAL_BUT_SEP.search(joined) or joined.count(_SEP) != len(texts) - 1
                or max(map(len, texts)) * 2 > MAX_CELL_CHARS):
            for r, text in zip(self.rows, texts):  # find the cell and say what is wrong with it
                checked_text(text, f"{self.title}!{letter}{r}")
        if "_x" in joined:
            texts = [ooxml_escape(t) for t in texts]
            joined = _SEP.join(texts)
        escaped = escape(joined).split(_SEP)
        preserve = [t[:1].isspace() or t[-1:].isspace() for t in texts]  # faster than any regex over `joined`
        # Risky text starts with one of a few characters or holds '#': most columns have none at all.
        maybe_risky = joined[:1] in RISKY_PREFIXES or "#" in joined or _RISKY_START.search(joined)
        risky = [is_risky(t) for t in texts] if maybe_risky else [False] * len(texts)
        named = self.style or "sm_body"
        if self.links is None and not any(risky) and "" not in texts:
            sid = self._id(named)
            s = f' s="{sid}"' if sid else ""
            return [f'<c r="{letter}{r}"{s} t="inlineStr"><is><t>{e}</t></is></c>' if not p
                    else _text_cell(f"{letter}{r}", sid, e, p) for r, e, p in zip(self.rows, escaped, preserve)]
        links = self.links or [None] * len(texts)
        return [_text_cell(f"{letter}{r}", self._id(named, q, link), e, p) if t else
                value_cell(f"{letter}{r}", self._id(named, link=link), None, lambda: self.title)
                for r, t, e, p, q, link in zip(self.rows, texts, escaped, preserve, risky, links)]


def _finite_or_nan(value: float) -> bool:
    return value != value or math.isfinite(value)


WORD_WRAP_ROWS = 5_000  # up to this many rows a block's texts are wrapped word by word, as `lines_needed`


def text_lines(values: list, width: float) -> "np.ndarray":
    """Per value, the lines its text wraps to in a column `width` characters wide (1 for non-text)."""
    import numpy as np

    usable = max(LINE_CHARS * width - 1.0, 1.0)
    if (len(values) > WORD_WRAP_ROWS and all(type(v) is str for v in values)
            and "\n" not in "".join(values)):  # long tables: lengths decide, a column at a time
        lengths = np.fromiter(map(len, values), dtype=np.float64, count=len(values))
        return np.maximum(np.ceil(lengths / usable), 1)  # as `lines_needed`, a column at a time
    return np.array([lines_needed(v, width) if isinstance(v, str) else 1 for v in values], dtype=np.float64)


# ---------------------------------------------------------------- the rows' file and the splice


class SheetBodies:
    """Where each write-only sheet's rows wait for the save: openpyxl's file of the sheet -> ours.

    Ours are unnamed temporary files (unlinked as they are made), so that nothing is left behind even
    when the process is killed: a large brief's rows are a hundred megabytes and more."""

    def __init__(self) -> None:
        self.files: dict[str, IO[bytes]] = {}

    @contextlib.contextmanager
    def open(self, sheet_file: str) -> Iterator[IO[str]]:
        raw = tempfile.TemporaryFile()
        self.files[sheet_file] = raw
        text = io.TextIOWrapper(raw, encoding="utf-8", newline="")
        try:
            yield text
        finally:
            text.flush()
            text.detach()  # the text layer goes; the file stays open for the splice

    def cleanup(self) -> None:
        for raw in self.files.values():
            raw.close()


_DRAWINGML = "http://schemas.openxmlformats.org/drawingml/2006/main"
_ROOTS = (("xl/drawings/drawing", '<wsDr xmlns="http://schemas.openxmlformats.org/drawingml/2006/spreadsheetDrawing">'),
          ("xl/charts/chart", '<chartSpace xmlns="http://schemas.openxmlformats.org/drawingml/2006/chart">'))


class SplicingArchive:
    """A ZipFile as openpyxl's ExcelWriter uses it, that puts our rows into the sheets it writes."""

    def __init__(self, archive, bodies: SheetBodies):
        self._archive, self._bodies = archive, bodies

    def __getattr__(self, name: str) -> Any:
        return getattr(self._archive, name)

    def writestr(self, name, data, *args, **kwargs) -> None:
        """As ZipFile.writestr; a drawing or chart declares the DrawingML namespace on its root, where
        Gnumeric looks for it: declared only on each `a:` element (as openpyxl writes it), Gnumeric drops
        the charts (and, in a chart, its titles and line styles)."""
        root = next((r for prefix, r in _ROOTS if str(getattr(name, "filename", name)).startswith(prefix)), None)
        if root is not None:
            text = data.decode("utf-8") if isinstance(data, bytes) else data
            data = text.replace(root, root[:-1] + f' xmlns:a="{_DRAWINGML}">', 1)
        self._archive.writestr(name, data, *args, **kwargs)

    def write(self, filename, arcname=None, *args, **kwargs) -> None:
        body = self._bodies.files.get(str(filename))
        if body is None:
            self._archive.write(filename, arcname, *args, **kwargs)
            return
        with open(filename, "rb") as f:
            frame = f.read()
        for empty in (b"<sheetData></sheetData>", b"<sheetData/>"):
            head, found, tail = frame.partition(empty)
            if found:
                break
        else:
            raise RuntimeError(f"openpyxl wrote {arcname} without an empty sheetData")
        body.seek(0)
        with self._archive.open(arcname, "w", force_zip64=True) as out:
            out.write(head + b"<sheetData>")
            shutil.copyfileobj(body, out, 1 << 20)
            out.write(b"</sheetData>" + tail)
