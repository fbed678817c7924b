"""The pure three-way merge (study.merge) on plain trees: what it takes from theirs, what it calls a conflict,
and, as properties over generated edits, that merging a version with itself or with an unchanged side
gives that version."""

from __future__ import annotations

import copy

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML

from conftest import SMALL
from scenmatrix.study.diff import rename_entry
from scenmatrix.study.merge import Conflict, Unmergeable, described, merge, record
from scenmatrix.study.values import plain

BASE = plain(YAML(typ="safe").load(SMALL))


def tree():
    return copy.deepcopy(BASE)


def test_both_sides_adding_actors_keeps_both_in_order() -> None:
    ours, theirs = tree(), tree()
    ours["actors"]["D"] = {"name": "Delta", "kind": "state"}
    theirs["actors"]["E"] = {"name": "Epsilon", "kind": "bloc"}
    result = merge(BASE, ours, theirs)
    assert result.conflicts == []
    assert list(result.tree["actors"]) == ["A", "B", "C", "D", "E"]
    assert [(op.action, op.kind, op.id) for op in result.operations] == [("add", "actor", "E")]


def test_different_fields_of_one_entry_both_land_and_the_same_field_conflicts() -> None:
    ours, theirs = tree(), tree()
    ours["scenarios"]["S1"]["impacts"]["A"]["effect"] = 3
    theirs["scenarios"]["S1"]["impacts"]["A"]["confidence"] = "low"
    theirs["scenarios"]["S1"]["impacts"]["B"]["effect"] = 1
    result = merge(BASE, ours, theirs)
    assert result.conflicts == []
    impacts = result.tree["scenarios"]["S1"]["impacts"]
    assert (impacts["A"]["effect"], impacts["A"]["confidence"], impacts["B"]["effect"]) == (3, "low", 1)
    theirs["scenarios"]["S1"]["impacts"]["A"]["effect"] = -3
    result = merge(BASE, ours, theirs)
    assert result.conflicts == [Conflict("impact", "S1/A", "effect", 3, -3)]
    assert result.tree["scenarios"]["S1"]["impacts"]["A"]["effect"] == 3  # ours stays in the file


def test_their_rename_is_followed_by_our_edit_and_ours_by_theirs() -> None:
    ours, theirs = tree(), tree()
    rename_entry(theirs, "actor", "B", "BETA")
    ours["scenarios"]["S1"]["impacts"]["B"]["effect"] = -1
    result = merge(BASE, ours, theirs)
    assert result.conflicts == []
    impacts = result.tree["scenarios"]["S1"]["impacts"]
    assert list(impacts) == ["A", "BETA"] and impacts["BETA"]["effect"] == -1
    assert result.tree["evidence"]["E1"]["contested_by"] == {"BETA": "Beta denies it"}
    # the other way round: we renamed, they edited
    result = merge(BASE, theirs, ours)
    assert result.conflicts == [] and result.tree["scenarios"]["S1"]["impacts"]["BETA"]["effect"] == -1
    assert [op.action for op in result.operations] == ["set"]


def test_a_removal_against_a_change_is_a_conflict_for_the_entry() -> None:
    ours, theirs = tree(), tree()
    del theirs["scenarios"]["S2"]["impacts"]["A"]
    ours["scenarios"]["S2"]["impacts"]["A"]["effect"] = -2
    result = merge(BASE, ours, theirs)
    assert result.conflicts == [Conflict("impact", "S2/A", None, ours["scenarios"]["S2"]["impacts"]["A"], None)]
    assert result.tree["scenarios"]["S2"]["impacts"]["A"]["effect"] == -2


def test_their_removal_of_what_we_still_refer_to_is_a_conflict() -> None:
    ours, theirs = tree(), tree()
    del theirs["evidence"]["E2"]
    theirs["scenarios"]["S1"]["impacts"]["B"]["evidence"] = ["E1"]
    theirs["constraints"]["c1"]["evidence"] = []
    ours["scenarios"]["S2"]["impacts"]["A"]["evidence"] = ["E2"]  # we cite it anew
    result = merge(BASE, ours, theirs)
    assert Conflict("evidence", "E2", None, BASE["evidence"]["E2"], None) in result.conflicts
    assert "E2" in result.tree["evidence"]
    assert result.tree["scenarios"]["S1"]["impacts"]["B"]["evidence"] == ["E1"]  # their other changes land


def test_a_conflict_is_recorded_and_described_with_both_values_and_branches() -> None:
    item = record(Conflict("impact", "S1/RU", "effect", 3, -3), "main", "ratings")
    assert item == {"entry": "impact S1/RU", "field": "effect", "ours": 3, "theirs": -3, "ours_branch": "main",
                    "theirs_branch": "ratings"}
    message, hint = described(item)
    assert message == "conflict: impact S1/RU effect: ours (main) +3, theirs (ratings) -3"
    assert "scenmatrix resolve --ours|--theirs impact S1/RU" in hint
    assert described(record(Conflict("actor", "IL", None, {"name": "Israel"}, None)))[0] == (
        "conflict: actor IL: ours changed it, theirs removed it")


# --- properties over generated edits ---------------------------------------------------------------

IMPACTS = [("S1", "A"), ("S1", "B"), ("S2", "A")]
edits = st.lists(st.one_of(
    st.tuples(st.just("effect"), st.sampled_from(IMPACTS), st.integers(-3, 3)),
    st.tuples(st.just("name"), st.sampled_from(["A", "B", "C"]), st.sampled_from(["X", "Y"])),
    st.tuples(st.just("add"), st.sampled_from(["D", "E"]), st.sampled_from(["state", "bloc"])),
    st.tuples(st.just("drop"), st.sampled_from(IMPACTS), st.none()),
    st.tuples(st.just("rename"), st.sampled_from(["B", "C"]), st.sampled_from(["B2", "C2"])),
    st.tuples(st.just("indicator"), st.sampled_from(["I1", "I2"]), st.sampled_from(["observed", "not observed"])),
), max_size=6)


def edited(steps: list) -> dict:
    out = tree()
    for what, target, value in steps:
        if what == "effect" and target[1] in out["scenarios"][target[0]]["impacts"]:
            out["scenarios"][target[0]]["impacts"][target[1]]["effect"] = value
        elif what == "name" and target in out["actors"]:
            out["actors"][target]["name"] = value
        elif what == "add" and target not in out["actors"]:
            out["actors"][target] = {"name": target.lower(), "kind": value}
        elif what == "drop":
            out["scenarios"][target[0]]["impacts"].pop(target[1], None)
        elif what == "rename" and target in out["actors"] and value not in out["actors"]:
            rename_entry(out, "actor", target, value)
        elif what == "indicator":
            scenario = "S1" if target == "I1" else "S2"
            out["scenarios"][scenario]["indicators"][target]["status"] = value
    return out


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(edits)
def test_merging_a_version_with_itself_or_an_unchanged_side_gives_that_version(steps: list) -> None:
    version = edited(steps)
    for result in (merge(BASE, version, version), merge(BASE, BASE, version), merge(BASE, version, BASE)):
        assert result.conflicts == []
        assert result.tree == version
        ids = list(version["actors"])
        new = [i for i in ids if i not in BASE["actors"]]
        if ids[len(ids) - len(new):] == new:  # an entry added where `add` puts it, at the end: in that order
            assert list(result.tree["actors"]) == ids


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(edits, edits)
def test_two_merges_without_conflicts_give_the_same_study_whichever_side_merges_the_other(mine: list,
                                                                                         yours: list) -> None:
    """(A rename both sides could mean differently, e.g. onto an id the other side added, may be a conflict
    one way round and not the other, or refused: those are left out.)"""
    ours, theirs = edited(mine), edited(yours)
    try:
        result, swapped = merge(BASE, ours, theirs), merge(BASE, theirs, ours)
    except Unmergeable:
        return
    if not result.conflicts and not swapped.conflicts:
        assert result.tree == swapped.tree


def test_lists_both_changed_merge_as_sets() -> None:
    ours, theirs = tree(), tree()
    ours["scenarios"]["S1"]["impacts"]["B"]["evidence"] = ["E2"]             # we dropped E1
    theirs["scenarios"]["S1"]["impacts"]["B"]["evidence"] = ["E2", "E1", "E3"]  # they cite their new E3 too
    theirs["evidence"]["E3"] = {"claim": "Claim three", "source": "Press", "grade": "C3"}
    ours["scenarios"]["S1"]["impacts"]["A"]["domains"] = ["military", "economic"]
    theirs["scenarios"]["S1"]["impacts"]["A"]["domains"] = ["energy", "military"]
    result = merge(BASE, ours, theirs)
    assert result.conflicts == []
    impacts = result.tree["scenarios"]["S1"]["impacts"]
    assert impacts["B"]["evidence"] == ["E2", "E3"]
    assert impacts["A"]["domains"] == ["military", "economic", "energy"]
    del theirs["evidence"]["E3"]  # citing what is not there is refused, as a conflict of the field
    assert merge(BASE, ours, theirs).conflicts == [Conflict("impact", "S1/B", "evidence", ["E2"], ["E2", "E3"])]


def test_a_section_without_entries_is_merged_whole() -> None:
    ours, theirs = tree(), tree()
    theirs["cib"] = {"note": "theirs"}
    assert merge(BASE, ours, theirs).tree["cib"] == {"note": "theirs"}
    ours["cib"] = {"note": "ours"}
    assert merge(BASE, ours, theirs).conflicts == [Conflict("section", "cib", None, {"note": "ours"},
                                                            {"note": "theirs"})]


def test_a_rename_onto_an_id_the_other_side_added_is_refused_whole() -> None:
    ours, theirs = tree(), tree()
    rename_entry(ours, "actor", "C", "D")
    theirs["actors"]["D"] = {"name": "Delta", "kind": "state"}
    with pytest.raises(Unmergeable, match="actor C was renamed D on one side, and the other added an actor D"):
        merge(BASE, ours, theirs)


def test_a_mapping_both_changed_merges_key_by_key() -> None:
    ours, theirs = tree(), tree()
    ours["evidence"]["E1"]["contested_by"]["A"] = "Alpha doubts it"
    theirs["evidence"]["E1"]["contested_by"]["C"] = "Gamma denies it"
    result = merge(BASE, ours, theirs)
    assert result.conflicts == []
    assert result.tree["evidence"]["E1"]["contested_by"] == {"B": "Beta denies it", "A": "Alpha doubts it",
                                                             "C": "Gamma denies it"}
    theirs["evidence"]["E1"]["contested_by"]["A"] = "Alpha rejects it"
    assert [c.field for c in merge(BASE, ours, theirs).conflicts] == ["contested_by"]
