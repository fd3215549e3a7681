"""Errors that rulepack reports to its users.

Every error a user can cause is a :class:`RulepackError`. The CLI turns one into
``error: path:line: message`` lines and exit code 2; anything else is a bug.

::

    RulepackError
    ├── PackError          a pack (YAML) is malformed or inconsistent; carries every problem found
    └── UsageError         a command was asked for something that does not exist (a rule id, a file)
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Problem:
    """One problem at one place in one file.

    Attributes:
        path: The file the problem is in.
        line: The 1-based line, or ``None`` when the problem concerns the whole file.
        message: What is wrong, phrased for the person who will fix it.
    """

    path: Path
    line: int | None
    message: str

    def __str__(self) -> str:
        """Format as ``path:line: message``, the shape compilers and linters use."""
        shown = display_path(self.path)
        where = f"{shown}:{self.line}" if self.line is not None else shown
        return f"{where}: {self.message}"


def display_path(path: Path) -> str:
    """Return ``path`` relative to the working directory when it lies below it."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except (ValueError, OSError):
        return str(path)


class RulepackError(Exception):
    """Base class of every error that is the user's to fix, not ours."""

    exit_code = 2  # bad input or usage; subclasses that refuse to act use 1

    def lines(self) -> list[str]:
        """Return the error as one or more self-contained lines."""
        return [str(self)]


class PackError(RulepackError):
    """A pack failed to load; ``problems`` lists each thing to fix, in file order."""

    def __init__(self, problems: list[Problem]) -> None:
        """Keep every problem so that the user can fix them in one pass."""
        if not problems:
            raise ValueError("a PackError needs at least one problem")
        self.problems = tuple(problems)
        super().__init__(str(self.problems[0]))

    def lines(self) -> list[str]:
        """Return one ``path:line: message`` line per problem."""
        return [str(problem) for problem in self.problems]


class UsageError(RulepackError):
    """A command named something that does not exist, such as an unknown rule id."""
