"""Fuzzing the commands (issue 8): generated valid studies, damaged, then given to every command.

A valid study is generated (test_properties' strategy), then mutated: syntax damage, a truncated file,
wrong types, out-of-range values, dangling and duplicate ids, deep nesting, huge strings, odd Unicode
(BOM, NUL, invalid UTF-8, UTF-16, lone surrogate escapes, bidi marks, emoji, NEL, line separators,
C1 controls, terminal escapes). `validate`, `brief` and every edit command (`add`, `set`, `rm`,
`rename`) run on it through the CLI, in process. Each one either

- refuses: exit code 1, every line of stderr a positioned `path:line:col: message` (a brief that
  cannot hold some text names the output cell instead), no traceback, no file written and the
  study byte-identical; or
- succeeds, when the mutation left a valid study or one the edit can still touch: exit code 0 and a
  valid result (an edit of a study that was already invalid may add no problem of its own).

Never exit code 2 (a usage error) for anything in the file. The edit commands also get hostile
*values*: whatever text `set` is given is either stored exactly or refused.

Every kind of mutation gets its own examples: in CI about 10 each for validate and the edits and 3 for
the brief (about 190 studies in all); SCENMATRIX_LONG=1 runs about 3,000 (some 30 minutes).
"""

from __future__ import annotations

import codecs
import datetime as dt
import re
import tempfile
from pathlib import Path
from typing import Any, Callable

import openpyxl
import pytest
from click.testing import CliRunner, Result
from hypothesis import HealthCheck, assume, event, given, note, settings
from hypothesis import strategies as st

from hardening import LONG, assert_refusal, lock_sidecar, scaled, snapshot
from scenmatrix.cli.app import cli
from scenmatrix.errors import StudyError
from scenmatrix.store.document import parse
from scenmatrix.store.loader import load
from scenmatrix.store.checks import validate_document
from test_properties import dump, studies, yamlish

NEW_ID = "Zz-fuzz-new-id"  # longer than any generated id (at most 12 characters): never already there


def fuzz_settings(ci: int, long: int) -> settings:
    return settings(max_examples=scaled(ci, long), deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                           HealthCheck.function_scoped_fixture])


# --- mutations ---------------------------------------------------------------------------------------------------

def leaves(node: Any, loc: tuple = ()) -> list[tuple]:
    """Every location in plain study data (mappings and lists), inner nodes included."""
    out = [loc] if loc else []
    items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
    for key, value in items:
        out += leaves(value, loc + (key,))
    return out


def text_leaves(data: dict) -> list[tuple]:
    return [loc for loc in leaves(data) if isinstance(get(data, loc), str) and loc[-1] not in ("marking",)]


def get(node: Any, loc: tuple) -> Any:
    for part in loc:
        node = node[part]
    return node


def put(node: Any, loc: tuple, value: Any) -> None:
    get(node, loc[:-1])[loc[-1]] = value


PLACEHOLDER = "PLACEHOLDER-7f3a"


def with_raw(draw, data: dict, raw: Callable[[], str]) -> bytes:
    """The study with one text value replaced by raw YAML text (for what a dumper would never write)."""
    loc = draw(st.sampled_from(text_leaves(data)))
    put(data, loc, PLACEHOLDER)
    return dump(data).replace(PLACEHOLDER, raw(), 1).encode("utf-8")


WRONG_VALUES = [42, -1.5, True, None, [], {}, [1, [2]], {"x": {"y": 1}}, dt.date(2022, 2, 2), "text", "", 10 ** 30]
BAD_EFFECTS = [4, -4, 10 ** 30, -(10 ** 30), 1.5, True, "2", "+2", None, [2]]
ODD_TEXT = ["\u202e", "\u200f", "\u061c", "🚁", "👩‍👩‍👧", "\u2028", "\u2029", "\ufeff", "e\u0301", "\u00a0", "\ufffd",
            "\U0010fffd", "ﷺ", "\u3000"]
ESCAPES = ["\\0", "\\x07", "\\e", "\\ud800", "\\udfff", "\\ud800\\udc00", "\\x9b", "\\x85", "\\uFFFE", "\\uFFFF",
           "\\N", "\\L", "\\P", "\\t", "\\r", "\\_", "\\x1b[31m"]
BAD_BYTES = [b"\x00", b"\xff", b"\xfe", b"\xc3", b"\xed\xa0\x80", b"\xf4\x90\x80\x80", b"\xc0\xaf", b"\x80", b"\x1b[2J",
             b"\x7f", b"\xc2\x9b", b"\xc2\x85", b"\x0b", b"\x0c", b"\r"]


def mutate(draw, data: dict, how: str) -> bytes:
    text = dump(data)
    if how == "none":
        return text.encode("utf-8")
    if how == "splice":
        at = draw(st.integers(0, len(text)))
        return (text[:at] + draw(yamlish) + text[at:]).encode("utf-8")
    if how == "delete":
        at = draw(st.integers(0, len(text) - 1))
        return (text[:at] + text[at + draw(st.integers(1, 60)):]).encode("utf-8")
    if how == "truncate":  # what a crash during a non-atomic write would leave
        raw = text.encode("utf-8")
        return raw[:draw(st.integers(1, len(raw) - 1))]
    if how == "wrong-type":
        put(data, draw(st.sampled_from(leaves(data))), draw(st.sampled_from(WRONG_VALUES)))
        return dump(data).encode("utf-8")
    if how == "out-of-range":
        impacts = [loc for loc in leaves(data) if len(loc) == 5 and loc[2] == "impacts" and loc[4] == "effect"]
        if impacts:
            put(data, draw(st.sampled_from(impacts)), draw(st.sampled_from(BAD_EFFECTS)))
        else:
            put(data, ("scenarios", next(iter(data["scenarios"])), "likelihood"), "probable")
        return dump(data).encode("utf-8")
    if how == "dangling":
        ghost = "Gh0st-unknown"
        scenario = data["scenarios"][draw(st.sampled_from(sorted(data["scenarios"])))]
        place = draw(st.sampled_from(["impact", "drivers", "constraints", "evidence-list", "cited_in", "contested"]))
        if place == "impact" or (place in ("evidence-list",) and not scenario["impacts"]):
            scenario["impacts"][ghost] = {"effect": 1, "domains": ["military"], "confidence": "low", "rationale": "r"}
        elif place in ("drivers", "constraints"):
            scenario[place] = scenario[place] + [ghost]
        elif place == "evidence-list":
            next(iter(scenario["impacts"].values()))["evidence"] = [ghost]
        elif data["evidence"]:
            item = next(iter(data["evidence"].values()))
            if place == "cited_in":
                item["cited_in"] = ghost
            else:
                item["contested_by"] = {ghost: "denies"}
        else:
            data["evidence"] = {"E1": {"claim": "c", "source": "s", "grade": "A1", "cited_in": ghost}}
        return dump(data).encode("utf-8")
    if how == "duplicate":
        place = draw(st.sampled_from(["key", "list", "indicator"]))
        if place == "key":  # a key written twice in one mapping: a YAML error at the second
            lines = text.splitlines(keepends=True)
            keyed = [i for i, line in enumerate(lines) if line.strip().endswith(":") or ": " in line]
            at = draw(st.sampled_from(keyed))
            lines.insert(at + 1, lines[at])
            return "".join(lines).encode("utf-8")
        scenario_ids = sorted(data["scenarios"])
        first = data["scenarios"][scenario_ids[0]]
        if place == "list" and data["drivers"]:
            first["drivers"] = [next(iter(data["drivers"]))] * 2
        else:
            last = data["scenarios"][scenario_ids[-1]]
            first.setdefault("indicators", {})["I-dup"] = {"text": "one", "status": "emerging"}
            last.setdefault("indicators", {})["I-dup"] = {"text": "two", "status": "observed"}
        return dump(data).encode("utf-8")
    if how == "deep":
        depth = draw(st.sampled_from([20, 99, 101, 150, 400, 3000]))
        if draw(st.booleans()):
            return with_raw(draw, data, lambda: "[" * depth + "]" * depth)
        return with_raw(draw, data, lambda: "".join(f"\n{' ' * (i + 8)}k{i}:" for i in range(min(depth, 400))) + " x")
    if how == "huge":
        size = draw(st.sampled_from([32_768, 40_000] + ([1_000_000] if LONG else [])))  # over a cell's limit
        loc = draw(st.sampled_from(text_leaves(data)))
        put(data, loc, draw(st.sampled_from(["x", "=", "🚁", "ü "])) * size)
        return dump(data).encode("utf-8")
    if how == "unicode":
        place = draw(st.sampled_from(["text", "escape", "bytes", "bom", "utf16", "key"]))
        if place == "text":
            odd = "".join(draw(st.lists(st.sampled_from(ODD_TEXT), min_size=1, max_size=4)))
            put(data, draw(st.sampled_from(text_leaves(data))), "a" + odd + "=1+1")
            return dump(data).encode("utf-8")
        if place == "escape":
            escape = draw(st.sampled_from(ESCAPES))
            return with_raw(draw, data, lambda: f'"a{escape}b"')
        if place == "bytes":
            raw = text.encode("utf-8")
            at = draw(st.integers(0, len(raw)))
            return raw[:at] + draw(st.sampled_from(BAD_BYTES)) + raw[at:]
        if place == "bom":
            return codecs.BOM_UTF8 + text.encode("utf-8")
        if place == "utf16":
            return text.encode(draw(st.sampled_from(["utf-16", "utf-16-be", "utf-32"])))
        actors = data["actors"]
        odd_id = draw(st.sampled_from(["R\u202eU", "Ру", "A\x1b[31m", "A B", "1A", "A" * 41, "A\u200b"]))
        actors[odd_id] = actors.pop(next(iter(actors)))
        return dump(data).encode("utf-8")
    raise AssertionError(how)


MUTATIONS = ["none", "splice", "delete", "truncate", "wrong-type", "out-of-range", "dangling", "duplicate", "deep",
             "huge", "unicode"]


@st.composite
def mutated_studies(draw, how: str) -> tuple[str, bytes]:
    data = draw(studies())
    aid = next(iter(data["actors"]))  # an actor id for the edits, before the mutation changes anything
    raw = mutate(draw, data, how)
    note(f"mutation: {how}")
    return aid, raw


# --- running commands and judging them --------------------------------------------------------------------------

def invoke(args: list[str]) -> Result:
    return CliRunner().invoke(cli, args, catch_exceptions=True)


def problems_of(path: Path) -> set[tuple[str, str]] | None:
    """(code, message) of every problem of the study, or None when it does not even parse."""
    try:
        text = path.read_bytes().decode("utf-8").removeprefix("\ufeff")
        _, problems = validate_document(parse(path, text))
    except (StudyError, UnicodeDecodeError):
        return None
    return {(p.code, p.message) for p in problems}


def judge(result: Result, args: list[str], path: Path, folder: Path, before: dict[str, bytes], *,
          writes: str) -> str:
    """Check one command's outcome; writes is "nothing", "study" or "brief". Returns "refused" or "done"."""
    label = " ".join(a if len(a) < 40 else a[:37] + "..." for a in args)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise AssertionError(f"{label}: uncaught {type(result.exception).__name__}: {result.exception}") \
            from result.exception
    output = result.stdout + result.stderr
    assert "Traceback" not in output, f"{label}: {output}"
    after = snapshot(folder)
    sidecar = lock_sidecar(path)
    if result.exit_code == 2 and args[0] in ("set", "add"):  # a value given by an option: the option is named
        assert re.search(r"Invalid value for --[a-z-]+: ", result.stderr), f"{label}: {output}"
        unchanged = ({k: v for k, v in after.items() if k != sidecar} == {k: v for k, v in before.items() if k != sidecar})
        assert unchanged, f"{label}: a refusal changed files"
        return "refused"
    assert result.exit_code in (0, 1), f"{label}: exit {result.exit_code}: {output}"
    if result.exit_code == 1:
        assert_refusal(result.stderr, path, output_positions=writes == "brief")
        after.pop(sidecar, None)
        before = {k: v for k, v in before.items() if k != sidecar}
        assert after == before, f"{label}: a refusal changed files: {set(after) ^ set(before)}"
        return "refused"
    if writes == "nothing":
        assert after == before, label
    elif writes == "brief":
        out = folder / "out.xlsx"
        assert set(after) - set(before) == {"out.xlsx"}, label
        openpyxl.load_workbook(out, read_only=True).close()
        load(path)  # only a valid study is briefed
    else:
        assert set(after) - set(before) <= {sidecar}, f"{label}: {set(after) - set(before)}"
    return "done"


EDITS = [
    lambda aid: ["add", "actor", NEW_ID, "--name", "Added", "--kind", "state"],
    lambda aid: ["set", "actor", aid, "--name", "Renamed"],
    lambda aid: ["rm", "actor", aid, "--cascade"],
    lambda aid: ["rename", "actor", aid, NEW_ID],
]


def run_edit(folder: Path, raw: bytes, args: list[str]) -> tuple[Result, Path, dict[str, bytes]]:
    path = folder / "study.yaml"
    path.write_bytes(raw)
    for stale in folder.iterdir():
        if stale != path:
            stale.unlink()
    before = snapshot(folder)
    return invoke([*args, "-s", str(path)]), path, before


def check_edit(folder: Path, raw: bytes, args: list[str], known: set | None) -> str:
    """Run an edit on the study `raw`, whose problems were `known` (None: it does not parse)."""
    result, path, before = run_edit(folder, raw, args)
    outcome = judge(result, args, path, folder, before, writes="study")
    if outcome == "done" and path.read_bytes() != raw:
        now = problems_of(path)
        assert now is not None, f"{args}: the edit wrote a study that does not parse"
        assert known is not None and now <= known, f"{args}: the edit added problems: {now - (known or set())}"
    return outcome


# --- the tests ----------------------------------------------------------------------------------------------------

@pytest.mark.slow
@pytest.mark.parametrize("how", MUTATIONS)
def test_validate_and_every_edit_refuse_damage_with_positions_and_touch_nothing(how: str) -> None:
    @fuzz_settings({"none": 4, "huge": 5}.get(how, 10), {"huge": 40}.get(how, 150))
    @given(mutated_studies(how))
    def run(case: tuple[str, bytes]) -> None:
        validate_and_edit(how, *case)

    run()


def validate_and_edit(how: str, aid: str, raw: bytes) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        path = folder / "study.yaml"
        path.write_bytes(raw)
        before = snapshot(folder)
        known = problems_of(path)
        result = invoke(["validate", str(path)])
        outcome = judge(result, ["validate"], path, folder, before, writes="nothing")
        event(f"{how}: validate {outcome}")
        assert (outcome == "done") == (known == set()), "validate and the library disagree"
        if how == "none":
            assert outcome == "done", result.stderr
        for make in EDITS:
            args = make(aid)
            outcome = check_edit(folder, raw, args, known)
            event(f"{how}: {args[0]} {outcome}")
            if how == "none":
                assert outcome == "done", (args, result.stderr)


@pytest.mark.parametrize("how", MUTATIONS)
def test_brief_refuses_damage_with_positions_and_writes_nothing(how: str) -> None:
    @fuzz_settings(3, 40)
    @given(mutated_studies(how), st.sampled_from(["standard", "annex", "executive"]))
    def run(case: tuple[str, bytes], template: str) -> None:
        brief(how, case[1], template)

    run()


def brief(how: str, raw: bytes, template: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        path = folder / "study.yaml"
        path.write_bytes(raw)
        before = snapshot(folder)
        args = ["brief", str(path), "-t", template, "-o", str(folder / "out.xlsx")]
        outcome = judge(invoke(args), args, path, folder, before, writes="brief")
        event(f"{how}: brief {outcome}")
        if how == "none":
            assert outcome == "done"


# What `set` may be given as text: anything Python holds (control characters, lone surrogates, NEL,
# line and paragraph separators, bidi marks), hostile formulas, and YAML syntax.
values = st.one_of(
    st.text(min_size=1, max_size=40),
    st.text(st.characters(codec="utf-8"), min_size=1, max_size=40),
    st.sampled_from(["=cmd|' /C calc'!A0", "@SUM(1)", "+1", "-1", "#N/A", "\t=1", "\r=1", "x\x85y", "\u2028", "- a",
                     "a: b", "[x", "{x", "*a", "&a", "!t", "|", ">", "%x", "---", "...", "'", '"', "#", " ", "\n",
                     "null", "~", "yes", "0x10", "2022-01-01", "\ud800", "a\x00b", "\x1b[2J", "\ufeff", "x" * 50_000]),
    yamlish.filter(bool),
)
FIELD_OF = {"actor": ("name", lambda s, i: s.actors[i].name),
            "impact": ("rationale", lambda s, i: s.scenarios[i[0]].impacts[i[1]].rationale),
            "key-judgment": ("text", lambda s, i: s.study.key_judgments[i])}


@pytest.mark.slow
@fuzz_settings(40, 1000)
@given(studies(), values, st.sampled_from(sorted(FIELD_OF)))
def test_set_stores_any_text_exactly_or_refuses_it(data: dict, value: str, kind: str) -> None:
    if kind == "impact":
        rated = [(sid, aid) for sid, s in data["scenarios"].items() for aid in s["impacts"]]
        assume(rated)
        ident: Any = rated[0]
        name = f"{ident[0]}/{ident[1]}"
    elif kind == "key-judgment":
        assume(data["study"]["key_judgments"])
        ident = name = next(iter(data["study"]["key_judgments"]))
    else:
        ident = name = next(iter(data["actors"]))
    field, read = FIELD_OF[kind]
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        args = ["set", kind, name, f"--{field}", value]
        result, path, before = run_edit(folder, dump(data).encode("utf-8"), args)
        outcome = judge(result, args, path, folder, before, writes="study")
        event(f"set {kind}: {outcome}")
        if outcome == "done":
            assert read(load(path).study, ident) == value, "stored text differs from the text given"
