"""Fields of an entry: from strings and plain values to tree values styled like the file."""

from __future__ import annotations

import datetime as dt
from typing import Any, Mapping

from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.scalarstring import DoubleQuotedScalarString, ScalarString, SingleQuotedScalarString

from scenmatrix.edit.tree import walk_entries
from scenmatrix.errors import UsageError, a, did_you_mean
from scenmatrix.study import vocab
from scenmatrix.study.kinds import Kind


def coerce_fields(kind: Kind, fields: Mapping[str, Any]) -> dict[str, Any]:
    out = {}
    for field, value in fields.items():
        field = field.replace("-", "_")
        ftype = kind.fields.get(field)
        if ftype is None:
            hint = did_you_mean(field, kind.fields) or "fields: " + ", ".join(kind.fields)
            raise UsageError(f"{a(kind.name)} has no field {field!r} ({hint})")
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
        return coerce_date(value)
    if field in vocab.WORDS and isinstance(value, str):
        return vocab.canonical(field, value)
    if ftype == "list":
        return [vocab.canonical(field, v) if isinstance(v, str) else v for v in _coerce_list(field, value)]
    if ftype == "map":
        return _coerce_map(field, value)
    return value


def _coerce_list(field: str, value: Any) -> list[Any]:
    if isinstance(value, str):
        value = [value]
    items: list[Any] = []
    for item in value:
        if isinstance(item, str) and field != "aliases":  # an alias may hold a comma
            items += [part.strip() for part in item.split(",") if part.strip()]
        else:
            items.append(item)
    return items


def _coerce_map(field: str, value: Any) -> dict[Any, Any]:
    if isinstance(value, Mapping):
        return dict(value)
    pairs = {}
    for item in [value] if isinstance(value, str) else value:
        key, sep, text = str(item).partition("=")
        if not sep:
            raise UsageError(f"{field}: expected ID=TEXT, got {item!r}")
        pairs[key.strip()] = text.strip()
    return pairs


def coerce_date(value: str) -> Any:
    try:
        return dt.date.fromisoformat(value.strip())
    except ValueError:
        return value


def new_value(tree: Any, kind: Kind, values: dict[str, Any]) -> Any:
    """A new entry, its fields in the order and style of the last entry of its kind."""
    sibling = _sibling(tree, kind)
    if kind.scalar:
        text = values.get(kind.value_field)
        return styled_like(text, sibling) if text is not None else None
    order = [f for f in (sibling if isinstance(sibling, dict) else {}) if f in kind.fields]
    order += [f for f in kind.fields if f not in order]
    entry = CommentedMap()
    for field in order:
        if values.get(field) is not None:
            like = sibling.get(field) if isinstance(sibling, dict) else None
            entry[field] = styled_like(values[field], like if like is not None else sibling_field(tree, kind, field))
    return entry


def _sibling(tree: Any, kind: Kind) -> Any:
    """The last existing entry of this kind, whose style new entries copy."""
    found = list(walk_entries(tree, kind))
    return found[-1][1] if found else None


def sibling_field(tree: Any, kind: Kind, field: str) -> Any:
    """The field in the last entry of this kind that has it, whose style a new value copies."""
    for _, value in reversed(list(walk_entries(tree, kind))):
        if isinstance(value, dict) and field in value:
            return value[field]
    return None


def styled_like(value: Any, like: Any) -> Any:
    """A value for the tree, quoted or laid out (flow/block) the way `like` is in the file."""
    if isinstance(value, str) and not isinstance(value, ScalarString):
        return _styled_text(value, like)
    if isinstance(value, (list, tuple)):
        seq = CommentedSeq(styled_like(v, like[0] if isinstance(like, list) and like else None) for v in value)
        if isinstance(like, CommentedSeq) and not like.fa.flow_style():
            seq.fa.set_block_style()
        else:
            seq.fa.set_flow_style()
        return seq
    if isinstance(value, Mapping) and not isinstance(value, CommentedMap):
        sample = next(iter(like.values()), None) if isinstance(like, dict) else None
        out = CommentedMap((k, styled_like(v, sample)) for k, v in value.items())
        if isinstance(like, CommentedMap) and like.fa.flow_style():
            out.fa.set_flow_style()
        return out
    return value


def _styled_text(value: str, like: Any) -> Any:
    if "\x85" in value:  # ruamel writes NEL raw in plain or single-quoted text, where YAML reads a space
        return DoubleQuotedScalarString(value)  # "\N"
    if isinstance(like, (DoubleQuotedScalarString, SingleQuotedScalarString)):
        return type(like)(value)
    if isinstance(like, ScalarString) and "\n" in value:
        return type(like)(value)
    return value
