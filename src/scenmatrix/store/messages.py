"""Where a problem is and how to say it: paths of keys to file positions, pydantic's errors in the analyst's words."""

from __future__ import annotations

import re
import typing
from typing import Any, Optional


from scenmatrix.study import vocab
from scenmatrix.errors import CODES, Problem, Severity, did_you_mean
from scenmatrix.store.document import Document

Loc = tuple[Any, ...]



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

    def problem(self, loc: Loc, code: str, message: str, hint: Optional[str] = None, key: bool = False,
                severity: Severity = "error") -> Problem:
        line, col = self.position(loc, key)
        return Problem(str(self.document.path), line, col, code, message, hint, severity)

    def from_pydantic(self, error: dict) -> Problem:
        loc = tuple(error["loc"])
        kind = error["type"]
        if loc and loc[-1] == "[key]":
            if loc[:2] == ("cib", "judgments"):
                return self.problem(loc[:-1], "id", f"{key_path(loc[:-2])}: {_show(loc[-2])} does not name a variant",
                                    "write DESCRIPTOR.VARIANT with the ids of cib.descriptors, e.g. "
                                    "iran-support.extensive", key=True)
            if loc[:1] == ("cib",):
                return self.problem(loc[:-1], "id", f"{key_path(loc[:-2])}: invalid id {_show(loc[-2])}",
                                    "cross-impact ids start with a letter, then letters, digits, '_', '-' (no '.': "
                                    "judgments name a variant as DESCRIPTOR.VARIANT)", key=True)
            return self.problem(loc[:-1], "id", f"{key_path(loc[:-2])}: invalid id {_show(loc[-2])}",
                                "ids start with a letter, then letters, digits, '_', '.', '-' (at most 40)", key=True)
        field = loc[-1] if loc else "study"
        value = error.get("input")
        if loc[:2] == ("cib", "judgments") and len(loc) == 4:
            return self._judgment(loc, kind, value, error)
        if kind == "missing":
            return self.problem(loc[:-1], "missing", f"{key_path(loc[:-1])}: missing required field '{field}'", key=True)
        if kind == "extra_forbidden":
            hint = did_you_mean(str(field), _fields_at(loc[:-1]))
            return self.problem(loc, "unknown-field", f"{key_path(loc[:-1])}: unknown field '{field}'", hint, key=True)
        if kind == "literal_error":
            choices = _literal_choices(error)
            if field == "likelihood":  # only the study's own scale, not every scale's words
                scale = mapping_at(self.document.tree, "study").get("likelihood_scale", "icd203")
                choices = list(vocab.SCALES.get(scale, vocab.ICD203))
            hint = did_you_mean(str(value), choices, _LITERAL_ALIASES.get(str(field))) or (
                "expected one of: " + ", ".join(choices))
            return self.problem(loc, "vocabulary", f"{key_path(loc)}: {_show(value)} is not a valid {_noun(field, loc)}", hint)
        if kind == "string_pattern_mismatch" and len(loc) >= 2 and loc[-2] == "domains":
            lower = value.strip().lower() if isinstance(value, str) else None
            hint = (f"domains are written in lower case: {lower!r}" if lower and re.fullmatch(vocab.DOMAIN_PATTERN, lower)
                    else "a domain is lower-case letters, digits, spaces and '-', e.g. 'food security'")
            return self.problem(loc, "vocabulary", f"{key_path(loc)}: {_show(value)} is not a valid domain", hint)
        message, hint = _describe(kind, field, value, error)
        return self.problem(loc, _code(kind), f"{key_path(loc)}: {message}", hint)

    def _judgment(self, loc: Loc, kind: str, value: Any, error: dict) -> Problem:
        """A cross-impact judgment that is not a whole number -3..+3."""
        where = f"{key_path(loc[:3])} -> {loc[3]}"
        hint = "-3 strongly hinders ... 0 no influence (or leave it out) ... +3 strongly promotes"
        if kind in ("greater_than_equal", "less_than_equal"):
            return self.problem(loc, "cib-judgment", f"{where}: judgment {_show(value)} is out of range -3..3", hint)
        if kind in ("int_type", "int_from_float", "int_parsing"):
            return self.problem(loc, "cib-judgment", f"{where}: expected a whole number, got {_type_name(value)}",
                                hint)
        message, other = _describe(kind, loc[-1], value, error)
        return self.problem(loc, _code(kind), f"{where}: {message}", other)


def _code(kind: str) -> str:
    """Pydantic's error type as the problem's code when the catalogue has it; pydantic adds types, the
    catalogue does not follow, so others are 'invalid'."""
    return kind if kind in CODES else "invalid"


def _show(value: Any) -> str:
    text = repr(value) if isinstance(value, str) else str(value)
    return text if len(text) <= 60 else text[:57] + "..."


def key_path(loc: Loc) -> str:
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
    from scenmatrix.study import model

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
    bound = ctx.get("ge", ctx.get("le"))
    if kind in ("greater_than_equal", "less_than_equal") and bound in (vocab.EFFECT_MIN, vocab.EFFECT_MAX):
        return (f"{_show(value)} is out of range {vocab.EFFECT_MIN}..{vocab.EFFECT_MAX}",
                "-3 severe harm, 0 no net effect, 3 major gain")
    if kind in ("greater_than_equal", "less_than_equal"):
        least_or_most = "at least" if kind == "greater_than_equal" else "at most"
        return f"{_show(value)} is out of range: it must be {least_or_most} {bound}", None
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


def mapping_at(node: Any, *keys: str) -> dict:
    """The mapping at node[keys...], or {} where the schema check has already reported a wrong shape."""
    for key in keys:
        node = node.get(key) if isinstance(node, dict) else None
    return node if isinstance(node, dict) else {}
