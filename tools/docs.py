"""The README's command reference, generated from every command's `--help`.

    python tools/docs.py            rewrite the command reference in README.md
    python tools/docs.py --check    exit 1, saying so, when README.md and --help differ

The reference sits between two marker comments. Where README.md has no markers yet, it is put
before a "## Guarantees" section if there is one, else at the end. tests/test_docs.py fails when
the README and `--help` drift apart, and when a command lacks help text or an example.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path
from typing import Iterator, Optional

import click

BEGIN = ("<!-- command-reference: generated from each command's --help by `python tools/docs.py`; "
         "edit the help texts, not this section -->")
END = "<!-- end of command-reference -->"
WIDTH = 100  # the CLI's max_content_width: what a wide terminal shows
README = Path(__file__).resolve().parents[1] / "README.md"


def commands(command: Optional[click.Command] = None, path: tuple[str, ...] = ("scenmatrix",)
             ) -> Iterator[tuple[tuple[str, ...], click.Command]]:
    """Every command as (("scenmatrix", "cib", "check"), command), a group before its subcommands,
    in the order `--help` lists them."""
    if command is None:
        from scenmatrix.cli import cli

        command = cli
    yield path, command
    if isinstance(command, click.Group):
        for name in command.list_commands(click.Context(command)):
            sub = command.get_command(click.Context(command), name)
            if sub is not None and not sub.hidden:
                yield from commands(sub, path + (name,))


def help_text(path: tuple[str, ...]) -> str:
    """What `scenmatrix ... --help` prints, at WIDTH columns."""
    from scenmatrix.cli import cli

    ctx = cli.context_class(cli, info_name=path[0], terminal_width=WIDTH, **cli.context_settings)
    command: click.Command = cli
    for name in path[1:]:
        assert isinstance(command, click.Group)
        sub = command.get_command(ctx, name)
        assert sub is not None, name
        command = sub
        ctx = command.context_class(command, info_name=name, parent=ctx)
    return command.get_help(ctx).rstrip() + "\n"


def _anchor(path: tuple[str, ...]) -> str:
    return "-".join(path)


def reference() -> str:
    """The command reference section, markers included."""
    found = list(commands())
    lines = [BEGIN, "", "## Command reference", "",
             "Every command's `--help`, as printed in a terminal. "
             "`scenmatrix COMMAND --help` (or `-h`) shows the same.", ""]
    lines.append(" · ".join(f"[{' '.join(path[1:]) or 'scenmatrix'}](#{_anchor(path)})" for path, _ in found))
    for path, _ in found:
        lines += ["", f"### {' '.join(path)}", "", "```text", help_text(path).rstrip("\n"), "```"]
    lines += ["", END]
    return "\n".join(lines) + "\n"


def section(readme: str) -> Optional[str]:
    """The command reference as it stands in README text (markers included), or None."""
    match = re.search(re.escape(BEGIN) + r".*?" + re.escape(END) + r"\n?", readme, re.S)
    return match.group(0) if match else None


def updated(readme: str) -> str:
    """README text with the command reference regenerated (or added)."""
    new = reference()
    old = section(readme)
    if old is not None:
        return readme.replace(old, new, 1)
    guarantees = re.search(r"(?m)^## Guarantees\b", readme)
    if guarantees:
        return readme[:guarantees.start()] + new + "\n" + readme[guarantees.start():]
    return readme.rstrip("\n") + "\n\n" + new


def main(argv: Optional[list[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python tools/docs.py", description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only check; exit 1 when README.md is out of date")
    parser.add_argument("--readme", type=Path, default=README, help="the README to update (default: %(default)s)")
    options = parser.parse_args(argv)
    text = options.readme.read_text(encoding="utf-8")
    new = updated(text)
    if options.check:
        if new != text:
            print(f"{options.readme}: the command reference differs from --help; run `python tools/docs.py`",
                  file=sys.stderr)
            return 1
        return 0
    if new != text:
        options.readme.write_text(new, encoding="utf-8")
        print(f"updated the command reference in {options.readme}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
