"""Edits of a study file that keep everything they do not touch, byte for byte.

Each edit changes the round-trip tree (ruamel) as the truth of what the study must become, and the
file's text by small patches at the exact positions of the nodes involved, so comments, quoting,
blank lines and spellings such as `+2` elsewhere are never re-emitted; then validates the result and
writes it atomically under the study's lock, or refuses with the positioned problems and the file
untouched (session.py tells how).

An edit starts from the parse the previous edit left in the parse cache (cache.cached_parse), kept
for the exact text it wrote: the tree, and the node graph built from the old one and the parses of
the regions it changed, with every position moved to where it now is (skeleton.rebased).

    from scenmatrix.edit import api as edit
    edit.new_study("scenarios/x.yaml", "Title")
    edit.add("scenarios/x.yaml", "actor", "RU", {"name": "Russia", "kind": "state"})
    edit.set_fields("scenarios/x.yaml", "impact", "S1/RU", {"effect": -3})
    edit.rename("scenarios/x.yaml", "actor", "RU", "RUS")       # and every reference to it
    edit.remove("scenarios/x.yaml", "evidence", "E4", cascade=True)

Every edit returns an EditResult: its `diff` is the unified diff of the change ("" for none); with
`dry_run=True` nothing is written.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any, Iterable, Mapping, Optional

from ruamel.yaml.comments import CommentedMap

from scenmatrix.edit import session
from scenmatrix.edit.fields import coerce_date, coerce_fields, new_value, sibling_field, styled_like
from scenmatrix.edit.session import PARSE_MAKERS, Change, EditResult, FieldValueError, Session, StudyChanged
from scenmatrix.edit.tree import Loc, dotted, dump, flow_map, indicator_scenario, show_id, walk_entries
from scenmatrix.errors import Problem, StudyError, UsageError, a, did_you_mean
from scenmatrix.store import document, files
from scenmatrix.study import values, vocab
from scenmatrix.study.kinds import KINDS, NEW_SECTIONS, REFERENCES, Kind, children, kind_named, option_of
from scenmatrix.study.references import entries_of, references_to

__all__ = ["FieldValueError", "StudyChanged", "new_study", "add", "set_fields", "apply", "changing", "remove", "rename",
           "references", "entries", "entry_path", "kind_of", "reviewer_name", "EditResult", "KINDS", "PARSE_MAKERS"]


# --------------------------------------------------------------------------------------------
# Public API


def new_study(path: Path | str, title: str, *, id: Optional[str] = None, as_of: dt.date | str | None = None,
              marking: str = "TLP:CLEAR", likelihood_scale: str = "icd203", dry_run: bool = False) -> EditResult:
    """Create a valid, empty study at PATH (refusing to overwrite one); return its text as a diff.
    `likelihood_scale` is one of vocab.SCALES (icd203, phia); the default one is not written."""
    path = Path(path)
    files.check_output(path, files.STUDY_SUFFIXES, "PATH", what="study")
    if likelihood_scale not in vocab.SCALES:
        raise UsageError(f"{likelihood_scale!r} is not a likelihood scale (choose one of {', '.join(vocab.SCALES)})",
                         "--likelihood-scale")
    study_id = id or path.stem
    as_of = as_of or dt.date.today()
    if isinstance(as_of, str):
        as_of = coerce_date(as_of)
    study = CommentedMap([("id", study_id), ("title", styled_like(title, None)), ("as_of", as_of),
                          ("marking", marking), ("sources", flow_map()), ("key_judgments", flow_map())])
    if likelihood_scale != "icd203":
        study.insert(4, "likelihood_scale", likelihood_scale)
    text = document.SCHEMA_LINE + "\n" + dump(CommentedMap([("study", study)]))
    text += "".join(f"\n{section}: {{}}\n" for section in ("actors", "evidence", "drivers", "constraints", "scenarios"))
    return session.create(path, text, dry_run)


def add(path: Path | str, kind: str, id: Optional[str] = None, fields: Optional[Mapping[str, Any]] = None, *,
        scenario: Optional[str] = None, actor: Optional[str] = None, dry_run: bool = False) -> EditResult:
    """Add an entry at the end of its section, styled like its siblings.

    `kind` is one of KINDS (actor, scenario, impact, indicator, evidence, driver, constraint,
    key-judgment, source). An impact's id is "SCENARIO/ACTOR" (or give scenario= and actor=); an
    indicator needs scenario= (or "SCENARIO/ID"). A key judgment's only field is "text".
    """
    return session.run(Path(path), _adding(kind, id, fields, scenario, actor), dry_run, cite_options=True)


def _adding(kind: str, id: Optional[str], fields: Optional[Mapping[str, Any]], scenario: Optional[str],
            actor: Optional[str]) -> Change:
    k = kind_of(kind)
    values = coerce_fields(k, fields or {})
    _check_names(k, id, scenario, actor, new=True)

    def change(s: Session) -> None:
        loc = entry_path(s.tree, k, id, scenario=scenario, actor=actor, existing=False)
        if k.name in ("impact", "indicator") and not isinstance(s.get(loc[:2], None), dict):
            raise s.unknown(loc[:2], "scenario")
        if s.has(loc):
            raise StudyError([s.problem(loc, "exists", f"{dotted(loc)} already exists",
                                        f"change it with `scenmatrix set {k.name} {show_id(k, loc)}`", key=True)])
        _inserting(s, k, loc, values)

    return change


def _inserting(s: Session, k: Kind, loc: Loc, values: Mapping[str, Any]) -> None:
    """Insert a new entry at loc; the first one of a section that holds more than entries (`cib:`) creates
    the section with what it needs (kinds.NEW_SECTIONS), in one insertion so the rest of the text is kept."""
    _check_owners(s, k, loc)
    _given(s, k, loc, values)
    value = new_value(s.tree, k, values)
    top = loc[0]
    if top in NEW_SECTIONS and not s.has((top,)):
        for key in reversed(loc[1:]):
            value = CommentedMap([(key, value)])
        section = CommentedMap(NEW_SECTIONS[top])
        section.update(value)
        s.insert((top,), section)
        return
    s.insert(loc, value)


def _check_owners(s: Session, k: Kind, loc: Loc) -> None:
    """The entries a new one of a joined kind is named through exist: a variant's descriptor, a judgment's
    two variants (kinds.REFERENCES), of two different descriptors."""
    if not k.joiner:
        return
    owner = _owner_kind(k)
    if owner is not None and not s.has(loc[:len(owner.section) + 1]):
        raise s.unknown(loc[:len(owner.section) + 1], owner.name)
    for reference in REFERENCES:
        n = len(reference.path)
        if reference.how == "key" and n <= len(loc) and all(p in ("*", q) for p, q in zip(reference.path, loc)):
            known = entries_of(s.tree, reference.target)
            if loc[n - 1] not in known:
                hint = did_you_mean(str(loc[n - 1]), known) or (
                    f"known: {', '.join(sorted(map(str, known))[:12])}" if known else f"no {reference.target} "
                    "is defined yet")
                where = next(loc[:i] for i in range(len(loc), -1, -1) if s.has(loc[:i]))
                raise StudyError([s.problem(where, "unknown", f"no {reference.target} {loc[n - 1]!r} in this study",
                                            hint, key=bool(where))])
    if k.words > 1 and len({str(part).split(".")[0] for part in loc[-2:]}) == 1:
        raise UsageError(f"{loc[-2]} and {loc[-1]} are variants of one descriptor, which does not act on itself: "
                         "judge how a variant acts on the variants of other descriptors")


def _owner_kind(k: Kind) -> Optional[Kind]:
    """The kind a joined kind's entries live in (a variant's descriptor), if it is one."""
    if "*" not in k.section:
        return None
    return next((o for o in KINDS.values() if o.section == k.section[:k.section.index("*")]), None)


def _given(s: Session, k: Kind, loc: Loc, values: Mapping[str, Any]) -> None:
    """Record where each value the caller gave lands, so that a refusal of it can name its option."""
    if k.words > 1:  # a judgment's problems say where it is as `cib.judgments.SOURCE -> TARGET` (store.messages)
        s.given.update({f"{dotted(loc[:-1])} -> {loc[-1]}": field for field in values})
    s.given.update({dotted(loc) if k.scalar else dotted(loc + (field,)): field for field in values})


def set_fields(path: Path | str, kind: str, id: Optional[str] = None, fields: Optional[Mapping[str, Any]] = None, *,
               scenario: Optional[str] = None, actor: Optional[str] = None, dry_run: bool = False) -> EditResult:
    """Change fields of an existing entry; a field set to None is removed."""
    return session.run(Path(path), _setting(kind, id, fields, scenario, actor), dry_run, cite_options=True)


def apply(path: Path | str, operations: Iterable[tuple[str, str, Optional[str], Mapping[str, Any]]], *,
          dry_run: bool = False, expect_sha256: Optional[str] = None) -> EditResult:
    """Several edits as ONE: one lock, one validation, one atomic write (or none).

    Each operation is ("add" | "set", kind, id, fields), ("remove", kind, id, {"cascade": bool}) or
    ("rename", kind, old id, {"id": new id}), with ids as for `add` and `set_fields`. With expect_sha256,
    the edit is made only if the study is still that text (document.text_sha256), checked under the lock;
    else StudyChanged is raised and nothing is written.
    """
    change = changing(operations)
    if change is None:
        return EditResult("")
    return session.run(Path(path), change, dry_run, expect_sha256)


def changing(operations: Iterable[tuple[str, str, Optional[str], Mapping[str, Any]]]) -> Optional[Change]:
    """The operations of `apply` as one change of a Session (None for none), each checked before any is made."""
    changes = [_operation(op, kind, id, fields) for op, kind, id, fields in operations]
    if not changes:
        return None

    def change(s: Session) -> None:
        for one in changes:
            one(s)

    return change


def _operation(op: str, kind: str, id: Optional[str], fields: Mapping[str, Any]) -> Change:
    if op == "add":
        return _adding(kind, id, fields, None, None)
    if op == "set":
        return _setting(kind, id, fields, None, None)
    if op == "remove":
        return _removing(kind, id, None, None, bool(fields.get("cascade")))
    if op == "rename":
        return _renaming(kind, id or "", str(fields.get("id") or ""), None)
    if op == "rate":
        return _rating(id or "", fields)
    raise ValueError(f"unknown operation {op!r}")


def _rating(name: str, ratings: Mapping[str, Any]) -> Change:
    """("rate", "reviewer", NAME, {scenario id: {likelihood, confidence, impacts: {actor: {effect, confidence}}}}):
    NAME's ratings under `ratings:` become these, replacing any NAME had; none removes NAME's block."""
    reviewer_name(name)

    def change(s: Session) -> None:
        loc = ("ratings", name)
        if not ratings:
            if s.has(loc):
                s.delete(("ratings",) if len(s.get(("ratings",))) == 1 else loc)
            return
        node = CommentedMap()
        for sid, rating in ratings.items():
            entry = CommentedMap((k, v) for k, v in rating.items() if k != "impacts")
            if rating.get("impacts"):
                entry["impacts"] = CommentedMap((aid, _flow(impact)) for aid, impact in rating["impacts"].items())
            node[sid] = entry
        if s.has(loc):
            s.set(loc, node)
        else:
            s.insert(loc, node)

    return change


def reviewer_name(name: str) -> str:
    """A reviewer's name under `ratings:`, refused (a usage error: exit 2) unless it is id-like."""
    if not vocab.is_id(name):
        raise UsageError(f"{name!r} is not a reviewer name: a letter, then letters, digits, '_', '.' or '-' "
                         "(at most 40 in all), e.g. alice", "--as")
    return name


def _flow(fields: Mapping[str, Any]) -> CommentedMap:
    out = flow_map()
    out.update(fields)
    return out


def _setting(kind: str, id: Optional[str], fields: Optional[Mapping[str, Any]], scenario: Optional[str],
             actor: Optional[str]) -> Change:
    k = kind_of(kind)
    values = coerce_fields(k, fields or {})
    if not values:
        options = ", ".join(option_of(field) for field in k.fields)
        raise UsageError(f"nothing to change: give at least one of {options} (the fields of {a(k.name)}), "
                         "or --unset FIELD")
    _check_names(k, id, scenario, actor)

    def change(s: Session) -> None:
        loc = entry_path(s.tree, k, id, scenario=scenario, actor=actor)
        if k.single and not s.has(loc) and loc[0] in NEW_SECTIONS:
            first = next(c for c in KINDS.values() if c.section[0] == loc[0] and not c.single)
            raise StudyError([Problem(str(s.path), 1, 1, "unknown", f"this study has no {loc[0]}: section",
                                      f"adding its first {first.name} creates it: `scenmatrix add {first.name} ...`")])
        if k.implicit and not s.has(loc):  # an omitted judgment is 0: setting it writes it
            _inserting(s, k, loc, values)
            return
        s.require(loc, k)
        _given(s, k, loc, values)
        if k.scalar:
            if values.get(k.value_field) is None:
                raise UsageError(f"{a(k.name)} is its {k.value_field}; remove it with `scenmatrix rm` instead")
            s.set(loc, styled_like(values[k.value_field], s.get(loc)))
            return
        entry = s.get(loc)
        if not isinstance(entry, dict):
            raise StudyError([s.problem(loc, "structure", f"{dotted(loc)} is not a mapping of fields")])
        for field, value in values.items():
            if value is None:
                if field in entry:
                    s.delete(loc + (field,))
            else:
                like = entry.get(field, sibling_field(s.tree, k, field))
                s.set(loc + (field,), styled_like(value, like))

    return change


def remove(path: Path | str, kind: str, id: Optional[str] = None, *, scenario: Optional[str] = None,
           actor: Optional[str] = None, cascade: bool = False, dry_run: bool = False) -> EditResult:
    """Remove an entry. If other entries refer to it, refuse with their positions unless cascade=True,
    which removes those references too (an actor's impacts, an evidence id from lists, ...)."""
    return session.run(Path(path), _removing(kind, id, scenario, actor, cascade), dry_run)


def _removing(kind: str, id: Optional[str], scenario: Optional[str], actor: Optional[str], cascade: bool) -> Change:
    k = kind_of(kind)
    if k.single and k.section[0] in NEW_SECTIONS:  # an optional section (`cib:`) goes whole, entries and all
        if id:
            raise UsageError(f"the {k.name} section has no id: `scenmatrix rm {k.name}` removes it whole")
        return lambda s: s.delete(k.section) if s.has(k.section) else None
    if k.single:
        raise UsageError(f"the {k.name} fields cannot be removed; change them with `scenmatrix set {k.name}`")
    _check_names(k, id, scenario, actor)

    def change(s: Session) -> None:
        loc = entry_path(s.tree, k, id, scenario=scenario, actor=actor)
        s.require(loc, k)
        refs = _references(s.tree, k, show_id(k, loc))
        if refs and not cascade:
            name = f"{k.name} {show_id(k, loc)!r}"
            raise StudyError([
                s.problem(ref, "referenced", f"{dotted(ref)} refers to {name}" + (f" (as {show_id(k, loc)}{suffix})"
                                                                                  if suffix else ""),
                          "remove or change the reference first, or pass --cascade to remove the references too",
                          key=how == "key")
                for ref, how, suffix in refs])
        if loc[0] in NEW_SECTIONS and len(loc) == 3 and len(s.get(loc[:2])) == 1:
            s.delete(loc[:1])  # its last entry: the section goes with it, as the first one made it
            return
        for ref, _, _ in refs:
            _delete(s, ref)
        _delete(s, loc)

    return change


def _references(tree: Any, k: Kind, id: str) -> list[tuple[Loc, str, str]]:
    """(location, how, suffix) of every reference to the entry, and to the entries named through it (a
    descriptor's variants: suffix `.extensive`), in the order of REFERENCES."""
    refs = [(loc, how, "") for loc, how in references_to(tree, k.name, id)]
    for child in children(k):
        for loc, _ in walk_entries(tree, child):
            if show_id(child, loc).startswith(id + child.joiner):
                suffix = show_id(child, loc)[len(id):]
                refs += [(ref, how, suffix) for ref, how in references_to(tree, child.name, id + suffix)]
    return refs


def _delete(s: Session, loc: Loc) -> None:
    """Delete the entry at loc, or the row it is the last of where the row is no entry itself (a judgment
    row: `cib.judgments.SOURCE`)."""
    if any(k.section[-1] == "*" and len(loc) == len(k.section) + 1 and all(p in ("*", q) for p, q in zip(k.section, loc))
           for k in KINDS.values()) and len(s.get(loc[:-1])) == 1:
        loc = loc[:-1]
    if s.has(loc):
        s.delete(loc)


def rename(path: Path | str, kind: str, old: str, new: str, *, scenario: Optional[str] = None,
           dry_run: bool = False) -> EditResult:
    """Change an entry's id and every reference to it, keeping its place in the file."""
    return session.run(Path(path), _renaming(kind, old, new, scenario), dry_run)


def _renaming(kind: str, old: str, new: str, scenario: Optional[str]) -> Change:
    k = kind_of(kind)
    if k.name == "impact":
        raise UsageError("an impact is named by its scenario and actor: rename the scenario or the actor")
    if k.words > 1:
        raise UsageError(f"{a(k.name)} is named by its {k.words} variants: rename the variant or the descriptor")
    if k.single:
        raise UsageError(f"the {k.name} has no id to rename")
    _check_names(k, old, scenario, None)
    if not new:
        raise UsageError("give the new id")

    def change(s: Session) -> None:
        loc = entry_path(s.tree, k, old, scenario=scenario)
        s.require(loc, k)
        key = _own_key(k, loc, new)
        target = loc[:-1] + (key,)
        if key == loc[-1]:
            return
        if s.has(target) or (k.name == "indicator" and indicator_scenario(s.tree, new)):
            where = target if s.has(target) else ("scenarios", indicator_scenario(s.tree, new), "indicators", new)
            raise StudyError([s.problem(where, "exists", f"{dotted(where)} already exists", "pick another id", key=True)])
        renamed = show_id(k, target)
        for ref, how, suffix in _references(s.tree, k, show_id(k, loc)):
            if how == "key":
                s.rename_key(ref, renamed + suffix)
            else:
                s.set(ref, styled_like(renamed + suffix, s.get(ref)))
        s.rename_key(loc, key)

    return change


def _own_key(k: Kind, loc: Loc, new: str) -> str:
    """The key a renamed entry gets: NEW, or of a joined kind its last part (`us-pressure.rising` or
    `rising`), which may not move it to another owner."""
    if not k.joiner or k.joiner not in new:
        return new
    owners, _, key = new.rpartition(k.joiner)
    if owners != show_id(k, loc).rpartition(k.joiner)[0]:
        owner = _owner_kind(k)
        raise UsageError(f"{new!r} would move the {k.name} to another {owner.name if owner else 'entry'}: a rename "
                         f"keeps it where it is (give its new id, e.g. {key})")
    return key


def references(path: Path | str, kind: str, id: str) -> list[Problem]:
    """Where other entries refer to this one (see study.kinds.REFERENCES), as positioned problems in the
    order of the file (empty when nothing does)."""
    k = kind_of(kind)
    s = Session(Path(path), files.read_text(Path(path)))
    return sorted(s.problem(ref, "referenced", f"{dotted(ref)} refers to {k.name} {id!r}", key=how == "key")
                  for ref, how, _ in _references(s.tree, k, id))


def entries(path_or_tree: Any, kind: str) -> list[dict[str, Any]]:
    """The entries of a kind as plain JSON-ready rows ({"id": ..., fields...}), read without validation."""
    k = kind_of(kind)
    tree = path_or_tree
    if isinstance(path_or_tree, (str, Path)):
        path = Path(path_or_tree)
        tree = session.cached_tree(path, files.read_text(path))
    rows = []
    for loc, value in walk_entries(tree, k):
        row: dict[str, Any] = {"id": show_id(k, loc)}
        if k.name in ("impact", "indicator"):
            row["scenario"] = loc[1]
        if k.name == "impact":
            row["actor"] = loc[-1]
        if k.scalar:
            row[k.value_field] = values.plain(value)
        elif isinstance(value, dict):
            row.update({str(key): values.plain(v) for key, v in value.items()})
        rows.append(row)
    return rows


def kind_of(name: str) -> Kind:
    kind = kind_named(name)
    if kind is None:
        hint = did_you_mean(name, KINDS) or "one of: " + ", ".join(KINDS)
        raise UsageError(f"unknown kind of entry {name!r} ({hint})")
    return kind


def _check_names(kind: Kind, id: Optional[str], scenario: Optional[str], actor: Optional[str],
                 new: bool = False) -> None:
    """Mistakes in how an entry is named, caught before the study is read."""
    if kind.single:
        if id:
            raise UsageError(f"the {kind.name} has no id to give: `scenmatrix set {kind.name} --title ...`")
        if new:
            raise UsageError(f"a study's own fields are always there: change them with `scenmatrix set {kind.name}`")
    elif kind.name == "impact":
        parts = [p for p in ((id or "").split("/", 1) if id and "/" in id else [id, scenario, actor]) if p]
        if len(parts) < 2:
            raise UsageError("an impact is named SCENARIO/ACTOR (or give --scenario and --actor)")
    elif not id:
        raise UsageError(f"give the {kind.name}'s id" if kind.words == 1 else
                         f"give the {kind.name}'s {kind.words} variants, e.g. iran-support.extensive us-pressure.escalating")
    elif kind.joiner and len(id.split(kind.joiner)) != kind.section.count("*") + 1:
        raise UsageError(_joined_form(kind))
    elif kind.name == "indicator" and new and "/" not in id and not scenario:
        raise UsageError("a new indicator needs its scenario: --scenario ID (or SCENARIO/ID)")


def entry_path(tree: Any, kind: Kind, id: Optional[str], *, scenario: Optional[str] = None,
               actor: Optional[str] = None, existing: bool = True) -> Loc:
    """Where an entry of this kind and id lives in the tree, as a tuple of keys."""
    if kind.single:
        return kind.section
    if kind.name == "impact":
        if id and "/" in id:
            scenario, actor = id.split("/", 1)
        elif id:
            if scenario and not actor:
                actor = id
            elif actor and not scenario:
                scenario = id
        if not scenario or not actor:
            raise UsageError("an impact is named SCENARIO/ACTOR (or give --scenario and --actor)")
        return ("scenarios", scenario, "impacts", actor)
    if kind.name == "indicator":
        if id and "/" in id:
            scenario, id = id.split("/", 1)
        if not id:
            raise UsageError("give the indicator's id")
        if scenario is None:
            scenario = indicator_scenario(tree, id)
            if scenario is None:
                if existing:
                    return ("scenarios", "?", "indicators", id)
                raise UsageError("a new indicator needs its scenario: --scenario ID (or SCENARIO/ID)")
        return ("scenarios", scenario, "indicators", id)
    if not id:
        raise UsageError(f"give the {kind.name}'s id")
    if kind.joiner:
        parts = iter(id.split(kind.joiner, kind.section.count("*")))
        loc = tuple(next(parts, "") if part == "*" else part for part in kind.section) + (next(parts, ""),)
        if "" in loc:
            raise UsageError(_joined_form(kind))
        return loc
    return kind.section + (id,)


def _joined_form(kind: Kind) -> str:
    if kind.words > 1:
        return (f"{a(kind.name)} is named by its source and target variants, two words: "
                "DESCRIPTOR.VARIANT DESCRIPTOR.VARIANT, e.g. iran-support.extensive us-pressure.escalating")
    return f"{a(kind.name)} is named DESCRIPTOR{kind.joiner}VARIANT, e.g. us-pressure{kind.joiner}escalating"
