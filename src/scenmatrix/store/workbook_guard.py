"""The gatekeeper for workbooks from outside: refuse what is not a plain, sane xlsx before openpyxl parses it.

Every check before `load_workbook` works from the file's first bytes, the zip directory and a bounded
stream over each member, so a hostile file (a zip bomb, billion laughs, an encrypted or legacy workbook,
a truncated download) is refused in well under a second and a few MB, with one line saying why.
"""

from __future__ import annotations

import codecs
import os
import re
import struct
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Union

from openpyxl.reader.excel import ExcelReader
from openpyxl.workbook import Workbook

from scenmatrix.errors import Problem, WorkbookError
from scenmatrix.store import files
from scenmatrix.store.excel_limits import MAX_CELL_CHARS

MB = 1024 * 1024
OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # compound file: a legacy .xls, or an encrypted .xlsx
ZIP_LOCAL = b"PK\x03\x04"
EOCD = struct.Struct("<4s4H2LH")  # a zip's end-of-central-directory record
CHUNK = 256 * 1024
# A workbook part never needs a DTD; any declaration is an entity-expansion or external-entity attempt.
DECLARATIONS = (b"<!DOCTYPE", b"<!ENTITY")
KEEP = len(b"<!DOCTYPE") - 1  # carried from one chunk to the next, so a split declaration is still found
SAVE_AS_XLSX = "save it from Excel or LibreOffice as 'Excel Workbook (.xlsx)'"


@dataclass(frozen=True)
class Limits:
    """Far above any brief (tens of KB, a few dozen parts); far below what would hurt the machine."""

    file_bytes: int = 200 * MB  # the file on disk (the zip directory is read into memory whole)
    total_bytes: int = 200 * MB  # all members uncompressed
    ratio: int = 100  # real sheet XML deflates 5-30:1; zeros deflate 1000:1
    ratio_floor: int = 4 * MB  # small, repetitive parts (styles, empty sheets) may exceed the ratio
    members: int = 10_000  # a 100-sheet workbook has a few hundred parts
    # openpyxl builds an object a cell (about 1 KB and 10 µs each): the default study's brief has ~3,000
    # cells, a 100,000-impact study's Impacts sheet alone a million
    cells: int = 2_000_000


def check_archive(path: Union[str, Path], limits: Limits = Limits()) -> None:
    """Raise WorkbookError unless path is a zip that looks like a sane, unencrypted xlsx without macros,
    external links or XML declarations. Nothing is decompressed beyond the declared sizes."""
    with _open(path, limits) as f:
        _check(str(path), f, limits)


def open_untrusted(path: Union[str, Path], limits: Limits = Limits(), *, formulas: bool = False,
                   passive: bool = False) -> Workbook:
    """check_archive, then the workbook with cached values (not read-only, so data validations are there);
    any failure is a one-line WorkbookError, never a traceback.

    `formulas` loads formulas instead of their cached values, for a caller that refuses them; `passive`
    also refuses every part that could act when the workbook is opened (ACTIVE_PARTS), which openpyxl
    would drop or keep without a word."""
    where = str(path)
    with _open(path, limits) as f:  # one open file for checks and load: both see the same bytes
        _check(where, f, limits, passive)
        f.seek(0)
        try:
            # load_workbook(f, data_only=True) spelled out, to keep the parser and see which sheets were declared
            reader = ExcelReader(f, data_only=not formulas, keep_links=False)
            reader.read()
        except Exception as exc:  # openpyxl raises anything from KeyError to ValueError on a bad part
            detail = (str(exc).splitlines() or [""])[0][:200]
            raise _refuse(where, f"the workbook cannot be read ({type(exc).__name__}: {detail})",
                          SAVE_AS_XLSX) from None
    _check_sheets(where, reader.wb, [sheet.name for sheet in reader.parser.sheets])
    _check_cells(where, reader.wb)
    return reader.wb


def _refuse(path: str, message: str, hint: str | None = None, line: int = 1, col: int = 1) -> WorkbookError:
    return WorkbookError([Problem(path, line, col, "workbook", message, hint)])


def _open(path: Union[str, Path], limits: Limits) -> BinaryIO:
    where = str(path)
    f = files.open_regular(path, limits.file_bytes, lambda message, hint: _refuse(where, message, hint), "workbook")
    if os.fstat(f.fileno()).st_size == 0:
        f.close()
        raise _refuse(where, "the file is empty (0 bytes)", "it was not saved or copied completely")
    return f


def _check(path: str, f: BinaryIO, limits: Limits, passive: bool = False) -> None:
    head = f.read(4096)
    if head.startswith(OLE2):
        raise _ole2_refusal(path, f)
    entries = _declared_entries(f)
    if entries is None:
        if head.startswith(ZIP_LOCAL):
            raise _refuse(path, "the archive is truncated (its directory at the end is missing)",
                          "the download or copy was cut short; get a fresh copy")
        if all(b >= 0x20 or b in b"\t\r\n" for b in head):
            raise _refuse(path, "not an Excel workbook: the file is text (a CSV renamed .xlsx?)", SAVE_AS_XLSX)
        raise _refuse(path, "not an Excel workbook (not a zip archive)", SAVE_AS_XLSX)
    if entries > limits.members:  # before zipfile builds an object for each entry
        raise _refuse(path, f"the archive has {entries:,} parts (limit {limits.members:,})",
                      "not a workbook an application saved")
    f.seek(0)
    try:
        zf = zipfile.ZipFile(f)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
        raise _refuse(path, f"the archive is damaged ({exc})", "get a fresh copy, or open and save it again") from None
    with zf:
        infos = zf.infolist()
        _check_directory(path, infos, limits)
        if passive:
            _check_passive(path, infos)
        cells = 0
        for info in infos:
            cells += _scan_member(path, zf, info)
            if cells > limits.cells:
                raise _refuse(path, f"the workbook has over {limits.cells:,} cells", "a reviewed brief is read "
                              "whole, a cell at a time: review a brief of fewer sheets (a template of the tables "
                              "you need)")


def _ole2_refusal(path: str, f: BinaryIO) -> WorkbookError:
    # Encrypted OOXML is a compound file with an 'EncryptionInfo' stream; its name sits, in UTF-16, in the
    # compound file's directory. Finding it by search rather than walking the FAT is enough: a false hit
    # only changes which of two refusals is shown.
    f.seek(0)
    needle, tail = "EncryptionInfo".encode("utf-16-le"), b""
    while chunk := f.read(CHUNK):
        if needle in tail + chunk:
            return _refuse(path, "the workbook is password-protected (encrypted)",
                           "open it in Excel and save a copy without a password")
        tail = chunk[-len(needle):]
    return _refuse(path, "this is a legacy .xls or encrypted workbook, not an .xlsx", SAVE_AS_XLSX)


def _declared_entries(f: BinaryIO) -> int | None:
    """The member count from the end-of-central-directory record (Zip64 too), or None without one."""
    size = f.seek(0, os.SEEK_END)
    f.seek(max(0, size - EOCD.size - 0xFFFF))  # the record ends the file, after a comment of up to 64 KB
    tail = f.read()
    at = tail.rfind(b"PK\x05\x06")
    if at < 0 or at + EOCD.size > len(tail):
        return None
    entries = EOCD.unpack_from(tail, at)[4]
    if entries == 0xFFFF and at >= 20 and tail[at - 20:at - 16] == b"PK\x06\x07":  # Zip64 locator -> Zip64 record
        f.seek(struct.unpack_from("<Q", tail, at - 12)[0])
        record = f.read(56)
        if record[:4] == b"PK\x06\x06" and len(record) == 56:
            entries = struct.unpack_from("<Q", record, 32)[0]
    return entries


def _check_directory(path: str, infos: list[zipfile.ZipInfo], limits: Limits) -> None:
    """Everything the zip directory alone tells: no member is decompressed here."""
    names = [i.filename.casefold() for i in infos]  # OPC part names are case-insensitive
    for required in ("[Content_Types].xml", "xl/workbook.xml"):
        if required.casefold() not in names:
            raise _refuse(path, f"not an Excel workbook: the archive has no {required}", SAVE_AS_XLSX)
    duplicate = _first_duplicate(names)
    if duplicate:  # two parsers could each read a different copy
        raise _refuse(path, f"the archive holds {duplicate} twice", "not a workbook an application saved")
    ordered = sorted(infos, key=lambda i: i.header_offset)
    for a, b in zip(ordered, ordered[1:]):
        # A member's data can never reach into the next one's header, except in an overlapping zip bomb
        # (many entries sharing one compressed kernel); 30 bytes is the smallest local header.
        if a.header_offset + 30 + a.compress_size > b.header_offset:
            raise _refuse(path, f"parts {a.filename} and {b.filename} overlap in the archive (a zip bomb)")
    # Declared sizes are a real bound: zipfile stops reading a member at its declared size (and then fails
    # its CRC check), so a member cannot expand beyond what is checked here.
    for info in infos:
        if info.file_size > limits.ratio_floor and info.file_size > limits.ratio * max(info.compress_size, 1):
            raise _refuse(path, f"{info.filename} expands {info.file_size // max(info.compress_size, 1):,} times "
                          f"({_mb(info.compress_size)} to {_mb(info.file_size)}; limit {limits.ratio}:1)",
                          "a zip bomb")
    total = sum(i.file_size for i in infos)
    if total > limits.total_bytes:
        raise _refuse(path, f"the archive expands to {_mb(total)} (limit {_mb(limits.total_bytes)})",
                      "a zip bomb, or a workbook far larger than any brief")
    for info in infos:
        name = info.filename.casefold()
        if info.flag_bits & 0x1:
            raise _refuse(path, f"{info.filename} is encrypted", "save a copy without a password")
        if name.endswith("vbaproject.bin"):
            raise _refuse(path, f"the workbook contains macros ({info.filename})",
                          "save it as 'Excel Workbook (.xlsx)', not macro-enabled (.xlsm)")
        if name.startswith("xl/externallinks/"):
            raise _refuse(path, f"the workbook links to other workbooks ({info.filename})",
                          "break the links (Data > Edit Links > Break Link) and save again")


# Parts that act, or fetch, when a workbook is opened: data connections and the queries and pivot caches
# they feed, ActiveX controls, embedded objects (OLE packages run on a double click), Excel 4 macro sheets
# (which need no vbaProject.bin), dialog sheets, ribbon customisations that call macros.
ACTIVE_PARTS = {
    "xl/connections.xml": "a data connection", "xl/querytables/": "a query table", "xl/pivotcache/": "a pivot cache",
    "xl/pivottables/": "a pivot table", "xl/activex/": "an ActiveX control", "xl/embeddings/": "an embedded object",
    "xl/macrosheets/": "an Excel 4 macro sheet", "xl/dialogsheets/": "a dialog sheet", "customui/": "a ribbon "
    "customisation", "xl/ctrlprops/": "a form control",
}


def _check_passive(path: str, infos: list[zipfile.ZipInfo]) -> None:
    for info in infos:
        name = info.filename.casefold()
        what = next((what for part, what in ACTIVE_PARTS.items() if name.startswith(part)), None)
        if what is not None:
            raise _refuse(path, f"the workbook holds {what} ({info.filename}), which could act when the brief "
                          "is opened", "remove it from the workbook and save again")


def _scan_member(path: str, zf: zipfile.ZipFile, info: zipfile.ZipInfo) -> int:
    """Read one member as a bounded stream: CRC and deflate errors surface here, not inside openpyxl, and
    every part (whatever its name: [Content_Types].xml may declare any name as XML) is searched for DTDs.
    Returns the number of cell elements in it (one split between two chunks may go uncounted)."""
    size, tail, view, cells = 0, b"", slice(None), 0
    try:
        with zf.open(info) as member:
            while chunk := member.read(CHUNK):  # CHUNK bytes each time but the last: UTF-16 stays aligned
                if not size:
                    view = _ascii_view(path, info.filename, chunk)
                window = tail + chunk[view]
                if any(d in window for d in DECLARATIONS):
                    raise _refuse(path, f"{info.filename} declares a DOCTYPE or entities, which no workbook needs "
                                  "(entity expansion or external entity)", "refused without reading it further")
                cells += len(_CELL.findall(chunk[view]))
                tail, size = window[-KEEP:], size + len(chunk)
    except NotImplementedError as exc:  # a compression method zipfile does not implement
        raise _refuse(path, f"{info.filename} cannot be decompressed ({exc})", SAVE_AS_XLSX) from None
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError, RuntimeError) as exc:
        raise _refuse(path, f"the archive is damaged: {info.filename} ({exc})",
                      "get a fresh copy, or open and save it again") from None
    if size == 0 and info.filename.casefold().endswith((".xml", ".rels", ".vml")):
        raise _refuse(path, f"{info.filename} is empty", "get a fresh copy, or open and save it again")
    return cells


_CELL = re.compile(rb"<(?:\w+:)?c[\s/>]")  # <c r="A1">, <x:c ...>; not <c:chart> nor <cellXfs>


def _ascii_view(path: str, name: str, first: bytes) -> slice:
    """Which bytes of a part carry its ASCII characters, so that one search finds '<!DOCTYPE' in any encoding
    a parser would accept: every byte in UTF-8 and its ASCII-compatible kin, every other byte in UTF-16.
    Other encodings (UTF-32, EBCDIC, UTF-7), which no application writes but libxml2 reads, are refused."""
    if first.startswith((b"\xff\xfe\0\0", b"\0\0\xfe\xff", b"<\0\0\0", b"\0\0\0<")):
        raise _refuse(path, f"{name} is encoded in UTF-32", "workbooks are written in UTF-8")
    if first.startswith((b"\xff\xfe", b"<\0")):
        return slice(0, None, 2)
    if first.startswith((b"\xfe\xff", b"\0<")):
        return slice(1, None, 2)
    declared = re.match(rb"(?:\xef\xbb\xbf)?<\?xml[^>]*?encoding\s*=\s*[\"']([^\"']*)", first)
    if declared:
        encoding = declared[1].decode("latin-1")
        try:
            codec = codecs.lookup(encoding).name
        except LookupError:
            codec = "unknown"
        # Only encodings in which '<!DOCTYPE' can be spelled one way (UTF-7 also reads '+ADw-' as '<').
        if codec not in ("utf-8", "ascii") and not codec.startswith(("iso8859-", "cp125")):
            raise _refuse(path, f"{name} is encoded in {encoding!r}", "workbooks are written in UTF-8")
    return slice(None)


def _check_sheets(path: str, wb: Workbook, declared: list[str]) -> None:
    """openpyxl silently skips a sheet whose part is missing and renames a duplicate title ('Impacts1'):
    either would hide a sheet from the import, so the loaded sheets must be exactly the declared ones."""
    if wb.sheetnames == declared:
        return
    folded = [name.casefold() for name in declared]  # Excel compares sheet titles case-insensitively
    duplicate = _first_duplicate(folded)
    missing = next((name for name in declared if name not in wb.sheetnames), None)
    raise _refuse(path, f"two sheets are named {declared[folded.index(duplicate)]!r}" if duplicate else
                  f"sheet {missing!r} has no part in the archive" if missing else
                  f"sheets {declared} were read as {wb.sheetnames}", SAVE_AS_XLSX)


def _check_cells(path: str, wb: Workbook) -> None:
    """Text Excel cannot hold (a hand-made part) would fail the next brief; say where it is, now."""
    for ws in wb.worksheets:  # chart sheets excluded
        # ws._cells holds only the cells in the file; iter_rows would create every cell of the used range,
        # billions of them if a hostile sheet has one cell at A1 and one at XFD1048576.
        for cell in ws._cells.values():
            if isinstance(cell.value, str) and (units := len(cell.value.encode("utf-16-le")) // 2) > MAX_CELL_CHARS:
                raise _refuse(path, f"{ws.title}!{cell.coordinate}: text is {units:,} characters; an Excel cell "
                              f"holds at most {MAX_CELL_CHARS:,}", "shorten it in the workbook", cell.row, cell.column)


def _first_duplicate(names: list[str]) -> str | None:
    seen: set[str] = set()
    for name in names:
        if name in seen:
            return name
        seen.add(name)
    return None


def _mb(n: int) -> str:
    return f"{n / MB:,.1f} MB"
