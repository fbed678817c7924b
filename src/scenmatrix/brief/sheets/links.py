"""Hyperlinks from a cell to the table row it names, within Excel's limit of links a sheet."""

from __future__ import annotations

from typing import Optional

from scenmatrix.brief.context import Context

# Excel keeps at most 65,530 hyperlinks a worksheet and repairs (drops) the rest; stay well below.
# Read in this module alone (link_budget, links_fit): lowering it here lowers it for every sheet.
MAX_LINKS = 65_000
LINK_PRIORITY = ("evidence", "scenarios", "actors")  # what a reader most wants to jump to


def cell_link(ctx: Context, table: str, value) -> Optional[str]:
    """Where a cell naming a row of `table` links to (the first of several '; '-separated ids), or a row key."""
    if isinstance(value, str):
        value = value.split("; ")[0] if value else None
    target = ctx.link(table, value) if value is not None else None
    return target[1:] if target else None


def link_budget(targets: list, rows: int) -> list:
    """The link columns that fit the sheet's hyperlink limit, least useful dropped first."""
    targets = list(targets)
    for dropped in reversed(LINK_PRIORITY):
        if sum(t is not None for t in targets) * rows <= MAX_LINKS:
            break
        targets = [None if t == dropped else t for t in targets]
    return targets


def links_fit(count: int) -> bool:
    """Whether a sheet may carry `count` hyperlinks."""
    return count <= MAX_LINKS
