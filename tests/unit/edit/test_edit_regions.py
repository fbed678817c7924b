"""Edits are proven from small parses of the regions they change (scenmatrix.edit.proof.prove),
not from a parse of the whole study. Every test here runs with SCENMATRIX_CROSS_CHECK=1 (conftest.py),
so each proof is checked against a parse of the whole patched text; these layouts are the ones where
a region could read differently on its own than in the file."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import VALID_STUDY, mutate
from scenmatrix.edit import api as edit
from scenmatrix.errors import StudyError
from scenmatrix.store.document import read_document
from scenmatrix.store.checks import validate_document

REPO = Path(__file__).resolve().parents[3]

IMPACT = {"effect": -1, "domains": ["economic"], "confidence": "low", "rationale": "Pays more for oil."}

LAYOUTS = {
    "plain": VALID_STUDY,
    # the last value keeps its trailing blank lines (|+): an entry added after it must not take them
    "keep-chomping block last": mutate(VALID_STUDY, "        rationale: Loses a partner.\n",
                                       "        rationale: |+\n          Loses a partner.\n\n\n"),
    "keep-chomping block, then a comment": mutate(
        VALID_STUDY, "        rationale: Loses a partner.\n",
        "        rationale: |+\n          Loses a partner.\n\n      # about IR\n\n"),
    # a sequence written at the indentation of its key
    "indentless sequences": mutate(mutate(VALID_STUDY, "        domains: [economic]\n",
                                          "        domains:\n        - economic\n        - energy\n"),
                                   "    drivers: [D1]\n", "    drivers:\n    - D1\n"),
    # comments less indented than the entries around them, and at column 0
    "outdented comments": mutate(mutate(VALID_STUDY, "      US:\n        effect: -2\n",
                                        "# column 0 comment\n      US:\n        effect: -2\n"),
                                 "        rationale: Loses a partner.\n",
                                 "        rationale: Loses a partner.\n  # outdented note\n"),
    "crlf": VALID_STUDY.replace("\n", "\r\n"),
    "document start": "---\n" + VALID_STUDY,
    "document markers": VALID_STUDY + "...\n",
    "no final newline": VALID_STUDY.rstrip("\n"),
    "flow impacts": mutate(VALID_STUDY, """    impacts:
      IR:
        effect: -1
        domains: [economic]
        confidence: low
        rationale: Loses a partner.
""", "    impacts: {IR: {effect: -1, domains: [economic], confidence: low, rationale: Loses a partner.}}\n"),
    "empty impacts": mutate(VALID_STUDY, """    impacts:
      IR:
        effect: -1
        domains: [economic]
        confidence: low
        rationale: Loses a partner.
""", "    impacts: {}\n"),
    # continuation lines of a quoted scalar indented less than the entry's fields
    "outdented quoted continuation": mutate(VALID_STUDY, "        rationale: Loses a partner.\n",
                                            '        rationale: "Loses\n  a partner."\n'),
    "multi-line plain scalar": mutate(VALID_STUDY, "        rationale: Loses a partner.\n",
                                      "        rationale: Loses\n          a partner\n\n          for good.\n"),
    # text that looks like YAML structure inside a literal block
    "literal block with markers": mutate(VALID_STUDY, "        rationale: Loses a partner.\n",
                                         "        rationale: |\n          ---\n          key: value\n"
                                         "          # no comment\n        # a comment\n"),
    "blank lines with spaces": mutate(VALID_STUDY, "  S2:\n", "        \n   \n  S2:\n"),
    "tab in a comment": mutate(VALID_STUDY, "        effect: -1\n", "        effect: -1  #\ta tab\n"),
}

EDITS = [
    ("add impact to S2", lambda p: edit.add(p, "impact", "S2/RU", IMPACT)),
    ("add impact to S1", lambda p: edit.add(p, "impact", "S1/IR", IMPACT)),
    ("set impact", lambda p: edit.set_fields(p, "impact", "S2/IR", {"effect": 1, "rationale": "Gains: a market."})),
    ("unset evidence", lambda p: edit.set_fields(p, "impact", "S1/RU", {"evidence": None})),
    ("set list", lambda p: edit.set_fields(p, "impact", "S2/IR", {"domains": ["economic", "energy"]})),
    ("remove impact", lambda p: edit.remove(p, "impact", "S2/IR")),
    ("remove first impact", lambda p: edit.remove(p, "impact", "S1/RU")),
    ("rename actor", lambda p: edit.rename(p, "actor", "IR", "IRN")),
    ("rename evidence", lambda p: edit.rename(p, "evidence", "E1", "E9")),
    ("remove evidence with cascade", lambda p: edit.remove(p, "evidence", "E1", cascade=True)),
    ("add actor", lambda p: edit.add(p, "actor", "IL", {"name": "Israel", "kind": "state"})),
    ("add scenario", lambda p: edit.add(p, "scenario", "S3", {"title": "t", "narrative": "n", "likelihood": "likely",
                                                              "confidence": "low"})),
    ("add indicator", lambda p: edit.add(p, "indicator", "I9", {"text": "t", "status": "emerging"}, scenario="S2")),
    ("several at once", lambda p: edit.apply(p, [("set", "impact", "S1/US", {"effect": -3}),
                                                 ("add", "impact", "S2/US", IMPACT),
                                                 ("set", "actor", "RU", {"name": "Russian Federation"})])),
]


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("name,change", EDITS, ids=[e[0] for e in EDITS])
def test_each_edit_reads_back_as_intended_in_awkward_layouts(tmp_path, layout, name, change):
    path = tmp_path / "study.yaml"
    path.write_bytes(LAYOUTS[layout].encode("utf-8"))
    text = path.read_text()
    assert not validate_document(read_document(path))[1]
    try:
        diff = change(path).diff  # raises RuntimeError if the region proof and a parse of the whole text disagree
    except StudyError:  # e.g. no impact S2/IR to change in a layout without it
        assert path.read_text() == text
        return
    after = read_document(path)
    assert not validate_document(after)[1]
    assert bool(diff) == (after.text != text)


def test_edits_of_the_default_study_are_proven_from_regions(tmp_path):
    path = tmp_path / "study.yaml"
    path.write_bytes((REPO / "scenarios" / "russia-iran-2022.yaml").read_bytes())
    scenario = edit.entries(path, "scenario")[-1]["id"]
    actors = [row["id"] for row in edit.entries(path, "actor")]
    missing = next(a for a in actors if f"{scenario}/{a}" not in {row["id"] for row in edit.entries(path, "impact")})
    calls = [
        lambda: edit.add(path, "impact", f"{scenario}/{missing}", IMPACT),
        lambda: edit.set_fields(path, "impact", f"{scenario}/{missing}", {"effect": 2, "confidence": "high"}),
        lambda: edit.rename(path, "actor", missing, "NEWID"),
        lambda: edit.remove(path, "impact", f"{scenario}/NEWID"),
        lambda: edit.add(path, "actor", "ZZ", {"name": "Zed", "kind": "other"}),
        lambda: edit.remove(path, "actor", "ZZ"),
    ]
    for call in calls:
        result = call()
        assert result.diff
        assert (result.render, result.proof) == ("text", "regions")


def test_a_refused_edit_reports_positions_in_the_patched_text(tmp_path):
    """The proven tree carries the old text's positions; a refusal is reported from a fresh parse."""
    path = tmp_path / "study.yaml"
    path.write_text(VALID_STUDY)
    with pytest.raises(Exception) as refused:
        edit.add(path, "impact", "S2/RU", {**IMPACT, "domains": ["militry"]})
    lines = (VALID_STUDY + "      RU:\n").splitlines()
    expected_line = len(VALID_STUDY.splitlines()) + 3  # RU:, effect:, then domains:
    problem = refused.value.problems[0]
    assert (problem.line, problem.code) == (expected_line, "vocabulary"), lines[-1]
    assert path.read_text() == VALID_STUDY


def test_adding_into_something_that_is_not_a_mapping_is_refused_not_a_crash(tmp_path):
    path = tmp_path / "study.yaml"
    text = VALID_STUDY.replace("""    impacts:
      IR:
        effect: -1
        domains: [economic]
        confidence: low
        rationale: Loses a partner.
""", "    impacts: >-\n      none yet\n")
    path.write_text(text)
    with pytest.raises(StudyError) as refused:
        edit.add(path, "impact", "S2/RU", IMPACT)
    assert refused.value.problems[0].code == "structure"
    assert path.read_text() == text
