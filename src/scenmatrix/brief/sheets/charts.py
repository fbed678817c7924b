"""The `charts` sheet: native bar charts of expected impact per actor and likelihood per scenario."""

from __future__ import annotations

from openpyxl.chart import BarChart, Reference
from openpyxl.chart.data_source import NumDataSource, NumRef
from openpyxl.chart.error_bar import ErrorBars
from openpyxl.worksheet.worksheet import Worksheet

from scenmatrix.analysis.rounding import PLAIN, SIGNED, tidy
from scenmatrix.brief.context import Context
from scenmatrix.brief.sheets.layout import chart_on_page, data_block, heading
from scenmatrix.brief.template import Sheet
from scenmatrix.brief.xlsx.cells import sheet_ref


def write_charts(ws: Worksheet, spec: Sheet, ctx: Context) -> None:
    """Native bar charts from visible data blocks: expected impact per actor (with range) and likelihood."""
    heading(ws, ctx, spec.title)
    ws.column_dimensions["A"].width = 40
    for col in "BCD":
        ws.column_dimensions[col].width = 12
    # Most exposed last, so that it is drawn at the top of a horizontal bar chart.
    actors = ctx.summary.sort_values("exposure_rank", ascending=False)
    # The whiskers' lengths are distances, unsigned; tidy, so that equal ones show equal (0.525, not 0.52/0.53).
    impact_rows = [(r.name, float(r.expected), tidy(r.expected - r.low), tidy(r.high - r.expected))
                   for r in actors.itertuples()]
    top = 4
    data_block(ws, top, ("Actor", "Expected impact", "Below, to range low", "Above, to range high"), impact_rows,
               (None, SIGNED, PLAIN, PLAIN))
    chart = _bar_chart(ws, top, len(impact_rows), "Expected net impact per actor",
                       "probability x effect (bar: band midpoints; whiskers: band edges)")

    scenarios = ctx.tables["scenarios"].iloc[::-1]
    band_rows = [(f"{r.id} {r.title}", tidy(100 * (r.probability_low + r.probability_high) / 2),
                  tidy(100 * (r.probability_high - r.probability_low) / 2),
                  tidy(100 * (r.probability_high - r.probability_low) / 2)) for r in scenarios.itertuples()]
    top2 = top + len(impact_rows) + 2
    data_block(ws, top2, ("Scenario", "Likelihood %", "Below, to band low", "Above, to band high"), band_rows,
               "0.0")
    chart2 = _bar_chart(ws, top2, len(band_rows), "Likelihood per scenario",
                        "probability % (bar: band midpoint; whiskers: band edges)")
    chart2.y_axis.scaling.min, chart2.y_axis.scaling.max = 0, 100
    chart2.y_axis.majorUnit = 20
    chart2.y_axis.number_format = "0"
    # each chart below the tables, on a page of its own, never split by a page break
    chart_on_page(ws, chart2, chart_on_page(ws, chart, top2 + len(band_rows) + 2))


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
        plus=NumDataSource(numRef=NumRef(f=f"{sheet_ref(ws.title)}!$D${top + 1}:$D${top + n}")),
        minus=NumDataSource(numRef=NumRef(f=f"{sheet_ref(ws.title)}!$C${top + 1}:$C${top + n}")))
    chart.x_axis.tickLblPos = "low"  # category labels at the left edge, clear of negative bars
    chart.x_axis.delete = chart.y_axis.delete = False  # openpyxl 3.1 otherwise hides the axes in Excel
    chart.legend = None
    chart.height, chart.width = max(7.5, 0.55 * n + 3), 20
    return chart
