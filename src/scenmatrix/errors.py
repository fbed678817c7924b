"""Problems as data: every error the tool reports about an input carries its position and a hint."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from typing import Iterable, Optional


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong with an input file, at a 1-based line and column."""

    path: str
    line: int
    col: int
    code: str
    message: str
    hint: Optional[str] = None

    def __str__(self) -> str:
        text = f"{self.path}:{self.line}:{self.col}: {self.message}"
        return _one_line(f"{text} — {self.hint}" if self.hint else text)


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


class UsageError(ScenmatrixError):
    """A mistake in how the tool was called (an option's value, a missing or empty argument): the CLI
    prints it and exits 2. Raised by library code too, so that the API and the CLI refuse alike."""


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
    close = difflib.get_close_matches(word.casefold(), list(folded), n=1, cutoff=0.6)
    if close:
        return f"did you mean '{folded[close[0]]}'?"
    return None
