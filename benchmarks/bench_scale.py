"""Scale (issue 7): whole-process time and peak memory of validate, export and brief at 1,000, 10,000
and 100,000 impacts and on the default study, beside two yardsticks that write the Impacts cells alone.

    make bench                                        installs the bench extra, runs all, rewrites the README
    .venv/bin/python benchmarks/bench_scale.py        print the results section (Markdown)
        --readme        also replace the "Scale" section of benchmarks/README.md
        --profiles      also write cProfile summaries of validate and brief at 10,000 impacts to
                        benchmarks/profiles/ (own time by library, scenmatrix's phases, top 20 hot spots)
        --sizes 1000,10000,100000   --runs 3   --timeout 600   --seed 1   --live

Each command runs in its own process, the fastest of --runs runs is shown; its wall time is measured
around the process, its CPU time and peak memory (maximum resident set) come from `wait4`, so they
are the child's own. A run over the timeout is killed and shows as "timeout". The studies come from
benchmarks/generate.py (seeded). The children run on a copy of src/, templates/ and scenarios/ taken
at the start (PYTHONPATH and working folder), so that colleagues' edits during a run do not mix two
versions of the code in one table; --live runs on the working tree.

Yardsticks, each in its own process: the rows of the brief's Impacts sheet (scenario, scenario title,
actor, actor name, effect, meaning, domains, confidence, rationale, evidence; 10 columns and a header)
are first read from the generated YAML with a line parser made for its format (not timed), then
written (timed) with XlsxWriter in `constant_memory` mode, and with a bare `zipfile` + XML strings
writer (inline strings, a minimal valid .xlsx) at deflate levels 6 and 1. Their time is the write
alone; their peak memory includes the rows held in memory. At the smallest size the parser's rows are
compared with scenmatrix's own Impacts table and the three files are read back with openpyxl.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import os
import platform
import pstats
import re
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
from importlib import metadata
from pathlib import Path
from readme_section import cpu_and_cores, write_section  # noqa: E402  (benchmarks/ is on sys.path when run)

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
DEFAULT_STUDY = Path("scenarios") / "russia-iran-2022.yaml"  # relative to CODE
CODE = REPO  # where the children run: a snapshot of the code unless --live (see `snapshot`)
BIN = Path(sys.executable).parent
SCENMATRIX = BIN / "scenmatrix"

# Targets of issue 7, on a 2-core machine.
VALIDATE_100K_SECONDS = 3.0
DEFAULT_BRIEF_SECONDS = 0.6
BRIEF_100K_PEAK_MB = 300
LINEAR_TOLERANCE = 0.15
# Issue 16: a study of 5,000 actors in 2 scenarios briefs within these, and its own brief imports back.
WIDE_ACTORS, WIDE_SCENARIOS = 5_000, 2
WIDE_BRIEF_SECONDS, WIDE_BRIEF_PEAK_MB = 30.0, 1_000

HEADER = ("Scenario", "Scenario title", "Actor", "Actor name", "Effect", "Meaning", "Domains", "Confidence",
          "Rationale", "Evidence")
EFFECT_WORDS = {-3: "severe harm", -2: "significant harm", -1: "minor harm", 0: "no net effect",
                1: "minor gain", 2: "significant gain", 3: "major gain"}  # as scenmatrix.study.vocab.EFFECT_WORDS


# --------------------------------------------------------------------------- running a child process

# `lean`: on Linux a child's ru_maxrss starts at its parent's peak RSS at the fork (the kernel carries the
# old address space's high-water mark over exec), so this process must stay small while it measures:
# studies are generated and checked in child processes, and the profiles are read at the very end.

def run(argv: list[str], timeout: float) -> dict:
    """Run argv once: wall seconds, the child's own peak RSS in MB, exit code, and what it said on stderr.

    stdout and stderr are files, not terminals (as on a pipe or in CI)."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(argv, cwd=CODE, stdin=subprocess.DEVNULL, stdout=out, stderr=err,
                                start_new_session=True)
        timed_out = threading.Event()

        def kill() -> None:
            timed_out.set()
            try:
                os.killpg(proc.pid, signal.SIGKILL)  # the group of this one child, started above
            except ProcessLookupError:
                pass

        timer = threading.Timer(timeout, kill)
        timer.start()
        try:
            _, status, usage = os.wait4(proc.pid, 0)
        finally:
            timer.cancel()
        seconds = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)  # reaped here; keep Popen from waiting again
        out.seek(0)
        err.seek(0)
        return {"seconds": seconds, "cpu": usage.ru_utime + usage.ru_stime, "peak_mb": usage.ru_maxrss / 1024,
                "rc": proc.returncode,
                "timeout": timed_out.is_set(), "stdout": out.read().decode(errors="replace"),
                "stderr": err.read().decode(errors="replace")}


# --------------------------------------------------------------------------- the Impacts rows

def generated_rows(path: Path) -> list[tuple]:
    """The Impacts sheet's rows of a study written by generate.py, by a parser for exactly that format."""
    names: dict[str, str] = {}
    rows: list[tuple] = []
    section = block = scenario = title = actor = ""
    fields: dict[str, str] = {}

    def flush() -> None:
        if actor:
            effect = int(fields["effect"])
            rows.append((scenario, title, actor, names[actor], effect, EFFECT_WORDS[effect],
                         "; ".join(fields["domains"].strip("[]").split(", ")), fields["confidence"],
                         fields["rationale"], "; ".join(fields["evidence"].strip("[]").split(", "))))

    with open(path, encoding="utf-8") as f:
        for line in f:
            if not line.startswith(" "):
                section = line.split(":", 1)[0]
                continue
            stripped = line.strip()
            indent = len(line) - len(line.lstrip(" "))
            key, _, value = stripped.partition(":")
            value = value.strip()
            if section == "actors" and indent == 2:
                names[key] = re.match(r"\{name: (.*), kind: ", value).group(1)
            elif section != "scenarios":
                continue
            elif indent == 2:
                flush()
                scenario, actor = key, ""
            elif indent == 4:
                flush()
                actor, block = "", key
                if key == "title":
                    title = value
            elif block == "impacts" and indent == 6:
                flush()
                actor, fields = key, {}
            elif block == "impacts" and indent == 8:
                fields[key] = value
    flush()
    return rows


def study_rows(path: Path) -> list[tuple]:
    """The Impacts sheet's rows of any study, through scenmatrix itself (slow, for small studies)."""
    from scenmatrix.study.tables import flat, rows
    from scenmatrix.store.loader import load

    study = load(path).study
    names = {aid: a.name for aid, a in study.actors.items()}
    titles = {sid: s.title for sid, s in study.scenarios.items()}
    return [(r["scenario"], titles[r["scenario"]], r["actor"], names[r["actor"]], r["effect"],
             EFFECT_WORDS[r["effect"]], flat(r["domains"]), r["confidence"], r["rationale"], flat(r["evidence"]))
            for r in rows(study)["impacts"]]


def impact_rows(path: Path) -> list[tuple]:
    with open(path, encoding="utf-8") as f:
        generated = any(line.startswith("  id: synthetic-") for _, line in zip(range(5), f))
    return generated_rows(path) if generated else study_rows(path)


# --------------------------------------------------------------------------- the yardstick writers

def write_xlsxwriter(rows: list[tuple], out: Path) -> None:
    import xlsxwriter

    wb = xlsxwriter.Workbook(str(out), {"constant_memory": True})
    ws = wb.add_worksheet("Impacts")
    ws.write_row(0, 0, HEADER)
    write_string, write_number = ws.write_string, ws.write_number
    for r, row in enumerate(rows, 1):
        for c, value in enumerate(row):
            if c == 4:
                write_number(r, c, value)
            else:
                write_string(r, c, value)
    wb.close()


_NS = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG = "http://schemas.openxmlformats.org/package/2006"
_XML = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
_PARTS = {
    "[Content_Types].xml": (
        f'{_XML}<Types xmlns="{_PKG}/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
        '<Override PartName="/xl/worksheets/sheet1.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>'),
    "_rels/.rels": (
        f'{_XML}<Relationships xmlns="{_PKG}/relationships">'
        f'<Relationship Id="rId1" Type="{_REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>'),
    "xl/workbook.xml": (
        f'{_XML}<workbook {_NS} xmlns:r="{_REL}"><sheets>'
        '<sheet name="Impacts" sheetId="1" r:id="rId1"/></sheets></workbook>'),
    "xl/_rels/workbook.xml.rels": (
        f'{_XML}<Relationships xmlns="{_PKG}/relationships">'
        f'<Relationship Id="rId1" Type="{_REL}/worksheet" Target="worksheets/sheet1.xml"/></Relationships>'),
}
_COLUMNS = "ABCDEFGHIJ"


def _esc(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def write_zip(rows: list[tuple], out: Path, level: int) -> None:
    """The floor: a minimal valid .xlsx, one sheet of inline strings, streamed into a deflated zip."""

    def row_xml(r: int, row: tuple) -> str:
        cells = [f'<c r="{col}{r}"><v>{value}</v></c>' if isinstance(value, int) else
                 f'<c r="{col}{r}" t="inlineStr"><is><t>{_esc(value)}</t></is></c>'
                 for col, value in zip(_COLUMNS, row)]
        return f'<row r="{r}">{"".join(cells)}</row>'

    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=level) as z:
        for name, text in _PARTS.items():
            z.writestr(name, text)
        with z.open("xl/worksheets/sheet1.xml", "w") as sheet:
            sheet.write(f"{_XML}<worksheet {_NS}><sheetData>".encode())
            chunk = [row_xml(1, HEADER)]
            for r, row in enumerate(rows, 2):
                chunk.append(row_xml(r, row))
                if len(chunk) >= 1000:
                    sheet.write("".join(chunk).encode())
                    chunk = []
            sheet.write(("".join(chunk) + "</sheetData></worksheet>").encode())


YARDSTICKS = {
    "xlsxwriter": ("XlsxWriter constant_memory", write_xlsxwriter),
    "zip6": ("zipfile + XML, deflate 6", lambda rows, out: write_zip(rows, out, 6)),
    "zip1": ("zipfile + XML, deflate 1", lambda rows, out: write_zip(rows, out, 1)),
}


def yardstick_child(kind: str, study: Path, out: Path) -> None:
    """In a child process: read the rows (not timed), write them (timed), print JSON."""
    rows = impact_rows(study)
    before_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    start, cpu = time.perf_counter(), time.process_time()
    YARDSTICKS[kind][1](rows, out)
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    print(json.dumps({"write_seconds": seconds, "write_cpu": cpu, "rows": len(rows), "rows_held_mb": before_mb}))


def yardstick(kind: str, study: Path, out: Path, timeout: float) -> dict:
    result = run([sys.executable, __file__, "--yardstick", kind, str(study), str(out)], timeout)
    if result["rc"] == 0 and not result["timeout"]:
        result.update(json.loads(result["stdout"]))
    return result


def check_yardsticks(study: Path, folder: Path) -> None:
    """The line parser's rows are scenmatrix's Impacts table, and the yardsticks' files read back as those
    cells (openpyxl), so the floor is a real workbook."""
    from openpyxl import load_workbook

    rows = impact_rows(study)
    assert rows == study_rows(study), f"{study.name}: the parser's rows differ from scenmatrix's Impacts table"
    for kind in YARDSTICKS:
        wb = load_workbook(folder / f"{kind}.xlsx", read_only=True)
        got = [tuple(r) for r in wb["Impacts"].iter_rows(values_only=True)]
        wb.close()
        assert got[0] == HEADER and got[1:] == rows, f"{kind}: the workbook does not read back as written"


# --------------------------------------------------------------------------- the code measured

def snapshot(folder: Path) -> str:
    """Copy src/, templates/ and scenarios/ now and run every child on the copy (PYTHONPATH, cwd), so that
    edits made to the working tree during a long run do not mix two versions of the code in one table.
    Returns a fingerprint of the copy."""
    global CODE
    CODE = folder / "code"
    for part in ("src", "templates", "scenarios"):
        shutil.copytree(REPO / part, CODE / part, ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
    os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(CODE / "src"), os.environ.get("PYTHONPATH")]))
    probe = run([sys.executable, "-c", "import scenmatrix; print(scenmatrix.__file__)"], 60)
    if not probe["stdout"].startswith(str(CODE)):
        raise SystemExit(f"the snapshot is not the scenmatrix imported: {probe['stdout'] or probe['stderr']}")
    digest = hashlib.sha256()
    for path in sorted(p for p in CODE.rglob("*") if p.is_file()):
        digest.update(str(path.relative_to(CODE)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:12]


# --------------------------------------------------------------------------- the cases

COMMANDS = ("validate", "export", "brief")


def command_argv(command: str, study: Path, work: Path) -> list[str]:
    return {
        "validate": [str(SCENMATRIX), "validate", str(study)],
        "export": [str(SCENMATRIX), "export", "--format", "json", "-o", str(work / "export"), str(study)],
        "brief": [str(SCENMATRIX), "brief", str(study), "-t", "standard", "-o", str(work / "brief.xlsx")],
    }[command]


def generate(impacts: int, folder: Path, seed: int, timeout: float, scenarios: int | None = None) -> Path:
    """A seeded study of `impacts` impacts, written by generate.py in its own process (see `lean`)."""
    path = folder / (f"synthetic-{impacts}.yaml" if scenarios is None else f"synthetic-{impacts}-{scenarios}.yaml")
    if not path.exists():
        shape = [] if scenarios is None else ["--scenarios", str(scenarios)]
        r = run([sys.executable, str(HERE / "generate.py"), str(impacts), str(path), "--seed", str(seed), *shape],
                timeout)
        if r["rc"] != 0 or r["timeout"]:
            raise SystemExit(f"generate.py {impacts} failed: {show(r)}\n{r['stderr'][-2000:]}")
    return path


def best_of(runs: int, measure, key: str = "seconds") -> dict:
    """The fastest of `runs` runs (the one least disturbed by other work), stopping at a failure or timeout."""
    results = []
    for _ in range(runs):
        r = measure()
        results.append(r)
        if r["rc"] != 0 or r["timeout"]:
            return r
    return min(results, key=lambda r: r[key])


def measure_case(label: str, study: Path, work: Path, timeout: float, runs: int, check: bool = False) -> dict:
    work.mkdir(parents=True, exist_ok=True)
    case = {"label": label, "study": study.name}
    for command in COMMANDS:
        r = best_of(runs, lambda: run(command_argv(command, study, work), timeout))
        case[command] = r
        say(f"{label:>8} {command:<10} {show(r)}")
        if r["rc"] != 0 and not r["timeout"]:
            say(r["stderr"][-2000:])
    for kind in YARDSTICKS:
        r = best_of(runs, lambda: yardstick(kind, study, work / f"{kind}.xlsx", timeout), "write_seconds")
        case[kind] = r
        say(f"{label:>8} {kind:<10} {show(r)}  (write {r.get('write_seconds', float('nan')):.2f} s, "
            f"cpu {r.get('write_cpu', float('nan')):.2f} s)")
    if check:  # in a child too: the parser reads what scenmatrix reads, the files read back as written
        r = run([sys.executable, __file__, "--check", str(study), str(work)], timeout)
        if r["rc"] != 0 or r["timeout"]:
            raise SystemExit(f"check of the yardsticks on {study.name} failed: {show(r)}\n{r['stderr'][-2000:]}")
    case["impacts"] = case["zip1"].get("rows") or case["xlsxwriter"].get("rows")
    return case


def measure_wide(folder: Path, args) -> dict:
    """The many-actors case: validate, export and brief as for the others, then `import` of its own brief."""
    study = generate(WIDE_ACTORS * WIDE_SCENARIOS, folder, args.seed, args.timeout, scenarios=WIDE_SCENARIOS)
    work = folder / "wide"
    case = measure_case(f"{WIDE_ACTORS:,} actors x {WIDE_SCENARIOS}", study, work, args.timeout, args.runs)
    argv = [str(SCENMATRIX), "import", str(work / "brief.xlsx"), "-s", str(study)]
    case["import"] = best_of(args.runs, lambda: run(argv, args.timeout))
    say(f"{'wide':>8} {'import':<10} {show(case['import'])}")
    return case


def say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def show(r: dict) -> str:
    if r["timeout"]:
        return f"timeout (> {r['seconds']:.0f} s)"
    if r["rc"] != 0:
        return f"failed (exit {r['rc']}) after {r['seconds']:.2f} s"
    return f"{r['seconds']:.2f} s (cpu {r['cpu']:.2f} s), {r['peak_mb']:.0f} MB"


# --------------------------------------------------------------------------- profiles

def profile(command: str, study: Path, work: Path, timeout: float, seed: int) -> Path:
    """cProfile of one scenmatrix command, summarised: own time per library, scenmatrix's functions by
    cumulative time (the phases), and the top 20 functions by own time (the hot spots)."""
    work.mkdir(parents=True, exist_ok=True)
    stats_file = work / f"{command}.prof"
    argv = command_argv(command, study, work)
    r = run([sys.executable, "-m", "cProfile", "-o", str(stats_file), "-m", "scenmatrix", *argv[1:]], timeout)
    if r["rc"] != 0 or r["timeout"]:
        raise SystemExit(f"profiling {command} failed: {show(r)}\n{r['stderr'][-2000:]}")
    prefixes = sorted({*(p for p in sys.path if p.endswith("site-packages")), str(CODE / "src"), str(REPO / "src"),
                       sys.base_prefix, sys.prefix}, key=len, reverse=True)

    def short(text: str) -> str:
        for prefix in prefixes:
            text = text.replace(prefix + "/", "")
        return text

    stats = pstats.Stats(str(stats_file))
    by_library: dict[str, float] = {}
    for (filename, _, _), (_, _, own, _, _) in stats.stats.items():
        name = short(filename)
        library = ("built-in (C) functions" if filename == "~" else
                   "Python's standard library" if name.startswith(("lib/python", "<frozen")) else
                   name.split("/", 1)[0].removesuffix(".py"))
        by_library[library] = by_library.get(library, 0.0) + own
    total = stats.total_tt
    lines = [f"{seconds_:7.2f} s  {seconds_ / total:4.0%}  {library}"
             for library, seconds_ in sorted(by_library.items(), key=lambda kv: -kv[1])[:10]]
    text = io.StringIO()
    stats.stream = text
    text.write("\n==== scenmatrix's own functions by cumulative time (the phases), top 20 ====\n")
    stats.sort_stats("cumulative").print_stats(r"scenmatrix/", 20)
    text.write("\n==== all functions by own time (the hot spots), top 20 ====\n")
    stats.sort_stats("tottime").print_stats(20)
    body = re.sub(r"^.*\.prof\n", "", short(text.getvalue()), flags=re.M)  # the dated /tmp path line
    body = re.sub(r"\n{3,}", "\n\n", body)
    shown = " ".join(["scenmatrix", *[Path(a).name if a.startswith("/") else a for a in argv[1:]]])
    out = HERE / "profiles" / f"{command}-{study.stem.removeprefix('synthetic-')}.txt"
    out.parent.mkdir(exist_ok=True)
    out.write_text(
        f"python -m cProfile -m {shown}\n"
        f"({study.name} from benchmarks/generate.py, seed {seed}; written by benchmarks/bench_scale.py --profiles, "
        f"{time.strftime('%Y-%m-%d')})\n"
        f"{r['seconds']:.1f} s whole process under the profiler (cProfile slows Python code 2-3x), "
        f"{r['peak_mb']:.0f} MB peak\n\n"
        f"==== own time by library ({total:.1f} s profiled) ====\n" + "\n".join(lines) + "\n" + body.rstrip() + "\n")
    say(f"wrote {out.relative_to(REPO)}")
    return out


# --------------------------------------------------------------------------- the report

def cell(r: dict, seconds_key: str = "seconds") -> str:
    if r["timeout"]:
        return f"timeout (> {r['seconds']:.0f} s)"
    if r["rc"] != 0:
        return f"failed (exit {r['rc']})"
    cpu = r["write_cpu"] if seconds_key == "write_seconds" else r["cpu"]
    return f"{r[seconds_key]:.2f} s (cpu {cpu:.2f}) · {r['peak_mb']:.0f} MB"


def seconds(r: dict, key: str = "seconds") -> float | None:
    return None if r["timeout"] or r["rc"] != 0 else r[key]


def verdict(ok: bool | None) -> str:
    return "n/a" if ok is None else ("**met**" if ok else "**not met**")


def results_table(cases: list[dict]) -> str:
    lines = ["| study | impacts | `validate` | `export --format json -o` | `brief -t standard` "
             "| XlsxWriter constant_memory | zipfile + XML, deflate 6 | zipfile + XML, deflate 1 |",
             "|---|---:|---:|---:|---:|---:|---:|---:|"]
    for c in cases:
        yard = [cell(c[k], "write_seconds") for k in YARDSTICKS]
        lines.append(f"| {c['label']} | {c['impacts']:,} | {cell(c['validate'])} | {cell(c['export'])} "
                     f"| {cell(c['brief'])} | {' | '.join(yard)} |")
    return "\n".join(lines)


def ratio_text(big: dict, small: dict, key: str = "seconds") -> tuple[str, float | None]:
    a, b = seconds(big, key), seconds(small, key)
    if b is None:
        return "n/a", None
    if a is None:
        return (f"> {big[key] / b:.1f} (timeout)" if big["timeout"] else "n/a"), None
    return f"{a / b:.1f}", a / b


def targets_table(cases: list[dict]) -> str:
    by = {c["label"]: c for c in cases}
    rows = ["| target (issues 7 and 16) | measured | |", "|---|---|---|"]
    big, mid, default = by.get("100,000"), by.get("10,000"), by.get("default")
    wide = next((c for c in cases if "import" in c), None)
    if wide:
        b, i = wide["brief"], wide["import"]
        ok = None if b["rc"] != 0 and not b["timeout"] else (
            not b["timeout"] and b["seconds"] <= WIDE_BRIEF_SECONDS and b["peak_mb"] < WIDE_BRIEF_PEAK_MB
            and i["rc"] == 0 and "no changes" in i["stderr"] + i.get("stdout", ""))
        rows.append(f"| brief of {WIDE_ACTORS:,} actors x {WIDE_SCENARIOS} scenarios under {WIDE_BRIEF_SECONDS:g} s and "
                    f"{WIDE_BRIEF_PEAK_MB:,} MB, and its own brief imports back | brief {cell(b)}; import of that "
                    f"brief {cell(i)}, exit {i['rc']} | {verdict(ok)} |")
    if big:
        b, x = big["brief"], big["xlsxwriter"]
        bs, xs = seconds(b), seconds(x, "write_seconds")
        ok = None if xs is None else (bs is not None and bs <= xs)
        rows.append(f"| brief of 100,000 impacts no slower than XlsxWriter constant_memory writing the Impacts "
                    f"cells alone | brief {cell(b).split(' · ')[0]} whole process vs. XlsxWriter "
                    f"{cell(x, 'write_seconds').split(' · ')[0]} write ({cell(x).split(' · ')[0]} whole process); "
                    f"floor: zipfile deflate 6 {cell(big['zip6'], 'write_seconds').split(' · ')[0]}, deflate 1 "
                    f"{cell(big['zip1'], 'write_seconds').split(' · ')[0]} | {verdict(ok)} |")
        peak_ok = None if b["rc"] != 0 and not b["timeout"] else (not b["timeout"] and b["peak_mb"] < BRIEF_100K_PEAK_MB)
        peak = f"{b['peak_mb']:.0f} MB" + (" when killed at the timeout" if b["timeout"] else "")
        rows.append(f"| brief of 100,000 impacts: peak memory under {BRIEF_100K_PEAK_MB} MB | {peak} "
                    f"(XlsxWriter yardstick {x['peak_mb']:.0f} MB, rows held included) | {verdict(peak_ok)} |")
        if mid:
            rows.append(linearity_row(b, mid["brief"], by.get("1,000", {}).get("brief"),
                                      ", ".join(f"{k} {ratio_text(big[k], mid[k])[0]}" for k in ("validate", "export"))))
        v = big["validate"]
        vs = seconds(v)
        rows.append(f"| validate of 100,000 impacts within {VALIDATE_100K_SECONDS:g} s | {cell(v)} "
                    f"| {verdict(None if vs is None and not v['timeout'] else (vs is not None and vs <= VALIDATE_100K_SECONDS))} |")
    if default:
        d = default["brief"]
        ds = seconds(d)
        rows.append(f"| default study brief within {DEFAULT_BRIEF_SECONDS:g} s whole process | {cell(d)} "
                    f"| {verdict(None if ds is None and not d['timeout'] else (ds is not None and ds <= DEFAULT_BRIEF_SECONDS))} |")
    long_runs = [(c["label"], k) for c in cases for k in COMMANDS
                 if c[k]["seconds"] > 2 and not c[k]["timeout"] and c[k]["rc"] == 0]
    extra = {f"{label} {k}": [line for line in by[label][k]["stderr"].splitlines() if not line.startswith("wrote ")]
             for label, k in long_runs}
    noisy = {name: lines for name, lines in extra.items() if lines}
    said = "; ".join(f"{name}: {lines[0][:60]!r}" for name, lines in noisy.items())
    rows.append(f"| runs over ~2 s: progress bar on a terminal, nothing on a pipe | on a pipe (stderr of the "
                f"{len(long_runs)} run{'' if len(long_runs) == 1 else 's'} over 2 s, `wrote …` lines aside): {said or 'nothing'}; on a "
                f"terminal: `tests/test_brief_runtime.py` runs a long brief on a pseudo-terminal and sees the bar "
                f"| {verdict(False) if noisy else verdict(True)} |")
    return "\n".join(rows)


def linearity_row(big: dict, mid: dict, small: dict | None, others: str) -> str:
    """Whether the brief's cost grows linearly (or better) from 10,000 to 100,000 impacts.

    time(100k) / time(10k) is not 10 for any tool with a fixed start-up cost (imports, a second or so
    here), so the verdict compares the cost of the impacts beyond the 1,000-impact run's: 99,000 more
    impacts should cost at most 11 x (1 + tolerance) times what 9,000 more do."""
    text, _ = ratio_text(big, mid)
    cpu_text, _ = ratio_text(big, mid, "cpu")
    marginal = None
    if small and None not in (seconds(big, "cpu"), seconds(mid, "cpu"), seconds(small, "cpu")) \
            and mid["cpu"] > small["cpu"]:
        marginal = (big["cpu"] - small["cpu"]) / (mid["cpu"] - small["cpu"])
    limit = 11 * (1 + LINEAR_TOLERANCE)
    shown = "n/a" if marginal is None else f"{marginal:.1f}"
    return (f"| brief time linear (or better) from 10,000 to 100,000 impacts, within {LINEAR_TOLERANCE:.0%} "
            f"| cpu time beyond the 1,000-impact run's (which takes out the fixed start-up cost): {shown} for "
            f"99,000 vs 9,000 more impacts, 11 if linear, at most {limit:.1f} allowed; plain ratios "
            f"time(100k) / time(10k): brief {text} wall, {cpu_text} cpu; {others} "
            f"| {verdict(None if marginal is None else marginal <= limit)} |")


def machine(load_start: float, code: str) -> str:
    versions = []
    for name in ("scenmatrix", "openpyxl", "lxml", "XlsxWriter", "ruamel.yaml", "rapidyaml", "pydantic", "pandas",
                 "numpy", "click"):
        try:
            versions.append(f"{name} {metadata.version(name)}")
        except metadata.PackageNotFoundError:
            versions.append(f"{name} (not installed)")
    load_end = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    git = subprocess.run(["git", "describe", "--always", "--dirty"], cwd=REPO, capture_output=True, text=True)
    tree = f"commit {git.stdout.strip()}" if git.returncode == 0 else "not a git checkout"
    tree += f", {code}"
    return (f"{cpu_and_cores()}, load average {load_start:.1f} at the start and {load_end:.1f} "
            f"at the end; {tree}; Python {platform.python_version()}, {', '.join(versions)}; "
            f"`make bench` (`python benchmarks/bench_scale.py --readme --profiles`), {time.strftime('%Y-%m-%d')}.")


SECTION = """## Scale

Whole-process wall time, CPU time (user + system, in brackets: less sensitive than wall time to other
work on the machine) and peak memory (the process's own maximum resident set) of each command, the
fastest of {runs} runs, on studies from `benchmarks/generate.py` (seed {seed}; about sqrt(N/2)
scenarios and twice as many actors, rationale of ~200 characters) and on the default study
(`scenarios/russia-iran-2022.yaml`). Per-run timeout {timeout:.0f} s. The three yardstick columns
write the same cells as the brief's Impacts sheet (10 columns, header included), each in its own
process: their time is the write alone (the rows are read beforehand, untimed, by a line parser made
for the generator's format and checked against scenmatrix's own table at the smallest size), their
memory includes the rows held, and their files are read back with openpyxl at the smallest size.
Outputs go to files, not terminals. The code measured is a copy of `src/`, `templates/` and
`scenarios/` taken when the run starts (fingerprint below), so that edits made meanwhile do not mix
two versions in one table (`--live` measures the working tree instead). The harness's own process
peaked at {harness_mb:.0f} MB while measuring (a child's peak cannot read lower: Linux carries the
parent's high-water mark into the child). Regenerate with `make bench` ({minutes:.0f} minutes this
time, most of it the 100,000-impact runs).

{table}

{targets}

{machine}

cProfile summaries of `validate` and `brief` at 10,000 impacts (own time by library, scenmatrix's
functions by cumulative time, the top 20 functions by own time): [`profiles/validate-10000.txt`](profiles/validate-10000.txt),
[`profiles/brief-10000.txt`](profiles/brief-10000.txt).
"""


def write_readme(section: str) -> Path:
    return write_section("Scale", section)


def main() -> None:
    parser = argparse.ArgumentParser(description=" ".join(__doc__.split("\n\n")[0].split()))
    parser.add_argument("--readme", action="store_true", help="replace the Scale section of benchmarks/README.md")
    parser.add_argument("--profiles", action="store_true", help="write cProfile summaries to benchmarks/profiles/")
    parser.add_argument("--sizes", default="1000,10000,100000", help="impacts per generated study (comma-separated)")
    parser.add_argument("--timeout", type=float, default=600, help="seconds before a run is killed")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--runs", type=int, default=3, help="runs of each measurement; the fastest is shown")
    parser.add_argument("--live", action="store_true",
                        help="run on the working tree itself, not on a copy taken at the start")
    parser.add_argument("--yardstick", nargs=3, metavar=("KIND", "STUDY", "OUT"), help=argparse.SUPPRESS)
    parser.add_argument("--check", nargs=2, metavar=("STUDY", "FOLDER"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.yardstick:
        kind, study, out = args.yardstick
        yardstick_child(kind, Path(study), Path(out))
        return
    if args.check:
        check_yardsticks(Path(args.check[0]), Path(args.check[1]))
        return
    if not SCENMATRIX.exists():
        sys.exit(f"{SCENMATRIX} not found: run with the project's venv (make bench)")
    load_start = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    sizes = [int(s) for s in args.sizes.split(",") if s]
    begun = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="scenmatrix-bench-") as tmp:
        folder = Path(tmp)
        code = ("the working tree as it was during the run" if args.live else
                f"src/, templates/ and scenarios/ copied at the start (sha256 {snapshot(folder)}…)")
        cases = [measure_case("default", CODE / DEFAULT_STUDY, folder / "default", args.timeout, args.runs,
                              check=True)]
        for n in sizes:
            study = generate(n, folder, args.seed, args.timeout)
            cases.append(measure_case(f"{n:,}", study, folder / str(n), args.timeout, args.runs,
                                      check=n == min(sizes)))
            shutil.rmtree(folder / str(n))
        cases.append(measure_wide(folder, args))
        harness_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        if args.profiles:  # last: reading the profiles fattens this process (see `lean`)
            study = generate(10_000, folder, args.seed, args.timeout)
            for command in ("validate", "brief"):
                profile(command, study, folder / "profile", args.timeout, args.seed)
    minutes = (time.perf_counter() - begun) / 60
    section = SECTION.format(runs=args.runs, seed=args.seed, timeout=args.timeout, table=results_table(cases),
                             targets=targets_table(cases), machine=machine(load_start, code),
                             harness_mb=harness_mb, minutes=minutes)
    print(section)
    if args.readme:
        say(f"wrote {write_readme(section)}")


if __name__ == "__main__":
    main()
