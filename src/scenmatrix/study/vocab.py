"""Controlled vocabularies: ICD 203 likelihood, confidence, Admiralty grades, TLP, and the rest.

Plain data only, so that the CLI, the schema and the brief share one definition of every word.
"""

from __future__ import annotations

import re
from typing import NamedTuple


# An entry's id (and a reviewer's name): a letter, then letters, digits, '_', '.' or '-', at most 40.
ID_PATTERN = r"^[A-Za-z][A-Za-z0-9_.\-]{0,39}$"


def is_id(text: object) -> bool:
    return isinstance(text, str) and re.fullmatch(ID_PATTERN, text) is not None


class Band(NamedTuple):
    """A likelihood term's probability band, as fractions."""

    low: float
    high: float

    @property
    def mid(self) -> float:
        return (self.low + self.high) / 2

    def label(self) -> str:
        return f"{self.low:.0%}–{self.high:.0%}"


# US ICD 203 (2015), Appendix D.1: the seven terms and their bands, in ascending order.
ICD203: dict[str, Band] = {
    "almost no chance": Band(0.01, 0.05),
    "very unlikely": Band(0.05, 0.20),
    "unlikely": Band(0.20, 0.45),
    "roughly even chance": Band(0.45, 0.55),
    "likely": Band(0.55, 0.80),
    "very likely": Band(0.80, 0.95),
    "almost certain": Band(0.95, 0.99),
}

# UK Professional Head of Intelligence Assessment (PHIA) probability yardstick (2019).
# Its gaps between bands are deliberate; the outer bands are open-ended ("<= 5 %", ">= 95 %").
PHIA: dict[str, Band] = {
    "remote chance": Band(0.0, 0.05),
    "highly unlikely": Band(0.10, 0.20),
    "unlikely": Band(0.25, 0.35),
    "realistic possibility": Band(0.40, 0.50),
    "likely": Band(0.55, 0.75),
    "highly likely": Band(0.80, 0.90),
    "almost certain": Band(0.95, 1.0),
}

SCALES: dict[str, dict[str, Band]] = {"icd203": ICD203, "phia": PHIA}
SCALE_NAMES = {"icd203": "ICD 203", "phia": "PHIA yardstick"}


# ICD 203's paired words (the "or" column): accepted as hints, never silently mapped.
ICD203_SYNONYMS = {
    "remote": "almost no chance",
    "highly improbable": "very unlikely",
    "improbable": "unlikely",
    "roughly even odds": "roughly even chance",
    "probable": "likely",
    "highly probable": "very likely",
    "nearly certain": "almost certain",
    "highly likely": "very likely",
    "highly unlikely": "very unlikely",
}

# How a study's scenarios relate: `exclusive` ones are mutually exclusive and together cover what may
# happen, so their probabilities sum to 100 %; `overlapping` ones (the default) may unfold together.
SCENARIO_SETS = ("overlapping", "exclusive")


def band_sum(bands: list[Band]) -> Band:
    """The range the probabilities of several scenarios sum to, each anywhere in its band."""
    return Band(sum(b.low for b in bands), sum(b.high for b in bands))


def can_sum_to_one(bands: list[Band]) -> bool:
    """Whether probabilities within these bands can sum to 100 % (what exclusive scenarios must)."""
    total = band_sum(bands)
    return total.low <= 1 + 1e-9 and total.high >= 1 - 1e-9


CONFIDENCE = ("low", "moderate", "high")

INDICATOR_STATUS = ("not observed", "emerging", "observed")

ACTOR_KINDS = ("state", "international organization", "non-state armed group", "bloc", "other")

DOMAINS = ("military", "security", "political", "diplomatic", "economic", "energy", "nuclear", "space")
# A domain a study declares in study.domains, beside the built-in ones: lower case, so that a word means
# one domain however it is typed (`--domain Humanitarian` is stored as `humanitarian`).
DOMAIN_PATTERN = r"^[a-z](?:[a-z0-9 \-]{0,38}[a-z0-9])?$"

EFFECT_MIN, EFFECT_MAX = -3, 3
EFFECT_WORDS = {
    -3: "severe harm",
    -2: "significant harm",
    -1: "minor harm",
    0: "no net effect",
    1: "minor gain",
    2: "significant gain",
    3: "major gain",
}

# TLP 2.0 markings with the colours FIRST prescribes (text on black background).
TLP_COLOURS: dict[str, str] = {
    "TLP:CLEAR": "FFFFFF",
    "TLP:GREEN": "33FF00",
    "TLP:AMBER": "FFC000",
    "TLP:AMBER+STRICT": "FFC000",
    "TLP:RED": "FF2B2B",
}
TLP = tuple(TLP_COLOURS)
# The markings whose studies may leave a copy of their content in the parse cache (store/cache.py): those
# for sharing beyond their authors. TLP:AMBER, AMBER+STRICT and RED content stays where the analyst keeps
# it, and a study re-marked so loses every copy the cache held (a marking unknown here counts as private).
CACHED_MARKINGS = ("TLP:CLEAR", "TLP:GREEN")

# NATO Admiralty Code (AJP-2.1): source reliability and information credibility.
RELIABILITY = {
    "A": "completely reliable",
    "B": "usually reliable",
    "C": "fairly reliable",
    "D": "not usually reliable",
    "E": "unreliable",
    "F": "reliability cannot be judged",
}
CREDIBILITY = {
    "1": "confirmed by other sources",
    "2": "probably true",
    "3": "possibly true",
    "4": "doubtful",
    "5": "improbable",
    "6": "truth cannot be judged",
}
GRADES = tuple(r + c for r in RELIABILITY for c in CREDIBILITY)

# The words each vocabulary field takes (likelihood: every scale's; a study's own scale is checked on load).
WORDS: dict[str, tuple[str, ...]] = {
    "kind": ACTOR_KINDS, "likelihood": tuple(dict.fromkeys(w for scale in SCALES.values() for w in scale)),
    "confidence": CONFIDENCE, "status": INDICATOR_STATUS, "domains": DOMAINS, "grade": GRADES, "marking": TLP,
    "likelihood_scale": tuple(SCALES), "scenario_set": SCENARIO_SETS,
}


def canonical(field: str, word: str) -> str:
    """A vocabulary word as typed in any case (`Likely`, `b2`, `tlp:amber`) spelled as the study stores it
    (a domain, built in or the study's own, in lower case); anything else unchanged, for validation to
    refuse with its hints."""
    for known in WORDS.get(field, ()):
        if known.casefold() == word.strip().casefold():
            return known
    if field == "domains" and word.strip().lower() != word:
        return word.strip().lower()
    return word


def describe_grade(grade: str) -> str:
    """'B2' -> 'usually reliable source, information probably true'."""
    return f"{RELIABILITY[grade[0]]} source, information {CREDIBILITY[grade[1]]}"
