"""The node graph an edit patches a study's text by: ruamel's nodes, with their exact positions.

An edit keeps it as a skeleton: without comments (the round-trip tree holds those), and without
where block collections end (where the next token starts, often outside the text of an entry;
nothing reads it). For the parse cache the skeleton is packed into nested tuples, which pickle
many times faster than nodes, and unpacked lazily: an edit reads a few entries of a study.

After an edit, the graph of the new text is the old one with the entries of each region the edit
changed replaced by the nodes of that region's own parse (edit.proof reads them), and
every position moved to where it now stands: `rebased`. The test suite (SCENMATRIX_CROSS_CHECK=1)
compares every graph built so, and every graph read from the cache, with a parse of the text.
"""

from __future__ import annotations

import bisect
import itertools
import re
from typing import Any, NamedTuple, Optional

from ruamel.yaml.error import FileMark
from ruamel.yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from ruamel.yaml.tag import Tag

# (tag, value, style, start, end) for a scalar, (tag, is a mapping, flow style, start, end, children)
# for a collection; a mark is (index, line, column), or None.
Packed = tuple

# Characters that str.splitlines and YAML count differently as line breaks.
_LINE_BREAKS_DIFFER = re.compile("[\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]|\r(?!\n)")


class Piece(NamedTuple):
    """A region of an edited text and its own parse: entries first..last of the mapping at loc."""

    loc: tuple[Any, ...]
    first: int
    last: int
    start: int  # its span in the old text
    end: int
    text: str  # its text, as it stands in the new one
    n: int  # the column of its keys
    removed: list[int]  # the spaces each of its lines lost to be read on its own (n, or fewer on a blank line)
    node: MappingNode  # what it reads as, positioned in the text it was read from


class _Unplaced(Exception):
    """A node of a piece whose position in the file is not known for certain."""


def skeleton(node: Any) -> Any:
    """The node graph as an edit keeps it, made so in place."""
    stack = [node] if node is not None else []
    while stack:
        each = stack.pop()
        each.comment = None
        if isinstance(each, MappingNode):
            stack += [n for pair in each.value for n in pair]
        elif isinstance(each, SequenceNode):
            stack += each.value
        if isinstance(each, (MappingNode, SequenceNode)) and not each.flow_style:
            each.end_mark = None
    return node


def packed(node: Any) -> Packed:
    start, end = (None if m is None else (m.index, m.line, m.column) for m in (node.start_mark, node.end_mark))
    if isinstance(node, ScalarNode):
        return node.tag, node.value, node.style, start, end
    if isinstance(node, MappingNode):
        children: tuple = tuple((packed(k), packed(v)) for k, v in node.value)
    else:
        children = tuple(packed(v) for v in node.value)
    return node.tag, isinstance(node, MappingNode), node.flow_style, start, end, children


def unpacked(packed: Packed) -> Any:
    """The skeleton that was packed; a collection's children are unpacked when first read."""
    tag = _TAGS.get(packed[0]) or _TAGS.setdefault(packed[0], Tag(suffix=packed[0]))
    start, end = (None if m is None else FileMark("<file>", *m) for m in packed[3:5])  # as ruamel names a stream
    if len(packed) == 5:
        return ScalarNode(tag, packed[1], start, end, style=packed[2])
    node = (_PackedMapping if packed[1] else _PackedSequence)(tag, [], start, end, flow_style=packed[2])
    node.children = packed[5]
    return node


_TAGS: dict[str, Tag] = {}
_VALUE = Node.__dict__["value"]  # the slot that holds a node's value


def _unpacked_value(node: Any) -> list:
    if node.children is not None:
        children, node.children = node.children, None
        if isinstance(node, MappingNode):
            _VALUE.__set__(node, [(unpacked(k), unpacked(v)) for k, v in children])
        else:
            _VALUE.__set__(node, [unpacked(item) for item in children])
    return _VALUE.__get__(node)


def _set_value(node: Any, value: list) -> None:
    node.children = None
    _VALUE.__set__(node, value)


class _PackedMapping(MappingNode):
    __slots__ = ("children",)
    value = property(_unpacked_value, _set_value)


class _PackedSequence(SequenceNode):
    __slots__ = ("children",)
    value = property(_unpacked_value, _set_value)


def comparable(node: Any) -> Any:
    """Everything a skeleton holds, for equality."""
    marks = tuple(None if m is None else (m.index, m.line, m.column) for m in (node.start_mark, node.end_mark))
    if isinstance(node, MappingNode):
        kind, value = "map", tuple((comparable(k), comparable(v)) for k, v in node.value)
    elif isinstance(node, SequenceNode):
        kind, value = "seq", tuple(comparable(v) for v in node.value)
    else:
        kind, value = "scalar", node.value
    return kind, node.tag, getattr(node, "style", None), getattr(node, "flow_style", None), node.anchor, marks, value


def rebased(old: Packed, old_text: str, new_text: str, pieces: list[Piece]) -> Optional[Packed]:
    """The packed graph of new_text, or None if unsure: `old` (that of old_text) with each piece's
    entries replaced by its own nodes, and every position moved to where it now stands.

    Outside the pieces the text is unchanged, so a node there moves by what the pieces before it
    grew. Inside one, the file's lines are the piece's lines with the spaces it lost, except that a
    block scalar ends at the start of a line (before its indentation)."""
    if _LINE_BREAKS_DIFFER.search(old_text) or _LINE_BREAKS_DIFFER.search(new_text):
        return None
    shift = _Shift(old_text, pieces)
    places = {}
    for piece in shift.pieces:
        mapping = _packed_at(old, piece.loc)
        if mapping is None or len(mapping) == 5 or not mapping[1]:
            return None
        first_line = old_text.count("\n", 0, piece.start) + shift.lines_before(piece)
        places[id(mapping)] = piece, first_line, packed(skeleton(piece.node))
    starts = [0, *itertools.accumulate(map(len, new_text.splitlines(keepends=True)))]
    try:
        return _moved(old, shift, places, starts)
    except _Unplaced:
        return None


class _Shift:
    """How far the text after each piece moved: what the pieces before it grew, in characters and lines."""

    def __init__(self, old_text: str, pieces: list[Piece]):
        self.pieces = sorted(pieces, key=lambda p: p.start)
        self.ends = [p.end for p in self.pieces]
        self.after: list[tuple[int, int]] = [(0, 0)]  # after the first k pieces
        for p in self.pieces:
            was = old_text[p.start:p.end]
            grown, lines = self.after[-1]
            self.after.append((grown + len(p.text) - len(was), lines + p.text.count("\n") - was.count("\n")))

    def mark(self, mark: Optional[tuple]) -> Optional[tuple]:
        """A mark of the old text outside the pieces (or at the first key of a piece's mapping), in the new."""
        if mark is None:
            return None
        grown, lines = self.after[bisect.bisect_right(self.ends, mark[0])]
        return mark[0] + grown, mark[1] + lines, mark[2]

    def lines_before(self, piece: Piece) -> int:
        return self.after[self.pieces.index(piece)][1]


def _moved(node: Packed, shift: _Shift, places: dict[int, tuple[Piece, int, Packed]], starts: list[int]) -> Packed:
    """A packed node of the old text in the new one; at a piece's mapping, with the piece's own nodes."""
    start, end = shift.mark(node[3]), shift.mark(node[4])
    if len(node) == 5:
        return (*node[:3], start, end)
    if not node[1]:
        return (*node[:3], start, end, tuple(_moved(item, shift, places, starts) for item in node[5]))
    pairs = [(_moved(k, shift, places, starts), _moved(v, shift, places, starts)) for k, v in node[5]]
    if id(node) in places:
        piece, first_line, own = places[id(node)]
        pairs[piece.first:piece.last + 1] = [
            (_placed(k, piece, first_line, starts), _placed(v, piece, first_line, starts)) for k, v in own[5]]
    return (*node[:3], start, end, tuple(pairs))


def _placed(node: Packed, piece: Piece, first_line: int, starts: list[int]) -> Packed:
    """A packed node of a piece's own parse, moved to where the piece stands in the new text."""
    marks = []
    for mark, is_end in ((node[3], False), (node[4], True)):
        if mark is None:
            marks.append(None)
            continue
        _, line, column = mark
        if is_end and len(node) == 5 and node[2] in ("|", ">"):
            if column:
                raise _Unplaced
            # a block scalar ends where the next line starts, before its indentation
        elif piece.removed[line] == piece.n:
            column += piece.n
        else:  # a line that lost fewer spaces: a blank or comment line, where no node should be
            raise _Unplaced
        line += first_line
        marks.append((starts[line] + column, line, column))
    if len(node) == 5:
        return (*node[:3], *marks)
    if node[1]:
        children: tuple = tuple((_placed(k, piece, first_line, starts), _placed(v, piece, first_line, starts))
                                for k, v in node[5])
    else:
        children = tuple(_placed(item, piece, first_line, starts) for item in node[5])
    return (*node[:3], *marks, children)


def _packed_at(node: Packed, loc: tuple[Any, ...]) -> Optional[Packed]:
    """The packed node at loc, found as edit.patch.Patcher.node_at finds a node."""
    for part in loc:
        if len(node) == 5:
            return None
        if node[1]:
            found = next((v for k, v in node[5] if len(k) == 5 and k[1] == part), None)
        elif isinstance(part, int) and 0 <= part < len(node[5]):
            found = node[5][part]
        else:
            found = None
        if found is None:
            return None
        node = found
    return node
