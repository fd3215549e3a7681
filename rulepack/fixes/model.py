"""What a fix run produces: the new text of each changed file, and notes for the user."""

from __future__ import annotations

import difflib
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path


class FixKind(str, Enum):
    """The kinds of fix, in the order they are applied to a file."""

    LIFESPAN = "lifespan"
    STATUS_CODE = "status code"
    MODEL_CONFIG = "model_config"
    RUFF = "ruff fix"

    def counted(self, number: int) -> str:
        """``"3 status codes"``, ``"2 ruff fixes"``, ``"1 lifespan"``."""
        if number == 1 or self in {FixKind.LIFESPAN, FixKind.MODEL_CONFIG}:
            return f"{number} {self.value}"
        return f"{number} {self.value}{'es' if self.value.endswith('x') else 's'}"


def tally_text(counts: Mapping[FixKind, int]) -> str:
    """``"1 lifespan, 3 status codes"`` in fix order, or ``"nothing"``."""
    parts = [kind.counted(counts[kind]) for kind in FixKind if counts.get(kind)]
    return ", ".join(parts) or "nothing"


@dataclass(frozen=True)
class Note:
    """Something the user should know about a file: a fix not made, a suggestion, a skip."""

    shown: str
    line: int | None
    message: str

    def __str__(self) -> str:
        """``path:line: message``."""
        where = f"{self.shown}:{self.line}" if self.line is not None else self.shown
        return f"{where}: {self.message}"


@dataclass(frozen=True)
class Outcome:
    """The result of one fix on one module's text: the new text, fixes made, notes."""

    text: str
    fixed: int = 0
    notes: tuple[tuple[int | None, str], ...] = ()  # (line, message)


@dataclass(frozen=True)
class FileFix:
    """A changed file: its old and new text and how many fixes of each kind were made."""

    path: Path
    shown: str
    before: str
    after: str
    counts: Mapping[FixKind, int] = field(default_factory=dict)

    def diff(self) -> str:
        """The change as a unified diff (``a/``/``b/`` prefixes, like git)."""
        absolute = Path(self.shown).is_absolute()
        lines = difflib.unified_diff(
            self.before.splitlines(keepends=True),
            self.after.splitlines(keepends=True),
            fromfile=self.shown if absolute else f"a/{self.shown}",
            tofile=self.shown if absolute else f"b/{self.shown}",
        )
        return "".join(line if line.endswith("\n") else f"{line}\n" for line in lines)

    def summary(self) -> str:
        """``main.py: 1 lifespan, 3 status codes``."""
        return f"{self.shown}: {tally_text(self.counts)}"


@dataclass(frozen=True)
class FixPlan:
    """Every change a fix run would make, and the notes for files it could not (fully) fix."""

    changes: tuple[FileFix, ...] = ()
    notes: tuple[Note, ...] = ()

    def counts(self) -> Counter[FixKind]:
        """Fixes of each kind over every changed file."""
        return total_counts(change.counts for change in self.changes)


def total_counts(counts: Iterable[Mapping[FixKind, int]]) -> Counter[FixKind]:
    """The sum of several per-file tallies."""
    total: Counter[FixKind] = Counter()
    for each in counts:
        total.update(each)
    return total
