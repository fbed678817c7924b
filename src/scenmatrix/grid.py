"""A sheet being built: cells and row heights buffered, everything else passed to the real worksheet.

Sheet writers address cells at random (`ws.cell(row, col)`), but openpyxl's write-only mode, which
keeps a large brief fast and its memory flat, takes rows in order. The grid bridges the two: small
parts (headings, cover, matrix) are buffered; large tables register a row stream that is produced
only when the sheet is flushed. Settings (widths, freeze panes, rules, tables, charts) go straight
to the worksheet, which accepts them before the first row.
"""

from __future__ import annotations

from collections import defaultdict
from copy import copy
from typing import Any, Callable, Iterable, Iterator, Optional

from openpyxl.cell import WriteOnlyCell
from openpyxl.utils import get_column_letter


class GridCell:
    """What a writer sets on a cell; applied to a real cell when the sheet is flushed."""

    __slots__ = ("row", "column", "value", "data_type", "style", "quotePrefix", "hyperlink", "font", "fill",
                 "alignment", "number_format")

    def __init__(self, row: int, column: int):
        self.row, self.column = row, column
        self.value: Any = None
        self.data_type = self.style = self.hyperlink = self.font = self.fill = self.alignment = None
        self.number_format = None
        self.quotePrefix = False

    @property
    def coordinate(self) -> str:
        return f"{get_column_letter(self.column)}{self.row}"


class _Height:
    __slots__ = ("height",)

    def __init__(self) -> None:
        self.height: Optional[float] = None


# A streamed row: the cells of that row (row and column already set) and its height.
StreamedRow = tuple[list[GridCell], Optional[float]]


class Grid:
    """Stands in for a worksheet while a writer runs; `flush` then writes the rows in order."""

    def __init__(self, ws):
        self._ws = ws
        self._cells: dict[int, dict[int, GridCell]] = defaultdict(dict)
        self.row_dimensions: dict[int, _Height] = defaultdict(_Height)
        self._streams: list[tuple[int, int, Callable[[], Iterator[StreamedRow]]]] = []

    def __getattr__(self, name: str) -> Any:  # title, column_dimensions, add_table, page_setup, ...
        return getattr(self._ws, name)

    def __setattr__(self, name: str, value: Any) -> None:
        if name.startswith("_") or name == "row_dimensions":
            object.__setattr__(self, name, value)
        else:
            setattr(self._ws, name, value)

    def cell(self, row: int, column: int) -> GridCell:
        cells = self._cells[row]
        if column not in cells:
            cells[column] = GridCell(row, column)
        return cells[column]

    def stream(self, first: int, count: int, rows: Callable[[], Iterator[StreamedRow]]) -> None:
        """Rows first .. first+count-1 come from `rows()` at flush time, never all in memory."""
        self._streams.append((first, count, rows))

    def add_data_validation(self, dv) -> None:
        self._ws.data_validations.append(dv)  # the write-only sheet has no add_data_validation

    # ------------------------------------------------------------------ flushing

    def rows(self) -> Iterator[tuple[int, list[GridCell], Optional[float]]]:
        """Every row in order: buffered rows and streamed ones, with their heights."""
        streams = sorted(self._streams, key=lambda s: s[0])
        buffered = sorted(self._cells)
        b = 0
        for first, count, make in streams:
            while b < len(buffered) and buffered[b] < first:
                yield self._buffered(buffered[b])
                b += 1
            for offset, (cells, height) in enumerate(make()):
                yield first + offset, cells, height
            while b < len(buffered) and buffered[b] < first + count:
                b += 1  # a stream owns its rows
        for row in buffered[b:]:
            yield self._buffered(row)

    def _buffered(self, row: int) -> tuple[int, list[GridCell], Optional[float]]:
        cells = self._cells[row]
        return row, [cells[c] for c in sorted(cells)], self.row_dimensions[row].height if row in \
            self.row_dimensions else None


def flush(grid: Grid, write_only: bool) -> None:
    """Write the grid's rows into its worksheet: appended in order (write-only) or cell by cell."""
    ws, styles = grid._ws, _StyleCache(grid._ws)
    if not write_only:
        for row, cells, height in grid.rows():
            if height is not None:
                ws.row_dimensions[row].height = height
            for spec in cells:
                cell = ws.cell(row=row, column=spec.column)
            _apply(spec, cell, styles)
            cell._style = copy(cell._style)  # a normal sheet's cells can be restyled later: own copies
        return
    _append_rows(grid, ws, styles)


def _append_rows(grid: Grid, ws, styles: "_StyleCache") -> None:
    next_row = 1
    for row, cells, height in grid.rows():
        while next_row < row:
            ws.append([])
            next_row += 1
        if height is not None:
            ws.row_dimensions[row].height = height
        out: list[Any] = []
        for spec in cells:
            out += [None] * (spec.column - 1 - len(out))
            cell = WriteOnlyCell(ws)
            cell.row, cell.column = row, spec.column  # so a hyperlink knows its own reference
            _apply(spec, cell, styles)
            out.append(cell)
        ws.append(out)
        next_row = row + 1


_TYPES = {str: "s", int: "n", float: "n", bool: "b", type(None): "n"}


def _apply(spec: GridCell, cell, styles: "_StyleCache") -> None:
    kind = _TYPES.get(type(spec.value))
    if kind is not None and spec.data_type in (None, kind):
        # The text was checked by `prepare`; skip openpyxl's second pass over every value.
        cell._value, cell.data_type = spec.value, kind
    else:
        cell.value = spec.value
        if spec.data_type:
            cell.data_type = spec.data_type
    cell._style = styles.style(spec)  # shared, never mutated: the writer only reads it
    if spec.hyperlink is not None:
        cell.hyperlink = copy(spec.hyperlink)
        cell.hyperlink.ref = cell.coordinate


class _StyleCache:
    """A cell's style (named style plus overrides) computed once per combination, not once per cell."""

    def __init__(self, ws):
        self._ws = ws
        self._cache: dict[tuple, tuple[Any, tuple]] = {}

    def style(self, spec: GridCell):
        overrides = (spec.font, spec.fill, spec.alignment)
        # Identity keys are cheap; the cache holds the objects, so an id is never reused meanwhile.
        key = (spec.style, spec.quotePrefix, spec.number_format, *map(id, overrides))
        if key not in self._cache:
            proto = WriteOnlyCell(self._ws)
            if spec.style:
                proto.style = spec.style
            for name, value in zip(("font", "fill", "alignment"), overrides):
                if value is not None:
                    setattr(proto, name, value)
            if spec.number_format is not None:
                proto.number_format = spec.number_format
            if spec.quotePrefix:
                proto.quotePrefix = True
            self._cache[key] = (proto._style, overrides)
        return self._cache[key][0]


def stream_cells(title: str, row: int, values: Iterable[tuple[Any, Optional[str]]]) -> list[GridCell]:
    """Grid cells for one streamed row from (value, style) pairs, through the same safety as `put`."""
    from .cells import prepare

    out = []
    for column, (value, style) in enumerate(values, 1):
        cell = GridCell(row, column)
        prepare(cell, value, style, where=lambda c=cell: f"{title}!{c.coordinate}")
        out.append(cell)
    return out
