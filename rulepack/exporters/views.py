"""What templates see: sections and rules with parameters filled in, scopes and safe text.

Templates never read the pack directly. These views carry text that is already rendered
(``${param}`` replaced), normalised to LF line endings, and cleared of anything that could
close a rulepack marker block, so any text a pack author writes renders into a well-formed file.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum

from rulepack.rules.model import Activation, Example, Pack, Rule, Section

MARKER_LINE = re.compile(r"^(<!-- rulepack:(begin|end)\b.*-->|# rulepack:(begin|end)\b.*)$")


class Profile(str, Enum):
    """How much of each rule an export carries."""

    FULL = "full"  # guidance, rationale and one bad/good example pair
    COMPACT = "compact"  # guidance only
    TITLES = "titles"  # the imperative title only: the last resort under a hard size limit

    @property
    def smaller(self) -> Profile | None:
        """The next profile to fall back to when a file exceeds a size limit."""
        order = list(Profile)
        index = order.index(self)
        return order[index + 1] if index + 1 < len(order) else None


def clean_text(text: str) -> str:
    """Normalise line endings and indent any line that would read as a rulepack marker."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    return "\n".join(f" {line}" if MARKER_LINE.match(line) else line for line in lines)


def one_line(text: str) -> str:
    """Collapse whitespace (newlines included) into single spaces."""
    return " ".join(text.split())


@dataclass(frozen=True)
class ExampleView:
    """One example, ready for a fenced code block."""

    code: str
    path: str
    language: str
    fence: str


@dataclass(frozen=True)
class RuleView:
    """A rule as exported: rendered text and at most one bad/good pair."""

    id: str
    title: str
    severity: str
    guidance: str
    rationale: str
    applies_to: tuple[str, ...]
    bad: ExampleView | None
    good: ExampleView | None


@dataclass(frozen=True)
class Scope:
    """When an assistant should load a section: always, for matching files, or on request."""

    activation: Activation
    globs: tuple[str, ...]
    description: str

    @property
    def always(self) -> bool:
        """Whether the section loads in every conversation."""
        return self.activation is Activation.ALWAYS

    @property
    def glob(self) -> bool:
        """Whether the section loads when a file matching ``globs`` is in context."""
        return self.activation is Activation.GLOB

    @property
    def requested(self) -> bool:
        """Whether the agent loads the section when its description fits the task."""
        return self.activation is Activation.REQUESTED


@dataclass(frozen=True)
class SectionView:
    """A section as exported."""

    id: str
    prefix: str
    title: str
    description: str
    scope: Scope
    rules: tuple[RuleView, ...]


@dataclass(frozen=True)
class PackView:
    """The pack as exported: metadata and sections in export order."""

    id: str
    version: str
    title: str
    description: str
    sections: tuple[SectionView, ...]


LANGUAGES = {".py": "python", ".toml": "toml", ".yaml": "yaml", ".yml": "yaml", ".md": "markdown"}


def fence_for(code: str) -> str:
    """Return a backtick fence longer than any backtick run inside ``code``."""
    longest = max((len(run) for run in re.findall(r"`+", code)), default=0)
    return "`" * max(3, longest + 1)


def example_view(example: Example | None) -> ExampleView | None:
    """Prepare an example for a fenced block, or pass ``None`` through."""
    if example is None:
        return None
    code = clean_text(example.code).rstrip("\n")
    suffix = "." + example.path.rsplit(".", 1)[-1] if "." in example.path else ""
    return ExampleView(code, example.path, LANGUAGES.get(suffix, "text"), fence_for(code))


def _first(rule: Rule, kind: str) -> Example | None:
    return next((example for example in rule.examples if example.kind == kind), None)


def rule_view(pack: Pack, rule: Rule) -> RuleView:
    """Render a rule's text with its parameters."""
    return RuleView(
        id=rule.id,
        title=one_line(clean_text(pack.render(rule, rule.title))),
        severity=rule.severity.value,
        guidance=clean_text(pack.render(rule, rule.guidance)),
        rationale=clean_text(pack.render(rule, rule.rationale)),
        applies_to=rule.applies_to,
        bad=example_view(_first(rule, "bad")),
        good=example_view(_first(rule, "good")),
    )


def section_scope(section: Section) -> Scope:
    """The section's activation and the union of its rules' globs, in first-seen order."""
    globs: list[str] = []
    for rule in section.rules:
        globs.extend(glob for glob in rule.applies_to if glob not in globs)
    description = one_line(section.description or f"{section.title} rules")
    return Scope(section.activation, tuple(globs), description)


def pack_view(pack: Pack) -> PackView:
    """Build the view of every section of ``pack``."""
    sections = tuple(
        SectionView(
            id=section.id,
            prefix=section.prefix,
            title=one_line(section.title),
            description=clean_text(one_line(section.description or "")),
            scope=section_scope(section),
            rules=tuple(rule_view(pack, rule) for rule in section.rules),
        )
        for section in pack.sections
    )
    return PackView(
        id=pack.id,
        version=pack.version,
        title=one_line(pack.title),
        description=one_line(pack.description or ""),
        sections=sections,
    )
