"""The parse cache: an edit leaves the parse of the text it wrote for the next command."""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import pickle
import stat
import sys
import tempfile
import time
from pathlib import Path
from types import ModuleType
from typing import Any, Callable, Sequence

from scenmatrix.bulk import gc_paused
from scenmatrix.study.vocab import CACHED_MARKINGS

# The parse cache: ruamel's round-trip parse (pure Python) is the slowest part of an edit, so each
# edit leaves the parse of the text it wrote for the next command. One file a study (named by a hash
# of its real path, which says nothing of its content) in a folder only the user can read
# ($XDG_CACHE_HOME/scenmatrix, else ~/.cache/scenmatrix), holding the SHA-256 of the text it is the
# parse of and a stamp of the code that made it: a parse is used only for that very text, by that very
# code. It holds the study's content, as the study does; SCENMATRIX_CACHE names another folder, or
# turns the cache off with "off". Only studies of CACHED_MARKINGS are kept; any command that reads a
# study of another marking (or of none it can read) removes what the cache held of it: `forget`.
CACHE_MAX_CHARS = 2 * 1024 * 1024  # larger studies are rare; their cache files would be large
CACHE_MAX_BYTES = 32 * 1024 * 1024  # a parse of CACHE_MAX_CHARS pickles to some four times that: more is not ours
CACHE_FILES = 32  # studies whose parse is kept; the least recently written go first
_CACHE_FORMAT = 1

# Unpickling runs whatever callables a pickle names, so a slot is read only when it cannot be anyone
# else's: a regular file (O_NOFOLLOW: never a link's target) owned by us and writable by no one else, in
# a folder of ours no one else can write. Anyone who could still forge a slot can already run code as
# us (an HMAC keyed by a file in the same folder would add nothing). Beyond that, the unpickler finds
# only the classes a round-trip parse is made of, so a damaged or foreign slot builds data or nothing.
_PARSE_CLASSES = {
    "builtins": {"set", "frozenset", "bytearray", "complex"},
    "datetime": {"date", "datetime", "time", "timedelta", "timezone"},
}
_PARSE_MODULES = {"ruamel.yaml." + name for name in (  # any class defined in these (not one they import)
    "comments", "scalarstring", "scalarint", "scalarfloat", "scalarbool", "timestamp", "tokens", "error",
    "anchor", "tag", "nodes")}


def cacheable(marking: object) -> bool:
    """Whether a study of this marking may leave a copy of its content in the cache."""
    return marking in CACHED_MARKINGS


def marking_of(tree: Any) -> object:
    """The `study: marking:` of a parsed study, or None where it has none."""
    study = tree.get("study") if isinstance(tree, dict) else None
    return study.get("marking") if isinstance(study, dict) else None


def keep_private(path: Path, marking: object) -> None:
    """Forget the cached parses of a study whose marking keeps it out of the cache (see `forget`)."""
    if not cacheable(marking):
        forget(path)


def forget(path: Path) -> None:
    """Remove every cached parse of this study, and every unfinished write of one; never fails."""
    folder = _cache_folder()
    if folder is None:
        return
    keys = _slot_keys(path)
    for key in keys:
        _discard(folder / f"{key}.parse")
    with contextlib.suppress(OSError):
        for entry in os.scandir(folder):
            if entry.name.endswith(".tmp") and any(entry.name.startswith(f".{key}.") for key in keys):
                _discard(Path(entry.path))


def cached_parse(path: Path, text: str, made_by: Sequence[ModuleType], fits: Callable[[Any], bool]) -> Any:
    """What `cache_parse` kept for this text of this study, made by these modules, or None. `fits` says
    whether an unpickled parse has the shape the caller keeps; a slot that is not to be trusted (see
    above), too large, not a pickle or not of that shape is removed, and the caller parses again."""
    slot = _cache_slot(path)
    if slot is None or len(text) > CACHE_MAX_CHARS:
        return None
    data = _read_slot(slot)
    if data is None:
        return None
    header, _, body = data.partition(b"\n")
    if header != _cache_header(text, made_by):
        return None  # another text or code: the next edit replaces it
    parse = _unpickled(body)
    if parse is None or not _fitting(parse, fits):
        _discard(slot)
        return None
    return parse


def cache_parse(path: Path, text: str, parse: Any, made_by: Sequence[ModuleType]) -> None:
    """Keep the parse of this text of this study, made by these modules, for the next command; never fails
    (the cache only saves time: a full disk or a read-only folder only costs the next command a parse)."""
    slot = _cache_slot(path, create=True)
    header = _cache_header(text, made_by)
    if slot is None or len(text) > CACHE_MAX_CHARS or header is None:
        return
    try:
        data = header + b"\n" + pickle.dumps(parse, protocol=pickle.HIGHEST_PROTOCOL)
        if len(data) <= CACHE_MAX_BYTES:
            _write_slot(slot, data)
            _prune_cache(slot.parent)
    except Exception:
        pass


def _read_slot(slot: Path) -> bytes | None:
    """The bytes of a slot that passes the checks above, else None (and the slot removed)."""
    flags = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(slot, flags)  # O_NONBLOCK: a FIFO planted here must not hang the command
    except FileNotFoundError:
        return None
    except OSError:  # a link (ELOOP), or unreadable
        _discard(slot)
        return None
    try:
        data = _read_trusted(fd)
    except OSError:
        data = None
    finally:
        os.close(fd)
    if data is None or len(data) > CACHE_MAX_BYTES:
        _discard(slot)
        return None
    return data


def _read_trusted(fd: int) -> bytes | None:
    """What the open slot holds (the size limit and a byte more), or None where it is not to be trusted."""
    if not _trusted(os.fstat(fd)):
        return None
    with os.fdopen(fd, "rb", closefd=False) as handle:
        return handle.read(CACHE_MAX_BYTES + 1)


def _trusted(info: os.stat_result) -> bool:
    """A slot only this user can have written: a regular file of ours, writable by no one else."""
    return (stat.S_ISREG(info.st_mode) and info.st_uid == os.geteuid() and not info.st_mode & 0o022
            and info.st_size <= CACHE_MAX_BYTES)


def _unpickled(body: bytes) -> Any:
    """The parse pickled in body, or None where it is not one (cut short, garbage, foreign classes)."""
    try:
        with gc_paused():  # some ten thousand objects without a cycle
            return _ParseUnpickler(io.BytesIO(body)).load()
    except Exception:
        return None


class _ParseUnpickler(pickle.Unpickler):
    """Finds only the classes of a round-trip parse (see _PARSE_CLASSES): nothing a pickle could call to act."""

    def find_class(self, module: str, name: str) -> Any:
        if "." not in name and (name in _PARSE_CLASSES.get(module, ()) or module in _PARSE_MODULES):
            found = super().find_class(module, name)
            if isinstance(found, type) and (module in _PARSE_CLASSES or found.__module__ == module):
                return found
        raise pickle.UnpicklingError(f"{module}.{name} is not part of a parse")


def _fitting(parse: Any, fits: Callable[[Any], bool]) -> bool:
    try:
        return bool(fits(parse))
    except Exception:
        return False


def _write_slot(slot: Path, data: bytes) -> None:
    """Write a slot whole or not at all (mkstemp: mode 0o600); the temp file is named by the slot's key,
    so that `forget` finds it too if a crash leaves it behind."""
    fd, tmp = tempfile.mkstemp(prefix=f".{slot.stem}.", suffix=".tmp", dir=slot.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, slot)
    except BaseException:
        _discard(Path(tmp))
        raise


def _discard(slot: Path) -> None:
    """Remove a slot (a link itself, never its target); gone already, or not removable, is no matter."""
    with contextlib.suppress(OSError):
        os.unlink(slot)


def enabled() -> bool:
    """Whether there is a cache to keep parses in (SCENMATRIX_CACHE=off: none)."""
    return _cache_folder() is not None


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
    except OSError:
        return None
    keys = _slot_keys(path)
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.geteuid() or info.st_mode & 0o022 or not keys:
        return None
    return folder / f"{keys[0]}.parse"


def _slot_keys(path: Path) -> list[str]:
    """The names of a study's slot: by its real path (one slot however it is reached), then by the
    absolute path earlier versions used, for `forget` to find those too; [] where neither can be made."""
    keys = []
    for where in (os.path.realpath, os.path.abspath):
        with contextlib.suppress(OSError, ValueError):
            key = hashlib.sha256(os.fsencode(where(path))).hexdigest()[:32]
            keys += [key] if key not in keys else []
    return keys


def _cache_header(text: str, made_by: Sequence[ModuleType]) -> bytes | None:
    """What a cached parse must match: the text's SHA-256 and the code that parsed it (None: unknown code)."""
    stamp = _code_stamp(made_by)
    from scenmatrix.store.document import text_sha256  # imports ruamel, which only a parse needs

    return None if stamp is None else f"{text_sha256(text)} {stamp}".encode()


def _code_stamp(made_by: Sequence[ModuleType]) -> str | None:
    """The versions of the code that makes a cached parse: the modules themselves (their names, sizes and
    modified times, for a developer's edits), this Python and ruamel; None where a module's file cannot be
    read. Named by the modules, not their file names, so that moving a module cannot leave a stale parse."""
    try:
        code = [(module.__name__, os.stat(module.__file__ or "")) for module in made_by]
    except (OSError, TypeError):
        return None
    import ruamel.yaml  # here: a command that only forgets a parse (`validate`) never needs ruamel

    stamp = (_CACHE_FORMAT, sys.version, ruamel.yaml.__version__,
             [(name, c.st_mtime_ns, c.st_size) for name, c in code])
    return hashlib.sha256(repr(stamp).encode()).hexdigest()


def _prune_cache(folder: Path) -> None:
    """Keep the CACHE_FILES most recently written parses (and no temp file a crash left behind)."""
    entries = sorted(os.scandir(folder), key=lambda e: e.stat().st_mtime_ns, reverse=True)
    parses = [e for e in entries if e.name.endswith(".parse")]
    stale = [e for e in entries if e.name.endswith(".tmp") and e.stat().st_mtime < time.time() - 3600]
    for entry in parses[CACHE_FILES:] + stale:
        with contextlib.suppress(OSError):
            os.unlink(entry.path)


