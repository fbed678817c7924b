"""The `cib` sheet of a brief: the study's cross-impact judgments on a diverging colour scale, then the
scenarios they hold together (Weimer-Jehle's cross-impact balance), marked as analyst judgment.

Rows are written once each, top to bottom, left to right; column widths are set before the first
row. A study without a `cib:` section has no such sheet (Context.shows), unless the brief had no other:
then it says so.
"""

from __future__ import annotations

import textwrap
from typing import TYPE_CHECKING

from openpyxl.formatting.rule import ColorScaleRule
from openpyxl.styles import PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from scenmatrix.brief.context import Context
from scenmatrix.brief.sheets.layout import LINE_HEIGHT, fit_page, heading
from scenmatrix.brief.template import Sheet
from scenmatrix.brief.xlsx.cells import lines_needed, put

if TYPE_CHECKING:
    from scenmatrix.analysis.cib import CIBMatrix
    from scenmatrix.analysis.cib_model import CIBReport
    from scenmatrix.study.model import CrossImpact

LABEL_WIDTHS = (30.0, 26.0)  # columns A (descriptor) and B (variant)
VARIANT_WIDTH = 12.0         # one column per variant
NOTE_WIDTH = 120             # characters per line of the analyst's note
SELF_FILL = "D9D9D9"         # where a descriptor meets itself: no judgment

NO_MODEL = ("This study has no cross-impact model (no `cib:` section), so there is nothing to show here.",
            "Add descriptors, their variants and the judgments between them under `cib:` in the study to see "
            "which combinations hold together.")
LEGEND = ("Row variant acts on column variant: +3 strongly promotes … 0 no influence … -3 strongly hinders; "
          "grey: a descriptor does not act on itself.")
EXPLAINED = ("Consistent: given the other descriptors' variants, every descriptor's variant has the highest impact "
             "balance (the sum of the judgments acting on it). Total impact score: the sum of those balances; the "
             "higher, the more self-reinforcing the scenario. Consistency says a scenario hangs together, not how "
             "likely it is.")


def write_cib(ws: Worksheet, spec: Sheet, ctx: Context) -> None:
    """The judgment matrix (CIB layout: two header rows, two label columns) and the consistent scenarios."""
    model = ctx.study.cib
    if model is None:
        heading(ws, ctx, spec.title)
        for row, line in enumerate(NO_MODEL, 3):
            put(ws, row, 1, line, "sm_subtitle")
        return
    from scenmatrix.analysis.cib_model import analyze, to_matrix

    matrix = to_matrix(model)
    report = analyze(model, matrix, max_nodes=ctx.cib_nodes)  # exact, or says what it proved
    n = matrix.n_variants
    widths = {1: LABEL_WIDTHS[0], 2: LABEL_WIDTHS[1], **{c: VARIANT_WIDTH for c in range(3, 3 + n)}}
    for col, width in widths.items():
        ws.column_dimensions[get_column_letter(col)].width = width
    fit_page(ws, widths.values(), "A:B")  # many variants: page groups, the labels repeated
    heading(ws, ctx, spec.title)
    row = _lines(ws, 3, model.note)
    row = _judgments(ws, ctx, model, matrix, widths, row + 1)
    _scenarios(ws, report, widths, row + 1)


def _lines(ws: Worksheet, row: int, text: str) -> int:
    """Text as unwrapped lines of at most NOTE_WIDTH characters from column A (they run across the
    empty cells to their right); returns the next free row."""
    for line in textwrap.wrap(text, NOTE_WIDTH):
        put(ws, row, 1, line, "sm_subtitle")
        row += 1
    return row


def _row(ws: Worksheet, row: int, values: list, styles: list, widths: dict[int, float]) -> list:
    """One row, left to right, with the height its wrapped text needs; returns its cells."""
    cells = [put(ws, row, c, value, style) for c, (value, style) in enumerate(zip(values, styles), 1)]
    lines = max([lines_needed(v, widths.get(c, 10)) for c, v in enumerate(values, 1) if isinstance(v, str) and v]
                + [1])
    ws.row_dimensions[row].height = lines * LINE_HEIGHT + 3
    return cells


def _judgments(ws: Worksheet, ctx: Context, model: "CrossImpact", m: "CIBMatrix", widths: dict[int, float],
               row: int) -> int:
    """The matrix from `row`; returns the next free row."""
    put(ws, row, 1, "Cross-impact judgments", "sm_section")
    row += 1
    descriptors = [model.descriptors[d] for d in m.descriptors]
    above = [d.title if k == 0 else "" for d in descriptors for k in range(len(d.variants))]
    names = [title for d in descriptors for title in d.variants.values()]
    header = ["sm_header"] * (2 + m.n_variants)
    _row(ws, row, ["Descriptor", "Variant", *above], header, widths)
    _row(ws, row + 1, ["", "", *names], header, widths)
    first = row + 2
    grey = PatternFill("solid", fgColor=SELF_FILL)
    owner = [m.descriptor_of(j) for j in range(m.n_variants)]
    for i in range(m.n_variants):
        d = owner[i]
        label = descriptors[d].title if i == m.offsets[d] else ""
        values = [None if owner[j] == d else int(m.judgments[i, j]) for j in range(m.n_variants)]
        cells = _row(ws, first + i, [label, names[i], *values], ["sm_body", "sm_body"] + ["sm_effect"] * m.n_variants,
                     widths)
        for cell, value in zip(cells[2:], values):
            if value is None:
                cell.fill = grey
    last = first + m.n_variants - 1
    low, mid, high = ctx.style.heatmap
    ws.conditional_formatting.add(
        f"C{first}:{get_column_letter(2 + m.n_variants)}{last}",
        ColorScaleRule(start_type="num", start_value=-3, start_color=low, mid_type="num", mid_value=0,
                       mid_color=mid, end_type="num", end_value=3, end_color=high))
    return _lines(ws, last + 1, LEGEND)


def _scenarios(ws: Worksheet, report: "CIBReport", widths: dict[int, float], row: int) -> None:
    """One row per scenario: its code, total impact score, inconsistency and the variant of each descriptor."""
    from scenmatrix.analysis.cib_matrix import space_size

    model, m = report.model, report.matrix
    stopped = report.stopped_saying("`scenmatrix brief --max-nodes N` searches further")
    count = len(report.scenarios) + report.left_out
    if stopped:
        title = f"Consistent scenarios found: {count:,}, in the part of the space searched"
    elif report.consistent:
        title = f"Consistent scenarios: {count:,} of {space_size(report.scanned)}"
    else:
        title = (f"No consistent scenario among {report.scanned:,}; the least inconsistent "
                 f"(inconsistency {report.max_inconsistency})")
    if report.left_out:
        title += f"; the first {len(report.scenarios):,} are listed"
    put(ws, row, 1, title, "sm_section")
    row += 1
    headers = ["Scenario (code)", "Total impact score", "Inconsistency", *(model.descriptors[d].title
                                                                            for d in m.descriptors)]
    _row(ws, row, headers, ["sm_header", "sm_header_centred", "sm_header_centred"] + ["sm_header"] * (len(headers) - 3),
         widths)
    for number, s in enumerate(report.scenarios, 1):
        row += 1
        variants = [model.descriptors[d].variants[s.variants[d]] for d in m.descriptors]
        _row(ws, row, [f"{number} ({s.code})", s.total_impact_score, s.inconsistency, *variants],
             ["sm_body", "sm_int", "sm_int"] + ["sm_body"] * len(variants), widths)
    row += 1
    if stopped:
        row = _lines(ws, row, f"Warning: the search stopped at its budget: {stopped}.")
    if report.unbalanced:
        put(ws, row, 1, f"Warning: {report.unbalanced_saying()} (scenmatrix validate shows where).", "sm_subtitle")
        row += 1
    _lines(ws, row, EXPLAINED)
