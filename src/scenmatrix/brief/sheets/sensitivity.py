"""The `sensitivity` sheet: what moves each actor's expected impact most, with tornado charts."""

from __future__ import annotations

from openpyxl.chart import BarChart, Reference
from openpyxl.worksheet.worksheet import Worksheet

from scenmatrix.analysis.rounding import SIGNED, signed, tidy
from scenmatrix.brief.context import Context
from scenmatrix.brief.sheets.layout import chart_on_page, data_block, heading
from scenmatrix.brief.tables import FACTORS_SHOWN
from scenmatrix.brief.template import Sheet


def write_sensitivity(ws: Worksheet, spec: Sheet, ctx: Context) -> None:
    """For every actor the factor that moves its expected impact most; tornado charts for the most exposed."""
    heading(ws, ctx, spec.title)
    table = ctx.table("sensitivity")
    base = ctx.expected["expected"]
    top_rows = [(r.name, r.label, float(base[r.actor]), float(r.low), float(r.high), float(r.swing))
                for r in table.groupby("actor", sort=False).head(1).itertuples()]
    headers = ("Actor", "Factor that moves it most", "Expected", "Low", "High", "Swing")
    for col, width in zip("ABCDEF", (30, 34, 10, 10, 10, 10)):
        ws.column_dimensions[col].width = width
    data_block(ws, 3, headers, top_rows, SIGNED)
    row = 3 + len(top_rows) + 2
    exposed = ctx.summary.sort_values("exposure_rank")["actor"].head(spec.top)
    for actor in exposed:
        factors = table[table["actor"] == actor].head(FACTORS_SHOWN).iloc[::-1]  # largest swing drawn on top
        if factors.empty:
            continue
        name = ctx.study.actors[actor].name
        rows = [(r.label, tidy(r.low - base[actor]), tidy(r.high - base[actor])) for r in factors.itertuples()]
        data_block(ws, row, (f"{name}: factor", "to low end", "to high end"), rows, SIGNED)
        chart = BarChart()
        chart.type, chart.grouping, chart.overlap = "bar", "clustered", 100
        chart.title = f"{name} ({signed(base[actor])}): what moves it"  # as the table's Expected shows it
        chart.add_data(Reference(ws, min_col=2, max_col=3, min_row=row, max_row=row + len(rows)),
                       titles_from_data=True)
        chart.set_categories(Reference(ws, min_col=1, min_row=row + 1, max_row=row + len(rows)))
        chart.x_axis.tickLblPos = "low"
        chart.x_axis.delete = chart.y_axis.delete = False
        chart.y_axis.title = "change in expected impact"
        # on a page of its own: tall enough that a title wrapped over lines leaves the plot its labels
        chart.height, chart.width = max(9.0, 0.7 * len(rows) + 4), 20
        # below its table, on a page of its own: a chart is never split by a page break
        row = chart_on_page(ws, chart, row + len(rows) + 2) + 1
