"""The kinds of entry a study holds, where each lives in the file and what fields it has.

Plain data with no imports, so that the command line can build its options (and `--help`) without
loading ruamel or pydantic. `edit.py` acts on these; the model in `model.py` decides what is valid.
"""

from __future__ import annotations

from typing import NamedTuple


class Kind(NamedTuple):
    name: str
    section: tuple[str, ...]       # where the entries are; "*" is the scenario id for impacts/indicators
    fields: dict[str, str]         # field -> "text" | "int" | "date" | "list" | "map" | "choice"
    required: tuple[str, ...]
    label: str                     # the field shown beside the id in `scenmatrix list`
    scalar: bool = False           # the entry is its text (key judgments), not a mapping of fields
    single: bool = False           # one entry at `section` itself, with no id (the study's own fields)
    # Kinds inside another's entries (a descriptor's variants, a judgment row's cells) are named by the
    # keys at each "*" of `section` and their own, joined by this ("." for `iran-support.extensive`; " "
    # for a judgment, two words: source variant, target variant). "" for the kinds named otherwise.
    joiner: str = ""
    implicit: bool = False         # every id names an entry (an omitted judgment is 0): `set` writes a missing one

    @property
    def words(self) -> int:
        """How many command-line words the id takes (a judgment's two variants)."""
        return 2 if self.joiner == " " else 1

    @property
    def value_field(self) -> str:
        """The field a scalar entry is (a key judgment's text, a variant's title, a judgment's value)."""
        return next(iter(self.fields))


_FACTOR = {"title": "text", "description": "text", "evidence": "list"}

KINDS: dict[str, Kind] = {
    kind.name: kind
    for kind in (
        Kind("actor", ("actors",), {"name": "text", "kind": "choice", "aliases": "list"}, ("name", "kind"), "name"),
        Kind("scenario", ("scenarios",),
             {"title": "text", "narrative": "text", "likelihood": "choice", "confidence": "choice",
              "horizon": "text", "drivers": "list", "constraints": "list"},
             ("title", "narrative", "likelihood", "confidence"), "title"),
        Kind("impact", ("scenarios", "*", "impacts"),
             {"effect": "int", "domains": "list", "confidence": "choice", "rationale": "text", "evidence": "list"},
             ("effect", "domains", "confidence", "rationale"), "effect"),
        Kind("indicator", ("scenarios", "*", "indicators"), {"text": "text", "status": "choice"},
             ("text", "status"), "text"),
        Kind("evidence", ("evidence",),
             {"claim": "text", "source": "text", "cited_in": "text", "grade": "text", "quote": "text",
              "contested_by": "map"},
             ("claim", "source", "grade"), "claim"),
        Kind("driver", ("drivers",), _FACTOR, ("title", "description"), "title"),
        Kind("constraint", ("constraints",), _FACTOR, ("title", "description"), "title"),
        Kind("key-judgment", ("study", "key_judgments"), {"text": "text"}, ("text",), "text", scalar=True),
        Kind("study", ("study",),
             {"title": "text", "as_of": "date", "marking": "choice", "likelihood_scale": "choice",
              "scenario_set": "choice", "domains": "list"},
             ("title", "as_of", "marking"), "title", single=True),
        Kind("source", ("study", "sources"),
             {"title": "text", "author": "text", "publisher": "text", "date": "date", "url": "text", "path": "text"},
             ("title",), "title"),
        # The study's cross-impact balance model (`cib:`, model.CrossImpact).
        Kind("cib", ("cib",), {"note": "text"}, ("note",), "note", single=True),
        Kind("descriptor", ("cib", "descriptors"), {"title": "text", "variants": "map"}, ("title", "variants"),
             "title"),
        Kind("variant", ("cib", "descriptors", "*", "variants"), {"title": "text"}, ("title",), "title",
             scalar=True, joiner="."),
        Kind("judgment", ("cib", "judgments", "*"), {"value": "int"}, ("value",), "value", scalar=True, joiner=" ",
             implicit=True),
    )
}

# What a section holds besides its entries, written when the first entry creates it (and the section
# removed with its last entry): the model requires a cross-impact model's note.
NEW_SECTIONS: dict[str, dict[str, str]] = {
    "cib": {"note": "The descriptors, variants and judgments are the analyst's own judgment (say whose and on "
                    "what basis with `scenmatrix set cib --note ...`)."},
}

ALIASES = {
    "actors": "actor", "scenarios": "scenario", "impacts": "impact", "indicators": "indicator",
    "drivers": "driver", "constraints": "constraint", "sources": "source", "key-judgments": "key-judgment",
    "key_judgment": "key-judgment", "key_judgments": "key-judgment", "kj": "key-judgment",
    "key-judgement": "key-judgment", "key-judgements": "key-judgment", "key_judgement": "key-judgment",
    "descriptors": "descriptor", "variants": "variant", "judgments": "judgment", "judgement": "judgment",
    "judgements": "judgment", "cross-impact": "cib",
}



class Reference(NamedTuple):
    """A place in a study that names an entry of another kind by its id."""

    path: tuple[str, ...]  # keys from the top; "*" is any id at that level
    target: str            # the kind of entry named
    how: str               # "key": the last key is the id; "item": an id in a list; "value": the field holds the id


# Every reference between kinds, declared once: validation, the quick check, `rm`'s "what refers to this",
# `rename` and completion are all derived from this list.
REFERENCES: tuple[Reference, ...] = (
    Reference(("evidence", "*", "cited_in"), "source", "value"),
    Reference(("evidence", "*", "contested_by", "*"), "actor", "key"),
    Reference(("drivers", "*", "evidence"), "evidence", "item"),
    Reference(("constraints", "*", "evidence"), "evidence", "item"),
    Reference(("scenarios", "*", "drivers"), "driver", "item"),
    Reference(("scenarios", "*", "constraints"), "constraint", "item"),
    Reference(("scenarios", "*", "impacts", "*"), "actor", "key"),
    Reference(("scenarios", "*", "impacts", "*", "evidence"), "evidence", "item"),
    Reference(("ratings", "*", "*"), "scenario", "key"),
    Reference(("ratings", "*", "*", "impacts", "*"), "actor", "key"),
    Reference(("cib", "judgments", "*"), "variant", "key"),
    Reference(("cib", "judgments", "*", "*"), "variant", "key"),
)

ALL_FIELDS: dict[str, str] = {}
for _kind in KINDS.values():
    ALL_FIELDS.update(_kind.fields)


# A field's command-line option is its name, but for the lists, whose option takes one item at a time.
OPTION_NAMES = {"aliases": "alias", "drivers": "driver", "constraints": "constraint", "domains": "domain",
                "variants": "variant"}


def option_of(field: str) -> str:
    """The option that carries a field on the command line: 'domains' -> '--domain', 'cited_in' -> '--cited-in'."""
    return "--" + OPTION_NAMES.get(field, field.replace("_", "-"))


def children(kind: Kind) -> list[Kind]:
    """The kinds whose entries live inside this kind's entries and are named through it (a descriptor's
    variants): references to those are references to it."""
    inner = kind.section + ("*",)
    return [k for k in KINDS.values() if k.joiner and k.section[:len(inner)] == inner]


def kind_named(name: str) -> Kind | None:
    """The kind a name means: singular or plural, any case, `_` or `-`, British `judgement`, `kj`."""
    name = name.strip().lower()
    return KINDS.get(ALIASES.get(name, name))
