"""What the git merge driver reads and sets up: the three versions git hands it, the names of the two
branches, and the repository's `.gitattributes` and `merge.scenmatrix` configuration."""

from __future__ import annotations

import os
import subprocess
from dataclasses import replace
from pathlib import Path
from typing import Any, Optional

from scenmatrix.errors import Problem, StudyError
from scenmatrix.store import cache, files
from scenmatrix.store.document import read_document

ATTRIBUTES_LINE = "scenarios/*.yaml merge=scenmatrix"
DRIVER_NAME = "scenmatrix: merge studies entry by entry and field by field"
DRIVER_ARGS = "merge-driver %O %A %B %P"


def read_side(path: Path | str, shown: str, side: str) -> Any:
    """The tree of one version of the study (side: ancestor, ours, theirs); its problems name the study
    by its path in the repository (`shown`, git's %P), not git's temporary file."""
    try:
        tree = read_document(path).tree
    except StudyError as exc:
        raise StudyError(relabeled(exc.problems, shown, f" (in the {side} version)")) from None
    if not isinstance(tree, dict):
        raise StudyError([Problem(shown, 1, 1, "merge", f"the {side} version is not a study",
                                  "a study is a mapping with `study:`, `actors:`, `scenarios:` ...")])
    return tree


def relabeled(problems: list[Problem], shown: str, note: str = "") -> list[Problem]:
    return [replace(p, path=shown, message=p.message + note) for p in problems]


def branch_names(folder: Optional[Path] = None) -> tuple[Optional[str], Optional[str]]:
    """(ours, theirs): the branch checked out, and the one being merged as `git merge` names it to merge
    drivers (GITHEAD_<commit>); None where unknown (a detached head, a rebase)."""
    ours = None
    try:
        done = subprocess.run(["git", "symbolic-ref", "--short", "-q", "HEAD"], cwd=folder, capture_output=True,
                              text=True, check=False, timeout=30)
        ours = done.stdout.strip() or None if done.returncode == 0 else None
    except (OSError, subprocess.SubprocessError):
        pass
    theirs = next((value for key, value in sorted(os.environ.items()) if key.startswith("GITHEAD_") and value), None)
    return ours, theirs


def forget_temporary(path: Path | str) -> None:
    """Remove what an edit of git's temporary file left for later edits of it, which none will make: the lock
    sidecar beside it (nobody else edits that file) and its parse in the parse cache (which keeps a few)."""
    files.remove_lock(Path(path))
    cache.forget(Path(path))


def install(folder: Path, command: str) -> list[str]:
    """Make git merge studies with `command merge-driver` in the repository holding folder: append the
    attribute line to its top-level .gitattributes if it is not there, and set merge.scenmatrix.driver and
    .name in its local configuration. Return what was done, one line each."""
    top = _git(folder, "rev-parse", "--show-toplevel").strip()
    attributes = Path(top) / ".gitattributes"
    text = files.read_text(attributes) if attributes.exists() else ""
    done = []
    if ATTRIBUTES_LINE not in (line.strip() for line in text.splitlines()):
        files.write_atomic(attributes, (text + ("\n" if text and not text.endswith("\n") else "")
                                        + ATTRIBUTES_LINE + "\n").encode("utf-8"))
        done.append(f"{attributes}: added `{ATTRIBUTES_LINE}`")
    driver = f"{command} {DRIVER_ARGS}"
    _git(folder, "config", "merge.scenmatrix.name", DRIVER_NAME)
    _git(folder, "config", "merge.scenmatrix.driver", driver)
    done.append(f"git config merge.scenmatrix.driver \"{driver}\"")
    return done


def _git(folder: Path, *args: str) -> str:
    try:
        done = subprocess.run(["git", *args], cwd=folder, capture_output=True, text=True, check=False, timeout=60)
    except FileNotFoundError:
        raise StudyError([Problem(str(folder), 1, 1, "git", "git is not installed")]) from None
    if done.returncode != 0:
        reason = (done.stderr.strip().splitlines() or ["git failed"])[-1]
        raise StudyError([Problem(str(folder), 1, 1, "git", f"git {args[0]}: {reason}",
                                  "run it inside the git repository that holds the studies")])
    return done.stdout
