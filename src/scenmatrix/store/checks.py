"""All checks of a study, collecting every problem with its position rather than stopping at the first."""

from __future__ import annotations

import itertools
import re
from typing import Any, Iterator, Optional

from pydantic import ValidationError

from scenmatrix.study import vocab
from scenmatrix.study.kinds import REFERENCES, Reference
from scenmatrix.study.model import CIB_ID_PATTERN, CIB_REF_PATTERN, Study
from scenmatrix.study.merge import described
from scenmatrix.study.references import entries_of, nodes_at, unresolved, values_at
from scenmatrix.study.values import plain
from scenmatrix.errors import Problem, a, did_you_mean
from scenmatrix.store.document import Document, round_trip_yaml

from scenmatrix.store.messages import Loc, Locator, key_path, mapping_at



def validate_document(document: Document, locate: Optional[Locator] = None) -> tuple[Optional[Study], list[Problem]]:
    locate = locate or Locator(document)
    tree = document.tree
    if not isinstance(tree, dict):
        return None, [locate.problem((), "structure", "a study must be a mapping with `study:`, `actors:`, `scenarios:` ...")]
    anchors = list(_anchored(tree, ())) if hasattr(tree, "lc") else []  # plain fast-path data has none
    if anchors:
        return None, _anchor_problems(document) or [
            locate.problem(loc, "anchor", "YAML anchors and aliases are not allowed in a study",
                           "write the entry out in full") for loc in anchors]
    problems = (list(check_characters(tree, (), locate)) if characters_to_check(document) else []) \
        + list(check_references(tree, locate))
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


def characters_to_check(document: Document) -> bool:
    """Whether a parsed study may hold a character check_characters refuses. Plain data comes from the fast
    path, which refuses unprintable characters in the text: there only an escape (in a double-quoted
    scalar) can write one into a value."""
    return hasattr(document.tree, "lc") or "\\" in document.text


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
    """Every id used must name an entry of the right kind (kinds.REFERENCES); ids and list items must be unique;
    no merge conflict is left (check_conflicts).

    Works on the raw tree, not the model, so that reference problems are reported in the same run
    as schema problems.
    """
    for reference in REFERENCES:
        entries = entries_of(tree, reference.target)
        for loc, node in unresolved(tree, reference):
            if reference.target == "variant":  # DESCRIPTOR.VARIANT: say which half is unknown
                yield from _unknown_variants(tree, node, loc, locate)
                continue
            yield from _unresolved(reference, loc, node, entries, _aliases(tree, reference.target), locate)
    domains = ("scenarios", "*", "impacts", "*", "domains")
    if not all(type(node) is list and all(type(item) is str for item in node) and len(set(node)) == len(node)
               for node in values_at(tree, domains)):
        for loc, node in nodes_at(tree, domains):
            yield from _repeated(node, loc, locate)
    yield from _indicator_ids(tree, locate)
    yield from _likelihood_scale(tree, locate)
    yield from _domains(tree, locate)
    yield from _cib_self(tree, locate)
    yield from check_conflicts(tree, locate)


def check_conflicts(tree: dict, locate: Locator) -> Iterator[Problem]:
    """Each merge conflict left in `conflicts:` (scenmatrix merge-driver) is an error at its record, naming
    the entry, the field and both values, and how to settle it."""
    items = tree.get("conflicts")
    for index, item in enumerate(items if isinstance(items, list) else ()):
        message, hint = described(plain(item))
        yield locate.problem(("conflicts", index), "conflict", message, hint)


def _unresolved(reference: Reference, loc: Loc, node: Any, entries: dict, aliases: dict,
                locate: Locator) -> Iterator[Problem]:
    if reference.how == "key":
        for key in node if isinstance(node, dict) else ():
            yield from _unknown(reference.target, key, loc + (key,), entries, aliases, locate, key=True)
    elif reference.how == "item":
        for index, value in enumerate(_ids(node)):
            yield from _unknown(reference.target, value, loc + (index,), entries, aliases, locate)
        yield from _repeated(node, loc, locate)
    else:
        yield from _unknown(reference.target, node, loc, entries, aliases, locate)


def _unknown(kind: str, value: Any, loc: Loc, entries: dict, aliases: dict, locate: Locator,
             key: bool = False) -> Iterator[Problem]:
    if isinstance(value, str) and value not in entries:  # other values are the schema check's to report
        hint = did_you_mean(value, entries, aliases) or (
            f"known: {', '.join(sorted(map(str, entries))[:12])}" if entries else f"no {kind} is defined yet")
        yield locate.problem(loc, "reference", f"{key_path(loc)}: unknown {kind} {value!r}", hint, key=key)


def _repeated(values: Any, loc: Loc, locate: Locator) -> Iterator[Problem]:
    texts = [value for value in _ids(values) if isinstance(value, str)]
    if len(set(texts)) == len(texts):
        return
    seen: set[str] = set()
    for index, value in enumerate(_ids(values)):
        if isinstance(value, str):
            if value in seen:
                yield locate.problem(loc + (index,), "duplicate", f"{key_path(loc)}: {value!r} is listed twice")
            seen.add(value)


def _aliases(tree: dict, kind: str) -> dict[str, Any]:
    """Other names of the entries (an actor's name and aliases), for did-you-mean hints."""
    if kind != "actor":
        return {}
    aliases = {}
    for aid, actor in entries_of(tree, "actor").items():
        actor = actor if isinstance(actor, dict) else {}
        for alias in [actor.get("name"), *_ids(actor.get("aliases"))]:
            if isinstance(alias, str):
                aliases[alias] = aid
    return aliases


def _indicator_ids(tree: dict, locate: Locator) -> Iterator[Problem]:
    """Indicator ids are unique across the study, not only within their scenario."""
    owner: dict[Any, Any] = {}
    for loc, _ in nodes_at(tree, ("scenarios", "*", "indicators", "*")):
        sid, iid = loc[1], loc[-1]
        if iid in owner:
            yield locate.problem(loc, "duplicate",
                                 f"{key_path(loc)}: indicator id {iid!r} is already used in scenario {owner[iid]!r}",
                                 "indicator ids are unique across the study", key=True)
        owner.setdefault(iid, sid)


def _likelihood_scale(tree: dict, locate: Locator) -> Iterator[Problem]:
    """A study uses one likelihood vocabulary: every scenario's word must come from its scale."""
    scale_name = mapping_at(tree, "study").get("likelihood_scale", "icd203")
    if scale_name not in vocab.SCALES:
        return  # the schema check reports the unknown scale itself
    scale = vocab.SCALES[scale_name]
    all_terms = {t for other in vocab.SCALES.values() for t in other}
    # a reviewer's likelihood (ratings.NAME.SCENARIO) is held to the same scale as the lead's
    rated = [(("ratings", name, sid), scenario) for name, scenarios in mapping_at(tree, "ratings").items()
             if isinstance(scenarios, dict) for sid, scenario in scenarios.items()]
    for where, scenario in [(("scenarios", sid), s) for sid, s in mapping_at(tree, "scenarios").items()] + rated:
        term = scenario.get("likelihood") if isinstance(scenario, dict) else None
        if isinstance(term, str) and term in all_terms and term not in scale:
            loc = (*where, "likelihood")
            hint = did_you_mean(term, scale, _scale_synonyms(scale_name)) or "expected one of: " + ", ".join(scale)
            yield locate.problem(loc, "vocabulary", f"{key_path(loc)}: {term!r} is not {a(vocab.SCALE_NAMES[scale_name])} "
                                 f"term (study.likelihood_scale is {scale_name}; a study never mixes scales)", hint)


def _domains(tree: dict, locate: Locator) -> Iterator[Problem]:
    """An impact's domain is built in (vocab.DOMAINS) or declared in study.domains."""
    declared = mapping_at(tree, "study").get("domains")
    yield from _repeated(declared, ("study", "domains"), locate)
    known = vocab.DOMAINS + tuple(d for d in declared if isinstance(d, str)) if isinstance(declared, list) else vocab.DOMAINS
    lists = values_at(tree, ("scenarios", "*", "impacts", "*", "domains"))
    items = list(itertools.chain.from_iterable(node for node in lists if type(node) is list))
    if all(type(node) is list for node in lists) and all(type(i) is str for i in items) and set(items) <= set(known):
        return  # the common case, decided in bulk: a big study has a list an impact
    pattern = re.compile(vocab.DOMAIN_PATTERN)
    for loc, domain in ((loc + (i,), d) for loc, node in nodes_at(tree, ("scenarios", "*", "impacts", "*", "domains"))
                        for i, d in enumerate(_ids(node))):
        if isinstance(domain, str) and pattern.fullmatch(domain) and domain not in known:  # else the schema's
            hint = did_you_mean(domain, known) or (f"declare it under study.domains (`domains: [{domain}]`) "
                                                   "to add it to the built-in ones: " + ", ".join(known))
            yield locate.problem(loc, "vocabulary", f"{key_path(loc)}: {domain!r} is not a valid domain", hint)


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


def _unknown_variants(tree: dict, node: Any, loc: Loc, locate: Locator) -> Iterator[Problem]:
    """The judgment keys of one container (cib.judgments, or one row of it) that name no variant of
    cib.descriptors, each said as an unknown descriptor or a descriptor's unknown variant, with its hint.

    References the schema already refuses (not DESCRIPTOR.VARIANT at all) are left to it, and so is
    every unknown descriptor while a descriptor id is itself invalid (the reference may mean it).
    """
    descriptors = mapping_at(mapping_at(tree, "cib"), "descriptors")
    bad_ids = any(not isinstance(d, str) or not _CIB_ID.match(d) for d in descriptors)
    variants = {d: list(mapping_at(entry, "variants")) for d, entry in descriptors.items()}
    refs = [f"{d}.{v}" for d, vs in variants.items() for v in vs]
    for text in mapping_at(node):
        if not isinstance(text, str) or not _VARIANT_REF.match(text):
            continue
        descriptor, variant = text.split(".", 1)
        if descriptor not in variants:
            if bad_ids:
                continue
            hint = did_you_mean(text, refs) or did_you_mean(descriptor, variants) or (
                f"descriptors: {', '.join(map(str, variants))}" if variants else "no descriptor is defined yet")
            yield locate.problem(loc + (text,), "reference", f"{key_path(loc)}: {text!r}: unknown descriptor "
                                 f"{descriptor!r}", hint, key=True)
        elif variant not in variants[descriptor]:
            own = [r for r in refs if r.startswith(descriptor + ".")]
            hint = did_you_mean(text, own) or f"variants of {descriptor}: {', '.join(map(str, variants[descriptor]))}"
            yield locate.problem(loc + (text,), "reference", f"{key_path(loc)}: {text!r}: descriptor {descriptor!r} "
                                 f"has no variant {variant!r}", hint, key=True)


def _cib_self(tree: dict, locate: Locator) -> Iterator[Problem]:
    """A judgment acts on another descriptor (the references themselves are kinds.REFERENCES')."""
    for source, row in mapping_at(mapping_at(tree, "cib"), "judgments").items():
        loc = ("cib", "judgments", source)
        for target in mapping_at(row):
            if (isinstance(source, str) and isinstance(target, str) and _VARIANT_REF.match(source)
                    and _VARIANT_REF.match(target) and source.split(".")[0] == target.split(".")[0]):
                yield locate.problem(loc + (target,), "cib-self", f"{key_path(loc)} -> {target}: a descriptor does not "
                                     "act on itself", "judge only how a variant acts on the variants of other "
                                     "descriptors; remove this entry", key=True)


def study_warnings(document: Document, study: Study) -> list[Problem]:
    """What is worth a look in a valid study without making it invalid: a declared domain that is built in
    anyway, exclusive scenarios whose likelihoods cannot sum to 100 %, evidence quotes not found in the local copy of their source (or a copy that cannot be read),
    and cross-impact judgment groups (one variant's judgments on another descriptor) that do not sum to
    zero."""
    from scenmatrix.store.sources import quote_warnings

    return sorted(_builtin_domains(document, study) + _exclusive_scenarios(document, study)
                  + quote_warnings(document, study) + _cib_warnings(document, study))


def _builtin_domains(document: Document, study: Study) -> list[Problem]:
    locate = Locator(document)
    return [locate.problem(("study", "domains", index), "vocabulary", f"study.domains[{index}]: {domain!r} is "
                           "built in already", "remove it from study.domains", severity="warning")
            for index, domain in enumerate(study.study.domains) if domain in vocab.DOMAINS]


def _exclusive_scenarios(document: Document, study: Study) -> list[Problem]:
    """Scenarios declared mutually exclusive should have likelihoods whose bands can sum to 100 %: a warning,
    not an error, so that a study can be built one scenario at a time (`validate --strict` fails on it)."""
    if study.study.scenario_set != "exclusive":
        return []
    bands = [study.band(s.likelihood) for s in study.scenarios.values()]
    if vocab.can_sum_to_one(bands):
        return []
    listed = ", ".join(f"{sid} {s.likelihood} {study.band(s.likelihood).label()}" for sid, s in study.scenarios.items())
    return [Locator(document).problem(
        ("study", "scenario_set"), "exclusive", "study.scenario_set: the scenarios are declared mutually exclusive, "
        f"but their likelihoods sum to {vocab.band_sum(bands).label()}, never 100 %",
        f"{listed or 'there are no scenarios yet'}: change a likelihood, add the scenario that is missing, or set "
        "scenario_set: overlapping", severity="warning")]


def _cib_warnings(document: Document, study: Study) -> list[Problem]:
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
    return out
