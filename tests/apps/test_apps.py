"""Every template's brief of the default study opened by real spreadsheet applications.

LibreOffice renders it to PDF and re-saves it as xlsx; Gnumeric exports every sheet to CSV, with
and without recalculation. Skipped where the applications are not installed (.ci/run installs them).
"""

from __future__ import annotations

import csv
import shutil
import subprocess
from pathlib import Path

import openpyxl
import pytest

from scenmatrix.brief.build import build_brief
from scenmatrix.store.loader import load

pytestmark = [
    pytest.mark.apps,
    pytest.mark.skipif(not (shutil.which("soffice") and shutil.which("ssconvert") and shutil.which("pdfinfo")),
                       reason="LibreOffice, Gnumeric and poppler-utils are not installed"),
]

ROOT = Path(__file__).resolve().parents[2]
DEFAULT = ROOT / "scenarios" / "russia-iran-2022.yaml"
TEMPLATES = ["standard", "executive", "annex"]


@pytest.fixture(scope="module")
def study():
    return load(DEFAULT).study


@pytest.fixture(scope="module")
def briefs(tmp_path_factory, study) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("briefs")
    loaded = load(DEFAULT)
    return {t: build_brief(loaded, t, folder / f"{t}.xlsx") for t in TEMPLATES}


def soffice(tmp: Path, target: str, source: Path) -> Path:
    profile = tmp / "lo-profile"
    out = tmp / "out"
    done = subprocess.run(
        ["soffice", f"-env:UserInstallation=file://{profile}", "--headless", "--convert-to", target,
         "--outdir", str(out), str(source)],
        capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stderr
    (result,) = out.glob(f"{source.stem}.{target.split(':')[0]}")
    return result


def gnumeric_sheets(tmp: Path, source: Path, recalc: bool) -> list[list[list[str]]]:
    out = tmp / ("recalc" if recalc else "plain")
    out.mkdir()
    args = ["ssconvert", "-S", *(["--recalc"] if recalc else []), str(source), str(out / "sheet_%n.csv")]
    done = subprocess.run(args, capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stderr
    files = sorted(out.glob("sheet_*.csv"), key=lambda p: int(p.stem.split("_")[1]))
    return [list(csv.reader(f.open(encoding="utf-8"))) for f in files]


@pytest.mark.parametrize("template", TEMPLATES)
def test_libreoffice_renders_pdf(briefs, template: str, tmp_path: Path) -> None:
    pdf = soffice(tmp_path, "pdf", briefs[template])
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    pages = int(next(line.split()[-1] for line in info.splitlines() if line.startswith("Pages:")))
    assert pages in (1, 2) if template == "executive" else pages >= len(openpyxl.load_workbook(briefs[template]).sheetnames)
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    assert "TLP:CLEAR" in text
    assert "###" not in text  # a column too narrow for its number


@pytest.mark.parametrize("template", TEMPLATES)
def test_gnumeric_reads_every_sheet_and_recalculation_changes_nothing(briefs, template: str, tmp_path: Path,
                                                                     study) -> None:
    plain = gnumeric_sheets(tmp_path, briefs[template], recalc=False)
    assert plain == gnumeric_sheets(tmp_path, briefs[template], recalc=True)
    names = openpyxl.load_workbook(briefs[template], read_only=True).sheetnames
    assert len(plain) == len(names)
    cells = [c for sheet in plain for row in sheet for c in row]
    assert not [c for c in cells if c.startswith("#") and c.endswith(("!", "?", "A"))], "error values"
    titles = {s.title for s in study.scenarios.values()}
    assert titles <= set(cells)


def test_gnumeric_matrix_values_equal_the_study(briefs, tmp_path: Path, study) -> None:
    matrix = gnumeric_sheets(tmp_path, briefs["standard"], recalc=True)[1]
    header = matrix[2]
    names = {a.name: aid for aid, a in study.actors.items()}
    for row in matrix[3:3 + len(study.scenarios)]:
        scenario = study.scenarios[row[0]]
        for name, value in zip(header[5:], row[5:]):
            impact = scenario.impacts.get(names[name])
            assert value == ("" if impact is None else str(impact.effect)), (row[0], name)


@pytest.mark.parametrize("template", TEMPLATES)
def test_libreoffice_resave_keeps_the_values(briefs, template: str, tmp_path: Path) -> None:
    resaved = soffice(tmp_path, "xlsx", briefs[template])
    ours = openpyxl.load_workbook(briefs[template])
    theirs = openpyxl.load_workbook(resaved)
    assert theirs.sheetnames == ours.sheetnames
    for ws in ours.worksheets:
        mine = [[_rounded(c) for c in row] for row in ws.iter_rows(values_only=True)]
        other = [[_rounded(c) for c in row] for row in theirs[ws.title].iter_rows(values_only=True)]
        width = max(len(r) for r in mine)
        assert [r[:width] for r in other[:len(mine)]] == mine, ws.title


def _rounded(value):
    """LibreOffice stores 15 significant digits; Python's repr keeps 17."""
    return round(value, 9) if isinstance(value, float) else value


def test_gnumeric_keeps_the_charts(briefs, tmp_path: Path) -> None:
    """Gnumeric finds the DrawingML namespace only where a drawing's root declares it (brief.xlsx.rows)."""
    import gzip

    out = tmp_path / "standard.gnumeric"
    done = subprocess.run(["ssconvert", str(briefs["standard"]), str(out)], capture_output=True, text=True,
                          timeout=180)
    assert done.returncode == 0, done.stderr
    assert "Dropping missing object" not in done.stderr
    charts = sum(len(ws._charts) for ws in openpyxl.load_workbook(briefs["standard"]).worksheets)
    assert charts >= 2 and gzip.decompress(out.read_bytes()).decode().count("<gnm:SheetObjectGraph") == charts
