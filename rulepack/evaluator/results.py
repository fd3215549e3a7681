"""The evaluation result: per rule, per section, per sample and overall; the JSON report's schema.

``EvalReport`` is what ``rulepack eval --format json`` prints (``schema_version`` 1). Every other
report format renders the same object.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import Enum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from rulepack.evaluator.environment import MypyEnvironment
from rulepack.evaluator.finding import Finding, ToolError
from rulepack.evaluator.suppressions import Suppressions
from rulepack.rules.model import Severity

SCHEMA_VERSION: Literal[1] = 1


class RuleStatus(str, Enum):
    """A rule's outcome on one sample."""

    PASSED = "passed"
    FAILED = "failed"
    NOT_APPLICABLE = "not_applicable"  # nothing in the sample it applies to
    NOT_CHECKED = "not_checked"  # review-only, its tool disabled or failed, or no check yet


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True)


class RuleResult(_Frozen):
    """One rule on one sample."""

    rule_id: str
    section: str
    title: str
    severity: Severity
    weight: float
    status: RuleStatus
    compliance: float | None = Field(description="1 - failed/applicable files; None if unscored")
    files_applicable: int
    files_failed: int
    findings: int
    guidance: str
    rationale: str
    reason: str | None = Field(default=None, description="Why the rule is not checked or N/A")


class SectionScore(_Frozen):
    """The weighted score of one section's checked, applicable rules."""

    section: str
    title: str
    score: float | None
    rules_scored: int
    rules_failed: int


class SampleResult(_Frozen):
    """Everything the evaluator found about one sample."""

    name: str
    root: str
    files: int
    lines: int
    score: float | None
    sections: tuple[SectionScore, ...]
    rules: tuple[RuleResult, ...]
    findings: tuple[Finding, ...]
    unbound: tuple[Finding, ...] = Field(description="Tool findings no selected rule binds")
    tool_errors: tuple[ToolError, ...]
    suppressions: Suppressions
    unresolved_imports: tuple[str, ...] = Field(
        default=(),
        description="Modules mypy could not resolve; its findings about them and the errors "
        "their Any type can cause are advisory (shown, not scored)",
    )
    findings_per_kloc: float
    timings: Mapping[str, float] = Field(default_factory=dict)
    cached: bool = False


class EvalReport(_Frozen):
    """The whole run: samples, the overall score and the gate."""

    schema_version: Literal[1] = SCHEMA_VERSION
    rulepack_version: str
    pack: str
    pack_version: str
    score: float | None = Field(description="Mean of the samples' scores")
    fail_under: float | None
    passed: bool
    samples: tuple[SampleResult, ...]
    timings: Mapping[str, float] = Field(default_factory=dict)
    environment: MypyEnvironment | None = Field(
        default=None, description="What mypy saw: interpreter and library versions (None: no mypy)"
    )
