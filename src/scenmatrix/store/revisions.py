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
    try:
        done = subprocess.run(["git", "show", f"{rev}:./{path.name}"], cwd=folder, capture_output=True, check=False)
    except FileNotFoundError:
        raise StudyError([Problem(str(path), 1, 1, "git", "git is not installed")]) from None
    if done.returncode != 0:
        reason = (done.stderr.decode("utf-8", "replace").strip().splitlines() or ["git show failed"])[-1]
        raise StudyError([Problem(str(path), 1, 1, "git", f"cannot read the study at revision {rev!r}: {reason}",
                                  "is the study committed, and is REV a commit, branch or tag?")])
    try:
        text = done.stdout.decode("utf-8")
    except UnicodeDecodeError:
        raise StudyError([Problem(f"{rev}:{path}", 1, 1, "file", "not valid UTF-8 text")]) from None
    old = parse(Path(f"{rev}:{path}"), text.removeprefix("\ufeff")).tree
    return diff_trees(old, current)
