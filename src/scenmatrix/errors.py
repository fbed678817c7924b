"""Problems as data: every error the tool reports about an input carries its position and a hint.

Every problem has a code from CODES, the one catalogue of what can go wrong; a test walks the source so
that no code is used without being listed here.
"""

from __future__ import annotations

import errno
import os
import re
from dataclasses import dataclass
from typing import Iterable, Literal, Optional

Severity = Literal["error", "warning"]

# code -> what it means, one line. Codes are data for scripts (Problem.code), never printed.
CODES: dict[str, str] = {
    # reading a study
    "file": "the study file cannot be read: missing, a folder, too large, not UTF-8 text",
    "anchor": "a YAML anchor or alias, which a study may not use",
    "character": "a control or invisible character in a key or a value",
    "git": "a study at a git revision cannot be read",
    # a study's content
    "missing": "a required field is absent",
    "unknown-field": "a field the kind of entry does not have",
    "id": "an id (or a cross-impact key) that is not a valid id",
    "vocabulary": "a value that is not one of its field's allowed words",
    "reference": "an id that names no entry of the kind it must name",
    "duplicate": "an id listed twice, or two entries that must differ",
    "exclusive": "scenarios declared mutually exclusive whose likelihood bands cannot sum to 100 % (a warning)",
    "invalid": "a value of the wrong type or form that no more precise code describes",
    # pydantic's error types, kept as codes where the study model reports them
    "string_type": "text expected",
    "string_too_short": "text that must not be empty",
    "string_pattern_mismatch": "text not of the required form (an id, an Admiralty grade)",
    "int_type": "a whole number expected",
    "int_from_float": "a whole number expected, a fraction given",
    "int_parsing": "a whole number expected, text given",
    "greater_than_equal": "a number below its range",
    "less_than_equal": "a number above its range",
    "too_short": "a list with too few entries",
    "date_type": "a date expected",
    "date_parsing": "a date expected, text that is not YYYY-MM-DD given",
    "date_from_datetime_inexact": "a date expected, a time given",
    "dict_type": "a mapping expected",
    "model_type": "a mapping of fields expected",
    "model_attributes_type": "a mapping of fields expected",
    "list_type": "a list expected",
    "value_error": "a value its field's own check refuses",
    "bool_type": "true or false expected",
    "bool_parsing": "true or false expected, other text given",
    "float_type": "a number expected",
    "float_parsing": "a number expected, text given",
    # evidence checked against the local copies of its sources (warnings)
    "quote": "an evidence quote not found in the text of the source it cites (a warning)",
    "source-file": "a source's local copy (path) that cannot be read, so its quotes are not checked (a warning)",
    # cross-impact balance, in a study (cib:) or a CSV matrix
    "cib-file": "a CSV matrix that cannot be read: missing, empty, too large, not text",
    "cib-encoding": "a CSV matrix read as Windows-1252, not UTF-8",
    "cib-layout": "not the two header rows and two label columns of a cross-impact matrix",
    "cib-ragged": "a row of a CSV matrix with more or fewer cells than the header",
    "cib-budget": "a cross-impact model whose scenarios are too many to enumerate within the stated budget",
    "cib-square": "a matrix whose rows and columns do not name the same variants",
    "cib-label": "a row label (descriptor or variant) that does not match the columns' headers",
    "cib-descriptor": "a variant column with no descriptor name above it",
    "cib-variant": "a variant name that is blank",
    "cib-variants": "a descriptor with fewer than two variants",
    "cib-duplicate": "a descriptor or variant named twice",
    "cib-diagonal": "a judgment of a descriptor on itself",
    "cib-self": "a study judgment of a descriptor on itself",
    "cib-judgment": "a judgment that is not a whole number -3..+3",
    "cib-sum": "a group of judgments that does not sum to zero (a warning)",
    "scenario": "a scenario (one variant a descriptor) that cannot be read",
    # editing a study
    "exists": "an entry or file that already exists",
    "unknown": "an entry to change or remove that the study does not have",
    "referenced": "an entry still referred to by others",
    "structure": "a part of the study that is not laid out as the edit expects",
    # merging branches
    "conflict": "a merge conflict recorded in the study (`conflicts:`), not yet settled",
    "merge": "a version of a study that a merge cannot read, or a merge that cannot be written",
    # briefs and templates
    "template": "a brief template that cannot be used",
    "workbook": "a workbook to import that is refused: not an xlsx, encrypted, damaged or hostile",
    "marker": "a workbook without a valid scenmatrix brief marker",
    "sheet": "a sheet the import needs that is missing from the brief",
    "cell": "a cell of a reviewed brief with a value that cannot be imported",
    "changed": "the study changed between an edit's plan and its write (an import plans again)",
    "import": "an import that could not be written",
}


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong with an input file, at a 1-based line and column.

    A warning is worth a look but does not make the input invalid."""

    path: str
    line: int
    col: int
    code: str
    message: str
    hint: Optional[str] = None
    severity: Severity = "error"

    def __str__(self) -> str:
        label = "warning: " if self.severity == "warning" else ""
        text = f"{self.path}:{self.line}:{self.col}: {label}{self.message}"
        return _one_line(f"{text} — {self.hint}" if self.hint else text)


def warning(path: str, line: int, col: int, code: str, message: str, hint: Optional[str] = None) -> Problem:
    return Problem(path, line, col, code, message, hint, "warning")


def _one_line(text: str) -> str:
    """Control characters (a newline or terminal escape in a quoted key or a file name) written as escapes,
    so that a problem is always one line and prints nothing but text."""
    return re.sub("[\x00-\x1f\x7f-\x9f\u2028\u2029]", lambda m: repr(m.group())[1:-1], text)


class ScenmatrixError(Exception):
    """Bad input: the CLI prints the problems and exits 1."""

    def __init__(self, problems: Iterable[Problem] | str):
        if isinstance(problems, str):
            self.problems: list[Problem] = []
            super().__init__(problems)
        else:
            self.problems = sorted(problems)
            super().__init__("\n".join(str(p) for p in self.problems))


class UsageError(ScenmatrixError, ValueError):
    """A mistake in how the tool was called (an option's value, a missing or empty argument): the CLI
    prints it and exits 2. Raised by library code too, so that the API and the CLI refuse alike.

    A ValueError too, because these calls raised ValueError before and callers may catch that. `param`
    names the argument or option that was wrong, for the CLI's message."""

    param: Optional[str] = None

    def __init__(self, problems: Iterable[Problem] | str, param: Optional[str] = None):
        super().__init__(problems)
        if param is not None:
            self.param = param

    def brief(self) -> str:
        """The message without positions: the CLI names the argument instead."""
        if not self.problems:
            return str(self)
        return _one_line("; ".join(f"{p.message} — {p.hint}" if p.hint else p.message for p in self.problems))


class StudyError(ScenmatrixError):
    """A study file that cannot be loaded or is invalid."""


class TemplateError(ScenmatrixError):
    """A brief template that cannot be used."""


class OutputError(ScenmatrixError):
    """Content that cannot be written to a workbook (too long, a bad sheet name, ...)."""


class WorkbookError(ScenmatrixError):
    """A workbook to import that is refused: not an xlsx, encrypted, damaged or hostile."""


def did_you_mean(word: str, choices: Iterable[str], aliases: dict[str, str] | None = None) -> Optional[str]:
    """A hint naming the closest choice: exact alias, same letters in another case, or a near spelling."""
    choices = [c for c in choices if isinstance(c, str)]  # a mis-typed key (1:, ~:) is no suggestion
    folded = {c.casefold(): c for c in choices}
    for key, target in (aliases or {}).items():
        folded.setdefault(key.casefold(), target)
    if word.casefold() in folded:
        return f"did you mean '{folded[word.casefold()]}'?"
    import difflib  # here: did-you-mean is only for a problem, and difflib is a fiftieth of every start-up

    close = difflib.get_close_matches(word.casefold(), list(folded), n=1, cutoff=0.6)
    if close:
        return f"did you mean '{folded[close[0]]}'?"
    return None


# errno -> what went wrong, what to do: the operating system's own words name neither the path the user
# gave nor a way out.
_PERMISSIONS = "check the permissions of the file and its folder, or choose another path"
_OS_ERRORS: dict[int, tuple[str, str]] = {
    errno.EACCES: ("permission denied", _PERMISSIONS),
    errno.EPERM: ("operation not permitted", _PERMISSIONS),
    errno.EROFS: ("read-only file system", "choose a path on a disk that can be written to"),
    errno.ENOSPC: ("no space left on the disk", "free some space, or choose a path on another disk"),
    errno.EDQUOT: ("disk quota exceeded", "free some space, or choose a path on another disk"),
    errno.ENAMETOOLONG: ("file name too long", "choose a shorter name (most file systems allow 255 bytes a name)"),
    errno.ELOOP: ("too many levels of symbolic links", "a symbolic link in the path leads back to itself; fix or "
                  "remove it"),
    errno.ENOTDIR: ("a part of the path is a file, not a folder", "check the path: every part before the last "
                    "must be a folder"),
    errno.EISDIR: ("is a folder", "give the path of a file"),
    errno.ENOENT: ("no such file or folder", "check the path"),
    errno.EEXIST: ("already exists", "choose another path"),
}


def os_error_parts(exc: OSError) -> tuple[str, str, Optional[str]]:
    """The path an operating-system error is about, what went wrong and what to do."""
    path = os.fsdecode(exc.filename) if exc.filename is not None else ""
    message, hint = _OS_ERRORS.get(exc.errno or 0, ((exc.strerror or str(exc)).lower(), None))
    if exc.errno == errno.EEXIST and path and not os.path.isdir(path):
        # mkdir(exist_ok=True) on something that is not a folder: a file, or a symbolic link to nowhere
        try:
            os.stat(path)
            message, hint = "is a file, not a folder", "choose another folder, or move the file"
        except OSError as inner:
            return os_error_parts(OSError(inner.errno, inner.strerror, exc.filename))
    elif exc.errno == errno.ENOENT and path and os.path.isdir(os.path.dirname(os.path.abspath(path))):
        # the folder is there: creating in it failed (a pseudo file system such as /proc takes no new files)
        message, hint = "cannot create it in this folder", "choose a folder on an ordinary disk"
    return path, message, hint


def os_error_line(exc: OSError) -> str:
    """`PATH: what went wrong — what to do`, one line."""
    path, message, hint = os_error_parts(exc)
    text = f"{path}: {message}" if path else message
    return _one_line(f"{text} — {hint}" if hint else text)


def a(noun: str) -> str:
    """'an impact', 'a scenario': the article for a noun a message names."""
    return f"{'an' if noun[:1].lower() in 'aeiou' else 'a'} {noun}"


def counted(n: int, noun: str) -> str:
    """'1 scenario', '2 scenarios': a count with its noun in the number it needs."""
    return f"{n} {noun}{'' if n == 1 else 's'}"
