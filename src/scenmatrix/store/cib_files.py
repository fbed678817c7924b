"""A cross-impact matrix from a file in any layout scenmatrix reads: ScenarioWizard's `.scw`, else CSV."""

from __future__ import annotations

from pathlib import Path

from scenmatrix.store import cib_csv, cib_scw

SCW_SUFFIXES = (".scw",)


def is_scw(path: Path | str) -> bool:
    return Path(path).suffix.lower() in SCW_SUFFIXES


def read_matrix(path: Path | str) -> cib_csv.CIBFile | cib_scw.ScwFile:
    """The matrix read from `path` (`.matrix`, `.warnings`), a .scw by its suffix, anything else as CSV."""
    return cib_scw.read_scw(path) if is_scw(path) else cib_csv.read_matrix(path)
