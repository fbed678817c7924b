"""What an analyst types and what the tool answers (issue 14): the option that carried a bad value is named,
vocabulary words are taken in any case and stored as the study spells them, kinds by any usual name."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from conftest import SMALL
from hardening import SCENMATRIX


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([SCENMATRIX, *args], cwd=cwd, capture_output=True, text=True, timeout=60)


@pytest.fixture()
def study(tmp_path: Path) -> Path:
    path = tmp_path / "s.yaml"
    path.write_text(SMALL, encoding="utf-8")
    return path


@pytest.mark.parametrize("args, expected", [
    (["set", "impact", "S1/A", "--effect", "5"],
     "Invalid value for --effect: 5 is out of range -3..3 — -3 severe harm, 0 no net effect, 3 major gain"),
    (["add", "impact", "S2/B", "--effect", "1", "--domain", "militarry", "--confidence", "high", "--rationale", "x"],
     "Invalid value for --domain: 'militarry' is not a valid domain — did you mean 'military'?"),
    (["set", "impact", "S1/A", "--evidence", "E9"], "Invalid value for --evidence: unknown evidence 'E9'"),
    (["set", "scenario", "S1", "--likelihood", "probable"],
     "Invalid value for --likelihood: 'probable' is not a valid likelihood term — did you mean 'likely'?"),
], ids=["effect", "domain", "evidence", "likelihood"])
def test_a_refused_value_names_its_option_not_a_line_never_written(study: Path, args, expected: str) -> None:
    result = run(*args, "-s", str(study), cwd=study.parent)
    assert result.returncode == 2, result.stderr
    assert expected in result.stderr and f"{study}:" not in result.stderr, result.stderr
    assert study.read_text(encoding="utf-8") == SMALL


def test_vocabulary_words_in_any_case_are_stored_as_the_study_spells_them(study: Path) -> None:
    result = run("set", "scenario", "S2", "--likelihood", "Likely", "--confidence", "HIGH", "-s", str(study),
                 cwd=study.parent)
    assert result.returncode == 0, result.stderr
    assert run("set", "evidence", "E2", "--grade", "b2", "-s", str(study), cwd=study.parent).returncode == 0
    assert run("set", "impact", "S1/A", "--domain", "Military", "--domain", "ENERGY", "-s", str(study),
               cwd=study.parent).returncode == 0
    text = study.read_text(encoding="utf-8")
    assert "likelihood: likely\n    confidence: high\n    constraints: [c1]" in text
    assert "grade: B2, quote: short" in text and "domains: [military, energy]" in text


@pytest.mark.parametrize("kind", ["key-judgement", "kj", "key_judgments", "Key-Judgment"])
def test_a_key_judgment_by_any_usual_name(study: Path, kind: str) -> None:
    result = run("add", kind, "KJ2", "--text", "Beta loses most.", "-s", str(study), cwd=study.parent)
    assert result.returncode == 0, result.stderr
    assert "KJ2: Beta loses most." in study.read_text(encoding="utf-8")


def test_an_option_a_kind_lacks_is_named_in_good_english(study: Path) -> None:
    result = run("set", "impact", "S1/A", "--title", "x", "-s", str(study), cwd=study.parent)
    assert result.returncode == 2
    assert "--title does not apply to an impact (its fields: effect, domains, confidence, rationale, evidence)" \
        in result.stderr


def test_a_word_of_the_other_scale_names_the_scale(study: Path) -> None:
    study.write_text(SMALL.replace("likelihood: likely", "likelihood: realistic possibility"), encoding="utf-8")
    result = run("validate", str(study), cwd=study.parent)
    assert result.returncode == 1
    assert "'realistic possibility' is not an ICD 203 term (study.likelihood_scale is icd203" in result.stderr


def test_new_makes_a_phia_study_that_takes_phia_words_and_refuses_icd_ones(tmp_path: Path) -> None:
    path = tmp_path / "sahel.yaml"
    assert run("new", str(path), "--title", "Wagner exits Mali", "--likelihood-scale", "phia", cwd=tmp_path
               ).returncode == 0
    assert "  marking: TLP:CLEAR\n  likelihood_scale: phia\n" in path.read_text(encoding="utf-8")
    assert run("add", "scenario", "S1", "--title", "T", "--narrative", "N", "--likelihood", "Realistic Possibility",
               "--confidence", "low", "-s", str(path), cwd=tmp_path).returncode == 0
    assert "likelihood: realistic possibility" in path.read_text(encoding="utf-8")
    refused = run("add", "scenario", "S2", "--title", "T", "--narrative", "N", "--likelihood", "roughly even chance",
                  "--confidence", "low", "-s", str(path), cwd=tmp_path)
    assert refused.returncode == 2
    assert "'roughly even chance' is not a PHIA yardstick term" in refused.stderr
    assert "did you mean 'realistic possibility'?" in refused.stderr


def test_new_refuses_an_unknown_scale(tmp_path: Path) -> None:
    result = run("new", str(tmp_path / "x.yaml"), "--title", "T", "--likelihood-scale", "nato", cwd=tmp_path)
    assert result.returncode == 2 and "'nato' is not one of 'icd203', 'phia'" in result.stderr
    assert not (tmp_path / "x.yaml").exists()
