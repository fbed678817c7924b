"""Seeded synthetic studies of a given size, valid by construction, for benchmarks and scale tests.

    python benchmarks/generate.py IMPACTS OUT.yaml [--seed N] [--scenarios S]

The study has about sqrt(IMPACTS / 2) scenarios (or S) and twice as many actors (or IMPACTS / S: every
pair rated; `10000 --scenarios 2` is 5,000 actors in 2 scenarios),
rationale text of ~200 characters, an evidence entry per 10 impacts and 3 indicators a scenario.
"""

from __future__ import annotations

import argparse
import math
import random
from pathlib import Path

WORDS = ("naval access sanctions drones exports energy pipeline summit militia satellite deterrence "
         "alliance corridor leverage escalation isolation restraint currency investment reactor "
         "missile airspace proxy basing rivalry coordination denial").split()
LIKELIHOODS = ("almost no chance", "very unlikely", "unlikely", "roughly even chance", "likely", "very likely",
               "almost certain")
DOMAINS = ("military", "security", "political", "diplomatic", "economic", "energy", "nuclear", "space")


def sentence(rng: random.Random, length: int) -> str:
    words: list[str] = []
    while sum(len(w) + 1 for w in words) < length:
        words.append(rng.choice(WORDS))
    return " ".join(words).capitalize() + "."


def shape(impacts: int, scenarios: int | None = None) -> tuple[int, int]:
    scenarios = scenarios or max(1, round(math.sqrt(impacts / 2)))
    return scenarios, max(1, math.ceil(impacts / scenarios))


def study_text(impacts: int, seed: int = 1, scenarios: int | None = None) -> str:
    rng = random.Random(seed)
    n_scenarios, n_actors = shape(impacts, scenarios)
    n_evidence = max(1, impacts // 10)
    out = ["# yaml-language-server: $schema=study.schema.json", "study:", f"  id: synthetic-{impacts}",
           f"  title: Synthetic study of {impacts} impacts", "  as_of: 2024-01-01", "  marking: TLP:AMBER",
           "  sources:", "    gen: {title: Generated, author: benchmarks/generate.py}",
           "  key_judgments:", "    KJ1: Generated for benchmarks.", "actors:"]
    out += [f"  A{a}: {{name: Actor {a}, kind: state}}" for a in range(n_actors)]
    out.append("evidence:")
    out += [f"  E{e}: {{claim: {sentence(rng, 120)}, source: Officials, cited_in: gen, grade: B2}}"
            for e in range(n_evidence)]
    out += ["drivers:", "  D1: {title: Driver, description: Generated driver., evidence: [E0]}", "scenarios:"]
    left = impacts
    for s in range(n_scenarios):
        out += [f"  S{s}:", f"    title: Scenario {s} {rng.choice(WORDS)}", f"    narrative: {sentence(rng, 300)}",
                f"    likelihood: {rng.choice(LIKELIHOODS)}", "    confidence: moderate", "    drivers: [D1]",
                "    indicators:"]
        out += [f"      S{s}-I{i}: {{text: {sentence(rng, 60)}, status: emerging}}" for i in range(3)]
        out.append("    impacts:")
        for a in range(min(n_actors, left)):
            out += [f"      A{a}:", f"        effect: {rng.randint(-3, 3)}",
                    f"        domains: [{rng.choice(DOMAINS)}]", "        confidence: low",
                    f"        rationale: {sentence(rng, 200)}", f"        evidence: [E{rng.randrange(n_evidence)}]"]
        left -= min(n_actors, left)
    return "\n".join(out) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("impacts", type=int)
    parser.add_argument("out", type=Path)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--scenarios", type=int, help="this many scenarios (default: about sqrt(IMPACTS / 2))")
    args = parser.parse_args()
    args.out.write_text(study_text(args.impacts, args.seed, args.scenarios), encoding="utf-8")


if __name__ == "__main__":
    main()
