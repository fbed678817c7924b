"""The round-trip tree an edit changes: one parse with its node graph, dumps, a comparable form, and
where the entries of each kind sit in it."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any, Iterable, Optional

from ruamel.yaml.comments import CommentedMap

from scenmatrix.store import document
from scenmatrix.study.kinds import Kind
from scenmatrix.study.references import joined_id, nodes_at

Loc = tuple[Any, ...]


def parse(text: str) -> tuple[Any, Any]:
    """The round-trip tree and the node graph (with exact start/end marks) from one parse."""
    yaml = document.round_trip_yaml()
    constructor, parser = yaml.get_constructor_parser(io.StringIO(text))
    try:
        node = constructor.composer.get_single_node()
        tree = constructor.construct_document(node) if node is not None else None
    finally:
        parser.dispose()
    return tree, node


def dump(tree: Any) -> str:
    out = io.StringIO()
    document.round_trip_yaml().dump(tree, out)
    return out.getvalue()


def plain(node: Any) -> Any:
    """A comparable form of a tree: what the study says, without comments, styles or positions."""
    if isinstance(node, dict):
        return ("map", tuple((plain(k), plain(v)) for k, v in node.items()))
    if isinstance(node, list):
        return ("seq", tuple(plain(v) for v in node))
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


def styled(value: Any) -> Any:
    """A tree as `plain` has it, with the type of every key and value (which tells its quoting or
    layout) and the flow style of every collection."""
    if isinstance(value, (dict, list)):
        flow = value.fa.flow_style() if hasattr(value, "fa") else None
        items = value.items() if isinstance(value, dict) else enumerate(value)
        return type(value).__name__, flow, tuple((styled(k), styled(v)) for k, v in items)
    return type(value).__name__, plain(value)


def flow_map() -> CommentedMap:
    out = CommentedMap()
    out.fa.set_flow_style()
    return out


def mapping(node: Any) -> dict:
    """The node if it is a mapping, else an empty one: an invalid study is validation's to report."""
    return node if isinstance(node, dict) else {}


def walk_entries(tree: Any, kind: Kind) -> Iterable[tuple[Loc, Any]]:
    if not isinstance(tree, dict):
        return
    if "*" in kind.section:
        for loc, node in nodes_at(tree, kind.section):
            for eid, value in mapping(node).items():
                yield loc + (eid,), value
        return
    if kind.single:
        if isinstance(tree.get(kind.section[0]), dict):
            yield kind.section, tree[kind.section[0]]
        return
    node: Any = tree
    for part in kind.section:
        node = mapping(node).get(part)
    for eid, value in mapping(node).items():
        yield kind.section + (eid,), value


def indicator_scenario(tree: Any, iid: str) -> Optional[str]:
    for sid, scenario in mapping(mapping(tree).get("scenarios")).items():
        if iid in mapping(mapping(scenario).get("indicators")):
            return sid
    return None


def dotted(loc: Loc) -> str:
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def show_id(kind: Kind, loc: Loc) -> str:
    if kind.name == "impact":
        return f"{loc[1]}/{loc[-1]}"
    return joined_id(kind, loc) if kind.joiner else str(loc[-1])
