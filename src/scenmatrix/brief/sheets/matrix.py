"""The `matrix` sheet (scenarios x actors as a heatmap) and the `summary` sheet, the executive page
built around the same heatmap."""

from __future__ import annotations

from openpyxl.formatting.rule import ColorScaleRule
from openpyxl.styles import Alignment
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from scenmatrix.brief.context import Context
from scenmatrix.brief.sheets.layout import (FIT_SCALE, LINE_HEIGHT, PRINT_HEIGHT, PRINT_WIDTH, PT_PER_CHAR, fit_page,
                                           header_style, heading, pages_tall, rows_height, section)
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


TITLE_WIDTH = 30
CENTRED = Alignment(horizontal="center", vertical="top")
# Beyond this many actors a heatmap turns: actors down the rows, scenarios across (a row of 5,000 actor
# columns is unreadable, and past Excel's 16,384 columns LibreOffice drops the rest without a word).
MAX_ACTOR_COLUMNS = 60


def _heatmap(ws: Worksheet, spec: Sheet, ctx: Context, top: int, with_links: bool) -> int:
    """Scenarios x actors with likelihood columns and expected-impact rows; returns the next free row."""
    if len(ctx.matrix.columns) > MAX_ACTOR_COLUMNS:
        return _turned_heatmap(ws, spec, ctx, top, with_links)
    study, matrix = ctx.study, ctx.matrix
    fixed = ["Scenario", "Title", "Likelihood", "Band", "Confidence"]
    widths = [10, TITLE_WIDTH, 16, 10, 11]
    names = [study.actors[a].name for a in matrix.columns]
    fit_page(ws, widths + [6] * len(names), "A:B")  # many actors: page groups, the scenario repeated
    _upright_headers(ws, top, fixed, widths, names)
    first = top + 1
    ws.stream(first, len(matrix.index), lambda: [_heatmap_block(ctx, first, with_links)])
    ctx.heatmaps.append({"sheet": spec.title, "first_row": first, "first_col": len(fixed) + 1,
                         "scenarios": list(matrix.index), "actors": list(matrix.columns)})
    last = first + max(len(matrix.index), 1) - 1
    _colour_scale(ws, ctx, first, last, len(fixed) + 1, len(fixed) + len(names))
    marked = _mark_disagreements(ws, ctx, first, len(fixed) + 1)
    row = last + 2
    for label, column in (("Expected impact", "expected"), ("  range low", "low"), ("  range high", "high")):
        put(ws, row, 2, label, "sm_label")
        for c, value in enumerate(ctx.expected.loc[list(matrix.columns), column].tolist(), len(fixed) + 1):
            # centred under the effects, as the narrow actor columns leave no room for the numbers' indent
            put(ws, row, c, value, "sm_number").alignment = CENTRED
        row += 1
    legend = "Cells: effect on the actor, -3 severe harm … +3 major gain; blank = not rated."
    legend += " Click a cell for its rationale." if with_links else ""
    put(ws, row, 2, legend + (" " + MARK_LEGEND if marked else ""), "sm_subtitle")
    ws.freeze_panes = ws.cell(row=first, column=len(fixed) + 1).coordinate
    ws.print_title_rows = f"{top}:{top}"
    return row + 2


def _turned_heatmap(ws: Worksheet, spec: Sheet, ctx: Context, top: int, with_links: bool) -> int:
    """The heatmap of a study with many actors: one row an actor, one column a scenario, and the actor's
    expected impact beside its row; the sheet says why it is turned."""
    study, matrix = ctx.study, ctx.matrix
    fixed = ["Actor", "Name"]
    put(ws, top, 1, f"{len(matrix.columns):,} actors: one row each, the scenarios across (a column an actor "
                    f"would be {len(matrix.columns):,} columns wide).", "sm_subtitle")
    top += 1
    titles = [f"{sid} {study.scenarios[sid].title} ({study.scenarios[sid].likelihood})" for sid in matrix.index]
    fit_page(ws, [12, 34] + [6] * (len(titles) + 3), "A:B")  # many scenarios: page groups, the actor repeated
    _upright_headers(ws, top, fixed, [12, 34], titles + ["Expected impact", "Range low", "Range high"])
    first = top + 1
    ws.stream(first, len(matrix.columns), lambda: [_turned_block(ctx, first, with_links)])
    ctx.heatmaps.append({"sheet": spec.title, "first_row": first, "first_col": len(fixed) + 1,
                         "scenarios": list(matrix.index), "actors": list(matrix.columns), "down": "actors"})
    last = first + len(matrix.columns) - 1
    _colour_scale(ws, ctx, first, last, len(fixed) + 1, len(fixed) + len(titles))
    legend = "Cells: effect on the actor, -3 severe harm … +3 major gain; blank = not rated."
    put(ws, last + 2, 2, legend + (" Click a cell for its rationale." if with_links else ""), "sm_subtitle")
    ws.freeze_panes = ws.cell(row=first, column=len(fixed) + 1).coordinate
    ws.print_title_rows = f"{top}:{top}"
    return last + 4


def _upright_headers(ws: Worksheet, top: int, fixed: list[str], widths: list[int], upright: list[str]) -> None:
    """Fixed headers, then headers standing upright so that many columns fit on one page width."""
    for c, (header, width) in enumerate(zip(fixed + upright, widths + [6] * len(upright)), 1):
        cell = put(ws, top, c, header, "sm_header")
        ws.column_dimensions[get_column_letter(c)].width = width
        if c > len(fixed):
            cell.alignment = Alignment(text_rotation=90, horizontal="center", vertical="bottom", wrap_text=True)
    ws.row_dimensions[top].height = min(max([len(n) for n in upright] + [8]), 40) * 5.6 + 8


def _colour_scale(ws: Worksheet, ctx: Context, first: int, last: int, first_col: int, last_col: int) -> None:
    if last_col >= first_col:
        low, mid, high = ctx.style.heatmap
        ws.conditional_formatting.add(
            f"{get_column_letter(first_col)}{first}:{get_column_letter(last_col)}{last}",
            ColorScaleRule(start_type="num", start_value=vocab.EFFECT_MIN, start_color=low,
                           mid_type="num", mid_value=0, mid_color=mid,
                           end_type="num", end_value=vocab.EFFECT_MAX, end_color=high))


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
    heights = [lines_needed(s.title, TITLE_WIDTH) * LINE_HEIGHT + 3 for s in scenarios]
    return Block(first, columns, ["sm_body"] * 5 + ["sm_effect"] * len(matrix.columns), links, heights)


def _turned_block(ctx: Context, first: int, with_links: bool) -> Block:
    """The turned heatmap's rows: an actor, its effect in each scenario (linked), its expected impact."""
    study, matrix = ctx.study, ctx.matrix
    actors = list(matrix.columns)
    columns: list[list] = [actors, [study.actors[a].name for a in actors]]
    links: list = [None, None]
    for sid, effects in zip(matrix.index, matrix.to_numpy().tolist()):
        columns.append(effects)
        links.append([cell_link(ctx, "impacts", (sid, actor)) if e == e else None
                      for actor, e in zip(actors, effects)] if with_links else None)
    for column in ("expected", "low", "high"):
        columns.append(ctx.expected.loc[actors, column].tolist())
        links.append(None)
    styles = ["sm_body"] * 2 + ["sm_effect"] * len(matrix.index) + ["sm_number"] * 3
    return Block(first, columns, styles, links, [LINE_HEIGHT + 3] * len(actors))


def write_summary(ws: Worksheet, spec: Sheet, ctx: Context) -> None:
    """Key judgments, the most exposed actors, and who gains and who loses in each scenario (actors down,
    most exposed first, so that the page stays one page wide for any number of actors). One page when its
    type stays at 8 pt or more, else two; the actors that two pages cannot hold stay on screen, below the
    print area."""
    study = ctx.study
    scenarios = list(ctx.matrix.index)
    names = [study.actors[a].name for a in ctx.matrix.columns]
    ids = max(8, max(map(len, [*ctx.matrix.columns, *study.study.key_judgments]), default=0) + 2)
    others = [SUMMARY_SCENARIO_WIDTH] * len(scenarios) + [10, 10, 10]
    # the actors' names on one line where the page width allows: one row per actor keeps it to a page or two
    room = PRINT_WIDTH / PT_PER_CHAR - sum(others) - ids
    widths = [ids, max(SUMMARY_NAME_WIDTH, min(max(map(len, names), default=0) + 2, room))] + others
    for c, width in enumerate(widths, 1):
        ws.column_dimensions[get_column_letter(c)].width = width
    heading(ws, ctx, spec.title)
    row = section(ws, 3, "Key judgments")
    last_letter = get_column_letter(len(widths))
    for kid, text in study.study.key_judgments.items():
        put(ws, row, 1, kid, "sm_label")
        put(ws, row, 2, text, "sm_text")
        ws.merged_cells.add(f"B{row}:{last_letter}{row}")
        ws.row_dimensions[row].height = lines_needed(text, sum(widths[1:])) * LINE_HEIGHT + 3
        row += 1
    row = section(ws, row + 1, f"The {spec.top} most exposed actors")
    top = ctx.summary.sort_values("exposure_rank").head(spec.top)
    headers = ["Rank", "Actor", "Expected", "Low", "High"]
    for c, (h, value_style) in enumerate(zip(headers, ("sm_int", None, "sm_number", "sm_number", "sm_number")), 1):
        put(ws, row, c, h, header_style(value_style))
    ws.row_dimensions[row].height = LINE_HEIGHT + 6
    for r, rec in enumerate(top.itertuples(index=False), row + 1):
        values = [int(rec.exposure_rank), rec.name, float(rec.expected), float(rec.low), float(rec.high)]
        for c, value in enumerate(values, 1):
            put(ws, r, c, value, type_style(value))
        ws.row_dimensions[r].height = lines_needed(rec.name, widths[1]) * LINE_HEIGHT + 3
    row = section(ws, row + len(top) + 2, "Who gains, who loses")
    rows = _actor_heatmap(ws, spec, ctx, row, widths)
    ws.freeze_panes = None
    ws.print_title_rows = None
    _summary_pages(ws, widths, rows)


SUMMARY_NAME_WIDTH, SUMMARY_SCENARIO_WIDTH = 20, 12
SHOWN = "Printed: the {shown} most exposed of {all} actors (the others follow on screen)."


def _actor_heatmap(ws: Worksheet, spec: Sheet, ctx: Context, top: int, widths: list[float]) -> list[int]:
    """Actors (most exposed first; id, name) x scenarios as a heatmap, with each actor's expected impact and
    range; recorded for import as a turned heatmap (a row an actor, found by its id in column A). Returns
    the actors' rows."""
    study, matrix = ctx.study, ctx.matrix
    scenarios = list(matrix.index)
    put(ws, top, 1, "Cells: effect on the actor, -3 severe harm … +3 major gain; blank = not rated.", "sm_subtitle")
    top += 1
    headers = ["Id", "Actor"] + [study.scenarios[sid].title for sid in scenarios] + ["Expected", "Low", "High"]
    styles = ["sm_header"] * 2 + ["sm_header_centred"] * len(scenarios) + ["sm_header_number"] * 3
    for c, (header, style) in enumerate(zip(headers, styles), 1):
        put(ws, top, c, header, style)
    ws.row_dimensions[top].height = max(lines_needed(h, w) for h, w in zip(headers, widths)) * LINE_HEIGHT + 4
    top += 1  # each scenario's id and likelihood band under its title
    put(ws, top, 2, "Scenario, likelihood", "sm_label")
    bands = [f"{sid} {study.band(study.scenarios[sid].likelihood).label()}" for sid in scenarios]
    for c, band in enumerate(bands, 3):
        put(ws, top, c, band, "sm_int")
    ws.row_dimensions[top].height = max([lines_needed(b, w) for b, w in zip(bands, widths[2:])] + [1]) * LINE_HEIGHT + 3
    order = ctx.summary.sort_values("exposure_rank")["actor"].tolist()
    rows = list(range(top + 1, top + 1 + len(order)))
    for row, actor in zip(rows, order):
        name = study.actors[actor].name
        put(ws, row, 1, actor, "sm_body")
        put(ws, row, 2, name, "sm_body")
        for c, sid in enumerate(scenarios, 3):
            effect = matrix.at[sid, actor]
            put(ws, row, c, None if effect != effect else int(effect), "sm_effect")
        for c, column in enumerate(("expected", "low", "high"), len(scenarios) + 3):
            put(ws, row, c, float(ctx.expected.at[actor, column]), "sm_number")
        ws.row_dimensions[row].height = max(lines_needed(name, widths[1]), lines_needed(actor, widths[0])) \
            * LINE_HEIGHT + 3
    if rows:
        ctx.heatmaps.append({"sheet": spec.title, "first_row": rows[0], "first_col": 3, "scenarios": scenarios,
                             "actors": order, "down": "actors"})
        _colour_scale(ws, ctx, rows[0], rows[-1], 3, 2 + len(scenarios))
    return rows


def _summary_pages(ws: Worksheet, widths: list[float], actor_rows: list[int]) -> None:
    """One page if that keeps the scale at MIN_SCALE or more, else two pages tall; when two cannot hold
    every actor, the print area ends at the last actor they hold, and a line above the heatmap says so."""
    fit_page(ws, widths, "A:A")
    if not ws.sheet_properties.pageSetUpPr.fitToPage:
        return  # many scenarios: across pages at 100 %

    pages = pages_tall(ws, actor_rows[-1] if actor_rows else 3, most=2)
    if pages == 0:  # the most exposed actors that two pages hold
        pages = 2
        room = 2 * PRINT_HEIGHT / FIT_SCALE - rows_height(ws, actor_rows[0] - 1)
        last = actor_rows[0]
        for row in actor_rows:  # a running total: a study may have thousands of actors
            room -= ws.row_dimensions[row].height or 15.0
            if room < 0:
                break
            last = row
        note = actor_rows[0] - 3  # the legend's row, above the two header rows
        put(ws, note, 1, f"{ws.cell(row=note, column=1).value} "
                         + SHOWN.format(shown=last - actor_rows[0] + 1, all=len(actor_rows)), "sm_subtitle")
        ws.print_area = f"A1:{get_column_letter(len(widths))}{last}"
    ws.page_setup.fitToHeight = pages
