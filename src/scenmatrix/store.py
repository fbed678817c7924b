"""The only module that touches study files on disk: read, parse with positions, lock, write atomically."""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import io
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Iterator

from ruamel.yaml import YAML
from ruamel.yaml.constructor import ConstructorError, DuplicateKeyError, RoundTripConstructor
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.nodes import ScalarNode
from ruamel.yaml.reader import ReaderError

from .problems import Problem, StudyError

MAX_STUDY_BYTES = 100 * 1024 * 1024
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


def round_trip_yaml() -> YAML:
    """One configuration for every load and dump, so that an unchanged study saves byte-identical."""
    yaml = YAML()
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

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()

    def dump(self) -> str:
        out = io.StringIO()
        round_trip_yaml().dump(self.tree, out)
        return out.getvalue()


def _fail(path: Path, message: str, hint: str | None = None, line: int = 1, col: int = 1) -> StudyError:
    return StudyError([Problem(str(path), line, col, "file", message, hint)])


def read_text(path: Path) -> str:
    """The study's text, refusing what is not a readable UTF-8 text file of sane size."""
    try:
        size = path.stat().st_size
        if path.is_dir():
            raise _fail(path, "is a folder, not a study file", "give the path of a .yaml file")
        if size > MAX_STUDY_BYTES:
            raise _fail(path, f"file is {size:,} bytes; the limit is {MAX_STUDY_BYTES:,}", "split the study")
        data = path.read_bytes()
    except FileNotFoundError:
        raise _fail(path, "no such file", "check the path, or run `scenmatrix new` to start a study") from None
    except PermissionError:
        raise _fail(path, "permission denied") from None
    except IsADirectoryError:
        raise _fail(path, "is a folder, not a study file") from None
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):  # a BOM of UTF-16 (or UTF-32 LE): text, not binary
        raise _fail(path, "UTF-16 text, not UTF-8", "save the file as UTF-8")
    if b"\x00" in data:
        line, col = _byte_position(data, data.index(b"\x00"))
        raise _fail(path, "binary file, not YAML text (NUL byte)", "a study is a UTF-8 .yaml text file", line, col)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line, col = _byte_position(data, exc.start)
        raise _fail(path, "not valid UTF-8 text", "save the file as UTF-8", line, col) from None
    return text.removeprefix("\ufeff")


def _byte_position(data: bytes, offset: int) -> tuple[int, int]:
    """1-based line and column (in bytes) of data[offset]."""
    return data.count(b"\n", 0, offset) + 1, offset - (data.rfind(b"\n", 0, offset) + 1) + 1


def _conflict_marker(path: Path, text: str) -> None:
    for number, line in enumerate(text.splitlines(), 1):
        if line.startswith(("<<<<<<< ", ">>>>>>> ")) or line.rstrip() == "=======":
            raise _fail(path, "unresolved git merge conflict marker", "resolve the merge conflict first", number)


def parse(path: Path, text: str) -> Document:
    """Parse YAML text into a round-trip tree; syntax errors become positioned problems."""
    if not text.strip() or all(ln.lstrip().startswith("#") or not ln.strip() for ln in text.splitlines()):
        raise _fail(path, "empty study file", "start one with `scenmatrix new PATH --title ...`")
    _conflict_marker(path, text)
    try:
        tree = round_trip_yaml().load(text)
    except ReaderError as exc:
        line = text.count("\n", 0, exc.position) + 1
        col = exc.position - (text.rfind("\n", 0, exc.position) + 1) + 1
        char = f"U+{exc.character:04X}" if isinstance(exc.character, int) else repr(exc.character)
        raise _fail(path, f"character {char} is not allowed in YAML", "remove it", line, col) from None
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
        raise _fail(path, message, hint, mark.line + 1, mark.column + 1) from None
    except YAMLError as exc:  # errors without a mark are rare; keep them one line
        raise _fail(path, f"YAML syntax: {str(exc).splitlines()[0]}") from None
    except RecursionError:
        raise _fail(path, "YAML nested too deeply") from None
    return Document(path, text, tree)


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


def write_atomic(path: Path | str, data: bytes) -> None:
    """Write through a temporary file in the same folder, fsync, then replace: readers never see half a file."""
    with atomic_writer(path) as handle:
        handle.write(data)


@contextlib.contextmanager
def atomic_writer(path: Path | str) -> Iterator[IO[bytes]]:
    """A binary file that becomes `path` only if the block completes: temp file, fsync, replace.

    For output too large to hold in memory first (a big brief); on any error the temp file is removed
    and an earlier file at `path` is untouched.
    """
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w+b") as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        if path.exists():
            os.chmod(tmp, path.stat().st_mode & 0o7777)
        else:
            os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    _fsync_dir(path.parent)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _fsync_dir(folder: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


@contextlib.contextmanager
def locked(path: Path | str) -> Iterator[None]:
    """Serialize edits of one study across processes with an advisory lock on a sidecar file."""
    path = Path(path)
    lock_path = path.with_name(f".{path.name}.lock")
    with open(lock_path, "a+b") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
