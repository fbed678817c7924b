"""Succession: from a scenario, switch inconsistent descriptors to their strongest variant until a scenario
repeats (a fixed point, that is a consistent scenario, or a cycle)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np

from scenmatrix.analysis.cib_matrix import CIBMatrix, Scenario, _check, _rows, balances
from scenmatrix.errors import UsageError

SUCCESSION_RULES = ("global", "adjusted")


@dataclass(frozen=True)
class Succession:
    """Where repeated succession steps lead from `path[0]`.

    `path` lists every scenario visited, each once, ending where the next step would revisit one;
    `attractor` is the tail of the path that repeats: one scenario (a consistent scenario, the fixed
    point) or the scenarios of a cycle in the order visited. `attractor` is empty when no scenario
    repeated within the step limit.
    """

    rule: str
    path: tuple[Scenario, ...]
    attractor: tuple[Scenario, ...]

    @property
    def is_cycle(self) -> bool:
        return len(self.attractor) > 1

    @property
    def steps(self) -> int:
        """Steps taken until the attractor was first reached."""
        return len(self.path) - len(self.attractor) if self.attractor else len(self.path) - 1


def successor(m: CIBMatrix, scenario: Sequence[int], rule: str = "global") -> Scenario:
    """One succession step.

    global:   every inconsistent descriptor switches, all at once, to its highest-balance variant.
    adjusted: only the descriptors with the largest gap switch in this step (ScenarioWizard's
              "adjusted succession"); the others wait for the balances to be recomputed.
    A descriptor whose chosen variant ties for the highest balance stays; when several other
    variants tie for the highest, the first listed is taken.
    """
    if rule not in SUCCESSION_RULES:
        raise UsageError(f"unknown succession rule {rule!r}; use one of {', '.join(SUCCESSION_RULES)}")
    s = _check(m, scenario)
    bal = balances(m, s)
    gaps = np.maximum.reduceat(bal, m.offsets) - bal[_rows(m, s)]
    limit = 1 if rule == "global" else max(1, int(gaps.max()))
    out = list(s)
    for j, (o, n) in enumerate(zip(m.offsets, m.sizes)):
        if gaps[j] >= limit:
            out[j] = int(np.argmax(bal[o:o + n]))
    return tuple(out)


def succession(m: CIBMatrix, start: Sequence[int], rule: str = "global", max_steps: int = 10_000) -> Succession:
    """Apply `successor` from `start` until a scenario repeats (a fixed point or a cycle)."""
    path = [_check(m, start)]
    seen = {path[0]: 0}
    for _ in range(max_steps):
        nxt = successor(m, path[-1], rule)
        if nxt in seen:
            return Succession(rule, tuple(path), tuple(path[seen[nxt]:]))
        seen[nxt] = len(path)
        path.append(nxt)
    return Succession(rule, tuple(path), ())
