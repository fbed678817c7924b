"""Which writer fills each kind of sheet (`Sheet.kind` in brief.template); brief.build looks them up here."""

from __future__ import annotations

from typing import Callable

from openpyxl.worksheet.worksheet import Worksheet

from scenmatrix.brief.context import Context
from scenmatrix.brief.sheets.alignment import write_alignment
from scenmatrix.brief.sheets.changes import write_changes
from scenmatrix.brief.sheets.charts import write_charts
from scenmatrix.brief.sheets.cib import write_cib
from scenmatrix.brief.sheets.cover import write_cover
from scenmatrix.brief.sheets.matrix import write_matrix, write_summary
from scenmatrix.brief.sheets.review import write_review
from scenmatrix.brief.sheets.sensitivity import write_sensitivity
from scenmatrix.brief.sheets.table import write_table
from scenmatrix.brief.template import Sheet

Writer = Callable[[Worksheet, Sheet, Context], None]

WRITERS: dict[str, Writer] = {
    "cover": write_cover,
    "matrix": write_matrix,
    "summary": write_summary,
    "table": write_table,
    "charts": write_charts,
    "sensitivity": write_sensitivity,
    "alignment": write_alignment,
    "changes": write_changes,
    "cib": write_cib,
    "review": write_review,
}
