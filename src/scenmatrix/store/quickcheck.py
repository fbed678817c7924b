"""A quick answer to "would `validate` find nothing wrong with this study?", without pydantic.

Importing pydantic and building the model takes longer than the rest of an edit together, and
an edit only needs to know that its result is valid. So an edit asks this module first; only when
the answer is not a sure "valid" does it run `checks.validate_document`, which finds and
positions every problem. Like fastpath.py it is a shortcut to "valid" only, so it may be stricter
than `validate` (a mapping written `!!omap`, a lone surrogate escaped in a key...), never looser:
every check of `validate_document` has its counterpart here.

- the schema: the models' fields, types and constraints, from shapes.py (generated from model.py),
  read as pydantic's strict mode reads a round-trip tree;
- check_characters: no unprintable character in any text;
- check_conflicts: no merge conflict recorded (`conflicts:`);
- check_references: every id used names an entry of its kind, no list repeats an id, indicator ids
  are unique across the study, likelihoods come from the study's scale, cross-impact judgments name
  variants of other descriptors.

The tree comes from ruamel's round-trip parse, whose composer (store._Composer) refuses anchors
and aliases, so the anchor check of `validate_document` has nothing to find here; or it is the fast
path's plain data (fastpath.py, which refuses anchors too), as `validate` checks a small study: then
ruamel's types are never needed, and not imported while the data fits.
tests/test_quickcheck.py compares the two on generated studies; the test suite
(SCENMATRIX_CROSS_CHECK=1) also runs `validate_document` after every "valid" answer of an edit.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import types
from typing import Any

from scenmatrix.study import vocab
from scenmatrix.study.kinds import REFERENCES
from scenmatrix.study.references import unresolved
from scenmatrix.study.shapes import MODELS

_LINE_BREAKS = str.maketrans("", "", "\t\n\r\x85")


def valid(tree: Any) -> bool:
    """True only if `checks.validate_document` would report no problem in this round-trip tree."""
    try:
        return _fits(tree, ("model", "Study")) and not tree.get("conflicts") and _references_resolve(tree)
    except RecursionError:
        return False


def _fits(value: Any, shape: tuple) -> bool:
    kind = shape[0]
    if kind == "str":
        return isinstance(value, str) and len(value) >= shape[1] and _printable(value) and (
            shape[2] is None or _pattern(shape[2]).fullmatch(value) is not None)
    if kind == "literal":
        return isinstance(value, str) and value in shape[1]
    if kind == "model":
        return _mapping(value) and _fits_model(value, MODELS[shape[1]])
    if kind == "dict":
        return _mapping(value) and len(value) >= shape[3] and all(
            _fits(key, shape[1]) and _fits(item, shape[2]) for key, item in value.items())
    if kind == "list":
        return _sequence(value) and len(value) >= shape[2] and all(_fits(item, shape[1]) for item in value)
    if kind == "int":  # a bool is no int in strict mode; ruamel reads `0`, `0x10`, `1_000` as a ScalarInt
        return (type(value) is int or isinstance(value, _round_trip().ScalarInt)) and _within(value, shape[1], shape[2])
    if kind == "date":
        return type(value) is dt.date
    if kind == "any":  # a merge conflict's values; a study with any conflict is refused by valid()
        return True
    if kind == "nullable":
        return value is None or _fits(value, shape[1])
    return False


# What YAML gives for a mapping and a sequence (`!!omap`, `!!set`, `!!pairs` give others: left to pydantic):
# plain data's type first, so that plain data that fits never imports ruamel.
def _mapping(value: Any) -> bool:
    return type(value) is dict or type(value) is _round_trip().CommentedMap


def _sequence(value: Any) -> bool:
    return type(value) is list or type(value) is _round_trip().CommentedSeq


@functools.cache
def _round_trip() -> Any:
    """ruamel's types of a round-trip tree (importing ruamel takes longer than checking a small study)."""
    from ruamel.yaml import comments, scalarint

    return types.SimpleNamespace(CommentedMap=comments.CommentedMap, CommentedSeq=comments.CommentedSeq,
                                 ScalarInt=scalarint.ScalarInt)


def _within(number: int, least: int | None, most: int | None) -> bool:
    return (least is None or number >= least) and (most is None or number <= most)


def _fits_model(value: dict, fields: dict[str, tuple[bool, tuple]]) -> bool:
    if not all(isinstance(key, str) and key in fields for key in value):  # extra="forbid"
        return False
    return all(_fits(value[name], shape) if name in value else not required
               for name, (required, shape) in fields.items())


def _printable(text: str) -> bool:
    """checks.check_characters finds nothing in this text. str.isprintable refuses everything it
    refuses (controls, surrogates, U+FFFE, U+FFFF) and more; only then is its expression needed."""
    return text.isprintable() or text.translate(_LINE_BREAKS).isprintable() or _not_printable().search(text) is None


@functools.cache
def _not_printable() -> re.Pattern[str]:
    """checks._NOT_PRINTABLE: what YAML refuses in a file, and what an escape can still put into
    text. (Compiling it takes longer than checking a whole study: only when needed.)"""
    return re.compile("[^\x09\x0A\x0D\x20-\x7E\x85\xA0-\uD7FF\uE000-\uFFFD\U00010000-\U0010FFFF]")


@functools.cache
def _pattern(pattern: str) -> re.Pattern[str]:
    """A model's ^...$ pattern, to fullmatch: pydantic's (Rust) `$` matches only at the very end,
    where Python's `$` would also match before a final line break."""
    return re.compile(pattern)


def _references_resolve(tree: dict) -> bool:
    """checks.check_references finds nothing, in a tree that fits the schema."""
    study = tree["study"]
    declared = study.get("domains", [])
    scale = vocab.SCALES[study.get("likelihood_scale", "icd203")]
    scenarios = tree.get("scenarios", {})
    return (len(set(declared)) == len(declared) and not any(unresolved(tree, reference) for reference in REFERENCES)
            and _scenarios_resolve(scenarios, scale, set(vocab.DOMAINS).union(declared))
            and all(rating.get("likelihood") in (None, *scale) for by in tree.get("ratings", {}).values()
                    for rating in by.values())
            and (tree.get("cib") is None or _judgments_resolve(tree["cib"])))


def _scenarios_resolve(scenarios: dict, scale: dict, domains: set[str]) -> bool:
    """Likelihoods of the study's scale, known domains listed once, and indicator ids unique across the study."""
    indicators: set[str] = set()
    for scenario in scenarios.values():
        if scenario["likelihood"] not in scale:
            return False
        ids = scenario.get("indicators", {})
        if not indicators.isdisjoint(ids):
            return False
        indicators.update(ids)
        impacts = scenario.get("impacts", {}).values()
        if not all(len(set(impact["domains"])) == len(impact["domains"]) and domains.issuperset(impact["domains"])
                   for impact in impacts):
            return False
    return True


def _judgments_resolve(cib: dict) -> bool:
    """Every judgment names DESCRIPTOR.VARIANT of cib.descriptors, and acts on another descriptor."""
    variants = {d: entry["variants"] for d, entry in cib["descriptors"].items()}

    def known(ref: str) -> str | None:
        descriptor, variant = ref.split(".", 1)
        return descriptor if variant in variants.get(descriptor, {}) else None

    for source, row in cib.get("judgments", {}).items():
        own = known(source)
        if own is None or not all(known(target) not in (None, own) for target in row):
            return False
    return True
