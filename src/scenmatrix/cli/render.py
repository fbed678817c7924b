"""Plain-text tables for the terminal: fixed columns, long text clipped, numbers signed."""

from __future__ import annotations

import textwrap
from typing import Any, Sequence


def clip(text: Any, width: int) -> str:
    text = "" if text is None else str(text)
    return text if len(text) <= width else text[: width - 1] + "…"


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]], widths: Sequence[int]) -> str:
    """Left-aligned text, right-aligned numbers; every column clipped to its width."""
    def cell(value: Any, width: int) -> str:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return clip(value, width).rjust(width)
        return clip(value, width).ljust(width)

    lines = ["  ".join(clip(h, w).ljust(w) for h, w in zip(headers, widths)).rstrip()]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(cell(v, w) for v, w in zip(row, widths)).rstrip() for row in rows]
    return "\n".join(lines)


def signed(value: float) -> str:
    return f"{value:+.2f}"


def actor_report(report) -> str:
    """The per-actor analysis (a DataFrame from analysis.actor_report) as a terminal table."""
    headers = ["actor", "name", "expected", "range", "harm#", "worst", "P(<0)", "p5..p95", "moves it most"]
    rows = [
        [actor, r["name"], signed(r["expected"]), f"{signed(r['low'])}..{signed(r['high'])}", int(r["rank_harm"]),
         f"{int(r['worst_case']):+d} {r['worst_scenario']}" if r["worst_case"] < 0 else "-", f"{r['p_negative']:.0%}",
         f"{signed(r['p5'])}..{signed(r['p95'])}", r["moves_it_most"]]
        for actor, r in report.iterrows()
    ]
    return table(headers, rows, [11, 24, 8, 12, 5, 8, 5, 12, 26])


def pairs(frame, names: dict[str, str]) -> str:
    rows = [[r.relation, names.get(r.actor_a, r.actor_a), names.get(r.actor_b, r.actor_b), signed(r.alignment),
             f"{r.intensity:.1f}"] for r in frame.itertuples()]
    return table(["relation", "actor", "actor", "align", "weight"], rows, [8, 28, 28, 6, 6])


def cib_scenarios(report) -> str:
    """A study's cross-impact scenarios (a cib_study.CIBReport) as a terminal table, then the analyst's note."""
    descriptors = list(report.model.descriptors)
    if report.consistent:
        title = (f"Cross-impact balance: {len(report.scenarios)} consistent scenario"
                 f"{'s' * (len(report.scenarios) != 1)} of {report.scanned:,} (analyst judgment)")
    else:
        title = (f"Cross-impact balance: no consistent scenario of {report.scanned:,}; the least inconsistent "
                 f"(inconsistency {report.max_inconsistency}) (analyst judgment)")
    headers = ["code", *(report.descriptor_title(d) for d in descriptors), "inconsistency", "total impact"]
    widths = [max(4, *(len(s.code) for s in report.scenarios))] if report.scenarios else [4]
    for d in descriptors:
        longest = max(len(report.descriptor_title(d)), *map(len, report.model.descriptors[d].variants.values()))
        widths.append(min(longest, 30))
    widths += [13, 12]
    rows = [[s.code, *(report.variant_title(d, s.variants[d]) for d in descriptors), s.inconsistency,
             s.total_impact_score] for s in report.scenarios]
    lines = [title, "", table(headers, rows, widths)]
    if report.unbalanced:
        lines.append(f"warning: {len(report.unbalanced)} judgment group(s) do not sum to 0 "
                     "(`scenmatrix validate` shows where)")
    lines += ["", textwrap.fill(report.model.note, 100)]
    return "\n".join(lines)
