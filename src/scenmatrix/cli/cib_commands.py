"""Command-line access to cross-impact balance analysis (`scenmatrix cib ...`).

Each command reads the matrix, gets a result from `scenmatrix.analysis.cib_reports`, and prints it: data on
stdout, warnings and summaries on stderr. numpy and the CIB engine are imported inside the commands, pandas not at all.
"""

from __future__ import annotations

import contextlib
import itertools
import sys
from typing import TYPE_CHECKING, Iterator, Optional

import click

from scenmatrix.analysis.budgets import (CIB_BASIN_SAMPLE, MAX_CIB_BASIN_SCAN, MAX_CIB_BASIN_STATES, MAX_CIB_SCENARIOS,
                                         MAX_CIB_SEARCH_NODES, MAX_LISTED)
from scenmatrix.cli.app import FILE, cli, default_study, json_text

if TYPE_CHECKING:  # pathlib is imported where a path is used (app.PathParam): --help needs none
    from pathlib import Path

LONG_RUN = 2_000_000   # scenarios; a scan this large shows a progress bar on a terminal
BASIN_LONG_RUN = 200_000  # start scenarios; following succession costs more a scenario than a scan
SHOWN_WARNINGS = 3     # other commands show this many warnings; `cib check` shows them all

MATRIX_ARG = click.argument("matrix", type=FILE)
SCENARIO_ARG = click.argument("scenario")
JSON_OPT = click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")


@cli.group(name="cib")
def cib_group() -> None:
    """Cross-impact balance (CIB) analysis of a CSV or .scw matrix.

    A MATRIX ending in .scw is read as a ScenarioWizard model file (its judgments may be any
    integers -99..+99, as aggregated matrices hold). Any other file is read as CSV in the layout
    of ScenarioWizard's CSV export and other CIB software: two header rows (descriptor names, then
    variant names), two label columns (descriptor, variant), then integer judgments -3..+3 of how
    each row variant promotes (+) or hinders (-) each column variant; cells where a descriptor
    meets itself are blank.

    A SCENARIO picks one variant per descriptor: 1-based numbers in descriptor order (`313211`,
    or `3.1.12.2` when a descriptor has ten or more variants), variant names in order separated by
    commas, or `Descriptor=Variant,...` pairs.

    \b
    Examples:
      scenmatrix cib scenarios tests/data/cib/somewhereland.csv
      scenmatrix cib balances tests/data/cib/somewhereland.csv 213111
      scenmatrix cib succession tests/data/cib/somewhereland.csv 213111
      scenmatrix cib basins tests/data/cib/somewhereland.csv
      scenmatrix cib scenarios tests/data/cib/CIB_global.scw
    """


def _load(path: Path, shown: Optional[int] = SHOWN_WARNINGS):
    from scenmatrix.store.cib_files import read_matrix

    loaded = read_matrix(path)
    warnings = loaded.warnings if shown is None else loaded.warnings[:shown]
    for problem in warnings:
        click.echo(str(problem), err=True)
    if len(loaded.warnings) > len(warnings):
        more = len(loaded.warnings) - len(warnings)
        click.echo(f"{path}: {more} more warning{'s' * (more != 1)}; `scenmatrix cib check {path}` lists them all",
                   err=True)
    return loaded.matrix


def _scenario(matrix, text: str):
    from scenmatrix.analysis.cib import parse_scenario

    return parse_scenario(matrix, text)


def _echo_json(data: object) -> None:
    click.echo(json_text(data, indent=2, ensure_ascii=False))


@contextlib.contextmanager
def _progress(total: int, long_run: Optional[int] = None, label: str = "scanning scenarios") -> Iterator:
    """A progress callback drawing a bar on stderr, for long runs (`long_run`, LONG_RUN by default) on a terminal
    only."""
    if total < (LONG_RUN if long_run is None else long_run) or not _stderr_is_terminal():
        yield None
        return
    with click.progressbar(length=total, label=label, file=sys.stderr) as bar:
        shown = 0

        def update(done: int, _total: int) -> None:
            nonlocal shown
            bar.update(done - shown)
            shown = done

        yield update


def _stderr_is_terminal() -> bool:
    return sys.stderr.isatty()


@cib_group.command()
@MATRIX_ARG
def check(matrix: Path) -> None:
    """Check a matrix: every problem and warning, then a summary.

    Exit code 0 when the matrix can be used (warnings, such as judgment groups that do not sum to
    zero, do not count), 1 when it has problems.

    \b
    Example:
      $ scenmatrix cib check tests/data/cib/somewhereland.csv
      tests/data/cib/somewhereland.csv: 6 descriptors, 17 variants, 486 scenarios
    """
    model = _load(matrix, shown=None)
    click.echo(f"{matrix}: {len(model.descriptors)} descriptors, {model.n_variants} variants, "
               f"{model.n_scenarios:,} scenarios")


@cib_group.command()
@MATRIX_ARG
@click.option("-k", "--max-inconsistency", "k", type=click.IntRange(min=0), default=0, show_default=True,
              help="Also list scenarios whose inconsistency is at most K.")
@click.option("--max-scenarios", type=click.IntRange(min=1), default=MAX_CIB_SCENARIOS, show_default=True,
              help="Scan every scenario of a space up to this size where the search prunes little; a larger "
                   "space is only searched.")
@click.option("--max-nodes", type=click.IntRange(min=1), default=MAX_CIB_SEARCH_NODES, show_default=True,
              help="Stop the branch-and-bound search after this many partial scenarios, saying how much of the "
                   "space it settled.")
@click.option("--limit", type=click.IntRange(min=1), default=MAX_LISTED, show_default=True,
              help="List at most this many scenarios, the least inconsistent first; the summary says how many "
                   "more matched.")
@click.option("--sl", "solutions", type=FILE,
              help="Also write the scenarios listed as a ScenarioWizard solution set (.sl) to this file.")
@JSON_OPT
def scenarios(matrix: Path, k: int, max_scenarios: int, max_nodes: int, limit: int, solutions: Optional[Path],
              as_json: bool) -> None:
    """List the consistent scenarios of a matrix, exactly, at any size.

    With -k K, also those whose inconsistency is at most K. A depth-first branch-and-bound search
    assigns the descriptors one at a time and drops every partial scenario that bounds on the
    remaining descriptors' impacts prove can never come within K; where it prunes little and the
    space has at most --max-scenarios scenarios, every scenario is scanned instead. A search that
    reaches --max-nodes stops and says what share of the space it settled: other scenarios may
    exist in the rest (exit code 0, with a warning). Each scenario is shown by its code (variant
    numbers), the variant of each descriptor, its inconsistency and its total impact score;
    consistent ones first. At most --limit scenarios are kept and listed (memory grows with their
    number). A progress bar is drawn on a terminal for long runs. --sl writes them as a
    ScenarioWizard solution set: each with its basin under global succession (0 where the space is
    too large to follow whole), its consistency value (the least lead of a chosen variant) and its
    total impact score.

    \b
    Examples:
      $ scenmatrix cib scenarios tests/data/cib/somewhereland.csv
      code    Government        Foreign policy  ...  inconsistency  total impact
      122112  Patriots party    Rivalry         ...              0             9
      ...
      scenmatrix cib scenarios tests/data/cib/CIB_nested.scw
      scenmatrix cib scenarios matrix.csv -k 1 --json > near-consistent.json
      scenmatrix cib scenarios tests/data/cib/CIB_global.scw --sl solutions.sl
    """
    from scenmatrix.analysis import cib_reports
    from scenmatrix.cli import render
    from scenmatrix.store import cib_files

    if solutions is not None:
        cib_files.check_solutions_output(solutions, matrix)
    model = _load(matrix)
    with _progress(model.n_scenarios) as progress:
        listing = cib_reports.list_scenarios(model, k, source=str(matrix), progress=progress,
                                             max_scenarios=max_scenarios, limit=limit, max_nodes=max_nodes)
    click.echo(listing.summary, err=True)
    if solutions is not None:
        cib_files.write_solutions(solutions, listing.solution_rows())
        click.echo(f"wrote {solutions}", err=True)
    if as_json:
        for piece in listing.json_text():
            click.echo(piece, nl=False)
        click.echo()
    elif len(listing.found):
        # Streamed, with widths known in advance: the list may be long.
        for line in render.lines(listing.headers, listing.rows(), listing.widths(), listing.right, rule=False):
            click.echo(line)


@cib_group.command()
@MATRIX_ARG
@SCENARIO_ARG
@JSON_OPT
def balances(matrix: Path, scenario: str, as_json: bool) -> None:
    """Print a scenario's impact balance for every variant.

    A variant's balance is the sum of the judgments on it of the variants the scenario picks for the
    other descriptors. The scenario is consistent when each descriptor's chosen variant has the
    highest balance of its descriptor; its inconsistency is the largest shortfall.

    \b
    Example:
      $ scenmatrix cib balances tests/data/cib/somewhereland.csv 213111
      descriptor              variant           balance
      Government              Patriots party          0
                              Prosperity party        3  <- chosen
      ...
      Distribution of wealth  Balanced               -7  <- chosen, not the highest
                              Strong contrasts        7  <- highest
      ...
      inconsistency 14, total impact score 14: inconsistent (Distribution of wealth)
    """
    from scenmatrix.analysis import cib_reports
    from scenmatrix.cli import render

    model = _load(matrix)
    report = cib_reports.BalanceReport(model, _scenario(model, scenario))
    if as_json:
        _echo_json(report.to_json())
        return
    click.echo(render.table(report.headers, report.rows(), right=report.right, rule=False))
    click.echo(report.verdict)


@cib_group.command()
@MATRIX_ARG
@SCENARIO_ARG
@click.option("--rule", type=click.Choice(["global", "adjusted"]), default="global", show_default=True,
              help="global: every inconsistent descriptor switches each step; adjusted: only the most "
                   "inconsistent ones do.")
@JSON_OPT
def succession(matrix: Path, scenario: str, rule: str, as_json: bool) -> None:
    """Follow succession from SCENARIO to where it settles.

    That is the consistent scenario (or the cycle) it leads to. Each step switches inconsistent
    descriptors to their highest-balance variant and recomputes the balances, until a scenario
    repeats: a fixed point (a consistent scenario) or a cycle.

    \b
    Example:
      $ scenmatrix cib succession tests/data/cib/somewhereland.csv 213111
      step  code    Government        ...  inconsistency
         0  213111  Prosperity party  ...             14
         1  213211  Prosperity party  ...              3
         2  213221  Prosperity party  ...              0
      fixed point after 2 steps: 213221
    """
    from scenmatrix.analysis import cib_reports
    from scenmatrix.cli import render

    model = _load(matrix)
    report = cib_reports.follow(model, _scenario(model, scenario), rule)
    if as_json:
        _echo_json(report.to_json())
        return
    click.echo(render.table(report.headers, report.rows(), right=report.right, rule=False))
    click.echo(report.outcome)


@cib_group.command()
@MATRIX_ARG
@click.option("--sample", type=click.IntRange(1, MAX_CIB_BASIN_SCAN),
              help=f"Follow N start scenarios drawn uniformly from the space instead of every one (default: every "
                   f"one up to {MAX_CIB_BASIN_SCAN:,} scenarios, else {CIB_BASIN_SAMPLE:,}).")
@click.option("--seed", type=click.IntRange(min=0), default=0, show_default=True,
              help="Seed of the sample's draws, when sampling (the same seed draws the same starts).")
@JSON_OPT
def basins(matrix: Path, sample: Optional[int], seed: int, as_json: bool) -> None:
    """Count the scenarios that succession leads to each attractor.

    An attractor is a consistent scenario (a fixed point) or a cycle of scenarios that global
    succession (as in `cib succession`) goes round for ever; its basin is the start scenarios that
    end in it. Shown largest basin first, with its share of the starts. A space of more than
    {scan} scenarios is not followed from every scenario: a uniform sample of {sample} starts
    is (--sample N to choose N, --seed to draw others), and the summary says it was sampled, how many
    starts and how large the space is. Walks that pass through more than {states} distinct
    scenarios stop there (memory grows with them): the starts finished are counted, and a warning
    says how many of those asked for. --json gives {{"basins": [{{"code": ..., "size": N}} or
    {{"cycle": [...], "size": N}}, ...], "scanned": N, "space": M, "sampled": false|true}}; the sizes
    sum to "scanned".

    \b
    Example:
      $ scenmatrix cib basins tests/data/cib/somewhereland.csv
      basin   share  kind         attractor
        178  36.6 %  fixed point  132113
        127  26.1 %  fixed point  131233
      ...
          3   0.6 %  fixed point  322112
      tests/data/cib/somewhereland.csv: 10 attractors (10 fixed points, 0 cycles); global succession followed ...
      scenmatrix cib basins big.csv --sample 50000 --seed 7 --json > basins.json
    """
    from scenmatrix.analysis import cib_reports
    from scenmatrix.analysis.cib_basins import starts
    from scenmatrix.cli import render

    model = _load(matrix)
    with _progress(starts(model, sample), BASIN_LONG_RUN, "following succession") as progress:
        report = cib_reports.basin_report(model, str(matrix), sample, seed, progress)
    if report.warning:
        click.echo(report.warning, err=True)
    # Streamed, a few thousand pieces a write: there may be as many attractors as scenarios.
    if as_json:
        _echo_batched(itertools.chain(report.json_text(), ["\n"]))
        return
    lines = render.lines(report.headers, report.rows(), report.widths(), report.right, rule=False)
    _echo_batched(line + "\n" for line in itertools.chain(lines, [report.summary]))


def _echo_batched(pieces: Iterator[str], per: int = 4096) -> None:
    """Print pieces of text, joined `per` at a time (click flushes every echo)."""
    batch: list[str] = []
    for piece in pieces:
        batch.append(piece)
        if len(batch) >= per:
            click.echo("".join(batch), nl=False)
            batch = []
    if batch:
        click.echo("".join(batch), nl=False)


basins.help = basins.help.format(scan=f"{MAX_CIB_BASIN_SCAN:,}", sample=f"{CIB_BASIN_SAMPLE:,}",
                                 states=f"{MAX_CIB_BASIN_STATES:,}")


@cib_group.command()
@MATRIX_ARG
@SCENARIO_ARG
@click.option("-s", "--study", type=FILE,
              help="The study to add the scenario to (default: as for other commands).")
@click.option("--id", "scenario_id", required=True, help="Id of the new study scenario, e.g. S5.")
@click.option("--title", required=True, help="Title of the new study scenario.")
@click.option("--likelihood", required=True, help="ICD 203 term, e.g. 'roughly even chance'.")
@click.option("--confidence", required=True, help="low, moderate or high.")
@click.option("--horizon", help="Time horizon, e.g. '6-18 months'.")
@click.option("-n", "--dry-run", is_flag=True, help="Print the change as a diff; write nothing.")
def promote(matrix: Path, scenario: str, study: Optional[Path], scenario_id: str, title: str, likelihood: str,
            confidence: str, horizon: Optional[str], dry_run: bool) -> None:
    """Add a CIB scenario to a study as a new study scenario.

    Then its actor impacts can be assessed (`scenmatrix add impact`) and briefed. The new study
    scenario's narrative lists the CIB variant of each descriptor, with the scenario's
    inconsistency and total impact score. Likelihood and confidence are the analyst's
    judgment: CIB consistency says a scenario hangs together, not how likely it is.

    \b
    Example:
      scenmatrix cib promote matrix.csv 313211 -s scenarios/x.yaml --id S5 \\
          --title "Social party, cooperation, dynamic economy" \\
          --likelihood unlikely --confidence low
    """
    from scenmatrix.analysis import cib_reports
    from scenmatrix.edit import api as edit

    model = _load(matrix)
    promoted = cib_reports.promotion(model, _scenario(model, scenario), matrix.name, title, likelihood, confidence,
                                     horizon)
    if promoted.warning:
        click.echo(promoted.warning, err=True)
    path = default_study(study)
    diff = edit.add(path, "scenario", scenario_id, promoted.fields, dry_run=dry_run).diff
    if dry_run:
        click.echo(diff, nl=False)
    else:
        click.echo(f"{path}: added scenario {scenario_id} (CIB {promoted.code})")
