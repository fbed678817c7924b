"""A sheet being built: cells and row heights buffered, everything else passed to the real worksheet.

Sheet writers address cells at random (`ws.cell(row, col)`), but openpyxl's write-only mode, which
keeps a large brief fast and its memory flat, takes rows in order. The grid bridges the two: small
parts (headings, cover) are buffered cell by cell; tables register a stream of row blocks
(sheetxml.Block, column by column) that is produced only when the sheet is flushed. Settings (widths,
freeze panes, rules, tables, charts) go straight to the worksheet, which accepts them before the first
row. A write-only sheet's rows are then written as XML by sheetxml; any other sheet's cell by cell.
"""

from __future__ import annotations

from collections import defaultdict
from copy import copy
from typing import Any, Callable, Iterator, Optional, Union

from openpyxl.utils import get_column_letter

from scenmatrix.brief.xlsx.rows import Block, SheetBodies, StyleIds, block_xml, row_xml, type_style, value_cell


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


class Grid:
    """Stands in for a worksheet while a writer runs; `flush` then writes the rows in order."""

    def __init__(self, ws):
        self._ws = ws
        self._cells: dict[int, dict[int, GridCell]] = defaultdict(dict)
        self.row_dimensions: dict[int, _Height] = defaultdict(_Height)
        self._streams: list[tuple[int, int, Callable[[], Iterator[Block]]]] = []

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

    def stream(self, first: int, count: int, blocks: Callable[[], Iterator[Block]]) -> None:
        """Rows first .. first+count-1 come from `blocks()` at flush time, a block of rows at a time."""
        self._streams.append((first, count, blocks))

    def add_data_validation(self, dv) -> None:
        self._ws.data_validations.append(dv)  # the write-only sheet has no add_data_validation

    # ------------------------------------------------------------------ flushing

    def items(self) -> Iterator[Union[Block, tuple[int, list[GridCell], Optional[float]]]]:
        """Every row in order: buffered rows one by one, streamed ones in blocks."""
        streams = sorted(self._streams, key=lambda s: s[0])
        buffered = sorted(self._cells)
        b = 0
        for first, count, make in streams:
            while b < len(buffered) and buffered[b] < first:
                yield self._buffered(buffered[b])
                b += 1
            yield from make()
            while b < len(buffered) and buffered[b] < first + count:
                b += 1  # a stream owns its rows
        for row in buffered[b:]:
            yield self._buffered(row)

    def _buffered(self, row: int) -> tuple[int, list[GridCell], Optional[float]]:
        cells = self._cells[row]
        height = self.row_dimensions[row].height if row in self.row_dimensions else None
        return row, [cells[c] for c in sorted(cells)], height


def flush(grid: Grid, bodies: Optional[SheetBodies]) -> None:
    """Write the grid's rows: as XML into `bodies` for a write-only sheet, else cell by cell."""
    if bodies is None:
        _set_cells(grid)
    else:
        _write_body(grid, bodies)


def _write_body(grid: Grid, bodies: SheetBodies) -> None:
    ws, ids = grid._ws, StyleIds(grid._ws)
    ws._get_writer()  # creating openpyxl's writer empties the sheet's hyperlinks: ours come after
    links: list = []
    title = ws.title
    with bodies.open(ws._writer.out) as out:
        for item in grid.items():
            if isinstance(item, Block):
                out.write(block_xml(item, ids, title, links))
                continue
            row, cells, height = item
            out.write(row_xml(row, "".join(_cell_xml(spec, ids, title, links) for spec in cells), height))
    ws._hyperlinks.extend(links)
    ws.close()


def _cell_xml(spec: GridCell, ids: StyleIds, title: str, links: list) -> str:
    ref = spec.coordinate
    if spec.hyperlink is not None:
        link = copy(spec.hyperlink)
        link.ref = ref
        links.append(link)
    style = ids.id(spec.style, spec.quotePrefix, spec.number_format, spec.font, spec.fill, spec.alignment)
    return value_cell(ref, style, spec.value, lambda: f"{title}!{ref}")


def _set_cells(grid: Grid) -> None:
    ws, ids = grid._ws, StyleIds(grid._ws)
    for item in grid.items():
        for row, cells, height in (block_cells(item, ws.title) if isinstance(item, Block) else [item]):
            if height is not None:
                ws.row_dimensions[row].height = height
            for spec in cells:
                cell = ws.cell(row=row, column=spec.column)
                cell.value = spec.value
                if spec.data_type:
                    cell.data_type = spec.data_type
                # a normal sheet's cells can be restyled later: each gets its own copy
                cell._style = copy(ids.array(spec.style, spec.quotePrefix, spec.number_format, spec.font,
                                             spec.fill, spec.alignment))
                if spec.hyperlink is not None:
                    cell.hyperlink = copy(spec.hyperlink)
                    cell.hyperlink.ref = cell.coordinate


def block_cells(block: Block, title: str) -> Iterator[tuple[int, list[GridCell], Optional[float]]]:
    """A block as rows of grid cells, through the same safety as `put` (for sheets that are not write-only)."""
    from openpyxl.worksheet.hyperlink import Hyperlink

    from scenmatrix.brief.xlsx.cells import prepare

    for i, height in enumerate(block.heights):
        row, cells = block.first + i, []
        for c, values in enumerate(block.columns, 1):
            cell, value = GridCell(row, c), values[i]
            prepare(cell, value, block.styles[c - 1] or type_style(value), where=lambda c=cell: f"{title}!{c.coordinate}")
            cell.number_format = block.formats[c - 1] if block.formats else None
            link = block.links[c - 1][i] if block.links[c - 1] is not None else None
            if link:
                cell.hyperlink, cell.font = Hyperlink(ref=cell.coordinate, location=link), block.link_font
            cells.append(cell)
        yield row, cells, height
