"""Analysis of a study: impacts (exposure, sensitivity, Monte Carlo, alignment) and cross-impact balance
(`cib` engine, `cib_csv` files, `cib_model` for a study's own `cib:` section).

The impact functions are re-exported here lazily, so that `import scenmatrix.analysis.cib` pulls in no pandas.
"""

from __future__ import annotations

_IMPACTS = ("impact_matrix", "expected_impact", "actor_summary", "exposure", "sensitivity", "monte_carlo",
            "alignment", "strongest_pairs", "analyze", "actor_report")
__all__ = list(_IMPACTS)


def __getattr__(name: str):
    if name in _IMPACTS:
        from scenmatrix.analysis import impacts

        return getattr(impacts, name)
    raise AttributeError(name)
