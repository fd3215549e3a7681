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


class FindingSource(BaseModel):
    """One tool's report of a finding: which tool, which code, what it said."""

    model_config = ConfigDict(frozen=True)

    tool: Tool
    code: str
    message: str

    def label(self) -> str:
        """``ruff G004``."""
        return f"{self.tool.value} {self.code}"


class Finding(BaseModel):
    """One problem at one place, with the rule it belongs to (``None`` when no rule binds it).

    Lines and columns are 1-based; ``path`` is relative to the sample root, in POSIX form. When
    several tools or codes report the same rule on the same line, scoring merges them into one
    finding: ``tool``/``code``/``message`` are the primary report's and ``sources`` lists every
    contributor, the primary first. A finding only one tool reported has no ``sources``.
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
    sources: tuple[FindingSource, ...] = Field(
        default=(),
        description="Every tool report merged into this finding, the primary first (empty: one)",
    )

    def origins(self) -> tuple[FindingSource, ...]:
        """Every report behind this finding: its ``sources``, or the finding itself."""
        itself = FindingSource(tool=self.tool, code=self.code, message=self.message)
        return self.sources or (itself,)

    def source_label(self) -> str:
        """``ruff G004`` for one report, ``custom structured-logging + ruff G004`` for several."""
        return " + ".join(dict.fromkeys(source.label() for source in self.origins()))

    def also_label(self) -> str:
        """The other reports merged into this one (``ruff G004, mypy misc``), or ``""``."""
        primary = (self.tool, self.code)
        others = (s.label() for s in self.sources if (s.tool, s.code) != primary)
        return ", ".join(dict.fromkeys(others))

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
