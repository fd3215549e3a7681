"""The rule model: what a pack, a section and a rule are.

The model does no I/O. :mod:`rulepack.rules.loader` turns YAML into these objects and maps every
validation error back to a file and a line. Every model is frozen and forbids unknown keys, so a
typo in a pack is an error rather than a silently ignored field.

A section file (one per section, ``<section-id>.yaml``) validates as :class:`SectionFile`;
``pack.yaml`` validates as :class:`PackFile`. The loaded, cross-checked result is a :class:`Pack`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from enum import Enum
from pathlib import PurePosixPath, PureWindowsPath
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    StringConstraints,
    Tag,
    field_validator,
    model_validator,
)

RULE_ID_PATTERN = r"^[A-Z]{3}[0-9]{3}$"
PREFIX_PATTERN = r"^[A-Z]{3}$"
SLUG_PATTERN = r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$"
PARAM_NAME_PATTERN = r"^[a-z][a-z0-9_]*$"
RUFF_CODE_PATTERN = r"^[A-Z]+[0-9]+$"
MYPY_CODE_PATTERN = r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$"
MYPY_FLAG_PATTERN = r"^[a-z][a-z0-9_]*$"
MAX_GUIDANCE_CHARS = 400

RuleId = Annotated[str, StringConstraints(pattern=RULE_ID_PATTERN)]
SectionPrefix = Annotated[str, StringConstraints(pattern=PREFIX_PATTERN)]
Slug = Annotated[str, StringConstraints(pattern=SLUG_PATTERN)]
ParamName = Annotated[str, StringConstraints(pattern=PARAM_NAME_PATTERN)]
NonEmptyText = Annotated[str, StringConstraints(min_length=1, strip_whitespace=True)]
RuffCode = Annotated[str, StringConstraints(pattern=RUFF_CODE_PATTERN)]
MypyErrorCode = Annotated[str, StringConstraints(pattern=MYPY_CODE_PATTERN)]
MypyFlag = Annotated[str, StringConstraints(pattern=MYPY_FLAG_PATTERN)]
Glob = Annotated[str, StringConstraints(min_length=1, pattern=r"^[^\s].*$")]

# ``${name}`` in a rule's text is replaced by the value of parameter ``name``; ``$${`` is a literal.
PARAM_REFERENCE = re.compile(r"(?<!\$)\$\{([^}]*)\}")


class _Frozen(BaseModel):
    """Base of every model: immutable, strict about unknown keys, enums stored as values."""

    model_config = ConfigDict(frozen=True, extra="forbid", use_enum_values=False)


class Severity(str, Enum):
    """How bad a violation is; also the default score weight (error 3, warning 2, info 1)."""

    ERROR = "error"
    WARNING = "warning"
    INFO = "info"

    @property
    def weight(self) -> int:
        """The score weight of a rule of this severity when the rule sets no ``weight``."""
        return {"error": 3, "warning": 2, "info": 1}[self.value]


class Activation(str, Enum):
    """How an assistant decides to load a section's rules.

    ``glob``: when a file matching the rules' ``applies_to`` is in context (Cursor ``globs``,
    Copilot ``applyTo``). ``always``: in every conversation. ``requested``: the agent loads it when
    the description says it is relevant.
    """

    GLOB = "glob"
    ALWAYS = "always"
    REQUESTED = "requested"


class Scoring(str, Enum):
    """Whether findings count as violations or feed a continuous metric."""

    VIOLATION = "violation"
    METRIC = "metric"


ParamValue = bool | int | float | str | tuple[str, ...]


class Parameter(_Frozen):
    """A named value that a rule's text and checks read, such as ``max_function_lines: 30``.

    In YAML a parameter is either its bare value or a mapping with ``value`` and, optionally,
    ``description`` and ``choices``.
    """

    value: ParamValue
    description: str | None = None
    choices: tuple[bool | int | float | str, ...] | None = None

    @model_validator(mode="after")
    def _value_is_a_choice(self) -> Parameter:
        if self.choices is not None and self.value not in self.choices:
            allowed = ", ".join(repr(choice) for choice in self.choices)
            raise ValueError(f"value {self.value!r} is not one of {allowed}")
        return self

    def render(self) -> str:
        """Return the value as it is written into rule text."""
        if isinstance(self.value, tuple):
            return ", ".join(self.value)
        if isinstance(self.value, bool):
            return "true" if self.value else "false"
        return str(self.value)


def _parameter_shorthand(raw: object) -> object:
    """Accept ``name: 30`` as shorthand for ``name: {value: 30}``."""
    if isinstance(raw, Mapping) and "value" in raw:
        return raw
    if isinstance(raw, Parameter):
        return raw
    return {"value": raw}


ParameterField = Annotated[
    Parameter,
    BeforeValidator(_parameter_shorthand, json_schema_input_type=Parameter | ParamValue),
]
Parameters = Mapping[ParamName, ParameterField]


class RuffBinding(_Frozen):
    """Findings of these ruff codes belong to the rule."""

    ruff: tuple[RuffCode, ...] = Field(min_length=1)


class MypyBinding(_Frozen):
    """Findings of these mypy error codes belong to the rule; ``flags`` are options to enable."""

    mypy: tuple[MypyErrorCode, ...] = Field(min_length=1)
    flags: tuple[MypyFlag, ...] = ()


class CustomBinding(_Frozen):
    """Findings of this rulepack check (kebab-case id, in ``rulepack/evaluator/checks``)."""

    custom: Slug


def _binding_kind(raw: object) -> str | None:
    if isinstance(raw, Mapping):
        for kind in ("ruff", "mypy", "custom"):
            if kind in raw:
                return kind
        return None
    if isinstance(raw, RuffBinding | MypyBinding | CustomBinding):
        return {RuffBinding: "ruff", MypyBinding: "mypy", CustomBinding: "custom"}[type(raw)]
    return None


CheckBinding = Annotated[
    Annotated[RuffBinding, Tag("ruff")]
    | Annotated[MypyBinding, Tag("mypy")]
    | Annotated[CustomBinding, Tag("custom")],
    Discriminator(
        _binding_kind,
        custom_error_type="unknown_check_binding",
        custom_error_message="a check binding needs exactly one of the keys ruff, mypy or custom",
    ),
]


def _inside_example(path: str) -> str:
    """Refuse an example file path that is absolute or climbs out with ``..``; normalise it.

    Examples are written to disk when they are checked; a path must stay in the example's
    directory on every platform, so Windows drives and backslashes are refused too. ``"."`` (the
    directory itself) is kept for tree diagrams.
    """
    posix, windows = PurePosixPath(path), PureWindowsPath(path)
    if posix.is_absolute() or windows.is_absolute() or windows.anchor or "\\" in path:
        raise ValueError(f"{path!r} must be a relative path inside the example's directory")
    if ".." in posix.parts:
        raise ValueError(f"{path!r} must not contain '..': it stays inside the example's directory")
    if not path.strip():
        raise ValueError("an example path must not be empty")
    return posix.as_posix()


ExamplePath = Annotated[str, AfterValidator(_inside_example)]


class Example(_Frozen):
    """A bad or a good example of a rule: code that violates it, or code that follows it.

    ``path`` is the file the snippet stands for (``app/routers/users.py``, ``requirements.txt``);
    snippets whose path ends in ``.py`` must be valid Python. ``context`` holds the other files a
    project check needs to see (the router a test should call, say).
    """

    bad: str | None = None
    good: str | None = None
    path: ExamplePath = "example.py"
    note: str | None = None
    context: Mapping[str, str] = Field(
        default_factory=dict,
        description="Other files of the sample the example needs (for project checks), by "
        "path. Used when the example is checked, never exported.",
    )

    @field_validator("context")
    @classmethod
    def _context_inside_example(cls, context: Mapping[str, str]) -> Mapping[str, str]:
        return {_inside_example(path): text for path, text in context.items()}

    @model_validator(mode="after")
    def _exactly_one_kind(self) -> Example:
        if (self.bad is None) == (self.good is None):
            raise ValueError("an example has exactly one of 'bad' or 'good'")
        return self

    @property
    def kind(self) -> Literal["bad", "good"]:
        """Whether the example violates the rule (``bad``) or follows it (``good``)."""
        return "bad" if self.bad is not None else "good"

    @property
    def code(self) -> str:
        """The example's text."""
        return self.bad if self.bad is not None else (self.good or "")

    @property
    def is_python(self) -> bool:
        """Whether the example is Python source (and so must parse)."""
        return self.path.endswith(".py")


class Rule(_Frozen):
    """One rule: what an assistant is told, why, where it applies and how it is checked."""

    id: RuleId = Field(description="Stable public id: the section prefix and three digits.")
    title: NonEmptyText = Field(max_length=100)
    severity: Severity
    weight: float | None = Field(
        default=None, gt=0, description="Score weight; defaults to 3/2/1 by severity."
    )
    guidance: NonEmptyText = Field(
        max_length=MAX_GUIDANCE_CHARS,
        description="What an assistant is told: imperative, one or two sentences.",
    )
    rationale: NonEmptyText
    source: tuple[NonEmptyText, ...] = Field(
        min_length=1, description="The source bullets this rule comes from, verbatim."
    )
    deviation: NonEmptyText | None = Field(
        default=None,
        description="Where the rule departs from its source (outdated practice) and why.",
    )
    applies_to: tuple[Glob, ...] = Field(min_length=1)
    tags: tuple[Slug, ...] = Field(min_length=1)
    params: Parameters = Field(default_factory=dict)
    checks: tuple[CheckBinding, ...] = ()
    review: NonEmptyText | None = Field(
        default=None, description="The question a reviewer answers where no tool can decide."
    )
    scoring: Scoring = Scoring.VIOLATION
    examples: tuple[Example, ...] = ()

    @model_validator(mode="after")
    def _checked_or_reviewed(self) -> Rule:
        if not self.checks and self.review is None:
            raise ValueError("a rule needs 'checks' or a 'review' question")
        if self.checks:
            kinds = {example.kind for example in self.examples}
            missing = {"bad", "good"} - kinds
            if missing:
                raise ValueError(
                    f"a checkable rule needs at least one {' and one '.join(sorted(missing))}"
                    " example"
                )
        return self

    @property
    def effective_weight(self) -> float:
        """The weight this rule carries in scores."""
        return self.weight if self.weight is not None else float(self.severity.weight)

    @property
    def checkable(self) -> bool:
        """Whether some tool or check verifies the rule."""
        return bool(self.checks)

    @property
    def ruff_codes(self) -> tuple[str, ...]:
        """All ruff codes bound to the rule."""
        return tuple(c for b in self.checks if isinstance(b, RuffBinding) for c in b.ruff)

    @property
    def mypy_codes(self) -> tuple[str, ...]:
        """All mypy error codes bound to the rule."""
        return tuple(c for b in self.checks if isinstance(b, MypyBinding) for c in b.mypy)

    @property
    def custom_checks(self) -> tuple[str, ...]:
        """All rulepack check ids bound to the rule."""
        return tuple(b.custom for b in self.checks if isinstance(b, CustomBinding))

    def texts(self) -> Iterator[tuple[str, str]]:
        """Yield ``(field, text)`` for every field whose text may reference parameters."""
        yield "title", self.title
        yield "guidance", self.guidance
        yield "rationale", self.rationale
        if self.review is not None:
            yield "review", self.review


class SectionFile(_Frozen):
    """The content of one section file, ``<section-id>.yaml``."""

    prefix: SectionPrefix = Field(description="Three capitals that start every rule id here.")
    title: NonEmptyText
    description: NonEmptyText | None = None
    activation: Activation = Activation.GLOB
    rules: tuple[Rule, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _ids_carry_prefix(self) -> SectionFile:
        for rule in self.rules:
            if not rule.id.startswith(self.prefix):
                raise ValueError(f"rule {rule.id} is not in section prefix {self.prefix}")
        return self


class Section(SectionFile):
    """A loaded section: the file's content plus its id (the file name without ``.yaml``)."""

    id: Slug


class PackFile(_Frozen):
    """The content of ``pack.yaml``: pack metadata, pack-wide parameters and section order."""

    id: Slug
    version: Annotated[str, StringConstraints(pattern=r"^\d+\.\d+\.\d+([-+][0-9A-Za-z.-]+)?$")]
    title: NonEmptyText
    description: NonEmptyText | None = None
    requires: Mapping[Slug, NonEmptyText] = Field(
        default_factory=dict, description="Supported versions, e.g. python: '>=3.10'."
    )
    params: Parameters = Field(default_factory=dict)
    sections: tuple[Slug, ...] = Field(min_length=1, description="Section ids, in export order.")
    source_document: str | None = Field(
        default=None, description="The Markdown file the rules were made from, relative to here."
    )


class Pack(_Frozen):
    """A validated, immutable pack: metadata, parameters and ordered sections of rules."""

    id: Slug
    version: str
    title: NonEmptyText
    description: NonEmptyText | None = None
    requires: Mapping[str, str] = Field(default_factory=dict)
    params: Parameters = Field(default_factory=dict)
    sections: tuple[Section, ...]

    @model_validator(mode="after")
    def _consistent(self) -> Pack:
        seen: set[str] = set()
        prefixes: set[str] = set()
        for section in self.sections:
            if section.prefix in prefixes:
                raise ValueError(f"section prefix {section.prefix} is used twice")
            prefixes.add(section.prefix)
            for rule in section.rules:
                if rule.id in seen:
                    raise ValueError(f"rule id {rule.id} is used twice")
                seen.add(rule.id)
        return self

    def rules(self) -> Iterator[Rule]:
        """Yield every rule, in section order."""
        for section in self.sections:
            yield from section.rules

    def rule(self, rule_id: str) -> Rule:
        """Return the rule with this id; ``KeyError`` if there is none."""
        for rule in self.rules():
            if rule.id == rule_id:
                return rule
        raise KeyError(rule_id)

    def section_of(self, rule_id: str) -> Section:
        """Return the section that holds the rule with this id; ``KeyError`` if there is none."""
        for section in self.sections:
            if any(rule.id == rule_id for rule in section.rules):
                return section
        raise KeyError(rule_id)

    def params_for(self, rule: Rule) -> dict[str, Parameter]:
        """Return the parameters a rule can read: the pack's, overridden by the rule's own."""
        return {**self.params, **rule.params}

    def render(self, rule: Rule, text: str) -> str:
        """Return ``text`` with each ``${name}`` replaced by the value of that parameter."""
        return expand_params(text, self.params_for(rule))


def referenced_params(text: str) -> list[str]:
    """Return the parameter names that ``text`` references with ``${name}``, in order."""
    return [match.group(1) for match in PARAM_REFERENCE.finditer(text)]


def expand_params(text: str, params: Mapping[str, Parameter]) -> str:
    """Replace ``${name}`` with the parameter's value and ``$${`` with a literal ``${``.

    Raises:
        KeyError: if ``text`` references a parameter that ``params`` lacks.
    """

    def value(match: re.Match[str]) -> str:
        return params[match.group(1)].render()

    return PARAM_REFERENCE.sub(value, text).replace("$${", "${")
