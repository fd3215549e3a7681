r"""The terminal report: per sample a score, section bars and failed rules with file:line findings.

Terse like a ruff or pytest summary. Every piece of text from the evaluated code or the pack is a
:class:`rich.text.Text`, never markup, so ``[red]`` in a message prints as written, and control
characters in tool output are shown as ``\x1b`` escapes rather than sent to the terminal.
"""

from __future__ import annotations

import io
import re

from rich.console import Console, Group, RenderableType
from rich.padding import Padding
from rich.table import Table
from rich.text import Text

from rulepack.evaluator.finding import Finding
from rulepack.evaluator.reports.summary import (
    MAX_FINDINGS,
    MAX_UNPARSED,
    counted,
    environment_text,
    error_location,
    failed_rules,
    findings_by_rule,
    gate_text,
    joined,
    location,
    not_checked_reasons,
    percent_text,
    score_text,
    status_counts,
    suppression_counts,
    unbound_counts,
    unparsed_location,
    unresolved_text,
)
from rulepack.evaluator.results import EvalReport, RuleResult, RuleStatus, SampleResult
from rulepack.rules.model import Severity

BAR_WIDTH = 20
TEXT_WIDTH = 100  # columns of the plain-text rendering written by --output
SEVERITY_STYLES = {Severity.ERROR: "red", Severity.WARNING: "yellow", Severity.INFO: "blue"}
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def printable(text: str) -> str:
    r"""``text`` with control characters (terminal escape sequences) written as ``\xNN``."""
    return _CONTROL.sub(lambda match: f"\\x{ord(match.group()):02x}", text)


def score_style(score: float | None) -> str:
    """Green from 90, yellow from 70, red below; dim when there is no score."""
    if score is None:
        return "dim"
    if score >= 90:
        return "green"
    return "yellow" if score >= 70 else "red"


def bar(score: float | None, width: int = BAR_WIDTH) -> Text:
    """A block bar for a 0-100 score: filled part styled by the score, rest dim."""
    if score is None:
        return Text("·" * width, style="dim")
    filled = round(max(0.0, min(score, 100.0)) / 100 * width)
    return Text.assemble(("█" * filled, score_style(score)), ("░" * (width - filled), "dim"))


def render(report: EvalReport, *, max_findings: int = MAX_FINDINGS) -> RenderableType:
    """The whole report as one rich renderable."""
    parts: list[RenderableType] = []
    for sample in report.samples:
        parts.extend(_sample(sample, max_findings))
        parts.append(Text())
    parts.append(_overall(report))
    return Group(*parts)


def render_plain(report: EvalReport, *, width: int = TEXT_WIDTH) -> str:
    """The report as plain text ``width`` columns wide, for writing to a file."""
    console = Console(record=True, width=width, file=io.StringIO(), color_system=None)
    console.print(render(report))
    return "\n".join(line.rstrip() for line in console.export_text().splitlines()) + "\n"


def _sample(sample: SampleResult, max_findings: int) -> list[RenderableType]:
    header = Text.assemble(
        (printable(sample.name), "bold"),
        "  ",
        (score_text(sample.score), f"bold {score_style(sample.score)}"),
        "  ",
        (_size(sample), "dim"),
    )
    parts: list[RenderableType] = [header]
    parts.extend(Text(f"note: {printable(note)}", style="dim") for note in sample.notes)
    parts.append(_sections(sample))
    failed = failed_rules(sample)
    if failed:
        parts.append(Text(f"Failed rules ({len(failed)})", style="bold"))
        by_rule = findings_by_rule(sample)
        parts.extend(_failed_rule(r, by_rule.get(r.rule_id, []), max_findings) for r in failed)
    parts.append(_footer(sample))
    return parts


def _size(sample: SampleResult) -> str:
    return (
        f"{counted(sample.files, 'file')}, {counted(sample.lines, 'line')}, "
        f"{counted(len(sample.findings), 'finding')} "
        f"({sample.findings_per_kloc:g} per 1,000 lines)" + (", cached" if sample.cached else "")
    )


def _sections(sample: SampleResult) -> Table:
    grid = Table.grid(padding=(0, 1))
    grid.add_column(no_wrap=True)
    grid.add_column(no_wrap=True)
    grid.add_column(justify="right", no_wrap=True)
    grid.add_column(style="dim", no_wrap=True)
    for section in sample.sections:
        rules = counted(section.rules_scored, "rule")
        failed = f", {section.rules_failed} failed" if section.rules_failed else ""
        detail = f"{rules}{failed}" if section.rules_scored else "nothing checked"
        grid.add_row(
            Text(f"  {section.title}"),
            bar(section.score),
            Text(score_text(section.score), style=score_style(section.score)),
            detail,
        )
    return grid


def _failed_rule(rule: RuleResult, findings: list[Finding], max_findings: int) -> Group:
    head = Text.assemble(
        (rule.rule_id, "bold"),
        " ",
        (rule.severity.value, SEVERITY_STYLES[rule.severity]),
        " ",
        rule.title,
        (
            f"  {percent_text(rule.compliance)} of {counted(rule.files_applicable, 'file')}, "
            f"weight {rule.weight:g}",
            "dim",
        ),
        (f", {rule.unparsed}", "yellow") if rule.unparsed else "",
    )
    shown = [_finding_line(finding) for finding in findings[:max_findings]]
    hidden = len(findings) - max_findings
    if hidden > 0:
        shown.append(Text(f"... and {hidden} more", style="dim"))
    guidance = Text.assemble(("-> ", "dim"), (rule.guidance, "italic"))
    return Group(Padding(head, (0, 0, 0, 2)), Padding(Group(*shown, guidance), (0, 0, 0, 4)))


def _finding_line(finding: Finding) -> Text:
    also = finding.also_label()
    return Text.assemble(
        (printable(location(finding)), "cyan"),
        " ",
        (printable(finding.code), "bold"),
        " ",
        printable(finding.message),
        (f" (also {printable(also)})" if also else "", "dim"),
    )


def _footer(sample: SampleResult) -> Table:
    grid = Table.grid(padding=(0, 1))
    grid.add_column(style="dim", no_wrap=True)
    grid.add_column()
    counts = status_counts(sample)
    grid.add_row(
        "  rules",
        f"{counts[RuleStatus.PASSED]} passed, {counts[RuleStatus.FAILED]} failed, "
        f"{counts[RuleStatus.NOT_APPLICABLE]} not applicable, "
        f"{counts[RuleStatus.NOT_CHECKED]} not checked",
    )
    reasons = not_checked_reasons(sample)
    if reasons:
        grid.add_row("  not checked", Text(joined(reasons)))
    if sample.unparsed:
        grid.add_row("  not parsed", _unparsed(sample))
    grid.add_row("  tool errors", _tool_errors(sample))
    unresolved = unresolved_text(sample)
    if unresolved:
        grid.add_row("  unresolved", Text(printable(unresolved), style="yellow"))
    suppressions = suppression_counts(sample.suppressions)
    grid.add_row(
        "  suppressions",
        Text(joined(suppressions), style="yellow") if suppressions else Text("none"),
    )
    if sample.unbound:
        grid.add_row(
            "  unbound",
            Text(
                f"{counted(len(sample.unbound), 'finding')} no rule binds (not scored): "
                + printable(joined(unbound_counts(sample.unbound)))
            ),
        )
    return grid


def _unparsed(sample: SampleResult) -> RenderableType:
    lines = [
        Text.assemble(
            (printable(unparsed_location(file)), "cyan"), " ", (printable(file.message), "yellow")
        )
        for file in sample.unparsed[:MAX_UNPARSED]
    ]
    hidden = len(sample.unparsed) - MAX_UNPARSED
    if hidden > 0:
        lines.append(Text(f"... and {hidden} more", style="dim"))
    return Group(*lines)


def _tool_errors(sample: SampleResult) -> RenderableType:
    if not sample.tool_errors:
        return Text("none")
    lines: list[Text] = []
    for error in sample.tool_errors:
        where = error_location(error)
        lines.append(
            Text.assemble(
                (error.tool.value, "bold red"),
                " ",
                (f"{printable(where)} ", "cyan") if where else "",
                printable(error.message),
            )
        )
    return Group(*lines)


def _overall(report: EvalReport) -> RenderableType:
    parts: list[RenderableType] = []
    if len(report.samples) > 1:
        grid = Table.grid(padding=(0, 1))
        grid.add_column(no_wrap=True)
        grid.add_column(no_wrap=True)
        grid.add_column(justify="right", no_wrap=True)
        for sample in report.samples:
            grid.add_row(
                Text(f"  {printable(sample.name)}"),
                bar(sample.score),
                Text(score_text(sample.score), style=score_style(sample.score)),
            )
        parts.append(grid)
    environment = environment_text(report)
    if environment:
        parts.append(Text(printable(environment), style="dim"))
    gate = gate_text(report)
    parts.append(
        Text.assemble(
            ("Score ", "bold"),
            (score_text(report.score), f"bold {score_style(report.score)}"),
            (f"  {counted(len(report.samples), 'sample')}, pack {report.pack} ", "dim"),
            (report.pack_version, "dim"),
            ", ",
            (gate if report.fail_under is None else f"gate {gate}", _gate_style(report)),
        )
    )
    return Group(*parts)


def _gate_style(report: EvalReport) -> str:
    if not report.passed:
        return "bold red"
    return "dim" if report.fail_under is None else "green"
