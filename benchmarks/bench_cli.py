"""Whole-process timings of the commands an analyst runs most, beside Python's own start-up.

    .venv/bin/python benchmarks/bench_cli.py [--runs 15] [STUDY]

Not a test: prints a table of median and best wall-clock times. Targets (issue 4): `--help`
within 60 ms and an edit within 150 ms. STUDY defaults to scenarios/russia-iran-2022.yaml; it is
copied to a temporary folder, so the benchmark never changes it.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BIN = Path(sys.executable).parent
REPO = Path(__file__).resolve().parents[1]


def timed(argv: list[str], runs: int, vary=None) -> tuple[float, float]:
    times = []
    for i in range(runs):
        args = vary(argv, i) if vary else argv
        start = time.perf_counter()
        done = subprocess.run(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        times.append(time.perf_counter() - start)
        if done.returncode != 0:
            sys.exit(f"failed: {' '.join(args)}\n{done.stderr.decode()}")
    return statistics.median(times), min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("study", nargs="?", type=Path, default=REPO / "scenarios" / "russia-iran-2022.yaml")
    parser.add_argument("--runs", type=int, default=15)
    options = parser.parse_args()
    sys.path.insert(0, str(REPO / "src"))
    from scenmatrix import edit  # noqa: E402

    with tempfile.TemporaryDirectory() as folder:
        study = Path(folder) / "study.yaml"
        if options.study.exists():
            shutil.copy(options.study, study)
        else:
            print(f"({options.study} not found: using a small generated study)")
            edit.new_study(study, "Benchmark", as_of="2022-05-01")
            edit.add(study, "scenario", "S1", {"title": "t", "narrative": "n", "likelihood": "likely",
                                               "confidence": "low"})
        scenario = next(iter(edit.entries(study, "scenario")))["id"]
        for i in range(options.runs):
            edit.add(study, "actor", f"BENCH{i}", {"name": f"Bench {i}", "kind": "other"})
        scenmatrix = str(BIN / "scenmatrix")
        python = sys.executable

        def impact(argv: list[str], i: int) -> list[str]:
            return [*argv[:3], f"{scenario}/BENCH{i}", *argv[3:]]

        rows = [
            ("python -c pass", [python, "-c", "pass"], None),
            ('python -c "import click"', [python, "-c", "import click"], None),
            ("scenmatrix --help", [scenmatrix, "--help"], None),
            ("scenmatrix add impact ...", [scenmatrix, "add", "impact", "--effect", "-1", "--domain", "political",
                                           "--confidence", "low", "--rationale", "Benchmark.", "-s", str(study)], impact),
            ("scenmatrix list actor", [scenmatrix, "list", "actor", "-s", str(study)], None),
            ("scenmatrix validate STUDY", [scenmatrix, "validate", str(study)], None),
        ]
        lines = study.read_text().count("\n")
        print(f"study: {options.study.name} ({lines} lines), {options.runs} runs each, whole process")
        print(f"{'command':<28} {'median':>8} {'best':>8}")
        for name, argv, vary in rows:
            median, best = timed(argv, options.runs, vary)
            print(f"{name:<28} {median * 1000:>6.0f}ms {best * 1000:>6.0f}ms")


if __name__ == "__main__":
    main()
