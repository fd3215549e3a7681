"""What the installed ruff and mypy know: rule codes, error codes and option names.

A pack binds ruff codes and mypy error codes to rules. A code the installed tool does not know
would silently never fire, so the loader checks every binding against these catalogues.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum

from rulepack.errors import RulepackError


class ToolUnavailableError(RulepackError):
    """ruff or mypy is not installed, or could not describe itself."""


class RuffStatus(str, Enum):
    """The lifecycle state of a ruff rule."""

    STABLE = "stable"
    PREVIEW = "preview"
    DEPRECATED = "deprecated"
    REMOVED = "removed"


@dataclass(frozen=True)
class RuffCatalogue:
    """The rules of the installed ruff, by code."""

    version: str
    statuses: Mapping[str, RuffStatus] = field(default_factory=dict)

    @classmethod
    def installed(cls) -> RuffCatalogue:
        """Ask the installed ruff binary for its rules (about 10 ms).

        Raises:
            ToolUnavailableError: if ruff is missing or its answer cannot be read.
        """
        binary = ruff_binary()
        try:
            listing = subprocess.run(
                [binary, "rule", "--all", "--output-format", "json"],
                capture_output=True,
                check=True,
                text=True,
                timeout=60,
            ).stdout
            version = subprocess.run(
                [binary, "--version"], capture_output=True, check=True, text=True, timeout=60
            ).stdout.split()[-1]
            entries = json.loads(listing)
        except (OSError, subprocess.SubprocessError, json.JSONDecodeError, IndexError) as exc:
            raise ToolUnavailableError(f"cannot list the rules of ruff ({binary}): {exc}") from exc
        statuses = {
            str(entry["code"]): RuffStatus(next(iter(entry["status"])).lower())
            for entry in entries
            if isinstance(entry.get("status"), dict)
        }
        return cls(version=version, statuses=statuses)

    def problem_with(self, code: str) -> str | None:
        """Return why ``code`` cannot be bound, or ``None`` when ruff has it in service."""
        status = self.statuses.get(code)
        if status is None:
            return f"ruff {self.version} has no rule {code}"
        if status is RuffStatus.REMOVED:
            return f"ruff rule {code} was removed (ruff {self.version})"
        return None


def ruff_binary() -> str:
    """Return the path of the ruff binary installed beside this Python."""
    try:
        from ruff.__main__ import find_ruff_bin  # noqa: PLC0415 - import only when needed
    except ImportError as exc:
        raise ToolUnavailableError("ruff is not installed in this environment") from exc
    try:
        return str(find_ruff_bin())
    except FileNotFoundError as exc:
        raise ToolUnavailableError(
            "the ruff package is installed but its binary is missing"
        ) from exc


@dataclass(frozen=True)
class MypyCatalogue:
    """The error codes and configuration options of the installed mypy."""

    error_codes: frozenset[str]
    flags: frozenset[str]

    @classmethod
    def installed(cls) -> MypyCatalogue:
        """Read mypy's error-code registry and option names from the installed package."""
        try:
            from mypy.errorcodes import error_codes  # noqa: PLC0415 - costly, only when validating
            from mypy.options import Options  # noqa: PLC0415
        except ImportError as exc:
            raise ToolUnavailableError("mypy is not installed in this environment") from exc
        options = {name for name in dir(Options()) if not name.startswith("_")}
        return cls(error_codes=frozenset(error_codes), flags=frozenset({*options, "strict"}))

    def problem_with_code(self, code: str) -> str | None:
        """Return why ``code`` is not a mypy error code, or ``None`` if it is one."""
        return None if code in self.error_codes else f"mypy has no error code {code!r}"

    def problem_with_flag(self, flag: str) -> str | None:
        """Return why ``flag`` is not a mypy option, or ``None`` if it is one."""
        return None if flag in self.flags else f"mypy has no option {flag!r}"
