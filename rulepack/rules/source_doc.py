"""The Markdown document a pack was made from, as a list of items that rules must cover.

An item is a bullet (``- text``), named by its text, or a fenced code block, named by the path of
the headings above it (``Project Structure``, ``Common Patterns / Dependency Injection``). A rule
cites items verbatim in its ``source:`` list, so coverage is a set difference.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import Enum


class ItemKind(str, Enum):
    """Whether an item is a bullet or a code block."""

    BULLET = "bullet"
    CODE = "code"


@dataclass(frozen=True)
class SourceItem:
    """One bullet or code block of the source document."""

    text: str
    heading: str
    line: int
    kind: ItemKind


def parse_source_document(markdown: str) -> tuple[SourceItem, ...]:
    """Return the bullets and code blocks of ``markdown``, in document order."""
    items: list[SourceItem] = []
    headings: dict[int, str] = {}
    in_code = False
    for number, line in enumerate(markdown.splitlines(), start=1):
        stripped = line.strip()
        if stripped.startswith("```"):
            if not in_code:
                path = " / ".join(headings[level] for level in sorted(headings) if level >= 2)
                items.append(SourceItem(path, path, number, ItemKind.CODE))
            in_code = not in_code
            continue
        if in_code:
            continue
        if stripped.startswith("#"):
            level = len(stripped) - len(stripped.lstrip("#"))
            headings = {lvl: text for lvl, text in headings.items() if lvl < level}
            headings[level] = stripped[level:].strip()
        elif line.startswith("- "):
            heading = headings.get(2, "")
            items.append(SourceItem(line[2:].strip(), heading, number, ItemKind.BULLET))
    return tuple(items)


def uncovered_items(items: Iterable[SourceItem], cited: Iterable[str]) -> list[SourceItem]:
    """Return the items that no citation names."""
    cited_texts = set(cited)
    return [item for item in items if item.text not in cited_texts]
