"""One edit as a transaction: under the study's lock, read it (from the parse cache when it holds
this very text), let the edit change the tree, render the new text, validate it, write it
atomically, and keep its parse for the next command.

The round-trip tree (ruamel) is changed as the truth of what the study must become. The file's text
is changed by patches at the positions of the nodes involved (patch.py); the patched text must read
as the changed tree, which is proven from parses of the regions it changed (proof.py) or else of
the whole text. Where the patcher gives up, the tree is dumped instead. Then the result is validated
like `scenmatrix validate` (quickcheck.py first, which answers "valid" without pydantic) and written,
or refused with the positioned problems and the file untouched.
"""

from __future__ import annotations

import difflib
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Optional

from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.scalarstring import ScalarString

from scenmatrix.edit import patch, proof, skeleton, tree as trees
from scenmatrix.edit.tree import Loc, dotted, dump, flow_map, mapping, parse, plain
from scenmatrix.errors import Problem, StudyError, UsageError, did_you_mean
from scenmatrix.store import cache, document, files, quickcheck
from scenmatrix.study.kinds import Kind, option_of

# The code whose output the parse cache keeps (the tree, and the node graph built from the regions
# an edit changed): a cached parse is used only by the very same modules.
PARSE_MAKERS = (document, skeleton, trees, patch, proof, sys.modules[__name__])

_MISSING = object()
_RAISE = object()

Change = Callable[["Session"], None]


def cross_checking() -> bool:
    """Whether edits check their shortcuts against the slow way, and fail loudly where they differ:
    every region proof against a parse of the whole patched text, every parse read from or left in
    the cache against a parse of its text, every "valid" of quickcheck against `validate`. Set by
    SCENMATRIX_CROSS_CHECK=1 (the test suite sets it, so that the commands it runs inherit it)."""
    return bool(os.environ.get("SCENMATRIX_CROSS_CHECK"))


@dataclass(frozen=True)
class EditResult:
    """What an edit did: the unified diff of the change ("" when the study stays as it was), and how."""

    diff: str
    render: str = ""  # "text": patched in place, "tree": dumped ("" when nothing changed)
    proof: str = ""  # how the new text was proven to read as intended: "regions" (small parses) or "parse"
    source: str = ""  # where the study's parse came from: "cache" (cache.cached_parse) or "parse" ("" if new)

    def __bool__(self) -> bool:
        """True when the edit changed the study, as its diff was when edits returned only that."""
        return bool(self.diff)


class FieldValueError(UsageError, StudyError):
    """Values given for fields (options on the command line) that the study refuses: a usage error naming
    the option, that still carries the problems with their positions in the text the edit would write."""

    def __init__(self, problems: list[Problem], field: str):
        super().__init__(problems, option_of(field))
        self.field = field

    def brief(self) -> str:
        return "; ".join(f"{_value_part(p.message)} — {p.hint}" if p.hint else _value_part(p.message)
                         for p in self.problems)


def _value_part(message: str) -> str:
    """'scenarios.S1.impacts.A.effect: 5 is out of range' -> '5 is out of range': the option says where."""
    return message.split(": ", 1)[-1]


class StudyChanged(StudyError):
    """The study is no longer the text a plan was made against (an edit landed in between): plan again."""


class _NoCachedDump(Exception):
    """The tree is to be dumped, but came from the parse cache, where comments next to the entries an
    earlier edit changed may be held elsewhere than a parse of the file holds them: parse again."""


def run(path: Path, change: Change, dry_run: bool, expect_sha256: Optional[str] = None, *,
        cite_options: bool = False, tolerate: tuple[str, ...] = ()) -> EditResult:
    """Make one change to the study at path, under its lock, and write it unless dry_run. With
    expect_sha256, only if the study is still the text of that hash (else StudyChanged, nothing written).
    With cite_options, a refusal that lies wholly in values the command gave names their options.
    Problems of the codes in `tolerate` do not refuse the result (a merge writes its conflicts)."""
    if not path.is_file():
        files.read_text(path)  # raises the positioned "no such file" / "is a folder" problem
    with files.locked(path):
        text, layout = files.read_study(path)
        if expect_sha256 is not None and document.text_sha256(text) != expect_sha256:
            raise StudyChanged([Problem(str(path), 1, 1, "changed", "the study changed after the edit was planned",
                                        "plan it again against the study as it is now")])
        if layout.unwritable is not None and not dry_run:
            raise StudyError([layout.unwritable])
        session = Session(path, text)
        change(session)
        try:
            new_text, new_tree, exact = session.render()
        except _NoCachedDump:
            session = Session(path, text, cached=False)
            change(session)
            new_text, new_tree, exact = session.render()
        result = EditResult("", *session.rendered, session.source)
        if new_text == text:
            return result
        try:
            validate(path, text, new_text, new_tree, exact, cross_check=session.cross_check, tolerate=tolerate)
        except StudyError as exc:
            if cite_options:
                _cite_options(exc, session.given)
            raise
        result = EditResult(diff(path, text, new_text), *session.rendered, session.source)
        if not dry_run:
            files.write_study(path, new_text, layout)
            session.cache(new_text)
    return result


def _cite_options(exc: StudyError, given: dict[str, str]) -> None:
    """Raise the refusal as a usage error naming the option, when every problem is in a value the command
    gave: a position would point into a text that was never written."""
    fields = set()
    for problem in exc.problems:
        field = next((f for at, f in given.items() if problem.message.startswith((at + ":", at + ".", at + "["))),
                     None)
        if field is None:
            return
        fields.add(field)
    if len(fields) == 1:
        raise FieldValueError(exc.problems, fields.pop()) from None


def create(path: Path, text: str, dry_run: bool) -> EditResult:
    """Write a new study's text at path (refusing to overwrite a file): its diff from nothing."""
    validate(path, None, text, parse(text)[0], cross_check=cross_checking())
    result = EditResult(diff(path, "", text), "tree", "parse", "")
    if dry_run:
        return result
    path.parent.mkdir(parents=True, exist_ok=True)
    with files.locked(path):
        if path.exists():
            raise StudyError([Problem(str(path), 1, 1, "exists", "a file already exists here",
                                      "pick another path, or edit this study with `scenmatrix add`")])
        files.write_study(path, text)
    return result


def validate(path: Path, old_text: Optional[str], new_text: str, new_tree: Any, exact: bool = True, *,
             cross_check: bool = False, tolerate: tuple[str, ...] = ()) -> None:
    """Refuse a result with problems the study did not already have (an edit may still touch a
    study that was invalid before, as long as it adds no problem of its own).

    `new_tree` is what `new_text` reads as; when not `exact`, its positions are those of the text
    before the edit, so problems (rare: a refused edit) are found again on a fresh parse of the text
    to report them where they are.

    quickcheck answers first: it finds a valid study valid without importing pydantic."""
    if quickcheck.valid(new_tree):
        if cross_check:
            _cross_check_valid(path, new_text, new_tree)
        return
    from scenmatrix.store.checks import validate_document

    _, problems = validate_document(document.Document(path, new_text, new_tree))
    problems = [p for p in problems if p.code not in tolerate]
    if not problems:
        return
    if not exact:
        _, problems = validate_document(document.Document(path, new_text, parse(new_text)[0]))
        problems = [p for p in problems if p.code not in tolerate]
    if old_text is not None:
        _, before = validate_document(document.parse(path, old_text))
        known = {(p.code, p.message) for p in before}
        problems = [p for p in problems if (p.code, p.message) not in known]
    if problems:
        raise StudyError(problems)


def _cross_check_valid(path: Path, text: str, tree: Any) -> None:
    from scenmatrix.store.checks import validate_document

    if validate_document(document.Document(path, text, tree))[1]:
        raise RuntimeError("internal error: quickcheck finds valid a study that validate does not")


def diff(path: Path, old: str, new: str) -> str:
    return "".join(difflib.unified_diff(old.splitlines(keepends=True), new.splitlines(keepends=True),
                                        str(path) if old else "/dev/null", str(path)))


def cached_tree(path: Path, text: str) -> Any:
    """The tree of this text of the study: from the parse cache, else parsed."""
    document._conflict_marker(path, text)  # as document.parse would
    hit = cache.cached_parse(path, text, PARSE_MAKERS, _fits)
    tree = hit[0] if hit is not None else document.parse(path, text).tree
    cache.keep_private(path, cache.marking_of(tree))
    return tree


def _fits(parse: Any) -> bool:
    """Whether an unpickled parse is what Session.cache keeps: the tree, and its packed node graph (a
    mapping: see skeleton.packed)."""
    if not (type(parse) is tuple and len(parse) == 2):
        return False
    tree, packed = parse
    return (isinstance(tree, CommentedMap) and type(packed) is tuple and len(packed) == 6
            and packed[1] is True and type(packed[5]) is tuple)


class Session:
    """One edit: the tree being changed, and the text patches that express the same change."""

    def __init__(self, path: Path, text: str, cached: bool = True, cross_check: Optional[bool] = None):
        self.path, self.text = path, text
        self.cross_check = cross_checking() if cross_check is None else cross_check
        document._conflict_marker(path, text)
        self.tree, node, self.packed = self._parsed(cached)
        cache.keep_private(path, cache.marking_of(self.tree))  # re-marked: what the cache held of it goes
        self.from_cache = self.packed is not None
        self.source = "cache" if self.from_cache else "parse"
        self.rendered = ("", "")  # how render() made the new text: EditResult's render and proof
        if not isinstance(self.tree, dict):
            raise StudyError([Problem(str(path), 1, 1, "structure",
                                      "a study must be a mapping with `study:`, `actors:`, `scenarios:` ...")])
        self.patcher = patch.Patcher(text, node, self.tree)
        self.changed = False
        self._before = plain(self.tree)  # what the text reads as, to prove the patched text against
        self._readings: list[proof.Reading] = []  # how the regions of the patched text read
        self._new_parse: Any = None  # the tree and node graph of the new text, when it was parsed whole
        # dotted path of each field a command set -> the field: a problem in it is the option's, not the file's
        self.given: dict[str, str] = {}

    def _parsed(self, cached: bool) -> tuple[Any, Any, Optional[tuple]]:
        """The tree and node skeleton of the text, and the skeleton packed if it came from the cache."""
        hit = cache.cached_parse(self.path, self.text, PARSE_MAKERS, _fits) if cached else None
        if hit is not None:
            tree, packed = hit
            node = skeleton.unpacked(packed)  # the root only: its shape is what _fits checked
            if self.cross_check:
                proof.cross_check_parse(tree, node, self.text, "the cached parse")
            return tree, node, packed
        try:
            tree, node = parse(self.text)
        except Exception:
            document.parse(self.path, self.text)  # raises the positioned StudyError that `validate` would
            raise
        return tree, skeleton.skeleton(node), None

    # -- the tree ------------------------------------------------------------------------

    def get(self, loc: Loc, default: Any = _RAISE) -> Any:
        node = self.tree
        for part in loc:
            if isinstance(node, dict) and part in node:
                node = node[part]
            elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
                node = node[part]
            elif default is _RAISE:
                raise KeyError(loc)
            else:
                return default
        return node

    def has(self, loc: Loc) -> bool:
        return self.get(loc, _MISSING) is not _MISSING

    def require(self, loc: Loc, kind: Kind) -> None:
        """Raise the positioned "unknown" problem unless the entry at loc exists."""
        if not self.has(loc):
            if kind.name in ("impact", "indicator") and not isinstance(self.get(loc[:2], None), dict):
                raise self.unknown(loc[:2], "scenario") if loc[1] != "?" else self.unknown(loc, kind.name)
            raise self.unknown(loc, kind.name)

    def unknown(self, loc: Loc, noun: str) -> StudyError:
        parent = self.get(loc[:-1], None)
        known = [str(k) for k in parent] if isinstance(parent, dict) else []
        if noun == "indicator":
            known = [str(iid) for sc in mapping(self.tree.get("scenarios")).values()
                     for iid in mapping(mapping(sc).get("indicators"))]
        hint = did_you_mean(str(loc[-1]), known) or (
            f"known: {', '.join(sorted(known)[:12])}" if known else f"no {noun} is defined yet")
        where = loc[:-1]
        while where and self.get(where, None) is None:
            where = where[:-1]
        return StudyError([self.problem(where, "unknown", f"no {noun} {loc[-1]!r} in this study", hint, key=True)])

    def problem(self, loc: Loc, code: str, message: str, hint: Optional[str] = None, key: bool = False) -> Problem:
        """A problem at the entry at loc (at its key, if key) in the text the session read."""
        node = self.patcher.key_node(loc) if key and loc else self.patcher.node_at(loc)
        if node is None:
            node = self.patcher.node_at(loc)
        line, col = (node.start_mark.line + 1, node.start_mark.column + 1) if node is not None else (1, 1)
        return Problem(str(self.path), line, col, code, message, hint)

    # -- changes: each updates the tree, and adds text patches or gives up on them -------------

    def set(self, loc: Loc, value: Any) -> None:
        parent = self.get(loc[:-1])
        key = loc[-1]
        if isinstance(parent, dict) and key not in parent:
            self.insert(loc, value)
            return
        parent[key] = value
        self._express(self.patcher.replace_value, loc, value)

    def insert(self, loc: Loc, value: Any) -> None:
        parent = self.get(loc[:-1], None)
        if parent is None:
            self.insert(loc[:-1], CommentedMap([(loc[-1], value)]))
            return
        if not isinstance(parent, dict):  # e.g. `impacts: text`: validation's to report, not a crash
            raise StudyError([self.problem(loc[:-1], "structure", f"{dotted(loc[:-1])} is not a mapping",
                                           "write its entries as `key: value` lines under it")])
        if isinstance(parent, CommentedMap) and not parent and parent.fa.flow_style():
            parent.fa.set_block_style()
        parent[loc[-1]] = value
        self._express(self.patcher.insert_entry, loc, value)

    def delete(self, loc: Loc) -> None:
        parent = self.get(loc[:-1])
        del parent[loc[-1]]
        if not parent:
            empty = flow_map() if isinstance(parent, dict) else CommentedSeq()
            if isinstance(empty, CommentedSeq):
                empty.fa.set_flow_style()
            self.get(loc[:-2])[loc[-2]] = empty
            self._express(self.patcher.replace_value, loc[:-1], empty)
        else:
            self._express(self.patcher.delete_entry, loc)

    def rename_key(self, loc: Loc, new: str) -> None:
        parent = self.get(loc[:-1])
        old = loc[-1]
        position = list(parent).index(old)
        if isinstance(old, ScalarString):
            new = type(old)(new)
        comment = parent.ca.items.pop(old, None)
        value = parent.pop(old)
        parent.insert(position, new, value)
        if comment is not None:
            parent.ca.items[new] = comment
        self._express(self.patcher.rename_key, loc, new)

    def _express(self, make: Callable[..., None], loc: Loc, *args: Any) -> None:
        self.changed = True
        self.patcher.express(make, loc, *args)

    # -- rendering -----------------------------------------------------------------------

    def render(self) -> tuple[str, Any, bool]:
        """The new text, the tree it reads as, and whether that tree's positions are exact.

        Patched text is proven to read as the edited tree either from small parses of the regions
        it changed (see proof.py; the tree's positions are then the old text's) or, failing that,
        by parsing it all (exact positions). Otherwise the tree is dumped and parsed."""
        if not self.changed:
            return self.text, self.tree, True
        expected = plain(self.tree)
        text = self.patcher.applied() if self.patcher.ok else None
        if text is not None:
            readings = proof.prove(self.patcher, self._before, expected)
            if readings is not None:
                self._adopt(readings)
                self.rendered = ("text", "regions")
                if self.cross_check and plain(parse(text)[0]) != expected:
                    raise RuntimeError("internal error: the region proof disagrees with a parse of the whole text")
                return text, self.tree, False
            try:
                tree, nodes = parse(text)
            except Exception:
                tree = None
            if tree is not None and plain(tree) == expected:
                self.rendered = ("text", "parse")
                self._new_parse = tree, nodes
                return text, tree, True
        if self.from_cache:
            raise _NoCachedDump
        self.rendered = ("tree", "parse")
        text = dump(self.tree)
        tree, nodes = parse(text)
        if plain(tree) != expected:  # pragma: no cover - would be a ruamel bug
            raise RuntimeError("internal error: the edited study does not read back as edited")
        self._new_parse = tree, nodes
        return text, tree, True

    def _adopt(self, readings: list[proof.Reading]) -> None:
        """Take each changed region's entries as the patched text reads them: validation then checks
        what the text reads as, not what was built."""
        for reading in readings:
            target = self.get(reading.region[0])
            for key, value in reading.tree.items():
                target[key] = value
        self._readings = readings

    def cache(self, new_text: str) -> None:
        """Keep the parse of the text just written for the next command (see cache.cache_parse):
        the tree the patched text was proven to read as, and its node graph with exact positions.
        A study the edit marked private instead loses what the cache held of it."""
        if not cache.cacheable(cache.marking_of(self.tree)):
            cache.forget(self.path)
            return
        if not cache.enabled() and not self.cross_check:
            return  # nowhere to keep it (SCENMATRIX_CACHE=off): building the parse would be wasted
        try:
            parse = self._parse_of(new_text)
        except Exception:
            if self.cross_check:
                raise
            return  # the study is written: a parse not kept only costs the next command a parse
        if parse is not None:
            cache.cache_parse(self.path, new_text, parse, PARSE_MAKERS)

    def _parse_of(self, new_text: str) -> Optional[tuple[Any, tuple]]:
        """The tree and packed node graph of the new text, or None when not known for certain."""
        if self._new_parse is not None:
            tree, packed = self._new_parse[0], skeleton.packed(skeleton.skeleton(self._new_parse[1]))
        elif self._readings:
            old = self.packed if self.packed is not None else skeleton.packed(self.patcher.node)
            tree, packed = self.tree, skeleton.rebased(old, self.text, new_text, [r.piece for r in self._readings])
            if packed is None:
                return None
            if self.cross_check:
                proof.cross_check_parse(tree, skeleton.unpacked(packed), new_text, "the parse built from the regions")
        else:
            return None
        return tree, packed

