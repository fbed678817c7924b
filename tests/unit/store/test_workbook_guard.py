"""The gatekeeper refuses every hostile or broken workbook of the corpus with its one-line message, quickly
and in little memory, and lets through real workbooks: openpyxl's, a scenmatrix brief, LibreOffice's."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import time
import tracemalloc
from pathlib import Path

import openpyxl
import openpyxl.xml
import pytest
from openpyxl.worksheet.datavalidation import DataValidation

import hostile_corpus
from scenmatrix.brief.build import build_brief
from scenmatrix.errors import WorkbookError
from scenmatrix.store.loader import load
from scenmatrix.store.workbook_guard import Limits, check_archive, open_untrusted

ROOT = Path(__file__).resolve().parents[3]
MB = 1024 * 1024
SAVE_AS = " — save it from Excel or LibreOffice as 'Excel Workbook (.xlsx)'"
NOT_SAVED = " — not a workbook an application saved"
FRESH_COPY = " — get a fresh copy, or open and save it again"
DTD = (" declares a DOCTYPE or entities, which no workbook needs (entity expansion or external entity) — refused "
       "without reading it further")

# Each corpus case and the whole line it is refused with, after "PATH:"; "…" stands for any text.
EXPECTED = {
    "missing": "1:1: no such file — check the path",
    "empty": "1:1: the file is empty (0 bytes) — it was not saved or copied completely",
    "csv_renamed": "1:1: not an Excel workbook: the file is text (a CSV renamed .xlsx?)" + SAVE_AS,
    "png_renamed": "1:1: not an Excel workbook (not a zip archive)" + SAVE_AS,
    "legacy_xls": "1:1: this is a legacy .xls or encrypted workbook, not an .xlsx" + SAVE_AS,
    "encrypted": "1:1: the workbook is password-protected (encrypted) — open it in Excel and save a copy without a "
                 "password",
    "truncated": "1:1: the archive is truncated (its directory at the end is missing) — the download or copy was cut "
                 "short; get a fresh copy",
    "damaged_directory": "1:1: the archive is damaged (Bad magic number for central directory)" + FRESH_COPY,
    "plain_zip": "1:1: not an Excel workbook: the archive has no [Content_Types].xml" + SAVE_AS,
    "zip_without_workbook": "1:1: not an Excel workbook: the archive has no xl/workbook.xml" + SAVE_AS,
    "too_many_members": "1:1: the archive has 10,010 parts (limit 10,000)" + NOT_SAVED,
    "zip64_too_many_members": "1:1: the archive has 10,010 parts (limit 10,000)" + NOT_SAVED,
    "zip_bomb": "1:1: xl/worksheets/sheet2.xml expands 1,0… times (0.3 MB to 300.0 MB; limit 100:1) — a zip bomb",
    "spread_bomb": "1:1: the archive expands to 234.0 MB (limit 200.0 MB) — a zip bomb, or a workbook far larger than "
                   "any brief",
    "overlapping_bomb": "1:1: parts xl/media/k000.bin and xl/media/k001.bin overlap in the archive (a zip bomb)",
    "lying_size": "1:1: the archive is damaged: xl/worksheets/sheet2.xml (Bad CRC-32 for file "
                  "'xl/worksheets/sheet2.xml')" + FRESH_COPY,
    "bad_crc": "1:1: the archive is damaged: xl/worksheets/sheet1.xml (Bad CRC-32 for file "
               "'xl/worksheets/sheet1.xml')" + FRESH_COPY,
    "corrupt_deflate": "1:1: the archive is damaged: xl/worksheets/sheet1.xml (Error -3 while decompressing data: …)"
                       + FRESH_COPY,
    "encrypted_member": "1:1: xl/worksheets/sheet1.xml is encrypted — save a copy without a password",
    "unknown_compression": "1:1: xl/worksheets/sheet1.xml cannot be decompressed (That compression method is not "
                           "supported)" + SAVE_AS,
    "billion_laughs": "1:1: xl/worksheets/sheet1.xml" + DTD,
    "billion_laughs_in_shared_strings": "1:1: xl/sharedStrings.xml" + DTD,
    "xxe": "1:1: xl/worksheets/sheet1.xml" + DTD,
    "doctype_across_chunks": "1:1: xl/worksheets/sheet1.xml" + DTD,
    "doctype_utf16": "1:1: xl/worksheets/sheet1.xml" + DTD,
    "doctype_utf7": "1:1: xl/worksheets/sheet1.xml is encoded in 'UTF-7' — workbooks are written in UTF-8",
    "utf32_part": "1:1: xl/worksheets/sheet1.xml is encoded in UTF-32 — workbooks are written in UTF-8",
    "doctype_in_content_types": "1:1: [Content_Types].xml" + DTD,
    "macros": "1:1: the workbook contains macros (xl/vbaProject.bin) — save it as 'Excel Workbook (.xlsx)', not "
              "macro-enabled (.xlsm)",
    "external_link": "1:1: the workbook links to other workbooks (xl/externalLinks/externalLink1.xml) — break the "
                     "links (Data > Edit Links > Break Link) and save again",
    "empty_workbook_part": "1:1: xl/workbook.xml is empty" + FRESH_COPY,
    "duplicate_part": "1:1: the archive holds xl/worksheets/sheet1.xml twice" + NOT_SAVED,
    "malformed_xml": "1:1: the workbook cannot be read (ParseError: unclosed token: …)" + SAVE_AS,
    "missing_sheet_part": "1:1: sheet 'Impacts' has no part in the archive" + SAVE_AS,
    "duplicate_sheet_names": "1:1: two sheets are named 'Impacts'" + SAVE_AS,
    "huge_shared_string": "2:2: Impacts!B2: text is 40,000 characters; an Excel cell holds at most 32,767 — shorten "
                          "it in the workbook",
}
# Refused only once openpyxl has parsed the workbook: every other case never reaches openpyxl.
AFTER_LOAD = {"malformed_xml", "missing_sheet_part", "duplicate_sheet_names", "huge_shared_string"}


def assert_line(text: str, path: Path, expected: str) -> None:
    pattern = ".*".join(re.escape(piece) for piece in f"{path}:{expected}".split("…"))
    assert re.fullmatch(pattern, text), f"\n{text}\n!=\n{path}:{expected}"


def measured(call):
    """(result or exception, seconds, peak traced MB) of call()."""
    tracemalloc.start()
    start = time.perf_counter()
    try:
        outcome = call()
    except Exception as exc:  # noqa: BLE001 - the caller asserts on it
        outcome = exc
    finally:
        seconds = time.perf_counter() - start
        peak = tracemalloc.get_traced_memory()[1] / MB
        tracemalloc.stop()
    return outcome, seconds, peak


@pytest.fixture(scope="session")
def corpus(tmp_path_factory) -> dict[str, Path]:
    return hostile_corpus.build(tmp_path_factory.mktemp("hostile"))


def test_every_corpus_case_has_an_expected_message() -> None:
    assert set(EXPECTED) == set(hostile_corpus.REFUSED)


@pytest.mark.parametrize("case", sorted(hostile_corpus.REFUSED))
def test_hostile_workbook_is_refused_quickly_in_little_memory(corpus, case: str) -> None:
    outcome, seconds, peak = measured(lambda: open_untrusted(corpus[case]))
    assert isinstance(outcome, WorkbookError), outcome
    assert_line(str(outcome), corpus[case], EXPECTED[case])
    # The goal is well under a second (it is milliseconds); this bound only catches a bomb being unpacked.
    assert seconds < 5
    assert peak < 50, f"{peak:.0f} MB traced: something was decompressed"


@pytest.mark.parametrize("case", sorted(set(hostile_corpus.REFUSED) - AFTER_LOAD))
def test_check_archive_refuses_without_openpyxl(corpus, case: str, monkeypatch) -> None:
    monkeypatch.setattr("scenmatrix.store.workbook_guard.ExcelReader", None)  # calling it would fail the test
    with pytest.raises(WorkbookError) as caught:
        check_archive(corpus[case])
    assert_line(str(caught.value), corpus[case], EXPECTED[case])


# Each odd case and what its cell Impacts!B2 holds once opened.
ODD_B2 = {"nested_zip_bomb": "hello", "zip64_workbook": "hello", "utf16_sheet": "hello", "latin1_sheet": "café",
          "zero_byte_media": "hello", "far_cell": None}


def test_every_odd_case_has_an_expected_value() -> None:
    assert set(ODD_B2) == set(hostile_corpus.ODD)


@pytest.mark.parametrize("case", sorted(hostile_corpus.ODD))
def test_odd_but_harmless_workbook_opens(corpus, case: str) -> None:
    outcome, seconds, peak = measured(lambda: open_untrusted(corpus[case]))
    assert not isinstance(outcome, Exception), outcome
    assert outcome.sheetnames == ["Impacts"]
    assert outcome["Impacts"]["B2"].value == ODD_B2[case]
    assert seconds < 5 and peak < 50


def test_far_cell_is_read_without_walking_the_used_range(corpus) -> None:
    ws = open_untrusted(corpus["far_cell"])["Impacts"]
    assert (ws.max_row, ws.max_column) == (1_048_576, 16_384)
    assert ws["XFD1048576"].value == "z"


def test_openpyxl_parses_with_defusedxml() -> None:
    """The second line of defence, had the gate missed a DTD: openpyxl parses with defusedxml."""
    assert openpyxl.xml.DEFUSEDXML


def test_openpyxl_alone_refuses_billion_laughs(corpus) -> None:
    outcome, seconds, peak = measured(lambda: openpyxl.load_workbook(corpus["billion_laughs"]))
    assert isinstance(outcome, Exception) and "EntitiesForbidden" in repr(outcome.__context__)
    assert seconds < 5 and peak < 50


@pytest.mark.parametrize("special", ["directory", "fifo", "/dev/zero"])
def test_only_regular_files_are_read(tmp_path: Path, special: str) -> None:
    path = {"directory": tmp_path, "fifo": tmp_path / "pipe.xlsx", "/dev/zero": Path("/dev/zero")}[special]
    if special == "fifo":
        os.mkfifo(path)  # opening it would block until a writer came
    if not path.exists():
        pytest.skip(f"no {path}")
    with pytest.raises(WorkbookError) as caught:
        open_untrusted(path)
    expected = ("is a folder, not a workbook — give the path of a workbook" if special == "directory" else
                "is … not a regular file — a workbook is read only from a regular file")
    assert_line(str(caught.value), path, f"1:1: {expected}")


def test_file_over_the_size_limit(tmp_path: Path) -> None:
    path = tmp_path / "big.xlsx"
    path.write_bytes(hostile_corpus.base_xlsx())
    with pytest.raises(WorkbookError) as caught:
        check_archive(path, Limits(file_bytes=MB // 1000))
    assert str(caught.value) == f"{path}:1:1: the file is {path.stat().st_size:,} bytes, over the limit of 1,048 for a workbook"


def test_limits_are_checked_from_the_directory(corpus) -> None:
    """The spread bomb passes with a higher total limit: no single member trips the ratio check."""
    check_archive(corpus["spread_bomb"], Limits(total_bytes=300 * MB))


def test_normal_workbook_opens_with_values_and_validations(tmp_path: Path) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Impacts"
    ws.append(["actor", "effect", "confidence"])
    ws.append(["RU", 2, "moderate"])
    validation = DataValidation(type="list", formula1='"low,moderate,high"')
    validation.add("C2:C10")
    ws.add_data_validation(validation)
    path = tmp_path / "normal.xlsx"
    wb.save(path)
    opened = open_untrusted(path)
    assert [[c.value for c in row] for row in opened["Impacts"].iter_rows()] == [["actor", "effect", "confidence"],
                                                                                ["RU", 2, "moderate"]]
    (kept,) = opened["Impacts"].data_validations.dataValidation
    assert kept.formula1 == '"low,moderate,high"'


@pytest.fixture(scope="module")
def brief(tmp_path_factory) -> Path:
    return build_brief(load(ROOT / "scenarios" / "russia-iran-2022.yaml"), "standard",
                       tmp_path_factory.mktemp("brief") / "brief.xlsx")


def test_scenmatrix_brief_opens(brief: Path) -> None:
    assert open_untrusted(brief).sheetnames == openpyxl.load_workbook(brief).sheetnames


def soffice_convert(tmp: Path, source: Path, target: str) -> Path:
    """source converted by LibreOffice, with a private profile."""
    out = tmp / "out"
    done = subprocess.run(["soffice", f"-env:UserInstallation=file://{tmp / 'lo-profile'}", "--headless",
                           "--convert-to", target, "--outdir", str(out), str(source)],
                          capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stderr
    (result,) = out.glob(f"{source.stem}.{target}")
    return result


@pytest.mark.apps
@pytest.mark.skipif(not shutil.which("soffice"), reason="LibreOffice is not installed")
def test_brief_resaved_by_libreoffice_opens(brief: Path, tmp_path: Path) -> None:
    resaved = soffice_convert(tmp_path, brief, "xlsx")
    assert open_untrusted(resaved).sheetnames == openpyxl.load_workbook(brief).sheetnames


@pytest.mark.apps
@pytest.mark.skipif(not shutil.which("soffice"), reason="LibreOffice is not installed")
def test_real_legacy_xls_is_refused(tmp_path: Path) -> None:
    source = tmp_path / "old.xlsx"
    source.write_bytes(hostile_corpus.base_xlsx())
    legacy = soffice_convert(tmp_path, source, "xls")
    renamed = legacy.rename(legacy.with_suffix(".xlsx"))
    with pytest.raises(WorkbookError) as caught:
        open_untrusted(renamed)
    assert_line(str(caught.value), renamed, EXPECTED["legacy_xls"])
