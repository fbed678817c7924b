"""What `validate` reports on studies: problems, warnings, and a one-line summary of each valid study.

A small study that is plainly valid is told so without pydantic and ruamel, whose imports (and pydantic's
schema building) take longer than all the rest of such a `validate`: the fast path reads it as plain data
(fastpath.py), quickcheck.py applies the model's rules, and the study is plainly without warnings (no
cross-impact model, no local source copy, no built-in domain declared again, exclusive scenarios whose
likelihoods can sum to 100 %). Both are shortcuts to "valid" only: any other study is loaded
(`loader.load`), which finds and places every problem and warning. tests/unit/store/test_report.py
compares the two on the suite's corpus of malformed studies.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Optional

from scenmatrix.errors import Problem, StudyError, counted
from scenmatrix.study import vocab

# Up to this size a study is first tried the plain way. A bigger study's imports are a small part of its
# validate; its plain check would be slower than pydantic's, and repeated where the study is not valid.
PLAIN_UP_TO = 256 * 1024


@dataclass
class Report:
    """What checking several studies found: problems (fail), warnings (do not), and a line per valid study."""

    problems: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    summaries: list[str] = field(default_factory=list)


def check_studies(paths: Iterable[Path | str]) -> Report:
    """Problems and warnings of every study, and a one-line summary of each valid one."""
    report = Report()
    for path in paths:
        plain = plainly_valid(path)
        if plain is not None:
            report.summaries.append(plain)
            continue
        from scenmatrix.store.loader import load

        try:
            loaded = load(path)
        except StudyError as exc:
            report.problems += exc.problems
            continue
        report.warnings += loaded.warnings
        s = loaded.study
        model = None
        if s.cib is not None:
            model = (len(s.cib.descriptors), sum(len(d.variants) for d in s.cib.descriptors.values()))
        report.summaries.append(_summary(path, len(s.scenarios), len(s.actors),
                                         sum(len(x.impacts) for x in s.scenarios.values()), model))
    return report


def check_report(paths: Iterable[Path | str]) -> tuple[list[Problem], list[str]]:
    """Problems of every study, and a one-line summary of each valid one (warnings: see `check_studies`)."""
    report = check_studies(paths)
    return report.problems, report.summaries


def plainly_valid(path: Path | str) -> Optional[str]:
    """The summary line of a small study that is valid and has no warning, where that is sure from its plain
    data; else None (then `loader.load` decides, reading it again: a file that cannot be read included)."""
    from scenmatrix.store import fastpath, quickcheck
    from scenmatrix.store.files import read_text

    try:
        text = read_text(Path(path))
    except StudyError:
        return None
    tree = fastpath.fast_tree(text) if len(text) <= PLAIN_UP_TO else None
    if tree is None or not quickcheck.valid(tree) or _may_warn(tree):
        return None
    if tree["study"]["marking"] not in vocab.CACHED_MARKINGS:  # cache.cacheable's rule, not to import the cache
        from scenmatrix.store import cache

        cache.keep_private(Path(path), tree["study"]["marking"])  # as load() does for a valid study
    scenarios = tree.get("scenarios", {})
    return _summary(path, len(scenarios), len(tree.get("actors", {})),
                    sum(len(s.get("impacts", {})) for s in scenarios.values()), None)


def _may_warn(tree: dict) -> bool:
    """Whether checks.study_warnings could find anything in this valid study (plain data)."""
    study = tree["study"]
    if tree.get("cib") is not None:  # judgment groups that do not sum to zero: analysis.cib's to tell
        return True
    if any(source.get("path") is not None for source in study.get("sources", {}).values()):
        return True  # quotes to look for in local copies
    if set(study.get("domains", ())) & set(vocab.DOMAINS):
        return True
    if study.get("scenario_set", "overlapping") == "exclusive":
        scale = vocab.SCALES[study.get("likelihood_scale", "icd203")]
        return not vocab.can_sum_to_one([scale[s["likelihood"]] for s in tree.get("scenarios", {}).values()])
    return False


def _summary(path: Any, scenarios: int, actors: int, impacts: int, model: Optional[tuple[int, int]]) -> str:
    cib = (f", a cross-impact model of {counted(model[0], 'descriptor')} and {counted(model[1], 'variant')}"
           if model else "")
    return (f"{path}: valid ({counted(scenarios, 'scenario')}, {counted(actors, 'actor')}, "
            f"{counted(impacts, 'impact')}{cib})")
