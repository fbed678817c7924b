"""Import a reviewed brief: read its editable cells, merge them with the study, apply through the edit path.

Three versions meet: the BASE (the editable values as briefed, kept in the brief's marker), OURS
(the study file now) and THEIRS (the cells as the reviewer left them). A field changed on one side
only takes that side; changed on both sides to different values, it is a conflict, and nothing is
written unless the caller says which side wins.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional

from scenmatrix.study import vocab
from scenmatrix.brief.xlsx.cells import ooxml_unescape
from scenmatrix.brief.marker import EDITABLE, NEW_IMPACT_FIELDS, Marker, choices, read_marker, snapshot
from scenmatrix.errors import Problem, ScenmatrixError
from scenmatrix.store.loader import LoadedStudy, load


class BriefImportError(ScenmatrixError):
    """A brief that cannot be imported: damaged, not ours, or holding values outside the vocabularies."""


@dataclass(frozen=True)
class FieldChange:
    table: str
    key: str
    field: str
    old: Any
    new: Any


@dataclass
class ImportPlan:
    """What importing a brief would do to a study."""

    study: Path
    marker: Marker
    changes: list[FieldChange] = field(default_factory=list)
    added: list[tuple[str, dict[str, Any]]] = field(default_factory=list)  # impacts: key -> fields
    deleted: list[tuple[str, str]] = field(default_factory=list)  # rows gone from the brief, kept in the study
    conflicts: list[tuple[FieldChange, Any]] = field(default_factory=list)  # (their change, our value)
    study_changed: bool = False
    actors: tuple[str, ...] = ()  # the study's actor ids, which start the lines of a contested-by cell

    @property
    def empty(self) -> bool:
        return not (self.changes or self.added or self.conflicts)

    def to_json(self) -> dict[str, Any]:
        return {"changes": [dataclasses.asdict(c) for c in self.changes],
                "added": [{"impact": k, **v} for k, v in self.added],
                "deleted": [{"table": t, "key": k} for t, k in self.deleted],
                "conflicts": [{**dataclasses.asdict(c), "ours": o} for c, o in self.conflicts],
                "study_changed": self.study_changed}


def plan_import(brief: Path | str, study: Path | str) -> ImportPlan:
    """Read a brief and work out its changes against the study (nothing is written)."""
    brief = Path(brief)
    loaded = load(study)
    wb = _open(brief)
    marker = read_marker(wb, lambda message, hint: BriefImportError([Problem(str(brief), 1, 1, "marker", message, hint)]))
    if marker.study_id != loaded.study.study.id:
        raise BriefImportError([Problem(str(brief), 1, 1, "marker",
                                    f"this brief was made from study {marker.study_id!r}, not "
                                    f"{loaded.study.study.id!r}", "pass the right study with -s")])
    theirs, new_rows, problems = _read_tables(brief, wb, marker, loaded)
    if problems:
        raise BriefImportError(problems)
    plan = ImportPlan(loaded.path, marker, study_changed=marker.study_sha256 != loaded.document.sha256,
                      actors=tuple(loaded.study.actors))
    ours = snapshot(loaded.study)
    _merge(plan, marker.snapshot, ours, theirs)
    _merge_new_rows(plan, ours["impacts"], new_rows)
    return plan


def _merge_new_rows(plan: ImportPlan, ours: dict, new_rows: list[tuple[str, dict[str, Any]]]) -> None:
    """A row new in the brief that the study has meanwhile gained too: equal is done, different conflicts."""
    for key, fields in new_rows:
        if key not in ours:
            plan.added.append((key, fields))
            continue
        for name, value in ours[key].items():
            if fields.get(name) != value:
                plan.conflicts.append((FieldChange("impacts", key, name, None, fields.get(name)), value))


def _open(path: Path):
    from scenmatrix.store.workbook_guard import open_untrusted  # refuses bombs, encryption, entities... before openpyxl parses

    return open_untrusted(path)


def _merge(plan: ImportPlan, base: dict, ours: dict, theirs: dict) -> None:
    for table, rows in base.items():
        if table not in theirs:
            continue  # the template did not show this table: nothing to import from it
        for key, fields in rows.items():
            if key not in theirs[table]:
                plan.deleted.append((table, key))
                continue
            for name, base_value in fields.items():
                if name not in theirs[table][key]:
                    continue  # column not in the brief
                their, our = theirs[table][key][name], ours.get(table, {}).get(key, {}).get(name, _GONE)
                if _same(their, base_value) or _same(their, our):
                    continue
                change = FieldChange(table, key, name, base_value, their)
                if our == base_value:
                    plan.changes.append(change)
                else:
                    plan.conflicts.append((change, our))


_GONE = "<removed from the study>"


def _same(their: Any, other: Any) -> bool:
    """Equal as the brief can show it: a cell's line breaks are read back as \n (see _TableReader.value)."""
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


def _read_tables(brief: Path, wb, marker: Marker, loaded: LoadedStudy):
    """theirs: table -> key -> field -> value, new impact rows, and every bad cell as a problem."""
    theirs: dict[str, dict[str, dict[str, Any]]] = {}
    new_rows: list[tuple[str, dict[str, Any]]] = []
    problems: list[Problem] = []
    for table, where in marker.tables.items():
        if table not in EDITABLE:
            continue
        if where["sheet"] not in wb.sheetnames:
            problems.append(Problem(str(brief), 1, 1, "sheet", f"sheet {where['sheet']!r} is missing",
                                    "import a brief whose sheets were not removed or renamed"))
            continue
        reader = _TableReader(brief, wb[where["sheet"]], table, where, loaded, problems, marker.snapshot.get(table, {}))
        theirs[table] = {}
        for key, values, row in reader.rows():
            if key in marker.snapshot[table]:
                theirs[table][key] = values
            elif EDITABLE[table].can_add:
                new_rows.append((key, reader.new_entry(values, row)))
            else:
                problems.append(reader.cell_problem(row[0], 1, f"new row {key!r} in {where['sheet']}: only new impacts "
                                               "can be added from a brief", f"add it with `scenmatrix add {EDITABLE[table].kind}`"))
    return theirs, new_rows, problems


class _TableReader:
    """Reads one editable table sheet by its header names, checking every value against its vocabulary."""

    def __init__(self, brief: Path, ws, table: str, where: dict, loaded: LoadedStudy, problems: list[Problem],
                 briefed: Optional[dict] = None):
        self.briefed = briefed or {}  # key -> field -> value as briefed: a cell left as it was is never refused
        self.brief, self.ws, self.table, self.loaded, self.problems = brief, ws, table, loaded, problems
        self.spec = EDITABLE[table]
        self.columns: list[str] = where["columns"]
        self.header_row: int = where["header_row"]

    def cell_problem(self, row: int, col: int, message: str, hint: Optional[str] = None) -> Problem:
        from openpyxl.utils import get_column_letter

        return Problem(str(self.brief), row, col, "cell", f"{self.ws.title}!{get_column_letter(col)}{row}: {message}",
                       hint)

    def rows(self):
        width = len(self.columns)
        for row_number, cells in enumerate(
                self.ws.iter_rows(min_row=self.header_row + 1, max_col=width, values_only=True), self.header_row + 1):
            if all(v is None or (isinstance(v, str) and not v.strip()) for v in cells):
                continue
            cells = tuple(ooxml_unescape(v) if isinstance(v, str) else v for v in cells)  # as Excel reads them
            raw = dict(zip(self.columns, cells))
            keys = [raw.get(k) for k in self.spec.keys]
            if any(not isinstance(k, str) or not k for k in keys):
                self.problems.append(self.cell_problem(row_number, 1, "a row without its id", "fill in the id columns"))
                continue
            before = self.briefed.get("/".join(keys), {})
            values = {name: self.value(name, raw.get(name), row_number, before.get(name, _GONE))
                      for name in self.spec.fields if name in self.columns}
            yield "/".join(keys), values, (row_number, raw)

    def value(self, name: str, value: Any, row: int, briefed: Any = None) -> Any:
        col = self.columns.index(name) + 1
        how = self.spec.fields[name]
        if how == "effect":
            if isinstance(value, float) and value.is_integer():
                value = int(value)
            if isinstance(value, str) and value.strip().lstrip("+-").isdigit():
                value = int(value.strip())
            if not isinstance(value, int) or isinstance(value, bool) or not vocab.EFFECT_MIN <= value <= vocab.EFFECT_MAX:
                self.problems.append(self.cell_problem(row, col, f"effect {value!r} is not a whole number from -3 to 3"))
            return value
        text = "" if value is None else str(value) if not isinstance(value, str) else value
        text = text.replace("\r\n", "\n").replace("\r", "\n")
        if isinstance(briefed, str) and _same(text, briefed):
            return text  # unchanged: valid in the study, whatever it holds
        if how.startswith("choice:"):
            allowed = choices(how.split(":", 1)[1], self.loaded.study)
            if text not in allowed:
                from scenmatrix.errors import did_you_mean

                hint = did_you_mean(text, allowed) or "choose one of: " + ", ".join(allowed)
                self.problems.append(self.cell_problem(row, col, f"{text!r} is not an allowed {name}", hint))
        elif how == "contested":
            self._check_contested(text, row, col)
        elif not text.strip():
            self.problems.append(self.cell_problem(row, col, f"{name} must not be empty"))
        return text

    def _check_contested(self, text: str, row: int, col: int) -> None:
        for line in contested_pairs(text, self.loaded.study.actors)[1]:
            self.problems.append(self.cell_problem(row, col, f"contested-by line {line!r} is not 'ACTOR: how it is "
                                              "contested' with a known actor id"))

    def new_entry(self, values: dict[str, Any], row: tuple[int, dict]) -> dict[str, Any]:
        number, raw = row
        entry = dict(values)
        for name in NEW_IMPACT_FIELDS:
            cell = raw.get(name)
            entry[name] = [part.strip() for part in str(cell).split(";") if part.strip()] if cell else []
        missing = [n for n in ("effect", "confidence", "rationale", "domains") if not entry.get(n) and entry.get(n) != 0]
        if missing:
            self.problems.append(self.cell_problem(number, 1, f"new impact is missing {', '.join(missing)}"))
        return entry


def operations(plan: ImportPlan, prefer: Optional[str] = None) -> list[tuple[str, str, str, dict[str, Any]]]:
    """The edits that carry out a plan; conflicts need prefer='theirs' (take the brief) or 'ours' (keep)."""
    if plan.conflicts and prefer not in ("theirs", "ours"):
        raise BriefImportError("\n".join(
            [f"{plan.study}: {len(plan.conflicts)} conflict(s) between the brief and changes made to the study "
             "since it was briefed — nothing was written; rerun with --theirs (take the brief) or --ours (keep "
             "the study)"] + [f"  {c.table} {c.key} {c.field}: briefed {c.old!r}, study now {our!r}, brief says "
                               f"{c.new!r}" for c, our in plan.conflicts]))
    changes = list(plan.changes) + ([c for c, _ in plan.conflicts] if prefer == "theirs" else [])
    grouped: dict[tuple[str, str], dict[str, Any]] = {}
    for c in changes:
        fields = grouped.setdefault((c.table, c.key), {})
        if c.field == "contested":
            fields["contested_by"] = contested_pairs(c.new, plan.actors)[0] or None
        else:
            fields[c.field] = c.new
    ops = [("set", EDITABLE[table].kind, key, fields) for (table, key), fields in grouped.items()]
    ops += [("add", "impact", key, fields) for key, fields in plan.added]
    return ops


def apply_import(plan: ImportPlan, prefer: Optional[str] = None, dry_run: bool = False) -> str:
    """Write the plan through the edit path (validated, comments kept, atomic, locked); returns the diff."""
    from scenmatrix.edit import api as edit

    return edit.apply(plan.study, operations(plan, prefer), dry_run=dry_run).diff


def describe(plan: ImportPlan) -> list[str]:
    """The plan as lines for the terminal, in the style of `scenmatrix diff`."""
    lines = []
    if plan.study_changed:
        lines.append(f"note: {plan.study} changed since the brief was made; merged three ways")
    lines += [f"~ {c.table} {c.key}: {c.field} {c.old!r} -> {c.new!r}" for c in plan.changes]
    lines += [f"+ impact {key}: {fields}" for key, fields in plan.added]
    lines += [f"! conflict {c.table} {c.key}: {c.field} briefed {c.old!r}, study {our!r}, brief {c.new!r}"
              for c, our in plan.conflicts]
    lines += [f"- {table} {key}: row deleted in the brief; kept in the study (remove it with `scenmatrix rm`)"
              for table, key in plan.deleted]
    return lines or ["no changes"]
