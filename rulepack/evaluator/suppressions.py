"""Count suppression comments, and blank the ones mypy would honour, so none hides a finding.

ruff runs with ``--ignore-noqa``. mypy has no such switch, so it type-checks a staged copy in
which every ``# type: ignore`` and ``# mypy:`` inline configuration is replaced by blanks of the
same length (:func:`neutralise_mypy_suppressions`): no line or column moves. Every suppression is
counted and reported next to the score (DESIGN.md, "Scoring"), including each one neutralised.
"""

from __future__ import annotations

import io
import re
import tokenize
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict

PATTERNS = {
    "noqa": re.compile(r"#\s*(?:ruff\s*:\s*)?noqa\b", re.IGNORECASE),
    "pragma_no_cover": re.compile(r"#\s*pragma\s*:\s*no\s*cover\b"),
}
_TYPE_IGNORE = re.compile(r"#\s*type\s*:\s*ignore\b")
_MYPY_COMMENT = re.compile(r"#\s*mypy\s*:")
_IGNORE_ERRORS = re.compile(r"#\s*mypy\s*:.*\bignore[-_]errors\b")
# mypy reads inline configuration from every physical line that starts with this text, even one
# inside a string literal (mypy.util.get_mypy_comments).
MYPY_LINE_PREFIX = "# mypy: "


class Suppressions(BaseModel):
    """Suppression comments in a sample, by kind."""

    model_config = ConfigDict(frozen=True)

    noqa: int = 0
    type_ignore: int = 0
    mypy_ignore_errors: int = 0
    mypy_inline_config: int = 0  # other ``# mypy:`` lines: they can switch checks off too
    pragma_no_cover: int = 0

    @property
    def total(self) -> int:
        """All suppression comments."""
        return (
            self.noqa
            + self.type_ignore
            + self.mypy_ignore_errors
            + self.mypy_inline_config
            + self.pragma_no_cover
        )


@dataclass(frozen=True)
class MypyDirective:
    """A piece of a source that mypy reads as a suppression: 1-based line, 0-based columns."""

    line: int
    start: int
    end: int
    kind: str  # "type_ignore", "mypy_ignore_errors" or "mypy_inline_config"


def _comment_tokens(source: str) -> Iterator[tuple[int, int, str]]:
    """``(line, column, text)`` of every real comment; ``#`` to line end if it does not tokenize."""
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(source).readline))
    except (tokenize.TokenError, SyntaxError, IndentationError):
        for number, line in enumerate(source.split("\n"), start=1):
            if "#" in line:
                yield number, line.index("#"), line[line.index("#") :]
        return
    for token in tokens:
        if token.type == tokenize.COMMENT:
            yield token.start[0], token.start[1], token.string


def _comment_kind(comment: str) -> tuple[str, int] | None:
    """The directive kind of a comment and where in it the directive starts, if it is one."""
    if match := _TYPE_IGNORE.search(comment):
        return "type_ignore", match.start()
    if _MYPY_COMMENT.match(comment):
        kind = "mypy_ignore_errors" if _IGNORE_ERRORS.match(comment) else "mypy_inline_config"
        return kind, 0
    return None


def mypy_directives(source: str) -> list[MypyDirective]:
    """Every ``# type: ignore`` and ``# mypy:`` comment of ``source``, as mypy would honour it.

    Real comments are found with :mod:`tokenize`, so a string that mentions ``# type: ignore`` is
    left alone. A line inside a string that starts with ``# mypy: `` is included too: mypy reads
    inline configuration from raw lines, strings or not.
    """
    found: dict[int, MypyDirective] = {}
    for line, column, comment in _comment_tokens(source):
        directive = _comment_kind(comment)
        if directive is not None:
            kind, offset = directive
            found[line] = MypyDirective(line, column + offset, column + len(comment), kind)
    for number, text in enumerate(source.split("\n"), start=1):
        if text.startswith(MYPY_LINE_PREFIX) and number not in found:
            kind = "mypy_ignore_errors" if _IGNORE_ERRORS.match(text) else "mypy_inline_config"
            found[number] = MypyDirective(number, 0, len(MYPY_LINE_PREFIX), kind)
    return [found[line] for line in sorted(found)]


def neutralise_mypy_suppressions(source: str) -> str:
    """``source`` with each mypy directive blanked after its ``#``; lines and columns unchanged.

    A directive inside a string (a line starting ``# mypy: ``) loses its ``mypy:`` marker the same
    way, which changes the string's value but not its type.
    """
    directives = {directive.line: directive for directive in mypy_directives(source)}
    if not directives:
        return source
    lines = source.split("\n")
    for number, directive in directives.items():
        text = lines[number - 1]
        blank = "#" + " " * (directive.end - directive.start - 1)
        lines[number - 1] = text[: directive.start] + blank + text[directive.end :]
    return "\n".join(lines)


def count_suppressions(sources: Iterable[str]) -> Suppressions:
    """Count suppression comments in every source."""
    counts = dict.fromkeys(Suppressions.model_fields, 0)
    for source in sources:
        for _, _, comment in _comment_tokens(source):
            for kind, pattern in PATTERNS.items():
                counts[kind] += len(pattern.findall(comment))
        for directive in mypy_directives(source):
            counts[directive.kind] += 1
    return Suppressions(**counts)
