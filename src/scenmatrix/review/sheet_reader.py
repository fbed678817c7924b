"""A reviewed brief's editable tables, read as the reviewer left them: columns found by their headers,
every cell checked, nothing taken on trust.

A reviewer may insert, move or hide columns, sort rows, and type anything in any cell. So a column is the
one under its briefed header (wherever it now is), a cell is read from the cells the file holds (never
the sheet's declared size, which a single far cell makes a million rows), and a value that is not plainly
what the field takes — a formula, an error, a date in a text, `--2` or a full-width digit in an effect,
a row given twice — is refused with its cell.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator, Optional

from openpyxl.utils import get_column_letter

from scenmatrix.brief.marker import EDITABLE, NEW_IMPACT_FIELDS, Marker, choices
from scenmatrix.brief.xlsx.cells import ooxml_unescape
from scenmatrix.errors import Problem, ScenmatrixError, did_you_mean
from scenmatrix.store.loader import LoadedStudy
from scenmatrix.study import vocab

_WHOLE = re.compile(r"[+-]?[0-9]+")  # ASCII digits only: int() would also take '٢' and '２'
GONE = "<removed from the study>"


class BriefImportError(ScenmatrixError):
    """A brief that cannot be imported: damaged, not ours, or holding values outside the vocabularies."""


@dataclass
class Reading:
    """What the reviewer's brief says: table -> row key -> field -> value, new impact rows, and notes on
    what was seen and left (extra columns, second sheets of a table)."""

    theirs: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    new_rows: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def read_tables(brief: Path, wb: Any, marker: Marker, loaded: LoadedStudy) -> Reading:
    """Every editable table of the brief, checked; raises BriefImportError listing every bad cell."""
    reading, problems = Reading(), []
    for table, where in marker.tables.items():
        if table not in EDITABLE:
            continue
        if where["sheet"] not in wb.sheetnames:
            problems.append(Problem(str(brief), 1, 1, "sheet", f"sheet {where['sheet']!r} is missing",
                                    "import a brief whose sheets were not removed or renamed"))
            continue
        reading.notes += [f"note: sheet {s!r} also shows {table}; edits there are not imported (only "
                          f"{where['sheet']!r} is)" for s in where["ignored_sheets"]]
        _TableReader(brief, wb[where["sheet"]], table, where, loaded, problems, marker).read_into(reading)
    if problems:
        raise BriefImportError(problems)
    return reading


class _TableReader:
    """One editable table sheet, its columns found by header, each value checked against its vocabulary."""

    def __init__(self, brief: Path, ws: Any, table: str, where: dict, loaded: LoadedStudy,
                 problems: list[Problem], marker: Marker):
        self.brief, self.ws, self.table, self.loaded, self.problems = brief, ws, table, loaded, problems
        self.spec = EDITABLE[table]
        self.briefed = marker.snapshot.get(table, {})  # a cell left as briefed is never refused
        self.header_row: int = where["header_row"]
        self.columns = self._find_columns(where["columns"], where["headers"])

    def refuse_cell(self, row: int, col: int, message: str, hint: Optional[str] = None) -> None:
        self.problems.append(Problem(str(self.brief), row, col, "cell",
                                     f"{self.ws.title}!{get_column_letter(col)}{row}: {message}", hint))

    def _find_columns(self, fields: list[str], headers: list[str]) -> dict[str, int]:
        """field -> column number, by the header each field was briefed under."""
        found: dict[str, list[int]] = defaultdict(list)
        for (row, col), cell in self.ws._cells.items():  # only the cells in the file
            if row == self.header_row and isinstance(cell.value, str) and cell.value.strip():
                found[cell.value.strip().casefold()].append(col)
        wanted = set(self.spec.keys) | set(self.spec.fields) | set(NEW_IMPACT_FIELDS if self.spec.can_add else ())
        columns = {}
        for name, header in zip(fields, headers):
            cols = sorted(found.pop(header.strip().casefold(), []))
            if name not in wanted:
                continue
            if len(cols) == 1:
                columns[name] = cols[0]
            elif cols:
                self.refuse_cell(self.header_row, cols[1], f"column {header!r} appears {len(cols)} times "
                             f"({', '.join(get_column_letter(c) for c in cols)})", "keep one: import would not "
                             "know which to read")
            elif name not in NEW_IMPACT_FIELDS:
                self.refuse_cell(self.header_row, 1, f"column {header!r} ({name}) is missing from the header row",
                             "put its header back as briefed: import finds each column it reads by its header")
        self.extra = sorted(self.ws.cell(self.header_row, cols[0]).value.strip() for cols in found.values())
        return columns

    def read_into(self, reading: Reading) -> None:
        if self.extra:
            reading.notes.append(f"note: {self.ws.title}: column(s) {', '.join(map(repr, self.extra))} are not "
                                 "the brief's; ignored")
        if not set(self.spec.keys) <= set(self.columns):
            return  # the missing key column is already a problem
        table = reading.theirs.setdefault(self.table, {})
        seen: dict[str, int] = {}
        for key, values, row, cells in self._rows():
            if key in seen:
                self.refuse_cell(row, self.columns[self.spec.keys[0]], f"{self.spec.kind} {key} is given twice (rows "
                             f"{seen[key]} and {row})", "keep one row an entry")
                continue
            seen[key] = row
            if key in self.briefed:
                table[key] = values
            elif self.spec.can_add:
                reading.new_rows.append((key, self._new_entry(values, row, cells)))
            else:
                self.refuse_cell(row, 1, f"new row {key!r}: only new impacts can be added from a brief",
                             f"add it with `scenmatrix add {self.spec.kind}`")

    def _rows(self) -> Iterator[tuple[str, dict[str, Any], int, dict[str, Any]]]:
        """(row key, checked editable values, row number, the row's cells by field) for each non-empty row."""
        by_row: dict[int, dict[str, Any]] = defaultdict(dict)
        fields_at = {col: name for name, col in self.columns.items()}
        for (row, col), cell in self.ws._cells.items():
            if row > self.header_row and col in fields_at and cell.value is not None:
                by_row[row][fields_at[col]] = cell
        for row in sorted(by_row):
            cells = by_row[row]
            if all(_blank(cell.value) for cell in cells.values()) or not self._plain(cells):
                continue
            keys = [cells[k].value if k in cells else None for k in self.spec.keys]
            if any(not isinstance(k, str) or not k.strip() for k in keys):
                self.refuse_cell(row, self.columns[self.spec.keys[0]], "a row without its id", "fill in the id columns")
                continue
            key = "/".join(k.strip() for k in keys)
            before = self.briefed.get(key, {})
            values = {name: self._value(name, cells[name].value if name in cells else None, row, before.get(name, GONE))
                      for name in self.spec.fields if name in self.columns}
            yield key, values, row, cells

    def _plain(self, cells: dict[str, Any]) -> bool:
        """No formula and no error value: a cached result imported as if typed would hide what the cell does."""
        plain = True
        for cell in cells.values():
            if cell.data_type == "f":
                text = cell.value if isinstance(cell.value, str) else "an array formula"
                self.refuse_cell(cell.row, cell.column, f"holds a formula ({text[:60]})", "type the value itself")
                plain = False
            elif cell.data_type == "e":
                self.refuse_cell(cell.row, cell.column, f"holds the error {cell.value}", "type the value itself")
                plain = False
        return plain

    def _value(self, name: str, value: Any, row: int, briefed: Any) -> Any:
        col = self.columns[name]
        how = self.spec.fields[name]
        if isinstance(value, str):
            value = ooxml_unescape(value)  # as Excel reads it
        if how == "effect":
            return self._effect(value, row, col)
        if isinstance(value, (dt.date, dt.time, dt.timedelta, bool)):
            self.refuse_cell(row, col, f"holds {'a truth value' if isinstance(value, bool) else 'a date or time'} "
                         f"({value}), not text", "type it as text (start it with an apostrophe)")
            return None
        text = "" if value is None else value if isinstance(value, str) else str(value)
        text = text.replace("\r\n", "\n").replace("\r", "\n")
        if isinstance(briefed, str) and same(text, briefed):
            return text  # unchanged: valid in the study, whatever it holds
        if how.startswith("choice:"):
            allowed = choices(how.split(":", 1)[1], self.loaded.study)
            if text not in allowed:
                self.refuse_cell(row, col, f"{text!r} is not an allowed {name}",
                             did_you_mean(text, allowed) or "choose one of: " + ", ".join(allowed))
        elif how == "contested":
            for line in contested_pairs(text, self.loaded.study.actors)[1]:
                self.refuse_cell(row, col, f"contested-by line {line!r} is not 'ACTOR: how it is contested' with a "
                             "known actor id")
        elif not text.strip():
            self.refuse_cell(row, col, f"{name} must not be empty")
        return text

    def _effect(self, value: Any, row: int, col: int) -> Any:
        value = as_effect(value)
        if type(value) is not int or not vocab.EFFECT_MIN <= value <= vocab.EFFECT_MAX:
            self.refuse_cell(row, col, f"effect {value!r} is not a whole number from {vocab.EFFECT_MIN} to "
                         f"{vocab.EFFECT_MAX}", "type one of -3, -2, -1, 0, 1, 2, 3")
        return value

    def _new_entry(self, values: dict[str, Any], row: int, cells: dict[str, Any]) -> dict[str, Any]:
        entry = dict(values)
        for name in NEW_IMPACT_FIELDS:
            value = cells[name].value if name in cells else None
            entry[name] = [part.strip() for part in str(value).split(";") if part.strip()] if value else []
        missing = [n for n in ("effect", "confidence", "rationale", "domains") if not entry.get(n) and entry.get(n) != 0]
        if missing:
            self.refuse_cell(row, 1, f"new impact is missing {', '.join(missing)}")
        return entry


def as_effect(value: Any) -> Any:
    """A cell's value as the whole number it plainly is (2.0, ' -2 '), else unchanged for the caller to refuse."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and _WHOLE.fullmatch(value.strip()):
        return int(value.strip())
    return value


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def same(their: Any, other: Any) -> bool:
    """Equal as the brief can show it: a cell's line breaks are read back as \n."""
    if isinstance(their, str) and isinstance(other, str):
        return their == other.replace("\r\n", "\n").replace("\r", "\n")
    return their == other


def contested_pairs(text: str, actors: Any) -> tuple[dict[str, str], list[str]]:
    """A contested-by cell's 'ACTOR: how' lines as {actor: how}. A line that does not start with a known
    actor id continues the note above it (a note may span lines). Also returns the lines that fit nowhere."""
    pairs: dict[str, str] = {}
    bad: list[str] = []
    current = None
    for line in text.split("\n"):
        actor, sep, note = line.partition(": ")
        if sep and actor in actors:
            current, pairs[actor] = actor, note
        elif current is not None:
            pairs[current] += "\n" + line
        elif line.strip():
            bad.append(line)
    return pairs, bad + [f"{actor}: {note}" for actor, note in pairs.items() if not note.strip()]

