"""Export a study's normalized tables as JSON or CSV, to text or to a folder of files; its cross-impact
model (`cib:`) as a ScenarioWizard .scw file."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Optional

from scenmatrix.store import files
from scenmatrix.bulk import gc_paused
from scenmatrix.errors import UsageError
from scenmatrix.study.formulas import is_risky
from scenmatrix.study.model import Study
from scenmatrix.study.tables import COLUMNS, TABLES, flat, rows

FORMATS = ("json", "csv")


def to_json(study: Study, table: Optional[str] = None) -> str:
    """All tables as one JSON object (lists stay lists), or one table as a JSON array."""
    with gc_paused():
        data = rows(study)
        return _json(data[table] if table else data)


def to_csv(study: Study, table: str) -> str:
    """One table as CSV; list fields become '; '-joined cells."""
    with gc_paused():
        return _csv(table, rows(study)[table])


def export_folder(study: Study, fmt: str, folder: Path | str) -> list[Path]:
    """One file a table (`impacts.csv`, ...) in folder, each written atomically; returns the paths."""
    folder = Path(folder)
    targets = [folder / f"{table}.{fmt}" for table in TABLES]
    for path in targets:
        files.check_output(path, (f".{fmt}",), "-o/--output", what="table")
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    with gc_paused():
        data = rows(study)
        for table, path in zip(TABLES, targets):
            text = _json(data[table]) if fmt == "json" else _csv(table, data[table])
            files.write_atomic(path, text.encode("utf-8"))
            written.append(path)
    return written


def _inert(value):
    """Text a spreadsheet would evaluate (`=HYPERLINK(...)`, `@SUM`, `-1+1`) gets a leading apostrophe, as the
    brief's quote prefix does: CSV has no cell types, and opening the file in a spreadsheet must not run it."""
    return "'" + value if isinstance(value, str) and is_risky(value) else value


def _json(data) -> str:
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"


def _csv(table: str, table_rows: list[dict]) -> str:
    """RFC 4180 fields, LF between records. Written here rather than with the csv module: Python 3.11's
    writer leaves a field holding a lone CR unquoted, which every reader then takes for a line break."""
    columns = COLUMNS[table]
    lines = [",".join(map(_field, columns))]
    lines += [",".join(_field(_inert(flat(row.get(key)))) for key in columns) for row in table_rows]
    return "\n".join(lines) + "\n"


def _field(value: Any) -> str:
    text = "" if value is None else str(value)
    return '"' + text.replace('"', '""') + '"' if any(c in text for c in ',"\r\n') else text


def cib_scw(study: Study, title: str) -> bytes:
    """The study's cross-impact model as a ScenarioWizard .scw file's bytes (Windows-1252, CRLF, as
    ScenarioWizard writes): descriptors and variants named by their ids (ScenarioWizard's short names),
    the judgments, and the study's note as the model's note. Titles stay in the study."""
    from scenmatrix.analysis import cib_model
    from scenmatrix.store import cib_scw as scw

    if study.cib is None:
        raise UsageError("the study has no cross-impact model (`cib:`) to export: `scenmatrix add descriptor ...` "
                         "starts one", "--format")
    matrix = cib_model.to_matrix(study.cib)
    parts = scw.new_parts(matrix, title, study.cib.note)
    return scw.format_scw(matrix, parts).encode("cp1252")


def write_cib_scw(study: Study, path: Path | str, inputs: Optional[dict[str, Path]] = None) -> Path:
    """Write the study's cross-impact model to PATH (.scw) atomically; see cib_scw."""
    path = Path(path)
    files.check_output(path, (".scw",), "-o/--output", inputs or {}, what="ScenarioWizard model")
    files.write_atomic(path, cib_scw(study, path.name))
    return path
