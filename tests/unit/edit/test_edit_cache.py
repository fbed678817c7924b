"""The parse cache (parse_cache.cached_parse / cache_parse, edit.session.Session): an edit leaves the parse of the
text it wrote, and the next command starts from it instead of parsing the study again.

Every test runs with SCENMATRIX_CROSS_CHECK=1 (conftest.py): a session that starts from the cache
compares the cached node graph with a parse of the text, and an edit that builds the new graph from
its regions compares it with a parse of the new text. Here: the cache is used when it should be,
ignored when it must be, and an edit gives the same file and the same refusal with or without it.
"""

from __future__ import annotations

import os
import pickle
from pathlib import Path
from typing import Callable

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import VALID_STUDY
from edit_fixtures import AWKWARD
from scenmatrix.edit import api as edit
from scenmatrix.brief.build import build_brief_file
from scenmatrix.edit import patch, session
from scenmatrix.store import cache as parse_cache
from scenmatrix.store import document, report
from scenmatrix.study import vocab
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


# -- a slot is trusted only when it can be nobody else's, and only in the shape an edit keeps (issue 13) ---


def primed(tmp_path: Path, cache: Path, name: str = "study.yaml", marking: str = "TLP:CLEAR") -> tuple[Path, Path]:
    """A study and the slot its first edit left in the cache (the next edit would start from it)."""
    path = study(tmp_path, VALID_STUDY.replace("marking: TLP:CLEAR", f"marking: {marking}"), name)
    edit.add(path, "actor", "IL", {"name": "Israel", "kind": "state"})
    slot = cache / f"{parse_cache._slot_keys(path)[0]}.parse"
    assert slot.is_file()
    return path, slot


def next_edit_is_right(path: Path) -> str:
    """The next edit's source, once it has done what it must, as with no cache."""
    source = edit.add(path, "impact", "S2/IL", IMPACT).source
    assert document.read_document(path).tree["scenarios"]["S2"]["impacts"]["IL"]["effect"] == -1
    return source


def test_a_linked_slot_is_not_followed_and_its_target_is_left_alone(tmp_path, cache):
    path, slot = primed(tmp_path, cache)
    target = tmp_path / "elsewhere.parse"
    target.write_bytes(slot.read_bytes())  # a good parse: followed, the edit would start from it
    slot.unlink()
    slot.symlink_to(target)
    before = target.read_bytes()
    assert next_edit_is_right(path) == "parse"
    assert target.read_bytes() == before and not target.is_symlink()
    assert not slot.is_symlink() and slot.stat().st_uid == os.geteuid()  # the edit's own slot replaced it


@pytest.mark.parametrize("spoil", ["writable by others", "another owner", "a fifo", "a folder", "too large"])
def test_a_slot_that_may_not_be_ours_is_discarded(tmp_path, cache, monkeypatch, spoil):
    path, slot = primed(tmp_path, cache)
    if spoil == "writable by others":
        slot.chmod(0o666)
    elif spoil == "another owner":
        if os.geteuid() != 0:
            pytest.skip("only root can give a file away")
        os.chown(slot, 65534, 65534)
    elif spoil in ("a fifo", "a folder"):
        slot.unlink()
        os.mkfifo(slot) if spoil == "a fifo" else slot.mkdir()
    else:
        monkeypatch.setattr(parse_cache, "CACHE_MAX_BYTES", slot.stat().st_size - 1)
    assert parse_cache.cached_parse(path, path.read_text(), session.PARSE_MAKERS, session._fits) is None
    assert not os.path.lexists(slot) or spoil == "a folder"  # a folder is no slot, and not ours to empty
    assert next_edit_is_right(path) == "parse"


class _Hostile:
    """What a forged slot could hold: unpickled by pickle.loads, it runs a command."""

    def __init__(self, marker: Path):
        self.marker = marker

    def __reduce__(self) -> tuple:
        return os.system, (f"touch {self.marker}",)


@pytest.mark.parametrize("body", ["garbage", "cut short", "another shape", "a tree without its graph",
                                  "a graph of the wrong shape", "a command"])
def test_a_slot_that_is_not_a_parse_is_discarded_and_the_edit_parses(tmp_path, cache, body):
    path, slot = primed(tmp_path, cache)
    data = slot.read_bytes()
    header, parse = data[:data.index(b"\n") + 1], data[data.index(b"\n") + 1:]
    marker = tmp_path / "ran"
    tree = pickle.loads(parse)[0]
    slot.write_bytes(header + {
        "garbage": b"\x80\x05garbage",
        "cut short": parse[:len(parse) // 3],
        "another shape": pickle.dumps({"x": 1}),
        "a tree without its graph": pickle.dumps((tree,)),
        "a graph of the wrong shape": pickle.dumps((tree, ("tag:yaml.org,2002:map", True))),
        "a command": pickle.dumps((_Hostile(marker), ())),
    }[body])
    assert parse_cache.cached_parse(path, path.read_text(), session.PARSE_MAKERS, session._fits) is None
    assert not marker.exists(), "unpickling ran a command"
    assert not slot.exists()
    assert next_edit_is_right(path) == "parse"


def test_a_cache_that_cannot_be_written_costs_only_a_parse(tmp_path, cache, monkeypatch):
    path, slot = primed(tmp_path, cache)
    slot.unlink()

    real_mkstemp = parse_cache.tempfile.mkstemp

    def full_disk(*args, dir=None, **kwargs):
        if dir is not None and Path(dir) == cache:
            raise OSError(28, "No space left on device")
        return real_mkstemp(*args, dir=dir, **kwargs)

    monkeypatch.setattr(parse_cache.tempfile, "mkstemp", full_disk)
    assert next_edit_is_right(path) == "parse"
    assert not list(cache.iterdir())


# -- a study re-marked TLP:AMBER or RED loses every parse the cache held of it, at the next command to see it --


def remark(path: Path, marking: str) -> None:
    """By hand: no command changes a study's marking."""
    text = path.read_text()
    old = next(line for line in text.splitlines() if line.startswith("  marking: "))
    path.write_text(text.replace(old, f"  marking: {marking}"))


def _validate(path: Path) -> None:
    assert not report.check_studies([path]).problems


COMMANDS: dict[str, Callable[[Path], object]] = {
    "validate": _validate,
    "an edit": lambda path: edit.set_fields(path, "actor", "IL", {"name": "Israel (state)"}),
    "a refused edit": lambda path: pytest.raises(StudyError, edit.add, path, "actor", "IL", {"name": "I", "kind": "state"}),
    "list": lambda path: edit.entries(path, "actor"),
    "brief": lambda path: build_brief_file(path, output=path.with_suffix(".xlsx")),
}


@pytest.mark.parametrize("command", COMMANDS)
@pytest.mark.parametrize("was, now", [("TLP:CLEAR", "TLP:RED"), ("TLP:GREEN", "TLP:AMBER"),
                                      ("TLP:GREEN", "TLP:AMBER+STRICT")])
def test_a_study_re_marked_private_loses_its_cached_parses_at_the_next_command(tmp_path, cache, command, was, now):
    path, slot = primed(tmp_path, cache, "private.yaml", was)
    other, other_slot = primed(tmp_path, cache, "other.yaml", was)
    left_behind = cache / f".{slot.stem}.crashed.tmp"  # an unfinished write of it, say
    left_behind.write_bytes(slot.read_bytes())
    kept = other_slot.read_bytes()
    remark(path, now)
    COMMANDS[command](path)
    assert sorted(p.name for p in cache.iterdir()) == [other_slot.name]
    assert other_slot.read_bytes() == kept
    assert next_edit_is_right(path) == "parse" and not slot.exists()


def test_a_study_whose_marking_cannot_be_read_loses_its_cached_parses(tmp_path, cache):
    path, slot = primed(tmp_path, cache)
    path.write_text(path.read_text().replace("marking: TLP:CLEAR", "marking: [TLP:RED"))
    assert report.check_studies([path]).problems
    assert not slot.exists()


def test_a_study_reached_by_a_link_has_one_slot_and_loses_it(tmp_path, cache):
    path, slot = primed(tmp_path, cache)
    link = tmp_path / "link.yaml"
    link.symlink_to(path)
    assert edit.add(link, "impact", "S2/IL", IMPACT).source == "cache"
    assert [p.name for p in cache.iterdir()] == [slot.name]
    remark(path, "TLP:RED")
    _validate(link)
    assert not list(cache.iterdir())


def test_the_markings_the_cache_keeps_are_those_for_sharing():
    assert vocab.CACHED_MARKINGS == ("TLP:CLEAR", "TLP:GREEN")
    assert set(vocab.CACHED_MARKINGS) < set(vocab.TLP)
    assert not parse_cache.cacheable("TLP:WHITE") and not parse_cache.cacheable(None)
