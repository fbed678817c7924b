"""tidy_all, the brief's whole-column `tidy`, gives exactly what `tidy` gives one value at a time."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from scenmatrix.analysis.rounding import tidy
from scenmatrix.brief.tables import tidy_all

values = st.one_of(st.floats(allow_nan=True, allow_infinity=True),
                   st.floats(-1e4, 1e4),
                   st.integers(-10**6, 10**6).map(lambda n: n / 2000),  # halves at the digits shown
                   st.integers(-10**12, 10**12).map(lambda n: n / 10**10 + 5e-11))  # halves at the 9th decimal


@settings(max_examples=300, deadline=None)
@given(st.lists(values, min_size=1, max_size=50))
def test_tidy_all_is_tidy_of_each_value(xs: list[float]) -> None:
    out = tidy_all(np.array(xs, dtype="float64"))
    for x, y in zip(xs, out.tolist()):
        assert (x != x and y != y) or (repr(y) == repr(tidy(x)))


def test_numpy_floats_are_tidied_as_python_floats_are() -> None:
    # np.float64's own __round__ scales first and rounds -9.5155659955 up in its last digit
    assert tidy(np.float64(-9.5155659955)) == tidy(-9.5155659955) == -9.515565995
