"""Count suppression comments, so that a sample cannot comply by silencing its tools.

ruff runs with ``--ignore-noqa`` and mypy ignores are counted here; the counts are reported next
to the score (DESIGN.md, "Scoring").
"""

from __future__ import annotations

import io
import re
import tokenize
from collections.abc import Iterable

from pydantic import BaseModel, ConfigDict

PATTERNS = {
    "noqa": re.compile(r"#\s*(?:ruff\s*:\s*)?noqa\b", re.IGNORECASE),
    "type_ignore": re.compile(r"#\s*type\s*:\s*ignore\b"),
    "mypy_ignore_errors": re.compile(r"#\s*mypy\s*:\s*ignore-errors\b"),
    "pragma_no_cover": re.compile(r"#\s*pragma\s*:\s*no\s*cover\b"),
}


class Suppressions(BaseModel):
    """Suppression comments in a sample, by kind."""

    model_config = ConfigDict(frozen=True)

    noqa: int = 0
    type_ignore: int = 0
    mypy_ignore_errors: int = 0
    pragma_no_cover: int = 0

    @property
    def total(self) -> int:
        """All suppression comments."""
        return self.noqa + self.type_ignore + self.mypy_ignore_errors + self.pragma_no_cover


def _comments(source: str) -> Iterable[str]:
    try:
        for token in tokenize.generate_tokens(io.StringIO(source).readline):
            if token.type == tokenize.COMMENT:
                yield token.string
    except (tokenize.TokenError, SyntaxError, IndentationError):
        # A file that does not tokenize: fall back to every ``#`` to the end of a line.
        yield from (line[line.index("#") :] for line in source.splitlines() if "#" in line)


def count_suppressions(sources: Iterable[str]) -> Suppressions:
    """Count suppression comments in every source."""
    counts = dict.fromkeys(PATTERNS, 0)
    for source in sources:
        for comment in _comments(source):
            for kind, pattern in PATTERNS.items():
                counts[kind] += len(pattern.findall(comment))
    return Suppressions(**counts)
