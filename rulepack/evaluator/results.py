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
    NOT_CHECKED = "not_checked"  # review-only, tool off or failed, no check yet, no file parsed


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True)


class UnparsedFile(_Frozen):
    """A Python file of a sample that no rule checked: it did not parse for the target Python.

    ``reason`` is short and groups files (``needs Python 3.14``, ``syntax error``, ``cannot
    read``); ``message`` is the whole explanation, with the line when there is one.
    """

    path: str
    line: int | None = None
    reason: str
    message: str


def unparsed_note(files: int, reasons: tuple[str, ...]) -> str:
    """``3 files not parsed: needs Python 3.14`` (reasons joined by ``; ``)."""
    noun = "file" if files == 1 else "files"
    return f"{files:,} {noun} not parsed: {'; '.join(reasons) or 'unknown reason'}"


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
    files_unparsed: int = Field(
        default=0, description="Files in its scope left out because they did not parse"
    )
    unparsed_reasons: tuple[str, ...] = Field(
        default=(), description="Why those files did not parse (short reasons, each once)"
    )

    @property
    def unparsed(self) -> str | None:
        """``3 files not parsed: needs Python 3.14``, or ``None`` when every file parsed."""
        return (
            unparsed_note(self.files_unparsed, self.unparsed_reasons)
            if self.files_unparsed
            else None
        )


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
    unparsed: tuple[UnparsedFile, ...] = Field(
        default=(), description="Python files not parsed for the target version, so not checked"
    )
    suppressions: Suppressions
    unresolved_imports: tuple[str, ...] = Field(
        default=(),
        description="Modules mypy could not resolve; its findings about them and the errors "
        "their Any type can cause are advisory (shown, not scored)",
    )
    findings_per_kloc: float
    timings: Mapping[str, float] = Field(default_factory=dict)
    cached: bool = False
    notes: tuple[str, ...] = Field(
        default=(), description="How the sample was read: its project root, unresolved imports"
    )


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
