"""What the sheets share in their layout: the heading, section titles, row heights, small data blocks."""

from __future__ import annotations

from typing import Optional, Sequence, Union

from openpyxl.worksheet.worksheet import Worksheet

from scenmatrix.brief.context import Context
from scenmatrix.brief.xlsx.cells import lines_needed, put
from scenmatrix.brief.xlsx.rows import type_style

LINE_HEIGHT = 13.5  # points per wrapped line at 10 pt


def heading(ws: Worksheet, ctx: Context, title: str) -> None:
    """Rows 1 and 2 of every sheet: its title, and the study's title, date and marking."""
    put(ws, 1, 1, title, "sm_title")
    put(ws, 2, 1, ctx.subtitle(), "sm_subtitle")
    ws.row_dimensions[1].height = 24


def fit_rows(ws: Worksheet, first: int, last: int, widths: dict[int, float]) -> None:
    """Row heights that show all wrapped text: openpyxl sets none, and applications do not autofit on open."""
    for row in range(first, last + 1):
        lines = 1
        for col, width in widths.items():
            value = ws.cell(row=row, column=col).value
            if isinstance(value, str) and value:
                lines = max(lines, lines_needed(value, width))
        ws.row_dimensions[row].height = min(409, lines * LINE_HEIGHT + 3)


def section(ws: Worksheet, row: int, title: str) -> int:
    """A section title at `row`; returns the next free row."""
    put(ws, row, 1, title, "sm_section")
    ws.row_dimensions[row].height = 20
    return row + 1


# The header over a column of cells in a named style, aligned as they are: numbers right, scores centred.
HEADER_STYLES = {"sm_number": "sm_header_number", "sm_int": "sm_header_centred", "sm_effect": "sm_header_centred"}


def header_style(value_style: Optional[str]) -> str:
    return HEADER_STYLES.get(value_style or "", "sm_header")


def data_block(ws: Worksheet, top: int, headers: tuple, rows: list[tuple],
               number_format: Union[str, Sequence[Optional[str]]]) -> None:
    """A small table: headers at `top` aligned as their values, the rows below (floats in `number_format`,
    or in the format of their column), tall enough for column A."""
    formats = [number_format] * len(headers) if isinstance(number_format, str) else list(number_format)
    for c, header in enumerate(headers, 1):
        put(ws, top, c, header, header_style(type_style(rows[0][c - 1])) if rows else "sm_header")
    ws.row_dimensions[top].height = 2 * LINE_HEIGHT + 4
    for r, values in enumerate(rows, top + 1):
        for c, value in enumerate(values, 1):
            cell = put(ws, r, c, value, type_style(value))
            if isinstance(value, float) and formats[c - 1]:
                cell.number_format = formats[c - 1]
    fit_rows(ws, top + 1, top + len(rows), {1: 40})
