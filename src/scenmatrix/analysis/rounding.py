"""One rounding rule for every figure a reader sees: half away from zero, at the precision shown.

Excel and LibreOffice show a cell's number from its value to 15 significant digits, rounded half away
from zero; Python's `format` rounds the exact binary value half to even. And arithmetic leaves noise in
the last digits: 0.525 reached by two subtractions is 0.5249999999999995 once and 0.5250000000000004
the other time, shown as 0.52 and 0.53. So the brief's figures are `tidy` (the noise dropped) before
any is written, cells show them through a number format, and text (chart titles, the terminal) goes
through `rounded`, which rounds the same tidy value the same way: every reader sees the same digits.
"""

from __future__ import annotations

import math
from decimal import ROUND_HALF_UP, Decimal

# Decimals kept: the analysis multiplies probabilities of a few decimals by small integers and sums them,
# so its figures are exact to far fewer; the noise is some 1e-16 of their size (and a sum that should be
# 0 can come out as -6.9e-18, which a cell would show as -0.00). A brief shows at most two decimals.
DECIMALS = 9


def tidy(value: float) -> float:
    """`value` without arithmetic noise: 5.125 - 4.6 (0.5250000000000004) becomes 0.525, -6.9e-18 becomes 0."""
    # float() first: numpy's float64 would round by its own (scaled) method, which differs in the last digit
    return round(float(value), DECIMALS) + 0.0  # + 0.0: no -0.0


def rounded(value: float, places: int) -> Decimal:
    """The tidy value rounded half away from zero to `places` decimals (Decimal's ROUND_HALF_UP)."""
    number = Decimal(repr(tidy(value))).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    return abs(number) if number == 0 else number  # no "-0.00"


def signed(value: float, places: int = 2) -> str:
    """'+0.53', '-2.83', '0.00': what number format +0.00;-0.00;0.00 shows of the tidy value."""
    if not math.isfinite(value):
        return str(value)
    number = rounded(value, places)
    return f"{number}" if number == 0 else f"{number:+}"


def plain(value: float, places: int = 2) -> str:
    """'0.53': what number format 0.00 shows."""
    return f"{rounded(value, places)}"


def percent(value: float) -> str:
    """'100%': a probability as number format 0% shows it."""
    return f"{rounded(100 * tidy(value), 0)}%"


SIGNED = "+0.00;-0.00;0.00"  # the number formats that show what `signed`, `plain` and `percent` write
PLAIN = "0.00"
PERCENT = "0%"
