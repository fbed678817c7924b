"""What the sheets share in their layout: the heading, section titles, row heights, small data blocks."""

from __future__ import annotations

import math
from typing import Any, Iterable, Optional, Sequence, Union

from openpyxl.utils import get_column_letter
from openpyxl.worksheet.pagebreak import Break
from openpyxl.worksheet.worksheet import Worksheet

from scenmatrix.brief.context import Context
from scenmatrix.brief.xlsx.cells import lines_needed, put
from scenmatrix.brief.xlsx.rows import type_style

LINE_HEIGHT = 13.5  # points per wrapped line at 10 pt

# The printed page (A4 landscape, margins in inches as page_setup sets them). A column `w` characters wide
# prints about 7 pt a character in LibreOffice without Calibri (its substitute's digits are wider) and 5.25
# in Excel: planning with the wider keeps type at 8 pt or more in both.
PAGE_WIDTH, PAGE_HEIGHT = 841.9, 595.3
SIDE_MARGIN, TOP_MARGIN = 0.5, 0.75
PRINT_WIDTH = PAGE_WIDTH - 2 * 72 * SIDE_MARGIN
PRINT_HEIGHT = PAGE_HEIGHT - 2 * 72 * TOP_MARGIN
PT_PER_CHAR = 7.0
MIN_SCALE = 0.8      # shrink a sheet to one page width only down to this: 10-pt type stays 8 pt
FIT_SCALE = 0.84     # what the widths plan for: LibreOffice's fitted scale comes out some 4 % under ours
MIN_WRAP = 12.0      # a wrapping text column is narrowed to fit the page down to this many characters
CHART_MAX_CM = 15.5  # a chart's height, so that it fits a page below its break (PRINT_HEIGHT is 17.2 cm)


def printed_width(widths: Iterable[float]) -> float:
    return sum(widths) * PT_PER_CHAR


def fit_widths(widths: dict[int, float], text_lengths: dict[int, float],
               floors: Optional[dict[int, float]] = None) -> dict[int, float]:
    """The widths narrowed, if they can be, to fit one page width at FIT_SCALE: only the text columns
    (`text_lengths`: column -> its texts' mean length) give, each getting a width in proportion to its
    texts' length (so that their rows need about as many lines), not under its floor (MIN_WRAP, or what
    `floors` says) nor over its own width. When even the floors do not fit, the widths are kept: the sheet
    then prints across pages (fit_page)."""
    floors = floors or {}
    budget = PRINT_WIDTH / FIT_SCALE / PT_PER_CHAR
    give = {c: max(MIN_WRAP, floors.get(c, 0.0)) for c in text_lengths if widths[c] > max(MIN_WRAP, floors.get(c, 0.0))}
    room = budget - sum(w for c, w in widths.items() if c not in give)
    if sum(widths.values()) <= budget or not give or room < sum(give.values()):
        return dict(widths)

    def spread(k: float) -> dict[int, float]:
        return {c: min(widths[c], max(floor, k * max(text_lengths[c], 1.0))) for c, floor in give.items()}

    low, high = 0.0, max(widths[c] / max(text_lengths[c], 1.0) for c in give)
    for _ in range(40):  # bisection: the total width grows with k
        mid = (low + high) / 2
        low, high = (mid, high) if sum(spread(mid).values()) <= room else (low, mid)
    fitted = spread(low)
    return {c: (round(fitted[c], 1) if c in fitted else w) for c, w in widths.items()}


def fit_page(ws: Worksheet, widths: Iterable[float], title_columns: Optional[str] = None) -> None:
    """One page wide when that keeps the scale at MIN_SCALE or more (planned at FIT_SCALE); otherwise printed at 100 % across
    as many pages as it takes, `title_columns` ("A:B") repeated on each."""
    if printed_width(widths) * FIT_SCALE <= PRINT_WIDTH + 1:
        return  # page_setup's default: one page wide
    ws.sheet_properties.pageSetUpPr.fitToPage = False
    ws.page_setup.fitToWidth = ws.page_setup.fitToHeight = None
    ws.page_setup.scale = 100
    if title_columns:
        ws.print_title_cols = title_columns


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


def rows_height(ws: Worksheet, last: int) -> float:
    """Points from row 1 to `last`, as set (a row without a height: 15)."""
    return sum(ws.row_dimensions[r].height or 15.0 for r in range(1, last + 1))


def pages_tall(ws: Worksheet, last: int, most: int = 1) -> int:
    """The fewest pages, up to `most`, that rows 1 to `last` fit at FIT_SCALE or more (0: more than that)."""
    height = rows_height(ws, last)
    return next((n for n in range(1, most + 1) if height * FIT_SCALE <= n * PRINT_HEIGHT), 0)


def page_break_before(ws: Worksheet, row: int) -> None:
    """A manual page break above `row` (a chart that starts there is not split)."""
    if row > 1:
        ws.row_breaks.append(Break(id=row - 1))


RESERVED_ROW = 15.0  # points: the height given to the rows under a chart, so that its span is known


def chart_on_page(ws: Worksheet, chart: Any, row: int) -> int:
    """Put `chart` at column A of `row` with a page break above it, its height capped to fit that page;
    the rows it covers get a known height. Returns the first row below it."""
    chart.height = min(chart.height, CHART_MAX_CM)
    page_break_before(ws, row)
    rows = math.ceil(chart.height / 2.54 * 72 / RESERVED_ROW) + 2
    for r in range(row, row + rows):
        ws.cell(row=r, column=1)
        ws.row_dimensions[r].height = RESERVED_ROW
    # a row's space above it: a chart starting right at the page's top edge is also drawn, clipped, at
    # the bottom of the page before (LibreOffice)
    ws.add_chart(chart, f"A{row + 1}")
    return row + rows


def set_widths(ws: Worksheet, widths: dict[int, float]) -> None:
    for col, width in widths.items():
        ws.column_dimensions[get_column_letter(col)].width = width


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
    or in the format of their column), tall enough for their text at the columns' widths (set before)."""
    formats = [number_format] * len(headers) if isinstance(number_format, str) else list(number_format)
    widths = [ws.column_dimensions[get_column_letter(c)].width or 13 for c in range(1, len(headers) + 1)]
    for c, header in enumerate(headers, 1):
        put(ws, top, c, header, header_style(type_style(rows[0][c - 1])) if rows else "sm_header")
    ws.row_dimensions[top].height = max(2, *(lines_needed(h, w) for h, w in zip(headers, widths))) * LINE_HEIGHT + 4
    for r, values in enumerate(rows, top + 1):
        for c, value in enumerate(values, 1):
            cell = put(ws, r, c, value, type_style(value))
            if isinstance(value, float) and formats[c - 1]:
                cell.number_format = formats[c - 1]
    fit_rows(ws, top + 1, top + len(rows), dict(enumerate(widths, 1)))
