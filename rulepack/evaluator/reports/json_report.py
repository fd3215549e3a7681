"""The JSON report: the :class:`~rulepack.evaluator.results.EvalReport` model, schema version 1."""

from __future__ import annotations

from rulepack.evaluator.results import EvalReport


def render(report: EvalReport) -> str:
    """The report as indented JSON with a trailing newline."""
    return report.model_dump_json(indent=2) + "\n"
