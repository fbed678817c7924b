"""The brief's editable cells: which table columns a reviewer may change, their allowed values, and
the hidden marker sheet that records what the brief was made from.

The marker holds the study's id, file name and SHA-256, where each editable table landed, and a
snapshot of every editable value as briefed: the common ancestor for a three-way merge when the
study has changed since. A checksum over the marker catches tampering and damage.
"""

from __future__ import annotations

import hashlib
import json
import tempfile
from dataclasses import dataclass, field as dataclass_field
from typing import Any, Callable, Iterable, Iterator, Optional

from scenmatrix.version import __version__
from scenmatrix.study import vocab
from scenmatrix.study.model import Study

MARKER_SHEET = "_scenmatrix"
MARKER_TITLE = "scenmatrix brief marker — do not edit"
CHUNK = 16_000  # characters of JSON a cell: even all outside the BMP (2 UTF-16 units each), under Excel's 32,767


@dataclass(frozen=True)
class Editable:
    """One table a reviewer can edit: its study kind, the columns that identify a row, the editable fields."""

    kind: str
    keys: tuple[str, ...]
    fields: dict[str, str]  # field -> "effect" | "choice:<vocabulary>" | "text" | "contested"
    can_add: bool = False


EDITABLE: dict[str, Editable] = {
    "impacts": Editable("impact", ("scenario", "actor"),
                       {"effect": "effect", "confidence": "choice:confidence", "rationale": "text"}, can_add=True),
    "scenarios": Editable("scenario", ("id",), {"likelihood": "choice:likelihood", "confidence": "choice:confidence"}),
    "indicators": Editable("indicator", ("id",), {"status": "choice:status"}),
    "evidence": Editable("evidence", ("id",), {"grade": "choice:grade", "contested": "contested"}),
}
# Columns a new Impacts row must fill besides the editable ones.
NEW_IMPACT_FIELDS = ("domains", "evidence")


def choices(vocabulary: str, study: Study) -> list[str]:
    return {
        "confidence": list(vocab.CONFIDENCE),
        "likelihood": list(study.scale),
        "status": list(vocab.INDICATOR_STATUS),
        "grade": list(vocab.GRADES),
    }[vocabulary]


def contested_text(contested_by: dict[str, str]) -> str:
    """'RU: called it a rumour' lines: actor ids so that the text reads back unambiguously."""
    return "\n".join(f"{actor}: {note}" for actor, note in contested_by.items())


def row_key(table: str, row: dict[str, Any]) -> str:
    return "/".join(str(row[k]) for k in EDITABLE[table].keys)


def snapshot(study: Study) -> dict[str, dict[str, dict[str, Any]]]:
    """Every editable value of the study, as the brief shows it: table -> row key -> field -> value."""
    out: dict[str, dict[str, dict[str, Any]]] = {name: {} for name in EDITABLE}
    for table, key, entry in _entries(study):
        out[table][key] = _FIELDS[table](entry)
    return out


_FIELDS: dict[str, Callable[[Any], dict[str, Any]]] = {
    "scenarios": lambda s: {"likelihood": s.likelihood, "confidence": s.confidence},
    "indicators": lambda i: {"status": i.status},
    "impacts": lambda i: {"effect": i.effect, "confidence": i.confidence, "rationale": i.rationale},
    "evidence": lambda e: {"grade": e.grade, "contested": contested_text(e.contested_by)},
}


def _entries(study: Study) -> Iterator[tuple[str, str, Any]]:
    """(table, row key, the study's entry) for every row of the editable tables."""
    for sid, s in study.scenarios.items():
        yield "scenarios", sid, s
        for iid, ind in s.indicators.items():
            yield "indicators", iid, ind
        for aid, imp in s.impacts.items():
            yield "impacts", f"{sid}/{aid}", imp
    for eid, e in study.evidence.items():
        yield "evidence", eid, e


# ---------------------------------------------------------------- writing (openpyxl only here)


def add_validations(ws, table: str, columns: list[str], first: int, last: int, study: Study) -> None:
    """Dropdowns of the allowed values on the editable columns, reaching below the table for new rows."""
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    spec = EDITABLE.get(table)
    if spec is None:
        return
    for field, how in spec.fields.items():
        if field not in columns:
            continue
        col = get_column_letter(columns.index(field) + 1)
        if how == "effect":
            dv = DataValidation(type="whole", operator="between", formula1=str(vocab.EFFECT_MIN),
                                formula2=str(vocab.EFFECT_MAX))
            dv.error = "An effect is a whole number from -3 (severe harm) to 3 (major gain)."
        elif how.startswith("choice:"):
            words = choices(how.split(":", 1)[1], study)
            dv = DataValidation(type="list", formula1='"' + ",".join(words) + '"')
            dv.error = "Choose one of: " + ", ".join(words)
        else:
            dv = DataValidation(type="textLength", operator="lessThanOrEqual", formula1="32767")
            dv.error = "At most 32,767 characters."
        dv.errorTitle, dv.errorStyle, dv.showErrorMessage = "Not allowed", "stop", True
        dv.add(f"{col}{first}:{col}{last + 500}")
        ws.add_data_validation(dv)


def write_marker(ws, study_name: str, study_sha256: str, template: str, study: Study,
                 sheets: dict[str, dict[str, Any]], heatmaps: list[dict[str, Any]] = ()) -> None:
    """The very hidden sheet that import reads: provenance, where the tables are, the snapshot, a checksum."""
    ws.sheet_state = "veryHidden"
    head = [MARKER_TITLE, __version__, study.study.id, study_name, study_sha256, template]
    # The checksum row comes before the payload's rows, so the payload waits in a temporary file: held in
    # memory it would be tens of MB at the end of a large brief, when memory is at its fullest.
    spool = tempfile.TemporaryFile("w+", encoding="utf-8", newline="")
    count = max(1, -(-sum(spool.write(piece) for piece in marker_payload(sheets, study, heatmaps)) // CHUNK))
    spool.seek(0)
    checksum = _checksum(head, iter(lambda: spool.read(CHUNK), ""))
    for row, value in enumerate(head + [str(count), checksum], 1):
        cell = ws.cell(row=row, column=1)
        cell.value, cell.data_type = value, "s"
    ws.stream(len(head) + 3, count, lambda: _chunk_blocks(_spooled(spool), len(head) + 3))


def marker_payload(sheets: dict[str, dict[str, Any]], study: Study,
                   heatmaps: Iterable[dict[str, Any]] = ()) -> Iterator[str]:
    """The marker's JSON, `{"snapshot": snapshot(study), "tables": sheets, "heatmaps": [...]}` with sorted
    keys, in pieces of a row each: never whole, neither as objects nor as one string. A heatmap is where a
    matrix of effects sits (sheet, first row and column, its scenarios' and actors' ids in order), so that
    an edit made there is imported too.

    Excel reads `_xHHHH_` in a cell as an escaped character and rewrites it on save, which would break the
    checksum; in JSON every underscore is inside a string, where \\u005f spells the same underscore."""
    encode = json.JSONEncoder(ensure_ascii=False, sort_keys=True).encode  # one encoder for every row
    rows: dict[str, list[tuple[str, Any]]] = {name: [] for name in EDITABLE}
    for table, key, entry in _entries(study):
        rows[table].append((key, entry))
    yield f'{{"heatmaps": {encode(list(heatmaps))}, "snapshot": {{'.replace("_", "\\u005f")
    for t, table in enumerate(sorted(rows)):
        yield f"{', ' if t else ''}{encode(table)}: {{"
        fields = _FIELDS[table]
        for r, (key, entry) in enumerate(sorted(rows.pop(table), key=lambda row: row[0])):
            yield f"{', ' if r else ''}{encode(key)}: {encode(fields(entry))}".replace("_", "\\u005f")
        yield "}"
    yield f'}}, "tables": {encode(sheets)}}}'.replace("_", "\\u005f")


def _chunk_blocks(chunks: Iterator[str], first: int) -> Iterator[Any]:
    """The payload's cells, 64 a block."""
    from scenmatrix.brief.xlsx.rows import Block

    batch: list[str] = []
    for chunk in chunks:
        batch.append(chunk)
        if len(batch) == 64:
            yield Block(first, [batch], ["Normal"], [None], [None] * len(batch))
            first, batch = first + len(batch), []
    if batch:
        yield Block(first, [batch], ["Normal"], [None], [None] * len(batch))


def _spooled(spool) -> Iterator[str]:
    """The payload back from its file, CHUNK characters at a time."""
    with spool:
        spool.seek(0)
        while chunk := spool.read(CHUNK):
            yield chunk


def _checksum(head: list[str], payload: Iterable[str]) -> str:
    """SHA-256 of the head's fields and the payload (given in pieces), separated by U+001F."""
    digest = hashlib.sha256("\x1f".join([*head, ""]).encode("utf-8"))
    for piece in payload:
        digest.update(piece.encode("utf-8"))
    return digest.hexdigest()


# ---------------------------------------------------------------- reading


@dataclass
class Marker:
    version: str
    study_id: str
    study_name: str
    study_sha256: str
    template: str
    tables: dict[str, dict[str, Any]]
    snapshot: dict[str, dict[str, dict[str, Any]]]
    heatmaps: list[dict[str, Any]] = dataclass_field(default_factory=list)  # older briefs recorded none


def read_marker(wb, fail: Callable[[str, Optional[str]], Exception]) -> Marker:
    """The marker of a scenmatrix brief; `fail(message, hint)` builds the error for anything amiss."""
    if MARKER_SHEET not in wb.sheetnames:
        raise fail("not a scenmatrix brief (no marker sheet)", "import only briefs made by `scenmatrix brief`")
    ws = wb[MARKER_SHEET]
    values = [ws.cell(row=r, column=1).value for r in range(1, 9)]
    if values[0] != MARKER_TITLE or not all(isinstance(v, str) for v in values):
        raise fail("the brief's marker sheet is damaged or was edited", "import an unmodified brief")
    head, count, checksum = values[:6], values[6], values[7]
    if not count.isdigit() or not 0 < int(count) < 100_000:
        raise fail("the brief's marker sheet is damaged or was edited", "import an unmodified brief")
    payload = "".join(str(ws.cell(row=9 + i, column=1).value or "") for i in range(int(count)))
    if _checksum(head, [payload]) != checksum:
        raise fail("the brief's marker was tampered with (checksum mismatch)",
                   "make a new brief with `scenmatrix brief` and review that")
    # The checksum is a plain SHA-256 that anyone can recompute: a marker that matches it is still
    # untrusted data, so its shape is checked before any of it is used.
    try:
        data = json.loads(payload)
    except ValueError:
        data = None
    wrong = _shape_problem(data)
    if wrong is not None:
        raise fail(f"the brief's marker is not one scenmatrix writes ({wrong})", "make a new brief with "
                   "`scenmatrix brief` and review that")
    tables = {name: {"headers": where["columns"], "ignored_sheets": [], **where}
              for name, where in data["tables"].items()}  # older briefs recorded no headers
    return Marker(head[1], head[2], head[3], head[4], head[5], tables, data["snapshot"], data.get("heatmaps", []))


def _shape_problem(data: Any) -> Optional[str]:
    """What is wrong with the marker's JSON, or None: the tables and snapshot as write_marker makes them."""
    if not isinstance(data, dict) or not isinstance(data.get("tables"), dict) or \
            not isinstance(data.get("snapshot"), dict):
        return "not a JSON object with tables and snapshot"
    for name, where in data["tables"].items():
        if name not in EDITABLE or not isinstance(where, dict):
            return f"unknown table {name!r}"
        columns, headers = where.get("columns"), where.get("headers", where.get("columns"))
        if not (_strings(columns) and _strings(headers) and len(headers) == len(columns)
                and isinstance(where.get("sheet"), str) and _strings(where.get("ignored_sheets", []))
                and type(where.get("header_row")) is int and 1 <= where["header_row"] <= 1000):
            return f"table {name!r} is not sheet, columns, headers and header row"
    for heatmap in data.get("heatmaps", []) if isinstance(data.get("heatmaps", []), list) else [None]:
        if not (isinstance(heatmap, dict) and isinstance(heatmap.get("sheet"), str)
                and all(type(heatmap.get(k)) is int and 1 <= heatmap[k] <= 100_000 for k in ("first_row", "first_col"))
                and _strings(heatmap.get("scenarios")) and _strings(heatmap.get("actors"))
                and heatmap.get("down", "scenarios") in ("scenarios", "actors")):
            return "a heatmap is not sheet, first row and column, scenarios and actors"
    for name, rows in data["snapshot"].items():
        spec = EDITABLE.get(name)
        if spec is None or not isinstance(rows, dict):
            return f"unknown snapshot table {name!r}"
        for key, fields in rows.items():
            if not isinstance(fields, dict) or not all(_briefed_value(spec, f, v) for f, v in fields.items()):
                return f"snapshot row {name} {key!r} has values of the wrong kind"
    return None


def _strings(values: Any) -> bool:
    return isinstance(values, list) and all(isinstance(v, str) for v in values)


def _briefed_value(spec: Editable, name: str, value: Any) -> bool:
    how = spec.fields.get(name)
    if how == "effect":
        return type(value) is int
    return how is not None and (value is None or isinstance(value, str))
