"""ScenarioWizard's own files: `.scw` matrices and `.sl` solution sets (Weimer-Jehle's reference CIB tool).

The layout, as found in the public files this reader is tested on (tests/data/cib/README.md says where
they come from), is line-oriented text:

    $ ScenarioWizard 4.0          signature and version
    CIB_global.scw                a title (the file's name when it was saved)
    &WTRD                         '&' a descriptor, then ' -' each of its variants
     -FT
     ...
    #                             then six sections, each closed by a line '#':
                                    1 descriptions: '&' per descriptor, a line per variant
                                    2 (empty in every file seen)
                                    3 a colour per variant (FFFFFF)
                                    4 (empty in every file seen)
                                    5 the judgments: a row per variant, cells ' 0 ,-3 , 2 ', rows act on columns
                                    6 notes: '# 0-0' and "..." lines for the model, each descriptor, each pair
    #

Only the names and the judgments are read; sections 1-4 and the notes are kept as written and put back
by `write_scw`, so read -> write gives the same bytes, and a changed judgment changes only its cell.
Where the matrix no longer has the shape a kept section was written for (variants added or dropped),
that section is written afresh in the same plain form ScenarioWizard uses for an unedited model.

A solution set (`.sl`) lists scenarios as 1-based variant numbers:

    $ ScenarioWizard 3.0
    Solution set
     4
    (blank)
    " 2 2 2",2763,0,0,9,""        code, three numbers, the total impact score, a note

The three numbers, as found on the 59 lines of the four public solution sets: the first is the basin of
the scenario under global succession (how many scenarios of the space end there: CIB_global's match
`cib basins` exactly; a larger space's count saturates at 1.677722E+07, a float32 counter); the second the
consistency value (the chosen variants' least lead over their best rival, 0 where one ties); the third is
0 on every line seen. `write_solutions` writes them so, the basin only where the whole space is followed
(0: not counted) and the third as 0.

Untrusted input: sizes are bounded before anything is split, and every problem is positioned.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

import numpy as np

from scenmatrix.analysis.cib import JUDGMENT_LIMIT, CIBError, CIBMatrix, Scenario, group_sums
from scenmatrix.errors import Problem, warning
from scenmatrix.store import files
from scenmatrix.store.cib_csv import MAX_CSV_VARIANTS

__all__ = ["ScwFile", "ScwParts", "SolutionSet", "read_scw", "parse_scw", "format_scw", "write_scw", "new_parts",
           "read_solutions", "parse_solutions", "format_solutions", "write_solutions", "MAX_SCW_BYTES"]

MAX_SCW_BYTES = 20 * 1024 * 1024  # the largest public model (100 descriptors, 200 variants) is 0.3 MB
MAX_SCW_LINE_CHARS = 8 * MAX_CSV_VARIANTS + 1000  # a matrix row: ' -3 ,' per variant; or a long note
MAX_SL_SOLUTIONS = 1_000_000
MAX_NOTE_CHARS = 2000  # a model note written from elsewhere (a study's) is cut to this
SIGNATURE = "$ ScenarioWizard"
_CELL = re.compile(r"\s*([+-]?\d+)\s*")
_SL_LINE = re.compile(r'\s*"([\d\s]*)"\s*((?:,[^,"]*)*?)(?:,\s*"(.*)")?\s*')


@dataclass(frozen=True)
class ScwParts:
    """What a .scw file holds beyond names and judgments, kept as written (lines without their breaks)."""

    preamble: tuple[str, ...] = ("$ ScenarioWizard 4.0", "")   # signature line and title line
    sections: tuple[tuple[str, ...], ...] = ((), (), (), ())     # sections 1-4 (descriptions, -, colours, -)
    notes: tuple[str, ...] = ()                                  # section 6 and anything after it
    newline: str = "\r\n"
    final_newline: bool = True
    encoding: str = "cp1252"  # ScenarioWizard is a Windows program; a file read as UTF-8 is written back so
    variant_lines: tuple[str, ...] = ()   # the header's lines as written, to keep spacing when names do not change
    cells: tuple[str, ...] = ()           # the judgment rows as written


@dataclass(frozen=True)
class ScwFile:
    """A ScenarioWizard matrix as read: the model, what else the file held, and warnings."""

    path: str
    matrix: CIBMatrix
    parts: ScwParts = field(default_factory=ScwParts)
    warnings: tuple[Problem, ...] = ()


@dataclass(frozen=True)
class SolutionSet:
    """The scenarios of a ScenarioWizard solution set, 0-based, with the total impact score each was saved with."""

    path: str
    scenarios: tuple[Scenario, ...]
    scores: tuple[Optional[int], ...]
    declared: Optional[int]  # the count on the file's third line


def _fail(path: str, message: str, hint: Optional[str] = None, line: int = 1, col: int = 1,
          code: str = "cib-file") -> CIBError:
    return CIBError([Problem(path, line, col, code, message, hint)])


def _text(path: str, data: bytes | str, what: str) -> tuple[str, str]:
    """The text and the encoding it was read in."""
    if isinstance(data, str):
        return data.removeprefix("\ufeff"), "utf-8"
    if b"\x00" in data:
        raise _fail(path, f"binary file, not a ScenarioWizard {what} (NUL byte)",
                    "save it from ScenarioWizard", data.count(b"\n", 0, data.index(b"\x00")) + 1)
    data = data.removeprefix(b"\xef\xbb\xbf")
    try:
        return data.decode("ascii"), "cp1252"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace"), "cp1252"  # ScenarioWizard is a Windows program


def _lines(path: str, text: str, max_lines: int) -> tuple[list[str], str]:
    count = max(text.count("\n"), text.count("\r")) + 1
    if count > max_lines:
        raise _fail(path, f"{count:,} lines; a ScenarioWizard file of at most {MAX_CSV_VARIANTS} variants has "
                    f"at most {max_lines:,}", "check that this file is a ScenarioWizard file", max_lines + 1)
    newline = "\r\n" if "\r\n" in text else "\n"
    lines = text.splitlines()
    for number, line in enumerate(lines, 1):
        if len(line) > MAX_SCW_LINE_CHARS:
            raise _fail(path, f"line {number} has {len(line):,} characters; at most {MAX_SCW_LINE_CHARS:,}",
                        "check that this file is a ScenarioWizard file", number, MAX_SCW_LINE_CHARS + 1)
    return lines, newline


# --------------------------------------------------------------------------------------------
# Matrices


def read_scw(path: Path | str) -> ScwFile:
    """Read and check a ScenarioWizard .scw matrix; raises CIBError with every problem found."""
    where = str(path)
    data = files.read_regular(path, MAX_SCW_BYTES, lambda message, hint: _fail(where, message, hint),
                              "ScenarioWizard matrix", "check the path of the .scw file")
    return parse_scw(data, where)


def parse_scw(data: bytes | str, path: str = "<matrix>") -> ScwFile:
    """Parse the text (or bytes) of a .scw file, in the layout above."""
    text, encoding = _text(path, data, "matrix")
    # Names, descriptions, colours, judgments (a line each per variant) and notes (two per descriptor pair).
    lines, newline = _lines(path, text, 4 * (MAX_CSV_VARIANTS + 2) + 2 * MAX_CSV_VARIANTS ** 2 // 4 + 100)
    if not lines or not lines[0].startswith(SIGNATURE):
        raise _fail(path, f"not a ScenarioWizard matrix: the first line is not '{SIGNATURE} ...'",
                    "open the model in ScenarioWizard and save it as .scw, or export it as CSV")
    i = 2
    descriptors: list[str] = []
    variants: list[list[str]] = []
    problems: list[Problem] = []
    while i < len(lines) and not lines[i].startswith("#"):
        line = lines[i]
        stripped = line.lstrip()
        if stripped.startswith("&"):
            descriptors.append(stripped[1:].strip())
            variants.append([])
        elif stripped.startswith("-") and descriptors:
            variants[-1].append(stripped[1:].strip())
        elif stripped:
            problems.append(Problem(path, i + 1, 1, "cib-layout", f"unexpected line {line.strip()[:40]!r} among the "
                                    "descriptors", "'&NAME' starts a descriptor, ' -NAME' is one of its variants"))
        i += 1
    header_end = i
    if i >= len(lines) or not descriptors:
        raise _fail(path, "no descriptors, or no '#' line after them", "a .scw file lists '&DESCRIPTOR' lines, "
                    "each followed by ' -VARIANT' lines, then '#'", min(i, len(lines)) or 1, 1, "cib-layout")
    n = sum(len(v) for v in variants)
    if n > MAX_CSV_VARIANTS:
        raise _fail(path, f"{n} variants; at most {MAX_CSV_VARIANTS}", "check that this file is the matrix",
                    header_end, 1, "cib-layout")
    sections: list[tuple[str, ...]] = []
    i += 1
    for _ in range(5):
        start = i
        while i < len(lines) and not lines[i].startswith("#"):
            i += 1
        if i >= len(lines):
            raise _fail(path, f"the file ends inside section {len(sections) + 1} of 6", "each section ends with "
                        "a line '#'; the matrix is the fifth section", len(lines), 1, "cib-layout")
        sections.append(tuple(lines[start:i]))
        i += 1
    rows_text, notes = sections.pop(), tuple(lines[i - 1:])  # notes keep the '#' that closes the matrix
    matrix_start = i - 1 - len(rows_text)  # 0-based line of the first row
    judgments = _judgments(path, rows_text, matrix_start, n, problems)
    for d, vs in zip(descriptors, variants):
        if len(vs) < 2:
            problems.append(Problem(path, 3, 1, "cib-variants", f"descriptor {d!r} has {len(vs)} variant(s); it "
                                    "needs at least two", "add a variant in ScenarioWizard, or drop the descriptor"))
    if problems:
        raise CIBError(problems)
    try:
        matrix = CIBMatrix(tuple(descriptors), tuple(map(tuple, variants)), judgments, scale=JUDGMENT_LIMIT,
                           self_impacts=True)
    except ValueError as exc:  # duplicate names, a descriptor acting on itself
        raise _fail(path, str(exc), "fix the model in ScenarioWizard", 3, 1, "cib-layout") from None
    parts = ScwParts(tuple(lines[:2]), tuple(sections), notes, newline, text.endswith(("\n", "\r")), encoding,
                     tuple(lines[2:header_end]), rows_text)
    warns = [warning(path, matrix_start + 1 + g.row, 1, "cib-sum",
                     f"the judgments of {matrix.descriptors[matrix.descriptor_of(g.row)]!r} = "
                     f"{_variant_name(matrix, g.row)!r} on {matrix.descriptors[g.descriptor]!r} sum to "
                     f"{g.total:+d}, not 0", "CIB judgment groups are usually balanced so that each row sums to 0")
             for g in group_sums(matrix)]
    return ScwFile(path, matrix, parts, tuple(warns))


def _variant_name(m: CIBMatrix, row: int) -> str:
    d = m.descriptor_of(row)
    return m.variants[d][row - m.offsets[d]]


def _judgments(path: str, rows: tuple[str, ...], first_line: int, n: int, problems: list[Problem]) -> np.ndarray:
    judgments = np.zeros((n, n), dtype=np.int8)
    body = [(k, row) for k, row in enumerate(rows) if row.strip()]
    if len(body) != n:
        problems.append(Problem(path, first_line + 1, 1, "cib-square", f"{len(body)} judgment rows for {n} "
                                "variants", "the fifth section has one row per variant, in the order of the header"))
        return judgments
    for i, (k, row) in enumerate(body):
        cells = row.split(",")
        if len(cells) != n:
            problems.append(Problem(path, first_line + k + 1, 1, "cib-ragged", f"{len(cells)} cells for {n} "
                                    "variants", "each row has one judgment per variant, separated by ','"))
            continue
        col = 1
        for j, cell in enumerate(cells):
            found = _CELL.fullmatch(cell)
            if found is None or abs(int(found.group(1))) > JUDGMENT_LIMIT:
                problems.append(Problem(path, first_line + k + 1, col, "cib-judgment",
                                        f"{cell.strip()!r} is not a whole number {-JUDGMENT_LIMIT}..{JUDGMENT_LIMIT}",
                                        "a judgment is an integer, such as -3 or 2"))
            else:
                judgments[i, j] = int(found.group(1))
            col += len(cell) + 1
    return judgments


def _vb_number(value: int) -> str:
    # ScenarioWizard writes numbers as Visual Basic's Str() does: a space where a minus sign would be.
    return f" {value}" if value >= 0 else str(value)


def _header_lines(m: CIBMatrix) -> list[str]:
    out = []
    for d, vs in zip(m.descriptors, m.variants):
        out.append(f"&{d}")
        out.extend(f" -{v}" for v in vs)
    return out


def format_scw(m: CIBMatrix, parts: Optional[ScwParts] = None, title: Optional[str] = None) -> str:
    """The matrix as .scw text, keeping `parts` where they still fit the matrix's shape."""
    parts = parts or ScwParts(preamble=("$ ScenarioWizard 4.0", title or ""))
    preamble = list(parts.preamble) if title is None else [parts.preamble[0], title]
    n = m.n_variants
    header = _header_lines(m)
    if parts.variant_lines and [ln.strip() for ln in parts.variant_lines if ln.strip()] == \
            [ln.strip() for ln in header]:
        header = list(parts.variant_lines)
    descriptions, second, colours, fourth = parts.sections
    if sum(1 for ln in descriptions if ln.lstrip().startswith("&")) != len(m.sizes) or len(descriptions) != \
            len(m.sizes) + n:
        descriptions = tuple(line for vs in m.variants for line in ["&", *([" "] * len(vs))])
    if len(colours) != n:
        colours = ("FFFFFF",) * n
    rows = [",".join(_vb_number(int(x)) + " " for x in row) for row in m.judgments]
    if len(parts.cells) == n:  # keep a row's spelling when its judgments did not change
        rows = [old if _same_row(old, new) else new for old, new in zip(parts.cells, rows)]
    notes = list(parts.notes) if parts.notes and _notes_fit(parts.notes, len(m.sizes)) else _fresh_notes(len(m.sizes))
    lines = [*preamble, *header, "#", *descriptions, "#", *second, "#", *colours, "#", *fourth, "#", *rows, *notes]
    return parts.newline.join(lines) + (parts.newline if parts.final_newline else "")


def _same_row(old: str, new: str) -> bool:
    return [c.strip() for c in old.split(",")] == [c.strip() for c in new.split(",")]


def _notes_fit(notes: tuple[str, ...], descriptors: int) -> bool:
    # A note heading per descriptor and per (ordered) pair of descriptors, after the model's own: '# 0-0'.
    # Generated files (CrossImpactBalances.jl's benchmarks) carry the model's own only, and ScenarioWizard
    # opens them: that fits any shape, so it is kept as written.
    headings = sum(1 for line in notes if line.startswith("# "))
    return headings in (1, 1 + descriptors + descriptors ** 2)


def new_parts(m: CIBMatrix, title: str, note: str = "") -> ScwParts:
    """The parts of a new model's file, as ScenarioWizard writes an unedited one, with the model's note (one
    line: VB doubles a quote; a character Windows-1252 lacks becomes '?')."""
    note = " ".join(note.split())[:MAX_NOTE_CHARS].replace('"', '""').encode("cp1252", "replace").decode("cp1252")
    return ScwParts(preamble=(f"{SIGNATURE} 4.0", title), notes=tuple(_fresh_notes(len(m.sizes), note)))


def _fresh_notes(descriptors: int, note: str = "") -> list[str]:
    out = ["#", "# 0-0", f'"{note}"']
    out += ["# ", '""'] * descriptors
    out += ["#  -> ", '""'] * descriptors ** 2
    return out + ["#", "#"]


def write_scw(path: Path | str, m: CIBMatrix, parts: Optional[ScwParts] = None, title: Optional[str] = None) -> None:
    """Write the matrix as .scw atomically (Windows-1252 and CRLF, as ScenarioWizard writes, unless `parts` say)."""
    text = format_scw(m, parts, Path(path).name if title is None and parts is None else title)
    encoding = parts.encoding if parts else "cp1252"
    try:
        data = text.encode(encoding)
    except UnicodeEncodeError as exc:
        raise _fail(str(path), f"{text[exc.start:exc.end]!r} cannot be written in {encoding}",
                    "rename the descriptor or variant") from None
    files.write_atomic(path, data)


# --------------------------------------------------------------------------------------------
# Solution sets


def read_solutions(path: Path | str, m: CIBMatrix) -> SolutionSet:
    """Read a ScenarioWizard .sl solution set for matrix `m`; every scenario must fit the matrix."""
    where = str(path)
    data = files.read_regular(path, MAX_SCW_BYTES, lambda message, hint: _fail(where, message, hint),
                              "ScenarioWizard solution set", "check the path of the .sl file")
    return parse_solutions(data, m, where)


def parse_solutions(data: bytes | str, m: CIBMatrix, path: str = "<solutions>") -> SolutionSet:
    text, _ = _text(path, data, "solution set")
    lines, _ = _lines(path, text, MAX_SL_SOLUTIONS + 10)
    if not lines or not lines[0].startswith(SIGNATURE):
        raise _fail(path, f"not a ScenarioWizard solution set: the first line is not '{SIGNATURE} ...'",
                    "save the solutions from ScenarioWizard (.sl)")
    declared = int(lines[2]) if len(lines) > 2 and lines[2].strip().isdigit() else None
    scenarios, scores, problems = [], [], []
    for number, line in enumerate(lines[3:], 4):
        if not line.strip():
            continue
        found = _SL_LINE.fullmatch(line)
        if found is None:
            problems.append(Problem(path, number, 1, "cib-layout", "not a solution line",
                                    'a solution is written " 2 3 1",0,0,0,12,""'))
            continue
        numbers = found.group(1).split()
        if len(numbers) != len(m.sizes) or any(not 1 <= int(v) <= s for v, s in zip(numbers, m.sizes)):
            problems.append(Problem(path, number, 1, "scenario", f"{' '.join(numbers)!r} is not a scenario of the "
                                    f"matrix ({len(m.sizes)} descriptors with {m.sizes} variants)",
                                    "is this solution set saved from this matrix?"))
            continue
        scenarios.append(tuple(int(v) - 1 for v in numbers))
        fields = [f.strip() for f in found.group(2).split(",")[1:]]
        scores.append(int(fields[3]) if len(fields) >= 4 and re.fullmatch(r"-?\d+", fields[3]) else None)
    if problems:
        raise CIBError(problems)
    return SolutionSet(path, tuple(scenarios), tuple(scores), declared)


def format_solutions(rows: list[tuple[Scenario, int, int, int]], newline: str = "\r\n") -> str:
    """A solution set's text from (scenario, basin, consistency value, total impact score) rows, laid out as
    ScenarioWizard's: its numbers as VB's Str() writes them in the code and the count, plain after."""
    lines = [f"{SIGNATURE} 3.0", "Solution set", f"{_vb_number(len(rows))} ", ""]
    for scenario, basin, value, total in rows:
        code = "".join(_vb_number(v + 1) for v in scenario)
        lines.append(f'"{code}",{basin},{value},0,{total},""')
    return newline.join(lines) + newline


def write_solutions(path: Path | str, rows: list[tuple[Scenario, int, int, int]]) -> None:
    """Write a .sl solution set atomically (Windows-1252, CRLF, as ScenarioWizard writes); see format_solutions."""
    files.write_atomic(path, format_solutions(rows).encode("cp1252"))
