"""Every template's brief of several studies, printed by LibreOffice to PDF and measured (issue 15).

Printed type is at least 8 pt on every page (against a sheet known to be 8 pt at 100 %), no words are
printed over each other, page counts stay sane, and no chart is cut by a page break. The briefs are built
in-process and rendered by one LibreOffice call. Skipped where LibreOffice or poppler is not installed
(.ci/run installs them).
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from openpyxl import load_workbook

from scenmatrix.brief.build import build_brief
from scenmatrix.store.loader import load

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import print_measure as pm  # noqa: E402

pytestmark = [pytest.mark.apps,
              pytest.mark.skipif(not pm.have_tools(), reason="LibreOffice and poppler-utils are not installed")]

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = ("standard", "executive", "annex")
# name -> (actors, scenarios, long official names); "default" is the repository's study
STUDIES = {"default": None, "long-names": (8, 3, True), "one-scenario": (3, 1, False), "forty-actors": (40, 3, True)}
MAX_PAGES = {"executive": 2, "standard": 80, "annex": 60}
TOLERANCE = 0.97  # of the 8-pt calibration's median word height: rounding in the renderer's scale


@pytest.fixture(scope="module")
def printed(tmp_path_factory) -> dict:
    """(study, template) -> (workbook, pages of words); and "8pt" -> the calibration's median height."""
    folder = tmp_path_factory.mktemp("print")
    books: dict = {"8pt": pm.calibration_workbook(folder / "calibration-8pt.xlsx")}
    for name, shape in STUDIES.items():
        path = ROOT / "scenarios" / "russia-iran-2022.yaml"
        if shape is not None:
            path = folder / f"{name}.yaml"
            path.write_text(pm.study_text(*shape), encoding="utf-8")
        loaded = load(path)
        for template in TEMPLATES:
            books[name, template] = build_brief(loaded, template, folder / f"{name}-{template}.xlsx")
    pdfs = pm.to_pdf(books.values(), folder / "pdf")
    out = {key: (book, pm.pages(pdfs[book])) for key, book in books.items()}
    out["8pt"] = pm.median_height(out["8pt"][1][0])
    return out


CASES = [(s, t) for s in STUDIES for t in TEMPLATES]


def test_the_calibration_measures_a_known_size(printed) -> None:
    assert 9.5 < printed["8pt"] < 11.5  # 8-pt Carlito: ascent + descent ~1.3 em


@pytest.mark.parametrize("study, template", CASES)
def test_every_page_prints_type_of_8_pt_or_more(printed, study: str, template: str) -> None:
    _, pages = printed[study, template]
    least = TOLERANCE * printed["8pt"]
    small = [(i, pm.sheet_of(words), round(8 * pm.median_height(words) / printed["8pt"], 1))
             for i, words in enumerate(pages, 1) if pm.median_height(words) < least]
    assert not small, f"pages (number, sheet, median pt) under 8 pt: {small}"


@pytest.mark.parametrize("study, template", CASES)
def test_no_words_print_over_each_other(printed, study: str, template: str) -> None:
    _, pages = printed[study, template]
    found = [(i, pm.sheet_of(words), a.text, b.text) for i, words in enumerate(pages, 1)
             for a, b in pm.overlaps(words)[:3]]
    assert not found, f"overlapping words (page, sheet, word, word): {found[:12]}"


@pytest.mark.parametrize("study, template", CASES)
def test_no_number_is_too_wide_for_its_column(printed, study: str, template: str) -> None:
    _, pages = printed[study, template]
    assert not [(i, pm.sheet_of(words)) for i, words in enumerate(pages, 1) if any("###" in w.text for w in words)]


@pytest.mark.parametrize("study, template", CASES)
def test_page_counts_are_sane(printed, study: str, template: str) -> None:
    book, pages = printed[study, template]
    sheets = [ws for ws in load_workbook(book, read_only=True).worksheets if ws.sheet_state == "visible"]
    assert len(sheets) <= len(pages) <= MAX_PAGES[template]
    assert {pm.sheet_of(words) for words in pages} == {ws.title for ws in sheets}  # every sheet, none blank


@pytest.mark.parametrize("study, template", CASES)
def test_no_chart_is_cut_by_a_page_break(printed, study: str, template: str) -> None:
    book, _ = printed[study, template]
    wb = load_workbook(book)
    assert not [problem for ws in wb.worksheets for problem in pm.charts_cut_by_breaks(ws)]
