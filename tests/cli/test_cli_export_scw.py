"""`scenmatrix export --format scw` (issue 17): the study's own cross-impact model as a ScenarioWizard
model file, which `cib scenarios` reads back to the same consistent scenarios as `analyze` of the study."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from conftest import SMALL
from hardening import DEFAULT_STUDY, ROOT, SCENMATRIX


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([SCENMATRIX, *args], cwd=cwd, capture_output=True, text=True, timeout=120)


def ok(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    result = run(*args, cwd=cwd)
    assert result.returncode == 0, result.stderr
    return result


def codes_of_analyze(study: Path) -> list[str]:
    cib = json.loads(ok("analyze", str(study), "--json", cwd=study.parent).stdout)["cib"]
    return sorted(s["code"] for s in cib["scenarios"] if s["inconsistency"] == 0)


def codes_of_scw(model: Path) -> list[str]:
    listed = json.loads(ok("cib", "scenarios", str(model), "--json", cwd=model.parent).stdout)
    assert listed["complete"] is True
    return sorted(s["code"] for s in listed["scenarios"])


def somewhereland_study(tmp_path: Path) -> Path:
    """A study whose cib: model is the Somewhereland matrix (6 descriptors, 486 scenarios, 10 consistent),
    its descriptors and variants given ids d1.., v1.. and their names as titles."""
    from scenmatrix.store.cib_files import read_matrix

    m = read_matrix(ROOT / "tests" / "data" / "cib" / "somewhereland.csv").matrix
    refs = [(f"d{i + 1}", f"v{j + 1}") for i, vs in enumerate(m.variants) for j in range(len(vs))]
    lines = ["cib:", "  note: Somewhereland, the CIB teaching example.", "  descriptors:"]
    for i, (name, vs) in enumerate(zip(m.descriptors, m.variants)):
        lines += [f"    d{i + 1}:", f"      title: {json.dumps(name)}", "      variants:"]
        lines += [f"        v{j + 1}: {json.dumps(v)}" for j, v in enumerate(vs)]
    lines.append("  judgments:")
    for row, (d, v) in enumerate(refs):
        cells = [f"      {td}.{tv}: {int(m.judgments[row, col])}" for col, (td, tv) in enumerate(refs)
                 if td != d and m.judgments[row, col] != 0]
        if cells:
            lines += [f"    {d}.{v}:", *cells]
    path = tmp_path / "somewhereland.yaml"
    path.write_text(SMALL + "\n" + "\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_the_shipped_study_exports_to_the_same_consistent_scenarios(tmp_path: Path) -> None:
    study = tmp_path / "s.yaml"
    study.write_bytes(DEFAULT_STUDY.read_bytes())
    model = tmp_path / "model.scw"
    done = ok("export", str(study), "--format", "scw", "-o", str(model), cwd=tmp_path)
    assert done.stderr == f"wrote {model}\n"
    data = model.read_bytes()
    assert data.startswith(b"$ ScenarioWizard 4.0\r\nmodel.scw\r\n&iran-support\r\n -none\r\n")
    assert b"\r\n# 0-0\r\n\"Analyst judgment: the descriptors" in data
    assert codes_of_scw(model) == codes_of_analyze(study) == ["1111", "2222", "3222"]
    # on stdout, the same bytes but for the title line (the study's name)
    out = subprocess.run([SCENMATRIX, "export", str(study), "--format", "scw"], cwd=tmp_path, capture_output=True,
                         timeout=120)
    assert out.returncode == 0 and out.stdout == data.replace(b"model.scw", b"s.scw", 1)


def test_a_larger_model_agrees_with_analyze_and_with_the_matrix_it_came_from(tmp_path: Path) -> None:
    study = somewhereland_study(tmp_path)
    ok("validate", str(study), cwd=tmp_path)
    model = tmp_path / "somewhereland.scw"
    ok("export", str(study), "--format", "scw", "-o", str(model), cwd=tmp_path)
    from_csv = codes_of_scw(ROOT / "tests" / "data" / "cib" / "somewhereland.csv")
    assert len(from_csv) == 10
    assert codes_of_scw(model) == codes_of_analyze(study) == from_csv


def test_an_edited_model_exports_its_edits(tmp_path: Path) -> None:
    study = tmp_path / "p.yaml"
    study.write_text(SMALL, encoding="utf-8")
    ok("add", "descriptor", "oil", "--title", "Oil", "--variant", "low=Low", "--variant", "high=High",
       "-s", str(study), cwd=tmp_path)
    ok("add", "descriptor", "supply", "--title", "Supply", "--variant", "tight=Tight", "--variant", "ample=Ample",
       "-s", str(study), cwd=tmp_path)
    ok("set", "judgment", "supply.tight", "oil.high", "3", "-s", str(study), cwd=tmp_path)
    ok("set", "judgment", "supply.ample", "oil.low", "2", "-s", str(study), cwd=tmp_path)
    ok("set", "cib", "--note", 'Desk "workshop" → 2026', "-s", str(study), cwd=tmp_path)
    model = tmp_path / "m.scw"
    ok("export", str(study), "--format", "scw", "-o", str(model), cwd=tmp_path)
    text = model.read_bytes().decode("cp1252")
    # rows act on columns; ScenarioWizard's numbers: a space where a minus would be
    assert "\r\n 0 , 0 , 0 , 0 \r\n 0 , 0 , 0 , 0 \r\n 0 , 3 , 0 , 0 \r\n 2 , 0 , 0 , 0 \r\n" in text
    assert '\r\n"Desk ""workshop"" ? 2026"\r\n' in text  # VB's quotes; no arrow in Windows-1252
    assert codes_of_scw(model) == codes_of_analyze(study)


@pytest.mark.parametrize("args, code, message", [
    (["--format", "scw", "--table", "actors"], 2, "--table does not apply to --format scw"),
    (["--format", "scw", "-o", "model.csv"], 2, "does not end in .scw"),
])
def test_export_scw_usage_mistakes(tmp_path: Path, args: list[str], code: int, message: str) -> None:
    study = tmp_path / "s.yaml"
    study.write_bytes(DEFAULT_STUDY.read_bytes())
    result = run("export", str(study), *args, cwd=tmp_path)
    assert result.returncode == code and message in result.stderr


def test_a_study_without_a_model_says_so(tmp_path: Path) -> None:
    study = tmp_path / "p.yaml"
    study.write_text(SMALL, encoding="utf-8")
    result = run("export", str(study), "--format", "scw", "-o", "m.scw", cwd=tmp_path)
    assert result.returncode == 2
    assert "the study has no cross-impact model (`cib:`) to export" in result.stderr
    assert not (tmp_path / "m.scw").exists()
