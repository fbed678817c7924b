"""The one terminal renderer: plain-text tables, columns fixed or as wide as their widest cell, long text
clipped. Only the standard library at import, so that any command may use it."""

from __future__ import annotations

import textwrap
from typing import Any, Collection, Iterable, Iterator, Optional, Sequence


def clip(text: Any, width: int) -> str:
    text = "" if text is None else str(text)
    return text if len(text) <= width else text[: width - 1] + "…"


def widest(rows: Sequence[Sequence[Any]]) -> list[int]:
    """Each column's width: its widest cell."""
    return [max(len("" if row[c] is None else str(row[c])) for row in rows) for c in range(len(rows[0]))]


def lines(headers: Optional[Sequence[str]], rows: Iterable[Sequence[Any]], widths: Sequence[int],
          right: Optional[Collection[int]] = None, rule: bool = True) -> Iterator[str]:
    """A table line by line, so that a long one can be printed as it is computed.

    Every cell is clipped to its column's width. Columns in `right` are aligned right; without `right`,
    numbers are. `rule` draws dashes under the headers."""
    def cell(c: int, value: Any, width: int) -> str:
        numeric = isinstance(value, (int, float)) and not isinstance(value, bool)
        return clip(value, width).rjust(width) if (numeric if right is None else c in right) else \
            clip(value, width).ljust(width)

    if headers is not None:
        yield "  ".join(cell(c, h, w) if right is not None else clip(h, w).ljust(w)
                        for c, (h, w) in enumerate(zip(headers, widths))).rstrip()
        if rule:
            yield "  ".join("-" * w for w in widths)
    for row in rows:
        yield "  ".join(cell(c, v, w) for c, (v, w) in enumerate(zip(row, widths))).rstrip()


def table(headers: Optional[Sequence[str]], rows: Sequence[Sequence[Any]], widths: Optional[Sequence[int]] = None,
          right: Optional[Collection[int]] = None, rule: bool = True) -> str:
    """The whole table as text; `widths` default to the widest cell of each column, headers included."""
    if widths is None:
        widths = widest([headers, *rows] if headers is not None else list(rows))
    return "\n".join(lines(headers, rows, widths, right, rule))


def actor_report(analysis) -> str:
    """The per-actor analysis (an analysis.report.StudyAnalysis) as a terminal table."""
    from scenmatrix.analysis.report import ACTOR_HEADERS

    return table(ACTOR_HEADERS, analysis.actor_rows(), [11, 24, 8, 12, 8, 5, 8, 5, 12, 26], right={2, 4, 5, 7})


def pairs(analysis) -> str:
    """The strongest alignments and oppositions of a StudyAnalysis."""
    from scenmatrix.analysis.report import PAIR_HEADERS

    return table(PAIR_HEADERS, analysis.pair_rows(), [8, 28, 28, 6, 6, 6], right={3, 4, 5})


def raters(analysis) -> str:
    """How far each actor's expected impact moves across the reviewers' ratings (StudyAnalysis.rater_rows)."""
    headers, rows = analysis.rater_rows()
    return table(headers, rows, right={2, 3, 4, *range(5, len(headers))})


def disagreements(found: Sequence[Any]) -> str:
    """Where raters disagree (analysis.ratings.Spread), one line a field, then the lead's rationale."""
    rows = [[s.key, s.kind, s.field, _rated(s.lead), ", ".join(f"{who} {_rated(v)}" for who, v in s.reviewers.items()),
             s.raters, s.steps] for s in found]
    return table(["entry", "kind", "field", "lead", "reviewers", "raters", "steps"], rows, right={5, 6})


def _rated(value: Any) -> str:
    return f"{value:+d}" if isinstance(value, int) and not isinstance(value, bool) and value else str(value)


def cib_scenarios(report) -> str:
    """A study's cross-impact scenarios (a cib_study.CIBReport) as a terminal table, then the analyst's note."""
    from scenmatrix.analysis.cib_matrix import space_size  # numpy: loaded already, by the report

    descriptors = list(report.model.descriptors)
    count = len(report.scenarios) + report.left_out
    if report.stopped:
        title = (f"Cross-impact balance: {count:,} consistent scenario{'s' * (count != 1)} found in part of "
                 f"{space_size(report.space)} (analyst judgment)")
    elif report.consistent:
        title = (f"Cross-impact balance: {count:,} consistent scenario{'s' * (count != 1)} of "
                 f"{space_size(report.scanned)} (analyst judgment)")
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
    if report.left_out:
        title += f"; the first {len(report.scenarios):,} are listed"
    lines = [title, "", table(headers, rows, widths)]
    if report.stopped:
        lines.append(f"warning: {report.stopped}")
    if report.unbalanced:
        lines.append(f"warning: {report.unbalanced_saying()} (`scenmatrix validate` shows where)")
    lines += ["", textwrap.fill(report.model.note, 100)]
    return "\n".join(lines)
