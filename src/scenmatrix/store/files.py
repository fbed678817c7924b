"""Study files on disk: safe reads, atomic writes, advisory locks. The only module that opens a study for writing."""

from __future__ import annotations

import contextlib
import fcntl
import os
import re
import tempfile
from pathlib import Path
from typing import IO, Iterator


from scenmatrix.errors import Problem, StudyError, os_error_parts



MAX_STUDY_BYTES = 100 * 1024 * 1024


def file_error(path: Path, message: str, hint: str | None = None, line: int = 1, col: int = 1) -> StudyError:
    return StudyError([Problem(str(path), line, col, "file", message, hint)])


def read_text(path: Path) -> str:
    """The study's text, refusing what is not a readable UTF-8 text file of sane size."""
    try:
        size = path.stat().st_size
        if path.is_dir():
            raise file_error(path, "is a folder, not a study file", "give the path of a .yaml file")
        if size > MAX_STUDY_BYTES:
            raise file_error(path, f"file is {size:,} bytes; the limit is {MAX_STUDY_BYTES:,}", "split the study")
        data = path.read_bytes()
    except FileNotFoundError:
        raise file_error(path, "no such file", "check the path, or run `scenmatrix new` to start a study") from None
    except PermissionError:
        raise file_error(path, "permission denied") from None
    except IsADirectoryError:
        raise file_error(path, "is a folder, not a study file") from None
    except OSError as exc:  # a symbolic link loop, a name too long, a parent that is a file, ...
        _, message, hint = os_error_parts(exc)
        raise file_error(path, message, hint) from None
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):  # a BOM of UTF-16 (or UTF-32 LE): text, not binary
        raise file_error(path, "UTF-16 text, not UTF-8", "save the file as UTF-8")
    if b"\x00" in data:
        line, col = _byte_position(data, data.index(b"\x00"))
        raise file_error(path, "binary file, not YAML text (NUL byte)", "a study is a UTF-8 .yaml text file", line, col)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line, col = _byte_position(data, exc.start)
        raise file_error(path, "not valid UTF-8 text", "save the file as UTF-8", line, col) from None
    return text.removeprefix("\ufeff")




def _byte_position(data: bytes, offset: int) -> tuple[int, int]:
    """1-based line and column (in bytes) of data[offset]."""
    return data.count(b"\n", 0, offset) + 1, offset - (data.rfind(b"\n", 0, offset) + 1) + 1



def write_study(path: Path | str, text: str) -> None:
    """Write a study atomically, refusing text over MAX_STUDY_BYTES (which no command would read back)."""
    data = text.encode("utf-8")
    if len(data) > MAX_STUDY_BYTES:
        raise file_error(Path(path), f"the study would be {len(data):,} bytes; the limit is {MAX_STUDY_BYTES:,}",
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
    with naming(path):
        fd, tmp = _locked_temp(path)
    try:
        with naming(path), os.fdopen(fd, "w+b") as handle:
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


@contextlib.contextmanager
def naming(path: Path) -> Iterator[None]:
    """OSErrors of the block name `path`: a write that fills the disk names no file, and one on a temp or
    lock file beside `path` names a file the user never gave."""
    try:
        yield
    except OSError as exc:
        named = os.fsdecode(exc.filename) if exc.filename is not None else None
        if exc.errno is None or named == str(path):
            raise
        if named is not None and os.path.dirname(os.path.abspath(named)) != os.path.abspath(path.parent):
            raise  # about another path (a parent folder): that one is meant
        raise OSError(exc.errno, exc.strerror, str(path)) from exc


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
    with naming(path):
        handle = open(lock_path, "a+b")
    with handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


