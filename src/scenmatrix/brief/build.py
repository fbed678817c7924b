"""Build an Excel brief of a study from a template, and save it atomically."""

from __future__ import annotations

import datetime as dt
import contextlib
import zipfile
from pathlib import Path
from typing import Optional, Union

from openpyxl import Workbook
from openpyxl.writer.excel import ExcelWriter
from openpyxl.styles import Alignment, Border, Font, NamedStyle, PatternFill, Side
from openpyxl.worksheet.worksheet import Worksheet

from scenmatrix.version import __version__
from scenmatrix.analysis.budgets import MAX_BRIEF_CIB_NODES
from scenmatrix.analysis.rounding import SIGNED
from scenmatrix.store import files
from scenmatrix.bulk import gc_paused
from scenmatrix.brief.base_workbook import load_base
from scenmatrix.brief.context import Context, Progress, build_context, quiet
from scenmatrix.brief.xlsx.cells import header_footer_text
from scenmatrix.brief.marker import MARKER_SHEET, write_marker
from scenmatrix.brief.sheets.layout import SIDE_MARGIN, TOP_MARGIN
from scenmatrix.brief.sheets.registry import WRITERS
from scenmatrix.brief.xlsx.grid import Grid, flush
from scenmatrix.brief.xlsx.rows import SheetBodies, SplicingArchive
from scenmatrix.brief.template import LoadedTemplate, Sheet, load_template
from scenmatrix.store.loader import LoadedStudy, load

HEADER_FOOTER_MARKING = "000000"
# Right-aligned numbers stand off their column's right edge, so that one does not run into left-aligned
# text in the next column ("-2.00S1"); their headers the same, to stay aligned with them.
NUMBER_INDENT = 1
STEPS_BEFORE_SHEETS = 2  # loading the study; tables and analysis
STEPS_BESIDE_SHEETS = 3  # those two, and saving


def write_brief(ctx: Context, handle) -> None:
    """Build the brief and write it to an open binary file.

    Write-only (fast, flat memory: the rows wait in temporary files) unless it fills a base workbook."""
    bodies = SheetBodies() if ctx.template.base_path is None else None
    try:
        save(build_workbook(ctx, bodies), handle, bodies)
    finally:
        if bodies is not None:
            bodies.cleanup()


def build_workbook(ctx: Context, bodies: Optional[SheetBodies]) -> Workbook:
    """The brief as an openpyxl workbook; its write-only sheets' rows go to `bodies` (see `sheetxml`)."""
    write_only = bodies is not None
    wb = Workbook(write_only=True) if write_only else _base_workbook(ctx)
    try:
        _fill(wb, ctx, bodies)
    except BaseException:
        if write_only:  # finish the sheets' XML streams so that they do not complain when collected
            for ws in wb.worksheets:
                with contextlib.suppress(Exception):
                    ws.close()
        raise
    return wb


def _fill(wb: Workbook, ctx: Context, bodies: Optional[SheetBodies]) -> None:
    _register_styles(wb, ctx)
    sheets_in_all = len(ctx.template.template.sheets)
    for done, spec in enumerate(ctx.template.template.sheets):
        ctx.progress(STEPS_BEFORE_SHEETS + done, sheets_in_all + STEPS_BESIDE_SHEETS, f"sheet {spec.title}")
        if not ctx.shows(spec):  # left out, with a base's empty sheet of its title
            if spec.title in wb.sheetnames:
                wb.remove(wb[spec.title])
            continue
        ws = wb[spec.title] if spec.title in wb.sheetnames else wb.create_sheet(spec.title)
        grid = Grid(ws)
        page_setup(grid, ctx)  # before the writer, which may tailor it (the executive page fits one page)
        WRITERS[spec.kind](grid, spec, ctx)
        if spec.kind != "table":  # structure and analysis are not for editing; tables stay open for review
            grid.protection.sheet = True
        flush(grid, bodies)
    ctx.progress(STEPS_BEFORE_SHEETS + sheets_in_all, sheets_in_all + STEPS_BESIDE_SHEETS, "saving")
    marker = Grid(wb.create_sheet(MARKER_SHEET))
    write_marker(marker, ctx.loaded.path.name, ctx.sha256, ctx.template.name, ctx.study,
                 ctx.editable, ctx.heatmaps)
    flush(marker, bodies)
    _properties(wb, ctx)


def _base_workbook(ctx: Context) -> Workbook:
    tpl = ctx.template
    assert tpl.base_path is not None
    return load_base(tpl.base_path, tpl.path, [sheet.title for sheet in tpl.template.sheets])


def _register_styles(wb: Workbook, ctx: Context) -> None:
    s = ctx.style
    thin = Side(style="thin", color="BFBFBF")

    def header(name: str, horizontal: Optional[str] = None) -> NamedStyle:
        return NamedStyle(name, font=Font(name=s.font, size=s.size, bold=True, color=s.header_font),
                          fill=PatternFill("solid", fgColor=s.header_fill), border=Border(bottom=thin),
                          alignment=Alignment(wrap_text=True, vertical="center", horizontal=horizontal,
                                              indent=NUMBER_INDENT if horizontal == "right" else 0))

    styles = {
        "sm_title": NamedStyle("sm_title", font=Font(name=s.font, size=s.title_size, bold=True, color="1F3864")),
        "sm_subtitle": NamedStyle("sm_subtitle", font=Font(name=s.font, size=s.size, italic=True, color="595959")),
        "sm_header": header("sm_header"),
        # Headers over numbers align as the numbers do (right; centred over scores), so that each value
        # reads as belonging to the header above it.
        "sm_header_number": header("sm_header_number", "right"),
        "sm_header_centred": header("sm_header_centred", "center"),
        "sm_body": NamedStyle("sm_body", font=Font(name=s.font, size=s.size),
                              alignment=Alignment(wrap_text=True, vertical="top"),
                              border=Border(bottom=thin)),
        "sm_label": NamedStyle("sm_label", font=Font(name=s.font, size=s.size, bold=True),
                               alignment=Alignment(wrap_text=True, vertical="top")),
        "sm_text": NamedStyle("sm_text", font=Font(name=s.font, size=s.size),
                              alignment=Alignment(wrap_text=True, vertical="top")),
        "sm_section": NamedStyle("sm_section", font=Font(name=s.font, size=s.size + 2, bold=True, color="1F3864")),
        "sm_effect": NamedStyle("sm_effect", font=Font(name=s.font, size=s.size, bold=True),
                                alignment=Alignment(horizontal="center", vertical="center"),
                                number_format="+0;-0;0", border=Border(bottom=thin, right=thin)),
        "sm_int": NamedStyle("sm_int", font=Font(name=s.font, size=s.size),
                             alignment=Alignment(horizontal="center", vertical="top"), border=Border(bottom=thin)),
        "sm_number": NamedStyle("sm_number", font=Font(name=s.font, size=s.size),
                                alignment=Alignment(horizontal="right", vertical="top", indent=NUMBER_INDENT),
                                number_format=SIGNED, border=Border(bottom=thin)),
    }
    existing = {style.name if hasattr(style, "name") else style for style in wb.named_styles}
    for name, style in styles.items():
        if name not in existing:
            wb.add_named_style(style)


def page_setup(ws: Worksheet, ctx: Context) -> None:
    """Landscape, one page wide, TLP marking right in header and footer in black bold, 'Page N of M'.

    TLP 2.0 shows a label in its colour on black; a header or footer has no fill (its codes set only the
    font's colour), and the label's colours on white paper are barely legible (green, amber) or invisible
    (white). So the label is black there; the cover shows it in its colour on black (cover.write_cover)."""
    marking = ctx.study.study.marking
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = Worksheet.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_options.horizontalCentered = True
    ws.page_margins.top = ws.page_margins.bottom = TOP_MARGIN
    ws.page_margins.left = ws.page_margins.right = SIDE_MARGIN
    for part in (ws.oddHeader.right, ws.oddFooter.right):
        part.text = header_footer_text(marking)
        part.color = HEADER_FOOTER_MARKING
        part.font = f"{ctx.style.font},Bold"
        part.size = 11
    ws.oddHeader.left.text = header_footer_text(ctx.study.study.title[:120])
    ws.oddHeader.left.size = 8
    ws.oddFooter.center.text = "Page &P of &N"
    ws.oddFooter.center.size = 8
    ws.oddFooter.left.text = header_footer_text(f"{ws.title} · as of {ctx.study.study.as_of.isoformat()}")
    ws.oddFooter.left.size = 8


def _properties(wb: Workbook, ctx: Context) -> None:
    info = ctx.study.study
    props = wb.properties
    props.title = info.title[:255]
    props.subject = f"Scenario x actor impact brief ({ctx.template.name}) · {info.marking}"
    authors = sorted({s.author for s in info.sources.values() if s.author})
    props.creator = f"scenmatrix {__version__}" + (f" from {', '.join(authors)}" if authors else "")
    props.keywords = ", ".join([info.marking, info.id, *[a.name for a in ctx.study.actors.values()]])[:255]
    props.description = f"study {ctx.loaded.path.name} sha256 {ctx.sha256}"
    props.created = props.modified = ctx.generated.replace(tzinfo=None)


def build_brief(loaded: LoadedStudy, template: Union[str, Path, LoadedTemplate] = "standard",
                output: Union[str, Path, None] = None, generated: Optional[dt.datetime] = None,
                changes: Optional[tuple[str, list]] = None, progress: Progress = quiet,
                cib_nodes: int = MAX_BRIEF_CIB_NODES) -> Path:
    """Build the brief and write it atomically; a failure leaves any earlier file at `output` untouched.

    `changes` = (revision as a reader knows it, diff.Change list) adds a "Changes since …" sheet after the cover. `progress` is told
    each step (see `Progress`), for a progress bar. `cib_nodes` bounds the Cross-impact sheet's search.
    """
    with gc_paused():
        return _build_brief(loaded, template, output, generated, changes, progress, cib_nodes)


def _build_brief(loaded: LoadedStudy, template: Union[str, Path, LoadedTemplate], output: Union[str, Path, None],
                 generated: Optional[dt.datetime], changes: Optional[tuple[str, list]], progress: Progress,
                 cib_nodes: int = MAX_BRIEF_CIB_NODES) -> Path:
    tpl = template if isinstance(template, LoadedTemplate) else load_template(template)
    if changes is not None:
        tpl = with_changes_sheet(tpl, changes)
    generated = generated or dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
    out = Path(output) if output else Path("briefs") / f"{loaded.study.study.id}-{tpl.name}.xlsx"
    files.check_output(out, (".xlsx",), "-o/--output", what="brief", inputs={
        "the study": loaded.path, "the template": tpl.path, "the template's base workbook": tpl.base_path})
    steps = len(tpl.template.sheets) + STEPS_BESIDE_SHEETS
    progress(1, steps, "tables and analysis")
    ctx = build_context(loaded, tpl, generated)
    ctx.progress = progress
    ctx.cib_nodes = cib_nodes
    out.parent.mkdir(parents=True, exist_ok=True)
    with files.atomic_writer(out) as handle:
        write_brief(ctx, handle)
    progress(steps, steps, "done")
    return out


# Deflate level 6 (zipfile's default) spends most of a large brief's save time compressing; level 1
# is about 4x faster for files about 15 % larger, the better trade for a file that is opened, not archived.
COMPRESSION_LEVEL = 1


def save(wb: Workbook, handle, bodies: Optional[SheetBodies] = None) -> None:
    """Save a workbook to an open binary file at our chosen compression level, its sheets' rows spliced in."""
    with zipfile.ZipFile(handle, "w", zipfile.ZIP_DEFLATED, allowZip64=True,
                         compresslevel=COMPRESSION_LEVEL) as archive:
        ExcelWriter(wb, SplicingArchive(archive, bodies if bodies is not None else SheetBodies())).save()


def build_brief_file(study: Union[str, Path], template: Union[str, Path] = "standard",
                     output: Union[str, Path, None] = None, since: Optional[str] = None,
                     progress: Progress = quiet, cib_nodes: int = MAX_BRIEF_CIB_NODES) -> Path:
    """Load, validate and brief a study file in one call (what `scenmatrix brief` does).

    `since` is a git revision: the brief then lists what changed in the study since it.
    """
    tpl = load_template(template)
    changes = None
    if since is not None:
        from scenmatrix.store.revisions import describe_revision, diff_since

        entries = diff_since(since, study)  # first: it says best why a revision cannot be read
        changes = (describe_revision(since, study), entries)
    with gc_paused():
        progress(0, len(tpl.template.sheets) + STEPS_BESIDE_SHEETS + (since is not None), "loading the study")
        loaded = load(study)
        loaded.document.forget_text()  # ours alone: only its hash is needed from here on
        return build_brief(loaded, tpl, output, changes=changes, progress=progress, cib_nodes=cib_nodes)


def with_changes_sheet(tpl: LoadedTemplate, changes: tuple[str, list]) -> LoadedTemplate:
    """The template with a Changes sheet after its cover (or first), holding the changes as a table."""
    revision, entries = changes
    sheets = list(tpl.template.sheets)
    at = next((i + 1 for i, sheet in enumerate(sheets) if sheet.kind == "cover"), 0)
    sheets.insert(at, Sheet(kind="changes", title="Changes", table=revision))
    copy = tpl.template.model_copy(update={"sheets": sheets})
    loaded = LoadedTemplate(tpl.name, tpl.path, copy)
    loaded.changes = entries
    return loaded
