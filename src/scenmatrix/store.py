"""The only module that touches study files on disk: read, parse with positions, lock, write atomically."""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import functools
import hashlib
import io
import os
import pickle
import re
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Iterator

import ruamel.yaml
from ruamel.yaml import YAML
from ruamel.yaml.composer import Composer, ComposerError
from ruamel.yaml.constructor import ConstructorError, DuplicateKeyError, RoundTripConstructor
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.events import AliasEvent, NodeEvent
from ruamel.yaml.nodes import ScalarNode
from ruamel.yaml.reader import ReaderError

from .bulk import gc_paused
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
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()

    def forget_text(self) -> None:
        """Keep the text's hash and let the text go: a brief needs only the hash, and a large study's
        text is tens of megabytes."""
        _ = self.sha256
        self.text = ""

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
    except _AnchorFound:
        raise StudyError(anchor_problems(path, text)) from None
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


def write_study(path: Path | str, text: str) -> None:
    """Write a study atomically, refusing text over MAX_STUDY_BYTES (which no command would read back)."""
    data = text.encode("utf-8")
    if len(data) > MAX_STUDY_BYTES:
        raise _fail(Path(path), f"the study would be {len(data):,} bytes; the limit is {MAX_STUDY_BYTES:,}",
                    "shorten the text, or split the study")
    write_atomic(path, data)


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
    remove_stale_temps(path)
    fd, tmp = _locked_temp(path)
    try:
        with os.fdopen(fd, "w+b") as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
            mode = path.stat().st_mode & 0o7777 if path.exists() else 0o666 & ~_umask()
            os.fchmod(handle.fileno(), mode)
            os.replace(tmp, path)  # while the temp's lock is held: no one takes it for stale
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    _fsync_dir(path.parent)


# A writer holds an exclusive flock on its temp file `.NAME.XXXXXXXX.tmp` from creation to replace. The
# kernel drops the lock when the process dies, however it dies (SIGKILL, power aside), so a temp file whose
# lock can be taken belongs to no live writer: the next write to the same path removes it.
_TEMP_CHARS = "[a-z0-9_]{8}"  # tempfile.mkstemp's random part


def _temp_pattern(path: Path) -> "re.Pattern[str]":
    return re.compile(re.escape(f".{path.name}.") + _TEMP_CHARS + re.escape(".tmp"))


def _locked_temp(path: Path) -> tuple[int, str]:
    """A new temp file beside `path`, locked. (A cleaner that opened it in the instant before the lock
    was taken removes it: then the name no longer leads to our file, and we take another.)"""
    for _ in range(10):
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            if os.stat(tmp).st_ino == os.fstat(fd).st_ino:
                return fd, tmp
        except BlockingIOError:  # a cleaner holds it for an instant and will remove it
            pass
        except FileNotFoundError:  # a cleaner removed it already
            pass
        except OSError:  # no flock on this file system: write without the stale-temp protocol
            return fd, tmp
        os.close(fd)
    raise OSError(f"cannot create a temporary file beside {path}")


def remove_stale_temps(path: Path | str) -> list[Path]:
    """Remove temp files of `path` left by writers that died before replacing it; return them."""
    path = Path(path)
    pattern = _temp_pattern(path)
    removed = []
    with contextlib.suppress(OSError):
        entries = [entry.name for entry in os.scandir(path.parent) if pattern.fullmatch(entry.name)]
        for name in entries:
            stale = path.parent / name
            try:
                fd = os.open(stale, os.O_RDONLY | os.O_NOFOLLOW)
            except OSError:
                continue
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # taken: its writer is gone
                if os.stat(stale, follow_symlinks=False).st_ino == os.fstat(fd).st_ino:
                    os.unlink(stale)
                    removed.append(stale)
            except OSError:  # locked by a live writer, already gone, or no flock here: leave it
                pass
            finally:
                os.close(fd)
    return removed


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


# The parse cache: ruamel's round-trip parse (pure Python) is the slowest part of an edit, so each
# edit leaves the parse of the text it wrote for the next command. One file a study (named by a hash
# of its absolute path) in a folder only the user can read ($XDG_CACHE_HOME/scenmatrix, else
# ~/.cache/scenmatrix), holding the SHA-256 of the text it is the parse of and a stamp of the code
# that made it: a parse is used only for that very text, by that very code. It holds the study's
# content, as the study does; SCENMATRIX_CACHE names another folder, or turns the cache off with "off".
CACHE_MAX_CHARS = 2 * 1024 * 1024  # larger studies are rare; their cache files would be large
CACHE_FILES = 32  # studies whose parse is kept; the least recently written go first
_CACHE_FORMAT = 1


def cached_parse(path: Path, text: str) -> Any:
    """What `cache_parse` kept for this text of this study, or None."""
    slot = _cache_slot(path)
    if slot is None or len(text) > CACHE_MAX_CHARS:
        return None
    try:
        with open(slot, "rb") as handle:
            if os.fstat(handle.fileno()).st_uid != os.getuid():
                return None
            data = handle.read()
    except OSError:
        return None
    header, _, body = data.partition(b"\n")
    if _code_stamp() is None or header != _cache_header(text):
        return None
    try:
        with gc_paused():  # some ten thousand objects without a cycle
            return pickle.loads(body)
    except Exception:  # a file cut short by a crash: parse again
        return None


def cache_parse(path: Path, text: str, parse: Any) -> None:
    """Keep the parse of this text of this study for the next command; never fails."""
    slot = _cache_slot(path, create=True)
    if slot is None or len(text) > CACHE_MAX_CHARS or _code_stamp() is None:
        return
    try:
        data = _cache_header(text) + b"\n" + pickle.dumps(parse, protocol=pickle.HIGHEST_PROTOCOL)
        fd, tmp = tempfile.mkstemp(prefix=".", suffix=".tmp", dir=slot.parent)
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
            os.replace(tmp, slot)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise
        _prune_cache(slot.parent)
    except (OSError, pickle.PicklingError, RecursionError):
        pass


def _cache_folder() -> Path | None:
    chosen = os.environ.get("SCENMATRIX_CACHE")
    if chosen == "off":
        return None
    if chosen:
        return Path(chosen)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "scenmatrix"


def _cache_slot(path: Path, create: bool = False) -> Path | None:
    """The cache file of a study, in a folder that only this user can write (pickles run code)."""
    folder = _cache_folder()
    if folder is None:
        return None
    try:
        if create:
            folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        info = folder.stat()
        if info.st_uid != os.getuid() or info.st_mode & 0o022:
            return None
        key = hashlib.sha256(os.fsencode(os.path.abspath(path))).hexdigest()[:32]
    except (OSError, ValueError):
        return None
    return folder / f"{key}.parse"


def _cache_header(text: str) -> bytes:
    """What a cached parse must match: the text's SHA-256 and the code that parsed it."""
    return f"{hashlib.sha256(text.encode('utf-8')).hexdigest()} {_code_stamp()}".encode()


def _code_stamp() -> str | None:
    """The versions of the code that makes a cached parse (with the modified times of the modules
    that make it, for a developer's edits); None where they cannot be read."""
    try:
        here = os.path.dirname(__file__)
        code = [os.stat(os.path.join(here, name)) for name in ("store.py", "edit.py", "skeleton.py")]
    except OSError:
        return None
    stamp = (_CACHE_FORMAT, sys.version, ruamel.yaml.__version__, [(c.st_mtime_ns, c.st_size) for c in code])
    return hashlib.sha256(repr(stamp).encode()).hexdigest()


def _prune_cache(folder: Path) -> None:
    """Keep the CACHE_FILES most recently written parses (and no temp file a crash left behind)."""
    entries = sorted(os.scandir(folder), key=lambda e: e.stat().st_mtime_ns, reverse=True)
    parses = [e for e in entries if e.name.endswith(".parse")]
    stale = [e for e in entries if e.name.endswith(".tmp") and e.stat().st_mtime < time.time() - 3600]
    for entry in parses[CACHE_FILES:] + stale:
        with contextlib.suppress(OSError):
            os.unlink(entry.path)


def plain(value: Any) -> Any:
    """JSON-ready values from a round-trip tree: text, whole numbers, ISO dates, lists and mappings."""
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return str(value)
