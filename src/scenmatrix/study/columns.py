"""The study's tables and their columns, as `export` and the brief's templates name them.

Plain data with no imports, so that the command line can offer the table names (`export --table`)
without loading pydantic; `tables.py` fills them.
"""

from __future__ import annotations

TABLES = ("sources", "key_judgments", "actors", "scenarios", "indicators", "impacts", "evidence", "drivers",
          "cib_descriptors", "cib_variants", "cib_judgments")

COLUMNS: dict[str, tuple[str, ...]] = {
    "sources": ("id", "title", "author", "publisher", "date", "url", "path"),
    "key_judgments": ("id", "text"),
    "actors": ("id", "name", "kind", "aliases"),
    "scenarios": ("id", "title", "likelihood", "probability_low", "probability_high", "confidence", "horizon",
                  "narrative", "drivers", "constraints"),
    "indicators": ("id", "scenario", "text", "status"),
    "impacts": ("scenario", "actor", "effect", "domains", "confidence", "rationale", "evidence"),
    "evidence": ("id", "claim", "source", "cited_in", "grade", "quote", "contested_by", "contest_notes"),
    "drivers": ("id", "type", "title", "description", "evidence"),
    # the study's cross-impact model (`cib:`), empty without one; variants and judgments as DESCRIPTOR.VARIANT
    "cib_descriptors": ("id", "title", "variants"),
    "cib_variants": ("descriptor", "id", "title"),
    "cib_judgments": ("source", "target", "judgment"),
}
