"""A study as normalized tables: rows of plain values, one table per kind of entry.

The rows are plain dicts so that JSON export and the CLI need no pandas; `frames` gives DataFrames
for analysis and the brief.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from scenmatrix.study.columns import COLUMNS, TABLES
from scenmatrix.study.model import Study

if TYPE_CHECKING:
    import pandas as pd

Row = dict[str, Any]



def rows(study: Study) -> dict[str, list[Row]]:
    """Every table of the study, in a stable order (the order of the file)."""
    return {name: globals()[f"_{name}"](study) for name in TABLES}


def _sources(study: Study) -> list[Row]:
    return [{"id": sid, **s.model_dump(mode="json")} for sid, s in study.study.sources.items()]


def _key_judgments(study: Study) -> list[Row]:
    return [{"id": kid, "text": text} for kid, text in study.study.key_judgments.items()]


def _actors(study: Study) -> list[Row]:
    return [{"id": aid, "name": a.name, "kind": a.kind, "aliases": a.aliases} for aid, a in study.actors.items()]


def _scenarios(study: Study) -> list[Row]:
    out = []
    for sid, s in study.scenarios.items():
        band = study.band(s.likelihood)
        out.append({
            "id": sid, "title": s.title, "likelihood": s.likelihood,
            "probability_low": band.low, "probability_high": band.high,
            "confidence": s.confidence, "horizon": s.horizon, "narrative": s.narrative,
            "drivers": s.drivers, "constraints": s.constraints,
        })
    return out


def _indicators(study: Study) -> list[Row]:
    return [
        {"id": iid, "scenario": sid, "text": ind.text, "status": ind.status}
        for sid, s in study.scenarios.items()
        for iid, ind in s.indicators.items()
    ]


def _impacts(study: Study) -> list[Row]:
    return [
        {
            "scenario": sid, "actor": aid, "effect": imp.effect, "domains": imp.domains,
            "confidence": imp.confidence, "rationale": imp.rationale, "evidence": imp.evidence,
        }
        for sid, s in study.scenarios.items()
        for aid, imp in s.impacts.items()
    ]


def _evidence(study: Study) -> list[Row]:
    return [
        {
            "id": eid, "claim": e.claim, "source": e.source, "cited_in": e.cited_in, "grade": e.grade,
            "quote": e.quote, "contested_by": list(e.contested_by),
            "contest_notes": list(e.contested_by.values()),
        }
        for eid, e in study.evidence.items()
    ]


def _drivers(study: Study) -> list[Row]:
    return [
        {"id": fid, "type": kind, "title": f.title, "description": f.description, "evidence": f.evidence}
        for kind, section in (("driver", study.drivers), ("constraint", study.constraints))
        for fid, f in section.items()
    ]


def _cib_descriptors(study: Study) -> list[Row]:
    descriptors = study.cib.descriptors if study.cib else {}
    return [{"id": did, "title": d.title, "variants": len(d.variants)} for did, d in descriptors.items()]


def _cib_variants(study: Study) -> list[Row]:
    descriptors = study.cib.descriptors if study.cib else {}
    return [{"descriptor": did, "id": vid, "title": title}
            for did, d in descriptors.items() for vid, title in d.variants.items()]


def _cib_judgments(study: Study) -> list[Row]:
    judgments = study.cib.judgments if study.cib else {}
    return [{"source": source, "target": target, "judgment": value}
            for source, row in judgments.items() for target, value in row.items()]


def flat(value: Any) -> Any:
    """A list as one '; '-joined cell, for CSV and spreadsheets."""
    return "; ".join(map(str, value)) if isinstance(value, list) else value


def frames(study: Study) -> dict[str, "pd.DataFrame"]:
    """The tables as DataFrames, with their columns even when a table has no rows."""
    import pandas as pd

    return {name: pd.DataFrame(table, columns=list(COLUMNS[name])) for name, table in rows(study).items()}
