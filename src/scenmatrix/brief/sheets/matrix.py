"""The `matrix` sheet (scenarios x actors as a heatmap) and the `summary` sheet, the executive page
built around the same heatmap."""

from __future__ import annotations

from openpyxl.formatting.rule import ColorScaleRule
from openpyxl.styles import Alignment
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from scenmatrix.brief.context import Context
from scenmatrix.brief.sheets.layout import LINE_HEIGHT, header_style, heading, section
from scenmatrix.brief.sheets.links import cell_link, links_fit
from scenmatrix.brief.sheets.review import MARK_LEGEND, disagreement_cells, mark
from scenmatrix.brief.template import Sheet
from scenmatrix.brief.xlsx.cells import lines_needed, put
from scenmatrix.brief.xlsx.rows import Block, type_style
from scenmatrix.study import vocab


def write_matrix(ws: Worksheet, spec: Sheet, ctx: Context) -> None:
    heading(ws, ctx, spec.title)
    rated = int(ctx.matrix.notna().to_numpy().sum())
    _heatmap(ws, spec, ctx, 3, with_links=links_fit(rated))


def _heatmap(ws: Worksheet, spec: Sheet, ctx: Context, top: int, with_links: bool) -> int:
    """Scenarios x actors with likelihood columns and expected-impact rows; returns the next free row."""
    study, matrix = ctx.study, ctx.matrix
    fixed = ["Scenario", "Title", "Likelihood", "Band", "Confidence"]
    widths = [10, 34, 16, 10, 11]
    names = [study.actors[a].name for a in matrix.columns]
    for c, (header, width) in enumerate(zip(fixed + names, widths + [6] * len(names)), 1):
        cell = put(ws, top, c, header, "sm_header")
        ws.column_dimensions[get_column_letter(c)].width = width
        if c > len(fixed):  # actor names stand upright so that many actors fit on one page width
            cell.alignment = Alignment(text_rotation=90, horizontal="center", vertical="bottom", wrap_text=True)
    ws.row_dimensions[top].height = min(max([len(n) for n in names] + [8]), 40) * 5.6 + 8
    first = top + 1
    ws.stream(first, len(matrix.index), lambda: [_heatmap_block(ctx, first, with_links)])
    ctx.heatmaps.append({"sheet": spec.title, "first_row": first, "first_col": len(fixed) + 1,
                         "scenarios": list(matrix.index), "actors": list(matrix.columns)})
    last = first + max(len(matrix.index), 1) - 1
    first_actor, last_actor = get_column_letter(len(fixed) + 1), get_column_letter(len(fixed) + len(names))
    if names:
        low, mid, high = ctx.style.heatmap
        ws.conditional_formatting.add(
            f"{first_actor}{first}:{last_actor}{last}",
            ColorScaleRule(start_type="num", start_value=vocab.EFFECT_MIN, start_color=low,
                           mid_type="num", mid_value=0, mid_color=mid,
                           end_type="num", end_value=vocab.EFFECT_MAX, end_color=high))
    marked = _mark_disagreements(ws, ctx, first, len(fixed) + 1)
    row = last + 2
    for label, column in (("Expected impact", "expected"), ("  range low", "low"), ("  range high", "high")):
        put(ws, row, 2, label, "sm_label")
        for c, value in enumerate(ctx.expected.loc[list(matrix.columns), column].tolist(), len(fixed) + 1):
            put(ws, row, c, value, "sm_number")
        row += 1
    legend = "Cells: effect on the actor, -3 severe harm … +3 major gain; blank = not rated."
    legend += " Click a cell for its rationale." if with_links else ""
    put(ws, row, 2, legend + (" " + MARK_LEGEND if marked else ""), "sm_subtitle")
    ws.freeze_panes = ws.cell(row=first, column=len(fixed) + 1).coordinate
    ws.print_title_rows = f"{top}:{top}"
    return row + 2


def _mark_disagreements(ws: Worksheet, ctx: Context, first: int, first_col: int) -> bool:
    """Mark the effects and likelihoods the raters disagree on (reviewers' ratings); whether any was."""
    impacts, likelihoods = disagreement_cells(ctx)
    cells = [f"C{first + r}" for r, sid in enumerate(ctx.matrix.index) if sid in likelihoods]
    cells += [f"{get_column_letter(first_col + c)}{first + r}" for r, sid in enumerate(ctx.matrix.index)
              for c, aid in enumerate(ctx.matrix.columns) if f"{sid}/{aid}" in impacts]
    mark(ws, cells)
    return bool(cells)


def _heatmap_block(ctx: Context, first: int, with_links: bool) -> Block:
    """The heatmap's rows: a scenario's description, then its effect on each actor (linked to the impact)."""
    study, matrix = ctx.study, ctx.matrix
    scenarios = [study.scenarios[sid] for sid in matrix.index]
    columns: list[list] = [list(matrix.index), [s.title for s in scenarios], [s.likelihood for s in scenarios],
                           [study.band(s.likelihood).label() for s in scenarios], [s.confidence for s in scenarios]]
    links: list = [None] * len(columns)
    for actor, effects in zip(matrix.columns, matrix.to_numpy().T.tolist()):
        columns.append(effects)
        links.append([cell_link(ctx, "impacts", (sid, actor)) if e == e else None
                      for sid, e in zip(matrix.index, effects)] if with_links else None)
    heights = [lines_needed(s.title, 34) * LINE_HEIGHT + 3 for s in scenarios]
    return Block(first, columns, ["sm_body"] * 5 + ["sm_effect"] * len(matrix.columns), links, heights)


def write_summary(ws: Worksheet, spec: Sheet, ctx: Context) -> None:
    """One page: key judgments, the heatmap, and the most exposed actors."""
    heading(ws, ctx, spec.title)
    row = section(ws, 3, "Key judgments")
    for kid, text in ctx.study.study.key_judgments.items():
        put(ws, row, 1, kid, "sm_label")
        put(ws, row, 2, text, "sm_text")
        ws.merged_cells.add(f"B{row}:{get_column_letter(max(5, 5 + len(ctx.matrix.columns)))}{row}")
        ws.row_dimensions[row].height = lines_needed(text, 70 + 11 * len(ctx.matrix.columns)) * LINE_HEIGHT + 3
        row += 1
    row = section(ws, row + 1, "Who gains, who loses")
    row = _heatmap(ws, spec, ctx, row, with_links=False)
    row = section(ws, row, f"The {spec.top} most exposed actors")
    top = ctx.summary.sort_values("exposure_rank").head(spec.top)
    headers = ["Rank", "Actor", "Expected", "Low", "High"]
    for c, (h, value_style) in enumerate(zip(headers, ("sm_int", None, "sm_number", "sm_number", "sm_number")), 1):
        put(ws, row, c, h, header_style(value_style))
    for r, rec in enumerate(top.itertuples(index=False), row + 1):
        values = [int(rec.exposure_rank), rec.name, float(rec.expected), float(rec.low), float(rec.high)]
        for c, value in enumerate(values, 1):
            put(ws, r, c, value, type_style(value))
    ws.freeze_panes = None
    ws.print_title_rows = None
    ws.page_setup.fitToHeight = 1
