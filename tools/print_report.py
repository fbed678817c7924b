"""Print every template of the print tests' studies through LibreOffice and report, per sheet, the
median printed type in points on each of its pages (against an 8-pt calibration), words printed over
each other, and charts a page break would cut (what tests/apps/test_print.py asserts).

    PYTHONPATH=src python tools/print_report.py [OUTDIR]
"""

from __future__ import annotations

import collections
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "src"), str(ROOT / "tests")]

import print_measure as pm  # noqa: E402
from openpyxl import load_workbook  # noqa: E402

from scenmatrix.brief.build import build_brief  # noqa: E402
from scenmatrix.store.loader import load  # noqa: E402

STUDIES = {"default": None, "long-names": (8, 3, True), "one-scenario": (3, 1, False), "forty-actors": (40, 3, True)}


def main() -> None:
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(tempfile.mkdtemp(prefix="print-report-"))
    out.mkdir(parents=True, exist_ok=True)
    books = {"8pt": pm.calibration_workbook(out / "calibration-8pt.xlsx")}
    for name, shape in STUDIES.items():
        path = ROOT / "scenarios" / "russia-iran-2022.yaml"
        if shape is not None:
            path = out / f"{name}.yaml"
            path.write_text(pm.study_text(*shape), encoding="utf-8")
        loaded = load(path)
        for template in ("standard", "executive", "annex"):
            books[f"{name}-{template}"] = build_brief(loaded, template, out / f"{name}-{template}.xlsx")
    pdfs = pm.to_pdf(books.values(), out / "pdf")
    eight = pm.median_height(pm.pages(pdfs[books.pop("8pt")])[0])
    print(f"8-pt calibration: median word box {eight:.2f} pt high; figures below are points of type")
    for key, book in books.items():
        pages = pm.pages(pdfs[book])
        sheets, overlaps = collections.defaultdict(list), collections.Counter()
        for words in pages:
            sheet = pm.sheet_of(words)
            sheets[sheet].append(round(8 * pm.median_height(words) / eight, 1))
            overlaps[sheet] += len(pm.overlaps(words))
        print(f"{key}: {len(pages)} pages; " + "; ".join(
            f"{s} {min(v)}" + (f" ({overlaps[s]} overlaps)" if overlaps[s] else "") for s, v in sheets.items()))
        for ws in load_workbook(book).worksheets:
            for problem in pm.charts_cut_by_breaks(ws):
                print("  chart cut:", problem)


if __name__ == "__main__":
    main()
