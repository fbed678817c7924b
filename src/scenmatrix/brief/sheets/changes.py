"""The `changes` sheet: what changed in the study since a git revision."""

from __future__ import annotations

from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from scenmatrix.brief.context import FIRST_DATA_ROW, Context
from scenmatrix.brief.sheets.layout import fit_rows, heading
from scenmatrix.brief.template import Sheet
from scenmatrix.brief.xlsx.cells import put


def write_changes(ws: Worksheet, spec: Sheet, ctx: Context) -> None:
    """What changed in the study since a git revision (`scenmatrix brief --since REV`), one row a field."""
    from scenmatrix.study.diff import change_rows

    heading(ws, ctx, f"{spec.title} since {spec.table}" if spec.table else spec.title)
    rows = change_rows(ctx.template.changes)
    if not rows:
        put(ws, 4, 1, "No changes." if spec.table else "Build with `scenmatrix brief --since REV` to list "
                                                         "what changed since a git revision.", "sm_text")
        return
    headers = ("Change", "Kind", "Id", "Field", "Before", "After")
    widths = {1: 10, 2: 12, 3: 14, 4: 14, 5: 40, 6: 40}  # one page wide
    for col, width in widths.items():
        ws.column_dimensions[get_column_letter(col)].width = width
    for c, header in enumerate(headers, 1):
        put(ws, 3, c, header, "sm_header")
    for r, row in enumerate(rows, FIRST_DATA_ROW):
        for c, value in enumerate(row, 1):
            put(ws, r, c, value, "sm_body")
    fit_rows(ws, FIRST_DATA_ROW, FIRST_DATA_ROW + len(rows) - 1, widths)
    ws.auto_filter.ref = f"A3:F{FIRST_DATA_ROW + len(rows) - 1}"
    ws.freeze_panes = "A4"
    ws.print_title_rows = "3:3"
