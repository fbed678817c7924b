"""Whole-process timings of the commands an analyst runs most, beside Python's own start-up.

    .venv/bin/python benchmarks/bench_cli.py [--runs 10] [--readme] [STUDY]

Not a test: prints a Markdown table of the median and best wall-clock time and the median CPU time
(user + system: less sensitive than wall time to other work on the machine) of each command, with
`--readme` also in the "CLI" section of benchmarks/README.md. Targets (issue 4): `--help` within
60 ms and an edit within 150 ms. STUDY defaults to scenarios/russia-iran-2022.yaml; it is copied to
a temporary folder, so the benchmark never changes it, and the parse cache (store.cached_parse)
is kept there too. The commands run in turn, round after round, so that a burst of other work on
the machine spreads over all of them. Each edit starts from the parse the edit before it left, as
edits made one after another do; one row shows an edit without the cache (the first edit after the
file was changed by hand, or by git), on a copy of its own.

The package's bytecode is compiled first, as an installed package has it: where
PYTHONDONTWRITEBYTECODE is set (as in some sandboxes), every run would otherwise compile
scenmatrix's modules from source again.
"""

from __future__ import annotations

import argparse
import compileall
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from importlib import metadata
from pathlib import Path
from readme_section import cpu_and_cores, write_section  # noqa: E402  (benchmarks/ is on sys.path when run)

BIN = Path(sys.executable).parent
REPO = Path(__file__).resolve().parents[1]
HERE = Path(__file__).resolve().parent


def timed(argv: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall and CPU seconds of one run of argv."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        sys.exit(f"failed: {' '.join(argv)}\n{done.stderr.decode()}")
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def _versions() -> str:
    found = []
    for name in ("click", "ruamel.yaml", "pydantic"):
        try:
            found.append(f"{name} {metadata.version(name)}")
        except metadata.PackageNotFoundError:
            pass
    return ", ".join(found)


def _two_actor_study(path: Path) -> None:
    """A small valid study: two actors, two scenarios, three impacts (README's Mali example)."""
    from scenmatrix.edit import api as edit

    edit.new_study(path, "Wagner's exit from Mali", as_of="2022-05-01")
    for aid, name, kind in (("ML", "Mali", "state"), ("ISSP", "Islamic State Sahel Province", "non-state armed group")):
        edit.add(path, "actor", aid, {"name": name, "kind": kind})
    for sid, likelihood in (("S1", "likely"), ("S2", "unlikely")):
        edit.add(path, "scenario", sid, {"title": sid, "narrative": "n", "likelihood": likelihood, "confidence": "low"})
    for ref, effect in (("S1/ISSP", -1), ("S2/ML", -3), ("S2/ISSP", 2)):
        edit.add(path, "impact", ref, {"effect": effect, "domains": ["security"], "confidence": "low",
                                       "rationale": "r"})


def measure(study_source: Path, runs: int,
            only: tuple[str, ...] = ()) -> tuple[list[tuple[str, list[float], list[float]]], str, int]:
    sys.path.insert(0, str(REPO / "src"))
    import scenmatrix
    from scenmatrix.edit import api as edit

    compileall.compile_dir(Path(scenmatrix.__file__).parent, quiet=1)
    with tempfile.TemporaryDirectory() as folder:
        study = Path(folder) / "study.yaml"
        os.environ["SCENMATRIX_CACHE"] = str(Path(folder) / "cache")
        no_cache = {**os.environ, "SCENMATRIX_CACHE": "off"}
        if study_source.exists():
            shutil.copy(study_source, study)
        else:
            print(f"({study_source} not found: using a small generated study)", file=sys.stderr)
            edit.new_study(study, "Benchmark", as_of="2022-05-01")
            edit.add(study, "scenario", "S1", {"title": "t", "narrative": "n", "likelihood": "likely",
                                               "confidence": "low"})
        scenario = next(iter(edit.entries(study, "scenario")))["id"]
        for i in range(runs):
            edit.add(study, "actor", f"BENCH{i}", {"name": f"Bench {i}", "kind": "other"})
        lines = study.read_text().count("\n")
        small = Path(folder) / "small.yaml"  # issue 16: validate of a two-actor study within 150 ms
        _two_actor_study(small)
        cold = Path(folder) / "cold.yaml"  # edited without the cache only, so that it never holds its parse
        shutil.copy(study, cold)
        scenmatrix_bin, python = str(BIN / "scenmatrix"), sys.executable
        rows = [
            ("`python -c pass`", lambda i: [python, "-c", "pass"]),
            ('`python -c "import click"`', lambda i: [python, "-c", "import click"]),
            ("`scenmatrix --help`", lambda i: [scenmatrix_bin, "--help"]),
            ("`scenmatrix add impact ...`", lambda i: [
                scenmatrix_bin, "add", "impact", f"{scenario}/BENCH{i}", "--effect", "-1", "--domain", "political",
                "--confidence", "low", "--rationale", "Benchmark.", "-s", str(study)]),
            ("`scenmatrix set impact ...`", lambda i: [
                scenmatrix_bin, "set", "impact", f"{scenario}/BENCH{i}", "--effect", "-2", "-s", str(study)]),
            ("`scenmatrix add actor ...`", lambda i: [
                scenmatrix_bin, "add", "actor", f"BENCHA{i}", "--name", "Bench", "--kind", "other", "-s", str(study)]),
            ("`scenmatrix add actor ...`, no parse cache", lambda i: [
                scenmatrix_bin, "add", "actor", f"BENCHA{i}", "--name", "Bench", "--kind", "other", "-s", str(cold)]),
            ("`scenmatrix list actor`", lambda i: [scenmatrix_bin, "list", "actor", "-s", str(study)]),
            ("`scenmatrix validate STUDY`", lambda i: [scenmatrix_bin, "validate", str(study)]),
            ("`scenmatrix validate` of a two-actor study", lambda i: [scenmatrix_bin, "validate", str(small)]),
        ]
        rows = [row for row in rows if not only or any(word in row[0] for word in only)]
        times: dict[str, tuple[list[float], list[float]]] = {name: ([], []) for name, _ in rows}
        load_before = os.getloadavg()[0]
        for i in range(runs):
            for name, argv in rows:
                wall, cpu = timed(argv(i), no_cache if "no parse cache" in name else os.environ.copy())
                times[name][0].append(wall)
                times[name][1].append(cpu)
        load = f"load average {load_before:.1f} at the start, {os.getloadavg()[0]:.1f} at the end"
    return [(name, *times[name]) for name, _ in rows], load, lines


def table(results: list[tuple[str, list[float], list[float]]]) -> str:
    out = ["| command | median | best | CPU (median) |", "|---|---:|---:|---:|"]
    for name, wall, cpu in results:
        out.append(f"| {name} | {statistics.median(wall) * 1000:.0f} ms | {min(wall) * 1000:.0f} ms "
                   f"| {statistics.median(cpu) * 1000:.0f} ms |")
    return "\n".join(out)


def section(results, load: str, study: Path, lines: int, runs: int) -> str:
    return f"""## CLI

Whole-process time of the commands an analyst runs most, beside Python's own start-up, on a copy of
`{study.name}` ({lines} lines): the median and best of {runs} runs, and the median CPU time (user +
system, less sensitive than wall time to other work on the machine). The commands run in turn,
round after round; each `add impact` adds an impact of a new actor, each `set` changes it, each
`add actor` adds an actor, each starting from the parse the edit before it cached; the edit "no
parse cache" adds an actor to another copy, which is only edited so. Targets (issue 4): `--help`
within 60 ms, an edit within 150 ms. The package's bytecode is compiled first, as an installed
package has it.

{table(results)}

Where an edit's time goes (CPU, measured in-process): about half is the start of any scenmatrix
command (Python, click and the commands' options, as `--help`), a quarter importing ruamel and the
edit modules, and a quarter the edit itself: reading the parse that the edit before it left in the
parse cache (a private folder; a parse is used only for the very text it was made from), patching
the text, proving it from parses of the few lines it changed, checking that the result is valid
(quickcheck.py: the model's rules without pydantic; a study that is not plainly valid goes to
pydantic, for its positioned problems), diffing, writing atomically, and leaving the new text's
parse for the next command. Without the cache (the first edit after the file changed otherwise),
the round-trip parse of the whole study (ruamel, pure Python) comes back. `python -c "import click"`
is the floor of any click command.

{cpu_and_cores()}, {load}; Python {platform.python_version()}, {_versions()};
`python benchmarks/bench_cli.py --readme`, {time.strftime('%Y-%m-%d')}.
"""


def write_readme(section: str) -> Path:
    return write_section("CLI", section)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("study", nargs="?", type=Path, default=REPO / "scenarios" / "russia-iran-2022.yaml")
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--readme", action="store_true", help='replace the "CLI" section of benchmarks/README.md')
    parser.add_argument("--only", action="append", default=[], metavar="WORD",
                        help="run only the rows whose command holds WORD (repeatable), e.g. --only help --only click")
    options = parser.parse_args()
    if options.readme and options.only:
        parser.error("--readme writes every row: no --only")
    results, load, lines = measure(options.study, options.runs, tuple(options.only))
    text = section(results, load, options.study, lines, options.runs)
    print(text)
    if options.readme:
        print(f"wrote {write_readme(text)}", file=sys.stderr)


if __name__ == "__main__":
    main()
