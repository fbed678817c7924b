"""All checks of a study, collecting every problem with its position rather than stopping at the first."""

from __future__ import annotations

import itertools
import re
from typing import Any, Iterator, Optional

from pydantic import ValidationError

from scenmatrix.study import vocab
from scenmatrix.study.model import CIB_ID_PATTERN, CIB_REF_PATTERN, Study
from scenmatrix.errors import Problem, did_you_mean
from scenmatrix.store.document import Document, round_trip_yaml

from scenmatrix.store.messages import Loc, Locator, key_path, mapping_at



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
                                 f"{key_path(loc)}: unprintable character U+{ord(bad_key.group()):04X} in a key",
                                 "remove the escape (\\0, \\e, \\x07, \\ud800, ...) that writes it", key=True)
        if isinstance(value, str):
            bad = _NOT_PRINTABLE.search(value)
            if bad:
                yield locate.problem(loc + (part,), "character",
                                     f"{key_path(loc + (part,))}: unprintable character U+{ord(bad.group()):04X} in text",
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




def _ids(node: Any) -> list[Any]:
    return list(node) if isinstance(node, list) else []


def check_references(tree: dict, locate: Locator) -> Iterator[Problem]:
    """Every id used must name an entry of the right kind; ids and list items must be unique.

    Works on the raw tree, not the model, so that reference problems are reported in the same run
    as schema problems.
    """
    actors = mapping_at(tree, "actors")
    aliases = {}
    for aid, actor in actors.items():
        actor = actor if isinstance(actor, dict) else {}
        for alias in [actor.get("name"), *_ids(actor.get("aliases"))]:
            if isinstance(alias, str):
                aliases[alias] = aid
    known = {
        "actor": (actors, aliases),
        "evidence": (mapping_at(tree, "evidence"), {}),
        "driver": (mapping_at(tree, "drivers"), {}),
        "constraint": (mapping_at(tree, "constraints"), {}),
        "source": (mapping_at(tree, "study", "sources"), {}),
    }

    def ref(kind: str, value: Any, loc: Loc, key: bool = False) -> Iterator[Problem]:
        entries, kind_aliases = known.get(kind, (None, {}))
        if entries is not None and isinstance(value, str) and value not in entries:
            hint = did_you_mean(value, entries, kind_aliases) or (
                f"known: {', '.join(sorted(map(str, entries))[:12])}" if entries else f"no {kind} is defined yet")
            yield locate.problem(loc, "reference", f"{key_path(loc)}: unknown {kind} {value!r}", hint, key=key)

    def refs(kind: str, values: Any, loc: Loc) -> Iterator[Problem]:
        seen: set[Any] = set()
        for index, value in enumerate(_ids(values)):
            yield from ref(kind, value, loc + (index,))
            if isinstance(value, str):  # other values are the schema check's to report
                if value in seen:
                    yield locate.problem(loc + (index,), "duplicate", f"{key_path(loc)}: {value!r} is listed twice")
                seen.add(value)

    for eid, item in known["evidence"][0].items():
        item = item if isinstance(item, dict) else {}
        if item.get("cited_in") is not None:
            yield from ref("source", item["cited_in"], ("evidence", eid, "cited_in"))
        for actor in mapping_at(item, "contested_by"):
            yield from ref("actor", actor, ("evidence", eid, "contested_by", actor), key=True)
    for section in ("drivers", "constraints"):
        for fid, factor in mapping_at(tree, section).items():
            yield from refs("evidence", factor.get("evidence") if isinstance(factor, dict) else None,
                            (section, fid, "evidence"))
    yield from _scenario_references(tree, locate, ref, refs)
    yield from _likelihood_scale(tree, locate)
    yield from _cib_references(tree, locate)


def _likelihood_scale(tree: dict, locate: Locator) -> Iterator[Problem]:
    """A study uses one likelihood vocabulary: every scenario's word must come from its scale."""
    scale_name = mapping_at(tree, "study").get("likelihood_scale", "icd203")
    if scale_name not in vocab.SCALES:
        return  # the schema check reports the unknown scale itself
    scale = vocab.SCALES[scale_name]
    all_terms = {t for other in vocab.SCALES.values() for t in other}
    for sid, scenario in mapping_at(tree, "scenarios").items():
        term = scenario.get("likelihood") if isinstance(scenario, dict) else None
        if isinstance(term, str) and term in all_terms and term not in scale:
            loc = ("scenarios", sid, "likelihood")
            hint = did_you_mean(term, scale, _scale_synonyms(scale_name)) or "expected one of: " + ", ".join(scale)
            yield locate.problem(loc, "vocabulary", f"{key_path(loc)}: {term!r} is not a {vocab.SCALE_NAMES[scale_name]} "
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
    cib = mapping_at(tree, "cib")
    descriptors = mapping_at(cib, "descriptors")
    bad_ids = any(not isinstance(d, str) or not _CIB_ID.match(d) for d in descriptors)
    variants = {d: list(mapping_at(entry, "variants")) for d, entry in descriptors.items()}
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
            yield locate.problem(loc, "reference", f"{key_path(loc[:-1])}: {text!r}: unknown descriptor {descriptor!r}",
                                 hint, key=True)
        elif variant not in variants[descriptor]:
            own = [r for r in refs if r.startswith(descriptor + ".")]
            hint = did_you_mean(text, own) or f"variants of {descriptor}: {', '.join(map(str, variants[descriptor]))}"
            yield locate.problem(loc, "reference", f"{key_path(loc[:-1])}: {text!r}: descriptor {descriptor!r} has no "
                                 f"variant {variant!r}", hint, key=True)

    for source, row in mapping_at(cib, "judgments").items():
        loc = ("cib", "judgments", source)
        yield from known(source, loc)
        for target in mapping_at(row):
            yield from known(target, loc + (target,))
            if (isinstance(source, str) and isinstance(target, str) and _VARIANT_REF.match(source)
                    and _VARIANT_REF.match(target) and source.split(".")[0] == target.split(".")[0]):
                yield locate.problem(loc + (target,), "cib-self", f"{key_path(loc)} -> {target}: a descriptor does not "
                                     "act on itself", "judge only how a variant acts on the variants of other "
                                     "descriptors; remove this entry", key=True)


def study_warnings(document: Document, study: Study) -> list[Problem]:
    """What is worth a look in a valid study without making it invalid: cross-impact judgment groups
    (one variant's judgments on another descriptor) that do not sum to zero."""
    if study.cib is None:
        return []
    from scenmatrix.analysis import cib
    from scenmatrix.analysis import cib_model as cib_study

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
        out.append(locate.problem(loc, "cib-sum", f"{key_path(loc[:3])}: the judgments on {target!r} sum to "
                                  f"{group.total:+d}, not 0",
                                  "CIB judgment groups are usually balanced so that each sums to 0", key=True,
                                  severity="warning"))
    return sorted(out)


def _scenario_references(tree: dict, locate: Locator, ref, refs) -> Iterator[Problem]:
    indicator_owner: dict[Any, Any] = {}
    actors, evidence = mapping_at(tree, "actors"), mapping_at(tree, "evidence")
    for sid, scenario in mapping_at(tree, "scenarios").items():
        scenario = scenario if isinstance(scenario, dict) else {}
        base = ("scenarios", sid)
        yield from refs("driver", scenario.get("drivers"), base + ("drivers",))
        yield from refs("constraint", scenario.get("constraints"), base + ("constraints",))
        for iid in mapping_at(scenario, "indicators"):
            if iid in indicator_owner:
                loc = base + ("indicators", iid)
                yield locate.problem(loc, "duplicate",
                                     f"{key_path(loc)}: indicator id {iid!r} is already used in scenario "
                                     f"{indicator_owner[iid]!r}", "indicator ids are unique across the study", key=True)
            indicator_owner.setdefault(iid, sid)
        impacts = mapping_at(scenario, "impacts")
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

