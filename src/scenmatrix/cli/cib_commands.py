"""Command-line access to cross-impact balance analysis (`scenmatrix cib ...`).

Each command reads the matrix, calls `scenmatrix.analysis.cib`, and prints: data on stdout, warnings and
summaries on stderr. numpy and the CIB engine are imported inside the commands, pandas not at all.
"""

from __future__ import annotations

import contextlib
import json
import sys
from pathlib import Path
from typing import Iterator, Optional

import click

from scenmatrix.cli.app import cli, default_study, reports_problems

LONG_RUN = 2_000_000   # scenarios; a scan this large shows a progress bar on a terminal
SHOWN_WARNINGS = 3     # other commands show this many warnings; `cib check` shows them all

MATRIX_ARG = click.argument("matrix", type=click.Path(path_type=Path, dir_okay=False))
SCENARIO_ARG = click.argument("scenario")
JSON_OPT = click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")


@cli.group(name="cib")
def cib_group() -> None:
    """Cross-impact balance (CIB) analysis of a matrix in CSV.

    The CSV has the layout of ScenarioWizard and other CIB software: two header rows (descriptor
    names, then variant names), two label columns (descriptor, variant), then integer judgments
    -3..+3 of how each row variant promotes (+) or hinders (-) each column variant; cells where a
    descriptor meets itself are blank.

    A SCENARIO picks one variant per descriptor: 1-based numbers in descriptor order (`313211`,
    or `3.1.12.2` when a descriptor has ten or more variants), variant names in order separated by
    commas, or `Descriptor=Variant,...` pairs.

    \b
    Examples:
      scenmatrix cib scenarios tests/data/cib/somewhereland.csv
      scenmatrix cib balances tests/data/cib/somewhereland.csv 213111
      scenmatrix cib succession tests/data/cib/somewhereland.csv 213111
    """


def _load(path: Path, shown: Optional[int] = SHOWN_WARNINGS):
    from scenmatrix.store.cib_csv import read_matrix

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
    from scenmatrix.analysis.cib import CIBError, parse_scenario

    try:
        return parse_scenario(matrix, text)
    except CIBError as exc:
        raise click.BadParameter("; ".join(f"{p.message} — {p.hint}" if p.hint else p.message
                                           for p in exc.problems), param_hint="SCENARIO") from None


def _echo_json(data: object) -> None:
    click.echo(json.dumps(data, indent=2, ensure_ascii=False))


def _table(rows: list[list[str]], right: frozenset[int] = frozenset(), widths: Optional[list[int]] = None) -> None:
    """Columns padded to `widths` (default: their widest cell); columns in `right` aligned right."""
    widths = widths or [max(len(row[c]) for row in rows) for c in range(len(rows[0]))]
    for row in rows:
        cells = [cell.rjust(w) if c in right else cell.ljust(w) for c, (cell, w) in enumerate(zip(row, widths))]
        click.echo("  ".join(cells).rstrip())


@contextlib.contextmanager
def _progress(total: int) -> Iterator:
    """A progress callback drawing a bar on stderr, for long scans on a terminal only."""
    if total < LONG_RUN or not _stderr_is_terminal():
        yield None
        return
    with click.progressbar(length=total, label="scanning scenarios", file=sys.stderr) as bar:
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
@reports_problems
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
@JSON_OPT
@reports_problems
def scenarios(matrix: Path, k: int, as_json: bool) -> None:
    """List the consistent scenarios of a matrix.

    With -k K, also those whose inconsistency is at most K. Scans every scenario. Each is shown by
    its code (variant numbers), the variant of each descriptor, its inconsistency and its total
    impact score; consistent ones first.

    \b
    Examples:
      $ scenmatrix cib scenarios tests/data/cib/somewhereland.csv
      code    Government        Foreign policy  ...  inconsistency  total impact
      122112  Patriots party    Rivalry         ...              0             9
      ...
      scenmatrix cib scenarios matrix.csv -k 1 --json > near-consistent.json
    """
    from scenmatrix.analysis import cib

    model = _load(matrix)
    with _progress(model.n_scenarios) as progress:
        found = cib.enumerate_scenarios(model, k, progress=progress)
    what = "consistent scenarios" if k == 0 else f"scenarios with inconsistency <= {k}"
    click.echo(f"{matrix}: {len(found):,} {what} of {found.scanned:,}", err=True)
    if as_json:
        _echo_json({
            "matrix": str(matrix), "descriptors": list(model.descriptors), "scanned": found.scanned,
            "max_inconsistency": k,
            "scenarios": [{"code": cib.scenario_code(model, s), "variants": model.names(s),
                           "inconsistency": inc, "total_impact_score": tot} for s, inc, tot in found.sorted()],
        })
    elif len(found):
        # Streamed, with widths known in advance: the list may be long.
        header = ["code", *model.descriptors, "inconsistency", "total impact"]
        widths = [max(len(header[0]), len(cib.scenario_code(model, [n - 1 for n in model.sizes])))]
        widths += [max(len(d), *map(len, vs)) for d, vs in zip(model.descriptors, model.variants)]
        widths += [len(header[-2]), max(len(header[-1]), len(str(int(abs(found.total_impact).max()))) + 1)]
        rows = ([cib.scenario_code(model, s), *model.names(s).values(), str(inc), str(tot)]
                for s, inc, tot in found.sorted())
        _table([header], right=frozenset({len(header) - 2, len(header) - 1}), widths=widths)
        for row in rows:
            _table([row], right=frozenset({len(header) - 2, len(header) - 1}), widths=widths)


@cib_group.command()
@MATRIX_ARG
@SCENARIO_ARG
@JSON_OPT
@reports_problems
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
    from scenmatrix.analysis import cib

    model = _load(matrix)
    s = _scenario(model, scenario)
    bal = cib.balances(model, s)
    gaps = cib.descriptor_gaps(model, s)
    inc, tot = int(gaps.max()), cib.total_impact_score(model, s)
    off = model.offsets
    if as_json:
        _echo_json({
            "code": cib.scenario_code(model, s), "variants": model.names(s), "consistent": inc == 0,
            "inconsistency": inc, "total_impact_score": tot,
            "balances": {d: {v: int(bal[off[k] + j]) for j, v in enumerate(model.variants[k])}
                         for k, d in enumerate(model.descriptors)},
        })
        return
    rows = [["descriptor", "variant", "balance", ""]]
    for k, d in enumerate(model.descriptors):
        block = bal[off[k]:off[k] + model.sizes[k]]
        for j, v in enumerate(model.variants[k]):
            best, chosen = block[j] == block.max(), j == s[k]
            mark = "<- chosen" if chosen and best else "<- chosen, not the highest" if chosen else \
                "<- highest" if best and gaps[k] else ""
            rows.append([d if j == 0 else "", v, str(int(block[j])), mark])
    _table(rows, right=frozenset({2}))
    off_by = [d for d, g in zip(model.descriptors, gaps) if g]
    verdict = "consistent" if inc == 0 else f"inconsistent ({', '.join(off_by)})"
    click.echo(f"inconsistency {inc}, total impact score {tot}: {verdict}")


@cib_group.command()
@MATRIX_ARG
@SCENARIO_ARG
@click.option("--rule", type=click.Choice(["global", "adjusted"]), default="global", show_default=True,
              help="global: every inconsistent descriptor switches each step; adjusted: only the most "
                   "inconsistent ones do.")
@JSON_OPT
@reports_problems
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
    from scenmatrix.analysis import cib

    model = _load(matrix)
    result = cib.succession(model, _scenario(model, scenario), rule)
    code = lambda s: cib.scenario_code(model, s)  # noqa: E731
    if not result.attractor:
        outcome = f"no attractor within {result.steps} steps"
    elif result.is_cycle:
        loop = " -> ".join(code(s) for s in (*result.attractor, result.attractor[0]))
        outcome = f"cycle of {len(result.attractor)} scenarios after {result.steps} steps: {loop}"
    else:
        outcome = f"fixed point after {result.steps} step{'s' * (result.steps != 1)}: {code(result.attractor[0])}"
    if as_json:
        _echo_json({
            "rule": rule, "steps": result.steps, "cycle": result.is_cycle,
            "path": [{"code": code(s), "variants": model.names(s), "inconsistency": cib.inconsistency(model, s)}
                     for s in result.path],
            "attractor": [code(s) for s in result.attractor],
        })
        return
    rows = [["step", "code", *model.descriptors, "inconsistency"]]
    for step, s in enumerate(result.path):
        rows.append([str(step), code(s), *model.names(s).values(), str(cib.inconsistency(model, s))])
    _table(rows, right=frozenset({0, len(rows[0]) - 1}))
    click.echo(outcome)


@cib_group.command()
@MATRIX_ARG
@SCENARIO_ARG
@click.option("-s", "--study", type=click.Path(path_type=Path, dir_okay=False),
              help="The study to add the scenario to (default: as for other commands).")
@click.option("--id", "scenario_id", required=True, help="Id of the new study scenario, e.g. S5.")
@click.option("--title", required=True, help="Title of the new study scenario.")
@click.option("--likelihood", required=True, help="ICD 203 term, e.g. 'roughly even chance'.")
@click.option("--confidence", required=True, help="low, moderate or high.")
@click.option("--horizon", help="Time horizon, e.g. '6-18 months'.")
@click.option("-n", "--dry-run", is_flag=True, help="Print the change as a diff; write nothing.")
@reports_problems
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
    from scenmatrix.analysis import cib
    from scenmatrix.edit import api as edit

    model = _load(matrix)
    s = _scenario(model, scenario)
    inc, tot = cib.inconsistency(model, s), cib.total_impact_score(model, s)
    if inc:
        click.echo(f"warning: CIB scenario {cib.scenario_code(model, s)} is not consistent "
                   f"(inconsistency {inc})", err=True)
    narrative = (f"Cross-impact balance scenario {cib.scenario_code(model, s)} of {matrix.name}: "
                 + "; ".join(f"{d}: {v}" for d, v in model.names(s).items())
                 + f". Inconsistency {inc}, total impact score {tot}.")
    fields = {"title": title, "narrative": narrative, "likelihood": likelihood, "confidence": confidence}
    if horizon:
        fields["horizon"] = horizon
    path = default_study(study)
    diff = edit.add(path, "scenario", scenario_id, fields, dry_run=dry_run).diff
    if dry_run:
        click.echo(diff, nl=False)
    else:
        click.echo(f"{path}: added scenario {scenario_id} (CIB {cib.scenario_code(model, s)})")
