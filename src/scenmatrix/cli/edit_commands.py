"""Command-line editing of studies: new, add, set, rm, rename, list, show, diff.

Each command parses its options, calls `scenmatrix.edit` (or `diff`), and prints. Only click and
plain-data modules are imported here, so `--help` stays fast; ruamel and pydantic are imported
when a command runs, pandas and openpyxl never.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, Callable, Optional

import click

from scenmatrix.study import vocab
from scenmatrix.cli.app import FILE, STUDY_ARG, cli, default_study, json_text
from scenmatrix.errors import a
from scenmatrix.study.kinds import ALL_FIELDS, KINDS, kind_named, option_of

if TYPE_CHECKING:  # pathlib is imported where a path is used (app.PathParam): --help needs none
    from pathlib import Path

KIND_NAMES = list(KINDS)

# option name -> (field, takes several values, help)
FIELD_OPTIONS: list[tuple[str, str, bool, str]] = [
    ("name", "name", False, "actor: display name"),
    ("kind", "kind", False, "actor: " + ", ".join(vocab.ACTOR_KINDS)),
    ("alias", "aliases", True, "actor: another name (repeat for several)"),
    ("title", "title", False, "scenario, driver, constraint, source, study, descriptor, variant: title"),
    ("as-of", "as_of", False, "study: date the assessment is current to, YYYY-MM-DD"),
    ("marking", "marking", False, "study: TLP 2.0 marking, " + ", ".join(vocab.TLP)),
    ("likelihood-scale", "likelihood_scale", False, "study: the scale of its likelihood words, "
     + " or ".join(f"{name} ({vocab.SCALE_NAMES[name]})" for name in vocab.SCALES)),
    ("scenario-set", "scenario_set", False, "study: exclusive (its scenarios are mutually exclusive, their "
     "probabilities sum to 100 %) or overlapping (several may unfold; the default)"),
    ("narrative", "narrative", False, "scenario: what happens"),
    ("likelihood", "likelihood", False, "scenario: ICD 203 term (" + ", ".join(vocab.ICD203) + "), or in a study "
     "with likelihood_scale: phia, a PHIA yardstick term (" + ", ".join(vocab.PHIA) + "); any case"),
    ("confidence", "confidence", False, "scenario, impact: " + ", ".join(vocab.CONFIDENCE)),
    ("horizon", "horizon", False, "scenario: time horizon, e.g. '6-18 months'"),
    ("driver", "drivers", True, "scenario: driver id (repeat, or comma-separate)"),
    ("constraint", "constraints", True, "scenario: constraint id (repeat, or comma-separate)"),
    ("effect", "effect", False, "impact: -3 severe harm .. 0 none .. 3 major gain"),
    ("domain", "domains", True, "impact: " + ", ".join(vocab.DOMAINS) + ", or one of the study's own "
     "(repeat for several); study: the domains it adds, e.g. humanitarian (the whole list)"),
    ("rationale", "rationale", False, "impact: why"),
    ("evidence", "evidence", True, "impact, driver, constraint: evidence id (repeat, or comma-separate)"),
    ("text", "text", False, "indicator, key-judgment: the text"),
    ("status", "status", False, "indicator: " + ", ".join(vocab.INDICATOR_STATUS)),
    ("claim", "claim", False, "evidence: the claim"),
    ("source", "source", False, "evidence: who made the claim"),
    ("cited-in", "cited_in", False, "evidence: id of the study source reporting it"),
    ("grade", "grade", False, "evidence: Admiralty grade, e.g. B2"),
    ("quote", "quote", False, "evidence: quotation"),
    ("contested-by", "contested_by", True, "evidence: ACTOR=how it contests the claim (repeat)"),
    ("description", "description", False, "driver, constraint: description"),
    ("author", "author", False, "source: author"),
    ("publisher", "publisher", False, "source: publisher"),
    ("date", "date", False, "source: date, YYYY-MM-DD"),
    ("url", "url", False, "source: URL"),
    ("path", "path", False, "source: path to a local copy"),
    ("note", "note", False, "cib: whose judgment the cross-impact model is, and on what basis"),
    ("variant", "variants", True, "descriptor: ID=TITLE of one of its variants (repeat; two or more)"),
    ("value", "value", False, "judgment: how strongly the first variant promotes (1..3) or hinders (-1..-3) the "
     "second, 0 neither"),
]
assert {field for _, field, _, _ in FIELD_OPTIONS} == set(ALL_FIELDS)
assert all(option_of(field) == f"--{option}" for option, field, _, _ in FIELD_OPTIONS)  # kinds.OPTION_NAMES


# ------------------------------------------------------------------------------------------
# Shared options and helpers


def _complete_kind(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[str]:
    return [k for k in KIND_NAMES if k.startswith(incomplete)]


def _complete_ids(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[str]:
    """Ids from the study: of the command's KIND, or scenarios/actors for --scenario/--actor."""
    try:
        from scenmatrix.edit import api as edit

        kind = {"scenario": "scenario", "actor": "actor"}.get(param.name or "") or ctx.params.get("kind") or "actor"
        study = default_study(ctx.params.get("study"))
        ids = [row["id"] for row in edit.entries(study, kind)]
        return [i for i in ids if i.startswith(incomplete)]
    except Exception:  # completion must never fail loudly
        return []


def _complete_choice(field: str) -> Callable:
    def complete(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[str]:
        return [c for c in vocab.WORDS[field] if c.startswith(incomplete)]
    return complete


def study_option(func: Callable) -> Callable:
    return click.option("-s", "--study", type=FILE,
                        help="The study file (default: $SCENMATRIX_STUDY, else the only study under "
                             "scenarios/; with several, name one).")(func)


def dry_run_option(func: Callable) -> Callable:
    return click.option("-n", "--dry-run", is_flag=True,
                        help="Print the unified diff the edit would make; write nothing.")(func)


def kind_argument(func: Callable) -> Callable:
    return click.argument("kind", metavar="KIND", shell_complete=_complete_kind,
                          callback=_check_kind)(func)


def _check_kind(ctx: click.Context, param: click.Parameter, value: str) -> str:
    kind = kind_named(value)
    if kind is None:
        raise click.BadParameter(f"{value!r} is not one of: {', '.join(KIND_NAMES)} (or their plurals; kj for "
                                 "key-judgment)")
    return kind.name


def where_options(func: Callable) -> Callable:
    func = click.option("--actor", shell_complete=_complete_ids, help="impact: the actor (or write SCENARIO/ACTOR).")(func)
    return click.option("--scenario", shell_complete=_complete_ids,
                        help="impact, indicator: the scenario (or write SCENARIO/ID).")(func)


def field_options(func: Callable) -> Callable:
    for option, field, multiple, help_text in reversed(FIELD_OPTIONS):
        complete = _complete_choice(field) if field in vocab.WORDS else None
        func = click.option(f"--{option}", f"f_{field}", multiple=multiple, metavar="N" if ALL_FIELDS[field] == "int" else "TEXT",
                            help=help_text, shell_complete=complete)(func)
    return func


def _fields(kind: str, params: dict[str, Any], unset: tuple[str, ...] = ()) -> dict[str, Any]:
    k = KINDS[kind]
    fields: dict[str, Any] = {}
    for option, field, multiple, _ in FIELD_OPTIONS:
        value = params.get(f"f_{field}")
        if value is None or (multiple and not value):
            continue
        if field not in k.fields:
            raise click.UsageError(f"--{option} does not apply to {a(kind)} (its fields: {', '.join(k.fields)})")
        fields[field] = list(value) if multiple else value
    for field in unset:
        field = field.replace("-", "_")
        if field not in k.fields:
            raise click.UsageError(f"--unset {field}: {a(kind)} has no such field (its fields: {', '.join(k.fields)})")
        if field in k.required:
            raise click.UsageError(f"--unset {field}: {a(kind)} needs its {field}")
        fields[field] = None
    return fields


# A judgment's value may be its last word, and half of all judgments are negative, which click would take
# for an option (`No such option '-2'`). So `add` and `set` let unknown options through as words, and
# `_id` turns each such word that is not a number back into click's own error.
NEGATIVE_WORDS = {"ignore_unknown_options": True}
_NUMBER = re.compile(r"-\d+(\.\d+)?")


def ids_argument(func: Callable) -> Callable:
    return click.argument("id", nargs=-1, metavar="[ID]...", shell_complete=_complete_ids)(func)


def _id(kind: str, ids: tuple[str, ...], fields: Optional[dict[str, Any]] = None) -> Optional[str]:
    """The entry's id from the words given (a judgment's two variants); a scalar entry's value may follow
    them as one more word (`set judgment A.x B.y 2`), put into `fields`."""
    for word in ids:
        if word.startswith("-") and not _NUMBER.fullmatch(word):
            ctx = click.get_current_context()
            raise click.NoSuchOption(word.split("=", 1)[0], ctx=ctx,
                                     possibilities=[o for p in ctx.command.params for o in p.opts])
    k = KINDS[kind]
    if fields is not None and k.scalar and len(ids) == k.words + 1:
        if fields.get(k.value_field) is not None:
            raise click.UsageError(f"give the {k.value_field} once: as the last word or as {option_of(k.value_field)}")
        fields[k.value_field] = ids[-1]
        ids = ids[:-1]
    if len(ids) > k.words:
        raise click.UsageError(f"{a(kind)} is named by {k.words} word{'s' * (k.words > 1)}; got {len(ids)}: "
                               + " ".join(ids))
    return " ".join(ids) or None


def _run(call: Callable[[], Any], dry_run: bool, done: str) -> None:
    """Call the library and print what it did."""
    diff = call().diff
    if dry_run:
        click.echo(diff, nl=False)
    elif diff:
        click.echo(done, err=True)
    else:
        click.echo("no change", err=True)


# ------------------------------------------------------------------------------------------
# Commands


@cli.command()
@click.argument("path", type=FILE)
@click.option("--title", required=True, help="The study's title.")
@click.option("--id", "study_id", help="The study's id (default: the file name without .yaml).")
@click.option("--as-of", help="Date the assessment is current to, YYYY-MM-DD (default: today).")
@click.option("--marking", default="TLP:CLEAR", show_default=True, type=click.Choice(vocab.TLP),
              help="TLP 2.0 handling marking.")
@click.option("--likelihood-scale", default="icd203", show_default=True, type=click.Choice(list(vocab.SCALES)),
              help="The estimative words of its scenarios' likelihoods: icd203 (US ICD 203: "
                   + ", ".join(vocab.ICD203) + ") or phia (UK PHIA yardstick: " + ", ".join(vocab.PHIA) + ").")
@dry_run_option
def new(path: Path, title: str, study_id: Optional[str], as_of: Optional[str], marking: str,
        likelihood_scale: str, dry_run: bool) -> None:
    """Create a valid, empty study at PATH (never overwrites a file).

    \b
    Examples:
      scenmatrix new scenarios/gulf-2024.yaml --title "Gulf security, 2024" --marking TLP:AMBER
      scenmatrix new scenarios/sahel-2024.yaml --title "Wagner exits Mali" --likelihood-scale phia
    """
    from scenmatrix.edit import api as edit

    _run(lambda: edit.new_study(path, title, id=study_id, as_of=as_of, marking=marking,
                                likelihood_scale=likelihood_scale, dry_run=dry_run), dry_run, f"created {path}")


@cli.command(context_settings=NEGATIVE_WORDS)
@kind_argument
@ids_argument
@field_options
@where_options
@study_option
@dry_run_option
def add(kind: str, id: tuple[str, ...], scenario: Optional[str], actor: Optional[str], study: Optional[Path],
        dry_run: bool, **params: Any) -> None:
    """Add an entry of KIND with id ID, its fields given as options.

    KIND is actor, scenario, impact, indicator, evidence, driver, constraint, key-judgment or
    source. An impact's ID is SCENARIO/ACTOR; an indicator needs --scenario (or SCENARIO/ID). Each
    field option says which kinds it applies to. The study's cross-impact model (`cib:`) has
    descriptors (with --title and two or more --variant ID=TITLE; the first one creates the
    section), variants (ID DESCRIPTOR.VARIANT) and judgments (ID two words, the source and the
    target variant, of different descriptors; --value -3..3). An entry that is only its text or
    value (key-judgment, variant, judgment) may take it as the last word instead of its option,
    a negative number included. The entry goes at the end of its section, styled like the entries
    before it; the rest of the file, comments included, is kept as it was. The edit is validated
    first: an invalid study is refused, each problem printed with its line and column, and the
    file left untouched.

    \b
    Examples:
      scenmatrix add actor IL --name Israel --kind state
      scenmatrix add impact S1/IL --effect -2 --domain military --domain security \\
          --confidence moderate --rationale "Exposed to drone transfers." --evidence E4
      scenmatrix add indicator I7 --scenario S1 --text "Su-35 deliveries" --status "not observed"
      scenmatrix add key-judgment KJ4 --text "Ties deepen through 2023."
      scenmatrix add descriptor us-pressure --title "US pressure on the axis" \\
          --variant sustained=Sustained --variant escalating=Escalating
      scenmatrix add variant us-pressure.relaxing --title Relaxing
      scenmatrix add judgment iran-support.extensive us-pressure.escalating 2
      scenmatrix add judgment iran-support.extensive us-pressure.sustained -2
    """
    from scenmatrix.edit import api as edit

    fields = _fields(kind, params)
    name = _id(kind, id, fields)
    path = default_study(study)
    _run(lambda: edit.add(path, kind, name, fields, scenario=scenario, actor=actor, dry_run=dry_run),
         dry_run, f"added {kind} {name or f'{scenario}/{actor}'} to {path}")


@cli.command("set", context_settings=NEGATIVE_WORDS)
@kind_argument
@ids_argument
@field_options
@click.option("--unset", multiple=True, metavar="FIELD", help="Remove an optional field (repeat for several).")
@where_options
@study_option
@dry_run_option
def set_(kind: str, id: tuple[str, ...], unset: tuple[str, ...], scenario: Optional[str], actor: Optional[str],
         study: Optional[Path], dry_run: bool, **params: Any) -> None:
    """Change fields of the KIND entry ID.

    KIND is actor, scenario, impact, indicator, evidence, driver, constraint, key-judgment,
    source, descriptor, variant or judgment; ID as for `scenmatrix add`. KIND `study` (no ID)
    changes the study's own fields: --title, --as-of, --marking, --likelihood-scale,
    --scenario-set and --domain (the domains it adds to the built-in ones); KIND `cib` (no ID) the
    cross-impact model's --note. A judgment left out is 0: setting one writes it. A list option
    (--domain, --evidence, --alias, ...) replaces the whole list; --unset removes an optional
    field. Validated like `add`.

    \b
    Examples:
      scenmatrix set impact S1/RU --effect 3 --confidence high
      scenmatrix set indicator I2 --status observed
      scenmatrix set evidence E4 --grade B2 --unset quote
      scenmatrix set study --marking TLP:AMBER --domain humanitarian
      scenmatrix set judgment iran-support.extensive us-pressure.escalating 2
      scenmatrix set judgment iran-support.none us-pressure.escalating --value -1
      scenmatrix set impact S1/RU --effect 1 --dry-run      (print the diff only)
    """
    from scenmatrix.edit import api as edit

    fields = _fields(kind, params, unset)
    name = _id(kind, id, fields)
    path = default_study(study)
    named = kind if KINDS[kind].single else f"{kind} {name or f'{scenario}/{actor}'}"
    _run(lambda: edit.set_fields(path, kind, name, fields, scenario=scenario, actor=actor, dry_run=dry_run),
         dry_run, f"changed {named} in {path}")


@cli.command("rm")
@kind_argument
@ids_argument
@click.option("--cascade", is_flag=True, help="Also remove every reference to the entry.")
@where_options
@study_option
@dry_run_option
def rm(kind: str, id: tuple[str, ...], cascade: bool, scenario: Optional[str], actor: Optional[str],
       study: Optional[Path], dry_run: bool) -> None:
    """Remove the KIND entry ID.

    KIND and ID as for `scenmatrix add`. If other entries refer to it (an actor's impacts, an
    evidence id in a list, the judgments of a variant or of a descriptor's variants, ...), the
    removal is refused and each reference printed with its position, unless --cascade is given.
    Removing the last descriptor removes the `cib:` section; `rm cib` removes it whole.

    \b
    Examples:
      scenmatrix rm indicator I3
      scenmatrix rm evidence E9 --cascade      (and drop E9 from every evidence list)
      scenmatrix rm variant us-pressure.relaxing --cascade   (and its judgments)
    """
    from scenmatrix.edit import api as edit

    name = _id(kind, id)
    path = default_study(study)
    _run(lambda: edit.remove(path, kind, name, scenario=scenario, actor=actor, cascade=cascade, dry_run=dry_run),
         dry_run, f"removed {kind} {name or f'{scenario}/{actor}'} from {path}")


@cli.command()
@kind_argument
@click.argument("old", shell_complete=_complete_ids)
@click.argument("new")
@study_option
@dry_run_option
def rename(kind: str, old: str, new: str, study: Optional[Path], dry_run: bool) -> None:
    """Change an entry's id (OLD to NEW) and every reference to it.

    KIND as for `scenmatrix add` (not impact or judgment: rename its scenario or actor, its
    variants or descriptors, instead). The entry keeps its place in the file. A variant's NEW may
    be DESCRIPTOR.VARIANT or only VARIANT; it stays in its descriptor.

    \b
    Example:
      scenmatrix rename actor IR IRN       (impacts and contested_by entries follow)
      scenmatrix rename descriptor iran-support iran-aid   (judgments follow)
    """
    from scenmatrix.edit import api as edit

    path = default_study(study)
    _run(lambda: edit.rename(path, kind, old, new, dry_run=dry_run), dry_run, f"renamed {kind} {old} to {new} in {path}")


@cli.command("list")
@kind_argument
@study_option
@click.option("--json", "as_json", is_flag=True, help="Print the entries as a JSON list, every field included.")
def list_(kind: str, study: Optional[Path], as_json: bool) -> None:
    """List the entries of KIND, one a line.

    Each line is an id and a short label (an actor's name, a scenario's title, an impact's effect
    and domains, ...); --json prints every field. KIND as for `scenmatrix add`.

    \b
    Examples:
      scenmatrix list actor
      scenmatrix list impact --json | jq '.[] | select(.effect <= -2)'
    """
    from scenmatrix.edit import api as edit

    rows = edit.entries(default_study(study), kind)
    if as_json:
        click.echo(json_text(rows, indent=2, ensure_ascii=False))
        return
    label = KINDS[kind].label
    width = max((len(r["id"]) for r in rows), default=0)
    for row in rows:
        value = row.get(label)
        if kind == "impact" and isinstance(value, int):
            value = f"{value:+d}  {', '.join(map(str, row.get('domains') or []))}"
        click.echo(f"{row['id']:<{width}}  {'' if value is None else value}")


@cli.command()
@STUDY_ARG
@click.option("--json", "as_json", is_flag=True, help="Print the matrix as JSON.")
def show(study: Optional[Path], as_json: bool) -> None:
    """Show the scenarios x actors matrix of effects (-3..+3).

    One row a scenario, with its likelihood, and one column an actor; '.' where a scenario has no
    impact on the actor.

    \b
    Example:
      $ scenmatrix show
      scenario  likelihood  RU  IR  IL
      S1        likely      +2  +2  -2
      S2        unlikely    -1   .   .
    """
    from scenmatrix.cli import render
    from scenmatrix.store.loader import load
    from scenmatrix.study.effects import EffectMatrix

    matrix = EffectMatrix(load(default_study(study)).study)
    if as_json:
        click.echo(json_text(matrix.to_json(), indent=2, ensure_ascii=False))
        return
    click.echo(render.table(matrix.headers, matrix.rows(), right=matrix.right, rule=False))


@cli.command()
@click.argument("paths", nargs=-1, type=FILE)
@click.option("--since", metavar="REV", help="Compare the study as it was at git revision REV with the file now.")
@click.option("--json", "as_json", is_flag=True, help="Print the changes as JSON.")
def diff(paths: tuple[Path, ...], since: Optional[str], as_json: bool) -> None:
    """Show what changed between two versions of a study.

    Entry by entry and field by field: entries added and removed, each changed field with its old
    and new value, and an entry whose id changed as one rename (`~ actor IL → ISR: renamed, and 2
    references to it`), its references followed rather than listed as removed and added. The
    cross-impact model is compared variant by variant and judgment by judgment, each named as the
    edit commands name it (`~ judgment A.x B.y: +1 → +2`, `+ variant A.z: title Zeal`); a renamed
    descriptor or variant is one rename, its judgments following it. Give OLD NEW, or --since REV
    [STUDY] to compare with a git revision.

    Exit code 0 whether or not anything changed; 1 if a version cannot be read (no such file, not
    a study, an unknown revision); 2 for a usage mistake.

    \b
    Examples:
      scenmatrix diff old.yaml scenarios/russia-iran-2022.yaml
      scenmatrix diff --since HEAD~3
      scenmatrix diff --since v1.0 scenarios/russia-iran-2022.yaml --json
    """
    from scenmatrix.store import revisions
    from scenmatrix.study import diff

    if since:
        if len(paths) > 1:
            raise click.UsageError("with --since, give at most one STUDY")
        path = default_study(paths[0] if paths else None)
        changes = revisions.diff_since(since, path)
    else:
        if len(paths) != 2:
            raise click.UsageError("give OLD and NEW study files, or --since REV [STUDY]")
        changes = revisions.diff_files(paths[0], paths[1])
    if as_json:
        click.echo(json_text(diff.to_json(changes), indent=2, ensure_ascii=False))
    else:
        text = diff.to_text(changes)
        click.echo(text if text else "no changes", nl=bool(not text) or not text.endswith("\n"))
