"""A cross-impact matrix from a file in any layout scenmatrix reads: ScenarioWizard's `.scw`, else CSV."""

from __future__ import annotations

from pathlib import Path

from scenmatrix.store import cib_csv, cib_scw, files

SCW_SUFFIXES = (".scw",)


def is_scw(path: Path | str) -> bool:
    return Path(path).suffix.lower() in SCW_SUFFIXES


def read_matrix(path: Path | str) -> cib_csv.CIBFile | cib_scw.ScwFile:
    """The matrix read from `path` (`.matrix`, `.warnings`), a .scw by its suffix, anything else as CSV."""
    return cib_scw.read_scw(path) if is_scw(path) else cib_csv.read_matrix(path)


def check_solutions_output(path: Path | str, matrix: Path | str) -> None:
    """Refuse, before a search, a solution set's path that names another kind of file or the matrix itself."""
    files.check_output(path, (".sl",), "--sl", {"the matrix": Path(matrix)}, what="ScenarioWizard solution set")


def write_solutions(path: Path | str, rows: list) -> None:
    """Write (scenario, basin, consistency value, total impact score) rows as a .sl (cib_scw.write_solutions)."""
    cib_scw.write_solutions(path, rows)
