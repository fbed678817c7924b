"""Throughput of CIB enumeration (scenarios scanned per second) at 10^5, 10^6 and 10^7 scenarios.

    python benchmarks/bench_cib.py            print the results table (Markdown)
    python benchmarks/bench_cib.py --readme   also replace the "CIB" section of benchmarks/README.md
    python benchmarks/bench_cib.py --search   branch and bound (cib.find_scenarios) on the search cases only

Each measurement runs in a fresh process (so that its peak memory is its own) and is the best of
three runs. Models are random and seeded: k descriptors of 5 variants and k of 2 (exactly 10^k
scenarios); half of the descriptor pairs interact, with judgments uniform in -3..+3, the others are
0. The last row is the worst case for memory: an all-zero matrix, where every scenario is
consistent and all 10^7 are returned.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path
from readme_section import cpu_and_cores, write_section  # noqa: E402  (benchmarks/ is on sys.path when run)

HERE = Path(__file__).resolve().parent
try:
    import numpy as np

    from scenmatrix.analysis import cib
except ImportError:  # run from a checkout without the package installed
    sys.path.insert(0, str(HERE.parent / "src"))
    import numpy as np

    from scenmatrix.analysis import cib

CASES = [  # (label, k, kind, max inconsistency, workers)
    ("10^5", 5, "random", 0, 1),
    ("10^5", 5, "random", 0, 2),
    ("10^6", 6, "random", 0, 1),
    ("10^6", 6, "random", 0, 2),
    ("10^7", 7, "random", 0, 1),
    ("10^7", 7, "random", 0, 2),
    ("10^7", 7, "random", 2, 2),
    ("10^7", 7, "all zero", 0, 2),
]


def model(k: int, kind: str, seed: int = 2024) -> cib.CIBMatrix:
    sizes = [5] * k + [2] * k
    n = sum(sizes)
    offsets = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    J = np.zeros((n, n), dtype=int)
    if kind == "random":
        rng = np.random.default_rng(seed)
        for a, (oa, na) in enumerate(zip(offsets, sizes)):
            for b, (ob, nb) in enumerate(zip(offsets, sizes)):
                if a != b and rng.random() < 0.5:
                    J[oa:oa + na, ob:ob + nb] = rng.integers(-3, 4, (na, nb))
    names = tuple(f"D{i}" for i in range(len(sizes)))
    return cib.CIBMatrix(names, tuple(tuple(f"v{j}" for j in range(s)) for s in sizes), J)


SEARCH_CASES = [  # (label, matrix, max inconsistency, node budget)
    ("CIB_nested.scw (ScenarioWizard, 17 descriptors)", "nested", 0, None),
    ("bench_50x50.scw (CrossImpactBalances.jl's benchmark, 15 descriptors)", "peer", 0, None),
    ("20 x 5 balanced, half the pairs interacting", "20x5", 0, None),
    ("20 x 5 balanced, half the pairs interacting", "20x5", 0, 2_000_000),  # a search stopped by its budget
]


def balanced(descriptors: int = 20, variants: int = 5, density: float = 0.5, seed: int = 2024) -> cib.CIBMatrix:
    """A random standardized model: each interacting pair's judgment rows sum to 0, judgments in -3..+3."""
    rng = np.random.default_rng(seed)
    n = descriptors * variants
    J = np.zeros((n, n), dtype=int)
    for a in range(descriptors):
        for b in range(descriptors):
            if a == b or rng.random() >= density:
                continue
            for i in range(variants):
                row = rng.integers(-3, 4, variants)
                while row.sum():  # walk entries toward a zero sum, within the scale
                    j = rng.integers(variants)
                    step = -np.sign(row.sum())
                    if -3 <= row[j] + step <= 3:
                        row[j] += step
                J[a * variants + i, b * variants:(b + 1) * variants] = row
    return cib.CIBMatrix(tuple(f"D{i}" for i in range(descriptors)),
                         tuple(tuple(f"v{j}" for j in range(variants)) for _ in range(descriptors)), J)


def search_matrix(name: str) -> cib.CIBMatrix:
    files = {"nested": "CIB_nested.scw", "peer": "bench_50x50.scw"}
    if name in files:
        from scenmatrix.store import cib_scw
        return cib_scw.read_scw(HERE.parent / "tests" / "data" / "cib" / files[name]).matrix
    return balanced()


def whole_process() -> str:
    """The issue's yardstick: `cib scenarios` on the peer's 60-million file, a whole process, against a bare
    `python -c "import numpy"` measured in the same moment (best of three each: other work shares the cores)."""
    peer = HERE.parent / "tests" / "data" / "cib" / "bench_50x50.scw"
    env = {**os.environ, "PYTHONPATH": str(HERE.parent / "src")}

    def best(args: list[str]) -> float:
        times = []
        for _ in range(3):
            start = time.perf_counter()
            subprocess.run(args, capture_output=True, check=True, env=env)
            times.append(time.perf_counter() - start)
        return min(times)

    numpy_s = best([sys.executable, "-c", "import numpy"])
    cli_s = best([sys.executable, "-m", "scenmatrix", "cib", "scenarios", str(peer)])
    return (f"Whole process, `scenmatrix cib scenarios tests/data/cib/bench_50x50.scw` (60,466,176 scenarios, the "
            f"5 consistent ones): {cli_s:.2f} s, {cli_s / numpy_s:.1f} x a bare `python -c \"import numpy\"` "
            f"({numpy_s:.2f} s) in the same run.")


def measure_search(name: str, max_inconsistency: int, max_nodes: int | None) -> dict:
    from scenmatrix.analysis.budgets import MAX_CIB_SEARCH_NODES
    m = search_matrix(name)
    start, cpu = time.perf_counter(), _cpu()
    found = cib.find_scenarios(m, max_inconsistency, max_nodes=max_nodes or MAX_CIB_SEARCH_NODES)
    seconds = time.perf_counter() - start
    return {"scenarios": m.n_scenarios, "found": len(found), "seconds": seconds, "cpu": _cpu() - cpu,
            "complete": bool(getattr(found, "complete", True)), "share": getattr(found, "share", 1.0),
            "nodes": getattr(found, "nodes", 0), "max_nodes": max_nodes or MAX_CIB_SEARCH_NODES,
            "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            "worker_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024}


def _cpu() -> float:
    """CPU seconds of this process and of its finished children (the search's pool)."""
    own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def _workers_mb(r: dict) -> str:
    return f" + {r['worker_mb']:.0f} MB a pool process" if r.get("worker_mb") else ""


def search_table() -> str:
    rows = ["| model | scenarios | node budget | nodes | settled | found | seconds | CPU seconds | peak memory |",
            "|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for label, name, max_inc, max_nodes in SEARCH_CASES:
        out = subprocess.run([sys.executable, __file__, "--one-search", name, str(max_inc), str(max_nodes or 0)],
                             capture_output=True, text=True, check=True).stdout
        r = json.loads(out)
        rows.append(f"| {label} | {cib.space_size(r['scenarios'])} | {r['max_nodes']:,} | {r['nodes']:,} "
                    f"| {100 * r['share']:.1f} % | {r['found']:,} | {r['seconds']:.2f} | {r['cpu']:.2f} "
                    f"| {r['peak_mb']:.0f} MB{_workers_mb(r)} |")
        print(rows[-1], file=sys.stderr, flush=True)
    return "\n".join(rows) + "\n\n" + whole_process()


def measure(k: int, kind: str, max_inconsistency: int, workers: int) -> dict:
    m = model(k, kind)
    best, found = float("inf"), 0
    for _ in range(3):
        start = time.perf_counter()
        result = cib.enumerate_scenarios(m, max_inconsistency, workers=workers)
        best = min(best, time.perf_counter() - start)
        found = len(result)
        del result
    return {"scenarios": m.n_scenarios, "descriptors": len(m.sizes), "variants": m.n_variants, "found": found,
            "seconds": best, "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def run_case(k: int, kind: str, max_inconsistency: int, workers: int) -> dict:
    out = subprocess.run([sys.executable, __file__, "--one", str(k), kind, str(max_inconsistency), str(workers)],
                         capture_output=True, text=True, check=True).stdout
    return json.loads(out)


def table() -> str:
    rows = ["| scenarios | descriptors / variants | matrix | max inconsistency | threads | found | seconds "
            "| scenarios per second | peak memory |",
            "|---|---|---|---:|---:|---:|---:|---:|---:|"]
    for label, k, kind, max_inc, workers in CASES:
        r = run_case(k, kind, max_inc, workers)
        rows.append(f"| {label} | {r['descriptors']} / {r['variants']} | {kind} | {max_inc} | {workers} "
                    f"| {r['found']:,} | {r['seconds']:.3f} | {r['scenarios'] / r['seconds']:,.0f} "
                    f"| {r['peak_mb']:.0f} MB{_workers_mb(r)} |")
        print(rows[-1], file=sys.stderr, flush=True)
    return "\n".join(rows)


def machine() -> str:
    load = f", load average {os.getloadavg()[0]:.1f} at the end" if hasattr(os, "getloadavg") else ""
    return (f"{cpu_and_cores()}{load}; Python {platform.python_version()}, numpy {np.__version__}; "
            f"`python benchmarks/bench_cib.py`, {time.strftime('%Y-%m-%d')}.")


SECTION = """## CIB

Enumeration of a cross-impact matrix's scenarios (`scenmatrix.analysis.cib.enumerate_scenarios`): every
scenario of the space is scanned; "found" is how many have inconsistency <= the maximum. Models are
random and seeded (k descriptors of 5 variants and k of 2, half of the descriptor pairs interacting,
judgments uniform in -3..+3); the all-zero matrix is the worst case for memory, since every scenario
is consistent and returned. Best of three runs, each case in a fresh process; peak memory is the
process's maximum resident set, Python and numpy included. The goal (issue 6) was 10^7 scenarios in
under a minute on 2 cores with bounded memory: working memory is bounded per chunk
(`CHUNK_CELLS`), and beyond it memory grows only with the scenarios found (14 bytes each).

{table}

Exact search at any size (`cib.find_scenarios`, used by `cib scenarios`): depth-first branch and bound,
the part of a search left after half a second in a pool of one process per core (CPU seconds are all its
processes'); "settled" is the share of the space the search proved (every scenario in it found or
excluded); a search that stops at its node budget says so and claims nothing about the rest.

{search}

{machine}
"""


def write_readme(section: str) -> Path:
    return write_section("CIB", section)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--readme", action="store_true", help="replace the CIB section of benchmarks/README.md")
    parser.add_argument("--search", action="store_true", help="only the branch-and-bound cases")
    parser.add_argument("--one-search", nargs=3, help=argparse.SUPPRESS)
    parser.add_argument("--one", nargs=4, metavar=("K", "KIND", "MAX_INCONSISTENCY", "WORKERS"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one_search:
        name, max_inc, max_nodes = args.one_search
        print(json.dumps(measure_search(name, int(max_inc), int(max_nodes) or None)))
        return
    if args.search:
        print(search_table())
        return
    if args.one:
        k, kind, max_inc, workers = args.one
        print(json.dumps(measure(int(k), kind, int(max_inc), int(workers))))
        return
    section = SECTION.format(table=table(), search=search_table(), machine=machine())
    print(section)
    if args.readme:
        print(f"wrote {write_readme(section)}", file=sys.stderr)


if __name__ == "__main__":
    main()
