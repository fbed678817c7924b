"""Shared test helpers: a small valid study to mutate, and files written under tmp_path."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Callable, Optional

import pytest

# Every edit in the tests (in this process and in the `scenmatrix` processes they start) checks its
# region proof against a parse of the whole patched text: see scenmatrix.edit.proof.
os.environ["SCENMATRIX_CROSS_CHECK"] = "1"
# Edits keep a parse cache (store.cache_parse): the tests' own, never the home folder's.
os.environ.setdefault("SCENMATRIX_CACHE", tempfile.mkdtemp(prefix="scenmatrix-test-cache-"))

# A minimal but complete study: 3 actors (with names and aliases, for did-you-mean), 2 scenarios with
# impacts and indicators, a source, evidence, a driver and a constraint.
#
# test_validate.py asserts exact line:col positions in this text: change it only by appending, or
# update those numbers too. `test_valid_study_line_numbers` pins the lines the cases rely on.
VALID_STUDY = """\
# yaml-language-server: $schema=study.schema.json
study:
  id: ru-ir-test
  title: Russia and Iran test study
  as_of: 2022-08-20
  marking: TLP:CLEAR
  sources:
    khater:
      title: A Shared Hostility
      author: Menan Khater
      date: 2022-08-20
  key_judgments:
    KJ1: Cooperation deepens.
actors:
  RU:
    name: Russia
    kind: state
    aliases: [Russian Federation, Moscow]
  IR:
    name: Iran
    kind: state
    aliases: [Tehran]
  US:
    name: United States
    kind: state
evidence:
  E1:
    claim: Russia plans to buy Iranian drones.
    source: Jake Sullivan
    cited_in: khater
    grade: B2
    contested_by:
      RU: Called it a ridiculous rumor.
drivers:
  D1:
    title: Sanctions pressure
    description: Both face Western sanctions.
    evidence: [E1]
constraints:
  C1:
    title: Oil price rivalry
    description: They disagree on oil prices.
scenarios:
  S1:
    title: Deepening alliance
    narrative: Military cooperation expands.
    likelihood: likely
    confidence: moderate
    horizon: 6-18 months
    drivers: [D1]
    constraints: [C1]
    indicators:
      I1:
        text: More drone deliveries.
        status: emerging
    impacts:
      RU:
        effect: 2
        domains: [military]
        confidence: moderate
        rationale: Gains drones.
        evidence: [E1]
      US:
        effect: -2
        domains: [security, diplomatic]
        confidence: low
        rationale: Faces a stronger axis.
  S2:
    title: Stalled cooperation
    narrative: Differences stall cooperation.
    likelihood: unlikely
    confidence: low
    indicators:
      I2:
        text: Oil price dispute.
        status: not observed
    impacts:
      IR:
        effect: -1
        domains: [economic]
        confidence: low
        rationale: Loses a partner.
"""

# VALID_STUDY with two reviewers' independent ratings (issue 18).
RATED_STUDY = VALID_STUDY + """\
ratings:
  alice:
    S1:
      likelihood: very likely
      impacts:
        RU: {effect: -1, confidence: low}
        US: {effect: 3}
  bob:
    S2: {confidence: high, impacts: {IR: {effect: 1}}}
"""


def mutate(text: str, old: str, new: str) -> str:
    """text with its single occurrence of old replaced by new (fails loudly if old is absent or ambiguous)."""
    count = text.count(old)
    assert count == 1, f"{old!r} occurs {count} times in the study text"
    return text.replace(old, new)


def line_of(text: str, needle: str) -> int:
    """1-based number of the first line containing needle."""
    for number, line in enumerate(text.splitlines(), 1):
        if needle in line:
            return number
    raise AssertionError(f"{needle!r} not in text")


@pytest.fixture
def valid_study() -> str:
    """The text of a small valid study, to mutate."""
    return VALID_STUDY


@pytest.fixture
def write_study(tmp_path: Path) -> Callable[..., Path]:
    """write_study(text=VALID_STUDY, name="study.yaml", data=None) -> path under tmp_path.

    Text is written as UTF-8 exactly as given (no newline translation); data writes raw bytes.
    """

    def write(text: str = VALID_STUDY, name: str = "study.yaml", data: Optional[bytes] = None) -> Path:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(text.encode("utf-8") if data is None else data)
        return path

    return write


# A small study for briefs (test_brief.py, test_import.py).
SMALL = """\
# yaml-language-server: $schema=study.schema.json
study:
  id: small
  title: Small study
  as_of: 2024-05-01
  marking: TLP:AMBER
  sources:
    src: {title: A report, author: A. Author, publisher: Pub}
  key_judgments:
    KJ1: Alpha gains.
actors:
  A: {name: Alpha, kind: state}
  B: {name: Beta, kind: bloc}
  C: {name: Gamma, kind: other}
evidence:
  E1: {claim: Claim one, source: Officials, cited_in: src, grade: B2, contested_by: {B: Beta denies it}}
  E2: {claim: Claim two, source: Press, grade: D4, quote: short}
drivers:
  d1: {title: Driver one, description: Facts, evidence: [E1]}
constraints:
  c1: {title: Constraint one, description: Limits, evidence: [E2]}
scenarios:
  S1:
    title: First
    narrative: One happens.
    likelihood: likely
    confidence: moderate
    drivers: [d1]
    indicators:
      I1: {text: Signpost one, status: observed}
    impacts:
      A: {effect: 2, domains: [military], confidence: high, rationale: Alpha gains, evidence: [E1]}
      B: {effect: -3, domains: [economic, energy], confidence: low, rationale: Beta loses, evidence: [E2, E1]}
  S2:
    title: Second
    narrative: Two happens.
    likelihood: unlikely
    confidence: low
    constraints: [c1]
    indicators:
      I2: {text: Signpost two, status: emerging}
    impacts:
      A: {effect: -1, domains: [political], confidence: moderate, rationale: Alpha loses a little}
"""
