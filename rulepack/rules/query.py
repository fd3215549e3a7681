"""Select rules from a pack and describe them as plain data, for ``rulepack list``."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict

from rulepack.rules.model import Pack, Rule, Section, Severity


@dataclass(frozen=True)
class RuleFilter:
    """Which rules to keep; an empty collection means "any"."""

    sections: Collection[str] = ()
    tags: Collection[str] = ()
    severities: Collection[Severity] = ()
    checkable: bool | None = None

    def keeps(self, section: Section, rule: Rule) -> bool:
        """Whether ``rule`` (in ``section``) passes every criterion."""
        wanted_sections = {name.lower() for name in self.sections}
        in_section = not wanted_sections or bool(
            {section.id, section.prefix.lower()} & wanted_sections
        )
        has_tag = not self.tags or bool(set(rule.tags) & set(self.tags))
        has_severity = not self.severities or rule.severity in self.severities
        checkable_ok = self.checkable is None or rule.checkable == self.checkable
        return in_section and has_tag and has_severity and checkable_ok


def select_rules(pack: Pack, rule_filter: RuleFilter) -> list[tuple[Section, Rule]]:
    """Return ``(section, rule)`` pairs that pass the filter, in pack order."""
    return [
        (section, rule)
        for section in pack.sections
        for rule in section.rules
        if rule_filter.keeps(section, rule)
    ]


class RenderedText(BaseModel):
    """A rule's text with parameters substituted: what an assistant or a report shows."""

    model_config = ConfigDict(frozen=True)

    title: str
    guidance: str
    rationale: str
    review: str | None


class ListedRule(BaseModel):
    """One rule of ``rulepack list --format json``: the rule as written, its section, its text."""

    model_config = ConfigDict(frozen=True)

    section: str
    rule: Rule
    text: RenderedText


class RuleListing(BaseModel):
    """The document ``rulepack list --format json`` prints."""

    model_config = ConfigDict(frozen=True)

    pack: str
    version: str
    count: int
    rules: tuple[ListedRule, ...]


def rendered_text(pack: Pack, rule: Rule) -> RenderedText:
    """Return the rule's title, guidance, rationale and review with parameters filled in."""
    return RenderedText(
        title=pack.render(rule, rule.title),
        guidance=pack.render(rule, rule.guidance),
        rationale=pack.render(rule, rule.rationale),
        review=pack.render(rule, rule.review) if rule.review is not None else None,
    )


def listing(pack: Pack, selection: list[tuple[Section, Rule]]) -> RuleListing:
    """Describe the selected rules as the JSON listing model."""
    rules = tuple(
        ListedRule(section=section.id, rule=rule, text=rendered_text(pack, rule))
        for section, rule in selection
    )
    return RuleListing(pack=pack.id, version=pack.version, count=len(rules), rules=rules)
