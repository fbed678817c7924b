"""The `alignment` sheet: which actors gain and lose together, as a matrix and as the strongest pairs."""

from __future__ import annotations

import math

from openpyxl.formatting.rule import ColorScaleRule
from openpyxl.styles import Alignment
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from scenmatrix.analysis.impacts import alignment_scope
from scenmatrix.brief.context import Context
from scenmatrix.brief.sheets.layout import LINE_HEIGHT, data_block, fit_page, heading
from scenmatrix.brief.template import Sheet
from scenmatrix.brief.xlsx.cells import lines_needed, put
from scenmatrix.brief.xlsx.rows import Block


NAME_WIDTH = 44


def write_alignment(ws: Worksheet, spec: Sheet, ctx: Context) -> None:
    """Actor x actor alignment (-1 opposed ... +1 aligned) on a colour scale, then the strongest pairs."""
    heading(ws, ctx, spec.title)
    aligned = ctx.table("alignment")
    names = [ctx.study.actors[a].name for a in aligned.columns]
    put(ws, 3, 1, "Actor", "sm_header")
    name_width = min(max(map(len, names), default=10) + 2, NAME_WIDTH)  # names on one line when they can be
    ws.column_dimensions["A"].width = name_width
    fit_page(ws, [name_width] + [6] * len(names), "A:A")  # many actors: page groups, the names repeated
    for c, name in enumerate(names, 2):
        cell = put(ws, 3, c, name, "sm_header")
        cell.alignment = Alignment(text_rotation=90, horizontal="center", vertical="bottom", wrap_text=True)
        ws.column_dimensions[get_column_letter(c)].width = 6
    ws.row_dimensions[3].height = min(max([len(n) for n in names] + [8]), 40) * 5.6 + 8
    values = aligned.to_numpy().T.tolist()
    for i in range(len(values)):
        values[i][i] = math.nan  # an actor is not aligned with itself: blank, not +1
    heights = [lines_needed(name, name_width) * LINE_HEIGHT + 3 for name in names]
    ws.stream(4, len(names), lambda: [Block(4, [names, *values], ["sm_body"] + ["sm_effect"] * len(values),
                                            [None] * (len(values) + 1), heights,
                                            formats=[None] + ["+0.0;-0.0;0.0"] * len(values))])
    last = 3 + len(names)
    if names:
        low, mid, high = ctx.style.heatmap
        ws.conditional_formatting.add(
            f"B4:{get_column_letter(1 + len(names))}{last}",
            ColorScaleRule(start_type="num", start_value=-1, start_color=low, mid_type="num", mid_value=0,
                           mid_color=mid, end_type="num", end_value=1, end_color=high))
    ws.freeze_panes = "B4"
    ws.print_title_rows = "3:3"
    row = last + 2
    scope = alignment_scope(len(aligned.columns), len(ctx.study.actors))
    put(ws, row, 1, "+1: the two always gain or lose together; -1: one gains where the other loses; "
                    "blank: they share fewer than 2 rated scenarios, too few to tell."
                    + (f" Pairs {scope}." if scope else ""), "sm_subtitle")
    pairs = ctx.table("alignment_pairs")
    rows = [(f"{r.relation}: {r.name_a} – {r.name_b}", float(r.alignment), float(r.intensity), int(r.shared))
            for r in pairs.itertuples()]
    data_block(ws, row + 2, ("Strongest pairs", "Align- ment", "Inten- sity", "Sce- narios"), rows, "+0.0;-0.0;0.0")
