"""Import a reviewed brief: read its editable cells, merge them with the study, apply through the edit path.

Three versions meet: the BASE (the editable values as briefed, kept in the brief's marker), OURS
(the study file now) and THEIRS (the cells as the reviewer left them). A field changed on one side
only takes that side; changed on both sides to different values, it is a conflict, and nothing is
written unless the caller says which side wins.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional

from scenmatrix.brief.marker import EDITABLE, Marker, read_marker, snapshot
from scenmatrix.errors import Problem
from scenmatrix.review.heatmap_reader import read_heatmaps
from scenmatrix.review.sheet_reader import GONE, BriefImportError, Reading, contested_pairs, read_tables, same
from scenmatrix.store.loader import LoadedStudy, load
from scenmatrix.store.workbook_guard import open_untrusted

__all__ = ["BriefImportError", "ImportPlan", "apply_import", "describe", "operations", "plan_import"]
# Times an import re-plans when the study changed between planning and writing, before it gives up.
REPLANS = 5


@dataclass(frozen=True)
class FieldChange:
    table: str
    key: str
    field: str
    old: Any
    new: Any


@dataclass
class ImportPlan:
    """What importing a brief would do to a study."""

    study: Path
    marker: Marker
    changes: list[FieldChange] = field(default_factory=list)
    added: list[tuple[str, dict[str, Any]]] = field(default_factory=list)  # impacts: key -> fields
    deleted: list[tuple[str, str]] = field(default_factory=list)  # rows gone from the brief, kept in the study
    conflicts: list[tuple[FieldChange, Any]] = field(default_factory=list)  # (their change, our value)
    study_changed: bool = False
    actors: tuple[str, ...] = ()  # the study's actor ids, which start the lines of a contested-by cell
    notes: list[str] = field(default_factory=list)  # what the brief holds that is not imported
    study_sha256: str = ""  # the study text this plan was made against: written only over that text
    reading: Reading = field(default_factory=Reading, repr=False)  # to re-plan against a study that changed

    @property
    def empty(self) -> bool:
        return not (self.changes or self.added or self.conflicts)

    def to_json(self) -> dict[str, Any]:
        return {"changes": [dataclasses.asdict(c) for c in self.changes],
                "added": [{"impact": k, **v} for k, v in self.added],
                "deleted": [{"table": t, "key": k} for t, k in self.deleted],
                "conflicts": [{**dataclasses.asdict(c), "ours": o} for c, o in self.conflicts],
                "study_changed": self.study_changed, "notes": self.notes}


def plan_import(brief: Path | str, study: Path | str) -> ImportPlan:
    """Read a brief and work out its changes against the study (nothing is written)."""
    brief = Path(brief)
    loaded = load(study)
    # formulas kept as formulas, so that a formula in an editable cell is refused, not read as its result
    wb = open_untrusted(brief, formulas=True)
    marker = read_marker(wb, lambda message, hint: BriefImportError([Problem(str(brief), 1, 1, "marker", message, hint)]))
    if marker.study_id != loaded.study.study.id:
        raise BriefImportError([Problem(str(brief), 1, 1, "marker",
                                    f"this brief was made from study {marker.study_id!r}, not "
                                    f"{loaded.study.study.id!r}", "pass the right study with -s")])
    reading = read_tables(brief, wb, marker, loaded)
    read_heatmaps(brief, wb, marker, reading)
    return _plan(marker, reading, loaded)


def _plan(marker: Marker, reading: Reading, loaded: LoadedStudy) -> ImportPlan:
    plan = ImportPlan(loaded.path, marker, study_changed=marker.study_sha256 != loaded.document.sha256,
                      actors=tuple(loaded.study.actors), notes=list(reading.notes),
                      study_sha256=loaded.document.sha256, reading=reading)
    ours = snapshot(loaded.study)
    _merge(plan, marker.snapshot, ours, reading.theirs)
    _merge_new_rows(plan, ours["impacts"], reading.new_rows)
    return plan


def _merge_new_rows(plan: ImportPlan, ours: dict, new_rows: list[tuple[str, dict[str, Any]]]) -> None:
    """A row new in the brief that the study has meanwhile gained too: equal is done, different conflicts."""
    for key, fields in new_rows:
        if key not in ours:
            plan.added.append((key, fields))
            continue
        for name, value in ours[key].items():
            if fields.get(name) != value:
                plan.conflicts.append((FieldChange("impacts", key, name, None, fields.get(name)), value))


def _merge(plan: ImportPlan, base: dict, ours: dict, theirs: dict) -> None:
    for table, rows in base.items():
        if table not in theirs:
            continue  # the template did not show this table: nothing to import from it
        for key, fields in rows.items():
            if key not in theirs[table]:
                plan.deleted.append((table, key))
                continue
            for name, base_value in fields.items():
                if name not in theirs[table][key]:
                    continue  # column not in the brief
                their, our = theirs[table][key][name], ours.get(table, {}).get(key, {}).get(name, GONE)
                if same(their, base_value) or same(their, our):
                    continue
                change = FieldChange(table, key, name, base_value, their)
                if our == base_value:
                    plan.changes.append(change)
                else:
                    plan.conflicts.append((change, our))


def operations(plan: ImportPlan, prefer: Optional[str] = None) -> list[tuple[str, str, str, dict[str, Any]]]:
    """The edits that carry out a plan; conflicts need prefer='theirs' (take the brief) or 'ours' (keep)."""
    if plan.conflicts and prefer not in ("theirs", "ours"):
        raise BriefImportError("\n".join(
            [f"{plan.study}: {len(plan.conflicts)} conflict(s) between the brief and changes made to the study "
             "since it was briefed — nothing was written; rerun with --theirs (take the brief) or --ours (keep "
             "the study)"] + [f"  {c.table} {c.key} {c.field}: briefed {c.old!r}, study now {our!r}, brief says "
                               f"{c.new!r}" for c, our in plan.conflicts]))
    changes = list(plan.changes) + ([c for c, _ in plan.conflicts] if prefer == "theirs" else [])
    grouped: dict[tuple[str, str], dict[str, Any]] = {}
    for c in changes:
        fields = grouped.setdefault((c.table, c.key), {})
        if c.field == "contested":
            fields["contested_by"] = contested_pairs(c.new, plan.actors)[0] or None
        else:
            fields[c.field] = c.new
    ops = [("set", EDITABLE[table].kind, key, fields) for (table, key), fields in grouped.items()]
    ops += [("add", "impact", key, fields) for key, fields in plan.added]
    return ops


def apply_import(plan: ImportPlan, prefer: Optional[str] = None, dry_run: bool = False) -> str:
    """Write the plan through the edit path (validated, comments kept, atomic, locked); returns the diff.

    The plan was made before the study's lock was taken, so the write happens only over the very text it
    was planned against; an edit that landed in between makes it plan again against the new text (where
    its changes may now conflict), never write over that edit."""
    from scenmatrix.edit import api as edit

    for _ in range(REPLANS):
        try:
            return edit.apply(plan.study, operations(plan, prefer), dry_run=dry_run,
                              expect_sha256=plan.study_sha256).diff
        except edit.StudyChanged:
            plan = _plan(plan.marker, plan.reading, load(plan.study))
    raise BriefImportError([Problem(str(plan.study), 1, 1, "import", f"the study changed {REPLANS} times while "
                                    "the import was being written; nothing was written",
                                    "run the import again when no one else is editing the study")])


def describe(plan: ImportPlan) -> list[str]:
    """The plan as lines for the terminal, in the style of `scenmatrix diff` (kinds singular, as every
    command names them)."""
    def kind(table: str) -> str:
        return EDITABLE[table].kind

    lines = [f"~ {kind(c.table)} {c.key}: {c.field}: {c.old!r} → {c.new!r}" for c in plan.changes]
    lines += [f"+ impact {key}: {fields}" for key, fields in plan.added]
    lines += [f"! conflict {kind(c.table)} {c.key}: {c.field}: briefed {c.old!r}, study {our!r}, brief {c.new!r}"
              for c, our in plan.conflicts]
    lines += [f"- {kind(table)} {key}: row deleted in the brief; kept in the study (remove it with `scenmatrix rm`)"
              for table, key in plan.deleted]
    merged = [f"note: {plan.study} changed since the brief was made; merged three ways"] if plan.study_changed else []
    return merged + (lines or ["no changes"]) + plan.notes
