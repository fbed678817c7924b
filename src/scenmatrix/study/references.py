"""Where a tree names other entries, walked from the one declaration `kinds.REFERENCES`.

Works on any parsed tree (round-trip or plain), valid or not: a level that is not the mapping or list the
declaration expects holds no reference, and what is wrong with it is the schema check's to report.
"""

from __future__ import annotations

from typing import Any, Iterator

from scenmatrix.study.kinds import REFERENCES, Reference

Loc = tuple[Any, ...]


def occurrences(tree: Any, reference: Reference) -> Iterator[tuple[Loc, Any]]:
    """(location, id) of every id the reference names in the tree; a list item's location ends in its index."""
    for loc, node in _at(tree, reference.path[:-1] if reference.how == "key" else reference.path, ()):
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


def _at(node: Any, path: tuple[str, ...], loc: Loc) -> Iterator[tuple[Loc, Any]]:
    if not path:
        yield loc, node
        return
    if not isinstance(node, dict):
        return
    head, rest = path[0], path[1:]
    if head == "*":
        for key, value in node.items():
            yield from _at(value, rest, loc + (key,))
    elif head in node:
        yield from _at(node[head], rest, loc + (head,))
