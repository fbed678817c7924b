"""validate's plain check (store/report.py: fast path + quickcheck, no pydantic) says "valid" only where
loading the study (pydantic, ruamel) finds no problem and no warning, with the same summary line.

Every malformed study of test_validate's corpus, real studies, studies that are valid but warn, and
studies with one value replaced by a scalar YAML types in many ways are reported both ways.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import RATED_STUDY, VALID_STUDY, mutate
from edit_fixtures import AWKWARD
from scenmatrix.store import report
from test_validate import MUTATIONS

REPO = Path(__file__).resolve().parents[3]
DEFAULT = (REPO / "scenarios" / "russia-iran-2022.yaml").read_text(encoding="utf-8")
# the default study without what makes it warn, or could: its cross-impact model, its local source copy
PLAIN_DEFAULT = re.sub(r"\n      path: .*", "", DEFAULT[:DEFAULT.index("\ncib:")] + "\n")

EXCLUSIVE = mutate(VALID_STUDY, "  marking: TLP:CLEAR\n", "  marking: TLP:CLEAR\n  scenario_set: exclusive\n")
# Valid studies, each with what makes `validate` warn, or not
WARNING = {
    "exclusive, cannot sum to 100 %": mutate(EXCLUSIVE, "    likelihood: unlikely\n", "    likelihood: very likely\n"),
    "a built-in domain declared": mutate(VALID_STUDY, "  marking: TLP:CLEAR\n",
                                         "  marking: TLP:CLEAR\n  domains: [humanitarian, energy]\n"),
    "a local copy of a source": mutate(VALID_STUDY, "      date: 2022-08-20\n",
                                       "      date: 2022-08-20\n      path: missing.txt\n"),
    "a cross-impact model": DEFAULT,
}
PLAIN = {"small": VALID_STUDY, "rated": RATED_STUDY, "default, plain": PLAIN_DEFAULT,
         "own domain": mutate(VALID_STUDY, "  marking: TLP:CLEAR\n", "  marking: TLP:CLEAR\n  domains: [humanitarian]\n"),
         "secret": VALID_STUDY.replace("TLP:CLEAR", "TLP:RED"), "exclusive, can sum to 100 %": EXCLUSIVE}


def loaded_report(path: Path, monkeypatch: pytest.MonkeyPatch) -> report.Report:
    """check_studies without the plain check: every study loaded."""
    with monkeypatch.context() as patch:
        patch.setattr(report, "plainly_valid", lambda path: None)
        return report.check_studies([path])


def both_ways(path: Path, text: str, monkeypatch: pytest.MonkeyPatch) -> bool:
    """Reports the study both ways; whether the plain check decided it."""
    path.write_text(text, encoding="utf-8")
    slow = loaded_report(path, monkeypatch)
    plain = report.plainly_valid(path)
    if plain is not None:
        assert slow == report.Report(summaries=[plain])
    assert report.check_studies([path]) == slow
    return plain is not None


def test_the_plain_check_passes_exactly_the_valid_studies_without_warnings(tmp_path: Path, monkeypatch) -> None:
    for name, text in {**PLAIN, **WARNING}.items():
        assert both_ways(tmp_path / "s.yaml", text, monkeypatch) == (name in PLAIN), name
    both_ways(tmp_path / "s.yaml", AWKWARD, monkeypatch)  # YAML the fast path may leave to ruamel


def test_the_plain_check_passes_no_malformed_study_of_the_corpus(tmp_path: Path, monkeypatch) -> None:
    for case in MUTATIONS:
        old, new = case.values[:2]
        assert not both_ways(tmp_path / "s.yaml", mutate(VALID_STUDY, old, new), monkeypatch), case.id


# Scalars YAML types as text, whole numbers (in any base), fractions, dates, booleans and nulls, quoted or not
SCALARS = ["-1", "+2", "0x3", "0o1", "1_0", "3.0", "1e2", ".inf", "true", "True", "no", "~", "null", "''", '"2"',
           "'-1'", "2022-08-20", "2022-8-20", "2022-08-20T10:00", "'2022-08-20'", "12:30", "0", "[]", "{}",
           "[E1]", "likely", "TLP:GREEN", "B2", "x" * 50, '"\\u0007"', '"a\\tb"', "|\n      block", "RU"]
VALUE_LINE = re.compile(r"^( *[A-Za-z_][A-Za-z0-9_\-]*: )(\S.*)$", re.M)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.data())
def test_a_value_replaced_by_any_scalar_is_reported_alike(tmp_path: Path, monkeypatch, data) -> None:
    text = data.draw(st.sampled_from([VALID_STUDY, RATED_STUDY]))
    lines = list(VALUE_LINE.finditer(text))
    line = data.draw(st.sampled_from(lines))
    scalar = data.draw(st.sampled_from(SCALARS))
    both_ways(tmp_path / "s.yaml", text[:line.start(2)] + scalar + text[line.end(2):], monkeypatch)


def test_a_valid_study_is_validated_without_pydantic_or_ruamel(tmp_path: Path) -> None:
    study = tmp_path / "s.yaml"
    study.write_text(VALID_STUDY, encoding="utf-8")
    code = ("import sys; from scenmatrix.store import report; print(report.check_studies([sys.argv[1]]).summaries); "
            "print(sorted({m.split('.')[0] for m in sys.modules} & {'pydantic', 'ruamel', 'numpy', 'pandas'}))")
    done = subprocess.run([sys.executable, "-c", code, str(study)], capture_output=True, text=True, check=True,
                          env={"PYTHONPATH": str(REPO / "src"), "SCENMATRIX_CACHE": "off"})
    assert done.stdout.splitlines() == [f"['{study}: valid (2 scenarios, 3 actors, 3 impacts)']", "[]"]
