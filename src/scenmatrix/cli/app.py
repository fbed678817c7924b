"""The command group, the helpers its commands share, and the one place where an error becomes an exit code.

The commands live in study_commands, edit_commands, cib_commands and team_commands; each imports this module, never the
reverse. Heavy modules (pandas, openpyxl, pydantic) are imported inside the commands that need them, so
that `--help` and edits start fast.
"""

from __future__ import annotations

import contextlib
import functools
import os
import sys
import time
from typing import TYPE_CHECKING, Any, Iterator, Optional

import click

from scenmatrix import errors
from scenmatrix.version import __version__

if TYPE_CHECKING:  # pathlib is imported once a path is given: --help needs none
    from pathlib import Path

DEFAULT_STUDY = "scenarios/russia-iran-2022.yaml"
STUDY_DIR = "scenarios"



class PathParam(click.Path):
    """click.Path(path_type=pathlib.Path), importing pathlib only once a path is given (a twentieth of the
    start-up, which --help does not need)."""

    def coerce_path_result(self, value: Any) -> "Path":
        from pathlib import Path

        return value if isinstance(value, Path) else Path(value)


# The path types of every command's arguments and options, made once: each click.Path looks up its name's
# translation (gettext, a few file lookups), which for the two dozen the commands declare was a tenth of
# the start-up of any command.
FILE = PathParam(dir_okay=False)
ANY_PATH = PathParam()

EXIT_PROBLEMS = 1     # bad input, or a file that cannot be read or written
EXIT_USAGE = 2        # click's own code for a usage mistake
EXIT_INTERRUPTED = 130


@contextlib.contextmanager
def reported(ctx: click.Context) -> Iterator[None]:
    """Errors as the command line shows them: usage mistakes exit 2 as click's own do; bad input and
    operating-system errors print one line each (never a traceback) and exit 1; Ctrl-C exits 130."""
    try:
        yield
    except errors.UsageError as exc:
        if exc.param:
            raise click.BadParameter(exc.brief(), ctx, param_hint=exc.param) from None
        raise click.UsageError(exc.brief(), ctx) from None
    except errors.ScenmatrixError as exc:
        for line in str(exc).splitlines() or ["error"]:
            click.echo(line, err=True)
        ctx.exit(EXIT_PROBLEMS)
    except KeyboardInterrupt:
        click.echo("interrupted; nothing was written", err=True)
        ctx.exit(EXIT_INTERRUPTED)
    except BrokenPipeError:
        raise  # the reader went away (`| head`): nothing to tell it
    except OSError as exc:
        click.echo(errors.os_error_line(exc), err=True)
        ctx.exit(EXIT_PROBLEMS)


class Context(click.Context):
    """click's context, with the help's width found without `shutil` (whose import, with the compression
    modules it brings, was a tenth of `--help`): the same width click finds."""

    def make_formatter(self) -> click.HelpFormatter:
        from click import formatting

        width = self.terminal_width
        if width is None and formatting.FORCED_WIDTH is None:
            most = 80 if self.max_content_width is None else self.max_content_width
            width = max(min(_terminal_columns(), most) - 2, 50)
        return self.formatter_class(width=width, max_width=self.max_content_width)


def _terminal_columns() -> int:
    """shutil.get_terminal_size().columns: $COLUMNS, else the terminal's width, else 80."""
    try:
        columns = int(os.environ["COLUMNS"])
    except (KeyError, ValueError):
        columns = 0
    if columns > 0:
        return columns
    try:
        return os.get_terminal_size(sys.__stdout__.fileno()).columns or 80
    except (AttributeError, ValueError, OSError):
        return 80


class Command(click.Command):
    """A command whose errors are `reported`."""

    context_class = Context

    def invoke(self, ctx: click.Context) -> Any:
        with reported(ctx):
            return super().invoke(ctx)


class Group(click.Group):
    """The group: its commands, and those of its subgroups, are `Command`s."""

    command_class = Command
    group_class = type  # a subgroup is a Group too
    context_class = Context


class LateProgressBar:
    """A progress bar for steps that appears only once a run has taken `delay` seconds, and only on a
    terminal: short runs stay quiet, and pipes, logs and CI get no bar at all."""

    def __init__(self, label: str, delay: float = 2.0, file=None):
        self.label, self.delay, self.file = label, delay, file or sys.stderr
        self.started, self.bar = time.monotonic(), None

    def __enter__(self) -> "LateProgressBar":
        return self

    def __call__(self, done: int, total: int, what: str) -> None:
        if self.bar is None:
            if time.monotonic() - self.started < self.delay or not self._terminal():
                return
            self.bar = click.progressbar(length=total, label=self.label, file=self.file,
                                         item_show_func=lambda item: item)
            self.bar.__enter__()
        self.bar.update(done - self.bar.pos, what)

    def _terminal(self) -> bool:
        return self.file.isatty() and not os.environ.get("CI")

    def __exit__(self, *exc) -> None:
        if self.bar is not None:
            self.bar.__exit__(*exc)


def json_text(data: object, **options: Any) -> str:
    """json.dumps for the commands' --json output, importing json only then (a twentieth of the start-up)."""
    import json

    return json.dumps(data, **options)


def default_study(study: Optional[Path]) -> Path:
    """STUDY argument, else $SCENMATRIX_STUDY, else the only study under scenarios/; with several, a usage
    error listing them."""
    from pathlib import Path

    if study is not None:
        return study
    if os.environ.get("SCENMATRIX_STUDY"):
        return Path(os.environ["SCENMATRIX_STUDY"])
    folder = Path(STUDY_DIR)
    found = sorted(folder.glob("*.yaml")) if folder.is_dir() else []
    if len(found) == 1:
        return found[0]
    if not found:
        return Path(DEFAULT_STUDY)  # its "no such file" says where a study was looked for
    # Never the default among several: an edit of the wrong study exits 0 and is found too late.
    shown = ", ".join(str(p) for p in found[:10]) + (f" and {len(found) - 10} more" if len(found) > 10 else "")
    raise click.UsageError(f"{len(found)} studies under {STUDY_DIR}/ ({shown}) — name one with -s/--study "
                           f"(or as STUDY), or set SCENMATRIX_STUDY")


def STUDY_ARG(func: Any) -> Any:
    """A command's STUDY, given as an argument or, as the editing commands take it, with -s/--study."""
    @functools.wraps(func)
    def command(*args: Any, study_option: Optional[Path] = None, **kwargs: Any) -> Any:
        if study_option is not None and kwargs.get("study") not in (None, study_option):
            raise click.UsageError("give the study once: as STUDY or with -s/--study")
        kwargs["study"] = kwargs.get("study") or study_option
        return func(*args, **kwargs)

    command = click.option("-s", "--study", "study_option", type=FILE,
                           help="The study, if not given as STUDY (default: $SCENMATRIX_STUDY, else the only "
                                "study under scenarios/).")(command)
    return click.argument("study", required=False, type=FILE)(command)


@click.group(cls=Group, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, "-V", "--version", prog_name="scenmatrix")
def cli() -> None:
    """Scenario x actor x impact studies, kept as YAML, briefed as Excel.

    A study (scenarios/*.yaml) says which scenarios may unfold and how likely (ICD 203 words),
    which actors each helps or hurts and how much (-3..+3), on what evidence (Admiralty grades),
    and which indicators would show it unfolding. A command's STUDY (or -s/--study) defaults to
    $SCENMATRIX_STUDY, else the only study under scenarios/; with several there, name one.

    \b
    Examples:
      scenmatrix new scenarios/gulf.yaml --title "Gulf security"     start a study
      scenmatrix add actor IR --name Iran --kind state -s scenarios/gulf.yaml
      scenmatrix validate                      check every study under scenarios/
      scenmatrix show                          the scenarios x actors matrix of effects
      scenmatrix brief                         build briefs/russia-iran-2022-standard.xlsx
      scenmatrix diff --since HEAD~1           what changed since the last commit
      scenmatrix export --format json          the study's tables, for scripts
      scenmatrix merge-driver --install        let git merge studies entry by entry

    `scenmatrix COMMAND --help` shows a command's options and examples.
    """


def main() -> None:
    """The console script: the group, with the program's name in its messages."""
    cli(prog_name="scenmatrix")
