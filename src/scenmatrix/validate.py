"""All checks of a study, collecting every problem with its position rather than stopping at the first."""

from __future__ import annotations

import itertools
import re
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Iterator, Optional

from pydantic import ValidationError

from . import fastload, vocab
from .bulk import gc_paused
from .model import CIB_ID_PATTERN, CIB_REF_PATTERN, Scenario, Study
from .problems import Problem, StudyError, did_you_mean
from .store import Document, parse, read_text, round_trip_yaml

Loc = tuple[Any, ...]


@dataclass
class LoadedStudy:
    """A valid study with the document it came from (for positions, provenance and edits). A big study
    loaded the fast way has no tree (`document.tree` is None)."""

    document: Document
    study: Study
    warnings: list[Problem] = field(default_factory=list)  # worth a look, but the study is valid

    @property
    def path(self) -> Path:
        return self.document.path


def load(path: Path | str) -> LoadedStudy:
    """Read and validate a study; raise StudyError holding every problem if it is not valid."""
    path = Path(path)
    text = read_text(path)
    loaded = _load_fast(path, text)
    if loaded is not None:
        return loaded
    document = parse(path, text)
    study, problems = validate_document(document)
    if problems:
        raise StudyError(problems)
    assert study is not None
    return LoadedStudy(document, study, study_warnings(document, study))


def _load_fast(path: Path, text: str) -> Optional[LoadedStudy]:
    """A big study through fastload's shortcut if it is valid and has no warning, else None: the slow path
    then finds every problem or warning again, with its position.

    The study keeps no tree (its document's `tree` is None): no command needs it once the study is valid,
    and for a big study its mappings and lists would be half as big again as the models.
    """
    with gc_paused():
        tree = fastload.fast_tree(text)
        if tree is None:
            return None
        locate = Locator(Document(path, text, None))  # plain data knows no positions
        if next(check_references(tree, locate), None) is not None:
            return None
        # fast_tree refused unprintable characters in the text: only an escape (in a double-quoted scalar)
        # can write one into a value
        if "\\" in text and next(check_characters(tree, (), locate), None) is not None:
            return None
        study = _validated(tree)
        del tree
        if study is None or study_warnings(locate.document, study):
            return None
    return LoadedStudy(locate.document, study)


def _validated(tree: dict) -> Optional[Study]:
    """The study from plain data if it is valid, else None. Scenarios (nearly all of a big study) are
    validated one by one and their data dropped as they are done, so that data and models never both
    exist whole."""
    shared: dict[tuple[type, frozenset[str]], "_SharedNames"] = {}
    try:
        scenarios = tree.get("scenarios")
        if isinstance(scenarios, dict):
            tree["scenarios"] = {sid: _share_fields_sets(Scenario.model_validate(scenarios.pop(sid)), shared)
                                 for sid in list(scenarios)}
        return Study.model_validate(tree)
    except (ValidationError, RecursionError):
        return None


def _share_fields_sets(scenario: Scenario, shared: dict[tuple[type, frozenset[str]], "_SharedNames"]) -> Scenario:
    """The scenario, its impacts and indicators sharing one set of field names per kind and names given.

    pydantic gives every model its own `model_fields_set`: 728 bytes for an impact's five names, two
    thirds of the impact, 70 MB for a study of 100,000. The sets are equal, and only read (by dumps with
    exclude_unset, which no command makes). A shared set refuses changes: code that assigned a field or
    copied a model with changes fails loudly rather than changing every sibling's set.
    """
    for model in [scenario, *scenario.impacts.values(), *scenario.indicators.values()]:
        given = model.__pydantic_fields_set__
        key = (type(model), frozenset(given))
        object.__setattr__(model, "__pydantic_fields_set__", shared.setdefault(key, _SharedNames(given)))
    return scenario


class _SharedNames(set):
    """A model's field names, shared by its siblings (pydantic wants a set, so not a frozenset)."""

    def _refuse(self, *args: Any) -> None:
        raise TypeError("the models of a fast-loaded study share their field-name sets: build a new model "
                        "instead of changing one")

    add = update = discard = remove = pop = clear = _refuse
    difference_update = intersection_update = symmetric_difference_update = _refuse
    __ior__ = __iand__ = __isub__ = __ixor__ = _refuse


def validate_document(document: Document) -> tuple[Optional[Study], list[Problem]]:
    locate = Locator(document)
    tree = document.tree
    if not isinstance(tree, dict):
        return None, [locate.problem((), "structure", "a study must be a mapping with `study:`, `actors:`, `scenarios:` ...")]
    anchors = list(_anchored(tree, ())) if hasattr(tree, "lc") else []  # plain fast-path data has none
    if anchors:
        return None, _anchor_problems(document) or [
            locate.problem(loc, "anchor", "YAML anchors and aliases are not allowed in a study",
                           "write the entry out in full") for loc in anchors]
    problems = list(check_characters(tree, (), locate)) + list(check_references(tree, locate))
    study: Optional[Study] = None
    try:
        study = Study.model_validate(tree)
    except ValidationError as exc:
        # string_unicode (a lone surrogate) is check_characters' to report, with its code point
        problems += [locate.from_pydantic(error) for error in exc.errors() if error["type"] != "string_unicode"]
    except RecursionError:
        problems.append(locate.problem((), "structure", "study nested too deeply"))
    return (None if problems else study), sorted(problems)


def _anchor_problems(document: Document) -> list[Problem]:
    """Each `&anchor` and `*alias` where it is written (an alias shares its anchor's node, so the tree
    would put both at the anchor)."""
    from ruamel.yaml.events import AliasEvent, NodeEvent

    problems = []
    for event in round_trip_yaml().parse(document.text):
        if isinstance(event, NodeEvent) and event.anchor:
            what = f"alias '*{event.anchor}'" if isinstance(event, AliasEvent) else f"anchor '&{event.anchor}'"
            problems.append(Problem(str(document.path), event.start_mark.line + 1, event.start_mark.column + 1,
                                    "anchor", f"YAML {what}: anchors and aliases are not allowed in a study",
                                    "write the entry out in full"))
    return sorted(problems)


# What YAML refuses in a file, and what an escape ("\0", "\x07", "\ud800") can still put into text.
_NOT_PRINTABLE = re.compile("[^\x09\x0A\x0D\x20-\x7E\x85\xA0-\uD7FF\uE000-\uFFFD\U00010000-\U0010FFFF]")


def check_characters(node: Any, loc: Loc, locate: "Locator") -> Iterator[Problem]:
    """Text holding a control character or lone surrogate (written as an escape): no sheet can hold it."""
    texts: list[str] = []
    _collect_text(node, texts)
    if not _NOT_PRINTABLE.search("\n".join(texts)):  # one search over everything: the common case
        return
    yield from _locate_characters(node, loc, locate)


def _collect_text(node: Any, out: list[str]) -> None:
    if isinstance(node, dict):
        out.extend(key for key in node if isinstance(key, str))  # an id is text a sheet shows too
    for value in node.values() if isinstance(node, dict) else node if isinstance(node, list) else ():
        if isinstance(value, str):
            out.append(value)
        else:
            _collect_text(value, out)


def _locate_characters(node: Any, loc: Loc, locate: "Locator") -> Iterator[Problem]:
    items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
    for part, value in items:
        bad_key = _NOT_PRINTABLE.search(part) if isinstance(node, dict) and isinstance(part, str) else None
        if bad_key:
            yield locate.problem(loc + (part,), "character",
                                 f"{_path(loc)}: unprintable character U+{ord(bad_key.group()):04X} in a key",
                                 "remove the escape (\\0, \\e, \\x07, \\ud800, ...) that writes it", key=True)
        if isinstance(value, str):
            bad = _NOT_PRINTABLE.search(value)
            if bad:
                yield locate.problem(loc + (part,), "character",
                                     f"{_path(loc + (part,))}: unprintable character U+{ord(bad.group()):04X} in text",
                                     "remove the escape (\\0, \\e, \\x07, \\ud800, ...) that writes it")
        else:
            yield from _locate_characters(value, loc + (part,), locate)


def _anchored(node: Any, loc: Loc) -> Iterator[Loc]:
    anchor = getattr(node, "anchor", None)
    if anchor is not None and getattr(anchor, "value", None):
        yield loc
        return
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _anchored(value, loc + (key,))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _anchored(value, loc + (index,))


class Locator:
    """Turns a path of keys into the file position of that node, via ruamel's line/column records."""

    def __init__(self, document: Document):
        self.document = document

    def position(self, loc: Loc, key: bool = False) -> tuple[int, int]:
        node, line, col = self.document.tree, 0, 0
        for part in loc:
            lc = getattr(node, "lc", None)
            try:
                if isinstance(node, dict) and part in node:
                    # an empty value (`rationale:`) is recorded at the next token, often a line below
                    use_key = (key and part == loc[-1]) or node[part] is None
                    line, col = lc.key(part) if use_key else lc.value(part)
                    node = node[part]
                elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
                    line, col = lc.item(part)
                    node = node[part]
                else:
                    break
            except (AttributeError, KeyError, TypeError):
                break
        return line + 1, col + 1

    def problem(self, loc: Loc, code: str, message: str, hint: Optional[str] = None, key: bool = False) -> Problem:
        line, col = self.position(loc, key)
        return Problem(str(self.document.path), line, col, code, message, hint)

    def from_pydantic(self, error: dict) -> Problem:
        loc = tuple(error["loc"])
        kind = error["type"]
        if loc and loc[-1] == "[key]":
            if loc[:2] == ("cib", "judgments"):
                return self.problem(loc[:-1], "id", f"{_path(loc[:-2])}: {_show(loc[-2])} does not name a variant",
                                    "write DESCRIPTOR.VARIANT with the ids of cib.descriptors, e.g. "
                                    "iran-support.extensive", key=True)
            if loc[:1] == ("cib",):
                return self.problem(loc[:-1], "id", f"{_path(loc[:-2])}: invalid id {_show(loc[-2])}",
                                    "cross-impact ids start with a letter, then letters, digits, '_', '-' (no '.': "
                                    "judgments name a variant as DESCRIPTOR.VARIANT)", key=True)
            return self.problem(loc[:-1], "id", f"{_path(loc[:-2])}: invalid id {_show(loc[-2])}",
                                "ids start with a letter, then letters, digits, '_', '.', '-' (at most 40)", key=True)
        field = loc[-1] if loc else "study"
        value = error.get("input")
        if loc[:2] == ("cib", "judgments") and len(loc) == 4:
            return self._judgment(loc, kind, value, error)
        if kind == "missing":
            return self.problem(loc[:-1], "missing", f"{_path(loc[:-1])}: missing required field '{field}'", key=True)
        if kind == "extra_forbidden":
            hint = did_you_mean(str(field), _fields_at(loc[:-1]))
            return self.problem(loc, "unknown-field", f"{_path(loc[:-1])}: unknown field '{field}'", hint, key=True)
        if kind == "literal_error":
            choices = _literal_choices(error)
            if field == "likelihood":  # only the study's own scale, not every scale's words
                scale = _mapping(self.document.tree, "study").get("likelihood_scale", "icd203")
                choices = list(vocab.SCALES.get(scale, vocab.ICD203))
            hint = did_you_mean(str(value), choices, _LITERAL_ALIASES.get(str(field))) or (
                "expected one of: " + ", ".join(choices))
            return self.problem(loc, "vocabulary", f"{_path(loc)}: {_show(value)} is not a valid {_noun(field, loc)}", hint)
        message, hint = _describe(kind, field, value, error)
        return self.problem(loc, kind, f"{_path(loc)}: {message}", hint)

    def _judgment(self, loc: Loc, kind: str, value: Any, error: dict) -> Problem:
        """A cross-impact judgment that is not a whole number -3..+3."""
        where = f"{_path(loc[:3])} -> {loc[3]}"
        hint = "-3 strongly hinders ... 0 no influence (or leave it out) ... +3 strongly promotes"
        if kind in ("greater_than_equal", "less_than_equal"):
            return self.problem(loc, "cib-judgment", f"{where}: judgment {_show(value)} is out of range -3..3", hint)
        if kind in ("int_type", "int_from_float", "int_parsing"):
            return self.problem(loc, "cib-judgment", f"{where}: expected a whole number, got {_type_name(value)}",
                                hint)
        message, other = _describe(kind, loc[-1], value, error)
        return self.problem(loc, kind, f"{where}: {message}", other)


def _show(value: Any) -> str:
    text = repr(value) if isinstance(value, str) else str(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _path(loc: Loc) -> str:
    """'scenarios.S1.impacts.RU.domains[0]': where a problem is, as the analyst would navigate to it."""
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "study file"


def _noun(field: Any, loc: Loc) -> str:
    if field == "likelihood":
        return "likelihood term"
    if len(loc) >= 2 and loc[-2] == "domains":
        return "domain"
    return str(field if not isinstance(field, int) else loc[-2]).replace("_", " ")


# Words from older or neighbouring vocabularies, and the term that replaced them.
_LITERAL_ALIASES = {
    "marking": {"TLP:WHITE": "TLP:CLEAR", "WHITE": "TLP:CLEAR"},  # TLP 1.0 -> 2.0
    "likelihood": vocab.ICD203_SYNONYMS,
}


def _literal_choices(error: dict) -> list[str]:
    """The allowed words, from pydantic's "'a', 'b' or 'c'" (works for studies and templates alike)."""
    return re.findall(r"'([^']*)'", str(error.get("ctx", {}).get("expected", "")))


def _fields_at(loc: Loc) -> list[str]:
    """Field names allowed at a location, for did-you-mean on unknown fields."""
    from . import model

    shape: Any = model.Study
    for part in loc:
        if isinstance(shape, type) and issubclass(shape, model.Entity) and part in shape.model_fields:
            shape = shape.model_fields[part].annotation
            if typing.get_origin(shape) is typing.Union:  # Optional[Entity] -> Entity
                shape = next((a for a in typing.get_args(shape) if a is not type(None)), shape)
        else:
            args = getattr(shape, "__args__", ())
            shape = args[-1] if args else None
    return list(shape.model_fields) if isinstance(shape, type) and issubclass(shape, model.Entity) else []


def _describe(kind: str, field: Any, value: Any, error: dict) -> tuple[str, Optional[str]]:
    ctx = error.get("ctx", {})
    if kind == "string_type":
        scalar = value is not None and not isinstance(value, (dict, list))
        return f"expected text, got {_type_name(value)}", "put the value in quotes" if scalar else None
    if kind in ("int_type", "int_from_float"):
        return f"expected a whole number, got {_type_name(value)}", "effects are integers from -3 to 3"
    if kind in ("greater_than_equal", "less_than_equal"):
        return (f"{_show(value)} is out of range {vocab.EFFECT_MIN}..{vocab.EFFECT_MAX}",
                "-3 severe harm, 0 no net effect, 3 major gain")
    if kind == "string_pattern_mismatch":
        if field == "grade":
            return f"{_show(value)} is not an Admiralty grade", "reliability A-F then credibility 1-6, e.g. B2"
        return f"invalid id {_show(value)}", "ids start with a letter, then letters, digits, '_', '.', '-'"
    if kind == "string_too_short":
        return "must not be empty", None
    if kind == "too_short":
        least = ctx.get("min_length", 1)
        if field == "variants":
            return f"needs at least {least} variants", "a descriptor has two or more mutually exclusive variants"
        return f"needs at least {least} {'entry' if least == 1 else 'entries'}", None
    if kind in ("date_type", "date_from_datetime_inexact", "date_parsing"):
        return f"expected a date, got {_show(value)}", "write it as YYYY-MM-DD, unquoted"
    if kind in ("dict_type", "model_type", "model_attributes_type"):
        return f"expected a mapping (key: value lines), got {_type_name(value)}", None
    if kind == "list_type":
        return f"expected a list, got {_type_name(value)}", "write a list as [a, b] or as '- item' lines"
    return error["msg"], None


def _type_name(value: Any) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return _show(value)


def _mapping(node: Any, *keys: str) -> dict:
    """The mapping at node[keys...], or {} where the schema check has already reported a wrong shape."""
    for key in keys:
        node = node.get(key) if isinstance(node, dict) else None
    return node if isinstance(node, dict) else {}


def _ids(node: Any) -> list[Any]:
    return list(node) if isinstance(node, list) else []


def check_references(tree: dict, locate: Locator) -> Iterator[Problem]:
    """Every id used must name an entry of the right kind; ids and list items must be unique.

    Works on the raw tree, not the model, so that reference problems are reported in the same run
    as schema problems.
    """
    actors = _mapping(tree, "actors")
    aliases = {}
    for aid, actor in actors.items():
        actor = actor if isinstance(actor, dict) else {}
        for alias in [actor.get("name"), *_ids(actor.get("aliases"))]:
            if isinstance(alias, str):
                aliases[alias] = aid
    known = {
        "actor": (actors, aliases),
        "evidence": (_mapping(tree, "evidence"), {}),
        "driver": (_mapping(tree, "drivers"), {}),
        "constraint": (_mapping(tree, "constraints"), {}),
        "source": (_mapping(tree, "study", "sources"), {}),
    }

    def ref(kind: str, value: Any, loc: Loc, key: bool = False) -> Iterator[Problem]:
        entries, kind_aliases = known.get(kind, (None, {}))
        if entries is not None and isinstance(value, str) and value not in entries:
            hint = did_you_mean(value, entries, kind_aliases) or (
                f"known: {', '.join(sorted(map(str, entries))[:12])}" if entries else f"no {kind} is defined yet")
            yield locate.problem(loc, "reference", f"{_path(loc)}: unknown {kind} {value!r}", hint, key=key)

    def refs(kind: str, values: Any, loc: Loc) -> Iterator[Problem]:
        seen: set[Any] = set()
        for index, value in enumerate(_ids(values)):
            yield from ref(kind, value, loc + (index,))
            if isinstance(value, str):  # other values are the schema check's to report
                if value in seen:
                    yield locate.problem(loc + (index,), "duplicate", f"{_path(loc)}: {value!r} is listed twice")
                seen.add(value)

    for eid, item in known["evidence"][0].items():
        item = item if isinstance(item, dict) else {}
        if item.get("cited_in") is not None:
            yield from ref("source", item["cited_in"], ("evidence", eid, "cited_in"))
        for actor in _mapping(item, "contested_by"):
            yield from ref("actor", actor, ("evidence", eid, "contested_by", actor), key=True)
    for section in ("drivers", "constraints"):
        for fid, factor in _mapping(tree, section).items():
            yield from refs("evidence", factor.get("evidence") if isinstance(factor, dict) else None,
                            (section, fid, "evidence"))
    yield from _scenario_references(tree, locate, ref, refs)
    yield from _likelihood_scale(tree, locate)
    yield from _cib_references(tree, locate)


def _likelihood_scale(tree: dict, locate: Locator) -> Iterator[Problem]:
    """A study uses one likelihood vocabulary: every scenario's word must come from its scale."""
    scale_name = _mapping(tree, "study").get("likelihood_scale", "icd203")
    if scale_name not in vocab.SCALES:
        return  # the schema check reports the unknown scale itself
    scale = vocab.SCALES[scale_name]
    all_terms = {t for other in vocab.SCALES.values() for t in other}
    for sid, scenario in _mapping(tree, "scenarios").items():
        term = scenario.get("likelihood") if isinstance(scenario, dict) else None
        if isinstance(term, str) and term in all_terms and term not in scale:
            loc = ("scenarios", sid, "likelihood")
            hint = did_you_mean(term, scale, _scale_synonyms(scale_name)) or "expected one of: " + ", ".join(scale)
            yield locate.problem(loc, "vocabulary", f"{_path(loc)}: {term!r} is not a {vocab.SCALE_NAMES[scale_name]} "
                                 f"term (study.likelihood_scale is {scale_name}; a study never mixes scales)", hint)


def _scale_synonyms(scale_name: str) -> dict[str, str]:
    """Words of the other scale mapped to the nearest band of this one (by midpoint)."""
    scale = vocab.SCALES[scale_name]
    out = {}
    for other_name, other in vocab.SCALES.items():
        if other_name != scale_name:
            for term, band in other.items():
                out[term] = min(scale, key=lambda t: abs(scale[t].mid - band.mid))
    return out if scale_name != "icd203" else {**out, **vocab.ICD203_SYNONYMS}


_VARIANT_REF = re.compile(CIB_REF_PATTERN)
_CIB_ID = re.compile(CIB_ID_PATTERN)


def _cib_references(tree: dict, locate: Locator) -> Iterator[Problem]:
    """Every judgment names a variant of cib.descriptors, as DESCRIPTOR.VARIANT, and acts on another descriptor.

    References the schema already refuses (not DESCRIPTOR.VARIANT at all) are left to it, and so is
    every unknown descriptor while a descriptor id is itself invalid (the reference may mean it).
    """
    cib = _mapping(tree, "cib")
    descriptors = _mapping(cib, "descriptors")
    bad_ids = any(not isinstance(d, str) or not _CIB_ID.match(d) for d in descriptors)
    variants = {d: list(_mapping(entry, "variants")) for d, entry in descriptors.items()}
    refs = [f"{d}.{v}" for d, vs in variants.items() for v in vs]

    def known(text: Any, loc: Loc) -> Iterator[Problem]:
        if not isinstance(text, str) or not _VARIANT_REF.match(text):
            return
        descriptor, variant = text.split(".", 1)
        if descriptor not in variants:
            if bad_ids:
                return
            hint = did_you_mean(text, refs) or did_you_mean(descriptor, variants) or (
                f"descriptors: {', '.join(map(str, variants))}" if variants else "no descriptor is defined yet")
            yield locate.problem(loc, "reference", f"{_path(loc[:-1])}: {text!r}: unknown descriptor {descriptor!r}",
                                 hint, key=True)
        elif variant not in variants[descriptor]:
            own = [r for r in refs if r.startswith(descriptor + ".")]
            hint = did_you_mean(text, own) or f"variants of {descriptor}: {', '.join(map(str, variants[descriptor]))}"
            yield locate.problem(loc, "reference", f"{_path(loc[:-1])}: {text!r}: descriptor {descriptor!r} has no "
                                 f"variant {variant!r}", hint, key=True)

    for source, row in _mapping(cib, "judgments").items():
        loc = ("cib", "judgments", source)
        yield from known(source, loc)
        for target in _mapping(row):
            yield from known(target, loc + (target,))
            if (isinstance(source, str) and isinstance(target, str) and _VARIANT_REF.match(source)
                    and _VARIANT_REF.match(target) and source.split(".")[0] == target.split(".")[0]):
                yield locate.problem(loc + (target,), "cib-self", f"{_path(loc)} -> {target}: a descriptor does not "
                                     "act on itself", "judge only how a variant acts on the variants of other "
                                     "descriptors; remove this entry", key=True)


def study_warnings(document: Document, study: Study) -> list[Problem]:
    """What is worth a look in a valid study without making it invalid: cross-impact judgment groups
    (one variant's judgments on another descriptor) that do not sum to zero."""
    if study.cib is None:
        return []
    from . import cib, cib_study

    locate = Locator(document)
    m = cib_study.to_matrix(study.cib)
    out = []
    for group in cib.group_sums(m):
        d = m.descriptor_of(group.row)
        source = f"{m.descriptors[d]}.{m.variants[d][group.row - m.offsets[d]]}"
        target = m.descriptors[group.descriptor]
        row = study.cib.judgments.get(source, {})
        first = next(t for t in row if cib_study.split_ref(t)[0] == target)
        loc = ("cib", "judgments", source, first)
        out.append(locate.problem(loc, "cib-sum", f"warning: {_path(loc[:3])}: the judgments on {target!r} sum to "
                                  f"{group.total:+d}, not 0",
                                  "CIB judgment groups are usually balanced so that each sums to 0", key=True))
    return sorted(out)


def _scenario_references(tree: dict, locate: Locator, ref, refs) -> Iterator[Problem]:
    indicator_owner: dict[Any, Any] = {}
    actors, evidence = _mapping(tree, "actors"), _mapping(tree, "evidence")
    for sid, scenario in _mapping(tree, "scenarios").items():
        scenario = scenario if isinstance(scenario, dict) else {}
        base = ("scenarios", sid)
        yield from refs("driver", scenario.get("drivers"), base + ("drivers",))
        yield from refs("constraint", scenario.get("constraints"), base + ("constraints",))
        for iid in _mapping(scenario, "indicators"):
            if iid in indicator_owner:
                loc = base + ("indicators", iid)
                yield locate.problem(loc, "duplicate",
                                     f"{_path(loc)}: indicator id {iid!r} is already used in scenario "
                                     f"{indicator_owner[iid]!r}", "indicator ids are unique across the study", key=True)
            indicator_owner.setdefault(iid, sid)
        impacts = _mapping(scenario, "impacts")
        if _impacts_fine(impacts, actors, evidence):
            continue
        for actor, impact in impacts.items():
            loc = base + ("impacts", actor)
            yield from ref("actor", actor, loc, key=True)
            impact = impact if isinstance(impact, dict) else {}
            yield from refs("evidence", impact.get("evidence"), loc + ("evidence",))
            yield from refs("domain", impact.get("domains"), loc + ("domains",))


def _impacts_fine(impacts: dict, actors: dict, evidence: dict) -> bool:
    """Whether a scenario's impacts name only known actors and evidence and list nothing twice: the common
    case, checked in bulk (where not, the check item by item finds what is wrong)."""
    if not impacts.keys() <= actors.keys():
        return False
    values = [impact for impact in impacts.values() if isinstance(impact, dict)]
    return (_unique_ids([impact.get("evidence") for impact in values], evidence)
            and _unique_ids([impact.get("domains") for impact in values], None))


def _unique_ids(lists: list[Any], entries: Optional[dict]) -> bool:
    """Whether the lists (anything else is no list of ids) hold text only, each item once, all in entries."""
    lists = [values for values in lists if isinstance(values, list)]
    items = list(itertools.chain.from_iterable(lists))
    return (all(isinstance(item, str) for item in items)
            and (entries is None or set(items) <= entries.keys())
            and all(len(values) < 2 or len(set(values)) == len(values) for values in lists))


@dataclass
class Report:
    """What checking several studies found: problems (fail), warnings (do not), and a line per valid study."""

    problems: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    summaries: list[str] = field(default_factory=list)


def check_studies(paths: Iterable[Path | str]) -> Report:
    """Problems and warnings of every study, and a one-line summary of each valid one."""
    report = Report()
    for path in paths:
        try:
            loaded = load(path)
        except StudyError as exc:
            report.problems += exc.problems
            continue
        report.warnings += loaded.warnings
        s = loaded.study
        impacts = sum(len(x.impacts) for x in s.scenarios.values())
        model = ""
        if s.cib is not None:
            variants = sum(len(d.variants) for d in s.cib.descriptors.values())
            model = f", a cross-impact model of {len(s.cib.descriptors)} descriptors and {variants} variants"
        report.summaries.append(f"{path}: valid ({len(s.scenarios)} scenarios, {len(s.actors)} actors, "
                                f"{impacts} impacts{model})")
    return report


def check_report(paths: Iterable[Path | str]) -> tuple[list[Problem], list[str]]:
    """Problems of every study, and a one-line summary of each valid one (warnings: see `check_studies`)."""
    report = check_studies(paths)
    return report.problems, report.summaries
