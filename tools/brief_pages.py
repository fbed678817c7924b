"""Pictures of printed brief pages for the README, made by the pipeline the print tests measure.

    PYTHONPATH=src python tools/brief_pages.py [--study scenarios/russia-iran-2022.yaml] [--out docs]

Builds the standard brief of the study, has LibreOffice print it to PDF (`soffice --convert-to pdf`) and
turns a page of each chosen sheet (PAGES) into a PNG (`pdftoppm -r 60 -png -f N -l N`): docs/brief-<sheet>.png.
Needs LibreOffice and poppler-utils.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# (sheet, which of its pages): the cover, the heatmap, the chart of expected impact (the Charts sheet's
# pages: its tables, then a chart a page, the likelihood chart last)
PAGES = (("Cover", 0), ("Matrix", 0), ("Charts", -2))
RESOLUTION = 60


def footer_sheets(pdf: Path) -> list[str]:
    """The sheet each page prints, from the brief's footer ("Matrix · as of 2022-08-31")."""
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    names = []
    for page in text.split("\f")[:-1]:
        found = re.findall(r"^\s*(\S.*?) · as of \d{4}-\d\d-\d\d\s+Page", page, re.M)
        names.append(found[-1].strip() if found else "")
    return names


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--study", type=Path, default=ROOT / "scenarios" / "russia-iran-2022.yaml")
    parser.add_argument("--out", type=Path, default=ROOT / "docs")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT / "src"))
    from scenmatrix.brief.build import build_brief_file

    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="brief-pages-") as tmp:
        book = build_brief_file(args.study, "standard", Path(tmp) / "brief.xlsx")
        subprocess.run(["soffice", f"-env:UserInstallation=file://{tmp}/profile", "--headless", "--convert-to", "pdf",
                        "--outdir", tmp, str(book)], check=True, capture_output=True, timeout=300)
        pdf = Path(tmp) / "brief.pdf"
        pages = footer_sheets(pdf)
        for sheet, nth in PAGES:
            numbers = [n for n, name in enumerate(pages, 1) if name == sheet]
            if len(numbers) <= (nth if nth >= 0 else -nth - 1):
                print(f"no such page of sheet {sheet!r}", file=sys.stderr)
                continue
            number = numbers[nth]
            target = args.out / f"brief-{sheet.lower()}"
            subprocess.run(["pdftoppm", "-r", str(RESOLUTION), "-png", "-singlefile", "-f", str(number), "-l",
                            str(number), str(pdf), str(target)], check=True)
            print(f"{target}.png: page {number} of {len(pages)} ({sheet}), {target.with_suffix('.png').stat().st_size:,} bytes")


if __name__ == "__main__":
    main()
