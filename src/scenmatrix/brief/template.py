"""Brief templates: YAML files under templates/ that choose sheets, columns, titles, fonts and colours.

A template is data, validated like a study, so an analyst can copy one and change it without code.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Literal, Optional, Union

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from scenmatrix.brief.marker import MARKER_SHEET
from scenmatrix.errors import Problem, TemplateError
from scenmatrix.store.document import read_document
from scenmatrix.store.packaged import builtin_templates

BUILTIN_DIR = builtin_templates()


def template_dirs() -> list[Path]:
    """Where templates are found, the first that has a name winning: the analyst's own templates/ in the
    current folder, then the built-in ones."""
    return [Path.cwd() / "templates", BUILTIN_DIR]
Colour = str
SHEET_NAME_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")
CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
# Excel keeps "History" for its change tracking; the marker sheet is the brief's own.
RESERVED_TITLES = ("history", MARKER_SHEET.lower())
FontSize = Annotated[float, Field(ge=1, le=409, description="Points; Excel's range is 1-409.")]
Width = Annotated[float, Field(ge=0, le=255, description="Characters; Excel's range is 0-255.")]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class Style(Strict):
    font: str = Field("Calibri", min_length=1, max_length=31, description="A font name (Excel: at most 31 characters).")
    size: FontSize = 10
    title_size: FontSize = 16
    header_fill: Colour = "1F3864"
    header_font: Colour = "FFFFFF"
    heatmap: list[Colour] = Field(default_factory=lambda: ["C0504D", "FFFFFF", "4F9A52"], min_length=3,
                                  max_length=3, description="Colours for -3, 0 and +3.")

    @field_validator("font")
    @classmethod
    def _font(cls, value: str) -> str:
        if CONTROL.search(value) or not value.strip():
            raise ValueError(f"font name {value!r} is empty or holds a control character")
        return value

    @field_validator("header_fill", "header_font")
    @classmethod
    def _hex(cls, value: str) -> str:
        return _colour(value)

    @field_validator("heatmap")
    @classmethod
    def _hexes(cls, value: list[str]) -> list[str]:
        return [_colour(v) for v in value]


def _colour(value: str) -> str:
    if not re.fullmatch(r"[0-9A-Fa-f]{6}", value):
        raise ValueError(f"colour {value!r} is not 6 hex digits like 1F3864")
    return value.upper()


class Sheet(Strict):
    kind: Literal["cover", "matrix", "summary", "table", "charts", "sensitivity", "alignment", "changes", "cib", "review"]
    title: str
    table: Optional[str] = Field(None, description="For kind: table, which table.")
    columns: Optional[dict[str, str]] = Field(None, description="field -> column header, in order.")
    widths: dict[str, Width] = Field(default_factory=dict, description="field -> column width in characters.")
    top: int = Field(5, ge=1, le=1000, description="For summary and sensitivity: how many of the most exposed actors.")

    @field_validator("title")
    @classmethod
    def _sheet_name(cls, value: str) -> str:
        if (not value.strip() or len(value) > 31 or SHEET_NAME_FORBIDDEN.search(value) or CONTROL.search(value)
                or value.startswith("'") or value.endswith("'")):
            raise ValueError(f"sheet title {value!r} must be 1-31 characters without [ ] : * ? / \\ or control "
                             "characters, and not start or end with an apostrophe")
        if value.lower() in RESERVED_TITLES:
            raise ValueError(f"sheet title {value!r} is reserved (by Excel, or for the brief's own marker sheet)")
        return value


class Template(Strict):
    description: str = Field(description="What the template is for; its first line is listed by `scenmatrix templates`.")
    base: Optional[str] = Field(None, description="A .xlsx house style, relative to the template, that the brief fills.")
    style: Style = Field(default_factory=Style)
    sheets: list[Sheet] = Field(min_length=1)


class LoadedTemplate:
    def __init__(self, name: str, path: Path, template: Template):
        self.name, self.path, self.template = name, path, template
        self.changes: list = []  # for a Changes sheet (`brief --since`): diff.Change entries

    @property
    def base_path(self) -> Optional[Path]:
        return (self.path.parent / self.template.base) if self.template.base else None


def resolve(name_or_path: Union[str, Path]) -> Path:
    """A template name ('standard') from templates/, or a path to a template .yaml."""
    text = str(name_or_path)
    if "/" in text or text.endswith((".yaml", ".yml")):
        return Path(text)
    candidates = [folder / f"{text}.yaml" for folder in template_dirs()]
    return next((c for c in candidates if c.exists()), candidates[-1])


def load_template(name_or_path: Union[str, Path]) -> LoadedTemplate:
    path = resolve(name_or_path)
    if not path.exists() and path.parent == BUILTIN_DIR:
        names = ", ".join(n for n, _ in available())
        raise TemplateError([Problem(str(name_or_path), 1, 1, "template", f"no template named {str(name_or_path)!r}",
                                     f"choose one of: {names}, or give a path to a template .yaml")])
    try:
        document = read_document(path)
    except Exception as exc:  # a study-style error: re-label it as a template problem
        raise TemplateError(getattr(exc, "problems", [])) from None
    from scenmatrix.store.messages import Locator

    try:
        template = Template.model_validate(document.tree)
    except ValidationError as exc:
        locate = Locator(document)
        raise TemplateError([locate.from_pydantic(e) for e in exc.errors()]) from None
    problems = _template_problems(template, Locator(document))
    if problems:
        raise TemplateError(problems)
    return LoadedTemplate(path.stem, path, template)


def _template_problems(template: Template, locate) -> list[Problem]:
    """What one field cannot show: a blank description, sheet titles that only differ in case (Excel holds
    them for one)."""
    problems = []
    if not template.description.strip():
        problems.append(locate.problem(("description",), "template", "the description is empty",
                                       "say in a line what the template is for"))
    first: dict[str, int] = {}
    for i, sheet in enumerate(template.sheets):
        earlier = first.setdefault(sheet.title.lower(), i)
        if earlier != i:
            problems.append(locate.problem(("sheets", i, "title"), "template",
                                           f"sheet title {sheet.title!r} is already used by sheet "
                                           f"{template.sheets[earlier].title!r}",
                                           "Excel does not tell titles apart by case; choose another"))
    return problems


def available() -> list[tuple[str, str]]:
    """(name, one-line description) of every template in templates/."""
    out = []
    seen = {}
    for folder in reversed(template_dirs()):
        seen.update({p.stem: p for p in folder.glob("*.yaml")})
    for path in (seen[name] for name in sorted(seen)):
        try:
            out.append((path.stem, load_template(path).template.description.strip().splitlines()[0]))
        except TemplateError as exc:
            out.append((path.stem, f"(broken: {exc.problems[0] if exc.problems else exc})"))
    return out
