"""GitHub-flavoured Markdown for pull-request comments.

A score line, a section table and the failed rules with their findings (capped, "and N more");
everything else (rules not checked, tool errors, unbound findings) sits in collapsed ``<details>``.
With several samples each sample is collapsed under a summary table. Text from findings and tool
errors is escaped (:func:`escape`) so that a message cannot break a table, open a code span or
inject HTML; the pack's own text is Markdown and keeps its code spans (:func:`prose`). GitHub
truncates comments above 65,536 characters, so samples that do not fit are left out with a note.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from rulepack.evaluator.finding import Finding
from rulepack.evaluator.reports.summary import (
    MAX_FINDINGS,
    MAX_UNPARSED,
    STATUS_LABELS,
    counted,
    error_location,
    failed_rules,
    findings_by_rule,
    gate_text,
    joined,
    location,
    percent_text,
    score_text,
    status_counts,
    suppression_counts,
    unbound_counts,
    unparsed_location,
    unscored_rules,
)
from rulepack.evaluator.results import EvalReport, RuleResult, RuleStatus, SampleResult

MAX_COMMENT_CHARS = 65_000  # GitHub's limit is 65,536; leave room for the truncation note
MAX_UNBOUND = 50  # unbound findings listed per sample

# Characters with a meaning in GitHub Markdown or HTML wherever they appear in a line.
_SPECIAL = re.compile(r"([\\`*_\[\]<>|~#!])")


def escape(text: str) -> str:
    """``text`` as literal Markdown on one line: no code spans, tables, links or HTML.

    Backslash-escapes Markdown punctuation (pipes and backticks included), turns ``&`` into an
    entity so that ``&lt;`` stays literal, and folds line breaks into spaces.
    """
    flat = " ".join(text.split())
    return _SPECIAL.sub(r"\\\1", flat.replace("&", "&amp;"))


def prose(text: str) -> str:
    """Trusted Markdown (the pack's titles and guidance, our reasons) on one line.

    The pack's text is written as Markdown, so its code spans stay; only pipes are escaped, which
    GitHub honours inside table cells and code spans alike.
    """
    return " ".join(text.split()).replace("|", "\\|")


def code(text: str) -> str:
    """``text`` as an inline code span, fenced with more backticks than it contains."""
    flat = " ".join(text.split())
    longest = max((len(run) for run in re.findall(r"`+", flat)), default=0)
    fence = "`" * (longest + 1)
    padded = f" {flat} " if flat.startswith("`") or flat.endswith("`") else flat
    return f"{fence}{padded}{fence}"


def render(report: EvalReport, *, max_findings: int = MAX_FINDINGS) -> str:
    """The report as a Markdown comment with a trailing newline."""
    head = "\n".join(_header(report)) + "\n"
    if len(report.samples) == 1:
        bodies = ["\n".join(_sample(report.samples[0], max_findings, heading="###")) + "\n"]
    else:
        head += "\n" + "\n".join(_samples_table(report)) + "\n"
        bodies = [
            "\n".join(_collapsed(_sample(sample, max_findings, heading="####"), sample)) + "\n"
            for sample in report.samples
        ]
    return _fit(head, bodies)


def _fit(head: str, bodies: list[str]) -> str:
    parts = [head]
    size = len(head)
    for shown, body in enumerate(bodies):
        if size + len(body) + 1 > MAX_COMMENT_CHARS:
            left = len(bodies) - shown
            parts.append(
                f"_{counted(left, 'more sample')} left out to fit a comment; "
                "see the full report (`--format html` or `json`)._\n"
            )
            break
        parts.append(body)
        size += len(body) + 1
    return "\n".join(parts)


def _header(report: EvalReport) -> Iterator[str]:
    icon = ":x:" if not report.passed else ":white_check_mark:"
    gate = f" {icon} gate {gate_text(report)}" if report.fail_under is not None else ""
    yield f"## rulepack score: {_out_of_100(report.score)}{gate}"
    yield ""
    yield (
        f"Pack {code(report.pack)} {escape(report.pack_version)}, "
        f"{counted(len(report.samples), 'sample')}, rulepack {escape(report.rulepack_version)}."
    )


def _samples_table(report: EvalReport) -> Iterator[str]:
    yield "| Sample | Score | Failed rules | Findings | Tool errors |"
    yield "|---|---:|---:|---:|---:|"
    for sample in report.samples:
        failed = status_counts(sample)[RuleStatus.FAILED]
        yield (
            f"| {escape(sample.name)} | {score_text(sample.score)} | {failed} "
            f"| {len(sample.findings)} | {len(sample.tool_errors)} |"
        )


def _collapsed(lines: Iterator[str], sample: SampleResult) -> Iterator[str]:
    yield f"<details><summary>{escape(sample.name)}: {score_text(sample.score)}</summary>"
    yield ""
    yield from lines
    yield ""
    yield "</details>"


def _sample(sample: SampleResult, max_findings: int, heading: str) -> Iterator[str]:
    yield f"{heading} {escape(sample.name)}: {_out_of_100(sample.score)}"
    yield ""
    yield _facts(sample)
    yield ""
    yield from _sections(sample)
    failed = failed_rules(sample)
    if failed:
        yield ""
        yield f"**Failed rules ({len(failed)})**"
        yield ""
        by_rule = findings_by_rule(sample)
        for rule in failed:
            yield from _failed_rule(rule, by_rule.get(rule.rule_id, []), max_findings)
    yield from _details(sample)


def _out_of_100(score: float | None) -> str:
    return "n/a" if score is None else f"{score_text(score)}/100"


def _sections(sample: SampleResult) -> Iterator[str]:
    if not sample.sections:
        return
    yield "| Section | Score | Rules scored | Failed |"
    yield "|---|---:|---:|---:|"
    for section in sample.sections:
        yield (
            f"| {prose(section.title)} | {score_text(section.score)} "
            f"| {section.rules_scored} | {section.rules_failed} |"
        )


def _facts(sample: SampleResult) -> str:
    counts = suppression_counts(sample.suppressions)
    suppressions = ", ".join(f"{code(label)} {count}" for label, count in counts)
    facts = [
        counted(sample.files, "file"),
        counted(sample.lines, "line"),
        counted(len(sample.findings), "finding"),
        f"{sample.findings_per_kloc:g} per 1,000 lines",
        *([f"not parsed: {len(sample.unparsed)}"] if sample.unparsed else []),
        f"tool errors: {len(sample.tool_errors)}",
        f"suppressions: {suppressions or 'none'}",
    ]
    return " · ".join(facts)


def _failed_rule(rule: RuleResult, findings: list[Finding], max_findings: int) -> Iterator[str]:
    yield (
        f"- **{rule.rule_id}** {prose(rule.title)} "
        f"({rule.severity.value}, {percent_text(rule.compliance)} of "
        f"{counted(rule.files_applicable, 'file')}"
        + (f"; {prose(rule.unparsed)}" if rule.unparsed else "")
        + ")"
    )
    for finding in findings[:max_findings]:
        yield f"  {_finding_item(finding)}"
    hidden = len(findings) - max_findings
    if hidden > 0:
        yield f"  - _and {hidden} more_"
    yield f"  - :bulb: {prose(rule.guidance)}"


def _finding_item(finding: Finding, *, with_tool: bool = False) -> str:
    tool = f"{finding.tool.value} " if with_tool else ""
    also = finding.also_label()
    merged = f" (also {escape(also)})" if also else ""
    return (
        f"- {code(location(finding))} {tool}{escape(finding.code)}: {escape(finding.message)}"
        + merged
    )


def _details(sample: SampleResult) -> Iterator[str]:
    unscored = unscored_rules(sample)
    if unscored:
        yield from _block(
            f"Not scored ({len(unscored)})",
            ["| Rule | Status | Reason |", "|---|---|---|"]
            + [
                f"| {r.rule_id} {prose(r.title)} | {STATUS_LABELS[r.status]} "
                f"| {prose(r.reason or '')} |"
                for r in unscored
            ],
        )
    if sample.unparsed:
        yield from _block(
            f"Not parsed, so not checked ({len(sample.unparsed)})",
            [
                f"- {code(unparsed_location(file))}: {escape(file.message)}"
                for file in sample.unparsed[:MAX_UNPARSED]
            ]
            + _more(len(sample.unparsed) - MAX_UNPARSED),
        )
    if sample.tool_errors:
        yield from _block(
            f"Tool errors ({len(sample.tool_errors)})",
            [
                f"- **{error.tool.value}**"
                + (f" {code(where)}" if (where := error_location(error)) else "")
                + f": {escape(error.message)}"
                for error in sample.tool_errors
            ],
        )
    if sample.unbound:
        yield from _block(
            f"Unbound findings, not scored ({len(sample.unbound)})",
            [f"By code: {escape(joined(unbound_counts(sample.unbound)))}", ""]
            + [_finding_item(f, with_tool=True) for f in sample.unbound[:MAX_UNBOUND]]
            + _more(len(sample.unbound) - MAX_UNBOUND),
        )


def _more(hidden: int) -> list[str]:
    return [f"- _and {hidden} more_"] if hidden > 0 else []


def _block(summary: str, lines: list[str]) -> Iterator[str]:
    yield ""
    yield f"<details><summary>{summary}</summary>"
    yield ""
    yield from lines
    yield ""
    yield "</details>"
