"""Semantic diff of two versions of a study: entries added and removed, and each changed field.

Works on the parsed YAML, not the validated model, so that an older revision that no longer
validates can still be compared. Ids name entries: an impact is SCENARIO/ACTOR, an indicator
SCENARIO/ID; the cross-impact model's entries as the edit commands name them, a variant
DESCRIPTOR.VARIANT and a judgment by its cell, SOURCE TARGET. An entry whose id changed (`scenmatrix
rename`, or by hand) is one rename, not a removal and an addition: its references are followed
(kinds.REFERENCES), so an actor's impacts are not listed as removed and added again, nor the judgments
of a descriptor or variant.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterator

from scenmatrix.study.kinds import KINDS
from scenmatrix.study.references import entries_of, references_to
from scenmatrix.study.values import plain

# Kinds in the order a reader meets them in the file.
ORDER = ("study", "key-judgment", "source", "actor", "evidence", "driver", "constraint", "scenario",
         "indicator", "impact", "rating", "cib", "descriptor", "variant", "judgment")


@dataclass
class Change:
    """One entry that was added, removed or changed; `fields` maps a field to (old, new)."""

    kind: str
    id: str
    action: str  # "added" | "removed" | "changed" | "renamed" (fields: {"id": (old id, new id)})
    fields: dict[str, tuple[Any, Any]] = field(default_factory=dict)
    references: int = 0  # of a rename: how many references to the entry were renamed with it

    def to_json(self) -> dict[str, Any]:
        out = {"kind": self.kind, "id": self.id, "action": self.action,
               "fields": {name: {"old": old, "new": new} for name, (old, new) in self.fields.items()}}
        return {**out, "references": self.references} if self.action == "renamed" else out


# The kinds a rename is found for: those with ids of their own that others may refer to.
# A descriptor is renamed before its variants: renaming it renames them, which are then compared.
RENAMED_KINDS = ("key-judgment", "source", "actor", "evidence", "driver", "constraint", "scenario", "descriptor",
                 "variant")


def diff_trees(old: Any, new: Any) -> list[Change]:
    """Changes from the old tree to the new one, kind by kind, in the order of the files: renames first,
    then what was added, changed and removed once the renames are taken into account."""
    old, new = plain(old), plain(new)
    renames = _renames(old, new)
    return renames + _changes(entries(old), entries(new))


def _renames(old: dict, new: Any) -> list[Change]:
    """Entries removed under one id and added under another with the same fields (or, failing that, the
    same title or name, or the same fields but that), one to one; `old` is changed to use the new ids,
    references included."""
    out = []
    listed = entries(new)  # once: only the old tree changes as renames are found
    for kind in RENAMED_KINDS:
        before, after = _renamable(old, kind, entries(old)), _renamable(new, kind, listed)
        gone = {eid: v for eid, v in before.items() if eid not in after}
        came = {eid: v for eid, v in after.items() if eid not in before}
        # by descriptor, for variants: a rename keeps a variant in its descriptor
        for owner in dict.fromkeys(_owner(kind, eid) for eid in gone):
            mine = {eid: v for eid, v in gone.items() if _owner(kind, eid) == owner}
            for old_id, new_id in _pairs(mine, {eid: v for eid, v in came.items() if _owner(kind, eid) == owner},
                                         KINDS[kind].label):
                out.append(Change(kind, new_id, "renamed", {"id": (old_id, new_id)},
                                  rename_entry(old, kind, old_id, new_id)))
    return out


def _renamable(tree: Any, kind: str, listed: dict) -> dict[str, Any]:
    """The entries of a kind compared to find renames: a descriptor with its variants (a renamed one keeps
    them, whatever its title), the others as `entries` has them."""
    if kind == "descriptor":
        return {str(did): _fields(d) for did, d in _map(_map(_map(tree).get("cib")).get("descriptors")).items()}
    return {eid: value for (k, eid), value in listed.items() if k == kind}


def _owner(kind: str, eid: str) -> str:
    """The descriptor a variant's id names (`iran-support` of `iran-support.none`); "" of other kinds."""
    return eid.rpartition(".")[0] if kind == "variant" else ""


def _pairs(gone: dict[str, dict], came: dict[str, dict], label: str) -> list[tuple[str, str]]:
    def but_label(entry: dict) -> dict:
        return {f: v for f, v in entry.items() if f != label}

    for same in (lambda a, b: a == b, lambda a, b: a.get(label) is not None and a.get(label) == b.get(label),
                 lambda a, b: len(but_label(a)) > 0 and but_label(a) == but_label(b)):
        pairs = [(o, n) for o, a in gone.items() for n, b in came.items() if same(a, b)]
        olds, news = [o for o, _ in pairs], [n for _, n in pairs]
        unique = [(o, n) for o, n in pairs if olds.count(o) == 1 and news.count(n) == 1]
        if unique:
            return unique + _pairs({o: v for o, v in gone.items() if o not in dict(unique)},
                                   {n: v for n, v in came.items() if n not in set(dict(unique).values())}, label)
    return []


def rename_entry(tree: dict, kind: str, old_id: str, new_id: str) -> int:
    """Rename an entry of a plain tree and every reference to it, keeping the order of keys; return how
    many references were renamed. A descriptor's references are its variants' (`D.V` becomes `NEW.V`)."""
    if kind == "descriptor":
        variants = _map(_map(entries_of(tree, "descriptor").get(old_id)).get("variants"))
        count = sum(_rename_references(tree, "variant", f"{old_id}.{v}", f"{new_id}.{v}") for v in variants)
        _rename_key(entries_of(tree, kind), old_id, new_id)
        return count
    if kind == "variant":
        descriptor, _, variant = old_id.rpartition(".")
        count = _rename_references(tree, kind, old_id, new_id)
        _rename_key(_map(_map(entries_of(tree, "descriptor").get(descriptor)).get("variants")), variant,
                    new_id.rpartition(".")[2])
        return count
    count = _rename_references(tree, kind, old_id, new_id)
    _rename_key(entries_of(tree, kind), old_id, new_id)
    return count


def _rename_references(tree: dict, kind: str, old_id: str, new_id: str) -> int:
    refs = references_to(tree, kind, old_id)
    for loc, how in refs:
        parent = _at(tree, loc[:-1])
        if how == "key":
            _rename_key(parent, loc[-1], new_id)
        else:
            parent[loc[-1]] = new_id
    return len(refs)


def _at(tree: Any, loc: tuple) -> Any:
    for key in loc:
        tree = tree[key]
    return tree


def _rename_key(mapping: dict, old: Any, new: Any) -> None:
    items = [(new if k == old else k, v) for k, v in mapping.items()]
    mapping.clear()
    mapping.update(items)


def _changes(before: dict, after: dict) -> list[Change]:
    changes: list[Change] = []
    for kind in ORDER:
        old_entries = {eid: value for (k, eid), value in before.items() if k == kind}
        new_entries = {eid: value for (k, eid), value in after.items() if k == kind}
        for eid, value in new_entries.items():
            if eid not in old_entries:
                changes.append(Change(kind, eid, "added", {f: (None, v) for f, v in value.items()}))
            elif old_entries[eid] != value:
                keys = list(old_entries[eid]) + [f for f in value if f not in old_entries[eid]]
                changed = {f: (old_entries[eid].get(f), value.get(f)) for f in keys
                           if old_entries[eid].get(f) != value.get(f)}
                changes.append(Change(kind, eid, "changed", changed))
        for eid, value in old_entries.items():
            if eid not in new_entries:
                changes.append(Change(kind, eid, "removed", {f: (v, None) for f, v in value.items()}))
    return changes


def to_json(changes: list[Change]) -> dict[str, Any]:
    counts = {action: sum(c.action == action for c in changes) for action in ("added", "removed", "changed", "renamed")}
    return {**counts, "changes": [c.to_json() for c in changes]}


def to_text(changes: list[Change]) -> str:
    """One line an entry: `+ actor IL: name Israel`, `- evidence E9`, `~ impact S1/RU: effect +2 → +3`; a
    judgment is its value, signed as an effect is: `~ judgment A.x B.y: +1 → +2`."""
    lines = []
    for c in changes:
        mark = {"added": "+", "removed": "-", "changed": "~", "renamed": "~"}[c.action]
        head = f"{mark} {c.kind} {c.id}" if c.id else f"{mark} {c.kind}"
        if c.action == "renamed":
            followed = f", and {c.references} reference{'s' if c.references != 1 else ''} to it" if c.references else ""
            lines.append(f"{mark} {c.kind} {c.fields['id'][0]} → {c.id}: renamed{followed}")
            continue
        signed = "effect" if c.kind == "judgment" else None  # judgments are signed, as effects are
        if c.kind == "judgment" and set(c.fields) == {"value"}:  # a cell is its value: no field to name
            old, new = c.fields["value"]
            details = {"changed": f"{show(old, 'effect')} → {show(new, 'effect')}", "added": show(new, "effect")}
            lines.append(f"{head}: {details[c.action]}" if c.action in details else head)
            continue
        if c.action == "changed":
            details = "; ".join(f"{f}: {show(old, signed or f)} → {show(new, signed or f)}"
                                for f, (old, new) in c.fields.items())
        elif c.action == "added":
            details = ", ".join(f"{f} {show(new, signed or f)}" for f, (_, new) in c.fields.items())
        else:
            details = ""
        lines.append(f"{head}: {details}" if details else head)
    return "\n".join(lines) + ("\n" if lines else "")


def show(value: Any, name: str = "") -> str:
    """A value as one short line: `+2` for an effect, lists in brackets, long text cut."""
    if value is None:
        return "(none)"
    if name == "effect" and isinstance(value, int) and not isinstance(value, bool):
        return f"{value:+d}"
    if isinstance(value, list):
        return "[" + ", ".join(show(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {show(v)}" for k, v in value.items()) + "}"
    text = str(value)
    if isinstance(value, str) and (not text or " " in text or "→" in text):
        text = repr(text)
    return text if len(text) <= 80 else text[:77] + "..."


def entries(tree: Any) -> dict[tuple[str, str], dict[str, Any]]:
    """Every entry of a tree as (kind, id) -> its plain fields, in the order of the file."""
    return {(kind, eid): fields for kind, eid, fields in _walk(tree)}


def _walk(tree: Any) -> Iterator[tuple[str, str, dict[str, Any]]]:
    tree = _map(tree)
    info = _map(tree.get("study"))
    yield "study", "", {k: plain(v) for k, v in info.items() if k not in ("sources", "key_judgments")}
    for kid, text in _map(info.get("key_judgments")).items():
        yield "key-judgment", str(kid), {"text": plain(text)}
    for sid, source in _map(info.get("sources")).items():
        yield "source", str(sid), _fields(source)
    for kind, section in (("actor", "actors"), ("evidence", "evidence"), ("driver", "drivers"),
                          ("constraint", "constraints")):
        for eid, entry in _map(tree.get(section)).items():
            yield kind, str(eid), _fields(entry)
    for sid, scenario in _map(tree.get("scenarios")).items():
        scenario = _map(scenario)
        yield "scenario", str(sid), {k: plain(v) for k, v in scenario.items() if k not in ("impacts", "indicators")}
        for iid, indicator in _map(scenario.get("indicators")).items():
            yield "indicator", f"{sid}/{iid}", _fields(indicator)
        for aid, impact in _map(scenario.get("impacts")).items():
            yield "impact", f"{sid}/{aid}", _fields(impact)
    for name, scenarios in _map(tree.get("ratings")).items():  # a reviewer's ratings of one scenario
        for sid, rating in _map(scenarios).items():
            yield "rating", f"{name}/{sid}", _fields(rating)
    cib = _map(tree.get("cib"))
    if cib:  # the cross-impact model: its note, each descriptor, each variant, each judgment (one cell)
        yield "cib", "", {k: plain(v) for k, v in cib.items() if k not in ("descriptors", "judgments")}
    for did, descriptor in _map(cib.get("descriptors")).items():
        fields = _fields(descriptor)
        variants = fields.get("variants")
        if not isinstance(variants, dict):  # not a mapping (an invalid file): compared as the field it is
            yield "descriptor", str(did), fields
            continue
        yield "descriptor", str(did), {f: v for f, v in fields.items() if f != "variants"}
        for vid, title in variants.items():
            yield "variant", f"{did}.{vid}", _fields(title) if isinstance(title, dict) else {"title": plain(title)}
    for source, row in _map(cib.get("judgments")).items():
        if not isinstance(row, dict):  # an invalid row: compared whole
            yield "judgment", str(source), _fields(row)
            continue
        for target, value in row.items():
            yield "judgment", f"{source} {target}", {"value": plain(value)}


def _fields(entry: Any) -> dict[str, Any]:
    return {str(k): plain(v) for k, v in entry.items()} if isinstance(entry, dict) else {"value": plain(entry)}


def _map(node: Any) -> dict:
    return node if isinstance(node, dict) else {}


def change_rows(changes: list[Change]) -> list[tuple[str, str, str, str, str, str]]:
    """One row a changed field, with whole values as text: (change, kind, id, field, before, after)."""
    return [(c.action, c.kind, c.id, name, _cell(old), _cell(new))
            for c in changes for name, (old, new) in (c.fields or {"": (None, None)}).items()]


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return "; ".join(_cell(v) for v in value)
    if isinstance(value, dict):
        return "\n".join(f"{k}: {_cell(v)}" for k, v in value.items())
    return str(value)
