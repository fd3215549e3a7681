"""A self-contained HTML report that a browser opens offline.

One file: inline CSS, no script, no external URL (a Content-Security-Policy meta tag forbids
loading anything). It shows an overview of the samples, then per sample the section bars, the failed
rules with every finding, a table of all rules with their status, tool errors and unbound findings.
The template is rendered by Jinja2 with autoescaping on, so every text (messages quote the evaluated
code) is HTML-escaped.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from functools import cache

import jinja2
from markupsafe import Markup

from rulepack.evaluator.finding import Finding
from rulepack.evaluator.reports.summary import (
    STATUS_LABELS,
    counted,
    error_location,
    failed_rules,
    findings_by_rule,
    gate_text,
    location,
    not_checked_reasons,
    percent_text,
    score_text,
    status_counts,
    suppression_counts,
    unbound_counts,
    unparsed_location,
)
from rulepack.evaluator.results import EvalReport, RuleResult, RuleStatus, SampleResult

STATUS_ORDER = {
    RuleStatus.FAILED: 0,
    RuleStatus.PASSED: 1,
    RuleStatus.NOT_CHECKED: 2,
    RuleStatus.NOT_APPLICABLE: 3,
}
_CODE_SPAN = re.compile(r"`([^`]+)`")


@dataclass(frozen=True)
class FailedRule:
    """A failed rule and all its findings."""

    rule: RuleResult
    findings: tuple[Finding, ...]


@dataclass(frozen=True)
class SampleView:
    """What the template shows for one sample, in display order."""

    anchor: str
    sample: SampleResult
    failed: tuple[FailedRule, ...]
    rules: tuple[RuleResult, ...]  # failed, passed, not checked, not applicable; each by id
    counts: dict[str, int]  # status label -> rules
    reasons: tuple[tuple[str, int], ...]
    suppressions: tuple[tuple[str, int], ...]
    unbound_counts: tuple[tuple[str, int], ...]


def render(report: EvalReport) -> str:
    """The report as one HTML document with a trailing newline."""
    template = _environment().get_template("report.html.j2")
    views = [_view(position, sample) for position, sample in enumerate(report.samples, 1)]
    return template.render(report=report, samples=views, gate=gate_text(report)).rstrip() + "\n"


def score_class(score: float | None) -> str:
    """CSS class of a score: ``good`` from 90, ``fair`` from 70, ``poor`` below, ``none``."""
    if score is None:
        return "none"
    if score >= 90:
        return "good"
    return "fair" if score >= 70 else "poor"


def inline_code(text: str) -> Markup:
    """``text`` HTML-escaped, with its Markdown code spans (`` `x` ``) shown as ``<code>``.

    Escaping comes first, so the only markup in the result is the ``<code>`` tags added here.
    """
    escaped = html.escape(text, quote=True)
    return Markup(_CODE_SPAN.sub(r"<code>\1</code>", escaped))  # noqa: S704 - escaped above


def bar_width(score: float | None) -> str:
    """The filled width of a 0-100 score bar as a CSS percentage."""
    return f"{max(0.0, min(score or 0.0, 100.0)):.1f}%"


def _view(position: int, sample: SampleResult) -> SampleView:
    by_rule = findings_by_rule(sample)
    counts = status_counts(sample)
    return SampleView(
        anchor=f"sample-{position}",
        sample=sample,
        failed=tuple(
            FailedRule(rule, tuple(by_rule.get(rule.rule_id, ()))) for rule in failed_rules(sample)
        ),
        rules=tuple(sorted(sample.rules, key=lambda r: (STATUS_ORDER[r.status], r.rule_id))),
        counts={STATUS_LABELS[status]: counts[status] for status in STATUS_ORDER},
        reasons=tuple(not_checked_reasons(sample)),
        suppressions=tuple(suppression_counts(sample.suppressions)),
        unbound_counts=tuple(unbound_counts(sample.unbound)),
    )


@cache
def _environment() -> jinja2.Environment:
    environment = jinja2.Environment(
        loader=jinja2.PackageLoader("rulepack.evaluator.reports", "templates"),
        undefined=jinja2.StrictUndefined,
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.filters.update(
        score=score_text,
        percent=percent_text,
        score_class=score_class,
        code=inline_code,
        bar_width=bar_width,
        location=location,
        error_location=error_location,
        unparsed_location=unparsed_location,
    )
    environment.globals.update(counted=counted, status_labels=STATUS_LABELS)
    return environment
