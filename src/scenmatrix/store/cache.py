"""The parse cache: an edit leaves the parse of the text it wrote for the next command."""

from __future__ import annotations

import contextlib
import hashlib
import os
import pickle
import sys
import tempfile
import time
from pathlib import Path
from types import ModuleType
from typing import Any, Sequence

import ruamel.yaml

from scenmatrix.bulk import gc_paused



# The parse cache: ruamel's round-trip parse (pure Python) is the slowest part of an edit, so each
# edit leaves the parse of the text it wrote for the next command. One file a study (named by a hash
# of its absolute path) in a folder only the user can read ($XDG_CACHE_HOME/scenmatrix, else
# ~/.cache/scenmatrix), holding the SHA-256 of the text it is the parse of and a stamp of the code
# that made it: a parse is used only for that very text, by that very code. It holds the study's
# content, as the study does; SCENMATRIX_CACHE names another folder, or turns the cache off with "off".
CACHE_MAX_CHARS = 2 * 1024 * 1024  # larger studies are rare; their cache files would be large
CACHE_FILES = 32  # studies whose parse is kept; the least recently written go first
_CACHE_FORMAT = 1


def cached_parse(path: Path, text: str, made_by: Sequence[ModuleType]) -> Any:
    """What `cache_parse` kept for this text of this study, made by these modules, or None."""
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
    if header != _cache_header(text, made_by):
        return None
    try:
        with gc_paused():  # some ten thousand objects without a cycle
            return pickle.loads(body)
    except Exception:  # a file cut short by a crash: parse again
        return None


def cache_parse(path: Path, text: str, parse: Any, made_by: Sequence[ModuleType]) -> None:
    """Keep the parse of this text of this study, made by these modules, for the next command; never fails."""
    slot = _cache_slot(path, create=True)
    header = _cache_header(text, made_by)
    if slot is None or len(text) > CACHE_MAX_CHARS or header is None:
        return
    try:
        data = header + b"\n" + pickle.dumps(parse, protocol=pickle.HIGHEST_PROTOCOL)
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


def _cache_header(text: str, made_by: Sequence[ModuleType]) -> bytes | None:
    """What a cached parse must match: the text's SHA-256 and the code that parsed it (None: unknown code)."""
    stamp = _code_stamp(made_by)
    return None if stamp is None else f"{hashlib.sha256(text.encode('utf-8')).hexdigest()} {stamp}".encode()


def _code_stamp(made_by: Sequence[ModuleType]) -> str | None:
    """The versions of the code that makes a cached parse: the modules themselves (their names, sizes and
    modified times, for a developer's edits), this Python and ruamel; None where a module's file cannot be
    read. Named by the modules, not their file names, so that moving a module cannot leave a stale parse."""
    try:
        code = [(module.__name__, os.stat(module.__file__ or "")) for module in made_by]
    except (OSError, TypeError):
        return None
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


