"""Where a tree names other entries, walked from the one declaration `kinds.REFERENCES`.

Works on any parsed tree (round-trip or plain), valid or not: a level that is not the mapping or list the
declaration expects holds no reference, and what is wrong with it is the schema check's to report.
"""

from __future__ import annotations

import itertools
from typing import Any, Iterator

from scenmatrix.study.kinds import KINDS, REFERENCES, Kind, Reference

Loc = tuple[Any, ...]


def entries_of(tree: Any, kind: str) -> dict:
    """The entries of a kind that others refer to (actors, evidence, ...), keyed by id; {} where there are none.
    A kind inside other entries (a descriptor's variants) is keyed by its joined id (`iran-support.extensive`)."""
    kind_ = KINDS[kind]
    if "*" in kind_.section:
        return {joined_id(kind_, loc + (key,)): value for loc, node in nodes_at(tree, kind_.section)
                if isinstance(node, dict) for key, value in node.items()}
    node = tree
    for key in KINDS[kind].section:
        node = node.get(key) if isinstance(node, dict) else None
    return node if isinstance(node, dict) else {}


def joined_id(kind: Kind, loc: Loc) -> str:
    """The id of the entry at loc of a kind with a joiner: its keys at each "*" of the section, then its own."""
    return kind.joiner.join(str(loc[i]) for i, part in enumerate(kind.section) if part == "*") + kind.joiner + str(loc[-1])


def containers(tree: Any, reference: Reference) -> list[tuple[Loc, Any]]:
    """Where the reference's ids are written: the mapping keyed by them, the list of them, or the field."""
    return nodes_at(tree, reference.path[:-1] if reference.how == "key" else reference.path)


def unresolved(tree: Any, reference: Reference) -> list[tuple[Loc, Any]]:
    """The containers that name an unknown entry (or, a list, one twice). The common case, that all
    resolve, is decided in bulk: a study of 100,000 impacts has 100,000 evidence lists."""
    entries = entries_of(tree, reference.target)
    path = reference.path[:-1] if reference.how == "key" else reference.path
    if reference.how == "item":
        lists = values_at(tree, path)
        if all(type(node) is list for node in lists):
            items = list(itertools.chain.from_iterable(lists))
            if (all(isinstance(item, str) for item in items) and set(items) <= entries.keys()
                    and all(len(node) < 2 or len(set(node)) == len(node) for node in lists)):
                return []
    elif all(resolves(node, reference, entries) for node in values_at(tree, path)):
        return []
    return [(loc, node) for loc, node in nodes_at(tree, path) if not resolves(node, reference, entries)]


def resolves(node: Any, reference: Reference, entries: dict) -> bool:
    """Whether one container names only known entries, a list each of them once."""
    if reference.how == "key":
        return isinstance(node, dict) and node.keys() <= entries.keys()
    if reference.how == "item":
        return (isinstance(node, list) and all(isinstance(item, str) for item in node)
                and len(set(node)) == len(node) and set(node) <= entries.keys())
    return node is None or (isinstance(node, str) and node in entries)


def occurrences(tree: Any, reference: Reference) -> Iterator[tuple[Loc, Any]]:
    """(location, id) of every id the reference names in the tree; a list item's location ends in its index."""
    for loc, node in containers(tree, reference):
        if reference.how == "key":
            for key in node if isinstance(node, dict) else ():
                yield loc + (key,), key
        elif reference.how == "item":
            for index, value in enumerate(node if isinstance(node, list) else ()):
                yield loc + (index,), value
        elif node is not None:
            yield loc, node


def references_to(tree: Any, kind: str, id: Any) -> list[tuple[Loc, str]]:
    """(location, how) of every place that names entry `id` of `kind`, in the order of REFERENCES."""
    return [(loc, ref.how) for ref in REFERENCES if ref.target == kind
            for loc, value in occurrences(tree, ref) if value == id]


def values_at(tree: Any, path: tuple[str, ...]) -> list[Any]:
    """The nodes at a path of keys, as `nodes_at` finds them, without their locations (which cost more)."""
    level = [tree]
    for key in path:
        if key == "*":
            level = [value for node in level if isinstance(node, dict) for value in node.values()]
        else:
            level = [node[key] for node in level if isinstance(node, dict) and key in node]
    return level


def nodes_at(tree: Any, path: tuple[str, ...]) -> list[tuple[Loc, Any]]:
    """(location, node) of every node at a path of keys, "*" standing for any key at its level."""
    level: list[tuple[Loc, Any]] = [((), tree)]
    for key in path:
        below: list[tuple[Loc, Any]] = []
        for loc, node in level:
            if not isinstance(node, dict):
                continue
            if key == "*":
                below.extend((loc + (k,), value) for k, value in node.items())
            elif key in node:
                below.append((loc + (key,), node[key]))
        level = below
    return level
