"""Measuring a brief as printed: LibreOffice renders workbooks to PDF, poppler's word boxes are measured.

Used by tests/apps/test_print.py and tools/brief_pages.py. A word box's height is about the font size
in points times 1.09 (a 10-pt Calibri word measures ~10.9), so thresholds are calibrated against a
workbook whose cells are known to be 8 pt at 100 % (`calibration_workbook`).
"""

from __future__ import annotations

import html
import random
import re
import shutil
import statistics
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

# ------------------------------------------------------------------ studies to print


LONG_NAMES = ("Economic Community of West African States", "Alliance of Sahel States (Mali, Burkina Faso, Niger)",
              "African Union Peace and Security Council", "United Nations Multidimensional Integrated Mission",
              "Federal Republic of Nigeria", "Russian Federation (Africa Corps)",
              "European Union Training Mission", "Organisation of Islamic Cooperation")
WORDS = ("naval access sanctions drones exports energy pipeline summit militia satellite deterrence alliance "
         "corridor leverage escalation isolation restraint currency investment reactor missile airspace proxy "
         "basing rivalry coordination denial").split()
LIKELIHOODS = ("very unlikely", "unlikely", "roughly even chance", "likely", "very likely")


def _sentence(rng: random.Random, length: int) -> str:
    words: list[str] = []
    while sum(len(w) + 1 for w in words) < length:
        words.append(rng.choice(WORDS))
    return " ".join(words).capitalize() + "."


def study_text(actors: int, scenarios: int, long_names: bool = False, seed: int = 7) -> str:
    """A valid study with every scenario rating every actor, evidence, drivers and indicators."""
    rng = random.Random(seed)
    out = ["study:", f"  id: print-{actors}x{scenarios}", f"  title: Print study of {actors} actors and "
           f"{scenarios} scenarios", "  as_of: 2024-01-01", "  marking: TLP:AMBER", "  sources:",
           "    gen: {title: Generated report on regional security, author: tests/print_measure.py}",
           "  key_judgments:", f"    KJ1: {_sentence(rng, 160)}", f"    KJ2: {_sentence(rng, 90)}", "actors:"]
    for a in range(actors):
        name = LONG_NAMES[a % len(LONG_NAMES)] + (f" {a // len(LONG_NAMES) + 1}" if a >= len(LONG_NAMES) else "")
        out.append(f"  A{a}: {{name: \"{name if long_names else f'Actor {a}'}\", kind: state}}")
    out += ["evidence:"]
    out += [f"  E{e}: {{claim: {_sentence(rng, 120)}, source: Officials, cited_in: gen, grade: B2, "
            f"contested_by: {{A0: {_sentence(rng, 50)}}}}}" for e in range(4)]
    out += ["drivers:", f"  D1: {{title: Regional pressure, description: {_sentence(rng, 150)}, evidence: [E0]}}",
            "constraints:", f"  C1: {{title: Budget limits, description: {_sentence(rng, 100)}}}", "scenarios:"]
    for s in range(scenarios):
        out += [f"  S{s}:", f"    title: Scenario {s} {_sentence(rng, 30)}", f"    narrative: {_sentence(rng, 300)}",
                f"    likelihood: {LIKELIHOODS[s % len(LIKELIHOODS)]}", "    confidence: moderate",
                "    horizon: 6-18 months", "    drivers: [D1]", "    constraints: [C1]", "    indicators:"]
        out += [f"      S{s}-I{i}: {{text: {_sentence(rng, 60)}, status: emerging}}" for i in range(2)]
        out.append("    impacts:")
        for a in range(actors):
            out += [f"      A{a}:", f"        effect: {rng.randint(-3, 3)}", "        domains: [security, economic]",
                    "        confidence: low", f"        rationale: {_sentence(rng, 160)}",
                    f"        evidence: [E{rng.randrange(4)}]"]
    return "\n".join(out) + "\n"


# ------------------------------------------------------------------ rendering


def have_tools() -> bool:
    return all(shutil.which(t) for t in ("soffice", "pdftotext", "pdfinfo"))


def to_pdf(workbooks: Iterable[Path], outdir: Path, timeout: int = 600) -> dict[Path, Path]:
    """Every workbook rendered to PDF by ONE LibreOffice process (start-up is most of its cost)."""
    workbooks = list(workbooks)
    outdir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="lo-profile-") as profile:
        done = subprocess.run(["soffice", f"-env:UserInstallation=file://{profile}", "--headless", "--convert-to",
                               "pdf", "--outdir", str(outdir), *map(str, workbooks)],
                              capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, done.stderr
    pdfs = {w: outdir / f"{w.stem}.pdf" for w in workbooks}
    missing = [str(w) for w, p in pdfs.items() if not p.exists()]
    assert not missing, f"LibreOffice made no PDF of {missing}: {done.stderr}"
    return pdfs


# ------------------------------------------------------------------ measuring


@dataclass(frozen=True)
class Word:
    x0: float
    y0: float
    x1: float
    y1: float
    text: str

    @property
    def height(self) -> float:
        return self.y1 - self.y0

    @property
    def upright(self) -> bool:
        """Rotated text (the matrices' actor names): its box is as tall as the word is long."""
        return self.height > 2 * (self.x1 - self.x0) and self.height > 20


_PAGE = re.compile(r'<page width="[\d.]+" height="([\d.]+)">')
_WORD = re.compile(r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">(.*?)</word>')


def pages(pdf: Path) -> list[list[Word]]:
    """The words of each page, with their boxes in points (`pdftotext -bbox`); rotated words are left out
    (their box's height is their length, not their size)."""
    text = subprocess.run(["pdftotext", "-bbox", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    out: list[list[Word]] = []
    parts = _PAGE.split(text)
    for chunk in parts[2::2]:
        words = [Word(float(a), float(b), float(c), float(d), html.unescape(t)) for a, b, c, d, t in _WORD.findall(chunk)]
        out.append([w for w in words if not w.upright])
    return out



def sheet_of(words: list[Word]) -> str:
    """The sheet a page prints, from the brief's footer ("Title · as of 2022-08-20", bottom left): the
    lowest "·" that starts "· as of", and the words left of it on its line."""
    dots = [i for i, w in enumerate(words[:-1]) if w.text == "·" and words[i + 1].text == "as"]
    if not dots:
        return "?"
    dot = max((words[i] for i in dots), key=lambda w: w.y0)
    line = sorted((w for w in words if abs(w.y0 - dot.y0) < 1 and w.x1 <= dot.x0), key=lambda w: w.x0)
    return " ".join(w.text for w in line)


def median_height(words: list[Word]) -> float:
    return statistics.median(w.height for w in words) if words else 0.0


def overlaps(words: list[Word], share: float = 0.25) -> list[tuple[Word, Word]]:
    """Pairs of words printed over each other: boxes that meet across more than half a point and over
    more than `share` of the lower one's height. (A word box is taller than the line pitch, so the
    lines of one wrapped cell touch by about a tenth of their height; that is not an overlap.)"""
    found = []
    ordered = sorted(words, key=lambda w: w.y0)
    for i, a in enumerate(ordered):
        for b in ordered[i + 1:]:
            if b.y0 >= a.y1:
                break
            dx = min(a.x1, b.x1) - max(a.x0, b.x0)
            dy = min(a.y1, b.y1) - max(a.y0, b.y0)
            if dx > 0.5 and dy > share * min(a.height, b.height):
                found.append((a, b))
    return found


def page_count(pdf: Path) -> int:
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    return int(next(line.split()[-1] for line in info.splitlines() if line.startswith("Pages:")))


def calibration_workbook(path: Path, size: float = 8.0) -> Path:
    """A sheet of words in `size`-pt Calibri printed at 100 %: what that size measures as a word box."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    ws = wb.active
    for row in range(1, 41):
        cell = ws.cell(row=row, column=1, value="Calibration words of known size, printed at full scale")
        cell.font = Font(name="Calibri", size=size)
    wb.save(path)
    return path


# ------------------------------------------------------------------ charts against page breaks

DEFAULT_ROW_HEIGHT = 15.0  # points: Excel's and LibreOffice's default for a 10/11-pt font
EMU_PER_POINT = 12700


def printable_height(ws) -> float:
    """Points of rows a page holds (at 100 %): the paper's height less margins and repeated title rows."""
    ps = ws.page_setup
    paper = (595.3, 841.9)  # A4 portrait, points
    height = paper[0] if ps.orientation == "landscape" else paper[1]
    m = ws.page_margins
    height -= 72 * (m.top + m.bottom)
    if ws.print_title_rows:
        first, last = (int(x.strip("$")) for x in ws.print_title_rows.split(":"))
        height -= sum(row_height(ws, r) for r in range(first, last + 1))
    return height


def row_height(ws, row: int) -> float:
    dim = ws.row_dimensions.get(row) if hasattr(ws.row_dimensions, "get") else None
    return float(dim.height) if dim is not None and dim.height else DEFAULT_ROW_HEIGHT


def chart_spans(ws) -> list[tuple[int, int]]:
    """(first row, last row) each chart covers, 1-based, from its anchor and height."""
    spans = []
    for chart in ws._charts:
        anchor = chart.anchor
        first = anchor._from.row + 1
        if hasattr(anchor, "to") and anchor.to is not None and type(anchor).__name__ == "TwoCellAnchor":
            spans.append((first, anchor.to.row + 1))
            continue
        height = anchor.ext.height / EMU_PER_POINT if getattr(anchor, "ext", None) else chart.height * 28.35
        row, covered = first, row_height(ws, first) - anchor._from.rowOff / EMU_PER_POINT
        while covered < height:
            row += 1
            covered += row_height(ws, row)
        spans.append((first, row))
    return spans


def charts_cut_by_breaks(ws) -> list[str]:
    """What keeps a chart from printing on one page: a manual row break inside it, or more rows between
    the break before it and its bottom than a page holds (an automatic break would fall inside)."""
    breaks = sorted(b.id for b in ws.row_breaks.brk)  # a break's id: the last row of a page
    scale = (ws.page_setup.scale or 100) / 100 if not ws.sheet_properties.pageSetUpPr.fitToPage else 1.0
    room = printable_height(ws) / scale
    problems = []
    for first, last in chart_spans(ws):
        inside = [b for b in breaks if first <= b < last]
        if inside:
            problems.append(f"{ws.title}: the chart on rows {first}-{last} has a page break after row {inside[0]}")
            continue
        start = max([b for b in breaks if b < first], default=0) + 1
        used = sum(row_height(ws, r) for r in range(start, last + 1))
        if used > room:
            problems.append(f"{ws.title}: rows {start}-{last} down to the chart's bottom take {used:.0f} pt, "
                            f"a page holds {room:.0f}")
    return problems
