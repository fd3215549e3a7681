"""Report formats: one module per format, one dispatch (like ruff's ``render_diagnostics``)."""

from __future__ import annotations

from enum import Enum


class ReportFormat(str, Enum):
    """``rulepack eval --format``."""

    TABLE = "table"
    JSON = "json"
    SARIF = "sarif"
    JUNIT = "junit"
    MARKDOWN = "markdown"
    HTML = "html"
