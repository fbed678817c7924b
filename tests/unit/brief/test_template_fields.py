"""Every field of a template is checked where it is written (issue 13): no crash, no traceback, no value
Excel would refuse or misread."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from conftest import SMALL
from scenmatrix.brief.template import load_template
from scenmatrix.errors import TemplateError

GOOD = """\
description: A test template.
style:
  font: Calibri
  size: 10
  title_size: 16
sheets:
  - kind: matrix
    title: Matrix
  - kind: table
    title: Impacts
    table: impacts
    widths: {rationale: 40}
"""

# (what to replace, by what, the line the problem is reported on, a word of the message)
BAD = {
    "empty-description": ("description: A test template.", "description: ''", 1, "description is empty"),
    "blank-description": ("description: A test template.", "description: '   '", 1, "description is empty"),
    "control-in-font": ("font: Calibri", 'font: "Cal\\x01ibri"', 3, "control character"),
    "long-font": ("font: Calibri", "font: " + "F" * 32, 3, "31"),
    "negative-size": ("size: 10", "size: -3", 4, "it must be at least 1"),
    "infinite-size": ("size: 10", "size: .inf", 4, "it must be at most 409"),
    "nan-title-size": ("title_size: 16", "title_size: .nan", 5, "title_size"),
    "negative-width": ("rationale: 40", "rationale: -4", 12, "it must be at least 0"),
    "huge-width": ("rationale: 40", "rationale: 1e9", 12, "it must be at most 255"),
    "reserved-history": ("title: Matrix", "title: history", 8, "reserved"),
    "reserved-marker": ("title: Matrix", "title: _scenmatrix", 8, "reserved"),
    "apostrophe-end": ("title: Matrix", "title: \"Matrix'\"", 8, "apostrophe"),
    "case-collision": ("title: Impacts", "title: MATRIX", 10, "already used by sheet 'Matrix'"),
}


@pytest.mark.parametrize("name", sorted(BAD))
def test_a_bad_field_is_refused_where_it_is_written(tmp_path: Path, name: str) -> None:
    old, new, line, words = BAD[name]
    assert old in GOOD
    path = tmp_path / "t.yaml"
    path.write_text(GOOD.replace(old, new, 1))
    with pytest.raises(TemplateError) as caught:
        load_template(path)
    problem = caught.value.problems[0]
    assert (problem.path, problem.line) == (str(path), line), problem
    assert words in str(problem), problem


def test_the_good_template_loads(tmp_path: Path) -> None:
    (tmp_path / "t.yaml").write_text(GOOD)
    assert [s.title for s in load_template(tmp_path / "t.yaml").template.sheets] == ["Matrix", "Impacts"]


def test_templates_lists_a_broken_template_with_its_position_beside_the_good_ones(tmp_path: Path) -> None:
    (tmp_path / "templates").mkdir()
    (tmp_path / "templates" / "broken.yaml").write_text(GOOD.replace("description: A test template.",
                                                                     "description: ''"))
    done = subprocess.run([str(Path(sys.executable).parent / "scenmatrix"), "templates"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and "Traceback" not in done.stderr, done
    assert "broken       (broken: " in done.stdout and "broken.yaml:1:" in done.stdout, done.stdout
    assert "standard" in done.stdout


def test_a_title_with_an_apostrophe_is_escaped_in_the_links_to_it(tmp_path: Path) -> None:
    small = tmp_path / "small.yaml"
    small.write_text(SMALL, encoding="utf-8")
    import re

    import openpyxl

    from scenmatrix.brief.build import build_brief_file
    from scenmatrix.store.packaged import builtin_templates

    text = (builtin_templates() / "standard.yaml").read_text(encoding="utf-8")
    template = tmp_path / "own.yaml"
    template.write_text(text.replace("title: Impacts", "title: Analyst's impacts"), encoding="utf-8")
    out = build_brief_file(small, template, tmp_path / "b.xlsx")
    wb = openpyxl.load_workbook(out)
    locations = {c.hyperlink.location for row in wb["Matrix"].iter_rows() for c in row if c.hyperlink}
    assert locations and all(re.fullmatch(r"'Analyst''s impacts'!A\d+", where) for where in locations), locations
