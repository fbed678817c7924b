"""The files shipped inside the package (`scenmatrix/data/`): built-in brief templates and the JSON Schemas.

Read through importlib.resources, so that they are found in any install (a wheel, pipx, an editable
checkout), never beside a checkout that an installed tool does not have.
"""

from __future__ import annotations

import importlib.resources
from pathlib import Path


def data_dir() -> Path:
    """The package's data folder: a real folder in every install pip and pipx make."""
    return Path(str(importlib.resources.files("scenmatrix").joinpath("data")))


def builtin_templates() -> Path:
    return data_dir() / "templates"


def study_schema_text() -> str:
    """The study's JSON Schema as shipped (generated from the model; a test holds them equal)."""
    return (data_dir() / "study.schema.json").read_text(encoding="utf-8")


def template_schema_text() -> str:
    return (builtin_templates() / "template.schema.json").read_text(encoding="utf-8")
