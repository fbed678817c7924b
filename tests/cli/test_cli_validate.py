"""`scenmatrix validate`, `schema` and `export` from the outside: exit codes, stdout vs stderr, files.

Through click's CliRunner (stdout and stderr apart) and through a real `python -m scenmatrix`.
"""

from __future__ import annotations

import csv
import io
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from conftest import VALID_STUDY, mutate
from scenmatrix.cli.app import cli
from scenmatrix.errors import StudyError
from scenmatrix.study.tables import TABLES
from scenmatrix.store.loader import load

REPO = Path(__file__).resolve().parents[2]
SUMMARY = "valid (2 scenarios, 3 actors, 3 impacts)"
EFFECT_5 = ("scenarios.S1.impacts.RU.effect: 5 is out of range -3..3 — "
            "-3 severe harm, 0 no net effect, 3 major gain")


def run(*args: object) -> Result:
    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=True)


def assert_no_traceback(result: Result) -> None:
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.stdout + result.stderr


# --- validate ----------------------------------------------------------------------------------------------


def test_valid_study_exits_0_with_the_summary_on_stdout(write_study) -> None:
    path = write_study()
    result = run("validate", path)
    assert (result.exit_code, result.stdout, result.stderr) == (0, f"{path}: {SUMMARY}\n", "")


def test_invalid_study_exits_1_with_positioned_lines_on_stderr(write_study) -> None:
    path = write_study(mutate(mutate(VALID_STUDY, "effect: 2", "effect: 5"), "TLP:CLEAR", "TLP:WHITE"))
    result = run("validate", path)
    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr.splitlines() == [
        f"{path}:6:12: study.marking: 'TLP:WHITE' is not a valid marking — did you mean 'TLP:CLEAR'?",
        f"{path}:58:17: {EFFECT_5}",
    ]
    assert_no_traceback(result)


def test_valid_and_invalid_studies_in_one_run(write_study) -> None:
    good = write_study(name="good.yaml")
    bad = write_study(mutate(VALID_STUDY, "effect: 2", "effect: 5"), name="bad.yaml")
    result = run("validate", good, bad)
    assert (result.exit_code, result.stdout, result.stderr) == (1, f"{good}: {SUMMARY}\n", f"{bad}:58:17: {EFFECT_5}\n")


# Representative bad inputs of every kind, as bytes.
BAD_INPUTS = [
    pytest.param(mutate(VALID_STUDY, "    evidence: [E1]\nconstraints:", "    evidence: [E1\nconstraints:").encode(),
                 id="yaml-syntax"),
    pytest.param(mutate(VALID_STUDY, "  US:\n    name: United States", "  RU:\n    name: United States").encode(),
                 id="duplicate-id"),
    pytest.param(mutate(VALID_STUDY, "as_of: 2022-08-20", "as_of: 2022-13-45").encode(), id="impossible-date"),
    pytest.param(mutate(VALID_STUDY, "effect: 2", "effect: 2.5").encode(), id="schema"),
    pytest.param(mutate(VALID_STUDY, "      IR:\n        effect: -1", "      Tehran:\n        effect: -1").encode(),
                 id="reference"),
    pytest.param(mutate(VALID_STUDY, "rationale: Gains drones.", 'rationale: "Gains \\0"').encode(), id="nul-escape"),
    pytest.param(mutate(VALID_STUDY, "  D1:\n", "  1:\n").encode(), id="number-as-id"),
    pytest.param(b"", id="empty"),
    pytest.param(b"# nothing yet\n", id="comments-only"),
    pytest.param(b"\x89PNG\r\n\x1a\n\x00\x00", id="binary"),
    pytest.param(b"study:\n  title: caf\xe9\n", id="not-utf-8"),
    pytest.param(b"- a\n- b\n", id="top-level-list"),
    pytest.param(b"[" * 1_000, id="nesting-bomb"),
    pytest.param(b"a: &x 1\nb: *x\n", id="alias"),
    pytest.param(b"<<<<<<< HEAD\nstudy: {}\n", id="merge-conflict"),
]


@pytest.mark.parametrize("data", BAD_INPUTS)
def test_every_bad_input_exits_1_with_one_line_a_problem_and_writes_nothing(write_study, tmp_path, data) -> None:
    path = write_study(data=data)
    with pytest.raises(StudyError) as info:
        load(path)
    result = run("validate", path)
    assert (result.exit_code, result.stdout) == (1, "")
    lines = result.stderr.splitlines()
    assert lines == [str(p) for p in info.value.problems]
    assert lines and all(re.match(rf"{re.escape(str(path))}:\d+:\d+: \S", line) for line in lines), lines
    assert_no_traceback(result)

    out = tmp_path / "exports"
    for args in (["export", path, "-o", out], ["export", path, "--format", "csv", "--table", "impacts"]):
        result = run(*args)
        assert (result.exit_code, result.stdout, result.stderr.splitlines()) == (1, "", lines)
        assert_no_traceback(result)
    assert not out.exists()
    assert path.read_bytes() == data


def test_missing_file_and_empty_folder(tmp_path: Path) -> None:
    result = run("validate", tmp_path / "nope.yaml")
    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr == (f"{tmp_path / 'nope.yaml'}:1:1: no such file — "
                             "check the path, or run `scenmatrix new` to start a study\n")
    result = run("validate", tmp_path)  # a folder checks the studies in it: none here
    assert result.exit_code == 2 and "no study files found" in result.stderr
    assert_no_traceback(result)


def test_unknown_option_is_a_usage_error(write_study) -> None:
    result = run("validate", "--frobnicate", write_study())
    assert (result.exit_code, result.stdout) == (2, "")
    assert re.search(r"No such option:? '?--frobnicate", result.stderr), result.stderr  # wording varies by click
    assert_no_traceback(result)


def test_validate_without_arguments_checks_scenarios_under_the_cwd(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("SCENMATRIX_STUDY", raising=False)
    folder = tmp_path / "scenarios"
    folder.mkdir()
    (folder / "a.yaml").write_text(VALID_STUDY, encoding="utf-8")
    (folder / "notes.txt").write_text("not a study", encoding="utf-8")
    result = run("validate")
    assert (result.exit_code, result.stdout, result.stderr) == (0, f"scenarios/a.yaml: {SUMMARY}\n", "")

    (folder / "b.yaml").write_text(mutate(VALID_STUDY, "effect: 2", "effect: 5"), encoding="utf-8")
    result = run("validate")
    assert (result.exit_code, result.stdout, result.stderr) == (
        1, f"scenarios/a.yaml: {SUMMARY}\n", f"scenarios/b.yaml:58:17: {EFFECT_5}\n")


def test_validate_without_arguments_and_no_studies_is_a_usage_error(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "scenarios").mkdir()
    result = run("validate")
    assert result.exit_code == 2 and "no study files found" in result.stderr


def test_validation_leaves_the_file_byte_identical(write_study, tmp_path: Path) -> None:
    # quotes, comments, odd spacing and CRLF: anything a re-dump could change
    text = VALID_STUDY.replace("title: Deepening alliance", "title: 'Deepening alliance'   # the main case")
    for content in (text, text.replace("\n", "\r\n"), mutate(text, "effect: 2", "effect: 5")):
        path = write_study(content)
        before, stat = path.read_bytes(), path.stat()
        run("validate", path)
        assert path.read_bytes() == before
        assert path.stat().st_mtime_ns == stat.st_mtime_ns
        assert [p.name for p in tmp_path.iterdir()] == ["study.yaml"]  # no lock, temporary or backup files


# --- schema ------------------------------------------------------------------------------------------------


def test_schema_is_json_and_describes_the_study() -> None:
    result = run("schema")
    assert (result.exit_code, result.stderr) == (0, "")
    schema = json.loads(result.stdout)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["required"] == ["study"]
    assert schema["additionalProperties"] is False


def _as_json(text: str) -> object:
    from scenmatrix.store.document import round_trip_yaml

    return json.loads(json.dumps(round_trip_yaml().load(text), default=lambda value: value.isoformat()))


def test_schema_accepts_the_valid_study_and_rejects_bad_ones() -> None:
    jsonschema = pytest.importorskip("jsonschema")
    validator = jsonschema.Draft202012Validator(json.loads(run("schema").stdout))
    assert list(validator.iter_errors(_as_json(VALID_STUDY))) == []
    rejected = []
    for old, new in [
        ("effect: 2", "effect: 5"),
        ("likelihood: likely", "likelihood: probable"),
        ("    horizon: 6-18 months", "    horizn: 6-18 months"),
        ("grade: B2", "grade: B7"),
        ("TLP:CLEAR", "TLP:WHITE"),
    ]:
        rejected += [(".".join(map(str, e.absolute_path)), e.validator)
                     for e in validator.iter_errors(_as_json(mutate(VALID_STUDY, old, new)))]
    assert rejected == [
        ("scenarios.S1.impacts.RU.effect", "maximum"),
        ("scenarios.S1.likelihood", "enum"),
        ("scenarios.S1", "additionalProperties"),
        ("evidence.E1.grade", "pattern"),
        ("study.marking", "enum"),
    ]


def test_schema_file_in_the_repo_matches_the_model() -> None:
    """Drift: regenerate with `scenmatrix schema > scenarios/study.schema.json` after changing model.py."""
    assert (REPO / "scenarios" / "study.schema.json").read_text(encoding="utf-8") == run("schema").stdout


def test_the_packaged_schema_is_generated_from_the_current_model() -> None:
    """Drift: `scenmatrix schema` prints the schema shipped in the package, not the model's. After changing
    model.py, regenerate it (and then scenarios/study.schema.json) with
    python -c 'import json; from scenmatrix.study.model import json_schema; print(json.dumps(json_schema(),
    indent=2, ensure_ascii=False))' > src/scenmatrix/data/study.schema.json"""
    import json

    from scenmatrix.study.model import json_schema

    shipped = (REPO / "src" / "scenmatrix" / "data" / "study.schema.json").read_text(encoding="utf-8")
    assert shipped == json.dumps(json_schema(), indent=2, ensure_ascii=False) + "\n"


# --- export ------------------------------------------------------------------------------------------------


def test_export_json_has_every_table_with_the_studys_values(write_study) -> None:
    result = run("export", write_study(), "--format", "json")
    assert (result.exit_code, result.stderr) == (0, "")
    data = json.loads(result.stdout)
    assert list(data) == list(TABLES)
    assert [(a["id"], a["name"], a["aliases"]) for a in data["actors"]] == [
        ("RU", "Russia", ["Russian Federation", "Moscow"]), ("IR", "Iran", ["Tehran"]), ("US", "United States", [])]
    assert [(s["id"], s["likelihood"], s["probability_low"], s["probability_high"], s["drivers"])
            for s in data["scenarios"]] == [("S1", "likely", 0.55, 0.80, ["D1"]), ("S2", "unlikely", 0.20, 0.45, [])]
    assert [(i["scenario"], i["actor"], i["effect"], i["domains"], i["evidence"]) for i in data["impacts"]] == [
        ("S1", "RU", 2, ["military"], ["E1"]), ("S1", "US", -2, ["security", "diplomatic"], []),
        ("S2", "IR", -1, ["economic"], [])]
    assert [(i["id"], i["scenario"], i["status"]) for i in data["indicators"]] == [
        ("I1", "S1", "emerging"), ("I2", "S2", "not observed")]
    assert [(e["id"], e["grade"], e["cited_in"], e["contested_by"]) for e in data["evidence"]] == [
        ("E1", "B2", "khater", ["RU"])]
    assert [(d["id"], d["type"], d["evidence"]) for d in data["drivers"]] == [
        ("D1", "driver", ["E1"]), ("C1", "constraint", [])]
    assert data["sources"][0]["date"] == "2022-08-20"


def test_export_one_table_as_json(write_study) -> None:
    result = run("export", write_study(), "--table", "key_judgments")
    assert json.loads(result.stdout) == [{"id": "KJ1", "text": "Cooperation deepens."}]


def test_export_csv_impacts_to_stdout(write_study) -> None:
    result = run("export", write_study(), "--format", "csv", "--table", "impacts")
    assert (result.exit_code, result.stderr) == (0, "")
    assert list(csv.reader(io.StringIO(result.stdout))) == [
        ["scenario", "actor", "effect", "domains", "confidence", "rationale", "evidence"],
        ["S1", "RU", "2", "military", "moderate", "Gains drones.", "E1"],
        ["S1", "US", "-2", "security; diplomatic", "low", "Faces a stronger axis.", ""],
        ["S2", "IR", "-1", "economic", "low", "Loses a partner.", ""],
    ]


def test_export_csv_to_stdout_without_table_is_a_usage_error(write_study) -> None:
    result = run("export", write_study(), "--format", "csv")
    assert (result.exit_code, result.stdout) == (2, "")
    assert "--table" in result.stderr


@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_export_to_a_folder_writes_one_file_a_table(write_study, tmp_path: Path, fmt: str) -> None:
    out = tmp_path / "exports"
    result = run("export", write_study(), "--format", fmt, "-o", out)
    assert (result.exit_code, result.stdout) == (0, "")
    assert sorted(p.name for p in out.iterdir()) == sorted(f"{t}.{fmt}" for t in TABLES)
    assert result.stderr.splitlines() == [f"wrote {out / f'{t}.{fmt}'}" for t in TABLES]
    scenarios = out / f"scenarios.{fmt}"
    if fmt == "csv":
        rows = list(csv.DictReader(scenarios.open(encoding="utf-8", newline="")))
        assert [(r["id"], r["likelihood"], r["probability_low"], r["horizon"], r["constraints"]) for r in rows] == [
            ("S1", "likely", "0.55", "6-18 months", "C1"), ("S2", "unlikely", "0.2", "", "")]
    else:
        rows = json.loads(scenarios.read_text(encoding="utf-8"))
        assert [(r["id"], r["probability_high"], r["horizon"]) for r in rows] == [("S1", 0.8, "6-18 months"),
                                                                               ("S2", 0.45, None)]
    assert (out / f"impacts.{fmt}").read_text(encoding="utf-8") == run(
        "export", write_study(name="again.yaml"), "--format", fmt, "--table", "impacts").stdout


# --- a real process ------------------------------------------------------------------------------------------


def scenmatrix(*args: object, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "scenmatrix", *map(str, args)], cwd=cwd, capture_output=True,
                          text=True, encoding="utf-8", timeout=120)


def test_subprocess_exit_codes_and_streams(write_study, tmp_path: Path) -> None:
    write_study(name="good.yaml")
    write_study(mutate(VALID_STUDY, "effect: 2", "effect: 5"), name="bad.yaml")
    write_study(data=b"\x00\x01\x02", name="binary.yaml")
    write_study(data=b"[" * 10_000, name="bomb.yaml")
    runs = []

    runs.append(done := scenmatrix("validate", "good.yaml", cwd=tmp_path))
    assert (done.returncode, done.stdout, done.stderr) == (0, f"good.yaml: {SUMMARY}\n", "")

    runs.append(done := scenmatrix("validate", "bad.yaml", "binary.yaml", "bomb.yaml", "missing.yaml", cwd=tmp_path))
    assert (done.returncode, done.stdout) == (1, "")
    assert done.stderr.splitlines() == [
        f"bad.yaml:58:17: {EFFECT_5}",
        "binary.yaml:1:1: binary file, not YAML text (NUL byte) — a study is a UTF-8 .yaml text file",
        "bomb.yaml:1:101: YAML nested more than 100 levels deep",
        "missing.yaml:1:1: no such file — check the path, or run `scenmatrix new` to start a study",
    ]

    runs.append(done := scenmatrix("validate", "--frobnicate", cwd=tmp_path))
    assert (done.returncode, done.stdout) == (2, "")
    assert re.search(r"No such option:? '?--frobnicate", done.stderr), done.stderr

    runs.append(done := scenmatrix("export", "bad.yaml", "-o", "out", cwd=tmp_path))
    assert (done.returncode, done.stdout, done.stderr) == (1, "", f"bad.yaml:58:17: {EFFECT_5}\n")

    runs.append(done := scenmatrix("schema", cwd=tmp_path))
    assert done.returncode == 0 and json.loads(done.stdout)["title"] == "scenmatrix study"

    assert not any("Traceback" in done.stdout + done.stderr for done in runs)
    assert {p.name for p in tmp_path.iterdir()} == {"good.yaml", "bad.yaml", "binary.yaml", "bomb.yaml"}
