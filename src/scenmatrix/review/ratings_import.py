"""`scenmatrix import BRIEF --as NAME`: a reviewer's own ratings, recorded beside the lead analyst's.

What NAME rated differently from the brief's snapshot (an impact's effect or confidence, a scenario's
likelihood or confidence) becomes NAME's block under the study's `ratings:`; the lead's values are not
touched. NAME's block is replaced as a whole, so importing again as NAME leaves only the new ratings.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from scenmatrix.brief.marker import EDITABLE
from scenmatrix.errors import Problem
from scenmatrix.review.importer import REPLANS, BriefImportError, ImportPlan, plan_import
from scenmatrix.review.sheet_reader import same
from scenmatrix.store.loader import load

# The fields a reviewer rates, per table of the brief; every other edit is named in a note and left.
RATED = {"impacts": ("effect", "confidence"), "scenarios": ("likelihood", "confidence")}


@dataclass
class RatingsPlan:
    """What importing a brief as reviewer NAME would record."""

    study: Path
    name: str
    ratings: dict[str, dict[str, Any]] = field(default_factory=dict)  # scenario -> fields, impacts -> actor -> fields
    previous: dict[str, Any] = field(default_factory=dict)  # NAME's ratings in the study now
    notes: list[str] = field(default_factory=list)
    study_sha256: str = ""

    @property
    def empty(self) -> bool:
        return self.ratings == self.previous

    def to_json(self) -> dict[str, Any]:
        return {"reviewer": self.name, "ratings": self.ratings, "replaces": self.previous, "notes": self.notes}


def plan_reviewer_import(brief: Path | str, study: Path | str, name: str) -> RatingsPlan:
    """Read a brief as reviewer NAME's ratings (nothing is written); a bad NAME is refused before any reading."""
    from scenmatrix.edit.api import reviewer_name

    reviewer_name(name)
    return plan_ratings(plan_import(brief, study), name)


def plan_ratings(plan: ImportPlan, name: str) -> RatingsPlan:
    """NAME's ratings from a planned import: their values where they differ from the brief's snapshot."""
    loaded = load(plan.study)
    out = RatingsPlan(plan.study, name, study_sha256=loaded.document.sha256,
                      previous=reviewer_ratings(loaded.study, name))
    theirs, base = plan.reading.theirs, plan.marker.snapshot
    for table, fields in RATED.items():
        for key, briefed in base.get(table, {}).items():
            row = theirs.get(table, {}).get(key, {})
            rated = {f: row[f] for f in fields if f in row and not same(row[f], briefed.get(f))}
            if rated and _place(out, loaded.study, table, key, rated) is None:
                out.notes.append(f"note: {EDITABLE[table].kind} {key} is no longer in the study; its rating is "
                                 "not recorded")
    left = sorted({f"{EDITABLE[c.table].kind} {c.field}" for c in [*plan.changes, *(c for c, _ in plan.conflicts)]
                   if c.field not in RATED.get(c.table, ())})
    if left or plan.added:
        out.notes.append("note: as a reviewer's ratings only effects, likelihoods and confidences are recorded; "
                         f"not imported: {', '.join(left + (['new impact rows'] if plan.added else []))}")
    out.notes += plan.notes
    return out


def reviewer_ratings(study: Any, name: str) -> dict[str, Any]:
    """NAME's ratings in the study, as plain data in the form RatingsPlan.ratings has ({} for none)."""
    return {sid: rating.model_dump(exclude_defaults=True) for sid, rating in study.ratings.get(name, {}).items()}


def _place(out: RatingsPlan, study: Any, table: str, key: str, rated: dict[str, Any]) -> Any:
    if table == "scenarios":
        if key not in study.scenarios:
            return None
        out.ratings.setdefault(key, {}).update(rated)
        return key
    sid, aid = key.split("/", 1)
    if sid not in study.scenarios or aid not in study.scenarios[sid].impacts:
        return None
    out.ratings.setdefault(sid, {}).setdefault("impacts", {})[aid] = rated
    return key


def apply_ratings(plan: RatingsPlan, dry_run: bool = False) -> str:
    """Write NAME's ratings through the edit path (validated, atomic, comments kept); returns the diff."""
    from scenmatrix.edit import api as edit

    for _ in range(REPLANS):
        try:
            return edit.apply(plan.study, [("rate", "reviewer", plan.name, _ordered(plan.ratings))],
                              dry_run=dry_run, expect_sha256=plan.study_sha256).diff
        except edit.StudyChanged:  # ratings do not depend on the lead's values: only the text to write over
            plan.study_sha256 = load(plan.study).document.sha256
    raise BriefImportError([Problem(str(plan.study), 1, 1, "import", f"the study changed {REPLANS} times while "
                                    "the import was being written; nothing was written",
                                    "run the import again when no one else is editing the study")])


def _ordered(ratings: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Each scenario's own fields before its impacts, as a study writes them."""
    return {sid: {**{k: v for k, v in r.items() if k != "impacts"}, **({"impacts": r["impacts"]} if "impacts" in r
                                                                       else {})} for sid, r in ratings.items()}


def describe_ratings(plan: RatingsPlan) -> list[str]:
    """The plan as lines for the terminal."""
    lines = []
    for sid, rating in plan.ratings.items():
        lines += [f"~ rating {plan.name} scenario {sid}: {f}: {v!r}" for f, v in rating.items() if f != "impacts"]
        for aid, impact in rating.get("impacts", {}).items():
            lines += [f"~ rating {plan.name} impact {sid}/{aid}: {f}: {v!r}" for f, v in impact.items()]
    if plan.previous:
        lines.append(f"note: replaces {plan.name}'s earlier ratings"
                     + (" (the same)" if plan.empty else f" of {len(plan.previous)} scenario(s)"))
    if not plan.ratings:
        lines.append(f"no ratings differ from the brief: {plan.name} has none recorded"
                     + (" after this import" if plan.previous else ""))
    return lines + plan.notes
