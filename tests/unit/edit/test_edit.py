"""Editing studies: the API in scenmatrix.edit and the commands over it (new, add, set, rm, rename, list, show)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from edit_fixtures import ACTOR, AWKWARD, IMPACT, MINIMAL, write
from conftest import VALID_STUDY
from scenmatrix.edit import api as edit
from scenmatrix.cli.app import cli
from scenmatrix.errors import StudyError, UsageError
from scenmatrix.store.document import parse, read_document
from scenmatrix.store.loader import load
from scenmatrix.store.checks import validate_document

SCENMATRIX = str(Path(sys.executable).with_name("scenmatrix"))
REPO = Path(__file__).resolve().parents[3]
DEFAULT_STUDY = REPO / "scenarios" / "russia-iran-2022.yaml"


@pytest.fixture
def awkward(tmp_path: Path) -> Path:
    return write(tmp_path)


def tree(path: Path):
    return read_document(path).tree


def comments(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip().startswith("#")]


# -- one test a kind: add, set, rename, remove, each written in place --------------------------

NEW_ENTRIES = [
    ("actor", "US", {}, ACTOR, ("actors", "US", "name"), "Israel"),
    ("scenario", "S3", {}, {"title": "Rupture", "narrative": "Ties break.", "likelihood": "very unlikely",
                            "confidence": "low", "drivers": "D1"}, ("scenarios", "S3", "likelihood"), "very unlikely"),
    ("impact", "S2/IR", {}, IMPACT, ("scenarios", "S2", "impacts", "IR", "effect"), -2),
    ("indicator", "I2", {"scenario": "S1"}, {"text": "Joint exercise", "status": "not observed"},
     ("scenarios", "S1", "indicators", "I2", "status"), "not observed"),
    ("evidence", "E3", {}, {"claim": "Payments in gold.", "source": "FT", "grade": "C3", "contested_by": ["RU=denies"]},
     ("evidence", "E3", "contested_by", "RU"), "denies"),
    ("driver", "D2", {}, {"title": "Isolation", "description": "Both are shunned.", "evidence": ["E1", "E2"]},
     ("drivers", "D2", "evidence"), ["E1", "E2"]),
    ("constraint", "C2", {}, {"title": "Rivalry", "description": "Competing oil exports."},
     ("constraints", "C2", "title"), "Rivalry"),
    ("key-judgment", "KJ3", {}, {"text": "Alignment: deep but bounded."}, ("study", "key_judgments", "KJ3"),
     "Alignment: deep but bounded."),
    ("source", "RFE", {}, {"title": "RFE/RL report", "date": "2022-05-02"}, ("study", "sources", "RFE", "title"),
     "RFE/RL report"),
]


def _get(node, loc):
    for part in loc:
        node = node[part]
    return node


@pytest.mark.parametrize("kind,id,where,fields,loc,expected", NEW_ENTRIES, ids=[e[0] for e in NEW_ENTRIES])
def test_add_then_remove_restores_the_file_byte_for_byte(awkward, kind, id, where, fields, loc, expected):
    result = edit.add(awkward, kind, id, fields, **where)
    assert result.render == "text"
    assert _get(tree(awkward), loc) == expected
    load(awkward)  # valid
    assert comments(awkward.read_text()) == comments(AWKWARD)
    edit.remove(awkward, kind, id, **where)
    assert awkward.read_text() == AWKWARD


@pytest.mark.parametrize("kind,old,new,refs", [
    ("actor", "RU", "RUS", [("scenarios", "S1", "impacts", "RUS"), ("scenarios", "S2", "impacts", "RUS")]),
    ("actor", "IR", "IRN", [("evidence", "E1", "contested_by", "IRN"), ("scenarios", "S1", "impacts", "IRN")]),
    ("evidence", "E2", "E-funds", [("drivers", "D1", "evidence", 1), ("constraints", "C1", "evidence", 0),
                                   ("scenarios", "S1", "impacts", "RU", "evidence", 1)]),
    ("driver", "D1", "D-sanctions", [("scenarios", "S1", "drivers", 0)]),
    ("constraint", "C1", "C-mistrust", [("scenarios", "S1", "constraints", 0)]),
    ("source", "ISW", "isw", [("evidence", "E1", "cited_in")]),
    ("scenario", "S2", "S-drift", []),
    ("indicator", "I1", "I-su35", []),
    ("key-judgment", "KJ1", "KJ-main", []),
])
def test_rename_changes_every_reference_and_back(awkward, kind, old, new, refs):
    result = edit.rename(awkward, kind, old, new)
    assert result.render == "text"
    study = tree(awkward)
    for ref in refs:
        last = ref[-1]
        if isinstance(last, int) or last == "cited_in":
            assert _get(study, ref) == new
        else:
            assert last in _get(study, ref[:-1])
    load(awkward)
    edit.rename(awkward, kind, new, old)
    assert awkward.read_text() == AWKWARD


def test_set_changes_only_the_values_it_names(awkward):
    result = edit.set_fields(awkward, "impact", "S1/RU", {"effect": "-3", "domains": ["energy"]})
    diff = result.diff
    text = awkward.read_text()
    assert "        effect: -3    # written with a plus\n" in text
    assert "        domains: [energy]\n" in text
    changed = [ln for ln in diff.splitlines() if ln[:1] in "+-" and not ln.startswith(("+++", "---"))]
    assert len(changed) == 4
    assert result.render == "text"


@pytest.mark.parametrize("kind,id,fields,expect", [
    ("scenario", "S1", {"likelihood": "very likely", "horizon": "6-18 months"}, "    horizon: 6-18 months\n"),
    ("impact", "S1/IR", {"domains": ["nuclear", "energy"]}, "          - nuclear\n          - energy\n"),
    ("impact", "S2/RU", {"evidence": ["E1"]}, "rationale: Isolation., evidence: [E1]}"),
    ("indicator", "I1", {"status": "observed"}, "I1: {text: Su-35 deliveries, status: observed}"),
    ("evidence", "E2", {"quote": "We paid."}, "    quote: We paid.\n    # quote pending\n"),
    ("evidence", "E1", {"cited_in": None}, "    source: US officials\n    grade: B2\n"),
    ("driver", "D1", {"title": "Sanctions, ever tighter"}, "    title: Sanctions, ever tighter\n"),
    ("actor", "IR", {"name": "Islamic Republic of Iran"}, "    name: 'Islamic Republic of Iran'\n"),
    ("key-judgment", "KJ1", {"text": "Ties deepen."}, "    KJ1: Ties deepen.  # main judgment\n"),
    ("source", "ISW", {"url": "https://understandingwar.org"},
     '{title: "ISW update", date: 2022-04-30, url: https://understandingwar.org}'),
])
def test_set_each_kind_in_the_file_s_own_style(awkward, kind, id, fields, expect):
    result = edit.set_fields(awkward, kind, id, fields)
    assert expect in awkward.read_text()
    assert result.render == "text"
    assert comments(awkward.read_text()) == comments(AWKWARD)
    load(awkward)


def test_new_entries_copy_the_style_of_their_siblings(awkward):
    edit.add(awkward, "actor", "US", {"name": "United States", "kind": "state", "aliases": ["USA"]})
    text = awkward.read_text()
    # blank line between actors, the flow list of aliases quoted like the last list, placed after the last actor and before
    # the comment that belongs to the next section
    assert "    kind: state\n\n  US:\n    name: United States\n    kind: state\n    aliases: [\"USA\"]\n" \
           "  # trailing note about actors" in text
    edit.add(awkward, "driver", "D2", {"title": "t", "description": "d", "evidence": ["E1"]})
    assert "  D2:\n    title: t\n    description: d\n    evidence:\n      - E1\nconstraints:" in awkward.read_text()


def test_a_new_study_is_valid_and_fills_from_empty_sections(tmp_path):
    path = tmp_path / "sub" / "gulf-2024.yaml"
    edit.new_study(path, "Gulf: 2024", as_of="2024-01-31", marking="TLP:GREEN")
    text = path.read_text()
    assert text.splitlines()[0] == "# yaml-language-server: $schema=study.schema.json"
    assert load(path).study.study.id == "gulf-2024"
    edit.add(path, "actor", "SA", {"name": "Saudi Arabia", "kind": "state"})
    edit.add(path, "actor", "IR", {"name": "Iran", "kind": "state"})
    edit.add(path, "scenario", "S1", {"title": "Detente", "narrative": "Talks hold.", "likelihood": "likely",
                                      "confidence": "low"})
    edit.add(path, "impact", "S1/SA", IMPACT)
    result = edit.add(path, "key-judgment", "KJ1", {"text": "Detente holds."})
    assert result.render == "text"
    assert "actors:\n  SA:\n    name: Saudi Arabia\n    kind: state\n  IR:\n" in path.read_text()
    assert "  key_judgments:\n    KJ1: Detente holds.\n\nactors:" in path.read_text()
    study = load(path).study
    assert study.scenarios["S1"].impacts["SA"].effect == -2
    with pytest.raises(StudyError, match="already exists"):
        edit.new_study(path, "Again")


# -- nothing lost: round trips ------------------------------------------------------------

ROUND_TRIPPABLE = AWKWARD.replace("+2 ", "2 ").replace("[ \"Russian Federation\", RF ]", "[\"Russian Federation\", RF]") \
    .replace("{ IR: \"denies supplying any\" }", "{IR: \"denies supplying any\"}")


def test_load_and_save_without_change_is_byte_identical(tmp_path):
    for name, text in (("minimal.yaml", MINIMAL), ("awkward.yaml", ROUND_TRIPPABLE)):
        path = write(tmp_path, text, name)
        assert read_document(path).dump() == text
        edit.add(path, "actor", "XX", ACTOR)
        assert edit.remove(path, "actor", "XX").diff
        assert path.read_text() == text


def test_an_edit_that_changes_nothing_writes_nothing(awkward):
    mtime = awkward.stat().st_mtime_ns
    assert edit.set_fields(awkward, "actor", "IL", {"name": "Israel"}).diff == ""
    assert awkward.stat().st_mtime_ns == mtime


def test_an_edit_that_changes_nothing_leaves_even_unusual_spellings(awkward):
    # `+2`, `[ "x", y ]` and `{ a: b }` do not survive a ruamel dump; an edit never dumps them.
    assert edit.set_fields(awkward, "impact", "S1/RU", {"confidence": "moderate"}).diff == ""
    edit.set_fields(awkward, "actor", "IL", {"name": "State of Israel"})
    text = awkward.read_text()
    assert "effect: +2    # written with a plus" in text
    assert 'aliases: [ "Russian Federation", RF ]' in text
    assert '{ IR: "denies supplying any" }' in text


@pytest.mark.skipif(not DEFAULT_STUDY.exists(), reason="the default study is not written yet")
def test_the_default_study_round_trips_and_edits_in_place(tmp_path):
    text = DEFAULT_STUDY.read_text(encoding="utf-8")
    path = write(tmp_path, text, DEFAULT_STUDY.name)
    study = load(path).study
    aid = next(iter(study.actors))
    sid = next(iter(study.scenarios))
    edit.add(path, "actor", "ZZ", ACTOR)
    result = edit.add(path, "impact", f"{sid}/ZZ", IMPACT)
    assert result.render == "text"
    edit.remove(path, "actor", "ZZ", cascade=True)
    assert path.read_text(encoding="utf-8") == text
    edit.rename(path, "actor", aid, "Renamed")
    edit.rename(path, "actor", "Renamed", aid)
    assert path.read_text(encoding="utf-8") == text


# -- refusals -----------------------------------------------------------------------------


@pytest.mark.parametrize("call,codes", [
    (lambda p: edit.set_fields(p, "impact", "S1/RU", {"effect": "5"}), ["greater_than_equal", "less_than_equal"]),
    (lambda p: edit.set_fields(p, "scenario", "S1", {"likelihood": "probable"}), ["vocabulary"]),
    (lambda p: edit.add(p, "impact", "S1/XX", IMPACT), ["reference"]),
    (lambda p: edit.add(p, "actor", "US", {"name": "United States"}), ["missing"]),
    (lambda p: edit.add(p, "evidence", "E3", {"claim": "c", "source": "s", "grade": "Z9"}), ["string_pattern_mismatch"]),
    (lambda p: edit.rename(p, "actor", "RU", "9lives"), ["id"]),
    (lambda p: edit.add(p, "actor", "RU", ACTOR), ["exists"]),
    (lambda p: edit.set_fields(p, "actor", "RX", {"name": "x"}), ["unknown"]),
    (lambda p: edit.rename(p, "actor", "RU", "IR"), ["exists"]),
])
def test_an_invalid_edit_is_refused_with_positions_and_the_file_untouched(awkward, call, codes):
    before = awkward.read_bytes()
    mtime = awkward.stat().st_mtime_ns
    with pytest.raises(StudyError) as caught:
        call(awkward)
    assert caught.value.problems
    assert {p.code for p in caught.value.problems} <= set(codes)
    for problem in caught.value.problems:
        assert str(problem).startswith(f"{awkward}:{problem.line}:{problem.col}: ")
    assert awkward.read_bytes() == before
    assert awkward.stat().st_mtime_ns == mtime


def test_refusal_reports_what_validate_would_report_on_the_result(awkward):
    with pytest.raises(StudyError) as caught:
        edit.set_fields(awkward, "impact", "S1/RU", {"effect": "9", "domains": ["warp"]})
    would_be = AWKWARD.replace("effect: +2 ", "effect: 9 ").replace("domains: [military, energy]", "domains: [warp]")
    _, problems = validate_document(parse(awkward, would_be))
    assert caught.value.problems == problems
    assert [(p.line, p.col) for p in problems] == [(73, 17), (74, 19)]


def test_an_edit_of_an_already_invalid_study_is_allowed_when_it_adds_no_problem(tmp_path):
    path = write(tmp_path, AWKWARD.replace("grade: C3", "grade: Q3"))
    edit.set_fields(path, "actor", "IL", {"name": "Israel (state)"})
    assert "name: Israel (state)" in path.read_text()
    with pytest.raises(StudyError):
        edit.set_fields(path, "impact", "S1/RU", {"effect": "4"})


def test_removing_a_referenced_entry_is_refused_with_each_reference(awkward):
    with pytest.raises(StudyError) as caught:
        edit.remove(awkward, "evidence", "E2")
    found = [(p.line, p.code, p.message) for p in caught.value.problems]
    assert found == [
        (57, "referenced", "drivers.D1.evidence[1] refers to evidence 'E2'"),
        (59, "referenced", "constraints.C1.evidence[0] refers to evidence 'E2'"),
        (77, "referenced", "scenarios.S1.impacts.RU.evidence[1] refers to evidence 'E2'"),
        (85, "referenced", "scenarios.S1.impacts.IR.evidence[0] refers to evidence 'E2'"),
    ]
    assert awkward.read_text() == AWKWARD
    assert [p.line for p in edit.references(awkward, "evidence", "E2")] == [57, 59, 77, 85]


def test_cascade_removes_the_references_too(awkward):
    edit.remove(awkward, "actor", "IR", cascade=True)
    study = load(awkward).study
    assert "IR" not in study.actors
    assert "IR" not in study.scenarios["S1"].impacts
    assert study.evidence["E1"].contested_by == {}
    result = edit.remove(awkward, "evidence", "E2", cascade=True)
    text = awkward.read_text()
    assert "      - E1   # main\nconstraints:" in text
    assert "evidence: [E1]\n" in text and "evidence: []}" in text
    assert result.render == "text"
    load(awkward)


def test_dry_run_returns_the_diff_and_writes_nothing(awkward):
    diff = edit.add(awkward, "actor", "US", ACTOR, dry_run=True).diff
    assert awkward.read_text() == AWKWARD
    assert diff.startswith(f"--- {awkward}\n+++ {awkward}\n@@ ")
    assert "+  US:\n" in diff and "+    name: Israel\n" in diff


# -- the commands -------------------------------------------------------------------------


def run(*args: str, env: dict | None = None):
    return CliRunner().invoke(cli, list(args), env=env, catch_exceptions=False)


def test_cli_fills_a_study_from_nothing(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert run("new", "scenarios/gulf.yaml", "--title", "Gulf", "--as-of", "2024-01-31").exit_code == 0
    # the only study under scenarios/ is the default
    steps = [
        ["add", "actor", "SA", "--name", "Saudi Arabia", "--kind", "state"],
        ["add", "actor", "IR", "--name", "Iran", "--kind", "state", "--alias", "Islamic Republic of Iran"],
        ["add", "evidence", "E1", "--claim", "Talks resumed.", "--source", "Reuters", "--grade", "B2",
         "--contested-by", "IR=calls it a ploy"],
        ["add", "driver", "D1", "--title", "Oil", "--description", "Prices.", "--evidence", "E1"],
        ["add", "constraint", "C1", "--title", "Yemen", "--description", "War.", "--evidence", "E1"],
        ["add", "scenario", "S1", "--title", "Detente", "--narrative", "Talks hold.", "--likelihood", "likely",
         "--confidence", "moderate", "--driver", "D1", "--constraint", "C1"],
        ["add", "impact", "S1/SA", "--effect", "-2", "--domain", "military", "--domain", "security",
         "--confidence", "low", "--rationale", "Exposure.", "--evidence", "E1"],
        ["add", "impact", "--scenario", "S1", "--actor", "IR", "--effect", "+1", "--domain", "diplomatic,economic",
         "--confidence", "low", "--rationale", "Relief."],
        ["add", "indicator", "I1", "--scenario", "S1", "--text", "Embassies reopen", "--status", "observed"],
        ["add", "key-judgment", "KJ1", "--text", "Detente holds, for now."],
        ["add", "source", "R1", "--title", "Reuters", "--date", "2024-01-30"],
        ["set", "evidence", "E1", "--cited-in", "R1"],
        ["set", "impact", "S1/SA", "--effect", "-1", "--confidence", "moderate"],
        ["set", "indicator", "I1", "--status", "emerging"],
        ["rename", "actor", "SA", "KSA"],
    ]
    for step in steps:
        result = run(*step)
        assert result.exit_code == 0, (step, result.stderr)
    study = load("scenarios/gulf.yaml").study
    assert study.scenarios["S1"].impacts["KSA"].effect == -1
    assert study.scenarios["S1"].impacts["IR"].domains == ["diplomatic", "economic"]
    assert study.evidence["E1"].contested_by == {"IR": "calls it a ploy"}
    assert study.evidence["E1"].cited_in == "R1"
    shown = run("show")
    assert shown.stdout.splitlines() == ["scenario  likelihood  KSA  IR", "S1        likely       -1  +1"]
    matrix = json.loads(run("show", "--json").stdout)
    assert matrix["scenarios"][0]["impacts"] == {"KSA": -1, "IR": 1}
    assert run("list", "actor").stdout == "KSA  Saudi Arabia\nIR   Iran\n"
    rows = json.loads(run("list", "impacts", "--json").stdout)
    assert [(r["id"], r["effect"]) for r in rows] == [("S1/KSA", -1), ("S1/IR", 1)]
    assert run("rm", "indicator", "I1").exit_code == 0
    assert run("validate").exit_code == 0


def test_cli_bad_input_exits_1_with_positioned_lines_and_usage_errors_exit_2(awkward):
    before = awkward.read_text()
    bad = run("set", "impact", "S1/RU", "--effect", "7", "-s", str(awkward))
    assert bad.exit_code == 2  # the value came from an option: the option is named, not a line never written
    assert bad.stderr.endswith("Error: Invalid value for --effect: 7 is out of range -3..3"
                               " — -3 severe harm, 0 no net effect, 3 major gain\n")
    assert bad.stdout == ""
    refused = run("rm", "actor", "IR", "-s", str(awkward))
    assert refused.exit_code == 1 and len(refused.stderr.splitlines()) == 2
    for args in (["add", "actor", "US", "--effect", "1"], ["add", "planet", "X"], ["add", "actor", "US", "--nme", "x"],
                 ["set", "actor", "RU"], ["add", "impact", "S1", "--effect", "1"], ["rename", "impact", "S1/RU", "x"],
                 ["set", "actor", "RU", "--unset", "name"]):
        result = run(*args, "-s", str(awkward))
        assert result.exit_code == 2, (args, result.output)
    assert awkward.read_text() == before


def test_cli_dry_run_prints_the_diff(awkward):
    result = run("add", "actor", "US", "--name", "United States", "--kind", "state", "--dry-run", "-s", str(awkward))
    assert result.exit_code == 0
    assert "+\n+  US:\n+    name: United States\n" in result.stdout
    assert awkward.read_text() == AWKWARD


def test_cli_study_from_environment(awkward, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = run("set", "actor", "IL", "--name", "Israel!", env={"SCENMATRIX_STUDY": str(awkward)})
    assert result.exit_code == 0, result.stderr
    assert "name: Israel!" in awkward.read_text()


def test_every_edit_command_has_help_with_an_example():
    for name in ("new", "add", "set", "rm", "rename", "list", "show", "diff"):
        result = run(name, "--help")
        assert result.exit_code == 0
        assert "Example" in result.stdout, name


def test_completion_offers_ids_from_the_study(awkward):
    from scenmatrix.cli.edit_commands import _complete_ids

    command = cli.commands["rm"]
    ctx = command.make_context("rm", ["actor", "--study", str(awkward)], resilient_parsing=True)
    param = next(p for p in command.params if p.name == "id")
    assert _complete_ids(ctx, param, "I") == ["IR", "IL"]
    scenario = next(p for p in command.params if p.name == "scenario")
    assert _complete_ids(ctx, scenario, "") == ["S1", "S2"]


# -- real processes -----------------------------------------------------------------------


def test_a_real_process_edits_without_pandas_or_openpyxl(awkward):
    code = (
        "import sys\n"
        "from scenmatrix.cli import cli\n"
        "for args in (['add', 'actor', 'US', '--name', 'US', '--kind', 'state'], ['list', 'actor'], ['show']):\n"
        "    try:\n"
        f"        cli(args + ['-s', {str(awkward)!r}], prog_name='scenmatrix')\n"
        "    except SystemExit as exc:\n"
        "        assert not exc.code, exc.code\n"
        "print(sorted(m for m in ('pandas', 'openpyxl', 'numpy') if m in sys.modules))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.splitlines()[-1] == "[]"
    assert "US:" in awkward.read_text()


def test_the_installed_command_adds_and_refuses(awkward):
    ok = subprocess.run([SCENMATRIX, "add", "impact", "S2/IR", "--effect", "-1", "--domain", "political",
                         "--confidence", "low", "--rationale", "r", "-s", str(awkward)], capture_output=True, text=True)
    assert ok.returncode == 0, ok.stderr
    assert ok.stderr == f"added impact S2/IR to {awkward}\n"
    bad = subprocess.run([SCENMATRIX, "add", "impact", "S2/IL", "--effect", "-9", "--domain", "political",
                          "--confidence", "low", "--rationale", "r", "-s", str(awkward)], capture_output=True, text=True)
    assert bad.returncode == 2
    assert "Invalid value for --effect: -9 is out of range" in bad.stderr and f"{awkward}:" not in bad.stderr
    env = {**os.environ, "PYTHONWARNINGS": "error"}
    usage = subprocess.run([SCENMATRIX, "add", "actor"], capture_output=True, text=True, env=env, cwd=awkward.parent)
    assert usage.returncode == 2


def test_the_pre_commit_hook_runs_validate_on_studies():
    from ruamel.yaml import YAML

    hooks = YAML(typ="safe").load((REPO / ".pre-commit-hooks.yaml").read_text())
    hook = next(h for h in hooks if h["id"] == "scenmatrix-validate")
    assert hook["entry"] == "scenmatrix validate" and hook["language"] == "python"
    assert cli.commands["validate"]


def test_the_top_level_help_lists_the_edit_commands():
    listed = run("--help").stdout
    for name in ("new", "add", "set", "rm", "rename", "list", "show", "diff"):
        assert f"\n  {name} " in listed, name


@pytest.mark.parametrize("call", [
    lambda path: edit.set_fields(path, "actor", "RU", {}),
    lambda path: edit.set_fields(path, "actor", "RU", {"colour": "red"}),
    lambda path: edit.rename(path, "impact", "S1/RU", "S1/IR"),
    lambda path: edit.rename(path, "actor", "RU", ""),
    lambda path: edit.add(path, "actress", "XX", {}),
    lambda path: edit.add(path, "indicator", "I9", {"text": "x"}),
    lambda path: edit.add(path, "actor", "", {"name": "x"}),
], ids=["no-field", "unknown-field", "rename-impact", "empty-new-id", "unknown-kind", "indicator-without-scenario",
        "empty-id"])
def test_usage_mistakes_raise_usage_errors_from_the_library_itself(tmp_path, call):
    """The API refuses like the CLI without click: the CLI maps UsageError to exit 2 and has no translation."""
    path = tmp_path / "s.yaml"
    path.write_text(VALID_STUDY)
    with pytest.raises(UsageError):
        call(path)
    assert path.read_text() == VALID_STUDY
