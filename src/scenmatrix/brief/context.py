"""What the sheet writers of a brief share (`Context`), and how it is made from a study and a template.

Its own module so that the writers (brief.sheets) and the build that calls them (brief.build) both
import it from below, rather than each other.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Callable, Optional

import pandas as pd

from scenmatrix.analysis.budgets import MAX_BRIEF_CIB_NODES
from scenmatrix.analysis.impacts import actor_summary, expected_impact, impact_matrix
from scenmatrix.brief.tables import ANALYSIS_TABLES, TABLE_KEYS, analysis_tables, brief_tables, tidy_floats
from scenmatrix.brief.template import LoadedTemplate, Sheet
from scenmatrix.brief.xlsx.cells import sheet_ref
from scenmatrix.store.loader import LoadedStudy
from scenmatrix.store.sources import check_quotes

FIRST_DATA_ROW = 4  # row 1 title, row 2 subtitle, row 3 column headers

# Told (steps done, steps in all, what comes next) as a brief is built: loading, tables, each sheet, saving.
Progress = Callable[[int, int, str], None]


def quiet(done: int, total: int, what: str) -> None:
    pass


@dataclass
class Context:
    """Everything the sheet writers share: the study, its tables and analysis, and where rows landed."""

    loaded: LoadedStudy
    template: LoadedTemplate
    generated: dt.datetime
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    matrix: pd.DataFrame = field(default_factory=pd.DataFrame)
    expected: pd.DataFrame = field(default_factory=pd.DataFrame)
    summary: pd.DataFrame = field(default_factory=pd.DataFrame)
    anchor_sheets: dict[str, str] = field(default_factory=dict)  # table -> the first sheet that shows it
    anchors: dict[str, dict] = field(default_factory=dict)  # table -> row key -> (sheet, row), when first asked
    raw_scenarios: pd.DataFrame = field(default_factory=pd.DataFrame)
    editable: dict[str, dict] = field(default_factory=dict)  # table -> where import finds it
    heatmaps: list[dict] = field(default_factory=list)  # where each heatmap's effect cells are, for import
    progress: Progress = quiet
    cib_nodes: int = MAX_BRIEF_CIB_NODES  # the node budget of the Cross-impact sheet's search
    sha256: str = ""  # the study file's, computed once (hashing a large study's text is not free)

    @property
    def study(self):
        return self.loaded.study

    @property
    def style(self):
        return self.template.template.style

    def shows(self, sheet: Sheet) -> bool:
        """Whether the brief has the sheet: not a cross-impact sheet of a study without a model, nor a
        review sheet of a study without reviewers' ratings, which would only say so (unless the brief
        had no other sheet)."""
        if sheet.kind == "review":  # reviewers' ratings (`import --as`): none, no sheet
            return bool(self.study.ratings) or all(other.kind == "review" for other in self.template.template.sheets)
        if sheet.kind != "cib" or self.study.cib is not None:
            return True
        return all(other.kind == "cib" for other in self.template.template.sheets)

    def table(self, name: str) -> pd.DataFrame:
        """A brief table by name; the analysis tables are computed the first time a sheet asks."""
        if name not in self.tables and name in ANALYSIS_TABLES:
            all_factors = any(s.kind == "table" and s.table == "sensitivity" for s in self.template.template.sheets)
            self.tables.update(analysis_tables(self.study, self.matrix, self.raw_scenarios, all_factors))
        return self.tables[name]

    def link(self, table: str, key) -> Optional[str]:
        """An internal hyperlink target ("#'Impacts'!A7") to a row of a table sheet, if the brief has one."""
        if table not in self.anchors:
            self.anchors[table] = self._rows_of(table)
        where = self.anchors[table].get(key)
        return f"#{sheet_ref(where[0])}!A{where[1]}" if where else None

    def _rows_of(self, table: str) -> dict:
        if table not in self.anchor_sheets:
            return {}
        frame, sheet = self.table(table), self.anchor_sheets[table]
        columns = [frame[k].tolist() for k in TABLE_KEYS[table]]
        keys = columns[0] if len(columns) == 1 else zip(*columns)
        return {key: (sheet, row) for row, key in enumerate(keys, FIRST_DATA_ROW)}

    def subtitle(self) -> str:
        info = self.study.study
        return f"{info.title} · as of {info.as_of.isoformat()} · {info.marking}"


def build_context(loaded: LoadedStudy, template: LoadedTemplate, generated: dt.datetime) -> Context:
    ctx = Context(loaded, template, generated, sha256=loaded.document.sha256)
    from scenmatrix.study.tables import frames

    raw = frames(loaded.study)
    ctx.matrix = impact_matrix(raw["impacts"], raw["scenarios"], raw["actors"])
    ctx.expected = tidy_floats(expected_impact(ctx.matrix, raw["scenarios"]))
    ctx.summary = tidy_floats(actor_summary(raw["impacts"], raw["scenarios"], raw["actors"]))
    ctx.tables = brief_tables(loaded.study, raw, ctx.summary, check_quotes(loaded.path, loaded.study))
    ctx.raw_scenarios = raw["scenarios"]
    for sheet in template.template.sheets:
        if sheet.kind == "table" and sheet.table in TABLE_KEYS:
            ctx.anchor_sheets.setdefault(sheet.table, sheet.title)
    return ctx
