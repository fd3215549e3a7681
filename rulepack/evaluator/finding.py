"""What every tool's output becomes: frozen findings tied to rules, and tool errors.

Adapters turn raw ruff JSON, mypy JSON lines and custom-check hits into :class:`Finding` objects;
scoring and reports never see raw tool output.
"""

from __future__ import annotations

from enum import Enum
from typing import Protocol

from pydantic import BaseModel, ConfigDict, Field

from rulepack.rules.model import Severity


class Tool(str, Enum):
    """The analyser a finding comes from."""

    RUFF = "ruff"
    MYPY = "mypy"
    CUSTOM = "custom"


class Finding(BaseModel):
    """One problem at one place, with the rule it belongs to (``None`` when no rule binds it).

    Lines and columns are 1-based; ``path`` is relative to the sample root, in POSIX form.
    """

    model_config = ConfigDict(frozen=True)

    rule_id: str | None
    tool: Tool
    code: str
    path: str
    line: int = Field(ge=1)
    column: int = Field(ge=1)
    end_line: int = Field(ge=1)
    end_column: int = Field(ge=1)
    severity: Severity
    message: str
    advisory: bool = Field(
        default=False,
        description="A heuristic that cannot prove the violation: shown at info, not scored",
    )

    def sort_key(self) -> tuple[str, int, int, str]:
        """Order findings by file, position and code."""
        return (self.path, self.line, self.column, self.code)


class ToolError(BaseModel):
    """A tool that could not analyse a sample or a file: it crashed or timed out.

    A tool error makes the rules that depend on that tool "not checked" for the sample. (A file
    that does not parse is not a tool error: it is a sample's ``unparsed`` file.)
    """

    model_config = ConfigDict(frozen=True)

    tool: Tool
    message: str
    path: str | None = None
    line: int | None = None


UNBOUND_SEVERITY = Severity.WARNING  # tool findings that no selected rule binds


class ToolHit(Protocol):
    """What ruff and mypy adapters produce before a finding is tied to a rule."""

    @property
    def path(self) -> str: ...  # noqa: D102
    @property
    def code(self) -> str: ...  # noqa: D102
    @property
    def message(self) -> str: ...  # noqa: D102
    @property
    def line(self) -> int: ...  # noqa: D102
    @property
    def column(self) -> int: ...  # noqa: D102
    @property
    def end_line(self) -> int: ...  # noqa: D102
    @property
    def end_column(self) -> int: ...  # noqa: D102


def finding_from(hit: ToolHit, tool: Tool, rule_id: str | None, severity: Severity) -> Finding:
    """The finding for a tool's hit, tied to ``rule_id`` (``None``: unbound)."""
    return Finding(
        rule_id=rule_id,
        tool=tool,
        code=hit.code,
        path=hit.path,
        line=hit.line,
        column=hit.column,
        end_line=hit.end_line,
        end_column=hit.end_column,
        severity=severity if rule_id is not None else UNBOUND_SEVERITY,
        message=hit.message,
    )
