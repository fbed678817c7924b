"""Text patches at the exact positions of a study's nodes: how an edit changes the file's text, so
that comments, quoting, blank lines and spellings elsewhere are never re-emitted.

Each patch replaces a span of the old text (a scalar's span, an entry's lines with its own comments).
Where a change has a layout the patcher does not know, it gives up (`NoText`) and the session dumps
the tree instead.
"""

from __future__ import annotations

from typing import Any, Callable, NamedTuple, Optional

from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.nodes import MappingNode, ScalarNode, SequenceNode
from ruamel.yaml.scalarstring import DoubleQuotedScalarString, ScalarString, SingleQuotedScalarString

from scenmatrix.edit.tree import Loc, dump, mapping


class NoText(Exception):
    """The text patcher cannot express this change; the tree will be dumped instead."""


class Patch(NamedTuple):
    start: int  # the span of the old text it replaces
    end: int
    order: int  # patches at one position apply in the order they were made
    text: str
    hint: tuple[str, Loc]  # the change it expresses (the patcher's method) and where: see proof.first_region


class Patcher:
    """The patches that express an edit's changes on the old text, found from its node graph."""

    def __init__(self, text: str, node: Any, tree: Any):
        self.text, self.node = text, node
        self.tree = tree  # the tree being changed: its scenarios tell blank_style where to look
        self.lines = text.splitlines(keepends=True)
        self.starts = [0]
        for line in self.lines:
            self.starts.append(self.starts[-1] + len(line))
        self.patches: list[Patch] = []
        self.ok = True
        self._hint: tuple[str, Loc] = ("", ())

    def express(self, make: Callable[..., None], loc: Loc, *args: Any) -> None:
        """Add the patches of one change (`make` is one of the methods below), or give up on text."""
        if not self.ok:
            return
        self._hint = (make.__name__, loc)
        try:
            make(loc, *args)
        except NoText:
            self.ok = False

    def applied(self) -> Optional[str]:
        """The patched text, or None when two patches overlap."""
        patches = sorted(self.patches)
        for a, b in zip(patches, patches[1:]):
            if b.start < a.end:
                return None
        text = self.text
        for patch in reversed(patches):
            text = text[:patch.start] + patch.text + text[patch.end:]
        return text

    def _patch(self, start: int, end: int, replacement: str) -> None:
        self.patches.append(Patch(start, end, len(self.patches), replacement, self._hint))

    # -- nodes -----------------------------------------------------------------------------

    def node_at(self, loc: Loc) -> Any:
        node = self.node
        for part in loc:
            if isinstance(node, MappingNode):
                node = next((v for k, v in node.value if isinstance(k, ScalarNode) and k.value == part), None)
            elif isinstance(node, SequenceNode) and isinstance(part, int) and 0 <= part < len(node.value):
                node = node.value[part]
            else:
                return None
            if node is None:
                return None
        return node

    def key_node(self, loc: Loc) -> Any:
        parent = self.node_at(loc[:-1])
        if isinstance(parent, MappingNode):
            return next((k for k, _ in parent.value if isinstance(k, ScalarNode) and k.value == loc[-1]), None)
        return None

    # -- changes ---------------------------------------------------------------------------

    def replace_value(self, loc: Loc, value: Any) -> None:
        node = self.node_at(loc)
        if node is None:
            raise NoText
        if isinstance(node, ScalarNode) and node.style not in ("|", ">") and not isinstance(value, (dict, list)) \
                and not (isinstance(value, ScalarString) and "\n" in value):
            self._patch(node.start_mark.index, node.end_mark.index, inline(value))
            return
        key = self.key_node(loc)
        if key is None:
            raise NoText
        if getattr(node, "flow_style", False) or (isinstance(node, ScalarNode) and node.style not in ("|", ">")):
            end = node.end_mark.index
            if self.text[node.start_mark.index:end].count("\n"):
                raise NoText
        else:
            end = self._line_end(self.content_end(key.start_mark.line, key.start_mark.column) - 1)
        rendered = render_entry(loc[-1], value, key.start_mark.column)
        self._patch(key.start_mark.index, end, rendered[key.start_mark.column:].rstrip("\n"))

    def insert_entry(self, loc: Loc, value: Any) -> None:
        parent = self.node_at(loc[:-1])
        if not isinstance(parent, MappingNode):
            raise NoText
        if parent.value and not parent.flow_style:
            self._append_to_block(loc, parent, value)
        elif parent.value:  # a flow mapping: `{a: 1, b: 2}` -> `{a: 1, b: 2, key: value}`
            at = parent.value[-1][1].end_mark.index
            self._patch(at, at, f", {inline(loc[-1])}: {inline(_flow(value))}")
        else:
            self._fill_empty(loc, parent, value)

    def _append_to_block(self, loc: Loc, parent: MappingNode, value: Any) -> None:
        last = parent.value[-1][0]
        line, col = last.start_mark.line, last.start_mark.column
        end = self.content_end(line, col)
        blank = self._blank_style(loc[:-1])
        text = ("\n" if blank else "") + render_entry(loc[-1], value, col)
        at = self.starts[end]
        if at == len(self.text) and self.text and not self.text.endswith("\n"):
            text = "\n" + text
        self._patch(at, at, text)

    def _fill_empty(self, loc: Loc, parent: MappingNode, value: Any) -> None:
        """`key: {}` -> `key:` and the new entry on the lines under it."""
        if not loc[:-1]:
            raise NoText
        key = self.key_node(loc[:-1])
        line = key.start_mark.line
        if parent.start_mark.line != line or self.text[parent.start_mark.index:parent.end_mark.index] != "{}":
            raise NoText
        rest = self.text[parent.end_mark.index:self._line_end(line)]
        if rest.strip() and not rest.strip().startswith("#"):
            raise NoText
        indent = key.start_mark.column + 2
        text = ":" + (rest.rstrip() if rest.strip() else "") + "\n" + render_entry(loc[-1], value, indent).rstrip("\n")
        self._patch(key.end_mark.index, self._line_end(line), text)

    def delete_entry(self, loc: Loc) -> None:
        parent = self.node_at(loc[:-1])
        if isinstance(parent, MappingNode):
            index = next((i for i, (k, _) in enumerate(parent.value) if isinstance(k, ScalarNode) and k.value == loc[-1]),
                         None)
            if index is None:
                raise NoText
            items = [(k.start_mark, v.end_mark, k) for k, v in parent.value]
        elif isinstance(parent, SequenceNode) and isinstance(loc[-1], int):
            index = loc[-1]
            items = [(v.start_mark, v.end_mark, v) for v in parent.value]
        else:
            raise NoText
        if len(items) < 2:
            raise NoText
        if parent.flow_style:
            if index > 0:
                self._patch(items[index - 1][1].index, items[index][1].index, "")
            else:
                self._patch(items[0][0].index, items[1][0].index, "")
            return
        self._delete_lines(parent, items[index][0], index)

    def _delete_lines(self, parent: Any, first: Any, index: int) -> None:
        """An entry of a block collection, with the comments above it and the blank lines around it."""
        line, col = first.line, first.column
        if isinstance(parent, SequenceNode):
            col = self.lines[line].rfind("-", 0, col)
            if col < 0 or self.lines[line][:col].strip():
                raise NoText
        start = self.attached_start(line, col)
        end = self.content_end(line, col)
        if index == 0:
            while end < len(self.lines) and not self.lines[end].strip():
                end += 1
        else:
            while start > 0 and not self.lines[start - 1].strip():
                start -= 1
        self._patch(self.starts[start], self.starts[end], "")

    def rename_key(self, loc: Loc, new: str) -> None:
        key = self.key_node(loc)
        if key is None:
            raise NoText
        if key.style in ("'", '"') and not isinstance(new, ScalarString):
            new = (DoubleQuotedScalarString if key.style == '"' else SingleQuotedScalarString)(new)
        self._patch(key.start_mark.index, key.end_mark.index, inline(new))

    # -- lines -----------------------------------------------------------------------------

    def _line_end(self, line: int) -> int:
        """Index of the end of a line's content (before its newline)."""
        if line >= len(self.lines):
            return len(self.text)
        return self.starts[line] + len(self.lines[line].rstrip("\r\n"))

    def content_end(self, line: int, col: int) -> int:
        """The line after the last line of an entry whose key (or '-') is at line, col: its value's
        lines, not the blank lines and outdented comments that follow and belong to what comes next."""
        end = line + 1
        while end < len(self.lines):
            text = self.lines[end]
            stripped = text.strip()
            if stripped and not stripped.startswith("#") and indent(text) <= col:
                break
            end += 1
        while end > line + 1 and (not self.lines[end - 1].strip() or
                                  (self.lines[end - 1].lstrip().startswith("#") and indent(self.lines[end - 1]) <= col)):
            end -= 1
        return end

    def attached_start(self, line: int, col: int) -> int:
        """The first line of the comments written directly above an entry, at its indentation."""
        while line > 0 and self.lines[line - 1].lstrip().startswith("#") and indent(self.lines[line - 1]) == col:
            line -= 1
        return line

    def _blank_style(self, loc: Loc) -> bool:
        """Whether entries of this mapping are separated by blank lines, judged from the mapping
        itself or, when it has fewer than two entries, from mappings like it."""
        candidates = [loc]
        if len(loc) == 3 and loc[0] == "scenarios":
            candidates += [("scenarios", sid, loc[2]) for sid in mapping(self.tree.get("scenarios"))]
        elif len(loc) == 1:
            candidates += [(section,) for section in ("actors", "evidence", "drivers", "constraints", "scenarios")]
        for candidate in candidates:
            node = self.node_at(candidate)
            if isinstance(node, MappingNode) and len(node.value) >= 2 and not node.flow_style:
                last = node.value[-1][0].start_mark
                start = self.attached_start(last.line, last.column)
                return start > 0 and not self.lines[start - 1].strip()
        return not loc


def indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def render_entry(key: Any, value: Any, spaces: int) -> str:
    """`key: value` as the file would have it, every line indented by `spaces` spaces."""
    text = dump(CommentedMap([(key, value)]))
    return "".join(" " * spaces + line if line.strip() else line for line in text.splitlines(keepends=True))


def _flow(value: Any) -> Any:
    """The value laid out in flow style, to sit inside `{...}` or `[...]`."""
    if isinstance(value, (list, dict)):
        value = (CommentedSeq if isinstance(value, list) else CommentedMap)(value)
        value.fa.set_flow_style()
    return value


def inline(value: Any) -> str:
    text = dump(CommentedMap([("k", value)]))
    if text.count("\n") != 1 or not text.startswith("k: "):
        raise NoText
    return text[3:-1]
