"""Edits of a study file that keep everything they do not touch, byte for byte.

Each edit works in two layers. The round-trip tree (ruamel) is changed as the truth of what the
study must become. The file's text is changed by small patches at the exact positions of the nodes
involved (a scalar's span, an entry's lines with its own comments), so comments, quoting, blank
lines and spellings such as `+2` elsewhere are never re-emitted. The patched text is parsed again
and must equal the changed tree; if it does not (an unusual layout the patcher does not know), the
tree is dumped instead. Then the result is validated like `scenmatrix validate` (quickcheck.py
first, which answers "valid" without pydantic) and written atomically under the study's lock, or
refused with the positioned problems and the file untouched.

An edit starts from the parse the previous edit left in the parse cache (cache.cached_parse), kept
for the exact text it wrote: the tree, and the node graph built from the old one and the parses of
the regions it changed, with every position moved to where it now is (skeleton.rebased).

    from scenmatrix.edit import api as edit
    edit.new_study("scenarios/x.yaml", "Title")
    edit.add("scenarios/x.yaml", "actor", "RU", {"name": "Russia", "kind": "state"})
    edit.set_fields("scenarios/x.yaml", "impact", "S1/RU", {"effect": -3})
    edit.rename("scenarios/x.yaml", "actor", "RU", "RUS")       # and every reference to it
    edit.remove("scenarios/x.yaml", "evidence", "E4", cascade=True)

Every function returns the unified diff of the change; with `dry_run=True` nothing is written.
"""

from __future__ import annotations

import datetime as dt
import difflib
import io
import os
import sys
import re
from pathlib import Path
from typing import Any, Iterable, Mapping, NamedTuple, Optional

from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.nodes import MappingNode, ScalarNode, SequenceNode
from ruamel.yaml.scalarstring import DoubleQuotedScalarString, ScalarString, SingleQuotedScalarString

from scenmatrix.store import quickcheck
from scenmatrix.edit import skeleton
from scenmatrix.store import document
from scenmatrix.store import cache
from scenmatrix.store import files
from scenmatrix.study import values
from scenmatrix.study.kinds import KINDS, Kind, kind_named
from scenmatrix.errors import Problem, StudyError, did_you_mean

# The code whose output the parse cache keeps: a cached parse is used only by the very same modules.
PARSE_MAKERS = (document, skeleton, sys.modules[__name__])

__all__ = ["new_study", "add", "set_fields", "apply", "remove", "rename", "references", "entries", "entry_path",
           "kind_of", "KINDS"]

Loc = tuple[Any, ...]
_MISSING = object()
_RAISE = object()


# How the last edit was written: "text" (patched in place) or "tree" (dumped), how the patched text
# was proven to read as intended: "regions" (small parses) or "parse" (the whole text), and where the
# study's parse came from: "cache" (cache.cached_parse) or "parse"; tests read them.
last_render = ""
last_proof = ""
last_source = ""


class _NoText(Exception):
    """The text patcher cannot express this change; the tree will be dumped instead."""


class _NoCachedDump(Exception):
    """The tree is to be dumped, but came from the parse cache, where comments next to the entries an
    earlier edit changed may be held elsewhere than a parse of the file holds them: parse again."""


# --------------------------------------------------------------------------------------------
# Public API


def new_study(path: Path | str, title: str, *, id: Optional[str] = None, as_of: dt.date | str | None = None,
              marking: str = "TLP:CLEAR", dry_run: bool = False) -> str:
    """Create a valid, empty study at PATH (refusing to overwrite one); return its text as a diff."""
    path = Path(path)
    study_id = id or path.stem
    as_of = as_of or dt.date.today()
    if isinstance(as_of, str):
        as_of = _coerce_date(as_of)
    study = CommentedMap([("id", study_id), ("title", _styled_like(title, None)), ("as_of", as_of),
                          ("marking", marking), ("sources", _flow_map()), ("key_judgments", _flow_map())])
    text = document.SCHEMA_LINE + "\n" + _dump(CommentedMap([("study", study)]))
    text += "".join(f"\n{section}: {{}}\n" for section in ("actors", "evidence", "drivers", "constraints", "scenarios"))
    tree, _ = _parse(text)
    _validate(path, None, text, tree)
    diff = _diff(path, "", text)
    if dry_run:
        return diff
    path.parent.mkdir(parents=True, exist_ok=True)
    with files.locked(path):
        if path.exists():
            raise StudyError([Problem(str(path), 1, 1, "exists", "a file already exists here",
                                      "pick another path, or edit this study with `scenmatrix add`")])
        files.write_study(path, text)
    return diff


def add(path: Path | str, kind: str, id: Optional[str] = None, fields: Optional[Mapping[str, Any]] = None, *,
        scenario: Optional[str] = None, actor: Optional[str] = None, dry_run: bool = False) -> str:
    """Add an entry at the end of its section, styled like its siblings.

    `kind` is one of KINDS (actor, scenario, impact, indicator, evidence, driver, constraint,
    key-judgment, source). An impact's id is "SCENARIO/ACTOR" (or give scenario= and actor=); an
    indicator needs scenario= (or "SCENARIO/ID"). A key judgment's only field is "text".
    """
    return _edit(path, _adding(kind, id, fields, scenario, actor), dry_run)


def _adding(kind: str, id: Optional[str], fields: Optional[Mapping[str, Any]], scenario: Optional[str],
            actor: Optional[str]):
    k = kind_of(kind)
    values = _coerce_fields(k, fields or {})
    _check_names(k, id, scenario, actor, new=True)

    def change(s: _Session) -> None:
        loc = entry_path(s.tree, k, id, scenario=scenario, actor=actor, existing=False)
        if k.name in ("impact", "indicator") and not isinstance(s.get(loc[:2], None), dict):
            raise s.unknown(loc[:2], "scenario")
        if s.get(loc, _MISSING) is not _MISSING:
            raise StudyError([s.problem(loc, "exists", f"{_dotted(loc)} already exists",
                                        f"change it with `scenmatrix set {k.name} {_show_id(k, loc)}`", key=True)])
        s.insert(loc, _new_value(s, k, values))

    return change


def set_fields(path: Path | str, kind: str, id: Optional[str] = None, fields: Optional[Mapping[str, Any]] = None, *,
               scenario: Optional[str] = None, actor: Optional[str] = None, dry_run: bool = False) -> str:
    """Change fields of an existing entry; a field set to None is removed."""
    return _edit(path, _setting(kind, id, fields, scenario, actor), dry_run)


def apply(path: Path | str, operations: Iterable[tuple[str, str, str, Mapping[str, Any]]], *,
          dry_run: bool = False) -> str:
    """Several adds and sets as ONE edit: one lock, one validation, one atomic write (or none).

    Each operation is ("add" | "set", kind, id, fields), with ids as for `add` and `set_fields`.
    """
    factories = {"add": _adding, "set": _setting}
    changes = [factories[op](kind, id, fields, None, None) for op, kind, id, fields in operations]
    if not changes:
        return ""

    def change(s: _Session) -> None:
        for one in changes:
            one(s)

    return _edit(path, change, dry_run)


def _setting(kind: str, id: Optional[str], fields: Optional[Mapping[str, Any]], scenario: Optional[str],
             actor: Optional[str]):
    k = kind_of(kind)
    values = _coerce_fields(k, fields or {})
    if not values:
        raise ValueError("nothing to change: give at least one field")
    _check_names(k, id, scenario, actor)

    def change(s: _Session) -> None:
        loc = entry_path(s.tree, k, id, scenario=scenario, actor=actor)
        s.require(loc, k)
        if k.scalar:
            if values.get("text") is None:
                raise ValueError(f"a {k.name} is its text; remove it with `scenmatrix rm` instead")
            s.set(loc, _styled_like(values["text"], s.get(loc)))
            return
        entry = s.get(loc)
        if not isinstance(entry, dict):
            raise StudyError([s.problem(loc, "structure", f"{_dotted(loc)} is not a mapping of fields")])
        for field, value in values.items():
            if value is None:
                if field in entry:
                    s.delete(loc + (field,))
            else:
                like = entry.get(field, _sibling_field(s, k, field))
                s.set(loc + (field,), _styled_like(value, like))

    return change


def remove(path: Path | str, kind: str, id: Optional[str] = None, *, scenario: Optional[str] = None,
           actor: Optional[str] = None, cascade: bool = False, dry_run: bool = False) -> str:
    """Remove an entry. If other entries refer to it, refuse with their positions unless cascade=True,
    which removes those references too (an actor's impacts, an evidence id from lists, ...)."""
    k = kind_of(kind)
    _check_names(k, id, scenario, actor)

    def change(s: _Session) -> None:
        loc = entry_path(s.tree, k, id, scenario=scenario, actor=actor)
        s.require(loc, k)
        refs = _references(s.tree, k, loc[-1])
        if refs and not cascade:
            name = f"{k.name} {loc[-1]!r}"
            raise StudyError([
                s.problem(ref, "referenced", f"{_dotted(ref)} refers to {name}",
                          "remove or change the reference first, or pass --cascade to remove the references too",
                          key=how == "key")
                for ref, how in refs])
        for ref, how in refs:
            s.delete(ref)
        s.delete(loc)

    return _edit(path, change, dry_run)


def rename(path: Path | str, kind: str, old: str, new: str, *, scenario: Optional[str] = None,
           dry_run: bool = False) -> str:
    """Change an entry's id and every reference to it, keeping its place in the file."""
    k = kind_of(kind)
    if k.name == "impact":
        raise ValueError("an impact is named by its scenario and actor: rename the scenario or the actor")
    _check_names(k, old, scenario, None)
    if not new:
        raise ValueError("give the new id")

    def change(s: _Session) -> None:
        loc = entry_path(s.tree, k, old, scenario=scenario)
        s.require(loc, k)
        target = loc[:-1] + (new,)
        if new == loc[-1]:
            return
        if s.get(target, _MISSING) is not _MISSING or (k.name == "indicator" and _indicator_scenario(s.tree, new)):
            where = target if s.get(target, _MISSING) is not _MISSING else ("scenarios", _indicator_scenario(s.tree, new),
                                                                          "indicators", new)
            raise StudyError([s.problem(where, "exists", f"{_dotted(where)} already exists", "pick another id", key=True)])
        for ref, how in _references(s.tree, k, loc[-1]):
            if how == "key":
                s.rename_key(ref, new)
            else:
                s.set(ref, _styled_like(new, s.get(ref)))
        s.rename_key(loc, new)

    return _edit(path, change, dry_run)


def references(path: Path | str, kind: str, id: str) -> list[Problem]:
    """Where other entries refer to this one, as positioned problems (empty when nothing does)."""
    k = kind_of(kind)
    s = _Session(Path(path), files.read_text(Path(path)))
    return [s.problem(ref, "referenced", f"{_dotted(ref)} refers to {k.name} {id!r}", key=how == "key")
            for ref, how in _references(s.tree, k, id)]


def entries(path_or_tree: Any, kind: str) -> list[dict[str, Any]]:
    """The entries of a kind as plain JSON-ready rows ({"id": ..., fields...}), read without validation."""
    k = kind_of(kind)
    tree = path_or_tree
    if isinstance(path_or_tree, (str, Path)):
        path = Path(path_or_tree)
        text = files.read_text(path)
        document._conflict_marker(path, text)  # as document.parse would
        hit = cache.cached_parse(path, text, PARSE_MAKERS)
        tree = hit[0] if hit is not None else document.parse(path, text).tree
    rows = []
    for loc, value in _walk_entries(tree, k):
        row: dict[str, Any] = {"id": _show_id(k, loc)}
        if k.name in ("impact", "indicator"):
            row["scenario"] = loc[1]
        if k.name == "impact":
            row["actor"] = loc[-1]
        if k.scalar:
            row["text"] = values.plain(value)
        elif isinstance(value, dict):
            row.update({str(key): values.plain(v) for key, v in value.items()})
        rows.append(row)
    return rows


def kind_of(name: str) -> Kind:
    kind = kind_named(name)
    if kind is None:
        hint = did_you_mean(name, KINDS) or "one of: " + ", ".join(KINDS)
        raise ValueError(f"unknown kind of entry {name!r} ({hint})")
    return kind


def _check_names(kind: Kind, id: Optional[str], scenario: Optional[str], actor: Optional[str],
                 new: bool = False) -> None:
    """Mistakes in how an entry is named, caught before the study is read."""
    if kind.name == "impact":
        parts = [p for p in ((id or "").split("/", 1) if id and "/" in id else [id, scenario, actor]) if p]
        if len(parts) < 2:
            raise ValueError("an impact is named SCENARIO/ACTOR (or give --scenario and --actor)")
    elif not id:
        raise ValueError(f"give the {kind.name}'s id")
    elif kind.name == "indicator" and new and "/" not in id and not scenario:
        raise ValueError("a new indicator needs its scenario: --scenario ID (or SCENARIO/ID)")


def entry_path(tree: Any, kind: Kind, id: Optional[str], *, scenario: Optional[str] = None,
               actor: Optional[str] = None, existing: bool = True) -> Loc:
    """Where an entry of this kind and id lives in the tree, as a tuple of keys."""
    if kind.name == "impact":
        if id and "/" in id:
            scenario, actor = id.split("/", 1)
        elif id:
            if scenario and not actor:
                actor = id
            elif actor and not scenario:
                scenario = id
        if not scenario or not actor:
            raise ValueError("an impact is named SCENARIO/ACTOR (or give --scenario and --actor)")
        return ("scenarios", scenario, "impacts", actor)
    if kind.name == "indicator":
        if id and "/" in id:
            scenario, id = id.split("/", 1)
        if not id:
            raise ValueError("give the indicator's id")
        if scenario is None:
            scenario = _indicator_scenario(tree, id)
            if scenario is None:
                if existing:
                    return ("scenarios", "?", "indicators", id)
                raise ValueError("a new indicator needs its scenario: --scenario ID (or SCENARIO/ID)")
        return ("scenarios", scenario, "indicators", id)
    if not id:
        raise ValueError(f"give the {kind.name}'s id")
    return kind.section + (id,)


# --------------------------------------------------------------------------------------------
# Fields: from strings and plain values to tree values styled like the file


def _coerce_fields(kind: Kind, fields: Mapping[str, Any]) -> dict[str, Any]:
    out = {}
    for field, value in fields.items():
        field = field.replace("-", "_")
        ftype = kind.fields.get(field)
        if ftype is None:
            hint = did_you_mean(field, kind.fields) or "fields: " + ", ".join(kind.fields)
            raise ValueError(f"a {kind.name} has no field {field!r} ({hint})")
        out[field] = _coerce(ftype, field, value)
    return out


def _coerce(ftype: str, field: str, value: Any) -> Any:
    """Strings from the command line to the type the field holds; what does not convert is left for
    validation to report with its position."""
    if value is None:
        return None
    if ftype == "int" and isinstance(value, str):
        try:
            return int(value.strip())
        except ValueError:
            return value
    if ftype == "date" and isinstance(value, str):
        return _coerce_date(value)
    if ftype == "list":
        if isinstance(value, str):
            value = [value]
        items: list[Any] = []
        for item in value:
            if isinstance(item, str) and field != "aliases":
                items += [part.strip() for part in item.split(",") if part.strip()]
            else:
                items.append(item)
        return items
    if ftype == "map":
        if isinstance(value, Mapping):
            return dict(value)
        pairs = {}
        for item in [value] if isinstance(value, str) else value:
            key, sep, text = str(item).partition("=")
            if not sep:
                raise ValueError(f"{field}: expected ID=TEXT, got {item!r}")
            pairs[key.strip()] = text.strip()
        return pairs
    return value


def _coerce_date(value: str) -> Any:
    try:
        return dt.date.fromisoformat(value.strip())
    except ValueError:
        return value


def _new_value(s: "_Session", kind: Kind, values: dict[str, Any]) -> Any:
    sibling = _sibling(s, kind)
    if kind.scalar:
        text = values.get("text")
        return _styled_like(text, sibling) if text is not None else None
    order = [f for f in (sibling if isinstance(sibling, dict) else {}) if f in kind.fields]
    order += [f for f in kind.fields if f not in order]
    entry = CommentedMap()
    for field in order:
        if values.get(field) is not None:
            like = sibling.get(field) if isinstance(sibling, dict) else None
            entry[field] = _styled_like(values[field], like if like is not None else _sibling_field(s, kind, field))
    return entry


def _sibling(s: "_Session", kind: Kind) -> Any:
    """The last existing entry of this kind, whose style new entries copy."""
    found = list(_walk_entries(s.tree, kind))
    return found[-1][1] if found else None


def _sibling_field(s: "_Session", kind: Kind, field: str) -> Any:
    for _, value in reversed(list(_walk_entries(s.tree, kind))):
        if isinstance(value, dict) and field in value:
            return value[field]
    return None


def _styled_like(value: Any, like: Any) -> Any:
    """A value for the tree, quoted or laid out (flow/block) the way `like` is in the file."""
    if isinstance(value, str) and not isinstance(value, ScalarString):
        if "\x85" in value:  # ruamel writes NEL raw in plain or single-quoted text, where YAML reads a space
            return DoubleQuotedScalarString(value)  # "\N"
        if isinstance(like, (DoubleQuotedScalarString, SingleQuotedScalarString)):
            return type(like)(value)
        if isinstance(like, ScalarString) and "\n" in value:
            return type(like)(value)
        return value
    if isinstance(value, (list, tuple)):
        seq = CommentedSeq(_styled_like(v, like[0] if isinstance(like, list) and like else None) for v in value)
        if isinstance(like, CommentedSeq) and not like.fa.flow_style():
            seq.fa.set_block_style()
        else:
            seq.fa.set_flow_style()
        return seq
    if isinstance(value, Mapping) and not isinstance(value, CommentedMap):
        sample = next(iter(like.values()), None) if isinstance(like, dict) else None
        out = CommentedMap((k, _styled_like(v, sample)) for k, v in value.items())
        if isinstance(like, CommentedMap) and like.fa.flow_style():
            out.fa.set_flow_style()
        return out
    return value


def _flow_map() -> CommentedMap:
    out = CommentedMap()
    out.fa.set_flow_style()
    return out


# --------------------------------------------------------------------------------------------
# Entries and references, on the tree


def _walk_entries(tree: Any, kind: Kind) -> Iterable[tuple[Loc, Any]]:
    if not isinstance(tree, dict):
        return
    if kind.section[:2] == ("scenarios", "*"):
        for sid, scenario in _map(tree.get("scenarios")).items():
            for eid, value in _map(_map(scenario).get(kind.section[2])).items():
                yield ("scenarios", sid, kind.section[2], eid), value
        return
    node: Any = tree
    for part in kind.section:
        node = _map(node).get(part)
    for eid, value in _map(node).items():
        yield kind.section + (eid,), value


def _map(node: Any) -> dict:
    return node if isinstance(node, dict) else {}


def _list(node: Any) -> list:
    return node if isinstance(node, list) else []


def _indicator_scenario(tree: Any, iid: str) -> Optional[str]:
    for sid, scenario in _map(_map(tree).get("scenarios")).items():
        if iid in _map(_map(scenario).get("indicators")):
            return sid
    return None


def _references(tree: Any, kind: Kind, id: str) -> list[tuple[Loc, str]]:
    """(location, how) of every reference to an entry: how is "key" (an impact or a contested_by
    entry keyed by an actor), "item" (an id in a list) or "value" (a field holding the id)."""
    refs: list[tuple[Loc, str]] = []
    scenarios = _map(_map(tree).get("scenarios"))
    if kind.name == "actor":
        for sid, scenario in scenarios.items():
            if id in _map(_map(scenario).get("impacts")):
                refs.append((("scenarios", sid, "impacts", id), "key"))
        for eid, item in _map(tree.get("evidence")).items():
            if id in _map(_map(item).get("contested_by")):
                refs.append((("evidence", eid, "contested_by", id), "key"))
    elif kind.name == "evidence":
        for section in ("drivers", "constraints"):
            for fid, factor in _map(tree.get(section)).items():
                refs += _items((section, fid, "evidence"), _map(factor).get("evidence"), id)
        for sid, scenario in scenarios.items():
            for aid, impact in _map(_map(scenario).get("impacts")).items():
                refs += _items(("scenarios", sid, "impacts", aid, "evidence"), _map(impact).get("evidence"), id)
    elif kind.name in ("driver", "constraint"):
        for sid, scenario in scenarios.items():
            refs += _items(("scenarios", sid, kind.section[0]), _map(scenario).get(kind.section[0]), id)
    elif kind.name == "source":
        for eid, item in _map(tree.get("evidence")).items():
            if _map(item).get("cited_in") == id:
                refs.append((("evidence", eid, "cited_in"), "value"))
    return refs


def _items(loc: Loc, values: Any, id: str) -> list[tuple[Loc, str]]:
    return [(loc + (index,), "item") for index, value in enumerate(_list(values)) if value == id]


# --------------------------------------------------------------------------------------------
# The edit transaction


def _edit(path: Path | str, change, dry_run: bool) -> str:
    path = Path(path)
    if not path.is_file():
        files.read_text(path)  # raises the positioned "no such file" / "is a folder" problem
    with files.locked(path):
        text = files.read_text(path)
        session = _Session(path, text)
        change(session)
        try:
            new_text, new_tree, exact = session.render()
        except _NoCachedDump:
            session = _Session(path, text, cached=False)
            change(session)
            new_text, new_tree, exact = session.render()
        if new_text == text:
            return ""
        _validate(path, text, new_text, new_tree, exact)
        diff = _diff(path, text, new_text)
        if not dry_run:
            files.write_study(path, new_text)
            session.cache(new_text)
    return diff


def _validate(path: Path, old_text: Optional[str], new_text: str, new_tree: Any, exact: bool = True) -> None:
    """Refuse a result with problems the study did not already have (an edit may still touch a
    study that was invalid before, as long as it adds no problem of its own).

    `new_tree` is what `new_text` reads as; when not `exact`, its positions are those of the text
    before the edit, so problems (rare: a refused edit) are found again on a fresh parse of the text
    to report them where they are.

    quickcheck answers first: it finds a valid study valid without importing pydantic."""
    if quickcheck.valid(new_tree):
        if CROSS_CHECK:
            _cross_check_valid(path, new_text, new_tree)
        return
    from scenmatrix.store.checks import validate_document

    _, problems = validate_document(document.Document(path, new_text, new_tree))
    if not problems:
        return
    if not exact:
        _, problems = validate_document(document.Document(path, new_text, _parse(new_text)[0]))
    if old_text is not None:
        _, before = validate_document(document.parse(path, old_text))
        known = {(p.code, p.message) for p in before}
        problems = [p for p in problems if (p.code, p.message) not in known]
    if problems:
        raise StudyError(problems)


def _cross_check_valid(path: Path, text: str, tree: Any) -> None:
    from scenmatrix.store.checks import validate_document

    if validate_document(document.Document(path, text, tree))[1]:
        raise RuntimeError("internal error: quickcheck finds valid a study that validate does not")


def _diff(path: Path, old: str, new: str) -> str:
    return "".join(difflib.unified_diff(old.splitlines(keepends=True), new.splitlines(keepends=True),
                                        str(path) if old else "/dev/null", str(path)))


def _parse(text: str) -> tuple[Any, Any]:
    """The round-trip tree and the node graph (with exact start/end marks) from one parse."""
    yaml = document.round_trip_yaml()
    constructor, parser = yaml.get_constructor_parser(io.StringIO(text))
    try:
        node = constructor.composer.get_single_node()
        tree = constructor.construct_document(node) if node is not None else None
    finally:
        parser.dispose()
    return tree, node


def _dump(tree: Any) -> str:
    out = io.StringIO()
    document.round_trip_yaml().dump(tree, out)
    return out.getvalue()


# The parse cache holds a copy of the study's content in the user's cache folder: only for studies
# marked for sharing beyond their authors. TLP:AMBER and TLP:RED content stays where the analyst keeps it.
CACHED_MARKINGS = ("TLP:CLEAR", "TLP:GREEN")


def _may_cache(tree: Any) -> bool:
    study = tree.get("study") if isinstance(tree, dict) else None
    return isinstance(study, dict) and study.get("marking") in CACHED_MARKINGS


class _Session:
    """One edit: the tree being changed, and the text patches that express the same change."""

    def __init__(self, path: Path, text: str, cached: bool = True):
        self.path, self.text = path, text
        document._conflict_marker(path, text)
        self.tree, self.node, self.packed = self._parsed(cached)
        self.from_cache = self.packed is not None
        if not isinstance(self.tree, dict):
            raise StudyError([Problem(str(path), 1, 1, "structure",
                                      "a study must be a mapping with `study:`, `actors:`, `scenarios:` ...")])
        self.lines = text.splitlines(keepends=True)
        self.starts = [0]
        for line in self.lines:
            self.starts.append(self.starts[-1] + len(line))
        self.patches: list[tuple[int, int, int, str, tuple[str, Loc]]] = []
        self.text_ok = True
        self.changed = False
        self._hint: tuple[str, Loc] = ("", ())
        self._before = _plain(self.tree)  # what the text reads as, to prove the patched text against
        self._readings: list[_Reading] = []  # how the regions of the patched text read (see _proven)
        self._new_parse: Any = None  # the tree and node graph of the new text, when it was parsed whole

    def _parsed(self, cached: bool) -> tuple[Any, Any, Optional[tuple]]:
        """The tree and node skeleton of the text, and the skeleton packed if it came from the cache."""
        hit = cache.cached_parse(self.path, self.text, PARSE_MAKERS) if cached else None
        _note_source("parse" if hit is None else "cache")
        if hit is not None:
            tree, packed = hit
            node = skeleton.unpacked(packed)
            if CROSS_CHECK:
                _cross_check_parse(tree, node, self.text, "the cached parse")
            return tree, node, packed
        try:
            tree, node = _parse(self.text)
        except Exception:
            document.parse(self.path, self.text)  # raises the positioned StudyError that `validate` would
            raise
        return tree, skeleton.skeleton(node), None

    # -- the tree ------------------------------------------------------------------------

    def get(self, loc: Loc, default: Any = _RAISE) -> Any:
        node = self.tree
        for part in loc:
            if isinstance(node, dict) and part in node:
                node = node[part]
            elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
                node = node[part]
            elif default is _RAISE:
                raise KeyError(loc)
            else:
                return default
        return node

    def require(self, loc: Loc, kind: Kind) -> None:
        if self.get(loc, _MISSING) is _MISSING:
            if kind.name in ("impact", "indicator") and not isinstance(self.get(loc[:2], None), dict):
                raise self.unknown(loc[:2], "scenario") if loc[1] != "?" else self.unknown(loc, kind.name)
            raise self.unknown(loc, kind.name)

    def unknown(self, loc: Loc, noun: str) -> StudyError:
        parent = self.get(loc[:-1], None)
        known = [str(k) for k in parent] if isinstance(parent, dict) else []
        if noun == "indicator":
            known = [str(iid) for sc in _map(self.tree.get("scenarios")).values()
                     for iid in _map(_map(sc).get("indicators"))]
        hint = did_you_mean(str(loc[-1]), known) or (
            f"known: {', '.join(sorted(known)[:12])}" if known else f"no {noun} is defined yet")
        where = loc[:-1]
        while where and self.get(where, None) is None:
            where = where[:-1]
        return StudyError([self.problem(where, "unknown", f"no {noun} {loc[-1]!r} in this study", hint, key=True)])

    def problem(self, loc: Loc, code: str, message: str, hint: Optional[str] = None, key: bool = False) -> Problem:
        node = self._key_node(loc) if key and loc else self._node(loc)
        if node is None:
            node = self._node(loc)
        line, col = (node.start_mark.line + 1, node.start_mark.column + 1) if node is not None else (1, 1)
        return Problem(str(self.path), line, col, code, message, hint)

    # -- changes: each updates the tree, and adds text patches or gives up on them -------------

    def set(self, loc: Loc, value: Any) -> None:
        parent = self.get(loc[:-1])
        key = loc[-1]
        if isinstance(parent, dict) and key not in parent:
            self.insert(loc, value)
            return
        parent[key] = value
        self._text(self._replace_value, loc, value)

    def insert(self, loc: Loc, value: Any) -> None:
        parent = self.get(loc[:-1], None)
        if parent is None:
            self.insert(loc[:-1], CommentedMap([(loc[-1], value)]))
            return
        if not isinstance(parent, dict):  # e.g. `impacts: text`: validation's to report, not a crash
            raise StudyError([self.problem(loc[:-1], "structure", f"{_dotted(loc[:-1])} is not a mapping",
                                           "write its entries as `key: value` lines under it")])
        if isinstance(parent, CommentedMap) and not parent and parent.fa.flow_style():
            parent.fa.set_block_style()
        parent[loc[-1]] = value
        self._text(self._insert_text, loc, value)

    def delete(self, loc: Loc) -> None:
        parent = self.get(loc[:-1])
        del parent[loc[-1]]
        if not parent:
            empty = _flow_map() if isinstance(parent, dict) else CommentedSeq()
            if isinstance(empty, CommentedSeq):
                empty.fa.set_flow_style()
            self.get(loc[:-2])[loc[-2]] = empty
            self._text(self._replace_value, loc[:-1], empty)
        else:
            self._text(self._delete_text, loc)

    def rename_key(self, loc: Loc, new: str) -> None:
        parent = self.get(loc[:-1])
        old = loc[-1]
        position = list(parent).index(old)
        if isinstance(old, ScalarString):
            new = type(old)(new)
        comment = parent.ca.items.pop(old, None)
        value = parent.pop(old)
        parent.insert(position, new, value)
        if comment is not None:
            parent.ca.items[new] = comment
        self._text(self._rename_text, loc, new)

    # -- rendering -----------------------------------------------------------------------

    def render(self) -> tuple[str, Any, bool]:
        """The new text, the tree it reads as, and whether that tree's positions are exact.

        Patched text is proven to read as the edited tree either from small parses of the regions
        it changed (see `_proven`; the tree's positions are then the old text's) or, failing that,
        by parsing it all (exact positions). Otherwise the tree is dumped and parsed."""
        if not self.changed:
            return self.text, self.tree, True
        expected = _plain(self.tree)
        if self.text_ok:
            text = self._apply_patches()
            if text is not None:
                proven = self._proven(expected)
                if proven is not None:
                    _note("text", "regions")
                    if CROSS_CHECK and _plain(_parse(text)[0]) != expected:
                        raise RuntimeError("internal error: the region proof disagrees with a parse of the whole text")
                    return text, proven, False
                try:
                    tree, nodes = _parse(text)
                except Exception:
                    tree = None
                if tree is not None and _plain(tree) == expected:
                    _note("text", "parse")
                    self._new_parse = tree, nodes
                    return text, tree, True
        if self.from_cache:
            raise _NoCachedDump
        _note("tree", "parse")
        text = _dump(self.tree)
        tree, nodes = _parse(text)
        if _plain(tree) != expected:  # pragma: no cover - would be a ruamel bug
            raise RuntimeError("internal error: the edited study does not read back as edited")
        self._new_parse = tree, nodes
        return text, tree, True

    def cache(self, new_text: str) -> None:
        """Keep the parse of the text just written for the next command (see cache.cache_parse):
        the tree the patched text was proven to read as, and its node graph with exact positions."""
        try:
            parse = self._parse_of(new_text)
        except Exception:
            if CROSS_CHECK:
                raise
            return  # the study is written: a parse not kept only costs the next command a parse
        if parse is not None and _may_cache(parse[0]):
            cache.cache_parse(self.path, new_text, parse, PARSE_MAKERS)

    def _parse_of(self, new_text: str) -> Optional[tuple[Any, tuple]]:
        """The tree and packed node graph of the new text, or None when not known for certain."""
        if self._new_parse is not None:
            tree, packed = self._new_parse[0], skeleton.packed(skeleton.skeleton(self._new_parse[1]))
        elif self._readings:
            old = self.packed if self.packed is not None else skeleton.packed(self.node)
            tree, packed = self.tree, skeleton.rebased(old, self.text, new_text, [r.piece for r in self._readings])
            if packed is None:
                return None
            if CROSS_CHECK:
                _cross_check_parse(tree, skeleton.unpacked(packed), new_text, "the parse built from the regions")
        else:
            return None
        return tree, packed

    def _apply_patches(self) -> Optional[str]:
        patches = sorted(self.patches)
        for (s1, e1, *_), (s2, e2, *_) in zip(patches, patches[1:]):
            if s2 < e1:
                return None
        text = self.text
        for start, end, _, replacement, _ in reversed(patches):
            text = text[:start] + replacement + text[end:]
        return text

    def _text(self, make, *args) -> None:
        self.changed = True
        if not self.text_ok:
            return
        self._hint = (make.__name__, args[0])
        try:
            make(*args)
        except _NoText:
            self.text_ok = False

    def _patch(self, start: int, end: int, replacement: str) -> None:
        self.patches.append((start, end, len(self.patches), replacement, self._hint))

    # -- proving the patched text by parsing only what changed ----------------------------
    #
    # Parsing a whole study with ruamel (pure Python) is the slowest part of an edit. A patch only
    # touches a few lines, so the patched text is proven to read as the edited tree from parses of
    # small regions instead. A region is a run of whole entries of a block mapping whose keys sit
    # at column n: it starts on the line of one of those keys, and ends on the line of the next
    # key of that mapping, or on the first non-blank line indented less than n (or at the end of
    # the file). Every value inside it is indented more than n, so YAML reads those lines the same
    # wherever they sit, with one caveat each that the checks below rule out: the lines are read
    # after removing n spaces (allowed only when each line has them; a line that then looks like
    # a document marker or directive is refused), an alias or anchor would tie the region to the
    # rest of the file (refused), and the first line must still be a key at column n and the last
    # end with a line break, so that the line before and the line after the region read as before.
    # The text outside the regions is unchanged, so it reads as before; the file's reading is then
    # the old tree with each region's entries replaced by what the region reads as, and that must
    # equal the edited tree. Anything else falls back to parsing the whole patched text.

    def _proven(self, expected: Any) -> Optional[Any]:
        """The edited tree, with each changed region's entries as the patched text reads them, if
        the patched text provably reads as `expected`; otherwise None."""
        if not isinstance(self.node, MappingNode) or re.search(r"(?m)^%", self.text[:self.node.start_mark.index]):
            return None  # a %YAML or %TAG directive changes how every region reads
        regions: list[tuple[Loc, int, int]] = []
        for start, end, *_, (how, loc) in self.patches:
            region = self._first_region(how, loc)
            while region is not None and not self._contains(region, start, end):
                region = self._entry_region(region[0])
            if region is None:
                return None
            regions.append(region)
        regions = self._merged(regions)
        if regions is None:
            return None
        readings = []
        for region in regions:
            reading = self._read_region(region)
            if reading is None:
                return None
            readings.append(reading)
        after = self._before
        for reading in readings:
            after = _substitute(after, *reading.region, _plain(reading.tree)[1])
            if after is None:
                return None
        if after != expected:
            return None
        for reading in readings:  # validate what the text reads as, not what was built
            target = self.get(reading.region[0])
            for key, value in reading.tree.items():
                target[key] = value
        self._readings = readings
        return self.tree

    def _first_region(self, how: str, loc: Loc) -> Optional[tuple[Loc, int, int]]:
        parent = self._node(loc[:-1]) if loc else None
        block = isinstance(parent, MappingNode) and not parent.flow_style and bool(parent.value)
        if how == "_insert_text" and block:
            return loc[:-1], len(parent.value) - 1, len(parent.value) - 1
        if how == "_delete_text" and block:
            index = _key_index(parent, loc[-1])
            if index is not None and len(parent.value) > 1:
                return (loc[:-1], index - 1, index) if index else (loc[:-1], 0, 1)
        if how in ("_insert_text", "_delete_text"):
            return self._entry_region(loc[:-1])
        return self._entry_region(loc)

    def _entry_region(self, loc: Loc) -> Optional[tuple[Loc, int, int]]:
        """The entry at loc, or the nearest enclosing one, as a region of its mapping."""
        while loc:
            parent = self._node(loc[:-1])
            index = _key_index(parent, loc[-1]) if isinstance(parent, MappingNode) else None
            if index is not None:
                return loc[:-1], index, index
            loc = loc[:-1]
        return None

    def _span(self, region: tuple[Loc, int, int]) -> Optional[tuple[int, int, int]]:
        """(n, start, end) of a region in the old text, or None if its layout is not one that reads
        the same wherever it sits."""
        mloc, first, last = region
        mapping = self._node(mloc)
        if not isinstance(mapping, MappingNode) or mapping.flow_style or not 0 <= first <= last < len(mapping.value):
            return None
        keys = [k for k, _ in mapping.value]
        if not all(isinstance(k, ScalarNode) for k in keys):
            return None
        n = keys[first].start_mark.column
        line = keys[first].start_mark.line
        if any(k.start_mark.column != n for k in keys[first:last + 2]) or self.lines[line][:n] != " " * n:
            return None
        if last + 1 < len(keys):
            stop = keys[last + 1].start_mark.line
        else:
            stop = keys[last].start_mark.line + 1
            while stop < len(self.lines) and (not self.lines[stop].strip() or _indent(self.lines[stop]) >= n):
                stop += 1
            # that line must be past the entries, not inside a quoted scalar or a flow collection of theirs
            if not _ends_before(mapping.value[first:last + 1], self.starts[stop]):
                return None
        return n, self.starts[line], self.starts[stop]

    def _contains(self, region: tuple[Loc, int, int], start: int, end: int) -> bool:
        span = self._span(region)
        return span is not None and span[1] <= start and end <= span[2]

    def _merged(self, regions: list[tuple[Loc, int, int]]) -> Optional[list[tuple[Loc, int, int]]]:
        """The regions, joined or widened until no two overlap or touch (so that the line after
        each is an unchanged line) and no two are in the same mapping."""
        regions = list(dict.fromkeys(regions))
        while True:
            found = {r: self._span(r) for r in regions}
            if any(span is None for span in found.values()):
                return None
            spans: dict[tuple[Loc, int, int], tuple[int, int, int]] = found  # type: ignore[assignment]
            order = sorted(regions, key=lambda r: spans[r][1])
            clash = next(((a, b) for a, b in zip(order, order[1:]) if spans[b][1] <= spans[a][2]), None)
            if clash is None:
                clash = next(((a, b) for i, a in enumerate(order) for b in order[i + 1:] if a[0] == b[0]), None)
            if clash is None:
                return regions
            a, b = clash
            if a[0] == b[0]:
                joined: Optional[tuple[Loc, int, int]] = (a[0], min(a[1], b[1]), max(a[2], b[2]))
                gone = (a, b)
            else:
                deeper = a if len(a[0]) >= len(b[0]) else b
                joined, gone = self._entry_region(deeper[0]), (deeper,)
            while joined is not None and self._span(joined) is None:
                joined = self._entry_region(joined[0])
            if joined is None:
                return None
            regions = list(dict.fromkeys([r for r in regions if r not in gone] + [joined]))

    def _read_region(self, region: tuple[Loc, int, int]) -> Optional[_Reading]:
        """What a region of the patched text reads as on its own, if that is provably what it reads
        as in the file; otherwise None."""
        mloc, first, last = region
        span = self._span(region)
        if span is None:
            return None
        n, start, end = span
        mapping = self._node(mloc)
        if any(_has_anchor(k) or _has_anchor(v) for k, v in mapping.value[first:last + 1]):
            return None
        piece = self.text[start:end]
        for s, e, _, replacement, _ in sorted((p for p in self.patches if start <= p[0] and p[1] <= end),
                                              reverse=True):
            piece = piece[:s - start] + replacement + piece[e - start:]
        if not piece or (end < len(self.text) and not piece.endswith("\n")):
            return None
        dedented = _dedent(piece, n)
        if dedented is None:
            return None
        own, removed = dedented
        if own[0] in " \t#\r\n" or _UNSAFE_LINES.search(own):
            return None
        try:
            tree, node = _parse(own)
        except Exception:
            return None
        if not isinstance(tree, CommentedMap) or not isinstance(node, MappingNode) or node.flow_style \
                or _has_anchor(node) or len(mloc) + _depth(node) + 2 >= document.MAX_DEPTH:
            return None
        return _Reading(region, tree, skeleton.Piece(mloc, first, last, start, end, piece, n, removed, node))

    # -- text patches --------------------------------------------------------------------

    def _node(self, loc: Loc) -> Any:
        node = self.node
        for part in loc:
            if isinstance(node, MappingNode):
                node = next((v for k, v in node.value if isinstance(k, ScalarNode) and k.value == part), None)
            elif isinstance(node, SequenceNode) and isinstance(part, int) and 0 <= part < len(node.value):
                node = node.value[part]
            else:
                return None
            if node is None:
                return None
        return node

    def _key_node(self, loc: Loc) -> Any:
        parent = self._node(loc[:-1])
        if isinstance(parent, MappingNode):
            return next((k for k, _ in parent.value if isinstance(k, ScalarNode) and k.value == loc[-1]), None)
        return None

    def _replace_value(self, loc: Loc, value: Any) -> None:
        node = self._node(loc)
        if node is None:
            raise _NoText
        if isinstance(node, ScalarNode) and node.style not in ("|", ">") and not isinstance(value, (dict, list)) \
                and not (isinstance(value, ScalarString) and "\n" in value):
            self._patch(node.start_mark.index, node.end_mark.index, _inline(value))
            return
        key = self._key_node(loc)
        if key is None:
            raise _NoText
        if getattr(node, "flow_style", False) or (isinstance(node, ScalarNode) and node.style not in ("|", ">")):
            end = node.end_mark.index
            if self.text[node.start_mark.index:end].count("\n"):
                raise _NoText
        else:
            end = self._line_end(self._content_end(key.start_mark.line, key.start_mark.column) - 1)
        rendered = _render_entry(loc[-1], value, key.start_mark.column)
        self._patch(key.start_mark.index, end, rendered[key.start_mark.column:].rstrip("\n"))

    def _insert_text(self, loc: Loc, value: Any) -> None:
        parent = self._node(loc[:-1])
        if not isinstance(parent, MappingNode):
            raise _NoText
        if parent.value and not parent.flow_style:
            last = parent.value[-1][0]
            line, col = last.start_mark.line, last.start_mark.column
            end = self._content_end(line, col)
            blank = self._blank_style(loc[:-1])
            text = ("\n" if blank else "") + _render_entry(loc[-1], value, col)
            at = self.starts[end]
            if at == len(self.text) and self.text and not self.text.endswith("\n"):
                text = "\n" + text
            self._patch(at, at, text)
            return
        if parent.value:  # a flow mapping: `{a: 1, b: 2}` -> `{a: 1, b: 2, key: value}`
            at = parent.value[-1][1].end_mark.index
            self._patch(at, at, f", {_inline(loc[-1])}: {_inline(_flow(value))}")
            return
        if not loc[:-1]:
            raise _NoText
        key = self._key_node(loc[:-1])
        line = key.start_mark.line
        if parent.start_mark.line != line or self.text[parent.start_mark.index:parent.end_mark.index] != "{}":
            raise _NoText
        rest = self.text[parent.end_mark.index:self._line_end(line)]
        if rest.strip() and not rest.strip().startswith("#"):
            raise _NoText
        indent = key.start_mark.column + 2
        text = ":" + (rest.rstrip() if rest.strip() else "") + "\n" + _render_entry(loc[-1], value, indent).rstrip("\n")
        self._patch(key.end_mark.index, self._line_end(line), text)

    def _delete_text(self, loc: Loc) -> None:
        parent = self._node(loc[:-1])
        if isinstance(parent, MappingNode):
            index = next((i for i, (k, _) in enumerate(parent.value) if isinstance(k, ScalarNode) and k.value == loc[-1]),
                         None)
            if index is None:
                raise _NoText
            items = [(k.start_mark, v.end_mark, k) for k, v in parent.value]
        elif isinstance(parent, SequenceNode) and isinstance(loc[-1], int):
            index = loc[-1]
            items = [(v.start_mark, v.end_mark, v) for v in parent.value]
        else:
            raise _NoText
        if len(items) < 2:
            raise _NoText
        if parent.flow_style:
            if index > 0:
                self._patch(items[index - 1][1].index, items[index][1].index, "")
            else:
                self._patch(items[0][0].index, items[1][0].index, "")
            return
        first = items[index][0]
        line, col = first.line, first.column
        if isinstance(parent, SequenceNode):
            col = self.lines[line].rfind("-", 0, col)
            if col < 0 or self.lines[line][:col].strip():
                raise _NoText
        start = self._attached_start(line, col)
        end = self._content_end(line, col)
        if index == 0:
            while end < len(self.lines) and not self.lines[end].strip():
                end += 1
        else:
            while start > 0 and not self.lines[start - 1].strip():
                start -= 1
        self._patch(self.starts[start], self.starts[end], "")

    def _rename_text(self, loc: Loc, new: str) -> None:
        key = self._key_node(loc)
        if key is None:
            raise _NoText
        if key.style in ("'", '"') and not isinstance(new, ScalarString):
            new = (DoubleQuotedScalarString if key.style == '"' else SingleQuotedScalarString)(new)
        self._patch(key.start_mark.index, key.end_mark.index, _inline(new))

    # -- lines ---------------------------------------------------------------------------

    def _line_end(self, line: int) -> int:
        """Index of the end of a line's content (before its newline)."""
        if line >= len(self.lines):
            return len(self.text)
        return self.starts[line] + len(self.lines[line].rstrip("\r\n"))

    def _content_end(self, line: int, col: int) -> int:
        """The line after the last line of an entry whose key (or '-') is at line, col: its value's
        lines, not the blank lines and outdented comments that follow and belong to what comes next."""
        end = line + 1
        while end < len(self.lines):
            text = self.lines[end]
            stripped = text.strip()
            if stripped and not stripped.startswith("#") and _indent(text) <= col:
                break
            end += 1
        while end > line + 1 and (not self.lines[end - 1].strip() or
                                  (self.lines[end - 1].lstrip().startswith("#") and _indent(self.lines[end - 1]) <= col)):
            end -= 1
        return end

    def _attached_start(self, line: int, col: int) -> int:
        """The first line of the comments written directly above an entry, at its indentation."""
        while line > 0 and self.lines[line - 1].lstrip().startswith("#") and _indent(self.lines[line - 1]) == col:
            line -= 1
        return line

    def _blank_style(self, loc: Loc) -> bool:
        """Whether entries of this mapping are separated by blank lines, judged from the mapping
        itself or, when it has fewer than two entries, from mappings like it."""
        candidates = [loc]
        if len(loc) == 3 and loc[0] == "scenarios":
            candidates += [("scenarios", sid, loc[2]) for sid in _map(self.tree.get("scenarios"))]
        elif len(loc) == 1:
            candidates += [(section,) for section in ("actors", "evidence", "drivers", "constraints", "scenarios")]
        for candidate in candidates:
            node = self._node(candidate)
            if isinstance(node, MappingNode) and len(node.value) >= 2 and not node.flow_style:
                last = node.value[-1][0].start_mark
                start = self._attached_start(last.line, last.column)
                return start > 0 and not self.lines[start - 1].strip()
        return not loc


# The test suite sets SCENMATRIX_CROSS_CHECK=1: every region proof is then checked against a parse
# of the whole patched text.
CROSS_CHECK = bool(os.environ.get("SCENMATRIX_CROSS_CHECK"))

# After removing a region's indentation: a line that would now be a document marker or a directive,
# or a line break that str.splitlines and YAML count differently.
_UNSAFE_LINES = re.compile(r"(?m)^(?:---|\.\.\.)(?=[ \t\r\n]|$)|^%|[\x85\u2028\u2029]|\r(?!\n)")


def _key_index(mapping: Any, key: Any) -> Optional[int]:
    return next((i for i, (k, _) in enumerate(mapping.value) if isinstance(k, ScalarNode) and k.value == key), None)


class _Reading(NamedTuple):
    """A region of the patched text (see `_Session._proven`), and what it reads as on its own."""

    region: tuple[Loc, int, int]  # entries first..last of the mapping at a location, in the old tree
    tree: CommentedMap
    piece: skeleton.Piece  # where it stands, and its nodes


def _cross_check_parse(tree: Any, nodes: Any, text: str, what: str) -> None:
    fresh_tree, fresh_nodes = _parse(text)
    if _styled(tree) != _styled(fresh_tree) or \
            skeleton.comparable(nodes) != skeleton.comparable(skeleton.skeleton(fresh_nodes)):
        raise RuntimeError(f"internal error: {what} differs from a parse of the text")


def _styled(value: Any) -> Any:
    """A tree as `_plain` has it, with the type of every key and value (which tells its quoting or
    layout) and the flow style of every collection."""
    if isinstance(value, (dict, list)):
        flow = value.fa.flow_style() if hasattr(value, "fa") else None
        items = value.items() if isinstance(value, dict) else enumerate(value)
        return type(value).__name__, flow, tuple((_styled(k), _styled(v)) for k, v in items)
    return type(value).__name__, _plain(value)


def _dedent(text: str, n: int) -> Optional[tuple[str, list[int]]]:
    """Lines without their first n spaces (a blank line or a comment line indented less keeps no
    indentation), and how many spaces each line lost. None when another line is indented less than n."""
    out, removed = [], []
    for line in text.split("\n"):
        if line.startswith(" " * n):
            out.append(line[n:])
        elif not line.strip(" \r") or line.lstrip(" ").startswith("#"):
            out.append(line.lstrip(" "))
        else:
            return None
        removed.append(len(line) - len(out[-1]))
    return "\n".join(out), removed


def _has_anchor(node: Any) -> bool:
    stack = [node]
    while stack:
        node = stack.pop()
        if getattr(node, "anchor", None):
            return True
        if isinstance(node, MappingNode):
            for k, v in node.value:
                stack += (k, v)
        elif isinstance(node, SequenceNode):
            stack += node.value
    return False


def _ends_before(entries: list[tuple[Any, Any]], limit: int) -> bool:
    """Whether every node of these entries starts, and every scalar and flow collection ends, before
    the text index `limit` (a block collection ends where the next token starts: at `limit` itself)."""
    stack = [node for entry in entries for node in entry]
    while stack:
        node = stack.pop()
        if node.start_mark.index >= limit:
            return False
        if isinstance(node, ScalarNode) or getattr(node, "flow_style", False):
            if node.end_mark.index > limit:
                return False
        if isinstance(node, MappingNode):
            stack += [n for entry in node.value for n in entry]
        elif isinstance(node, SequenceNode):
            stack += node.value
    return True


def _depth(node: Any) -> int:
    if isinstance(node, MappingNode):
        return 1 + max((max(_depth(k), _depth(v)) for k, v in node.value), default=0)
    if isinstance(node, SequenceNode):
        return 1 + max((_depth(v) for v in node.value), default=0)
    return 1


def _substitute(plain: Any, mloc: Loc, first: int, last: int, items: tuple) -> Any:
    """A plain tree with entries first..last of the mapping at mloc replaced by items (None if the
    path is not there)."""
    kind, children = plain
    if not mloc:
        if kind != "map" or last >= len(children):
            return None
        return kind, children[:first] + items + children[last + 1:]
    if kind == "map":
        key = _plain(mloc[0])
        index = next((i for i, (k, _) in enumerate(children) if k == key), None)
        if index is None:
            return None
        inner = _substitute(children[index][1], mloc[1:], first, last, items)
        return None if inner is None else (kind, children[:index] + ((key, inner),) + children[index + 1:])
    if kind == "seq" and isinstance(mloc[0], int) and 0 <= mloc[0] < len(children):
        inner = _substitute(children[mloc[0]], mloc[1:], first, last, items)
        return None if inner is None else (kind, children[:mloc[0]] + (inner,) + children[mloc[0] + 1:])
    return None


def _note(how: str, proof: str) -> None:
    global last_render, last_proof
    last_render, last_proof = how, proof


def _note_source(source: str) -> None:
    global last_source
    last_source = source


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _render_entry(key: Any, value: Any, indent: int) -> str:
    """`key: value` as the file would have it, every line indented by `indent` spaces."""
    text = _dump(CommentedMap([(key, value)]))
    return "".join(" " * indent + line if line.strip() else line for line in text.splitlines(keepends=True))


def _flow(value: Any) -> Any:
    """The value laid out in flow style, to sit inside `{...}` or `[...]`."""
    if isinstance(value, (list, dict)):
        value = (CommentedSeq if isinstance(value, list) else CommentedMap)(value)
        value.fa.set_flow_style()
    return value


def _inline(value: Any) -> str:
    text = _dump(CommentedMap([("k", value)]))
    if text.count("\n") != 1 or not text.startswith("k: "):
        raise _NoText
    return text[3:-1]


def _plain(node: Any) -> Any:
    """A comparable form of a tree: what the study says, without comments, styles or positions."""
    if isinstance(node, dict):
        return ("map", tuple((_plain(k), _plain(v)) for k, v in node.items()))
    if isinstance(node, list):
        return ("seq", tuple(_plain(v) for v in node))
    if isinstance(node, bool):
        return ("bool", bool(node))
    if isinstance(node, int):
        return ("int", int(node))
    if isinstance(node, float):
        return ("float", float(node))
    if isinstance(node, str):
        return ("str", str(node))
    if isinstance(node, (dt.date, dt.datetime)):
        return ("date", node.isoformat())
    return ("other", repr(node))


def _dotted(loc: Loc) -> str:
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def _show_id(kind: Kind, loc: Loc) -> str:
    return f"{loc[1]}/{loc[-1]}" if kind.name == "impact" else str(loc[-1])
