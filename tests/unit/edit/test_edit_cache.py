"""The parse cache (parse_cache.cached_parse / cache_parse, edit.session.Session): an edit leaves the parse of the
text it wrote, and the next command starts from it instead of parsing the study again.

Every test runs with SCENMATRIX_CROSS_CHECK=1 (conftest.py): a session that starts from the cache
compares the cached node graph with a parse of the text, and an edit that builds the new graph from
its regions compares it with a parse of the new text. Here: the cache is used when it should be,
ignored when it must be, and an edit gives the same file and the same refusal with or without it.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Callable

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import VALID_STUDY
from edit_fixtures import AWKWARD
from scenmatrix.edit import api as edit
from scenmatrix.edit import patch
from scenmatrix.store import cache as parse_cache
from scenmatrix.store import document
from scenmatrix.errors import StudyError
from test_edit_regions import EDITS, IMPACT, LAYOUTS

REPO = Path(__file__).resolve().parents[3]


@pytest.fixture(autouse=True)
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "cache"
    monkeypatch.setenv("SCENMATRIX_CACHE", str(folder))
    return folder


def study(tmp_path: Path, text: str = VALID_STUDY, name: str = "study.yaml") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode("utf-8"))
    return path


def test_an_edit_leaves_the_parse_of_what_it_wrote_for_the_next(tmp_path, cache):
    path = study(tmp_path)
    assert edit.add(path, "actor", "IL", {"name": "Israel", "kind": "state"}).source == "parse"
    assert len(list(cache.glob("*.parse"))) == 1
    assert edit.add(path, "impact", "S2/IL", IMPACT).source == "cache"
    assert edit.set_fields(path, "impact", "S2/IL", {"effect": 2}).source == "cache"
    assert [row["id"] for row in edit.entries(path, "actor")] == ["RU", "IR", "US", "IL"]


def test_a_changed_file_is_parsed_again(tmp_path):
    path = study(tmp_path)
    edit.add(path, "actor", "IL", {"name": "Israel", "kind": "state"})
    path.write_text(path.read_text().replace("name: Israel", "name: State of Israel"))  # by hand
    assert edit.set_fields(path, "actor", "IL", {"kind": "other"}).source == "parse"
    assert edit.entries(path, "actor")[-1] == {"id": "IL", "name": "State of Israel", "kind": "other"}


def test_a_dry_run_and_a_refused_edit_leave_the_cache_as_it_was(tmp_path, cache):
    path = study(tmp_path)
    edit.add(path, "actor", "IL", {"name": "Israel", "kind": "state"}, dry_run=True)
    assert not cache.exists() or not list(cache.glob("*.parse"))
    edit.add(path, "actor", "IL", {"name": "Israel", "kind": "state"})
    kept = {slot: slot.read_bytes() for slot in cache.glob("*.parse")}
    with pytest.raises(StudyError):
        edit.add(path, "impact", "S2/IL", {**IMPACT, "domains": ["militry"]})
    assert {slot: slot.read_bytes() for slot in cache.glob("*.parse")} == kept
    assert edit.add(path, "impact", "S2/IL", IMPACT).source == "cache"


@pytest.mark.parametrize("spoil", ["garbage", "cut short", "other text", "other code", "shared folder", "off"])
def test_a_cache_that_cannot_be_trusted_is_not_used(tmp_path, cache, monkeypatch, spoil):
    path = study(tmp_path)
    edit.add(path, "actor", "IL", {"name": "Israel", "kind": "state"})
    slot = next(cache.glob("*.parse"))
    data = slot.read_bytes()
    if spoil == "garbage":
        slot.write_bytes(data[:data.index(b"\n") + 1] + b"\x80\x05garbage")
    elif spoil == "cut short":
        slot.write_bytes(data[:len(data) // 2])
    elif spoil == "other text":
        path.write_text(path.read_text() + "# a comment\n")
    elif spoil == "other code":  # the code that parsed it changed (an upgrade, or a developer's edit)
        monkeypatch.setattr(parse_cache, "_CACHE_FORMAT", parse_cache._CACHE_FORMAT + 1)
    elif spoil == "shared folder":  # others could write pickles here: never load them
        cache.chmod(0o777)
    else:
        monkeypatch.setenv("SCENMATRIX_CACHE", "off")
    assert edit.add(path, "impact", "S2/IL", IMPACT).source == "parse"
    assert document.read_document(path).tree["scenarios"]["S2"]["impacts"]["IL"]["effect"] == -1


def test_the_cache_keeps_a_bounded_number_of_studies(tmp_path, cache):
    for i in range(parse_cache.CACHE_FILES + 3):
        edit.add(study(tmp_path, name=f"s{i}.yaml"), "actor", "IL", {"name": "Israel", "kind": "state"})
    assert len(list(cache.glob("*.parse"))) == parse_cache.CACHE_FILES


def test_an_unwritable_cache_folder_does_not_stop_an_edit(tmp_path, monkeypatch):
    monkeypatch.setenv("SCENMATRIX_CACHE", str(tmp_path / "a-file"))
    (tmp_path / "a-file").write_text("not a folder")
    path = study(tmp_path)
    assert edit.add(path, "actor", "IL", {"name": "Israel", "kind": "state"}).diff
    assert edit.add(path, "impact", "S2/IL", IMPACT).diff


def test_a_dump_from_a_cached_parse_is_made_from_a_fresh_parse(tmp_path, monkeypatch):
    """Where the text patcher gives up, the tree is dumped, with its comments: those of a parse."""
    path = study(tmp_path, AWKWARD)
    edit.add(path, "actor", "UA", {"name": "Ukraine", "kind": "state"})
    monkeypatch.setattr(patch.Patcher, "replace_value", _give_up)
    result = edit.set_fields(path, "actor", "UA", {"name": "Ukraine (state)"})
    assert (result.render, result.source) == ("tree", "parse")
    assert all(line in path.read_text() for line in AWKWARD.splitlines() if line.lstrip().startswith("#"))


def _give_up(*args) -> None:
    raise patch.NoText


@pytest.mark.parametrize("layout", LAYOUTS)
def test_every_edit_in_turn_from_the_cache_in_awkward_layouts(tmp_path, layout):
    """Each edit starts from the parse the one before left (checked against a parse, see above), but
    for the first and those that dump the tree."""
    path = study(tmp_path, LAYOUTS[layout])
    sources = []
    for name, change in EDITS:
        try:
            result = change(path)
        except StudyError:
            continue
        if result.render == "text":
            sources.append((name, result.source))
    assert all(source == "cache" for _, source in sources[1:]), sources


def test_edits_of_the_default_study_start_from_the_cache(tmp_path):
    path = study(tmp_path, (REPO / "scenarios" / "russia-iran-2022.yaml").read_text(encoding="utf-8"))
    edit.add(path, "actor", "ZZ", {"name": "Zed", "kind": "other"})
    for scenario in ("S1", "S2", "S3", "S4"):
        result = edit.add(path, "impact", f"{scenario}/ZZ", IMPACT)
        assert (result.source, result.proof) == ("cache", "regions")
        result = edit.set_fields(path, "impact", f"{scenario}/ZZ", {"effect": 3, "rationale": "Line one.\nLine two."})
        assert (result.source, result.proof) == ("cache", "regions")


# -- the same edits with and without the cache give the same files and the same refusals ------------

TEXT = st.text(st.sampled_from("ab :#'\"-\né"), min_size=1, max_size=12).filter(lambda t: t.strip())
OPERATIONS: list[tuple[str, Callable]] = [
    ("add actor", lambda p, i, t: edit.add(p, "actor", f"A{i}", {"name": t, "kind": "other"})),
    ("add impact", lambda p, i, t: edit.add(p, "impact", f"S{1 + i % 2}/A{i}", {**IMPACT, "rationale": t})),
    ("set impact", lambda p, i, t: edit.set_fields(p, "impact", f"S{1 + i % 2}/A{i}", {"rationale": t, "effect": 1})),
    ("set scenario", lambda p, i, t: edit.set_fields(p, "scenario", f"S{1 + i % 2}", {"narrative": t})),
    ("add indicator", lambda p, i, t: edit.add(p, "indicator", f"I{i + 5}", {"text": t, "status": "emerging"},
                                               scenario=f"S{1 + i % 2}")),
    ("remove impact", lambda p, i, t: edit.remove(p, "impact", f"S{1 + i % 2}/A{i}")),
    ("rename actor", lambda p, i, t: edit.rename(p, "actor", f"A{i}", f"B{i}")),
    ("add key judgment", lambda p, i, t: edit.add(p, "key-judgment", f"KJ{i + 2}", {"text": t})),
]


@pytest.mark.slow
@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(layout=st.sampled_from(sorted(LAYOUTS)),
       steps=st.lists(st.tuples(st.sampled_from(range(len(OPERATIONS))), st.integers(0, 2), TEXT),
                      min_size=2, max_size=5))
def test_the_cache_changes_no_edit(tmp_path_factory, monkeypatch, layout, steps):
    folder = tmp_path_factory.mktemp("same")
    cached, fresh = study(folder, LAYOUTS[layout], "cached.yaml"), study(folder, LAYOUTS[layout], "fresh.yaml")
    for op, i, text in steps:
        outcomes = []
        for path, cache in ((cached, str(folder / "cache")), (fresh, "off")):
            monkeypatch.setenv("SCENMATRIX_CACHE", cache)
            try:
                outcomes.append(OPERATIONS[op][1](path, i, text).diff)
            except (StudyError, ValueError) as exc:
                outcomes.append(f"{type(exc).__name__}: {exc}".replace(str(path), "STUDY"))
        assert outcomes[0] == outcomes[1].replace(str(fresh), str(cached)), OPERATIONS[op][0]
        assert cached.read_bytes() == fresh.read_bytes()


def test_the_cache_folder_is_private(tmp_path, cache):
    edit.add(study(tmp_path), "actor", "IL", {"name": "Israel", "kind": "state"})
    assert cache.stat().st_mode & 0o777 == 0o700
    assert os.stat(next(cache.glob("*.parse"))).st_mode & 0o077 == 0


@pytest.mark.parametrize("marking, cached", [("TLP:CLEAR", True), ("TLP:GREEN", True), ("TLP:AMBER", False),
                                             ("TLP:AMBER+STRICT", False), ("TLP:RED", False)])
def test_only_studies_marked_for_sharing_leave_a_copy_in_the_cache(tmp_path, cache, marking, cached):
    path = study(tmp_path, VALID_STUDY.replace("marking: TLP:CLEAR", f"marking: {marking}"))
    edit.add(path, "actor", "IL", {"name": "Israel", "kind": "state"})
    assert bool(cache.exists() and list(cache.glob("*.parse"))) == cached
    assert edit.add(path, "impact", "S2/IL", IMPACT).source == ("cache" if cached else "parse")
