"""A template's base workbook: a house style from outside, so untrusted, and nothing active reaches a brief.

What a brief takes from its base: the base's sheets with their text, numbers, styles, column widths and
page set-up, its named styles and its theme. What is refused, with the cell or part that holds it: what
the guard refuses in any workbook (a zip bomb, entities, macros, links to other workbooks), parts that act
on opening (workbook_guard.ACTIVE_PARTS), formulas (a hidden `=WEBSERVICE(...)` would send the study's
text out), hyperlinks out of the workbook, defined names other than plain references into it, formulas
in validations and conditional formats that call functions, and a sheet the brief itself would write (a
template sheet's title with cells in it, or the marker sheet).
"""

from __future__ import annotations

import re
from pathlib import Path

from openpyxl.workbook import Workbook
from openpyxl.worksheet.worksheet import Worksheet

from scenmatrix.brief.marker import MARKER_SHEET
from scenmatrix.errors import Problem, TemplateError, WorkbookError
from scenmatrix.store.workbook_guard import open_untrusted

# A reference into this workbook: 'Sheet name'!$A$1:$B$2 (or a sheet name without quotes), several with commas.
_LOCAL_REFERENCE = re.compile(r"^(?:(?:'(?:[^']|'')+'|[^'!\[\](),]+)!\$?[A-Z]{1,3}\$?\d+(?::\$?[A-Z]{1,3}\$?\d+)?,?)+$")
_CALL = re.compile(r"[A-Za-z_][A-Za-z0-9_.]*\s*\(")
_FIX = "remove it from the base workbook and save it again"


def load_base(path: Path, template: Path, brief_sheets: list[str]) -> Workbook:
    """The base workbook at `path`, loaded with its formulas so that any is refused; raises TemplateError
    naming the base and what in it is refused (the template's path in the message)."""
    try:
        wb = open_untrusted(path, formulas=True, passive=True)
    except WorkbookError as exc:
        raise TemplateError([_of_template(p, template) for p in exc.problems]) from None
    problem = _first_active(wb, brief_sheets)
    if problem is not None:
        where, message, line, col = problem
        raise TemplateError([Problem(str(path), line, col, "template", f"{where}: {message}; the base workbook of "
                                     f"{str(template)!r} gives a brief styles and text, nothing active", _FIX)])
    return wb


def _of_template(problem: Problem, template: Path) -> Problem:
    return Problem(problem.path, problem.line, problem.col, "template",
                   f"{problem.message} (the base workbook of {str(template)!r})", problem.hint)


def _first_active(wb: Workbook, brief_sheets: list[str]) -> tuple[str, str, int, int] | None:
    for name, defined in wb.defined_names.items():
        if not _LOCAL_REFERENCE.match(defined.attr_text or ""):
            return f"defined name {name!r}", f"refers to {defined.attr_text!r}, not to cells of this workbook", 1, 1
    written = {title.casefold() for title in brief_sheets} | {MARKER_SHEET.casefold()}
    for ws in wb.worksheets:
        if ws.title.casefold() in written and (ws._cells or ws.title.casefold() == MARKER_SHEET.casefold()):
            return (f"sheet {ws.title!r}", "has cells, and the brief writes a sheet of that title (a base sheet of a "
                    "template sheet's title gives it only its page set-up)", 1, 1)
        problem = _first_active_on(ws)
        if problem is not None:
            return problem
    return None


def _first_active_on(ws: Worksheet) -> tuple[str, str, int, int] | None:
    for name, defined in ws.defined_names.items():
        if not _LOCAL_REFERENCE.match(defined.attr_text or ""):
            return f"{ws.title}: defined name {name!r}", f"refers to {defined.attr_text!r}", 1, 1
    for cell in ws._cells.values():  # only the cells in the file (iter_rows would make the whole used range)
        where = f"{ws.title}!{cell.coordinate}"
        if cell.data_type == "f":
            text = cell.value if isinstance(cell.value, str) else getattr(cell.value, "text", "") or "an array formula"
            return where, f"holds a formula ({str(text)[:60]})", cell.row, cell.column
        if cell.hyperlink is not None and cell.hyperlink.target:
            return where, f"links out of the workbook ({cell.hyperlink.target[:60]})", cell.row, cell.column
    for validation in ws.data_validations.dataValidation:
        for formula in (validation.formula1, validation.formula2):
            if formula and _CALL.search(formula):
                return f"{ws.title}: a data validation", f"calls a function ({formula[:60]})", 1, 1
    for formatting in ws.conditional_formatting:
        for rule in formatting.rules:
            for formula in rule.formula or ():
                if _CALL.search(formula):
                    return f"{ws.title}: a conditional format", f"calls a function ({formula[:60]})", 1, 1
    return None
