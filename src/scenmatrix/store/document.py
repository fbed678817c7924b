"""YAML with positions: the one round-trip configuration, parsing into positioned problems, documents."""

from __future__ import annotations

import contextlib
import functools
import hashlib
import io
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.composer import Composer, ComposerError
from ruamel.yaml.constructor import ConstructorError, DuplicateKeyError, RoundTripConstructor
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.events import AliasEvent, NodeEvent
from ruamel.yaml.nodes import ScalarNode
from ruamel.yaml.reader import ReaderError

from scenmatrix.errors import Problem, StudyError
from scenmatrix.store.files import file_error, read_text



MAX_DEPTH = 100  # a study nests 7 levels; far deeper, ruamel's scanner slows quadratically, then recurses out
SCHEMA_LINE = "# yaml-language-server: $schema=study.schema.json"


class _Constructor(RoundTripConstructor):
    """ruamel's round-trip constructor, but a value it cannot build (`2022-13-45`, `!!int x`, `!!omap a`)
    becomes a YAML error at that value's position instead of a bare ValueError/TypeError."""

    def construct_non_recursive_object(self, node: Any, tag: Any = None) -> Any:
        try:
            return super().construct_non_recursive_object(node, tag)
        except (ValueError, TypeError, AttributeError, IndexError, KeyError) as exc:
            value = f"{node.value!r} " if isinstance(node, ScalarNode) else ""
            kind = str(node.tag).rsplit(":", 1)[-1]
            what = f"{value}is not a valid date ({exc})" if kind == "timestamp" else f"cannot read {value}as {kind}"
            raise ConstructorError(None, None, what, node.start_mark) from None


class _AnchorFound(ComposerError):
    """An anchor or alias, met while composing: `parse` reports all of them, positioned."""


class _Composer(Composer):
    """ruamel's composer, stopping at the first anchor (`&a`) or alias (`*a`). A study writes every entry
    out in full; an alias of an alias of ... ("billion laughs") costs nothing to parse, but every later
    walk of the tree (an edit's comparison, a diff, `list --json`) would expand it exponentially."""

    def compose_node(self, parent: Any, index: Any) -> Any:
        event = self.parser.peek_event()
        if isinstance(event, AliasEvent) or getattr(event, "anchor", None):
            raise _AnchorFound(None, None, "anchors and aliases are not allowed", event.start_mark)
        return super().compose_node(parent, index)


def round_trip_yaml() -> YAML:
    """One configuration for every load and dump, so that an unchanged study saves byte-identical."""
    yaml = YAML()
    yaml.Composer = _Composer
    yaml.Constructor = _Constructor
    yaml.max_depth = MAX_DEPTH
    yaml.preserve_quotes = True
    yaml.width = 4096
    yaml.indent(mapping=2, sequence=4, offset=2)
    return yaml


@dataclass
class Document:
    """A study file as read: its text and the round-trip tree that knows every node's position."""

    path: Path
    text: str
    tree: Any

    @functools.cached_property
    def sha256(self) -> str:
        return text_sha256(self.text)

    def forget_text(self) -> None:
        """Keep the text's hash and let the text go: a brief needs only the hash, and a large study's
        text is tens of megabytes."""
        _ = self.sha256
        self.text = ""

    def dump(self) -> str:
        out = io.StringIO()
        round_trip_yaml().dump(self.tree, out)
        return out.getvalue()



def _conflict_marker(path: Path, text: str) -> None:
    for number, line in enumerate(text.splitlines(), 1):
        if line.startswith(("<<<<<<< ", ">>>>>>> ")) or line.rstrip() == "=======":
            raise file_error(path, "unresolved git merge conflict marker", "resolve the merge conflict first", number)


def parse(path: Path, text: str) -> Document:
    """Parse YAML text into a round-trip tree; syntax errors become positioned problems."""
    if not text.strip() or all(ln.lstrip().startswith("#") or not ln.strip() for ln in text.splitlines()):
        raise file_error(path, "empty study file", "start one with `scenmatrix new PATH --title ...`")
    _conflict_marker(path, text)
    try:
        tree = round_trip_yaml().load(text)
    except _AnchorFound:
        raise StudyError(anchor_problems(path, text)) from None
    except ReaderError as exc:
        line = text.count("\n", 0, exc.position) + 1
        col = exc.position - (text.rfind("\n", 0, exc.position) + 1) + 1
        char = f"U+{exc.character:04X}" if isinstance(exc.character, int) else repr(exc.character)
        raise file_error(path, f"character {char} is not allowed in YAML", "remove it", line, col) from None
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        message = f"YAML syntax: {exc.problem or exc.context}"
        if exc.context and exc.problem:
            message = f"YAML syntax: {exc.problem} ({exc.context})"
        if isinstance(exc, DuplicateKeyError):  # ruamel's text repeats both whole values
            key = re.match(r'found duplicate key "(.*?)" with value', str(exc.problem), re.S)
            message = f"YAML syntax: duplicate key {key.group(1)!r}" if key else "YAML syntax: duplicate key"
        if "maximum depth" in str(exc.problem):  # ruamel's text tells a programmer to raise max_depth
            message = f"YAML nested more than {MAX_DEPTH} levels deep"
        hint = "ids must be unique" if "duplicate key" in str(exc.problem) else _syntax_hint(exc)
        raise file_error(path, message, hint, mark.line + 1, mark.column + 1) from None
    except YAMLError as exc:  # errors without a mark are rare; keep them one line
        raise file_error(path, f"YAML syntax: {str(exc).splitlines()[0]}") from None
    except RecursionError:
        raise file_error(path, "YAML nested too deeply") from None
    return Document(path, text, tree)


def anchor_problems(path: Path, text: str) -> list[Problem]:
    """Each `&anchor` and `*alias` where it is written, from the parser's events (nothing is expanded)."""
    problems = []
    with contextlib.suppress(YAMLError):  # a syntax error further on: the anchors before it are enough
        for event in round_trip_yaml().parse(text):
            if isinstance(event, NodeEvent) and event.anchor:
                what = f"alias '*{event.anchor}'" if isinstance(event, AliasEvent) else f"anchor '&{event.anchor}'"
                problems.append(Problem(str(path), event.start_mark.line + 1, event.start_mark.column + 1, "anchor",
                                        f"YAML {what}: anchors and aliases are not allowed in a study",
                                        "write the entry out in full"))
    return problems or [Problem(str(path), 1, 1, "anchor", "YAML anchors and aliases are not allowed in a study",
                                "write the entry out in full")]


def _syntax_hint(exc: MarkedYAMLError) -> str | None:
    problem, context = str(exc.problem), str(exc.context)
    if "\\t" in problem or "'\\t'" in problem:
        return "indent with spaces, not tabs"
    if "mapping values are not allowed" in problem:
        return "quote text that contains ': ', or check the indentation"
    if "expected <block end>" in problem:
        return "check the indentation of this line against the lines above"
    if "flow sequence" in context or "flow mapping" in context:
        bracket = "[" if "sequence" in context else "{"
        return f"is the '{bracket}' on line {exc.context_mark.line + 1} closed?" if exc.context_mark else None
    if "another document" in problem:
        return "a study is one YAML document: remove the '---' line"
    if "not a valid date" in problem:
        return "write it as YYYY-MM-DD, with a real month and day"
    return None


def read_document(path: Path | str) -> Document:
    path = Path(path)
    return parse(path, read_text(path))


def text_sha256(text: str) -> str:
    """The hash a study's text is known by (the brief's marker, the parse cache, an import's plan)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
