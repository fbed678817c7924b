"""Cross-impact matrices as CSV, in the layout CIB software (ScenarioWizard and others) imports and exports.

    ,,Government,,,Economy,,
    ,,Patriots party,Prosperity party,Social party,Shrinking,Stagnant,Dynamic
    Government,Patriots party,,,,0,0,0
    ,Prosperity party,,,,-2,-1,3
    ,Social party,,,,0,2,-2
    Economy,Shrinking,2,1,-3,,,
    ...

Two header rows (descriptor names over the first column of their variants, then variant names) and
two label columns (descriptor name on the first row of its variants, then the variant name); row i
acts on column j. Cells where a descriptor meets itself are blank (or 0). Also read: descriptor names
repeated over every variant, `;` or tab as separator, CRLF line ends, a UTF-8 byte order mark,
Windows-1252 text, `+2`, and blank off-diagonal cells (read as 0).

`read_matrix` remembers those choices in a `Layout`, and `write_matrix` writes them back, so a file in
this layout comes back byte for byte (cell spellings such as `+2` or a blank for 0 are normalized).
Every problem is reported at once, each at its line and column (the column counts characters, as
editors do; the message names the spreadsheet cell too).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

import numpy as np

from scenmatrix.store import files
from scenmatrix.analysis.cib import JUDGMENT_MAX, JUDGMENT_MIN, CIBError, CIBMatrix, group_sums
from scenmatrix.errors import Problem, did_you_mean, warning

__all__ = ["Layout", "CIBFile", "read_matrix", "parse_matrix", "format_matrix", "write_matrix", "MAX_CSV_BYTES",
           "MAX_CSV_VARIANTS"]

MAX_CSV_BYTES = 20 * 1024 * 1024
# Checked on the text before it is tokenized, so that a file that cannot be a matrix costs no more than its
# text: a 19 MB single line once took 30 s and 2.9 GB to refuse. Published CIB matrices have tens of
# descriptors and at most a few hundred variants.
MAX_CSV_VARIANTS = 500
MAX_CSV_CELLS = MAX_CSV_VARIANTS + 2             # a row: two labels, one cell per variant
MAX_CSV_LINES = 2 * (MAX_CSV_VARIANTS + 2)       # two header rows and a row per variant, with room for blank lines
MAX_CSV_LINE_CHARS = 100 * MAX_CSV_CELLS         # a header row of long variant names
_INTEGER = re.compile(r"[+-]?\d+")
_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")


@dataclass(frozen=True)
class Layout:
    """How a matrix file is spelled, beyond its content."""

    delimiter: str = ","
    newline: str = "\n"
    encoding: str = "utf-8"
    bom: bool = False
    final_newline: bool = True
    repeat_descriptors: bool = False   # descriptor name over/beside every variant, not only the first
    diagonal: str = ""                 # how a cell of a descriptor on itself is written: "" or "0"
    corner: tuple[str, str, str, str] = ("", "", "", "")  # the four top-left cells, row by row


@dataclass(frozen=True)
class CIBFile:
    """A matrix as read: the model, how its file was laid out, and warnings (positioned Problems)."""

    path: str
    matrix: CIBMatrix
    layout: Layout = field(default_factory=Layout)
    warnings: tuple[Problem, ...] = ()


@dataclass(frozen=True)
class _Cell:
    text: str
    line: int
    col: int


# --------------------------------------------------------------------------------------------
# Reading


def read_matrix(path: Path | str) -> CIBFile:
    """Read and check a CSV cross-impact matrix; raises CIBError with every problem found."""
    where = str(path)
    data = files.read_regular(path, MAX_CSV_BYTES, lambda message, hint: _fail(where, message, hint),
                              "CSV matrix", "check the path of the CSV matrix")
    return parse_matrix(data, where)


def parse_matrix(data: bytes | str, path: str = "<matrix>") -> CIBFile:
    """Parse CSV text (or bytes) in the layout above."""
    warnings: list[Problem] = []
    encoding, bom = "utf-8", False
    if isinstance(data, bytes):
        if b"\x00" in data:
            line = data.count(b"\n", 0, data.index(b"\x00")) + 1
            raise _fail(path, "binary file, not CSV text (NUL byte)",
                        "save the matrix from the spreadsheet as CSV", line)
        bom = data.startswith(b"\xef\xbb\xbf")
        try:
            text = data[3 if bom else 0:].decode("utf-8")
        except UnicodeDecodeError as exc:
            try:
                text, encoding = data.decode("cp1252"), "cp1252"
            except UnicodeDecodeError:
                line = data.count(b"\n", 0, exc.start) + 1
                raise _fail(path, "not UTF-8 or Windows-1252 text", "save the matrix as CSV UTF-8", line) from None
            warnings.append(warning(path, 1, 1, "cib-encoding", "not UTF-8; read as Windows-1252",
                                    "save as CSV UTF-8 to be sure of accented names"))
    else:
        text = data.removeprefix("\ufeff")
        bom = len(text) != len(data)
    if not text.strip():
        raise _fail(path, "empty file", "a CIB matrix has two header rows and two label columns")
    lines = _lines_within_bounds(path, text)
    _conflict_markers(path, lines)

    newline = "\r\n" if "\r\n" in text else ("\r" if "\r" in text and "\n" not in text else "\n")
    delimiter = _sniff(lines[0] if lines else "")
    _cells_within_bounds(path, lines, delimiter)
    rows = _tokenize(path, text, delimiter)
    final_newline = text.endswith(("\n", "\r"))
    while rows and len(rows[-1]) == 1 and not rows[-1][0].text.strip():
        rows.pop()  # blank lines at the end
    matrix, layout_parts, problems = _read_rows(path, rows)
    if problems:
        raise CIBError(problems)
    assert matrix is not None
    layout = Layout(delimiter=delimiter, newline=newline, encoding=encoding, bom=bom,
                    final_newline=final_newline, **layout_parts)
    warnings += _sum_warnings(path, matrix, rows)
    return CIBFile(path, matrix, layout, tuple(warnings))


def _fail(path: str, message: str, hint: Optional[str] = None, line: int = 1, col: int = 1) -> CIBError:
    return CIBError([Problem(path, line, col, "cib-file", message, hint)])


_TOO_BIG_HINT = f"a cross-impact matrix has at most {MAX_CSV_VARIANTS} variants; check that this file is the matrix"


def _lines_within_bounds(path: str, text: str) -> list[str]:
    """The lines, once their number and lengths are known to fit a matrix (counted without splitting first)."""
    count = max(text.count("\n"), text.count("\r")) + 1
    if count > MAX_CSV_LINES:
        raise _fail(path, f"{count:,} lines; a matrix has at most {MAX_CSV_LINES:,}", _TOO_BIG_HINT, MAX_CSV_LINES + 1)
    lines = text.splitlines()
    for number, line in enumerate(lines, 1):
        if len(line) > MAX_CSV_LINE_CHARS:
            raise _fail(path, f"line {number} has {len(line):,} characters; a matrix row has at most "
                        f"{MAX_CSV_LINE_CHARS:,}", _TOO_BIG_HINT, number, MAX_CSV_LINE_CHARS + 1)
    return lines


def _cells_within_bounds(path: str, lines: list[str], delimiter: str) -> None:
    for number, line in enumerate(lines, 1):
        cells = re.sub(r'"[^"]*"', "", line).count(delimiter) + 1
        if cells > MAX_CSV_CELLS:
            raise _fail(path, f"line {number} has {cells:,} cells; a matrix row has at most {MAX_CSV_CELLS:,} "
                        f"(two labels and {MAX_CSV_VARIANTS} variants)", _TOO_BIG_HINT, number)


def _conflict_markers(path: str, lines: list[str]) -> None:
    for number, line in enumerate(lines, 1):
        if line.startswith(("<<<<<<< ", ">>>>>>> ")) or line.rstrip() == "=======":
            raise _fail(path, "unresolved git merge conflict marker", "resolve the merge conflict first", number)


def _sniff(first_line: str) -> str:
    """The separator: the most frequent of , ; and tab outside quotes on the first line (`,` on a tie)."""
    first = re.sub(r'"[^"]*"', "", first_line)
    counts = {d: first.count(d) for d in (",", ";", "\t")}
    best = max(counts.values())
    return "," if best == 0 or counts[","] == best else max(counts, key=lambda d: counts[d])


def _tokenize(path: str, text: str, delimiter: str) -> list[list[_Cell]]:
    """CSV rows with the line and column where each cell starts (quotes as in RFC 4180)."""
    rows: list[list[_Cell]] = [[]]
    i, line, col, n = 0, 1, 1, len(text)
    start = (1, 1)
    buf: list[str] = []
    while True:
        if i < n and text[i] == '"' and not buf and (line, col) == start:
            open_at = (line, col)
            i, col = i + 1, col + 1
            while True:
                if i >= n:
                    raise _fail(path, "a quoted cell is never closed", 'close it with "', *open_at)
                ch = text[i]
                if ch == '"':
                    if i + 1 < n and text[i + 1] == '"':
                        buf.append('"')
                        i, col = i + 2, col + 2
                        continue
                    i, col = i + 1, col + 1
                    break
                buf.append(ch)
                if ch == "\n" or (ch == "\r" and text[i + 1:i + 2] != "\n"):
                    line, col = line + 1, 0
                i, col = i + 1, col + 1
            if i < n and text[i] not in (delimiter, "\r", "\n"):
                raise _fail(path, f"text after the closing quote of a cell: {text[i]!r}",
                            'put the whole cell in quotes, or double a quote inside it ("")', line, col)
            continue
        if i >= n or text[i] in (delimiter, "\r", "\n"):
            rows[-1].append(_Cell("".join(buf), *start))
            buf = []
            if i >= n:
                break
            if text[i] == delimiter:
                i, col = i + 1, col + 1
            else:
                i += 2 if text[i:i + 2] == "\r\n" else 1
                line, col = line + 1, 1
                if i >= n:
                    break
                rows.append([])
            start = (line, col)
            continue
        buf.append(text[i])
        i, col = i + 1, col + 1
    return rows


def _letters(index: int) -> str:
    """0-based column -> spreadsheet letters (0 -> A, 26 -> AA)."""
    out = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        out = chr(65 + rem) + out
    return out


def _cell_name(row: int, col: int) -> str:
    return f"{_letters(col)}{row + 1}"


def _read_rows(path: str, rows: list[list[_Cell]]):
    problems: list[Problem] = []

    def problem(cell: _Cell, code: str, message: str, hint: Optional[str] = None) -> None:
        problems.append(Problem(path, cell.line, cell.col, code, message, hint))

    if len(rows) < 2 or len(rows[1]) < 4:
        end = rows[-1][-1] if rows and rows[-1] else _Cell("", 1, 1)
        problem(end, "cib-layout", "not a cross-impact matrix: expected two header rows and two label columns",
                "row 1: descriptor names, row 2: variant names; columns A and B: descriptor and variant names")
        return None, {}, problems
    width = len(rows[1])
    for r, row in enumerate(rows):
        if len(row) != width:
            cell = row[width] if len(row) > width else row[-1]
            blank = len(row) == 1 and not row[0].text.strip()
            problem(cell, "cib-ragged", "blank line inside the matrix" if blank else
                    f"row {r + 1} has {len(row)} cells; the header row of variants has {width}",
                    None if blank else "every row needs the two labels and one cell per variant column")
    if problems:
        return None, {}, problems

    # Columns: descriptors from row 1, variants from row 2.
    head, names = rows[0], rows[1]
    repeat = False
    descriptors: list[str] = []
    first_column: list[int] = []
    owner: list[int] = []  # descriptor of each variant column
    for c in range(2, width):
        label = head[c].text.strip()
        if not label:
            if c == 2:
                problem(head[c], "cib-descriptor", f"cell {_cell_name(0, c)}: the first variant column has no "
                        "descriptor name", "row 1 names each descriptor above its first variant")
                return None, {}, problems
        elif descriptors and label == descriptors[-1]:
            repeat = True
        elif label in descriptors:
            problem(head[c], "cib-duplicate", f"cell {_cell_name(0, c)}: descriptor {label!r} appears twice",
                    "descriptor names must be unique; keep its variants together")
        else:
            descriptors.append(label)
            first_column.append(c)
        owner.append(len(descriptors) - 1)
    variants: list[list[str]] = [[] for _ in descriptors]
    for c in range(2, width):
        name = names[c].text.strip()
        d = owner[c - 2]
        if not name:
            problem(names[c], "cib-variant", f"cell {_cell_name(1, c)}: variant name missing",
                    f"row 2 names each variant of {descriptors[d]!r}")
        elif name in variants[d]:
            problem(names[c], "cib-duplicate", f"cell {_cell_name(1, c)}: {descriptors[d]!r} has variant "
                    f"{name!r} twice", "variant names must be unique within a descriptor")
        variants[d].append(name)
    for d, c in enumerate(first_column):
        if len(variants[d]) < 2:
            problem(head[c], "cib-variants", f"cell {_cell_name(0, c)}: descriptor "
                    f"{descriptors[d]!r} has {len(variants[d])} variant; it needs at least two",
                    "add a variant, or drop the descriptor")
    if problems:
        return None, {}, problems

    # Rows: the same variants, in the same order, then the judgments.
    n = width - 2
    body = rows[2:]
    if len(body) != n:
        at = body[n][0] if len(body) > n else (body[-1][0] if body else names[0])
        problem(at, "cib-square", f"{len(body)} variant rows but {n} variant columns",
                "the matrix is square: one row per variant, in the same order as the columns")
        return None, {}, problems
    offsets = np.cumsum([0] + [len(v) for v in variants])
    flat = [(d, v) for d in range(len(descriptors)) for v in variants[d]]
    judgments = np.zeros((n, n), dtype=np.int8)
    diagonal_spellings: set[str] = set()
    for i, row in enumerate(body):
        r = i + 2
        d, want = flat[i]
        label, name = row[0].text.strip(), row[1].text.strip()
        first = i == offsets[d]
        if first and label != descriptors[d]:
            problem(row[0], "cib-label", f"cell {_cell_name(r, 0)}: expected descriptor {descriptors[d]!r}, "
                    f"found {label!r}" if label else f"cell {_cell_name(r, 0)}: descriptor name missing",
                    "rows list the descriptors in the same order as the columns")
        elif not first and label:
            if label == descriptors[d]:
                repeat = True
            else:
                problem(row[0], "cib-label", f"cell {_cell_name(r, 0)}: {label!r} where the rows of "
                        f"{descriptors[d]!r} continue", "leave it blank, or repeat the descriptor name")
        if name != want:
            if name in variants[d]:
                hint = f"rows list the variants of {descriptors[d]!r} in the same order as the columns"
            else:
                hint = did_you_mean(name, variants[d]) or "variants: " + ", ".join(variants[d])
            problem(row[1], "cib-label", f"cell {_cell_name(r, 1)}: expected variant {want!r} of "
                    f"{descriptors[d]!r}, found {name!r}", hint)
        for j in range(n):
            cell = row[j + 2]
            value = cell.text.strip()
            where = f"cell {_cell_name(r, j + 2)}"
            if flat[j][0] == d:
                diagonal_spellings.add(value)
                if value not in ("", "0"):
                    problem(cell, "cib-diagonal", f"{where}: {value!r} where {descriptors[d]!r} meets itself",
                            "a descriptor does not act on itself: leave these cells blank")
                continue
            if not value:
                continue
            if not _INTEGER.fullmatch(value):
                if "\u2212" in value or "\u2013" in value:
                    hint = "write the minus sign as an ASCII hyphen '-'"
                elif _NUMBER.fullmatch(value) or _NUMBER.fullmatch(value.replace(",", ".")):
                    hint = f"judgments are whole numbers {JUDGMENT_MIN}..{JUDGMENT_MAX}"
                else:
                    hint = f"a judgment is a whole number {JUDGMENT_MIN}..{JUDGMENT_MAX}, or blank for 0"
                problem(cell, "cib-judgment", f"{where}: {value!r} is not an integer judgment", hint)
                continue
            number = int(value)
            if not JUDGMENT_MIN <= number <= JUDGMENT_MAX:
                problem(cell, "cib-judgment", f"{where}: judgment {number} is outside "
                        f"{JUDGMENT_MIN}..{JUDGMENT_MAX}", "-3 strongly hinders ... 0 no effect ... +3 strongly promotes")
                continue
            judgments[i, j] = number
    if problems:
        return None, {}, problems
    parts = {
        "repeat_descriptors": repeat,
        "diagonal": "0" if "0" in diagonal_spellings else "",
        "corner": (head[0].text, head[1].text, names[0].text, names[1].text),
    }
    return CIBMatrix(tuple(descriptors), tuple(map(tuple, variants)), judgments), parts, problems


def _sum_warnings(path: str, m: CIBMatrix, rows: list[list[_Cell]]) -> list[Problem]:
    out = []
    for g in group_sums(m):
        source = m.descriptor_of(g.row)
        variant = m.variants[source][g.row - m.offsets[source]]
        cell = rows[g.row + 2][m.offsets[g.descriptor] + 2]
        out.append(warning(
            path, cell.line, cell.col, "cib-sum",
            f"the judgments of {m.descriptors[source]!r} = {variant!r} on {m.descriptors[g.descriptor]!r} "
            f"sum to {g.total:+d}, not 0", "CIB judgment groups are usually balanced so that each row sums to 0"))
    return out


# --------------------------------------------------------------------------------------------
# Writing


def format_matrix(m: CIBMatrix, layout: Optional[Layout] = None) -> str:
    """The matrix as CSV text in `layout` (default: comma-separated, LF, names on first rows only)."""
    layout = layout or Layout()
    sep = layout.delimiter

    def quote(text: str) -> str:
        if any(ch in text for ch in (sep, '"', "\r", "\n")) or text != text.strip() and text.strip():
            return '"' + text.replace('"', '""') + '"'
        return text

    head = [layout.corner[0], layout.corner[1]]
    names = [layout.corner[2], layout.corner[3]]
    labels = []
    for d, variants in zip(m.descriptors, m.variants):
        for k, v in enumerate(variants):
            head.append(d if k == 0 or layout.repeat_descriptors else "")
            names.append(v)
            labels.append((d if k == 0 or layout.repeat_descriptors else "", v))
    lines = [sep.join(map(quote, head)), sep.join(map(quote, names))]
    owner = np.repeat(np.arange(len(m.sizes)), m.sizes)
    for i, (d_label, v) in enumerate(labels):
        cells = [layout.diagonal if owner[j] == owner[i] else str(int(x)) for j, x in enumerate(m.judgments[i])]
        lines.append(sep.join([quote(d_label), quote(v)] + cells))
    return layout.newline.join(lines) + (layout.newline if layout.final_newline else "")


def write_matrix(path: Path | str, m: CIBMatrix, layout: Optional[Layout] = None) -> None:
    """Write the matrix atomically (through `files.write_atomic`)."""
    layout = layout or Layout()
    text = format_matrix(m, layout)
    try:
        data = text.encode(layout.encoding)
    except UnicodeEncodeError as exc:
        raise _fail(str(path), f"{text[exc.start:exc.end]!r} cannot be written as {layout.encoding}",
                    "write the matrix as UTF-8 (Layout(encoding='utf-8'))") from None
    files.write_atomic(path, (b"\xef\xbb\xbf" if layout.bom and layout.encoding == "utf-8" else b"") + data)
