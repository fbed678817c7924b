"""The study commands: validate, export, brief, analyze, import, templates, schema.

Each parses its options, makes one library call and prints the result. Heavy modules (pandas,
openpyxl, pydantic) are imported inside the commands, so that `--help` starts fast.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Optional

import click

from scenmatrix import errors
from scenmatrix.analysis.budgets import (MAX_BRIEF_CIB_NODES, MAX_CIB_SCENARIOS, MAX_CIB_SEARCH_NODES, MAX_SAMPLES,
                                         MIN_SAMPLES)
from scenmatrix.study.columns import TABLES
from scenmatrix.cli.app import (ANY_PATH, EXIT_PROBLEMS, FILE, STUDY_ARG, STUDY_DIR, LateProgressBar, cli,
                                default_study)

if TYPE_CHECKING:  # pathlib is imported where a path is used (app.PathParam): --help needs none
    from pathlib import Path


@cli.command()
@click.argument("paths", nargs=-1, type=ANY_PATH)
@click.option("--strict", is_flag=True, help="Fail (exit 1) on warnings too: for CI and pre-commit hooks.")
def validate(paths: tuple[Path, ...], strict: bool) -> None:
    """Check studies and report every problem with its position.

    Problems are printed one a line, as path:line:col: message — hint. With no PATH, checks every
    *.yaml under scenarios/. A folder checks the studies in it. Exit code 0 when all are valid, 1
    when any problem was found. Warnings are printed too but do not fail the check (with --strict
    they do, exit 1): cross-impact judgment groups that do not sum to zero; evidence quotes not
    found in the local copy (study.sources.ID.path) of the source they cite, compared with
    spacing, case, curly quotes and dashes ignored; a local copy that cannot be read.

    \b
    Examples:
      $ scenmatrix validate scenarios/russia-iran-2022.yaml
      scenarios/russia-iran-2022.yaml: valid (4 scenarios, 22 actors, 34 impacts, ...)
      $ scenmatrix validate draft.yaml
      draft.yaml:622:17: scenarios.S1.likelihood: 'probable' is not a valid likelihood term — did
      you mean 'likely'?
      $ scenmatrix validate --strict draft.yaml     # in CI: a misquote fails too
      draft.yaml:198:12: warning: evidence.E06.quote: 'an agreement to transfer space
      techniques' is not in the text of source 'khater-2022' (sources/khater.txt) — ...
    """
    from pathlib import Path

    from scenmatrix.store.report import check_studies

    targets = _expand(paths or (Path(STUDY_DIR),))
    if not targets:
        raise click.UsageError("no study files found; give a path to a .yaml study")
    report = check_studies(targets)
    for line in report.summaries:
        click.echo(line)
    for problem in report.warnings + report.problems:
        click.echo(str(problem), err=True)
    if report.problems or (strict and report.warnings):
        click.get_current_context().exit(EXIT_PROBLEMS)


def _expand(paths: tuple[Path, ...]) -> list[Path]:
    out: list[Path] = []
    for path in paths:
        out += sorted(path.glob("*.yaml")) + sorted(path.glob("*.yml")) if path.is_dir() else [path]
    return out


@cli.command()
@STUDY_ARG
@click.option("-f", "--format", "fmt", type=click.Choice(["json", "csv", "scw"]), default="json", show_default=True,
              help="json: the tables (or one, with --table) as one document; csv: one table; scw: the "
                   "cross-impact model (cib:) as a ScenarioWizard .scw model file.")
@click.option("--table", type=click.Choice(TABLES),
    help="Only this table (required for CSV on stdout).")
@click.option("-o", "--output", type=ANY_PATH,
              help="Write one file a table into this folder instead of stdout; with --format scw, the .scw file.")
def export(study: Optional[Path], fmt: str, table: Optional[str], output: Optional[Path]) -> None:
    """Print the study's tables as JSON or CSV, or into files.

    One row an entry, ids written out: sources, key judgments, actors, scenarios, indicators,
    impacts (one row a scenario and actor), evidence and drivers (constraints included), and the
    cross-impact model's descriptors, variants and judgments.

    In CSV, text a spreadsheet would evaluate (starting with = + - @, a tab or CR, or an error
    code such as #N/A) is written with a leading apostrophe, so that opening the file runs nothing;
    numbers stay numbers. JSON keeps every text exactly.

    --format scw writes the study's cross-impact model as ScenarioWizard writes a model
    (Windows-1252, CRLF): descriptors and variants named by their ids, the judgments, the model's
    note; `scenmatrix cib scenarios FILE.scw` then finds the consistent scenarios `analyze` does.

    \b
    Examples:
      scenmatrix export --format json > study.json
      scenmatrix export --format csv --table impacts
      scenmatrix export --format csv -o exports/
      scenmatrix export --format scw -o model.scw
    """
    from scenmatrix.store import export as exporter
    from scenmatrix.store.loader import load

    if fmt == "csv" and output is None and table is None:
        raise click.UsageError("CSV to stdout needs --table NAME (or -o FOLDER for every table)")
    if fmt == "scw" and table is not None:
        raise click.UsageError("--table does not apply to --format scw (the .scw file is the cross-impact model)")
    path = default_study(study)
    loaded = load(path)
    if fmt == "scw" and output is not None:
        click.echo(f"wrote {exporter.write_cib_scw(loaded.study, output, {'the study': path})}", err=True)
    elif fmt == "scw":
        click.get_binary_stream("stdout").write(exporter.cib_scw(loaded.study, path.stem + ".scw"))
    elif output is not None:
        for written in exporter.export_folder(loaded.study, fmt, output):
            click.echo(f"wrote {written}", err=True)
    elif fmt == "json":
        click.echo(exporter.to_json(loaded.study, table), nl=False)
    else:
        click.echo(exporter.to_csv(loaded.study, table), nl=False)


@cli.command()
@STUDY_ARG
@click.option("-t", "--template", default="standard", show_default=True,
              help="A template name from `scenmatrix templates`, or a path to a template .yaml.")
@click.option("-o", "--output", type=FILE,
              help="Where to write the .xlsx (default: briefs/STUDY-TEMPLATE.xlsx).")
@click.option("--since", metavar="REV", help="Add a Changes sheet: what changed in the study since git revision REV.")
@click.option("--max-nodes", type=click.IntRange(min=1), default=MAX_BRIEF_CIB_NODES, show_default=True,
              help="Stop the Cross-impact sheet's search after this many partial scenarios; the sheet says how "
                   "much of the space it settled.")
def brief(study: Optional[Path], template: str, output: Optional[Path], since: Optional[str], max_nodes: int) -> None:
    """Build an Excel brief of a study from a template.

    TEMPLATE is a name from `scenmatrix templates` or a path to a template .yaml. The file is
    written atomically: a failed build leaves any earlier brief at OUTPUT untouched.

    \b
    Examples:
      scenmatrix brief                                  briefs/russia-iran-2022-standard.xlsx
      scenmatrix brief -t executive -o exec.xlsx
      scenmatrix brief scenarios/other.yaml -t templates/mine.yaml
      scenmatrix brief --since HEAD~3                   adds a Changes sheet
    """
    from scenmatrix.brief.build import build_brief_file
    from scenmatrix.brief.template import available, resolve

    if not resolve(template).exists():
        names = ", ".join(name for name, _ in available())
        raise click.BadParameter(f"no template {template!r}; choose one of {names}, or give a path to a .yaml",
                                 param_hint="-t/--template")
    path = default_study(study)
    with LateProgressBar("Building brief") as progress:
        out = build_brief_file(path, template, output, since=since, progress=progress, cib_nodes=max_nodes)
    click.echo(f"wrote {out}")


@cli.command()
@STUDY_ARG
@click.option("--json", "as_json", is_flag=True, help="Print every table as JSON, for scripts.")
@click.option("--samples", default=10_000, show_default=True, type=click.IntRange(MIN_SAMPLES, MAX_SAMPLES),
              help=f"Monte Carlo draws, {MIN_SAMPLES:,} to {MAX_SAMPLES:,}; memory stays bounded (at most 128 MB of "
                   "net impacts at once), time grows with draws x actors.")
@click.option("--seed", default=2022, show_default=True, type=int, help="Monte Carlo seed (same seed, same figures).")
@click.option("--max-scenarios", type=click.IntRange(min=1), default=MAX_CIB_SCENARIOS, show_default=True,
              help="Where the cross-impact search prunes little, scan every scenario of a `cib:` model up to "
                   "this size instead; a larger one is only searched.")
@click.option("--max-nodes", type=click.IntRange(min=1), default=MAX_CIB_SEARCH_NODES, show_default=True,
              help="Stop the cross-impact search after this many partial scenarios, saying how much of the space "
                   "it settled.")
def analyze(study: Optional[Path], as_json: bool, samples: int, seed: int, max_scenarios: int,
            max_nodes: int) -> None:
    """Rank actors by exposure; show what moves them and who aligns.

    \b
    Per actor: expected net impact (band midpoints) and its range (band edges), expected harm
    (exp.harm: the harms alone) and the rank it gives (harm#, the list's order), worst case,
    spread, Monte Carlo percentiles of net impact with likelihoods drawn within their bands and
    the chance it is negative, and the one judgment that moves it most. When reviewers' ratings
    are recorded (`import --as NAME`), how far each actor's expected impact moves across the
    raters: recomputed with each reviewer's likelihoods and effects in place of the lead's
    (JSON: "raters", min..max per actor).
    Then the strongest alignments and oppositions between actors (MACTOR-style), each with the
    number of scenarios both are rated in (shared); a pair sharing fewer than 2 is left out, as
    its ±1 would rest on one scenario. When the
    study has a cross-impact model (`cib:`), its consistent scenarios: the variant of each
    descriptor, the inconsistency and the total impact score, found exactly at any size by the
    branch-and-bound search of `cib scenarios`. A search that reaches --max-nodes stops and says
    what share of the space it settled: other consistent scenarios may exist in the rest (JSON:
    "complete": false; exit code 0).

    \b
    Examples:
      scenmatrix analyze
      scenmatrix analyze --json | jq '.actors[0]'
    """
    from scenmatrix.analysis.report import analyze_study
    from scenmatrix.store.loader import load

    analysis = analyze_study(load(default_study(study)).study, samples=samples, seed=seed, max_scenarios=max_scenarios,
                             max_nodes=max_nodes)
    if as_json:
        import json

        click.echo(json.dumps(analysis.to_json(), indent=2, ensure_ascii=False))
        return
    from scenmatrix.cli import render

    click.echo(f"Actors, most exposed first ({samples:,} Monte Carlo draws, seed {seed})\n")
    click.echo(render.actor_report(analysis))
    scope = f" ({analysis.alignment_scope})" if analysis.alignment_scope else ""
    click.echo(f"\nStrongest alignments and oppositions{scope}\n")
    click.echo(render.pairs(analysis))
    if analysis.cib is not None:
        click.echo("\n" + render.cib_scenarios(analysis.cib))
    if analysis.raters:
        click.echo("\nExpected impact across raters (each reviewer's ratings in place of the lead's where given)\n")
        click.echo(render.raters(analysis))


@cli.command("import")
@click.argument("brief_path", metavar="BRIEF.xlsx", type=FILE)
@click.option("-s", "--study", type=FILE,
              help="The study the brief was made from (default: as for other commands).")
@click.option("--apply", "do_apply", is_flag=True, help="Write the changes to the study (otherwise only show them).")
@click.option("--theirs", "prefer", flag_value="theirs", help="On a conflict, take the brief's value.")
@click.option("--ours", "prefer", flag_value="ours", help="On a conflict, keep the study's value.")
@click.option("--as", "as_name", metavar="NAME", help="Record the brief's ratings as reviewer NAME's, beside the "
              "lead analyst's (which stay as they are); replaces NAME's earlier ratings.")
@click.option("--json", "as_json", is_flag=True, help="Print the changes as JSON.")
def import_(brief_path: Path, study: Optional[Path], do_apply: bool, prefer: Optional[str], as_name: Optional[str],
            as_json: bool) -> None:
    """Read a reviewed brief's ratings back into its study.

    Shows what the reviewer changed in the editable cells (impact effect, confidence and rationale;
    scenario likelihood and confidence; indicator status; evidence grade and contested-by) and new
    rows in the Impacts table. With --apply the changes are written through the same path as
    `scenmatrix set` (validated, comments kept, atomic, locked). If the study changed since the
    brief was made, the three versions are merged; a field changed on both sides is a conflict and
    nothing is written unless --theirs or --ours says which side wins. Rows deleted in the brief are
    reported, never removed from the study.

    Columns are found by their headers, so a reviewer may move columns or add their own (those are
    named and ignored). An effect changed on a heatmap (the Matrix sheet, the executive summary) is
    imported like the same change on the Impacts sheet (the two must agree); a heatmap cell that
    rates a new pair or clears one is reported with its cell and where to make that change. A
    formula, an error value, or a value a field does not take is refused with its cell, and
    nothing is written.

    With --as NAME the brief is a second reader's independent rating: the effects, likelihoods and
    confidences NAME changed are recorded under `ratings: NAME:` in the study, the lead analyst's
    values are left as they are, and other edits are named and not imported. Importing as NAME
    again replaces NAME's ratings. `scenmatrix review` lists where raters disagree.

    \b
    Examples:
      scenmatrix import reviewed.xlsx
      scenmatrix import reviewed.xlsx --apply
      scenmatrix import reviewed.xlsx -s scenarios/other.yaml --apply --theirs
      scenmatrix import alice.xlsx --as alice --apply
    """
    if as_name is not None:
        _import_ratings(brief_path, study, as_name, do_apply, as_json)
        return
    from scenmatrix.review.importer import apply_import, describe, plan_import

    plan = plan_import(brief_path, default_study(study))
    if as_json:
        import json

        click.echo(json.dumps(plan.to_json(), indent=2, ensure_ascii=False))
    else:
        for line in describe(plan):
            click.echo(line)
    if plan.empty:
        return
    if not do_apply:
        click.echo("nothing written; run again with --apply to write these changes", err=True)
        return
    apply_import(plan, prefer)
    click.echo(f"applied to {plan.study}", err=True)


def _import_ratings(brief_path: Path, study: Optional[Path], name: str, do_apply: bool, as_json: bool) -> None:
    from scenmatrix.review.ratings_import import apply_ratings, describe_ratings, plan_reviewer_import

    plan = plan_reviewer_import(brief_path, default_study(study), name)
    if as_json:
        import json

        click.echo(json.dumps(plan.to_json(), indent=2, ensure_ascii=False))
    else:
        for line in describe_ratings(plan):
            click.echo(line)
    if plan.empty:
        return
    if not do_apply:
        click.echo(f"nothing written; run again with --apply to record {name}'s ratings", err=True)
        return
    apply_ratings(plan)
    click.echo(f"recorded {name}'s ratings in {plan.study}", err=True)


@cli.command()
def templates() -> None:
    """List the brief templates (templates/), with what each is for.

    Copy one (e.g. templates/standard.yaml) to change sheets, columns, titles, fonts or colours,
    then pass its path to `scenmatrix brief -t`.

    \b
    Examples:
      $ scenmatrix templates
      annex        Data tables only — actors, scenarios, indicators, impacts, evidence, ...
      executive    One page (two if 8-pt type needs them) — key judgments, the heatmap, the five most exposed actors.
      standard     The full brief — cover, matrix, actors, scenarios, indicators, ...
      scenmatrix brief -t executive
    """
    from scenmatrix.brief.template import available, template_dirs

    found = available()
    if not found:
        where = " or ".join(str(folder) for folder in template_dirs())
        raise errors.TemplateError([errors.Problem(where, 1, 1, "template", "no template found",
                                                   "the installation lacks its built-in templates: reinstall")])
    for name, description in found:
        click.echo(f"{name:<12} {description}")


@cli.command()
def schema() -> None:
    """Print the JSON Schema of a study file, for editors and tools.

    Each study's first line, `# yaml-language-server: $schema=study.schema.json`, points editors
    with the YAML language server at the schema, so that they complete and check a study as it is
    typed.

    \b
    Example:
      scenmatrix schema > scenarios/study.schema.json
    """
    from scenmatrix.store.packaged import study_schema_text

    click.echo(study_schema_text(), nl=False)
