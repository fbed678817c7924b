"""The study's own fields and vocabularies (issue 14): `set study`, domains a study declares, the
"nothing to change" hint naming the kind's own options, and -s/--study on every command with a STUDY."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import openpyxl
import pytest

from conftest import SMALL, line_of
from hardening import SCENMATRIX


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([SCENMATRIX, *args], cwd=cwd, capture_output=True, text=True, timeout=120)


@pytest.fixture()
def study(tmp_path: Path) -> Path:
    path = tmp_path / "s.yaml"
    path.write_text(SMALL.replace("  key_judgments:", "  # kept: a comment in the study block\n  key_judgments:"),
                    encoding="utf-8")
    return path


def test_an_undeclared_domain_is_refused_with_the_hint_to_declare_it(study: Path) -> None:
    before = study.read_bytes()
    result = run("set", "impact", "S1/A", "--domain", "humanitarian", "-s", str(study), cwd=study.parent)
    assert result.returncode == 2, result.stderr
    assert "Invalid value for --domain: 'humanitarian' is not a valid domain" in result.stderr
    assert "declare it under study.domains" in result.stderr
    assert study.read_bytes() == before


def test_a_declared_domain_is_accepted_in_any_case_and_shown_in_the_brief(study: Path) -> None:
    assert run("set", "study", "--domain", "Humanitarian", "-s", str(study), cwd=study.parent).returncode == 0
    result = run("set", "impact", "S1/A", "--domain", "HUMANITARIAN", "--domain", "military", "-s", str(study),
                 cwd=study.parent)
    assert result.returncode == 0, result.stderr
    text = study.read_text(encoding="utf-8")
    assert "domains: [humanitarian]" in text and "domains: [humanitarian, military]" in text
    assert "  # kept: a comment in the study block\n" in text
    out = study.parent / "b.xlsx"
    assert run("brief", "-s", str(study), "-o", str(out), cwd=study.parent).returncode == 0
    cells = [str(c.value) for row in openpyxl.load_workbook(out).worksheets[0].iter_rows() for c in row if c.value]
    assert any("military" in c and "this study's own: humanitarian" in c for c in cells)


def test_validate_points_at_an_undeclared_or_miswritten_domain(study: Path) -> None:
    text = SMALL.replace("domains: [political]", "domains: [humanitarian, Political]")
    study.write_text(text, encoding="utf-8")
    result = run("validate", str(study), cwd=study.parent)
    line = line_of(text, "humanitarian")
    assert result.returncode == 1
    assert f"{study}:{line}:" in result.stdout + result.stderr
    out = result.stdout + result.stderr
    assert "'humanitarian' is not a valid domain — declare it under study.domains" in out
    assert "'Political' is not a valid domain — domains are written in lower case: 'political'" in out


def test_declaring_a_built_in_domain_is_a_warning_and_twice_an_error(study: Path) -> None:
    study.write_text(SMALL.replace("  key_judgments:", "  domains: [military]\n  key_judgments:"), encoding="utf-8")
    result = run("validate", str(study), cwd=study.parent)
    assert result.returncode == 0 and "warning: study.domains[0]: 'military' is built in already" in result.stdout + result.stderr
    study.write_text(SMALL.replace("  key_judgments:", "  domains: [aid, aid]\n  key_judgments:"), encoding="utf-8")
    result = run("validate", str(study), cwd=study.parent)
    assert result.returncode == 1 and "study.domains: 'aid' is listed twice" in result.stdout + result.stderr


def test_the_schema_offers_study_domains() -> None:
    schema = json.loads(run("schema", cwd=Path.cwd()).stdout)
    assert "domains" in schema["$defs"]["StudyInfo"]["properties"]


def test_set_study_changes_the_study_fields_and_keeps_the_rest(study: Path) -> None:
    result = run("set", "study", "--title", "Renamed", "--as-of", "2025-01-31", "--marking", "tlp:green",
                 "-s", str(study), cwd=study.parent)
    assert result.returncode == 0, result.stderr
    assert "changed study in" in result.stderr
    text = study.read_text(encoding="utf-8")
    assert "title: Renamed\n  as_of: 2025-01-31\n  marking: TLP:GREEN\n" in text
    assert text.replace("title: Renamed\n  as_of: 2025-01-31\n  marking: TLP:GREEN", "") == study_text_without_head()


def study_text_without_head() -> str:
    return SMALL.replace("  key_judgments:", "  # kept: a comment in the study block\n  key_judgments:").replace(
        "title: Small study\n  as_of: 2024-05-01\n  marking: TLP:AMBER", "")


def test_switching_the_likelihood_scale_is_checked_against_the_scenarios(study: Path) -> None:
    text = study.read_text(encoding="utf-8").replace("likelihood: likely", "likelihood: very likely")
    study.write_text(text, encoding="utf-8")
    result = run("set", "study", "--likelihood-scale", "PHIA", "-s", str(study), cwd=study.parent)
    assert result.returncode == 1, result.stderr
    assert "'very likely' is not a PHIA yardstick term" in result.stderr and "did you mean 'highly likely'" in result.stderr
    assert study.read_text(encoding="utf-8") == text
    result = run("set", "study", "--likelihood-scale", "nato", "-s", str(study), cwd=study.parent)
    assert result.returncode == 2 and "--likelihood-scale" in result.stderr


@pytest.mark.parametrize("args, expected", [
    (["add", "study", "--title", "x"], "change them with `scenmatrix set study`"),
    (["rm", "study"], "change them with `scenmatrix set study`"),
    (["rename", "study", "a", "b"], "the study has no id to rename"),
    (["set", "study", "S1", "--title", "x"], "the study has no id to give"),
    (["set", "study", "--effect", "1"], "--effect does not apply to a study"),
    (["set", "study"], "give at least one of --title, --as-of, --marking, --likelihood-scale, --scenario-set, "
                       "--domain (the fields of a study)"),
    (["set", "impact", "S1/A"], "give at least one of --effect, --domain, --confidence, --rationale, --evidence "
                                "(the fields of an impact)"),
    (["set", "actor", "A"], "give at least one of --name, --kind, --alias (the fields of an actor)"),
])
def test_usage_mistakes_with_the_study_and_nothing_to_change(study: Path, args: list[str], expected: str) -> None:
    before = study.read_bytes()
    result = run(*args, "-s", str(study), cwd=study.parent)
    assert result.returncode == 2, result.stderr
    assert expected in " ".join(result.stderr.split()), result.stderr
    assert study.read_bytes() == before


@pytest.mark.parametrize("command", [["brief", "-o", "out.xlsx"], ["analyze"], ["export"], ["show"]])
def test_every_command_with_a_study_takes_it_with_s_too(study: Path, command: list[str]) -> None:
    assert run(*command, "-s", str(study), cwd=study.parent).returncode == 0
    result = run(*command, str(study), "-s", str(study.parent / "other.yaml"), cwd=study.parent)
    assert result.returncode == 2 and "give the study once" in result.stderr


def cover_texts(study: Path) -> list[str]:
    out = study.parent / "cover.xlsx"
    assert run("brief", str(study), "-o", str(out), cwd=study.parent).returncode == 0
    return [str(c.value) for row in openpyxl.load_workbook(out).worksheets[0].iter_rows() for c in row if c.value]


def test_exclusive_scenarios_whose_bands_cannot_sum_to_100_percent_are_warned_of(study: Path) -> None:
    result = run("set", "study", "--scenario-set", "exclusive", "-s", str(study), cwd=study.parent)
    assert result.returncode == 0, result.stderr  # likely 55-80 % + unlikely 20-45 % can make 100 %
    assert any(t.startswith("Mutually exclusive: exactly one of them unfolds") and "75%–125%" in t
               for t in cover_texts(study))
    assert "warning" not in run("validate", str(study), cwd=study.parent).stdout
    # a study is built a scenario at a time: an edit that leaves the sum short is made, and warned of
    result = run("set", "scenario", "S2", "--likelihood", "almost no chance", "-s", str(study), cwd=study.parent)
    assert result.returncode == 0, result.stderr
    text = study.read_text(encoding="utf-8")
    result = run("validate", str(study), cwd=study.parent)
    out = result.stdout + result.stderr
    assert result.returncode == 0 and f"{study}:{line_of(text, 'scenario_set: exclusive')}:" in out
    assert "warning: study.scenario_set: the scenarios are declared mutually exclusive, but their likelihoods sum " \
           "to 56%–85%, never 100 %" in out and "S2 almost no chance 1%–5%" in out
    assert run("validate", "--strict", str(study), cwd=study.parent).returncode == 1


def test_overlapping_scenarios_are_said_to_overlap_in_the_brief(study: Path) -> None:
    assert any(t.startswith("Not declared mutually exclusive") and "adds up scenarios that may overlap" in t
               for t in cover_texts(study))
