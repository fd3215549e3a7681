"""One dispatch from a report format to text, used by ``rulepack eval --output`` and for stdout."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import MappingProxyType

from rulepack.evaluator.reports import (
    ReportFormat,
    html,
    json_report,
    junit,
    markdown,
    sarif,
    table,
)
from rulepack.evaluator.results import EvalReport
from rulepack.rules.model import Pack

Renderer = Callable[[EvalReport, Pack], str]

RENDERERS: Mapping[ReportFormat, Renderer] = MappingProxyType(
    {
        # Plain text 100 columns wide, no colour: for a file. Print table.render() to a console.
        ReportFormat.TABLE: lambda report, _pack: table.render_plain(report),
        ReportFormat.JSON: lambda report, _pack: json_report.render(report),
        ReportFormat.SARIF: sarif.render,
        ReportFormat.JUNIT: lambda report, _pack: junit.render(report),
        ReportFormat.MARKDOWN: lambda report, _pack: markdown.render(report),
        ReportFormat.HTML: lambda report, _pack: html.render(report),
    }
)


def render_text(report: EvalReport, fmt: ReportFormat, pack: Pack) -> str:
    """The report in ``fmt`` as text ending in a newline (``pack`` supplies SARIF rule metadata).

    The table format becomes plain text 100 columns wide without colour.
    """
    return RENDERERS[fmt](report, pack)
