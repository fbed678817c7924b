"""Export a study's normalized tables as JSON or CSV, to text or to a folder of files."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Optional

from scenmatrix.store import files
from scenmatrix.bulk import gc_paused
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
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    with gc_paused():
        data = rows(study)
        for table in TABLES:
            text = _json(data[table]) if fmt == "json" else _csv(table, data[table])
            path = folder / f"{table}.{fmt}"
            files.write_atomic(path, text.encode("utf-8"))
            written.append(path)
    return written


def _json(data) -> str:
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"


def _csv(table: str, table_rows: list[dict]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS[table], lineterminator="\n")
    writer.writeheader()
    for row in table_rows:
        writer.writerow({key: flat(value) for key, value in row.items()})
    return out.getvalue()
