"""Studies as they were: the changes from a committed revision, or between two files, to a study now."""

from __future__ import annotations

import subprocess
from pathlib import Path

from scenmatrix.study.diff import Change, diff_trees
from scenmatrix.store.document import parse, read_document
from scenmatrix.errors import Problem, StudyError


def diff_files(old: Path | str, new: Path | str) -> list[Change]:
    return diff_trees(read_document(old).tree, read_document(new).tree)


def diff_since(rev: str, path: Path | str) -> list[Change]:
    """Changes from the study as committed at git revision REV to the file as it is now."""
    path = Path(path)
    current = read_document(path).tree
    folder = path.resolve().parent
    commit = _commit(rev, path, folder)
    done = _git(path, folder, "show", f"{commit}:./{path.name}")
    if done.returncode != 0:
        raise StudyError([Problem(str(path), 1, 1, "git", f"cannot read the study at revision {rev!r}: {_reason(done)}",
                                  "is the study committed at that revision?")])
    try:
        text = done.stdout.decode("utf-8")
    except UnicodeDecodeError:
        raise StudyError([Problem(f"{rev}:{path}", 1, 1, "file", "not valid UTF-8 text")]) from None
    old = parse(Path(f"{rev}:{path}"), text.removeprefix("\ufeff")).tree
    return diff_trees(old, current)


SUBJECT_CHARS = 80  # of a commit's subject in a title


def describe_revision(rev: str, path: Path | str) -> str:
    """REV as a reader knows it: its commit's date and subject, '2026-11-30 “Add Wagner study”' (not 'HEAD')."""
    path = Path(path)
    folder = path.resolve().parent
    commit = _commit(rev, path, folder)
    done = _git(path, folder, "log", "-1", "--date=short", "--format=%cd%x1f%s", commit)
    if done.returncode != 0:
        raise StudyError([Problem(str(path), 1, 1, "git", f"cannot read revision {rev!r}: {_reason(done)}")])
    date, _, subject = done.stdout.decode("utf-8", "replace").strip().partition("\x1f")
    if len(subject) > SUBJECT_CHARS:
        subject = subject[:SUBJECT_CHARS - 1].rstrip() + "…"
    return f"{date} “{subject}”" if subject else date


def _commit(rev: str, path: Path, folder: Path) -> str:
    """REV as a commit id, checked by git as a revision and nothing else: a REV that looks like an option
    (`--output=FILE`) must never reach git as one."""
    done = _git(path, folder, "rev-parse", "--verify", "--quiet", "--end-of-options", f"{rev}^{{commit}}")
    if done.returncode != 0:
        raise StudyError([Problem(str(path), 1, 1, "git", f"cannot read the study at revision {rev!r}: "
                                  "not a commit, branch or tag of the git repository holding it",
                                  "see `git log --oneline` for the revisions")])
    return done.stdout.decode("ascii").strip()


def _git(path: Path, folder: Path, *args: str) -> subprocess.CompletedProcess:
    try:
        return subprocess.run(["git", *args], cwd=folder, capture_output=True, check=False)
    except FileNotFoundError:
        raise StudyError([Problem(str(path), 1, 1, "git", "git is not installed")]) from None


def _reason(done: subprocess.CompletedProcess) -> str:
    return (done.stderr.decode("utf-8", "replace").strip().splitlines() or ["git failed"])[-1]
