"""Proving that a patched text reads as the edited tree by parsing only what changed, and the
cross-checks of those proofs against a parse of the whole text.

Parsing a whole study with ruamel (pure Python) is the slowest part of an edit. A patch only
touches a few lines, so the patched text is proven to read as the edited tree from parses of
small regions instead. A region is a run of whole entries of a block mapping whose keys sit
at column n: it starts on the line of one of those keys, and ends on the line of the next
key of that mapping, or on the first non-blank line indented less than n (or at the end of
the file). Every value inside it is indented more than n, so YAML reads those lines the same
wherever they sit, with one caveat each that the checks below rule out: the lines are read
after removing n spaces (allowed only when each line has them; a line that then looks like
a document marker or directive is refused), an alias or anchor would tie the region to the
rest of the file (refused), and the first line must still be a key at column n and the last
end with a line break, so that the line before and the line after the region read as before.
The text outside the regions is unchanged, so it reads as before; the file's reading is then
the old tree with each region's entries replaced by what the region reads as, and that must
equal the edited tree. Anything else falls back to parsing the whole patched text.
"""

from __future__ import annotations

import re
from typing import Any, NamedTuple, Optional

from ruamel.yaml.comments import CommentedMap
from ruamel.yaml.nodes import MappingNode, ScalarNode, SequenceNode

from scenmatrix.edit import skeleton
from scenmatrix.edit.patch import Patcher, indent
from scenmatrix.edit.tree import Loc, parse, plain, styled
from scenmatrix.store import document

Region = tuple[Loc, int, int]  # entries first..last of the mapping at a location, in the old tree

# After removing a region's indentation: a line that would now be a document marker or a directive,
# or a line break that str.splitlines and YAML count differently.
_UNSAFE_LINES = re.compile(r"(?m)^(?:---|\.\.\.)(?=[ \t\r\n]|$)|^%|[\x85\u2028\u2029]|\r(?!\n)")


class Reading(NamedTuple):
    """A region of the patched text, and what it reads as on its own."""

    region: Region
    tree: CommentedMap
    piece: skeleton.Piece  # where it stands, and its nodes


def prove(patcher: Patcher, before: Any, expected: Any) -> Optional[list[Reading]]:
    """How the changed regions of the patched text read, if the text provably reads as `expected`
    (`before` being what the old text reads as, both in the form of tree.plain); otherwise None."""
    node, text = patcher.node, patcher.text
    if not isinstance(node, MappingNode) or re.search(r"(?m)^%", text[:node.start_mark.index]):
        return None  # a %YAML or %TAG directive changes how every region reads
    regions = _Regions(patcher)
    readings = regions.readings()
    if readings is None:
        return None
    after = before
    for reading in readings:
        after = _substitute(after, *reading.region, plain(reading.tree)[1])
        if after is None:
            return None
    return readings if after == expected else None


class _Regions:
    """The regions of the old text that hold the patches, found from its node graph and lines."""

    def __init__(self, patcher: Patcher):
        self.p = patcher

    def readings(self) -> Optional[list[Reading]]:
        regions: list[Region] = []
        for start, end, *_, (how, loc) in self.p.patches:
            region = self._first_region(how, loc)
            while region is not None and not self._contains(region, start, end):
                region = self._entry_region(region[0])
            if region is None:
                return None
            regions.append(region)
        merged = self._merged(regions)
        if merged is None:
            return None
        readings = []
        for region in merged:
            reading = self._read_region(region)
            if reading is None:
                return None
            readings.append(reading)
        return readings

    def _first_region(self, how: str, loc: Loc) -> Optional[Region]:
        parent = self.p.node_at(loc[:-1]) if loc else None
        block = isinstance(parent, MappingNode) and not parent.flow_style and bool(parent.value)
        if how == "insert_entry" and block:
            return loc[:-1], len(parent.value) - 1, len(parent.value) - 1
        if how == "delete_entry" and block:
            index = _key_index(parent, loc[-1])
            if index is not None and len(parent.value) > 1:
                return (loc[:-1], index - 1, index) if index else (loc[:-1], 0, 1)
        if how in ("insert_entry", "delete_entry"):
            return self._entry_region(loc[:-1])
        return self._entry_region(loc)

    def _entry_region(self, loc: Loc) -> Optional[Region]:
        """The entry at loc, or the nearest enclosing one, as a region of its mapping."""
        while loc:
            parent = self.p.node_at(loc[:-1])
            index = _key_index(parent, loc[-1]) if isinstance(parent, MappingNode) else None
            if index is not None:
                return loc[:-1], index, index
            loc = loc[:-1]
        return None

    def _span(self, region: Region) -> Optional[tuple[int, int, int]]:
        """(n, start, end) of a region in the old text, or None if its layout is not one that reads
        the same wherever it sits."""
        mloc, first, last = region
        mapping = self.p.node_at(mloc)
        if not isinstance(mapping, MappingNode) or mapping.flow_style or not 0 <= first <= last < len(mapping.value):
            return None
        keys = [k for k, _ in mapping.value]
        if not all(isinstance(k, ScalarNode) for k in keys):
            return None
        lines, starts = self.p.lines, self.p.starts
        n = keys[first].start_mark.column
        line = keys[first].start_mark.line
        if any(k.start_mark.column != n for k in keys[first:last + 2]) or lines[line][:n] != " " * n:
            return None
        if last + 1 < len(keys):
            stop = keys[last + 1].start_mark.line
        else:
            stop = keys[last].start_mark.line + 1
            while stop < len(lines) and (not lines[stop].strip() or indent(lines[stop]) >= n):
                stop += 1
            # that line must be past the entries, not inside a quoted scalar or a flow collection of theirs
            if not _ends_before(mapping.value[first:last + 1], starts[stop]):
                return None
        return n, starts[line], starts[stop]

    def _contains(self, region: Region, start: int, end: int) -> bool:
        span = self._span(region)
        return span is not None and span[1] <= start and end <= span[2]

    def _merged(self, regions: list[Region]) -> Optional[list[Region]]:
        """The regions, joined or widened until no two overlap or touch (so that the line after
        each is an unchanged line) and no two are in the same mapping."""
        regions = list(dict.fromkeys(regions))
        while True:
            found = {r: self._span(r) for r in regions}
            if any(span is None for span in found.values()):
                return None
            spans: dict[Region, tuple[int, int, int]] = found  # type: ignore[assignment]
            order = sorted(regions, key=lambda r: spans[r][1])
            clash = next(((a, b) for a, b in zip(order, order[1:]) if spans[b][1] <= spans[a][2]), None)
            if clash is None:
                clash = next(((a, b) for i, a in enumerate(order) for b in order[i + 1:] if a[0] == b[0]), None)
            if clash is None:
                return regions
            joined, gone = self._joined(*clash)
            if joined is None:
                return None
            regions = list(dict.fromkeys([r for r in regions if r not in gone] + [joined]))

    def _joined(self, a: Region, b: Region) -> tuple[Optional[Region], tuple[Region, ...]]:
        """One region in place of two that clash (None if there is none), and the regions it replaces."""
        if a[0] == b[0]:
            joined: Optional[Region] = (a[0], min(a[1], b[1]), max(a[2], b[2]))
            gone: tuple[Region, ...] = (a, b)
        else:
            deeper = a if len(a[0]) >= len(b[0]) else b
            joined, gone = self._entry_region(deeper[0]), (deeper,)
        while joined is not None and self._span(joined) is None:
            joined = self._entry_region(joined[0])
        return joined, gone

    def _read_region(self, region: Region) -> Optional[Reading]:
        """What a region of the patched text reads as on its own, if that is provably what it reads
        as in the file; otherwise None."""
        mloc, first, last = region
        span = self._span(region)
        if span is None:
            return None
        n, start, end = span
        mapping = self.p.node_at(mloc)
        if any(_has_anchor(k) or _has_anchor(v) for k, v in mapping.value[first:last + 1]):
            return None
        piece = self._patched(start, end)
        if not piece or (end < len(self.p.text) and not piece.endswith("\n")):
            return None
        dedented = _dedent(piece, n)
        if dedented is None:
            return None
        own, removed = dedented
        if own[0] in " \t#\r\n" or _UNSAFE_LINES.search(own):
            return None
        try:
            tree, node = parse(own)
        except Exception:
            return None
        if not isinstance(tree, CommentedMap) or not isinstance(node, MappingNode) or node.flow_style \
                or _has_anchor(node) or len(mloc) + _depth(node) + 2 >= document.MAX_DEPTH:
            return None
        return Reading(region, tree, skeleton.Piece(mloc, first, last, start, end, piece, n, removed, node))

    def _patched(self, start: int, end: int) -> str:
        """The old text from start to end with the patches inside it applied."""
        piece = self.p.text[start:end]
        for s, e, _, replacement, _ in sorted((p for p in self.p.patches if start <= p[0] and p[1] <= end),
                                              reverse=True):
            piece = piece[:s - start] + replacement + piece[e - start:]
        return piece


def cross_check_parse(tree: Any, nodes: Any, text: str, what: str) -> None:
    """Raise unless a tree and node graph not read from the text itself are what a parse of it gives."""
    fresh_tree, fresh_nodes = parse(text)
    if styled(tree) != styled(fresh_tree) or \
            skeleton.comparable(nodes) != skeleton.comparable(skeleton.skeleton(fresh_nodes)):
        raise RuntimeError(f"internal error: {what} differs from a parse of the text")


def _key_index(mapping: Any, key: Any) -> Optional[int]:
    return next((i for i, (k, _) in enumerate(mapping.value) if isinstance(k, ScalarNode) and k.value == key), None)


def _dedent(text: str, n: int) -> Optional[tuple[str, list[int]]]:
    """Lines without their first n spaces (a blank line or a comment line indented less keeps no
    indentation), and how many spaces each line lost. None when another line is indented less than n."""
    out, removed = [], []
    for line in text.split("\n"):
        if line.startswith(" " * n):
            out.append(line[n:])
        elif not line.strip(" \r") or line.lstrip(" ").startswith("#"):
            out.append(line.lstrip(" "))
        else:
            return None
        removed.append(len(line) - len(out[-1]))
    return "\n".join(out), removed


def _has_anchor(node: Any) -> bool:
    stack = [node]
    while stack:
        node = stack.pop()
        if getattr(node, "anchor", None):
            return True
        if isinstance(node, MappingNode):
            for k, v in node.value:
                stack += (k, v)
        elif isinstance(node, SequenceNode):
            stack += node.value
    return False


def _ends_before(entries: list[tuple[Any, Any]], limit: int) -> bool:
    """Whether every node of these entries starts, and every scalar and flow collection ends, before
    the text index `limit` (a block collection ends where the next token starts: at `limit` itself)."""
    stack = [node for entry in entries for node in entry]
    while stack:
        node = stack.pop()
        if node.start_mark.index >= limit:
            return False
        if isinstance(node, ScalarNode) or getattr(node, "flow_style", False):
            if node.end_mark.index > limit:
                return False
        if isinstance(node, MappingNode):
            stack += [n for entry in node.value for n in entry]
        elif isinstance(node, SequenceNode):
            stack += node.value
    return True


def _depth(node: Any) -> int:
    if isinstance(node, MappingNode):
        return 1 + max((max(_depth(k), _depth(v)) for k, v in node.value), default=0)
    if isinstance(node, SequenceNode):
        return 1 + max((_depth(v) for v in node.value), default=0)
    return 1


def _substitute(tree: Any, mloc: Loc, first: int, last: int, items: tuple) -> Any:
    """A plain tree with entries first..last of the mapping at mloc replaced by items (None if the
    path is not there)."""
    kind, children = tree
    if not mloc:
        if kind != "map" or last >= len(children):
            return None
        return kind, children[:first] + items + children[last + 1:]
    if kind == "map":
        key = plain(mloc[0])
        index = next((i for i, (k, _) in enumerate(children) if k == key), None)
        if index is None:
            return None
        inner = _substitute(children[index][1], mloc[1:], first, last, items)
        return None if inner is None else (kind, children[:index] + ((key, inner),) + children[index + 1:])
    if kind == "seq" and isinstance(mloc[0], int) and 0 <= mloc[0] < len(children):
        inner = _substitute(children[mloc[0]], mloc[1:], first, last, items)
        return None if inner is None else (kind, children[:mloc[0]] + (inner,) + children[mloc[0] + 1:])
    return None
