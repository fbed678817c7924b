"""One writer per kind of sheet: cover, matrix, summary (executive), table and charts."""

from __future__ import annotations

import math
import warnings
from typing import TYPE_CHECKING, Callable, Iterator, Optional

import numpy as np
import pandas as pd
from openpyxl.chart import BarChart, Reference
from openpyxl.chart.error_bar import ErrorBars
from openpyxl.chart.data_source import NumDataSource, NumRef
from openpyxl.formatting.rule import CellIsRule, ColorScaleRule
from openpyxl.styles import Font, PatternFill, Alignment
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.table import Table, TableColumn, TableStyleInfo
from openpyxl.worksheet.worksheet import Worksheet

from scenmatrix.version import __version__
from scenmatrix.study import vocab
from scenmatrix.brief.tables import ANALYSIS_TABLES, FACTORS_SHOWN
from scenmatrix.brief.xlsx.cells import lines_needed, put
from scenmatrix.brief.xlsx.rows import Block, text_lines, type_style
from scenmatrix.brief.marker import EDITABLE, add_validations
from scenmatrix.errors import TemplateError, Problem
from scenmatrix.brief.template import Sheet

if TYPE_CHECKING:
    from scenmatrix.brief.context import Context

FIRST_DATA_ROW = 4
LINE_HEIGHT = 13.5  # points per wrapped line at 10 pt
STATUS_FILLS = {"observed": "F4B183", "emerging": "FFE699", "not observed": "EDEDED"}


def _heading(ws: Worksheet, ctx: "Context", title: str) -> None:
    put(ws, 1, 1, title, "sm_title")
    put(ws, 2, 1, ctx.subtitle(), "sm_subtitle")
    ws.row_dimensions[1].height = 24


def _fit_rows(ws: Worksheet, first: int, last: int, widths: dict[int, float]) -> None:
    """Row heights that show all wrapped text: openpyxl sets none, and applications do not autofit on open."""
    for row in range(first, last + 1):
        lines = 1
        for col, width in widths.items():
            value = ws.cell(row=row, column=col).value
            if isinstance(value, str) and value:
                lines = max(lines, lines_needed(value, width))
        ws.row_dimensions[row].height = min(409, lines * LINE_HEIGHT + 3)


def _auto_width(header: str, values: pd.Series, fixed: float | None) -> float:
    if fixed:
        return fixed
    texts = [v if isinstance(v, str) else str(v) for v in values.tolist()]
    longest = max(map(len, texts), default=0)
    if longest > len(header) and "\n" in "".join(texts):  # a text's longest line, not its length, sets the width
        longest = max(len(line) for text in texts for line in text.split("\n"))
    longest = max(longest, len(header))
    return float(min(max(longest + 2, 8), 60))


# ---------------------------------------------------------------- table


def write_table(ws: Worksheet, spec: Sheet, ctx: "Context") -> None:
    """A data table as an Excel table with filters and a frozen header; its rows are streamed."""
    frame = _table_frame(spec, ctx)
    headers = list(spec.columns.values()) if spec.columns else list(frame.columns)
    _heading(ws, ctx, spec.title)
    widths = {}
    for c, (field, header) in enumerate(zip(frame.columns, headers), 1):
        put(ws, 3, c, header, "sm_header")
        widths[c] = _auto_width(header, frame[field], spec.widths.get(field))
        ws.column_dimensions[get_column_letter(c)].width = widths[c]
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
    _editable(ws, spec, list(frame.columns), last, ctx)
    ws.freeze_panes = "B4" if spec.table in ("impacts",) else "A4"
    ws.print_title_rows = "3:3"


BLOCK_ROWS = 2_000  # rows serialised at a time: memory stays flat however long the table


def _table_blocks(spec: Sheet, frame: pd.DataFrame, widths: dict[int, float], ctx: "Context") -> Iterator[Block]:
    """The data rows a block at a time, with links to the rows they name and the heights their text needs."""
    columns = list(frame.columns)
    styles = ["sm_effect" if field == "effect" else None for field in columns]
    targets = _link_budget([_link_table(spec, field) for field in columns], len(frame))
    link_font = Font(name=ctx.style.font, size=ctx.style.size, color="0563C1", underline="single")
    values = [frame[field].tolist() for field in columns]  # plain Python values, not numpy scalars
    for start in range(0, len(frame), BLOCK_ROWS):
        chunk = [column[start:start + BLOCK_ROWS] for column in values]
        lines = np.ones(len(chunk[0]))
        for c, column in enumerate(chunk):
            if any(isinstance(v, str) for v in column):
                lines = np.maximum(lines, text_lines(column, widths[c + 1]))
        links = [None if target is None else [_link(ctx, target, v) for v in column]
                 for target, column in zip(targets, chunk)]
        yield Block(FIRST_DATA_ROW + start, chunk, styles, links, np.minimum(409, lines * LINE_HEIGHT + 3).tolist(),
                    link_font)


def _link(ctx: "Context", table: str, value) -> Optional[str]:
    """Where a cell naming a row of `table` links to (the first of several '; '-separated ids), or a row key."""
    if isinstance(value, str):
        value = value.split("; ")[0] if value else None
    target = ctx.link(table, value) if value is not None else None
    return target[1:] if target else None


# Excel keeps at most 65,530 hyperlinks a worksheet and repairs (drops) the rest; stay well below.
MAX_LINKS = 65_000
LINK_PRIORITY = ("evidence", "scenarios", "actors")  # what a reader most wants to jump to


def _link_budget(targets: list, rows: int) -> list:
    """The link columns that fit the sheet's hyperlink limit, least useful dropped first."""
    targets = list(targets)
    for dropped in reversed(LINK_PRIORITY):
        if sum(t is not None for t in targets) * rows <= MAX_LINKS:
            break
        targets = [None if t == dropped else t for t in targets]
    return targets


def _link_table(spec: Sheet, field: str):
    """Impacts link to their first evidence; indicators and impacts to their scenario and actor."""
    target = {"evidence": "evidence", "scenario": "scenarios", "actor": "actors"}.get(field)
    return target if target != spec.table else None


def _editable(ws: Worksheet, spec: Sheet, columns: list[str], last: int, ctx: "Context") -> None:
    """Dropdowns on the columns a reviewer may change; the first sheet of each table is what import reads."""
    table = EDITABLE.get(spec.table)
    if table is None or spec.table in ctx.editable or not set(table.keys) <= set(columns):
        return
    add_validations(ws, spec.table, columns, FIRST_DATA_ROW, last, ctx.study)
    ctx.editable[spec.table] = {"sheet": spec.title, "columns": columns, "header_row": 3}


def _table_name(title: str) -> str:
    return "T_" + "".join(ch if ch.isalnum() else "_" for ch in title)


def _table_frame(spec: Sheet, ctx: "Context") -> pd.DataFrame:
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


# ---------------------------------------------------------------- cover


def write_cover(ws: Worksheet, spec: Sheet, ctx: "Context") -> None:
    info = ctx.study.study
    ws.column_dimensions["A"].width = 24
    ws.column_dimensions["B"].width = 100
    put(ws, 1, 1, info.title, "sm_title")
    ws.merged_cells.add("A1:B1")
    ws.row_dimensions[1].height = lines_needed(info.title, 100) * 22
    marking = put(ws, 2, 1, info.marking)
    marking.font = Font(name=ctx.style.font, bold=True, size=12, color=vocab.TLP_COLOURS[info.marking])
    marking.fill = PatternFill("solid", fgColor="000000")
    rows: list[tuple[str, str]] = [("As of", info.as_of.isoformat())]
    rows += [("Source", _source_text(s)) for s in info.sources.values()]
    row = _label_rows(ws, 4, rows)
    row = _section(ws, row + 1, "Key judgments")
    row = _label_rows(ws, row, [(kid, text) for kid, text in info.key_judgments.items()])
    row = _section(ws, row + 1, "How to read this brief")
    row = _label_rows(ws, row, _reading_guide(ctx.study))
    row = _section(ws, row + 1, "Provenance")
    _label_rows(ws, row, [
        ("Generated by", f"scenmatrix {__version__} with template '{ctx.template.name}'"),
        ("Study file", ctx.loaded.path.name),
        ("Study SHA-256", ctx.sha256),
        ("Generated at", ctx.generated.isoformat().replace("+00:00", "Z")),
    ])


def _source_text(source) -> str:
    parts = [source.author, source.publisher, source.date.isoformat() if source.date else None,
             f"“{source.title}”", source.url or source.path]
    return ", ".join(p for p in parts if p)


def _section(ws: Worksheet, row: int, title: str) -> int:
    put(ws, row, 1, title, "sm_section")
    ws.row_dimensions[row].height = 20
    return row + 1


def _label_rows(ws: Worksheet, row: int, pairs: list[tuple[str, str]]) -> int:
    for label, text in pairs:
        put(ws, row, 1, label, "sm_label")
        put(ws, row, 2, text, "sm_text")
        ws.row_dimensions[row].height = lines_needed(text, 100) * LINE_HEIGHT + 3
        row += 1
    return row


def _reading_guide(study) -> list[tuple[str, str]]:
    effects = ", ".join(f"{k:+d} {v}" for k, v in vocab.EFFECT_WORDS.items())
    likelihood = "; ".join(f"{term} {band.label()}" for term, band in study.scale.items())
    scale = vocab.SCALE_NAMES[study.study.likelihood_scale]
    reliability = "; ".join(f"{k} {v}" for k, v in vocab.RELIABILITY.items())
    credibility = "; ".join(f"{k} {v}" for k, v in vocab.CREDIBILITY.items())
    return [
        ("Effect scale", f"Each impact rates a scenario's effect on an actor's interests: {effects}."),
        (f"Likelihood ({scale})", f"{likelihood}."),
        ("Expected impact", "Sum over scenarios of probability x effect at the band midpoint; the range uses "
                            "the band edges. Unrated pairs count as 0."),
        ("Confidence", "low / moderate / high: how well the judgment is supported by evidence and reasoning."),
        ("Evidence grades", f"NATO Admiralty Code, e.g. B2. Source reliability: {reliability}. "
                            f"Information credibility: {credibility}."),
    ]


# ---------------------------------------------------------------- matrix


def write_matrix(ws: Worksheet, spec: Sheet, ctx: "Context") -> None:
    _heading(ws, ctx, spec.title)
    rated = int(ctx.matrix.notna().to_numpy().sum())
    _heatmap(ws, ctx, 3, with_links=rated <= MAX_LINKS)


def _heatmap(ws: Worksheet, ctx: "Context", top: int, with_links: bool) -> int:
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
    last = first + max(len(matrix.index), 1) - 1
    first_actor, last_actor = get_column_letter(len(fixed) + 1), get_column_letter(len(fixed) + len(names))
    if names:
        low, mid, high = ctx.style.heatmap
        ws.conditional_formatting.add(
            f"{first_actor}{first}:{last_actor}{last}",
            ColorScaleRule(start_type="num", start_value=vocab.EFFECT_MIN, start_color=low,
                           mid_type="num", mid_value=0, mid_color=mid,
                           end_type="num", end_value=vocab.EFFECT_MAX, end_color=high))
    row = last + 2
    for label, column in (("Expected impact", "expected"), ("  range low", "low"), ("  range high", "high")):
        put(ws, row, 2, label, "sm_label")
        for c, value in enumerate(ctx.expected.loc[list(matrix.columns), column].tolist(), len(fixed) + 1):
            put(ws, row, c, value, "sm_number")
        row += 1
    legend = "Cells: effect on the actor, -3 severe harm … +3 major gain; blank = not rated."
    put(ws, row, 2, legend + (" Click a cell for its rationale." if with_links else ""), "sm_subtitle")
    ws.freeze_panes = ws.cell(row=first, column=len(fixed) + 1).coordinate
    ws.print_title_rows = f"{top}:{top}"
    return row + 2


def _heatmap_block(ctx: "Context", first: int, with_links: bool) -> Block:
    """The heatmap's rows: a scenario's description, then its effect on each actor (linked to the impact)."""
    study, matrix = ctx.study, ctx.matrix
    scenarios = [study.scenarios[sid] for sid in matrix.index]
    columns: list[list] = [list(matrix.index), [s.title for s in scenarios], [s.likelihood for s in scenarios],
                           [study.band(s.likelihood).label() for s in scenarios], [s.confidence for s in scenarios]]
    links: list = [None] * len(columns)
    for actor, effects in zip(matrix.columns, matrix.to_numpy().T.tolist()):
        columns.append(effects)
        links.append([_link(ctx, "impacts", (sid, actor)) if e == e else None for sid, e in zip(matrix.index, effects)]
                     if with_links else None)
    heights = [lines_needed(s.title, 34) * LINE_HEIGHT + 3 for s in scenarios]
    return Block(first, columns, ["sm_body"] * 5 + ["sm_effect"] * len(matrix.columns), links, heights)


# ---------------------------------------------------------------- executive summary


def write_summary(ws: Worksheet, spec: Sheet, ctx: "Context") -> None:
    """One page: key judgments, the heatmap, and the most exposed actors."""
    _heading(ws, ctx, spec.title)
    row = _section(ws, 3, "Key judgments")
    for kid, text in ctx.study.study.key_judgments.items():
        put(ws, row, 1, kid, "sm_label")
        put(ws, row, 2, text, "sm_text")
        ws.merged_cells.add(f"B{row}:{get_column_letter(max(5, 5 + len(ctx.matrix.columns)))}{row}")
        ws.row_dimensions[row].height = lines_needed(text, 70 + 11 * len(ctx.matrix.columns)) * LINE_HEIGHT + 3
        row += 1
    row = _section(ws, row + 1, "Who gains, who loses")
    row = _heatmap(ws, ctx, row, with_links=False)
    row = _section(ws, row, f"The {spec.top} most exposed actors")
    top = ctx.summary.sort_values("exposure_rank").head(spec.top)
    headers = ["Rank", "Actor", "Expected", "Low", "High"]
    for c, h in enumerate(headers, 1):
        put(ws, row, c, h, "sm_header")
    for r, rec in enumerate(top.itertuples(index=False), row + 1):
        values = [int(rec.exposure_rank), rec.name, float(rec.expected), float(rec.low), float(rec.high)]
        for c, value in enumerate(values, 1):
            put(ws, r, c, value, type_style(value))
    ws.freeze_panes = None
    ws.print_title_rows = None
    ws.page_setup.fitToHeight = 1


# ---------------------------------------------------------------- charts


def write_charts(ws: Worksheet, spec: Sheet, ctx: "Context") -> None:
    """Native bar charts from visible data blocks: expected impact per actor (with range) and likelihood."""
    _heading(ws, ctx, spec.title)
    ws.column_dimensions["A"].width = 40
    for col in "BCD":
        ws.column_dimensions[col].width = 12
    # Most exposed last, so that it is drawn at the top of a horizontal bar chart.
    actors = ctx.summary.sort_values("exposure_rank", ascending=False)
    impact_rows = [(r.name, float(r.expected), float(r.expected - r.low), float(r.high - r.expected))
                   for r in actors.itertuples()]
    top = 4
    _data_block(ws, top, ("Actor", "Expected impact", "minus", "plus"), impact_rows, "+0.00;-0.00;0.00")
    chart = _bar_chart(ws, top, len(impact_rows), "Expected net impact per actor",
                       "probability x effect (bar: band midpoints; whiskers: band edges)")
    ws.add_chart(chart, "F4")

    scenarios = ctx.tables["scenarios"].iloc[::-1]
    band_rows = [(f"{r.id} {r.title}", 100 * (r.probability_low + r.probability_high) / 2,
                  100 * (r.probability_high - r.probability_low) / 2,
                  100 * (r.probability_high - r.probability_low) / 2) for r in scenarios.itertuples()]
    top2 = top + len(impact_rows) + 2
    _data_block(ws, top2, ("Scenario", "Likelihood %", "minus", "plus"), band_rows, "0.0")
    chart2 = _bar_chart(ws, top2, len(band_rows), "Likelihood per scenario",
                        "probability % (bar: band midpoint; whiskers: band edges)")
    chart2.y_axis.scaling.min, chart2.y_axis.scaling.max = 0, 100
    chart2.y_axis.majorUnit = 20
    chart2.y_axis.number_format = "0"
    ws.add_chart(chart2, f"F{top + int(chart.height * 2) + 2}")


def _bar_chart(ws: Worksheet, top: int, n: int, title: str, axis_title: str) -> BarChart:
    """A horizontal bar chart of column B with custom error bars from columns C (minus) and D (plus)."""
    chart = BarChart()
    chart.type = "bar"
    chart.title = title
    chart.y_axis.title = axis_title
    chart.add_data(Reference(ws, min_col=2, min_row=top, max_row=top + n), titles_from_data=True)
    chart.set_categories(Reference(ws, min_col=1, min_row=top + 1, max_row=top + n))
    chart.series[0].errBars = ErrorBars(
        errDir="y", errBarType="both", errValType="cust", noEndCap=False,
        plus=NumDataSource(numRef=NumRef(f=f"'{ws.title}'!$D${top + 1}:$D${top + n}")),
        minus=NumDataSource(numRef=NumRef(f=f"'{ws.title}'!$C${top + 1}:$C${top + n}")))
    chart.x_axis.tickLblPos = "low"  # category labels at the left edge, clear of negative bars
    chart.x_axis.delete = chart.y_axis.delete = False  # openpyxl 3.1 otherwise hides the axes in Excel
    chart.legend = None
    chart.height, chart.width = max(7.5, 0.55 * n + 3), 20
    return chart


def _data_block(ws: Worksheet, top: int, headers: tuple, rows: list[tuple], number_format: str) -> None:
    for c, header in enumerate(headers, 1):
        put(ws, top, c, header, "sm_header")
    ws.row_dimensions[top].height = 2 * LINE_HEIGHT + 4
    for r, values in enumerate(rows, top + 1):
        for c, value in enumerate(values, 1):
            cell = put(ws, r, c, value, type_style(value))
            if isinstance(value, float):
                cell.number_format = number_format
    _fit_rows(ws, top + 1, top + len(rows), {1: 40})


# ---------------------------------------------------------------- sensitivity and alignment


def write_sensitivity(ws: Worksheet, spec: Sheet, ctx: "Context") -> None:
    """For every actor the factor that moves its expected impact most; tornado charts for the most exposed."""
    _heading(ws, ctx, spec.title)
    table = ctx.table("sensitivity")
    base = ctx.expected["expected"]
    top_rows = [(r.name, r.label, float(base[r.actor]), float(r.low), float(r.high), float(r.swing))
                for r in table.groupby("actor", sort=False).head(1).itertuples()]
    headers = ("Actor", "Factor that moves it most", "Expected", "Low", "High", "Swing")
    _data_block(ws, 3, headers, top_rows, "+0.00;-0.00;0.00")
    for col, width in zip("ABCDEF", (30, 34, 10, 10, 10, 10)):
        ws.column_dimensions[col].width = width
    row = 3 + len(top_rows) + 2
    exposed = ctx.summary.sort_values("exposure_rank")["actor"].head(spec.top)
    for actor in exposed:
        factors = table[table["actor"] == actor].head(FACTORS_SHOWN).iloc[::-1]  # largest swing drawn on top
        if factors.empty:
            continue
        name = ctx.study.actors[actor].name
        rows = [(r.label, float(r.low - base[actor]), float(r.high - base[actor])) for r in factors.itertuples()]
        _data_block(ws, row, (f"{name}: factor", "to low end", "to high end"), rows, "+0.00;-0.00;0.00")
        chart = BarChart()
        chart.type, chart.grouping, chart.overlap = "bar", "clustered", 100
        chart.title = f"{name} ({base[actor]:+.2f}): what moves it"
        chart.add_data(Reference(ws, min_col=2, max_col=3, min_row=row, max_row=row + len(rows)),
                       titles_from_data=True)
        chart.set_categories(Reference(ws, min_col=1, min_row=row + 1, max_row=row + len(rows)))
        chart.x_axis.tickLblPos = "low"
        chart.x_axis.delete = chart.y_axis.delete = False
        chart.y_axis.title = "change in expected impact"
        chart.height, chart.width = max(6.0, 0.7 * len(rows) + 3), 16
        ws.add_chart(chart, f"H{row}")
        row += max(len(rows) + 3, int(chart.height * 2) + 2)


def write_alignment(ws: Worksheet, spec: Sheet, ctx: "Context") -> None:
    """Actor x actor alignment (-1 opposed ... +1 aligned) on a colour scale, then the strongest pairs."""
    _heading(ws, ctx, spec.title)
    aligned = ctx.table("alignment")
    names = [ctx.study.actors[a].name for a in aligned.columns]
    put(ws, 3, 1, "Actor", "sm_header")
    ws.column_dimensions["A"].width = 30
    for c, name in enumerate(names, 2):
        cell = put(ws, 3, c, name, "sm_header")
        cell.alignment = Alignment(text_rotation=90, horizontal="center", vertical="bottom", wrap_text=True)
        ws.column_dimensions[get_column_letter(c)].width = 6
    ws.row_dimensions[3].height = min(max([len(n) for n in names] + [8]), 40) * 5.6 + 8
    values = aligned.to_numpy().T.tolist()
    for i in range(len(values)):
        values[i][i] = math.nan  # an actor is not aligned with itself: blank, not +1
    ws.stream(4, len(names), lambda: [Block(4, [names, *values], ["sm_body"] + ["sm_effect"] * len(values),
                                            [None] * (len(values) + 1), [None] * len(names),
                                            formats=[None] + ["+0.0;-0.0;0.0"] * len(values))])
    last = 3 + len(names)
    if names:
        low, mid, high = ctx.style.heatmap
        ws.conditional_formatting.add(
            f"B4:{get_column_letter(1 + len(names))}{last}",
            ColorScaleRule(start_type="num", start_value=-1, start_color=low, mid_type="num", mid_value=0,
                           mid_color=mid, end_type="num", end_value=1, end_color=high))
    ws.freeze_panes = "B4"
    row = last + 2
    put(ws, row, 1, "+1: the two always gain or lose together; -1: one gains where the other loses; "
                    "blank: they never meet in a scenario.", "sm_subtitle")
    pairs = ctx.table("alignment_pairs")
    rows = [(f"{r.relation}: {r.name_a} – {r.name_b}", float(r.alignment), float(r.intensity))
            for r in pairs.itertuples()]
    _data_block(ws, row + 2, ("Strongest pairs", "Align- ment", "Inten- sity"), rows, "+0.0;-0.0;0.0")


def write_changes(ws: Worksheet, spec: Sheet, ctx: "Context") -> None:
    """What changed in the study since a git revision (`scenmatrix brief --since REV`), one row a field."""
    from scenmatrix.study.diff import change_rows

    _heading(ws, ctx, f"{spec.title} since {spec.table}" if spec.table else spec.title)
    rows = change_rows(ctx.template.changes)
    if not rows:
        put(ws, 4, 1, "No changes." if spec.table else "Build with `scenmatrix brief --since REV` to list "
                                                         "what changed since a git revision.", "sm_text")
        return
    headers = ("Change", "Kind", "Id", "Field", "Before", "After")
    widths = {1: 10, 2: 12, 3: 14, 4: 14, 5: 50, 6: 50}
    for col, width in widths.items():
        ws.column_dimensions[get_column_letter(col)].width = width
    for c, header in enumerate(headers, 1):
        put(ws, 3, c, header, "sm_header")
    for r, row in enumerate(rows, FIRST_DATA_ROW):
        for c, value in enumerate(row, 1):
            put(ws, r, c, value, "sm_body")
    _fit_rows(ws, FIRST_DATA_ROW, FIRST_DATA_ROW + len(rows) - 1, widths)
    ws.auto_filter.ref = f"A3:F{FIRST_DATA_ROW + len(rows) - 1}"
    ws.freeze_panes = "A4"
    ws.print_title_rows = "3:3"


WRITERS: dict[str, Callable[[Worksheet, Sheet, "Context"], None]] = {
    "cover": write_cover,
    "matrix": write_matrix,
    "summary": write_summary,
    "table": write_table,
    "charts": write_charts,
    "sensitivity": write_sensitivity,
    "alignment": write_alignment,
    "changes": write_changes,
    "cib": lambda ws, spec, ctx: __import__("scenmatrix.brief.sheets.cib", fromlist=["_"]).write_cib(ws, spec, ctx),
}
