"""Study files on disk: safe reads, atomic writes, advisory locks. The only module that opens a study for writing."""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import re
import stat
import tempfile
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import IO, BinaryIO, Callable, Iterator, Mapping, Optional

from scenmatrix.errors import Problem, StudyError, UsageError, os_error_parts

MAX_STUDY_BYTES = 100 * 1024 * 1024
STUDY_SUFFIXES = (".yaml", ".yml")


def file_error(path: Path, message: str, hint: str | None = None, line: int = 1, col: int = 1) -> StudyError:
    return StudyError([Problem(str(path), line, col, "file", message, hint)])


# What a path is when it is not a regular file: each of these would block a reader (a FIFO, a terminal),
# never end (/dev/zero) or be destroyed by a write that replaces it (/dev/null, as root).
_NOT_REGULAR = ((stat.S_ISDIR, "a folder"), (stat.S_ISFIFO, "a FIFO (named pipe)"),
                (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
                (stat.S_ISSOCK, "a socket"))

Refuse = Callable[[str, Optional[str]], Exception]


def not_regular(mode: int) -> Optional[str]:
    """What a file of this mode is ("a FIFO (named pipe)", ...), or None for a regular file."""
    if stat.S_ISREG(mode):
        return None
    return next((name for test, name in _NOT_REGULAR if test(mode)), "not a regular file")


def open_regular(path: Path | str, limit: int, refuse: Refuse, what: str = "file",
                 missing_hint: str = "check the path") -> BinaryIO:
    """`path` opened for reading, once it is known to be a regular file of at most `limit` bytes.

    The check is made on the open file (fstat), not the name, so a FIFO put in its place in between is
    still refused; the open itself does not block (O_NONBLOCK), so a FIFO with no writer is refused at once.
    Every refusal is `refuse(message, hint)`, the caller's kind of error.
    """
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except FileNotFoundError:
        raise refuse("no such file", missing_hint) from None
    except OSError as exc:  # permission denied, a symbolic link loop, a name too long, a parent that is a file
        _, message, hint = os_error_parts(exc)
        raise refuse(message, hint) from None
    try:
        info = os.fstat(fd)
        kind = not_regular(info.st_mode)
        if kind == "a folder":
            raise refuse(f"is a folder, not a {what}", f"give the path of a {what}")
        if kind is not None:
            raise refuse(f"is {kind}, not a regular file", f"a {what} is read only from a regular file")
        if info.st_size > limit:
            raise refuse(f"the file is {info.st_size:,} bytes, over the limit of {limit:,} for a {what}", None)
        os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def read_regular(path: Path | str, limit: int, refuse: Refuse, what: str = "file",
                 missing_hint: str = "check the path") -> bytes:
    """The bytes of a regular file of at most `limit` bytes (see open_regular); a file that grows past
    the limit while it is read is refused too, never read on."""
    with open_regular(path, limit, refuse, what, missing_hint) as handle:
        try:
            data = handle.read(limit + 1)
        except OSError as exc:  # EIO from a failing disk, EISDIR never (fstat said regular)
            _, message, hint = os_error_parts(exc)
            raise refuse(message, hint) from None
    if len(data) > limit:
        raise refuse(f"file grew past the limit of {limit:,} bytes while it was read", None)
    return data


@dataclass(frozen=True)
class Layout:
    """What a study's bytes hold that its text does not: the line break it uses and a UTF-8 BOM. The
    text the tool works on always breaks lines with "\\n"; write_study puts the file's own back.

    `unwritable` is why an edit could not keep the layout (mixed line breaks: YAML reads them alike, but
    no write could keep them all), as the problem an edit refuses with; reading is not affected."""

    newline: str = "\n"
    bom: bool = False
    unwritable: Optional[Problem] = None


def read_text(path: Path) -> str:
    """The study's text, refusing what is not a readable UTF-8 text file of sane size; lines end in "\\n"."""
    return read_study(path)[0]


def read_study(path: Path) -> tuple[str, Layout]:
    """The study's text (as read_text) and its layout, for an edit to write back as it found it."""
    data = read_regular(path, MAX_STUDY_BYTES, lambda message, hint: file_error(path, message, hint),
                        "study file", "check the path, or run `scenmatrix new` to start a study")
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
    bom = text.startswith("\ufeff")
    text = text.removeprefix("\ufeff")
    if "\r" not in text:
        return text, Layout("\n", bom)
    return text.replace("\r\n", "\n").replace("\r", "\n"), _layout(path, text, bom)


_BREAKS = {"\r\n": "CRLF (Windows)", "\r": "CR (old Mac)", "\n": "LF (Unix)"}


def _layout(path: Path, text: str, bom: bool) -> Layout:
    crlf = text.count("\r\n")
    counts = {"\r\n": crlf, "\r": text.count("\r") - crlf, "\n": text.count("\n") - crlf}
    used = [newline for newline, count in counts.items() if count]
    if len(used) == 1:
        return Layout(used[0], bom)
    breaks = list(re.finditer("\r\n|\r|\n", text))
    first = breaks[0].group()
    line, other = next((number, found) for number, found in enumerate(breaks, start=1) if found.group() != first)
    col = other.start() - breaks[line - 2].end() + 1
    problem = Problem(str(path), line, col, "file", f"mixed line breaks: this line ends in {_BREAKS[other.group()]}, "
                      f"line 1 in {_BREAKS[first]}; an edit would not keep them",
                      "save the file with one kind of line break (most editors have the setting)")
    return Layout(first, bom, problem)


def _byte_position(data: bytes, offset: int) -> tuple[int, int]:
    """1-based line and column (in bytes) of data[offset]."""
    return data.count(b"\n", 0, offset) + 1, offset - (data.rfind(b"\n", 0, offset) + 1) + 1



def write_study(path: Path | str, text: str, layout: Layout = Layout()) -> None:
    """Write a study atomically in its layout (line breaks, BOM), refusing text over MAX_STUDY_BYTES
    (which no command would read back)."""
    if layout.unwritable is not None:
        raise StudyError([layout.unwritable])
    if layout.newline != "\n":
        text = text.replace("\n", layout.newline)
    data = ("\ufeff" + text if layout.bom else text).encode("utf-8")
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
    and an earlier file at `path` is untouched. Through a symbolic link the link's target is replaced
    and the link stays; the replaced file's owner, group and mode pass to the new one.
    """
    path = Path(path)
    target, before = _write_target(path)
    remove_stale_temps(target)
    with naming(path, target.parent):
        fd, tmp = _locked_temp(target)
    try:
        with naming(path, target.parent), os.fdopen(fd, "w+b") as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
            _take_over(handle.fileno(), before)
            os.replace(tmp, target)  # while the temp's lock is held: no one takes it for stale
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    _fsync_dir(target.parent)


def _write_target(path: Path) -> tuple[Path, Optional[os.stat_result]]:
    """The file a write to `path` replaces (a symbolic link's target, so that the link stays one) and its
    status if it exists. Refuses what a replace would destroy or split: a device, FIFO or socket (as root,
    /dev/null would become a regular file), and a file with other hard links (they would keep the old text
    while this name got the new: two copies where the user had one file)."""
    target = _real(path)
    try:
        before = os.stat(target)
    except OSError:  # none yet; or a parent that is a file, a loop: the write itself names the problem
        return target, None
    kind = not_regular(before.st_mode)
    if kind is not None:
        raise file_error(path, f"is {kind}, not a regular file; it is not replaced",
                         "write to a path that is a regular file or does not exist yet")
    if before.st_nlink > 1:
        raise file_error(path, f"has {before.st_nlink - 1} other hard link(s); a write would split them",
                         "replacing it would leave the other names on the old text: remove the other links "
                         "(or copy the file) and edit one file")
    return target, before


def _real(path: Path) -> Path:
    """The file a path names: a symbolic link's target, else the path as given (kept relative, as the user
    wrote it, for messages)."""
    return Path(os.path.realpath(path)) if os.path.islink(path) else path


def _take_over(fd: int, before: Optional[os.stat_result]) -> None:
    """Give the new file the replaced one's owner, group and mode (a new file: the umask's mode). Owner and
    group are kept where the system lets us (root; a group we belong to); the mode last, as chown clears
    set-id bits."""
    if before is None:
        os.fchmod(fd, 0o666 & ~_umask())
        return
    mine = os.fstat(fd)
    if (mine.st_uid, mine.st_gid) != (before.st_uid, before.st_gid):
        for uid, gid in ((before.st_uid, before.st_gid), (-1, before.st_gid)):
            try:
                os.fchown(fd, uid, gid)
                break
            except PermissionError:
                continue
    os.fchmod(fd, before.st_mode & 0o7777)


def check_output(path: Path | str, suffixes: tuple[str, ...], param: str,
                 inputs: Mapping[str, Optional[Path]] = MappingProxyType({}), what: str = "file") -> None:
    """Refuse, before anything is built, an output path that names the wrong thing: a name whose suffix
    says another format, or one of the command's own inputs (the study, its template, its base workbook:
    `inputs` maps what each is to its path) — usage errors naming `param`, the option (or argument) that
    carried the path — and what atomic_writer would refuse at the end (a device, a FIFO, hard links)."""
    path = Path(path)
    if path.suffix.lower() not in suffixes:
        raise UsageError(f"{str(path)!r} does not end in {' or '.join(suffixes)}: a {what} is written only under "
                         f"its own suffix", param)
    _, info = _write_target(path)
    if info is None:
        return
    for name, given in inputs.items():
        with contextlib.suppress(OSError):
            if given is not None and os.path.samestat(info, os.stat(given)):
                raise UsageError(f"{str(path)!r} is {name} this command reads; writing there would destroy it",
                                 param)


@contextlib.contextmanager
def naming(path: Path, folder: Optional[Path] = None) -> Iterator[None]:
    """OSErrors of the block name `path`: a write that fills the disk names no file, and one on a temp or
    lock file beside `path` (or in `folder`, where a link's target is) names a file the user never gave."""
    try:
        yield
    except OSError as exc:
        named = os.fsdecode(exc.filename) if exc.filename is not None else None
        if exc.errno is None or named == str(path):
            raise
        if named is not None and os.path.dirname(os.path.abspath(named)) != os.path.abspath(folder or path.parent):
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


def remove_lock(path: Path) -> None:
    """Remove the lock sidecar of `locked`, for a file no other process edits (git's temporary files)."""
    with contextlib.suppress(FileNotFoundError):
        _real(path).with_name(f".{_real(path).name}.lock").unlink()


@contextlib.contextmanager
def locked(path: Path | str) -> Iterator[None]:
    """Serialize edits of one study across processes with an advisory lock on a sidecar file beside the
    real file (through a symbolic link, every name of the study takes the same lock). A lock file that is
    a symbolic link, or not a regular file, is refused, never followed: it could point anywhere."""
    path = Path(path)
    real = _real(path)
    lock_path = real.with_name(f".{real.name}.lock")
    flags = os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC
    try:
        with naming(path, real.parent):
            fd = os.open(lock_path, flags, 0o666 & ~_umask())
    except OSError as exc:
        if exc.errno == errno.ELOOP and os.path.islink(lock_path):
            raise file_error(path, f"its lock file {str(lock_path)!r} is a symbolic link; it is not followed",
                             "remove that link (no scenmatrix command makes one)") from None
        raise
    with os.fdopen(fd, "r+b") as handle:
        kind = not_regular(os.fstat(fd).st_mode)
        if kind is not None:
            raise file_error(path, f"its lock file {str(lock_path)!r} is {kind}, not a regular file",
                             "remove it: the next edit makes a new one")
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
