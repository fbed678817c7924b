"""The study's own cross-impact model edited like any other entry (issue 17): `add`/`set`/`rm`/`rename`
of descriptors, variants and judgments, through real `scenmatrix` processes. Every edit is checked
byte for byte outside the change, and `validate` must pass after it."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from conftest import SMALL
from hardening import DEFAULT_STUDY, SCENMATRIX


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([SCENMATRIX, *args], cwd=cwd, capture_output=True, text=True, timeout=120)


def edit(study: Path, *args: str) -> subprocess.CompletedProcess:
    result = run(*args, "-s", str(study), cwd=study.parent)
    assert result.returncode == 0, result.stderr
    return result


def valid(study: Path) -> None:
    result = run("validate", str(study), cwd=study.parent)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.fixture()
def study(tmp_path: Path) -> Path:
    """A copy of the shipped study, whose cib: model has comments and a folded note to keep."""
    path = tmp_path / "s.yaml"
    path.write_bytes(DEFAULT_STUDY.read_bytes())
    return path


@pytest.fixture()
def plain_study(tmp_path: Path) -> Path:
    """A study without a cib: section."""
    path = tmp_path / "p.yaml"
    path.write_text(SMALL, encoding="utf-8")
    return path


def after(text: str, anchor: str, inserted: str) -> str:
    """The text with `inserted` right after the (unique) `anchor`."""
    assert text.count(anchor) == 1, anchor
    return text.replace(anchor, anchor + inserted)


US_PRESSURE_END = "        sustained: Sustained\n        escalating: Escalating\n"


def test_a_descriptor_variant_and_judgment_are_added_and_nothing_else_changes(study: Path) -> None:
    before = study.read_text(encoding="utf-8")
    edit(study, "add", "descriptor", "sanctions", "--title", "Sanctions on Iran", "--variant", "eased=Eased",
         "--variant", "tightened=Tightened, with snapback")
    edit(study, "add", "variant", "sanctions.lifted", "--title", "Lifted")
    edit(study, "set", "judgment", "iran-support.extensive", "sanctions.tightened", "2")
    edit(study, "add", "judgment", "sanctions.eased", "us-pressure.escalating", "--value", "-1")
    expected = after(before, US_PRESSURE_END,
                     "    sanctions:\n      title: Sanctions on Iran\n      variants:\n        eased: Eased\n"
                     "        tightened: Tightened, with snapback\n        lifted: Lifted\n")
    # the row's last cell, before the comment on the next row
    expected = after(expected, "      us-pressure.escalating: 2\n", "      sanctions.tightened: 2\n")
    expected += "    sanctions.eased:\n      us-pressure.escalating: -1\n"
    assert study.read_text(encoding="utf-8") == expected
    valid(study)
    listed = edit(study, "list", "judgment").stdout
    assert re.search(r"^sanctions\.eased us-pressure\.escalating +-1$", listed, re.M)
    assert re.search(r"^sanctions\.lifted +Lifted$", edit(study, "list", "variant").stdout, re.M)


def test_the_first_descriptor_creates_the_section_and_the_last_removes_it(plain_study: Path) -> None:
    before = plain_study.read_bytes()
    refused = run("set", "cib", "--note", "Mine", "-s", str(plain_study), cwd=plain_study.parent)
    assert refused.returncode == 1
    assert "no cib: section" in refused.stderr and "scenmatrix add descriptor" in refused.stderr
    edit(plain_study, "add", "descriptor", "oil", "--title", "Oil price", "--variant", "low=Low", "--variant",
         "high=High")
    text = plain_study.read_text(encoding="utf-8")
    assert text.startswith(before.decode())
    added = text[len(before):]
    assert added.startswith("cib:\n  note: The descriptors, variants and judgments are the analyst's own") and added.endswith(
        "\n  descriptors:\n    oil:\n      title: Oil price\n      variants:\n        low: Low\n        high: High\n")
    valid(plain_study)
    edit(plain_study, "set", "cib", "--note", "Analyst judgment, after the desk's workshop.")
    assert "  note: Analyst judgment, after the desk's workshop.\n" in plain_study.read_text(encoding="utf-8")
    edit(plain_study, "add", "descriptor", "supply", "--title", "Supply", "--variant", "tight=Tight",
         "--variant", "ample=Ample")
    edit(plain_study, "set", "judgment", "supply.tight", "oil.high", "3")
    valid(plain_study)
    edit(plain_study, "rm", "descriptor", "supply", "--cascade")
    edit(plain_study, "rm", "descriptor", "oil")
    assert plain_study.read_bytes() == before


def test_rm_variant_refuses_while_judgments_name_it_and_cascade_removes_them(study: Path) -> None:
    before = study.read_bytes()
    refused = run("rm", "variant", "iran-support.limited", "-s", str(study), cwd=study.parent)
    assert refused.returncode == 1
    lines = [line for line in refused.stderr.splitlines() if "refers to variant 'iran-support.limited'" in line]
    text = before.decode()
    # the row of its own judgments, and each cell on it in the other rows: each at its line
    assert len(lines) == 1 + text.count("      iran-support.limited: ")
    assert f"{study}:{text[:text.index('    iran-support.limited:')].count(chr(10)) + 1}:5:" in refused.stderr
    assert study.read_bytes() == before
    edit(study, "rm", "variant", "iran-support.limited", "--cascade")
    now = study.read_text(encoding="utf-8")
    assert "iran-support.limited" not in now and "        limited: Limited and deniable\n" not in now
    valid(study)
    # everything else is kept: the lines removed are exactly the variant, its row and the cells on it
    kept = [line for line in text.splitlines(keepends=True) if line not in now.splitlines(keepends=True)]
    assert all("limited" in line or line.startswith("      ") for line in kept)
    assert "    # Iranian aid feeds the US concern" in now


def test_rm_descriptor_names_its_variants_judgments(study: Path) -> None:
    refused = run("rm", "descriptor", "agreement", "-s", str(study), cwd=study.parent)
    assert refused.returncode == 1
    assert "refers to descriptor 'agreement' (as agreement.signed)" in refused.stderr
    edit(study, "rm", "descriptor", "agreement", "--cascade")
    model = study.read_text(encoding="utf-8").split("\ncib:")[1]
    assert "agreement." not in model and "    agreement:" not in model
    valid(study)


@pytest.mark.parametrize("value", ["5", "-4"])
def test_a_judgment_out_of_range_is_refused_naming_the_option(study: Path, value: str) -> None:
    before = study.read_bytes()
    result = run("set", "judgment", "iran-support.extensive", "us-pressure.escalating", "--value", value,
                 "-s", str(study), cwd=study.parent)
    assert result.returncode == 2
    assert f"Invalid value for --value: judgment {value} is out of range -3..3" in result.stderr
    assert study.read_bytes() == before


@pytest.mark.parametrize("words, message", [
    (("iran-support.extensive", "iran-support.none", "1"), "are variants of one descriptor"),
    (("iran-support.extensive", "us-pressure.escalted", "1"), "did you mean 'us-pressure.escalating'?"),
    (("iran-support.extensive", "--value", "1"), "is named by its source and target variants"),
    (("a.b", "c.d", "e.f", "1"), "is named by 2 words"),
])
def test_a_misnamed_judgment_is_refused_and_says_why(study: Path, words: tuple[str, ...], message: str) -> None:
    before = study.read_bytes()
    result = run("set", "judgment", *words, "-s", str(study), cwd=study.parent)
    assert result.returncode in (1, 2)
    assert message in result.stderr
    assert study.read_bytes() == before


def test_set_judgment_changes_one_in_place_keeping_its_comments(study: Path) -> None:
    before = study.read_text(encoding="utf-8")
    row = before.index("    iran-support.none:\n")
    old = "      us-pressure.escalating: -1\n"
    at = before.index(old, row)
    edit(study, "set", "judgment", "iran-support.none", "us-pressure.escalating", "--value", "-2")
    assert study.read_text(encoding="utf-8") == before[:at] + "      us-pressure.escalating: -2\n" + before[at + len(old):]
    valid(study)
    edit(study, "rm", "judgment", "iran-support.none", "us-pressure.escalating")
    assert study.read_text(encoding="utf-8") == before[:at] + before[at + len(old):]
    valid(study)


def test_a_negative_value_may_be_the_last_word_and_unknown_options_are_still_refused(study: Path) -> None:
    before = study.read_text(encoding="utf-8")
    row = before.index("    iran-support.extensive:\n")
    old = "      us-pressure.escalating: 2\n"
    at = before.index(old, row)
    edit(study, "set", "judgment", "iran-support.extensive", "us-pressure.escalating", "-3")
    assert study.read_text(encoding="utf-8") == before[:at] + "      us-pressure.escalating: -3\n" + before[at + len(old):]
    valid(study)
    for command in ("add", "set"):
        result = run(command, "judgment", "iran-support.extensive", "us-pressure.escalating", "--valeu", "1",
                     "-s", str(study), cwd=study.parent)
        assert result.returncode == 2, result.stderr
        assert "No such option '--valeu'" in result.stderr and "'--value'" in result.stderr
        assert "Traceback" not in result.stderr


def test_rename_descriptor_and_variant_follow_every_judgment(study: Path) -> None:
    before = study.read_text(encoding="utf-8")
    edit(study, "rename", "descriptor", "iran-support", "iran-aid")
    edit(study, "rename", "variant", "iran-aid.extensive", "massive")
    now = study.read_text(encoding="utf-8")
    assert now == before.replace("    iran-support:\n", "    iran-aid:\n").replace(
        "        extensive: Extensive", "        massive: Extensive").replace(
        "iran-support.extensive", "iran-aid.massive").replace("iran-support.", "iran-aid.")
    valid(study)
    moved = run("rename", "variant", "iran-aid.massive", "us-pressure.massive", "-s", str(study), cwd=study.parent)
    assert moved.returncode == 2 and "would move the variant to another descriptor" in moved.stderr
    judged = run("rename", "judgment", "iran-aid.none", "x", "-s", str(study), cwd=study.parent)
    assert judged.returncode == 2 and "rename the variant or the descriptor" in judged.stderr


def test_a_descriptor_needs_two_variants_and_says_so_by_option(plain_study: Path) -> None:
    before = plain_study.read_bytes()
    result = run("add", "descriptor", "oil", "--title", "Oil", "--variant", "low=Low", "-s", str(plain_study),
                 cwd=plain_study.parent)
    assert result.returncode == 2
    assert "Invalid value for --variant: needs at least 2 variants" in result.stderr
    assert plain_study.read_bytes() == before
    unknown = run("add", "variant", "oil.high", "--title", "High", "-s", str(plain_study), cwd=plain_study.parent)
    assert unknown.returncode == 1 and "no descriptor 'oil'" in unknown.stderr


FLOW_MODEL = """
cib:
  note: x   # keep me
  descriptors:
    a: {title: A, variants: {x: X, y: Y}}
    "b": {title: B, variants: {x: X, y: Y}}  # b is quoted
  judgments:
    a.x: {b.y: 2, "b.x": -2}
    'b.y': {a.x: 1}
"""


def test_flow_rows_and_quoted_keys_keep_their_style_through_renames_and_removals(plain_study: Path) -> None:
    plain_study.write_text(SMALL + FLOW_MODEL, encoding="utf-8")
    edit(plain_study, "rename", "descriptor", "b", "bee")
    edit(plain_study, "rename", "variant", "a.x", "ex")
    assert plain_study.read_text(encoding="utf-8") == SMALL + FLOW_MODEL.replace(
        '"b": {', '"bee": {').replace("{x: X, y: Y}}\n    \"bee", "{ex: X, y: Y}}\n    \"bee").replace(
        "b.", "bee.").replace("a.x", "a.ex")
    valid(plain_study)
    one_left = run("rm", "variant", "bee.x", "--cascade", "-s", str(plain_study), cwd=plain_study.parent)
    assert one_left.returncode == 1 and "cib.descriptors.bee.variants: needs at least 2 variants" in one_left.stderr
    edit(plain_study, "rm", "descriptor", "a", "--cascade")
    assert plain_study.read_text(encoding="utf-8").endswith(
        '  note: x   # keep me\n  descriptors:\n    "bee": {title: B, variants: {x: X, y: Y}}  # b is quoted\n'
        "  judgments: {}\n")
    valid(plain_study)


def test_rm_cib_removes_the_whole_model_and_nothing_else(study: Path) -> None:
    before = study.read_text(encoding="utf-8")
    edit(study, "rm", "cib")
    # the section goes with the comment block above it, which is about it
    start = before.rindex("\n\n", 0, before.index("\ncib:\n")) + 1
    assert all(line.startswith("#") for line in before[start:before.index("\ncib:\n")].split("\n")[1:])
    assert study.read_text(encoding="utf-8") == before[:start]
    valid(study)
    again = run("rm", "cib", "-s", str(study), cwd=study.parent)
    assert again.returncode == 0 and "no change" in again.stderr
    named = run("rm", "cib", "x", "-s", str(study), cwd=study.parent)
    assert named.returncode == 2 and "removes it whole" in named.stderr
