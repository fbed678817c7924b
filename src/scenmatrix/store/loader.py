"""Load a study: read, take the fast path when it can only say 'valid', else parse and check every problem."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional

from pydantic import ValidationError

from scenmatrix.store import cache, fastpath as fastload
from scenmatrix.bulk import gc_paused
from scenmatrix.study.model import Scenario, Study
from scenmatrix.errors import Problem, StudyError
from scenmatrix.store.document import Document, parse
from scenmatrix.store.files import read_text

from scenmatrix.store.checks import (characters_to_check, check_characters, check_references, study_warnings,
                                     validate_document)
from scenmatrix.store import piecewise
from scenmatrix.store.messages import Locator




@dataclass
class LoadedStudy:
    """A valid study with the document it came from (for positions, provenance and edits). A big study
    loaded the fast way has no tree (`document.tree` is None)."""

    document: Document
    study: Study
    warnings: list[Problem] = field(default_factory=list)  # worth a look, but the study is valid

    @property
    def path(self) -> Path:
        return self.document.path


def load(path: Path | str) -> LoadedStudy:
    """Read and validate a study; raise StudyError holding every problem if it is not valid."""
    path = Path(path)
    text = read_text(path)
    fast = _load_fast(path, text)
    if isinstance(fast, LoadedStudy):
        cache.keep_private(path, fast.study.study.marking)
        return fast
    placed = _placed(path, text, fast) if fast is not None and len(text) >= piecewise.PIECEWISE_FROM else None
    if placed:
        cache.forget(path)  # nothing valid to keep, and its marking is not known for certain
        raise StudyError(placed)
    try:
        document = parse(path, text)
    except StudyError:
        cache.forget(path)  # its marking cannot be read: keep no copy of it
        raise
    cache.keep_private(path, cache.marking_of(document.tree))
    study, problems = validate_document(document)
    if problems:
        raise StudyError(problems)
    assert study is not None
    return LoadedStudy(document, study, study_warnings(document, study))


@dataclass
class _Invalid:
    """What the fast load leaves for placing the problems it met: the plain data (`tree`), and where the
    schema check failed, pydantic's errors on that data (`errors`; then the tree's valid scenarios are
    models already, and references and characters are known to be in order). Placing them needs no second
    parse of the text, which for a big study costs as much as all the rest. No tree: the data nests too
    deeply to be validated, and is read again for its problem."""

    tree: Optional[dict]
    errors: Optional[list] = None


def _placed(path: Path, text: str, fast: _Invalid) -> Optional[list[Problem]]:
    """The problems of a big invalid study placed piece by piece, or None (then the full parse places them)."""
    if fast.tree is None:
        return piecewise.problems(path, text)
    if fast.errors is None:
        return piecewise.problems(path, text, fast.tree)
    return piecewise.schema_problems(path, text, fast.tree, fast.errors)


def _load_fast(path: Path, text: str) -> LoadedStudy | _Invalid | None:
    """A study through fastload's shortcut if it is valid and has no warning; else what is left for placing
    its problems (`_Invalid`), or None where the fast path cannot read it or the study is valid with a
    warning (nothing to place on plain data): the slow path then finds every problem or warning again,
    with its position.

    The study keeps no tree (its document's `tree` is None): no command needs it once the study is valid,
    and for a big study its mappings and lists would be half as big again as the models.
    """
    with gc_paused():
        tree = fastload.fast_tree(text)
        if tree is None:
            return None
        locate = Locator(Document(path, text, None))  # plain data knows no positions
        if next(check_references(tree, locate), None) is not None:
            return _Invalid(tree)
        if characters_to_check(Document(path, text, tree)) and \
                next(check_characters(tree, (), locate), None) is not None:
            return _Invalid(tree)
        study = _validated(tree)
        if not isinstance(study, Study):
            return _Invalid(None if study is None else tree, study)
        del tree
        if study_warnings(locate.document, study):
            return None
    return LoadedStudy(locate.document, study)


def _validated(tree: dict) -> Study | list | None:
    """The study from plain data if it is valid, else pydantic's errors on it (a list), or None where the
    data nests too deeply. Scenarios (nearly all of a big study) are validated one by one, each replaced in
    the tree by its model as it is done, so that data and models never both exist whole. Once one fails,
    the rest is validated as the whole study: the models in place are taken as they are (a valid
    scenario adds no error), so the errors are those of the plain data, and the rest stays plain data."""
    shared: dict[tuple[type, frozenset[str]], "_SharedNames"] = {}
    try:
        scenarios = tree.get("scenarios")
        if isinstance(scenarios, dict):
            for sid in list(scenarios):
                try:
                    scenarios[sid] = _share_fields_sets(Scenario.model_validate(scenarios[sid]), shared)
                except ValidationError:
                    break
        return Study.model_validate(tree)
    except ValidationError as exc:
        return exc.errors()
    except RecursionError:
        return None


def _share_fields_sets(scenario: Scenario, shared: dict[tuple[type, frozenset[str]], "_SharedNames"]) -> Scenario:
    """The scenario, its impacts and indicators sharing one set of field names per kind and names given.

    pydantic gives every model its own `model_fields_set`: 728 bytes for an impact's five names, two
    thirds of the impact, 70 MB for a study of 100,000. The sets are equal, and only read (by dumps with
    exclude_unset, which no command makes). A shared set refuses changes: code that assigned a field or
    copied a model with changes fails loudly rather than changing every sibling's set.
    """
    for model in [scenario, *scenario.impacts.values(), *scenario.indicators.values()]:
        given = model.__pydantic_fields_set__
        key = (type(model), frozenset(given))
        object.__setattr__(model, "__pydantic_fields_set__", shared.setdefault(key, _SharedNames(given)))
    return scenario


class _SharedNames(set):
    """A model's field names, shared by its siblings (pydantic wants a set, so not a frozenset)."""

    def _refuse(self, *args: Any) -> None:
        raise TypeError("the models of a fast-loaded study share their field-name sets: build a new model "
                        "instead of changing one")

    add = update = discard = remove = pop = clear = _refuse
    difference_update = intersection_update = symmetric_difference_update = _refuse
    __ior__ = __iand__ = __isub__ = __ixor__ = _refuse
