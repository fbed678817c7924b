"""Hand-written studies for the editing tests, with comments and layouts in awkward places."""

from __future__ import annotations

from pathlib import Path

# Every layout an analyst might write by hand: comments before, after and inside entries, a header
# comment with blank lines, quoted and unquoted text, `+2`, flow lists and maps with spaces, a
# folded and a literal block, blank lines between some entries and not others, a comment at the end.
AWKWARD = """\
# yaml-language-server: $schema=study.schema.json
# A hand-written study.   Keep this header.

study:
  id: awkward   # the id
  title: "Awkward: a study"
  as_of: 2022-05-01
  marking: TLP:AMBER
  sources:
    ISW: {title: "ISW update", date: 2022-04-30}
  key_judgments:
    KJ1: Russia will deepen ties with Iran.  # main judgment
    KJ2: >-
      Iran gains leverage
      over time.

# ---- actors ----

actors:
  # Russia first
  RU:
    name: Russia
    kind: state   # a state
    aliases: [ "Russian Federation", RF ]

  IR:
    name: 'Iran'
    kind: state

  # Israel, watching
  IL:
    name: Israel
    kind: state
  # trailing note about actors, indented like them

evidence:
  E1:
    claim: "Iran supplied drones."
    source: US officials
    cited_in: ISW
    grade: B2
    contested_by: { IR: "denies supplying any" }
  E2:
    claim: Russia sent funds
    source: Reuters
    grade: C3
    # quote pending

drivers:
  D1:
    title: Sanctions
    description: |
      Western sanctions push both together.
      # not a comment: part of the text
    evidence:
      - E1   # main
      - E2
constraints:
  C1: {title: Mistrust, description: Old grievances, evidence: [E2]}

scenarios:
  S1:
    title: Deep alignment
    narrative: Military and energy ties grow.
    likelihood: likely
    confidence: moderate
    drivers: [D1]
    constraints: [C1]
    indicators:
      I1: {text: Su-35 deliveries, status: emerging}
    impacts:
      RU:
        effect: +2    # written with a plus
        domains: [military, energy]
        confidence: moderate
        rationale: Drones for the war.
        evidence: [E1, E2]
      IR:
        effect: 2
        domains:
          - military
          - economic
        confidence: low
        rationale: "Fighters, and cash."
        evidence: [E2]

  # the second scenario
  S2:
    title: Drift
    narrative: Ties stall.
    likelihood: unlikely
    confidence: low
    impacts:
      RU: {effect: -1, domains: [political], confidence: low, rationale: Isolation.}

# end of study: keep this too
"""

# The smallest valid study, written the way `scenmatrix new` writes one.
MINIMAL = """\
# yaml-language-server: $schema=study.schema.json
study:
  id: minimal
  title: Minimal
  as_of: 2022-05-01
  marking: TLP:CLEAR
  sources: {}
  key_judgments: {}

actors: {}

evidence: {}

drivers: {}

constraints: {}

scenarios: {}
"""

ACTOR = {"name": "Israel", "kind": "state"}
IMPACT = {"effect": "-2", "domains": ["military", "security"], "confidence": "low", "rationale": "Exposure."}


def write(folder: Path, text: str = AWKWARD, name: str = "study.yaml") -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path
