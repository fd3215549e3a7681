"""What every human-readable report shows, computed once: failed rules in order, counts, labels.

The table, Markdown and HTML reports lay these out differently; the numbers and their order are the
same in each.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping, Sequence

from rulepack.evaluator.finding import Finding, Tool, ToolError
from rulepack.evaluator.results import (
    EvalReport,
    RuleResult,
    RuleStatus,
    SampleResult,
    UnparsedFile,
)
from rulepack.evaluator.suppressions import Suppressions

MAX_FINDINGS = 5  # findings listed per failed rule in the table, Markdown and HTML reports
MAX_UNPARSED = 20  # files not parsed listed per sample in the table and Markdown reports

SUPPRESSION_LABELS = {
    "noqa": "# noqa",
    "type_ignore": "# type: ignore",
    "mypy_ignore_errors": "# mypy: ignore-errors",
    "mypy_inline_config": "# mypy: <other option>",
    "pragma_no_cover": "# pragma: no cover",
}

STATUS_LABELS = {
    RuleStatus.PASSED: "passed",
    RuleStatus.FAILED: "failed",
    RuleStatus.NOT_APPLICABLE: "not applicable",
    RuleStatus.NOT_CHECKED: "not checked",
}

_NO_CHECK_YET = re.compile(r"^check \S+ is not implemented yet$")
_NOT_PARSED = re.compile(r"^[\d,]+ files? not parsed: (?P<why>.*)$")


def score_text(score: float | None) -> str:
    """A score with one decimal, or ``n/a`` when nothing was scored."""
    return "n/a" if score is None else f"{score:.1f}"


def percent_text(compliance: float | None) -> str:
    """A rule's compliance as a whole percentage, or ``n/a``."""
    return "n/a" if compliance is None else f"{compliance * 100:.0f}%"


def location(finding: Finding) -> str:
    """``path:line:column``, the shape editors and terminals turn into links."""
    return f"{finding.path}:{finding.line}:{finding.column}"


def error_location(error: ToolError) -> str | None:
    """``path:line`` (or ``path``) of a tool error, ``None`` when it concerns the whole sample."""
    if error.path is None:
        return None
    return error.path if error.line is None else f"{error.path}:{error.line}"


def unparsed_location(file: UnparsedFile) -> str:
    """``path:line`` (or ``path``) of a file that was not parsed."""
    return file.path if file.line is None else f"{file.path}:{file.line}"


def problems(sample: SampleResult) -> tuple[ToolError, ...]:
    """Tool errors, then each file not parsed as an error of rulepack's checks (SARIF, JUnit)."""
    unparsed = (
        ToolError(tool=Tool.CUSTOM, message=file.message, path=file.path, line=file.line)
        for file in sample.unparsed
    )
    return (*sample.tool_errors, *unparsed)


def failed_rules(sample: SampleResult) -> list[RuleResult]:
    """The sample's failed rules: heaviest first, then least compliant, then by id."""
    failed = [rule for rule in sample.rules if rule.status is RuleStatus.FAILED]
    return sorted(failed, key=lambda r: (-r.weight, r.compliance or 0.0, r.rule_id))


def unscored_rules(sample: SampleResult) -> list[RuleResult]:
    """Rules that did not count: not checked first, then not applicable, each by id."""
    order = {RuleStatus.NOT_CHECKED: 0, RuleStatus.NOT_APPLICABLE: 1}
    unscored = [rule for rule in sample.rules if rule.status in order]
    return sorted(unscored, key=lambda r: (order[r.status], r.rule_id))


def findings_by_rule(sample: SampleResult) -> dict[str, list[Finding]]:
    """The sample's bound findings grouped by rule id, each group in file order."""
    grouped: dict[str, list[Finding]] = {}
    for finding in sorted(sample.findings, key=Finding.sort_key):
        if finding.rule_id is not None:
            grouped.setdefault(finding.rule_id, []).append(finding)
    return grouped


def status_counts(sample: SampleResult) -> Counter[RuleStatus]:
    """How many rules ended in each status."""
    return Counter(rule.status for rule in sample.rules)


def reason_kind(reason: str | None) -> str:
    """Group "check X is not implemented yet" and "N files not parsed: why" reasons by kind."""
    if reason is None:
        return "no reason given"
    if not_parsed := _NOT_PARSED.match(reason):
        return f"files not parsed ({not_parsed['why']})"
    return "no check yet" if _NO_CHECK_YET.match(reason) else reason


def not_checked_reasons(sample: SampleResult) -> list[tuple[str, int]]:
    """Why rules were not checked, grouped, most frequent first."""
    counts = Counter(
        reason_kind(rule.reason) for rule in sample.rules if rule.status is RuleStatus.NOT_CHECKED
    )
    return sorted(counts.items(), key=lambda item: (-item[1], item[0]))


def suppression_counts(suppressions: Suppressions) -> list[tuple[str, int]]:
    """Non-zero suppression comment counts with their comment spelling."""
    counts = suppressions.model_dump()
    return [(label, counts[kind]) for kind, label in SUPPRESSION_LABELS.items() if counts[kind]]


def unbound_counts(unbound: Sequence[Finding]) -> list[tuple[str, int]]:
    """Unbound findings by ``tool code``, most frequent first."""
    counts = Counter(f"{finding.tool.value} {finding.code}" for finding in unbound)
    return sorted(counts.items(), key=lambda item: (-item[1], item[0]))


def environment_text(report: EvalReport) -> str | None:
    """One line on what mypy saw: interpreter and library versions (``None`` without mypy)."""
    environment = report.environment
    if environment is None:
        return None
    if environment.python_executable is not None:
        return f"mypy {environment.mypy} with {environment.python_executable}"
    libraries = ", ".join(f"{name} {version}" for name, version in environment.libraries.items())
    return f"mypy {environment.mypy}, Python {environment.python}: {libraries or 'no libraries'}"


def unresolved_text(sample: SampleResult) -> str | None:
    """The modules mypy could not resolve and how many findings are therefore not scored."""
    if not sample.unresolved_imports:
        return None
    advisory = sum(
        1
        for finding in (*sample.findings, *sample.unbound)
        if finding.tool is Tool.MYPY and finding.advisory
    )
    modules = ", ".join(sample.unresolved_imports)
    return f"{modules} ({counted(advisory, 'mypy finding')} shown, not scored)"


def gate_text(report: EvalReport) -> str:
    """The gate result in words: ``no gate``, ``passed (>= 80.0)`` or ``FAILED (< 80.0)``."""
    if report.fail_under is None:
        return "no gate"
    if report.passed:
        return f"passed (score >= {report.fail_under:g})"
    return f"FAILED (score < {report.fail_under:g})"


def counted(count: int, noun: str, plural: str | None = None) -> str:
    """``1 file``, ``2 files``; thousands separated."""
    word = noun if count == 1 else (plural or f"{noun}s")
    return f"{count:,} {word}"


def joined(pairs: Sequence[tuple[str, int]]) -> str:
    """``# noqa 2, # type: ignore 1`` from label/count pairs."""
    return ", ".join(f"{label} {count}" for label, count in pairs)


def section_titles(sample: SampleResult) -> Mapping[str, str]:
    """Section id to title."""
    return {section.section: section.title for section in sample.sections}
