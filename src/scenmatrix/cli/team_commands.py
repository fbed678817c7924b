"""Working as a team: `merge-driver` (git's merge driver for studies) and `resolve` (settle its conflicts)."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Optional

import click

from scenmatrix.cli.app import EXIT_PROBLEMS, FILE, STUDY_ARG, cli, default_study

if TYPE_CHECKING:  # pathlib is imported where a path is used (app.PathParam): --help needs none
    from pathlib import Path


@cli.command("merge-driver")
@click.argument("versions", nargs=-1, metavar="O A B [P]")
@click.option("--install", is_flag=True, help="Set up the current git repository to merge studies with this "
              "driver: append the .gitattributes line if absent, and set merge.scenmatrix.driver (naming "
              "this scenmatrix by its full path, so that git finds it outside its virtualenv) and .name.")
def merge_driver(versions: tuple[str, ...], install: bool) -> None:
    """Git's merge driver for studies: merges field by field.

    Git runs it as `scenmatrix merge-driver %O %A %B %P`: O the common ancestor, A ours (the
    result is written there), B theirs, P the study's path. Their changes are made on our file as
    one edit, keeping its comments and layout (additions styled like their siblings): two
    branches that each added an actor both keep theirs, edits of different fields or entries
    both land, and a rename on one side is followed by the other side's edits. A field both
    changed differently (or an entry one removed and the other changed) is a conflict: our value
    stays, each conflict is recorded under `conflicts:` and printed as `validate` reports it, and
    the exit code is 1, so that git stops the merge. Settle them with `scenmatrix resolve`. A
    version that cannot be read, or a merge that would not be valid, exits 1 with its positioned
    problems and leaves A as it was.

    \b
    Set up a repository (what --install does):
      .gitattributes:  scenarios/*.yaml merge=scenmatrix
      git config merge.scenmatrix.driver "scenmatrix merge-driver %O %A %B %P"

    \b
    Examples:
      scenmatrix merge-driver --install
      git merge ratings        (then, on a conflict: scenmatrix resolve --theirs impact S1/RU)
    """
    if install:
        if versions:
            raise click.UsageError("--install takes no versions")
        from pathlib import Path

        from scenmatrix.store import git_merge

        for line in git_merge.install(Path.cwd(), _command()):
            click.echo(line, err=True)
        return
    if len(versions) not in (3, 4):
        raise click.UsageError("give O A B [P] (git's %O %A %B %P), or --install")
    from scenmatrix.edit import team

    outcome = team.merge_files(*versions[:3], versions[3] if len(versions) == 4 else None)
    for problem in outcome.conflicts:
        click.echo(str(problem), err=True)
    if outcome.conflicts:
        click.get_current_context().exit(EXIT_PROBLEMS)


def _command() -> str:
    """How git is to run scenmatrix: the console script it was started as, else the name on the PATH."""
    from pathlib import Path

    script = Path(sys.argv[0])
    return str(script.resolve()) if script.name == "scenmatrix" and script.is_file() else "scenmatrix"


@cli.command()
@click.argument("kind", required=False, metavar="KIND")
@click.argument("id", required=False)
@click.option("--ours", "side", flag_value="ours", help="Keep our value (the file's): drop the record.")
@click.option("--theirs", "side", flag_value="theirs", help="Take their value, removal, addition or rename.")
@click.option("--all", "every", is_flag=True, help="Settle every recorded conflict this way.")
@click.option("-s", "--study", type=FILE,
              help="The study (default: $SCENMATRIX_STUDY, else the only study under scenarios/).")
@click.option("-n", "--dry-run", is_flag=True, help="Print the unified diff; write nothing.")
def resolve(kind: Optional[str], id: Optional[str], side: Optional[str], every: bool, study: Optional[Path],
            dry_run: bool) -> None:
    """Settle the merge conflicts recorded for an entry (or --all).

    KIND ID names the entry, e.g. `impact S1/RU`.

    `scenmatrix merge-driver` keeps our value in the file and records each conflict under
    `conflicts:`; `validate` reports each one. --ours keeps the file's value, --theirs makes
    theirs; either way the record goes, in one validated edit. Editing the entry by hand and
    removing its record does the same.

    \b
    Examples:
      scenmatrix resolve --theirs impact S1/RU
      scenmatrix resolve --ours actor IL
      scenmatrix resolve --all --ours
    """
    if side is None:
        raise click.UsageError("choose --ours or --theirs")
    if every and kind:
        raise click.UsageError("give KIND ID or --all, not both")
    from scenmatrix.edit import team

    path = default_study(study)
    result = team.resolve(path, side, kind, id, every=every, dry_run=dry_run)
    if dry_run:
        click.echo(result.diff, nl=False)
    else:
        what = "every conflict" if every else " ".join(part for part in (kind, id) if part)
        click.echo(f"settled {what} with {side} in {path}", err=True)


@cli.command()
@STUDY_ARG
@click.option("--json", "as_json", is_flag=True, help='Print {"disagreements": [...]} for scripts.')
def review(study: Optional[Path], as_json: bool) -> None:
    """List where the lead and the reviewers disagree.

    Reviewers' ratings are recorded with `scenmatrix import BRIEF --as NAME`. A field (an impact's
    effect or confidence, a scenario's likelihood or confidence) is a disagreement when two raters
    are two or more steps apart on its scale, or one rates an effect a gain and another a harm.
    Each is listed with the lead's rating, each reviewer's, how many rated it and the steps between
    them; the JSON adds the lead's rationale. The brief's Review sheet shows every rated field.

    \b
    Examples:
      scenmatrix review
      scenmatrix review --json | jq '.disagreements[].key'
    """
    from scenmatrix.analysis.ratings import disagreements
    from scenmatrix.store.loader import load

    found = disagreements(load(default_study(study)).study)
    if as_json:
        import json

        click.echo(json.dumps({"disagreements": [s.to_json() for s in found]}, indent=2, ensure_ascii=False))
    elif found:
        from scenmatrix.cli import render

        click.echo(render.disagreements(found))
    else:
        click.echo("no disagreements")
