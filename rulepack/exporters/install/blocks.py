"""Marked blocks in files people also edit: find, insert, replace and remove them.

A block is the lines from a begin marker to its end marker, both alone on their lines. Everything
outside a block is kept byte for byte, line endings included: a block is written with the file's
own newline style, and the separator rulepack adds before a new block is recorded so that removing
the block restores the file exactly.
"""

from __future__ import annotations

from dataclasses import dataclass

from rulepack.errors import RulepackError


class BlockError(RulepackError):
    """A file's rulepack markers are damaged (a begin without an end, or repeated blocks)."""


@dataclass(frozen=True)
class Span:
    """A block's position: ``text[start:end]`` is the block including its last newline."""

    start: int
    end: int


def newline_of(text: str) -> str:
    """The file's newline: CRLF when most of its lines end so, else LF."""
    crlf = text.count("\r\n")
    return "\r\n" if crlf and crlf * 2 >= text.count("\n") else "\n"


def _line_spans(text: str) -> list[tuple[int, int, str]]:
    """``(start, end_including_newline, content_without_newline)`` for every line."""
    spans: list[tuple[int, int, str]] = []
    position = 0
    while position < len(text):
        newline = text.find("\n", position)
        line_end = len(text) if newline < 0 else newline + 1
        content = text[position:line_end].removesuffix("\n").removesuffix("\r")
        spans.append((position, line_end, content))
        position = line_end
    return spans


def find_block(text: str, begin: str, end: str, path: str) -> Span | None:
    """Locate the block between ``begin`` and ``end`` lines, or ``None`` if there is none.

    Raises:
        BlockError: if a begin marker has no end marker, or the block appears twice.
    """
    found: Span | None = None
    start: int | None = None
    for line_start, line_end, content in _line_spans(text):
        if content == begin:
            if start is not None or found is not None:
                raise BlockError(f"{path}: the rulepack block appears twice; remove one by hand")
            start = line_start
        elif content == end:
            if start is None:
                raise BlockError(f"{path}: '{end}' has no matching '{begin}'; fix it by hand")
            found, start = Span(start, line_end), None
    if start is not None:
        raise BlockError(f"{path}: '{begin}' has no matching '{end}'; fix it by hand")
    return found


def render_block(body: str, begin: str, end: str, newline: str) -> str:
    """The block's text: markers around ``body``, every line ended with ``newline``.

    A body line that reads exactly as one of the markers is indented by a space, so that no body
    can end the block early or open a second one.
    """
    body_lines = [
        f" {line}" if line in (begin, end) else line for line in body.rstrip("\n").split("\n")
    ]
    lines = [begin, *body_lines, end]
    return newline.join(lines) + newline


def separator_for(text: str, newline: str) -> str:
    """What to put between existing text and a new block: end the last line, then one blank."""
    if not text:
        return ""
    if not text.endswith(("\n", "\r")):
        return newline + newline
    return newline


@dataclass(frozen=True)
class Upsert:
    """The result of writing a block: the new text and the separator added before a new block."""

    text: str
    separator: str


def upsert_block(text: str, body: str, begin: str, end: str, path: str) -> Upsert:
    """Replace the block in ``text`` with one holding ``body``, or append a new block."""
    newline = newline_of(text)
    block = render_block(body, begin, end, newline)
    span = find_block(text, begin, end, path)
    if span is not None:
        return Upsert(text[: span.start] + block + text[span.end :], separator="")
    separator = separator_for(text, newline)
    return Upsert(text + separator + block, separator=separator)


def remove_block(text: str, begin: str, end: str, separator: str, path: str) -> str:
    """Remove the block and, when it directly follows it, the separator rulepack added."""
    span = find_block(text, begin, end, path)
    if span is None:
        return text
    start = span.start
    if separator and text[:start].endswith(separator):
        start -= len(separator)
    return text[:start] + text[span.end :]


def block_body(text: str, begin: str, end: str, path: str) -> str | None:
    """The text between the markers (LF newlines), or ``None`` if there is no block."""
    span = find_block(text, begin, end, path)
    if span is None:
        return None
    lines = [line.removesuffix("\r") for line in text[span.start : span.end].split("\n")]
    return "\n".join(lines[1:-2]) + "\n"
