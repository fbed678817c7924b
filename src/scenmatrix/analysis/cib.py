"""Cross-impact balance (CIB) analysis after Weimer-Jehle (2006): pure functions on numpy arrays.

A CIB model has descriptors, each with two or more variants, and a square matrix of integer
judgments (-3..+3) over all variants: the cell in row i, column j says how strongly variant i, when
it holds, promotes (+) or hinders (-) variant j of another descriptor. A descriptor does not act on
itself, so the diagonal blocks are zero.

A scenario picks one variant per descriptor, written here as a tuple of 0-based variant indices.
Its impact balance on a variant is the sum, over the other descriptors, of the judgment of their
chosen variant on that variant. A scenario is consistent when every descriptor's chosen variant has
the highest balance within its descriptor (ties allowed); its inconsistency is the largest shortfall
(max balance - balance of the chosen variant) over the descriptors; its total impact score is the
sum of the balances of the chosen variants.

    from scenmatrix.analysis import cib
    from scenmatrix.store import cib_csv as cib_io
    model = cib_io.read_matrix("tests/data/cib/somewhereland.csv").matrix
    found = cib.enumerate_scenarios(model)                 # all consistent scenarios
    found = cib.enumerate_scenarios(model, max_inconsistency=1)
    cib.balance_table(model, cib.parse_scenario(model, "313211"))
    cib.succession(model, (1, 0, 2, 0, 0, 0)).attractor
    cib.basins(model)                                      # every attractor of global succession, its basin

No file I/O here (see `cib_io`), and pandas is imported only by the functions that return frames.

The engine is in parts, each re-exported here: `cib_matrix` (the matrix, one scenario, codes and indices,
the budget, scenarios as people write them), `cib_search` (enumeration), `cib_succession` (succession) and
`cib_basins` (basins of attraction).
"""

from __future__ import annotations

from scenmatrix.analysis.budgets import MAX_CIB_SCENARIOS, MAX_LISTED
from scenmatrix.analysis.cib_matrix import (  # noqa: F401  (Progress is not in the star-export)
    JUDGMENT_MAX, JUDGMENT_MIN, CIBError, CIBMatrix, GroupSum, Progress, Scenario, ScenarioBudgetError,
    ScenarioError, balance_table, balances, check_budget, descriptor_gaps, group_sums, inconsistency,
    is_consistent, parse_scenario, scenario_at, scenario_code, scenario_index, space_size, total_impact_score)
from scenmatrix.analysis.cib_basins import Basins, basins
from scenmatrix.analysis.cib_search import CHUNK_CELLS, Enumeration, enumerate_scenarios  # noqa: F401
from scenmatrix.analysis.cib_succession import SUCCESSION_RULES, Succession, succession, successor  # noqa: F401


__all__ = [
    "JUDGMENT_MIN", "JUDGMENT_MAX", "CIBError", "ScenarioError", "CIBMatrix",
    "Scenario", "GroupSum", "Enumeration", "Succession",
    "balances", "descriptor_gaps", "inconsistency", "is_consistent", "total_impact_score", "balance_table",
    "group_sums", "enumerate_scenarios", "successor", "succession", "parse_scenario", "scenario_code",
    "scenario_index", "scenario_at", "MAX_CIB_SCENARIOS", "MAX_LISTED", "ScenarioBudgetError", "check_budget",
    "space_size", "Basins", "basins",
]
