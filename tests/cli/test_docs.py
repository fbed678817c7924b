"""The README's command reference is `--help`, and every `--help` teaches: text, options, an example."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import click
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tools"))
import docs  # noqa: E402  (tools/docs.py: not part of the package)

README = Path(__file__).resolve().parents[2] / "README.md"
COMMANDS = list(docs.commands())
IDS = [" ".join(path) for path, _ in COMMANDS]


def test_the_readme_command_reference_is_the_help_of_every_command():
    readme = README.read_text(encoding="utf-8")
    assert docs.section(readme) is not None, "README.md has no command reference: run `python tools/docs.py`"
    assert docs.section(readme) == docs.reference(), (
        "README.md's command reference differs from --help: run `python tools/docs.py` and commit README.md")


def test_the_reference_comes_before_a_guarantees_section():
    readme = README.read_text(encoding="utf-8")
    guarantees = re.search(r"(?m)^## Guarantees\b", readme)
    if guarantees:
        assert readme.index(docs.BEGIN) < guarantees.start()


def test_every_command_and_cib_subcommand_is_covered():
    names = {" ".join(path) for path, _ in COMMANDS}
    assert {"scenmatrix", "scenmatrix add", "scenmatrix validate", "scenmatrix cib", "scenmatrix cib check",
            "scenmatrix cib promote"} <= names
    reference = docs.reference()
    for name in names:
        assert f"\n### {name}\n" in reference


@pytest.mark.parametrize("path,command", COMMANDS, ids=IDS)
def test_every_command_has_help_text_and_an_example_of_itself(path, command):
    text = command.help or ""
    assert text.strip(), f"{' '.join(path)} has no help text"
    lines = text.splitlines()
    heading = next((i for i, line in enumerate(lines) if line.strip() in ("Example:", "Examples:")), None)
    assert heading is not None, f"{' '.join(path)}: no 'Example:' or 'Examples:' in its help"
    examples = [line for line in lines[heading + 1:] if line.strip()]
    assert any(" ".join(path) in line for line in examples), f"{' '.join(path)}: no example runs it"


@pytest.mark.parametrize("path,command", COMMANDS, ids=IDS)
def test_every_option_says_what_it_does(path, command):
    silent = [param.opts[-1] for param in command.params
              if isinstance(param, click.Option) and not param.hidden and not param.help]
    assert not silent, f"{' '.join(path)}: options without help text: {silent}"


@pytest.mark.parametrize("path,group", [(p, c) for p, c in COMMANDS if isinstance(c, click.Group)],
                         ids=[" ".join(p) for p, c in COMMANDS if isinstance(c, click.Group)])
def test_each_summary_fits_the_command_list_of_an_80_column_terminal(path, group):
    width = 80 - 6 - max(map(len, group.commands))  # as click lays out `Commands:`
    cut = {name: sub.get_short_help_str(width) for name, sub in group.commands.items()
           if sub.get_short_help_str(width).endswith("...")}
    assert not cut, f"first sentences too long for `{' '.join(path)} --help`: {cut}"


def test_help_text_is_what_the_command_prints():
    from click.testing import CliRunner

    from scenmatrix.cli.app import cli

    result = CliRunner().invoke(cli, ["cib", "check", "--help"], prog_name="scenmatrix", terminal_width=docs.WIDTH)
    assert result.exit_code == 0
    assert result.output == docs.help_text(("scenmatrix", "cib", "check"))


def test_update_replaces_between_the_markers_or_adds_before_guarantees(tmp_path):
    body = "# Tool\n\nIntro.\n\n## Development\n\nmake test\n"
    added = docs.updated(body)
    assert added.startswith(body.rstrip("\n") + "\n\n" + docs.BEGIN) and added.endswith(docs.END + "\n")
    assert docs.updated(added) == added

    with_guarantees = body + "\n## Guarantees\n\n- atomic writes\n"
    added = docs.updated(with_guarantees)
    assert added.index(docs.END) < added.index("## Guarantees") and added.endswith("- atomic writes\n")

    stale = added.replace("### scenmatrix add\n", "### scenmatrix add (old)\n")
    assert docs.updated(stale) == added

    readme = tmp_path / "README.md"
    readme.write_text(stale)
    assert docs.main(["--check", "--readme", str(readme)]) == 1
    assert docs.main(["--readme", str(readme)]) == 0
    assert readme.read_text() == added
    assert docs.main(["--check", "--readme", str(readme)]) == 0


def test_the_reference_does_not_depend_on_the_terminal(monkeypatch):
    expected = docs.reference()
    monkeypatch.setenv("COLUMNS", "40")
    monkeypatch.setenv("LINES", "10")
    assert docs.reference() == expected
