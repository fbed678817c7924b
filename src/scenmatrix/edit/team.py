"""Merging branches of a study: the git merge driver, and settling the conflicts it records.

`merge_files` makes THEIR changes (study.merge, from the ancestor to theirs) on OUR file as ONE edit,
like every edit keeping comments and layout and styling additions like their siblings, and records each
conflict in the study's top-level `conflicts:` list, which `validate` reports as an error at the record:

    conflicts:
      - entry: impact S1/RU
        field: effect
        ours: 3
        theirs: -3
        ours_branch: main
        theirs_branch: ratings

The file holds our value, so the study stays parseable YAML (no `<<<<<<<` markers, which no command could
read) and every command still works on it; `resolve` settles a record: --ours drops it, --theirs makes
their value (or their removal, addition, rename) and drops it, one validated atomic edit.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional

from ruamel.yaml.comments import CommentedMap, CommentedSeq

from scenmatrix.edit import api, session
from scenmatrix.edit.session import EditResult, Session
from scenmatrix.study.values import plain
from scenmatrix.errors import Problem, StudyError, UsageError
from scenmatrix.store import document, git_merge
from scenmatrix.study import merge
from scenmatrix.study.kinds import KINDS


@dataclass
class MergeOutcome:
    """What the driver did: the conflicts it recorded, as `validate` reports them (positioned, in the study
    named as git names it), and how many of their changes it made."""

    conflicts: list[Problem] = field(default_factory=list)
    changes: int = 0


def merge_files(ancestor: Path | str, ours: Path | str, theirs: Path | str, name: Optional[str] = None
                ) -> MergeOutcome:
    """Merge THEIR version into OUR file (git's %O %A %B; `name` is %P). A version that cannot be read
    raises its positioned problems, and a merge whose result would not be valid (other than for its
    conflicts) raises the result's: OUR file is then left untouched, for git to report a conflict."""
    ours = Path(ours)
    shown = name or str(ours)
    trees = [git_merge.read_side(path, shown, side)
             for path, side in ((ancestor, "ancestor"), (ours, "ours"), (theirs, "theirs"))]
    try:
        result = merge.merge(*trees)
    except merge.Unmergeable as exc:
        raise StudyError([Problem(shown, 1, 1, "merge", f"cannot merge entry by entry: {exc}",
                                  "merge this study by hand (git leaves our version in the file)")]) from None
    branches = git_merge.branch_names()
    try:
        session.run(ours, _merging(result, branches, trees[2]), False, tolerate=("conflict",))
    except StudyError as exc:
        raise StudyError(git_merge.relabeled(exc.problems, shown, " (in the merged study, not written)")) from None
    finally:
        git_merge.forget_temporary(ours)
    recorded = []
    if result.conflicts:
        from scenmatrix.store.checks import check_conflicts
        from scenmatrix.store.messages import Locator

        written = document.read_document(ours)
        recorded = git_merge.relabeled(list(check_conflicts(written.tree, Locator(written))), shown)
    return MergeOutcome(recorded, len(result.operations))


def _merging(result: merge.Merge, branches: tuple[Optional[str], Optional[str]], theirs: dict) -> session.Change:
    entries = api.changing([(op.action, op.kind, op.id or None, op.fields) for op in result.operations
                            if op.kind != "section"])
    sections = [op for op in result.operations if op.kind == "section"]

    def change(s: Session) -> None:
        if entries is not None:
            entries(s)
        for op in sections:  # their own node, to keep its layout, when it says what is to be set
            node = theirs.get(op.id)
            _set_section(s, op.id, node if node is not None and plain(node) == op.fields["value"] else op.fields["value"])
        if result.conflicts:
            before = s.get(("conflicts",), None)
            records = [*(plain(before) if isinstance(before, list) else []),
                       *(merge.record(c, *branches) for c in result.conflicts)]
            s.set(("conflicts",), _block_list(records))

    return change


def _set_section(s: Session, key: str, value: Any) -> None:
    if value is None:
        if s.has((key,)):
            s.delete((key,))
    else:
        s.set((key,), value if isinstance(value, CommentedMap) else _yaml(value, flow=False))


def _block_list(records: list[dict]) -> CommentedSeq:
    return CommentedSeq([CommentedMap((k, _yaml(v)) for k, v in record.items()) for record in records])


def _yaml(value: Any, flow: bool = True) -> Any:
    """A plain value as the tree holds it: mappings and lists inside a record on one line each."""
    if isinstance(value, dict):
        node = CommentedMap((k, _yaml(v, flow)) for k, v in value.items())
    elif isinstance(value, list):
        node = CommentedSeq(_yaml(v, flow) for v in value)
    else:
        return value
    if flow:
        node.fa.set_flow_style()
    return node


# --------------------------------------------------------------------------------------------
# Settling recorded conflicts


def resolve(path: Path | str, side: str, kind: Optional[str] = None, id: Optional[str] = None, *,
            every: bool = False, dry_run: bool = False) -> EditResult:
    """Settle the conflicts recorded for one entry (KIND ID, or every one with every=True) by taking
    `side` ("ours": the file's value stays; "theirs": their value, removal, addition or rename is made),
    and remove their records: one validated atomic edit."""
    if side not in ("ours", "theirs"):
        raise UsageError("choose --ours or --theirs")
    wanted = None if every else _entry_name(kind, id)

    def change(s: Session) -> None:
        records = s.get(("conflicts",), None)
        if not isinstance(records, list) or not records:
            raise StudyError([Problem(str(s.path), 1, 1, "unknown", "no merge conflict is recorded in this study",
                                      "`scenmatrix validate` lists what is left to fix")])
        items = [plain(r) if isinstance(r, dict) else {} for r in records]
        chosen = [i for i, item in enumerate(items) if every or item.get("entry") == wanted]
        if not chosen:
            known = ", ".join(dict.fromkeys(str(item.get("entry")) for item in items))
            raise StudyError([s.problem(("conflicts",), "unknown", f"no conflict is recorded for {wanted}",
                                        f"recorded: {known}", key=True)])
        if side == "theirs":
            for index in chosen:
                _taking_theirs(items[index])(s)
        if len(chosen) == len(records):
            s.delete(("conflicts",))
        else:
            for index in reversed(chosen):
                s.delete(("conflicts", index))

    return session.run(Path(path), change, dry_run)


def _entry_name(kind: Optional[str], id: Optional[str]) -> str:
    """KIND ID as the records name entries ('impact S1/RU', 'study', 'section cib')."""
    if not kind:
        raise UsageError("name the entry: KIND ID (e.g. impact S1/RU), or give --all")
    if kind == "section":
        if not id:
            raise UsageError("give the section's name, e.g. `section cib`")
        return f"section {id}"
    k = api.kind_of(kind)
    if k.single:
        return k.name
    if not id:
        raise UsageError(f"give the {k.name}'s id")
    return f"{k.name} {id}"


def _taking_theirs(item: dict) -> session.Change:
    """The change that makes their side of one record."""
    kind, _, eid = str(item.get("entry", "")).partition(" ")
    name, value = item.get("field"), item.get("theirs")
    if kind == "section":
        return lambda s: _set_section(s, eid, value)
    if kind not in KINDS:
        raise UsageError(f"the conflict record names {item.get('entry')!r}, not KIND ID: edit it by hand")
    if name == "id":
        operation = ("rename", kind, eid, {"id": value})
    elif name is None:
        operation = ("remove", kind, eid, {"cascade": True}) if value is None else ("add", kind, eid, value)
    else:
        operation = ("set", kind, eid or None, {name: value})
    change = api.changing([operation])
    assert change is not None
    return change
