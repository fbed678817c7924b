"""Edits a reviewer made on a heatmap (the Matrix sheet, the executive summary's matrix): an effect changed
there is imported as the same change on the Impacts sheet would be; what a heatmap cannot say (a new
impact needs its domains and rationale, a cleared cell is no removal) is reported with its cell and where
to make it instead. Never silently dropped.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Optional

from openpyxl.utils import get_column_letter

from scenmatrix.brief.marker import Marker
from scenmatrix.errors import Problem
from scenmatrix.review.sheet_reader import BriefImportError, Reading, as_effect
from scenmatrix.study import vocab


def read_heatmaps(brief: Path, wb: Any, marker: Marker, reading: Reading) -> None:
    """Fold every heatmap's changed effects into `reading` (the Impacts sheet's edits); raises
    BriefImportError for a cell that holds no effect, or that disagrees with the Impacts sheet."""
    problems: list[Problem] = []
    for heatmap in marker.heatmaps:
        if heatmap["sheet"] in wb.sheetnames:
            _Heatmap(brief, wb[heatmap["sheet"]], heatmap, marker, reading, problems).read()
    if problems:
        raise BriefImportError(problems)


class _Heatmap:
    def __init__(self, brief: Path, ws: Any, where: dict, marker: Marker, reading: Reading, problems: list[Problem]):
        self.brief, self.ws, self.where, self.reading, self.problems = brief, ws, where, reading, problems
        self.base = marker.snapshot.get("impacts", {})
        if "impacts" not in reading.theirs:  # no Impacts sheet: only what the heatmap changes is read
            reading.theirs["impacts"] = {key: {} for key in self.base}
        self.theirs = reading.theirs["impacts"]

    def read(self) -> None:
        first_row, first_col = self.where["first_row"], self.where["first_col"]
        turned = self.where.get("down") == "actors"  # one row an actor (a study with many), else a scenario
        down, across = ((self.where["actors"], self.where["scenarios"]) if turned
                        else (self.where["scenarios"], self.where["actors"]))
        rows = range(first_row, first_row + len(down))
        # a row is its entry's by the id in column A, wherever a reviewer moved it
        ids = {row: cell.value for (row, col), cell in self.ws._cells.items() if col == 1 and row in rows}
        for (row, col), cell in sorted(self.ws._cells.items()):  # only the cells in the file
            if row in rows and first_col <= col < first_col + len(across):
                if ids.get(row) not in down:
                    self._refuse(cell, f"a heatmap row without its {'actor' if turned else 'scenario'} id in "
                                 "column A", "put the id back, or the row where it was briefed")
                else:
                    sid, aid = (across[col - first_col], ids[row]) if turned else (ids[row], across[col - first_col])
                    self._cell(cell, f"{sid}/{aid}")

    def _cell(self, cell: Any, key: str) -> None:
        briefed = self.base.get(key, {}).get("effect")
        value = self._effect(cell)
        if value == briefed or value is _REFUSED:
            return
        where = f"{self.ws.title}!{cell.coordinate}"
        if briefed is None:
            self.reading.notes.append(f"note: {where}: {value:+d} for impact {key}, which the study does not rate, "
                                      "is not imported — add it as a row on the Impacts sheet with its domains, "
                                      f"confidence and rationale, or `scenmatrix add impact {key}`")
        elif value is None:
            self.reading.notes.append(f"note: {where}: impact {key} was cleared; a brief does not remove impacts "
                                      f"— `scenmatrix rm impact {key}` does")
        else:
            self._change(cell, key, briefed, value, where)

    def _change(self, cell: Any, key: str, briefed: int, value: int, where: str) -> None:
        row = self.theirs.setdefault(key, {})
        if row.get("effect", briefed) not in (briefed, value):
            self._refuse(cell, f"impact {key}: {value:+d} here, {row['effect']:+d} on the Impacts sheet (briefed "
                               f"{briefed:+d})", "make the two agree, or put one back as briefed")
            return
        row["effect"] = value
        self.reading.notes.append(f"note: {where}: impact {key} effect {briefed:+d} → {value:+d}, read from the "
                                  "heatmap")

    def _effect(self, cell: Any) -> Optional[int] | object:
        if cell.data_type in ("f", "e"):
            self._refuse(cell, f"holds {'a formula' if cell.data_type == 'f' else 'the error ' + str(cell.value)}",
                         "type the effect itself")
            return _REFUSED
        if cell.value is None or (isinstance(cell.value, str) and not cell.value.strip()):
            return None
        value = as_effect(cell.value)
        if type(value) is not int or not vocab.EFFECT_MIN <= value <= vocab.EFFECT_MAX:
            self._refuse(cell, f"effect {value!r} is not a whole number from {vocab.EFFECT_MIN} to {vocab.EFFECT_MAX}",
                         "type one of -3, -2, -1, 0, 1, 2, 3")
            return _REFUSED
        return value

    def _refuse(self, cell: Any, message: str, hint: str) -> None:
        self.problems.append(Problem(str(self.brief), cell.row, cell.column, "cell",
                                     f"{self.ws.title}!{get_column_letter(cell.column)}{cell.row}: {message}", hint))


_REFUSED = object()  # a cell already reported as a problem
