"""The one catalogue of problem codes, and problems' severity."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from scenmatrix.errors import CODES, Problem, UsageError, warning

SRC = Path(__file__).resolve().parents[2] / "src" / "scenmatrix"
# Where a call names its code: Problem(path, line, col, code, ...), warning(path, line, col, code, ...), and
# the positioning helpers problem(loc_or_cell, code, ...).
CODE_ARGUMENT = {"Problem": 3, "warning": 3, "problem": 1}


def _codes_in_source() -> tuple[dict[str, list[str]], list[str]]:
    """Literal codes -> where they are used, and calls whose code is neither a literal nor forwarded."""
    literal: dict[str, list[str]] = {}
    other: list[str] = []
    for path in sorted(SRC.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""
            if name not in CODE_ARGUMENT:
                continue
            where = f"{path.relative_to(SRC)}:{node.lineno}"
            code = next((k.value for k in node.keywords if k.arg == "code"), None)
            if code is None and len(node.args) > CODE_ARGUMENT[name]:
                code = node.args[CODE_ARGUMENT[name]]
            if isinstance(code, ast.Constant) and isinstance(code.value, str):
                literal.setdefault(code.value, []).append(where)
            elif isinstance(code, ast.Name) and code.id == "code":
                continue  # a helper passing on its own `code` parameter: its callers are checked
            elif isinstance(code, ast.Call) and isinstance(code.func, ast.Name) and code.func.id == "_code":
                continue  # pydantic's error type, mapped onto the catalogue
            else:
                other.append(f"{where}: {ast.unparse(node)[:80]}")
    return literal, other


def test_every_code_used_in_the_source_is_in_the_catalogue():
    literal, other = _codes_in_source()
    assert other == []
    assert {code: where for code, where in literal.items() if code not in CODES} == {}
    assert len(literal) > 30  # the walk finds the calls


def test_every_catalogued_code_has_a_one_line_meaning():
    for code, meaning in CODES.items():
        assert meaning and "\n" not in meaning and meaning == meaning.strip(), code


def test_pydantic_error_types_outside_the_catalogue_are_invalid():
    from scenmatrix.store.messages import _code

    assert _code("less_than_equal") == "less_than_equal"
    assert _code("some_new_pydantic_type") == "invalid"


def test_a_warning_prints_as_before_with_its_severity_as_data():
    problem = warning("m.csv", 3, 8, "cib-sum", "the judgments sum to +1, not 0", "balance them")
    assert problem.severity == "warning" and not problem.message.startswith("warning")
    assert str(problem) == "m.csv:3:8: warning: the judgments sum to +1, not 0 — balance them"
    error = Problem("s.yaml", 1, 2, "file", "no such file")
    assert error.severity == "error" and str(error) == "s.yaml:1:2: no such file"


def test_usage_errors_are_value_errors_for_callers_of_earlier_versions():
    with pytest.raises(ValueError, match="give the id"):
        raise UsageError("give the id")
    assert UsageError("x", param="--id").param == "--id" and UsageError("x").param is None
