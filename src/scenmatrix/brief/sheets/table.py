"""The `table` sheet: one of the brief's tables as an Excel table, its rows streamed, linked and editable."""

from __future__ import annotations

import warnings
from typing import Iterator

import numpy as np
import pandas as pd
from openpyxl.formatting.rule import CellIsRule
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.table import Table, TableColumn, TableStyleInfo
from openpyxl.worksheet.worksheet import Worksheet

from scenmatrix.brief.context import FIRST_DATA_ROW, Context
from scenmatrix.brief.marker import EDITABLE, add_validations
from scenmatrix.brief.sheets.layout import LINE_HEIGHT, fit_page, fit_widths, header_style, heading, set_widths
from scenmatrix.brief.sheets.links import cell_link, link_budget
from scenmatrix.brief.tables import ANALYSIS_TABLES, NUMBER_FORMATS, label
from scenmatrix.brief.template import Sheet
from scenmatrix.brief.xlsx.cells import lines_needed, put
from scenmatrix.brief.xlsx.rows import Block, text_lines
from scenmatrix.errors import Problem, TemplateError

STATUS_FILLS = {"observed": "F4B183", "emerging": "FFE699", "not observed": "EDEDED"}


def write_table(ws: Worksheet, spec: Sheet, ctx: Context) -> None:
    """A data table as an Excel table with filters and a frozen header; its rows are streamed."""
    frame = _table_frame(spec, ctx)
    headers = list(spec.columns.values()) if spec.columns else [label(field) for field in frame.columns]
    heading(ws, ctx, spec.title)
    widths, lengths, floors = {}, {}, {}
    for c, (field, header) in enumerate(zip(frame.columns, headers), 1):
        put(ws, 3, c, header, header_style(_value_style(frame[field])))
        widths[c] = _auto_width(header, frame[field], spec.widths.get(field))
        # text wraps (pandas 3: str dtype); LibreOffice does not wrap a linked cell, so links keep their width
        if frame[field].dtype.kind not in "iufb" and field != "effect" and _link_table(spec, field) is None:
            lengths[c] = float(frame[field].astype(str).str.len().mean()) if len(frame) else 0.0
            floors[c] = max(map(len, str(header).split()), default=0) + 2.0  # no header word broken
    widths = fit_widths(widths, lengths, floors)  # text wraps into taller rows rather than the page shrinking
    set_widths(ws, widths)
    fit_page(ws, widths.values(), "A:A")
    ws.row_dimensions[3].height = max(lines_needed(h, widths[c + 1]) for c, h in enumerate(headers)) * LINE_HEIGHT + 4
    ws.stream(FIRST_DATA_ROW, len(frame), lambda: _table_blocks(spec, frame, widths, ctx))
    last = FIRST_DATA_ROW + max(len(frame), 1) - 1
    _status_colours(ws, frame, last)
    ref = f"A3:{get_column_letter(len(headers))}{last}"
    table = Table(displayName=_table_name(spec.title), ref=ref,
                  tableColumns=[TableColumn(id=i, name=h) for i, h in enumerate(headers, 1)],
                  tableStyleInfo=TableStyleInfo(name="TableStyleLight1", showRowStripes=True))
    with warnings.catch_warnings():  # openpyxl warns in write-only mode even when the columns are given
        warnings.filterwarnings("ignore", "In write-only mode you must add table columns manually")
        ws.add_table(table)
    _editable(ws, spec, list(frame.columns), headers, last, ctx)
    ws.freeze_panes = "B4" if spec.table in ("impacts",) else "A4"
    ws.print_title_rows = "3:3"


BLOCK_ROWS = 2_000  # rows serialised at a time: memory stays flat however long the table


def _value_style(column: pd.Series) -> str | None:
    """The named style of a column's cells: the effect scale's, or None (each cell's by its value's type)."""
    if column.name == "effect":
        return "sm_effect"
    kind = column.dtype.kind
    return "sm_number" if kind == "f" else "sm_int" if kind in "iu" else None


def _table_blocks(spec: Sheet, frame: pd.DataFrame, widths: dict[int, float], ctx: Context) -> Iterator[Block]:
    """The data rows a block at a time, with links to the rows they name and the heights their text needs."""
    columns = list(frame.columns)
    styles = ["sm_effect" if field == "effect" else None for field in columns]
    formats = [NUMBER_FORMATS.get(field) for field in columns]
    targets = link_budget([_link_table(spec, field) for field in columns], len(frame))
    link_font = Font(name=ctx.style.font, size=ctx.style.size, color="0563C1", underline="single")
    values = [frame[field].tolist() for field in columns]  # plain Python values, not numpy scalars
    for start in range(0, len(frame), BLOCK_ROWS):
        chunk = [column[start:start + BLOCK_ROWS] for column in values]
        lines = np.ones(len(chunk[0]))
        for c, column in enumerate(chunk):
            if any(isinstance(v, str) for v in column):
                lines = np.maximum(lines, text_lines(column, widths[c + 1]))
        links = [None if target is None else [cell_link(ctx, target, v) for v in column]
                 for target, column in zip(targets, chunk)]
        yield Block(FIRST_DATA_ROW + start, chunk, styles, links, np.minimum(409, lines * LINE_HEIGHT + 3).tolist(),
                    link_font, formats if any(formats) else None)


def _link_table(spec: Sheet, field: str):
    """Impacts link to their first evidence; indicators and impacts to their scenario and actor."""
    target = {"evidence": "evidence", "scenario": "scenarios", "actor": "actors"}.get(field)
    return target if target != spec.table else None


def _editable(ws: Worksheet, spec: Sheet, columns: list[str], headers: list[str], last: int, ctx: Context) -> None:
    """Dropdowns on the columns a reviewer may change; the first sheet of each table is what import reads
    (by the headers recorded here), and a later sheet of the same table is recorded so that import can say
    that edits there are not read."""
    table = EDITABLE.get(spec.table)
    if table is None or not set(table.keys) <= set(columns):
        return
    if spec.table in ctx.editable:
        ctx.editable[spec.table]["ignored_sheets"].append(spec.title)
        return
    add_validations(ws, spec.table, columns, FIRST_DATA_ROW, last, ctx.study)
    ctx.editable[spec.table] = {"sheet": spec.title, "columns": columns, "headers": [str(h) for h in headers],
                                "header_row": 3, "ignored_sheets": []}


def _table_name(title: str) -> str:
    return "T_" + "".join(ch if ch.isalnum() else "_" for ch in title)


def _table_frame(spec: Sheet, ctx: Context) -> pd.DataFrame:
    if spec.table not in ctx.tables and spec.table not in ANALYSIS_TABLES:
        raise TemplateError([Problem(str(ctx.template.path), 1, 1, "template",
                                     f"sheet {spec.title!r}: unknown table {spec.table!r}",
                                     f"tables: {', '.join([*ctx.tables, *ANALYSIS_TABLES])}")])
    frame = ctx.table(spec.table)
    if not spec.columns:
        return frame
    unknown = [c for c in spec.columns if c not in frame.columns]
    if unknown:
        raise TemplateError([Problem(str(ctx.template.path), 1, 1, "template",
                                     f"sheet {spec.title!r}: table {spec.table!r} has no column {unknown[0]!r}",
                                     f"columns: {', '.join(frame.columns)}")])
    return frame[list(spec.columns)]


def _status_colours(ws: Worksheet, frame: pd.DataFrame, last: int) -> None:
    """Indicator status coloured by a rule, so the colour follows the value if a reviewer changes it."""
    if "status" not in frame.columns:
        return
    col = get_column_letter(list(frame.columns).index("status") + 1)
    rng = f"{col}{FIRST_DATA_ROW}:{col}{last}"
    for status, colour in STATUS_FILLS.items():
        ws.conditional_formatting.add(rng, CellIsRule(operator="equal", formula=[f'"{status}"'],
                                                      fill=PatternFill("solid", bgColor=colour)))


def _auto_width(header: str, values: pd.Series, fixed: float | None) -> float:
    """The template's width, or the longest value's (capped), wide enough for the header in at most
    three lines without breaking a word."""
    if fixed:
        return fixed
    texts = [v if isinstance(v, str) else str(v) for v in values.tolist()]
    longest = max(map(len, texts), default=0)
    if "\n" in "".join(texts):  # a text's longest line, not its length, sets the width
        longest = max(len(line) for text in texts for line in text.split("\n"))
    header_needs = max(max(map(len, header.split()), default=0), -(-len(header) // 3))
    return float(min(max(longest, header_needs, 4) + 2, 60))
