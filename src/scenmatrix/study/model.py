"""The study's entities as pydantic models: the single source of truth for the format and its JSON Schema.

Entries that others reference are mappings keyed by id, so an id is written once and a
duplicate is a YAML error at the line where it happens. Impacts and indicators live inside
their scenario, keyed by actor id and indicator id, so nothing has to be kept in sync by hand.
No I/O here.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal, Optional

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from scenmatrix.study import vocab

ID_PATTERN = vocab.ID_PATTERN
Id = Annotated[str, StringConstraints(pattern=ID_PATTERN)]
Text = Annotated[str, StringConstraints(min_length=1)]

# Every scale's words; validate.py checks that a study uses only its own scale's.
Likelihood = Literal[tuple(dict.fromkeys(t for scale in vocab.SCALES.values() for t in scale))]  # type: ignore
Scale = Literal[tuple(vocab.SCALES)]  # type: ignore[valid-type]
Confidence = Literal[vocab.CONFIDENCE]  # type: ignore[valid-type]
Status = Literal[vocab.INDICATOR_STATUS]  # type: ignore[valid-type]
ActorKind = Literal[vocab.ACTOR_KINDS]  # type: ignore[valid-type]
# Any domain name here; store.checks refuses one that is neither built in (vocab.DOMAINS) nor declared in
# study.domains, with its position and the hint to declare it.
Domain = Annotated[str, StringConstraints(pattern=vocab.DOMAIN_PATTERN)]
Marking = Literal[vocab.TLP]  # type: ignore[valid-type]
ScenarioSet = Literal[vocab.SCENARIO_SETS]  # type: ignore[valid-type]
Grade = Annotated[str, StringConstraints(pattern=r"^[A-F][1-6]$")]
Effect = Annotated[int, Field(ge=vocab.EFFECT_MIN, le=vocab.EFFECT_MAX)]

# Cross-impact ids have no '.', so that a judgment names a variant as DESCRIPTOR.VARIANT unambiguously.
CIB_ID_PATTERN = r"^[A-Za-z][A-Za-z0-9_\-]{0,39}$"
CIB_REF_PATTERN = r"^[A-Za-z][A-Za-z0-9_\-]{0,39}\.[A-Za-z][A-Za-z0-9_\-]{0,39}$"
CIBId = Annotated[str, StringConstraints(pattern=CIB_ID_PATTERN)]
VariantRef = Annotated[str, StringConstraints(pattern=CIB_REF_PATTERN)]
Judgment = Annotated[int, Field(ge=-3, le=3)]  # cib.JUDGMENT_MIN..JUDGMENT_MAX (cib imports numpy; not here)


class Entity(BaseModel):
    # strict: a number where text belongs is an error, not silently turned into text.
    model_config = ConfigDict(extra="forbid", strict=True)


class Source(Entity):
    """A publication the study draws on."""

    title: Text
    author: Optional[Text] = None
    publisher: Optional[Text] = None
    date: Optional[dt.date] = None
    url: Optional[Text] = None
    path: Optional[Text] = Field(None, description="Path to a local copy, relative to the study file.")


class StudyInfo(Entity):
    id: Id
    title: Text
    as_of: dt.date = Field(description="Date the assessment is current to (YYYY-MM-DD).")
    marking: Marking = Field(description="Traffic Light Protocol 2.0 handling marking.")
    likelihood_scale: Scale = Field("icd203", description="Estimative words: icd203 (US ICD 203) or phia (UK PHIA).")
    sources: dict[Id, Source] = Field(default_factory=dict)
    key_judgments: dict[Id, Text] = Field(default_factory=dict, description="Bottom-line statements.")
    scenario_set: ScenarioSet = Field("overlapping", description=(
        "exclusive: the scenarios are mutually exclusive and cover what may happen, so their probabilities "
        "sum to 100 % (validate warns when their bands cannot); overlapping (the default): several may unfold."))
    domains: list[Domain] = Field(default_factory=list, description=(
        "Domains this study adds to the built-in ones (" + ", ".join(vocab.DOMAINS) + "), e.g. humanitarian."))


class Actor(Entity):
    name: Text
    kind: ActorKind
    aliases: list[Text] = Field(default_factory=list)


class Evidence(Entity):
    claim: Text = Field(description="The claim, in the analyst's words.")
    source: Text = Field(description="Who made the claim.")
    cited_in: Optional[Id] = Field(None, description="Id of the study source that reports it.")
    grade: Grade = Field(description="NATO Admiralty grade: reliability A-F and credibility 1-6, e.g. B2.")
    quote: Optional[Text] = None
    contested_by: dict[Id, Text] = Field(
        default_factory=dict, description="Actor id -> how that actor contests the claim."
    )


class Factor(Entity):
    """A driver behind the scenarios, or a constraint that holds them back."""

    title: Text
    description: Text
    evidence: list[Id] = Field(default_factory=list)


class Indicator(Entity):
    text: Text = Field(description="An observable signpost.")
    status: Status


class Impact(Entity):
    effect: Effect = Field(description="-3 severe harm ... 0 none ... +3 major gain to the actor's interests.")
    domains: list[Domain] = Field(min_length=1, description=(
        "Built in: " + ", ".join(vocab.DOMAINS) + "; or one the study declares in study.domains."))
    confidence: Confidence
    rationale: Text
    evidence: list[Id] = Field(default_factory=list)


class Scenario(Entity):
    title: Text
    narrative: Text
    likelihood: Likelihood = Field(description="Estimative term from the study's likelihood_scale.")
    confidence: Confidence
    horizon: Optional[Text] = Field(None, description="Time horizon, e.g. '6-18 months'.")
    drivers: list[Id] = Field(default_factory=list)
    constraints: list[Id] = Field(default_factory=list)
    indicators: dict[Id, Indicator] = Field(default_factory=dict)
    impacts: dict[Id, Impact] = Field(default_factory=dict, description="Actor id -> impact on that actor.")


class Descriptor(Entity):
    """A cross-impact descriptor: one factor of the scenario space and its mutually exclusive variants."""

    title: Text
    variants: dict[CIBId, Text] = Field(min_length=2, description="Variant id -> title; two or more.")


class CrossImpact(Entity):
    """A cross-impact balance (CIB) model: descriptors and how each variant promotes or hinders the others.

    `judgments` is written row by row: source variant -> target variant -> judgment, variants named
    DESCRIPTOR.VARIANT. A judgment says how strongly the source variant, if it holds, promotes (+1..+3)
    or hinders (-1..-3) the target variant of another descriptor; omitted pairs are 0.
    """

    note: Text = Field(description="Whose judgment this is and on what basis (CIB judgments are analyst judgment).")
    descriptors: dict[CIBId, Descriptor] = Field(min_length=1)
    judgments: dict[VariantRef, dict[VariantRef, Judgment]] = Field(
        default_factory=dict,
        description="DESCRIPTOR.VARIANT -> {DESCRIPTOR.VARIANT of another descriptor: -3..+3}; omitted = 0.")


class Conflict(Entity):
    """A change the two sides of a git merge made differently, recorded by `scenmatrix merge-driver`: the
    file holds ours; `scenmatrix resolve --ours|--theirs ENTRY` (or an edit and removing the record)
    settles it. A study with a conflict is not valid."""

    entry: Text = Field(description="KIND ID of the entry, e.g. 'impact S1/RU', or 'study'.")
    field: Optional[Text] = Field(None, description="The field both changed; none: one side removed the entry.")
    ours: Any = Field(None, description="Our value (none: we removed the entry or have no such field).")
    theirs: Any = Field(None, description="Their value (none: they removed the entry or have no such field).")
    ours_branch: Optional[Text] = None
    theirs_branch: Optional[Text] = None


class ImpactRating(Entity):
    """A reviewer's own rating of one impact: only what they rated differently from the brief."""

    effect: Optional[Effect] = None
    confidence: Optional[Confidence] = None


class ScenarioRating(Entity):
    """A reviewer's own rating of one scenario and of its impacts (actor id -> rating)."""

    likelihood: Optional[Likelihood] = Field(None, description="Estimative term from the study's likelihood_scale.")
    confidence: Optional[Confidence] = None
    impacts: dict[Id, ImpactRating] = Field(default_factory=dict, description="Actor id -> rating of that impact.")


class Study(Entity):
    study: StudyInfo

    @property
    def scale(self) -> dict[str, vocab.Band]:
        """The likelihood words of this study and their probability bands."""
        return vocab.SCALES[self.study.likelihood_scale]

    def band(self, term: str) -> vocab.Band:
        return self.scale[term]

    @property
    def domains(self) -> tuple[str, ...]:
        """The domains an impact of this study may name: the built-in ones, then the study's own."""
        return vocab.DOMAINS + tuple(d for d in self.study.domains if d not in vocab.DOMAINS)

    actors: dict[Id, Actor] = Field(default_factory=dict)
    evidence: dict[Id, Evidence] = Field(default_factory=dict)
    drivers: dict[Id, Factor] = Field(default_factory=dict)
    constraints: dict[Id, Factor] = Field(default_factory=dict)
    scenarios: dict[Id, Scenario] = Field(default_factory=dict)
    cib: Optional[CrossImpact] = Field(None, description="Optional cross-impact balance model of the scenario space.")
    ratings: dict[Id, dict[Id, ScenarioRating]] = Field(default_factory=dict, description=(
        "Independent ratings beside the lead analyst's: reviewer name -> scenario id -> the reviewer's "
        "likelihood, confidence and impacts (actor id -> effect, confidence); written by "
        "`scenmatrix import BRIEF --as NAME`. The study's own values stay the lead's."))
    conflicts: list[Conflict] = Field(default_factory=list, description=(
        "Merge conflicts left to settle (scenmatrix merge-driver); a study with any is not valid."))


def json_schema() -> dict:
    """The JSON Schema that editors use through the `yaml-language-server` line."""
    schema = Study.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "scenmatrix study"
    return schema


# --------------------------------------------------------------------------------------------
# The model as plain data, for scenmatrix.store.quickcheck, which checks edits without importing pydantic.

# The core-schema keys each kind of value may have; any other key (a validator, an alias, a
# coercion, a length limit...) is refused, so that the plain form never means less than the model.
_SHAPE_KEYS = {
    "str": {"pattern", "min_length"}, "literal": {"expected"}, "int": {"ge", "le"}, "date": set(),
    "list": {"items_schema", "min_length"}, "dict": {"keys_schema", "values_schema", "min_length"},
    "nullable": {"schema"}, "any": set(),
}
_MODEL_KEYS = {"type", "cls", "config", "custom_init", "root_model", "schema", "ref", "metadata"}
_MODEL_CONFIG = {"extra_fields_behavior": "forbid", "strict": True}
_DEFAULT_KEYS = {"type", "schema", "default", "default_factory", "default_factory_takes_data"}


def shapes() -> dict[str, dict[str, tuple[bool, tuple]]]:
    """Every model's fields as {field: (required, shape)}, read from Study's pydantic core schema.

    A shape is ("model", NAME), ("str", min_length, pattern), ("literal", words), ("int", ge, le),
    ("date",), ("any",), ("list", item, min_length), ("dict", key, value, min_length) or ("nullable", shape);
    all under the models' strict mode. A construct outside these raises ValueError.
    """
    return _Shapes(Study.__pydantic_core_schema__).models


class _Shapes:
    def __init__(self, schema: dict):
        self.definitions = {d["ref"]: d for d in schema.get("definitions", [])}
        self.models: dict[str, dict[str, tuple[bool, tuple]]] = {}
        self.shape(schema["schema"] if schema["type"] == "definitions" else schema)

    def shape(self, node: dict) -> tuple:
        kind = node["type"]
        if kind == "definition-ref":
            return self.shape(self.definitions[node["schema_ref"]])
        if kind == "model":
            return self.model(node)
        unknown = set(node) - _SHAPE_KEYS.get(kind, set()) - {"type", "metadata"}
        if kind not in _SHAPE_KEYS or unknown:
            raise ValueError(f"quickcheck cannot check a {kind} with {sorted(unknown)}")
        if kind == "str":
            return "str", node.get("min_length", 0), _anchored_pattern(node.get("pattern"))
        if kind == "literal":
            if not all(isinstance(word, str) for word in node["expected"]):
                raise ValueError("quickcheck reads literals of text only")
            return "literal", tuple(node["expected"])
        if kind == "int":
            return "int", node.get("ge"), node.get("le")
        if kind in ("date", "any"):
            return (kind,)
        if kind == "list":
            return "list", self.shape(node["items_schema"]), node.get("min_length", 0)
        if kind == "dict":
            return "dict", self.shape(node["keys_schema"]), self.shape(node["values_schema"]), node.get("min_length", 0)
        return "nullable", self.shape(node["schema"])

    def model(self, node: dict) -> tuple:
        name = node["cls"].__name__
        if name in self.models:
            return "model", name
        inner = node["schema"]
        config = {k: v for k, v in node.get("config", {}).items() if k != "title"}
        if (config != _MODEL_CONFIG or node.get("custom_init") or node.get("root_model") or set(node) - _MODEL_KEYS
                or inner["type"] != "model-fields" or inner.get("computed_fields")
                or set(inner) - {"type", "fields", "model_name", "computed_fields"}):
            raise ValueError(f"quickcheck cannot check model {name}")
        self.models[name] = {}  # taken, for a model that holds itself
        self.models[name] = {field: self.field(schema) for field, schema in inner["fields"].items()}
        return "model", name

    def field(self, field: dict) -> tuple[bool, tuple]:
        """(required, shape) of a model's field."""
        inner = field["schema"]
        if set(field) - {"type", "schema", "metadata"}:
            raise ValueError(f"quickcheck cannot check a field with {sorted(set(field))}")
        if inner["type"] != "default":
            return True, self.shape(inner)
        if set(inner) - _DEFAULT_KEYS or inner.get("default_factory_takes_data"):
            raise ValueError("quickcheck cannot check a default that is validated or computed from data")
        return False, self.shape(inner["schema"])


def _anchored_pattern(pattern: str | None) -> str | None:
    if pattern is not None and not (pattern.startswith("^") and pattern.endswith("$") and "|" not in pattern):
        raise ValueError(f"quickcheck reads patterns as ^...$ only: {pattern!r}")
    return pattern


def shapes_source() -> str:
    """The text of scenmatrix/study/shapes.py, generated from the model."""
    import pprint

    return ('"""Generated from model.py by `scenmatrix.study.model.shapes_source()`: do not edit.\n\n'
            "Regenerate after changing the model (tests/test_quickcheck.py fails until then):\n\n"
            "    python -c 'from scenmatrix.study import model; print(model.shapes_source(), end=\"\")' "
            "> src/scenmatrix/study/shapes.py\n"
            '"""\n\n'
            f"MODELS = {pprint.pformat(shapes(), width=116)}\n")
