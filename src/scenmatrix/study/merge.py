"""Three-way merge of a study, entry by entry and field by field: what to do to OUR version so that it also
holds THEIR changes since the common ancestor, and where the two changed the same thing differently.

Pure: plain trees in, operations and conflicts out (edit.team applies them to the file, keeping its
comments and layout). The entries are those of `diff` (kinds in the order of the file; an impact is
SCENARIO/ACTOR); renames are found as `diff` finds them and followed, so that their edit of an entry we
renamed lands on our name, and our edit of one they renamed on theirs.

For each entry, with O the ancestor, A ours and B theirs:
- A == B, or B == O: ours stands;  A == O: theirs is taken (added, removed, or its changed fields set);
- both changed it: field by field the same way (an entry both added is merged against no fields); a
  list of ids or words both changed (evidence, domains, aliases ...) is merged as a set, and a mapping
  (contested_by) key by key; any other
  field both changed to different values is a conflict, and ours stays in the file;
- one removed it and the other changed it: a conflict for the whole entry (`field` None).
A removal of theirs that the merged study still refers to, or a change of theirs that refers to an entry
we removed, becomes a conflict too, so that the merged study never names what is not there. Top-level
sections that hold no entries of a kind (`cib:`) are merged whole, as kind "section".
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any, Optional

from scenmatrix.errors import a as article
from scenmatrix.study.diff import ORDER, diff_trees, entries, rename_entry, show
from scenmatrix.study.kinds import KINDS, REFERENCES, Kind
from scenmatrix.study.references import entries_of, resolves, unresolved
from scenmatrix.study.values import plain

# Top-level keys that hold entries (or conflicts); any other one is merged whole, as a "section".
ENTRY_SECTIONS = ("study", "actors", "evidence", "drivers", "constraints", "scenarios", "conflicts")
KIND_ORDER = ORDER + ("section",)
_NO_KIND = Kind("", (), {}, (), "")


@dataclass(frozen=True)
class Operation:
    """One change to make to our version: ("rename", kind, old id, {"id": new id}), ("remove", kind, id, {}),
    ("add", kind, id, fields), ("set", kind, id, {field: value, None to remove it}); kind "section" sets a
    whole top-level section ({"value": ...}, None to remove it)."""

    action: str
    kind: str
    id: str
    fields: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Conflict:
    """A field of an entry (or, `field` None, the entry itself) that the two branches changed differently.
    `ours`/`theirs` are the values (None: that side has no such field, or removed the entry)."""

    kind: str
    id: str
    field: Optional[str]
    ours: Any
    theirs: Any

    @property
    def entry(self) -> str:
        """How `resolve` and the record name the entry: 'impact S1/RU', 'study'."""
        return self.kind if self.kind == "study" else f"{self.kind} {self.id}"


@dataclass
class Merge:
    operations: list[Operation]
    conflicts: list[Conflict]
    tree: dict  # ours with the operations made: the merged study (its conflicting fields as ours has them)


def merge(ancestor: Any, ours: Any, theirs: Any) -> Merge:
    """Merge THEIR changes since the ANCESTOR into OURS (plain or round-trip trees); raise Unmergeable when
    it cannot be done entry by entry."""
    o, a, b = (copy.deepcopy(plain(t)) if isinstance(t, dict) else {} for t in (ancestor, ours, theirs))
    base = copy.deepcopy(a)
    operations, conflicts = _renames(o, a, b)
    o_entries, a_entries, b_entries = (_entries(t) for t in (o, a, b))
    for key in _sections(o, a, b):
        o_entries[key], a_entries[key], b_entries[key] = o.get(key[1]), a.get(key[1]), b.get(key[1])
    for key in _keys(o_entries, a_entries, b_entries):
        _merge_entry(key, o_entries.get(key), a_entries.get(key), b_entries.get(key), operations, conflicts)
    operations = _ordered(_orphans(operations, a_entries, conflicts))
    while True:
        tree = apply_plain(copy.deepcopy(base), operations)
        moved = _dangling(tree, operations, a_entries, b_entries)
        if moved is None:
            return Merge(operations, conflicts, tree)
        operations.remove(moved[0])
        conflicts.extend(moved[1])


def _entries(tree: dict) -> dict:
    """The entries merged one by one: a reviewer's ratings (diff's kind "rating", in `ratings:`) and the
    cross-impact model (diff's "cib", "descriptor", "variant" and "judgment", in `cib:`) are merged whole as
    sections."""
    return {key: value for key, value in entries(tree).items() if key[0] not in WHOLE_SECTIONS}


WHOLE_SECTIONS = ("rating", "cib", "descriptor", "variant", "judgment")


def _renames(o: dict, a: dict, b: dict) -> tuple[list[Operation], list[Conflict]]:
    """Their renames to make to ours, and the trees changed to the ids the merge keeps (ours where both
    renamed an entry), so that the entries of the three compare by the same ids."""
    mine = _renamed(o, a)
    theirs = _renamed(o, b)
    operations, conflicts = [], []
    for (kind, old), new in theirs.items():
        own = mine.get((kind, old))
        if own == new:
            rename_entry(o, kind, old, new)
        elif own is not None:
            conflicts.append(Conflict(kind, own, "id", own, new))
            rename_entry(o, kind, old, own)
            _rename_unless_taken(b, kind, new, own)
        elif new in entries_of(a, kind):  # our own new entry took the name they gave it
            conflicts.append(Conflict(kind, old, "id", old, new))
            rename_entry(b, kind, new, old)
        else:
            operations.append(Operation("rename", kind, old, {"id": new}))
            rename_entry(o, kind, old, new)
            rename_entry(a, kind, old, new)
    for (kind, old), own in mine.items():
        if (kind, old) not in theirs:
            rename_entry(o, kind, old, own)
            _rename_unless_taken(b, kind, old, own)
    return operations, conflicts


class Unmergeable(ValueError):
    """The two versions cannot be merged entry by entry (one renamed an entry to an id the other gave a new
    entry): the study is to be merged by hand."""


def _rename_unless_taken(tree: dict, kind: str, old: str, new: str) -> None:
    if old in entries_of(tree, kind) and new in entries_of(tree, kind):
        raise Unmergeable(f"{kind} {old} was renamed {new} on one side, and the other added {article(kind)} {new}")
    rename_entry(tree, kind, old, new)


def _renamed(old: dict, new: dict) -> dict[tuple[str, str], str]:
    # Renames within the sections merged whole (a descriptor's) are left to that section's merge.
    return {(c.kind, c.fields["id"][0]): c.id for c in diff_trees(old, new)
            if c.action == "renamed" and c.kind not in WHOLE_SECTIONS}


def _sections(*trees: dict) -> list[tuple[str, str]]:
    keys = dict.fromkeys(str(k) for t in trees for k in t if str(k) not in ENTRY_SECTIONS)
    return [("section", k) for k in keys]


def _by_reviewer(o: Any, a: Any, b: Any) -> Any:
    """`ratings:` changed on both sides, merged reviewer by reviewer (two branches that each imported a
    different reviewer keep both); None where one reviewer's ratings changed on both sides differently."""
    o, a, b = (x if isinstance(x, dict) else {} for x in (o, a, b))
    merged = dict(a)
    for name in dict.fromkeys([*a, *b, *o]):
        mine, yours, was = a.get(name), b.get(name), o.get(name)
        if yours == was or mine == yours:
            continue
        if mine != was:
            return None
        if yours is None:
            merged.pop(name, None)
        else:
            merged[name] = yours
    return merged


def _keys(*maps: dict) -> list[tuple[str, str]]:
    """Every entry of the three, kind by kind in the order of the file; within a kind ours first, then
    theirs' new ones in their order."""
    seen = dict.fromkeys(key for m in (maps[1], maps[2], maps[0]) for key in m)
    return sorted(seen, key=lambda key: KIND_ORDER.index(key[0]))  # stable: keeps ours-then-theirs


def _merge_entry(key: tuple[str, str], o: Any, a: Any, b: Any, operations: list[Operation],
                 conflicts: list[Conflict]) -> None:
    kind, eid = key
    if a == b or b == o:
        return
    if kind == "section":
        merged = b if a == o else _by_reviewer(o, a, b) if eid == "ratings" else None
        if merged is not None:
            operations.append(Operation("section", kind, eid, {"value": merged}))
        else:
            conflicts.append(Conflict(kind, eid, None, a, b))
        return
    if a == o:
        if b is None:
            operations.append(Operation("remove", kind, eid))
        elif a is None:
            operations.append(Operation("add", kind, eid, dict(b)))
        else:
            operations.append(Operation("set", kind, eid, {f: b.get(f) for f in _fields(a, b) if a.get(f) != b.get(f)}))
        return
    if a is None or b is None:
        conflicts.append(Conflict(kind, eid, None, a, b))
        return
    base = o or {}
    sets = {}
    for name in _fields(a, b):
        was, mine, yours = base.get(name), a.get(name), b.get(name)
        if mine == yours or yours == was:
            continue
        if mine == was:
            sets[name] = yours
            continue
        together = {"list": _lists, "map": _maps}.get(KINDS.get(kind, _NO_KIND).fields.get(name, ""),
                                                     lambda *_: None)(was, mine, yours)
        if together is not None:
            sets[name] = together
        else:
            conflicts.append(Conflict(kind, eid, name, mine, yours))
    if sets:
        operations.append(Operation("set", kind, eid, sets))


def _lists(was: Any, mine: Any, yours: Any) -> Optional[list]:
    """A list of ids or words both changed, merged as a set: ours, less what they took out, plus what they
    put in, in their order; None where a list repeats an item or is not a list (a conflict then)."""
    lists = [was if was is not None else [], mine, yours]
    if not all(isinstance(x, list) and all(isinstance(i, str) for i in x) and len(set(x)) == len(x) for x in lists):
        return None
    was, mine, yours = lists
    return [i for i in mine if i in yours or i not in was] + [i for i in yours if i not in was and i not in mine]


def _maps(was: Any, mine: Any, yours: Any) -> Optional[dict]:
    """A mapping both changed (evidence's contested_by), merged key by key; None where a key both changed
    differently, or one is not a mapping (a conflict then)."""
    was = was if was is not None else {}
    if not all(isinstance(x, dict) for x in (was, mine, yours)):
        return None
    out = dict(mine)
    for key in _fields(mine, yours) + [k for k in was if k not in mine and k not in yours]:
        old, new = was.get(key), yours.get(key)
        if new == old or new == mine.get(key):
            continue
        if mine.get(key) != old:
            return None
        _set(out, key, new)
    return out


def _fields(a: dict, b: dict) -> list[str]:
    return list(a) + [f for f in b if f not in a]


def _ordered(operations: list[Operation]) -> list[Operation]:
    """Renames, then additions and changes in the order of the file (a scenario before its impacts),
    then removals, last kind first (an actor's impacts before the actor), so that no step leaves a
    reference to what is not there yet or any more."""
    def rank(op: Operation) -> tuple[int, int]:
        order = KIND_ORDER.index(op.kind)
        return {"rename": (0, order), "add": (1, order), "set": (1, order), "section": (1, order),
                "remove": (2, -order)}[op.action]
    return sorted(operations, key=rank)


def _orphans(operations: list[Operation], ours: dict, conflicts: list[Conflict]) -> list[Operation]:
    """Their removal of a scenario whose impacts or indicators we keep (changed, or new) is a conflict:
    removing it would take them too."""
    removed = {(op.kind, op.id) for op in operations if op.action == "remove"}
    kept = []
    for op in operations:
        inside = [key for key in ours if key[0] in ("impact", "indicator") and key[1].startswith(op.id + "/")]
        if op.action == "remove" and op.kind == "scenario" and not set(inside) <= removed:
            conflicts.append(Conflict(op.kind, op.id, None, ours.get((op.kind, op.id)), None))
        else:
            kept.append(op)
    return kept


def _dangling(tree: dict, operations: list[Operation], ours: dict, theirs: dict
              ) -> Optional[tuple[Operation, list[Conflict]]]:
    """One operation of theirs that leaves the merged tree naming what is not there, and the conflicts it
    becomes: a removal still referred to, or an addition or change naming an entry we removed."""
    for reference in REFERENCES:
        known = entries_of(tree, reference.target)
        for loc, node in unresolved(tree, reference):
            for missing in _missing(node, reference, known):
                for op in operations:
                    if op.action == "remove" and (op.kind, op.id) == (reference.target, missing):
                        return op, [Conflict(op.kind, op.id, None, ours.get((op.kind, op.id)), None)]
                owner = _owner(loc, reference.how == "key", missing)
                for op in operations:
                    if (op.kind, op.id) == owner and op.action in ("add", "set"):
                        return op, _refused(op, ours, theirs)
    return None


def _missing(node: Any, reference: Any, known: dict) -> list[str]:
    if reference.how == "key":
        return [k for k in (node if isinstance(node, dict) else ()) if k not in known]
    if reference.how == "item":
        return [i for i in (node if isinstance(node, list) else ()) if isinstance(i, str) and i not in known]
    return [node] if not resolves(node, reference, known) and isinstance(node, str) else []


def _owner(loc: tuple, by_key: bool, missing: str) -> tuple[str, str]:
    """The entry holding a reference at loc (for a reference by key, loc is the mapping it is a key of)."""
    if loc[0] == "scenarios":
        if len(loc) > 3 and loc[2] == "impacts":
            return "impact", f"{loc[1]}/{loc[3]}"
        if by_key and len(loc) == 3 and loc[2] == "impacts":
            return "impact", f"{loc[1]}/{missing}"
        return "scenario", str(loc[1])
    kind = {"evidence": "evidence", "drivers": "driver", "constraints": "constraint"}.get(loc[0], "")
    return kind, str(loc[1]) if len(loc) > 1 else ""


def _refused(op: Operation, ours: dict, theirs: dict) -> list[Conflict]:
    key = (op.kind, op.id)
    if op.action == "add":
        return [Conflict(op.kind, op.id, None, ours.get(key), theirs.get(key))]
    mine = ours.get(key) or {}
    return [Conflict(op.kind, op.id, name, mine.get(name), value) for name, value in op.fields.items()]


# --------------------------------------------------------------------------------------------
# The operations made on a plain tree: what the file will read as once edit.team has made them.


def location(kind: str, eid: str) -> tuple[str, ...]:
    """Where an entry of a kind lives in a tree (the study's own fields: the `study` mapping)."""
    if kind == "study":
        return ("study",)
    if kind == "section":
        return (eid,)
    if kind in ("impact", "indicator"):
        scenario, _, own = eid.partition("/")
        return ("scenarios", scenario, "impacts" if kind == "impact" else "indicators", own)
    section = {"key-judgment": ("study", "key_judgments"), "source": ("study", "sources"), "actor": ("actors",),
               "evidence": ("evidence",), "driver": ("drivers",), "constraint": ("constraints",),
               "scenario": ("scenarios",)}[kind]
    return section + (eid,)


def apply_plain(tree: dict, operations: list[Operation]) -> dict:
    """The tree with the operations made (in place; returned)."""
    for op in operations:
        loc = location(op.kind, op.id)
        if op.action == "rename":
            rename_entry(tree, op.kind, op.id, op.fields["id"])
        elif op.action == "remove":
            _parent(tree, loc).pop(loc[-1], None)
        elif op.kind == "section":
            _set(tree, loc[-1], op.fields["value"])
        elif op.kind == "key-judgment":
            _parent(tree, loc)[loc[-1]] = op.fields["text"]
        else:
            parent = _parent(tree, loc) if op.kind != "study" else tree
            entry = parent.setdefault(loc[-1], {})
            for name, value in op.fields.items():
                _set(entry, name, value)
    return tree


def _parent(tree: dict, loc: tuple[str, ...]) -> dict:
    node = tree
    for key in loc[:-1]:
        if not isinstance(node.get(key), dict):
            node[key] = {}
        node = node[key]
    return node


def _set(mapping: dict, key: str, value: Any) -> None:
    if value is None:
        mapping.pop(key, None)
    else:
        mapping[key] = value


# --------------------------------------------------------------------------------------------
# Conflicts as the study records them (`conflicts:`, study.model.Conflict) and `validate` reports them.


def record(conflict: Conflict, ours_branch: Optional[str] = None, theirs_branch: Optional[str] = None) -> dict:
    """The conflict as an item of the study's `conflicts:` list (a value None is left out)."""
    fields = {"entry": conflict.entry, "field": conflict.field, "ours": conflict.ours, "theirs": conflict.theirs,
              "ours_branch": ours_branch, "theirs_branch": theirs_branch}
    return {name: value for name, value in fields.items() if value is not None}


def described(item: Any) -> tuple[str, str]:
    """The message and hint `validate` gives for a recorded conflict (a plain mapping)."""
    item = item if isinstance(item, dict) else {}
    entry, name = str(item.get("entry", "?")), item.get("field")

    def side(which: str) -> str:
        branch = item.get(f"{which}_branch")
        label = f"{which} ({branch})" if branch else which
        value = item.get(which)
        if name is None:
            return f"{label} removed it" if value is None else f"{label} changed it"
        return f"{label} {'(none)' if value is None else show(value, str(name))}"

    where = f"{entry} {name}" if name else entry
    hint = (f"settle it with `scenmatrix resolve --ours|--theirs {entry}`, or edit the study and remove this "
            "record")
    return f"conflict: {where}: {side('ours')}, {side('theirs')}", hint
