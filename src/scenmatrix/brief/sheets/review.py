"""The `review` sheet: every field reviewers rated (`scenmatrix import --as NAME`), disagreements first, with
the lead's rating, each reviewer's, how many raters and the lead's rationale. The Matrix marks the same
disagreements on its heatmap (`disagreement_cells`)."""

from __future__ import annotations

from typing import Any

from openpyxl.formatting.rule import FormulaRule
from openpyxl.styles import Border, Font, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from scenmatrix.analysis.ratings import DISAGREEMENT_STEPS, Spread, spreads
from scenmatrix.brief.context import FIRST_DATA_ROW, Context
from scenmatrix.brief.sheets.layout import fit_rows, heading
from scenmatrix.brief.template import Sheet
from scenmatrix.brief.xlsx.cells import put

# How a disagreement is marked on a heatmap: a conditional format, so that it lies over the colour scale
# and both ways of writing a sheet's rows write it alike (it is sheet-level XML, written by openpyxl).
MARK_COLOUR = "7030A0"
_SIDE = Side(style="thin", color=MARK_COLOUR)
MARK_LEGEND = "Framed in purple, bold: the raters disagree (see the Review sheet)."


def write_review(ws: Worksheet, spec: Sheet, ctx: Context) -> None:
    heading(ws, ctx, spec.title)
    rated = sorted(spreads(ctx.study), key=lambda s: not s.disagreement)  # stable: study order within each
    names = list(ctx.study.ratings)
    if not rated:
        put(ws, 4, 1, "No reviewer has rated anything differently from the lead analyst: record a reviewer's "
                      "ratings with `scenmatrix import BRIEF --as NAME`." if not names else
                      "The reviewers' ratings name no field the lead analyst rates.", "sm_text")
        return
    disagreeing = sum(s.disagreement for s in rated)
    put(ws, 3, 1, f"{disagreeing} disagreement(s) among {len(rated)} rated field(s): ratings {DISAGREEMENT_STEPS} "
                  "or more steps apart, or effects of opposite sign. Blank: that reviewer kept the lead's rating.",
        "sm_subtitle")
    headers = ["Disagreement", "Kind", "Entry", "Field", "Lead", *names, "Raters", "Steps apart", "Lead's rationale"]
    widths = {1: 13, 2: 10, 3: 14, 4: 12, 5: 18, **{6 + i: 18 for i in range(len(names))}}
    last = len(headers)
    widths.update({last - 2: 8, last - 1: 8, last: 60})
    for col, width in widths.items():
        ws.column_dimensions[get_column_letter(col)].width = width
    top = FIRST_DATA_ROW
    for c, header in enumerate(headers, 1):
        put(ws, top, c, header, "sm_header")
    for r, spread in enumerate(rated, top + 1):
        for c, value in enumerate(_row(spread, names), 1):
            put(ws, r, c, value, "sm_body")
    bottom = top + len(rated)
    fit_rows(ws, top + 1, bottom, widths)
    ws.auto_filter.ref = f"A{top}:{get_column_letter(last)}{bottom}"
    ws.freeze_panes = f"A{top + 1}"
    ws.print_title_rows = f"{top}:{top}"


def _row(spread: Spread, names: list[str]) -> list[Any]:
    return ["yes" if spread.disagreement else "no", spread.kind, spread.key, spread.field, _shown(spread.lead),
            *(_shown(spread.reviewers.get(name)) for name in names), spread.raters, spread.steps,
            spread.rationale or ""]


def _shown(value: Any) -> Any:
    """An effect signed as the brief shows effects (+2), other ratings as their words; None stays blank."""
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:+d}" if value else "0"
    return value


def disagreement_cells(ctx: Context) -> tuple[set[str], set[str]]:
    """The heatmap cells to mark: impacts ("S1/RU") and scenario likelihoods ("S1") the raters disagree on."""
    if not ctx.study.ratings:
        return set(), set()
    found = [s for s in spreads(ctx.study) if s.disagreement]
    return ({s.key for s in found if s.kind == "impact"},
            {s.key for s in found if s.kind == "scenario" and s.field == "likelihood"})


def mark(ws: Worksheet, coordinates: list[str]) -> None:
    """Frame and embolden the cells at these coordinates, over whatever fill they have."""
    if coordinates:
        ws.conditional_formatting.add(" ".join(coordinates), FormulaRule(
            formula=["TRUE"], font=Font(bold=True, color=MARK_COLOUR),
            border=Border(left=_SIDE, right=_SIDE, top=_SIDE, bottom=_SIDE)))
