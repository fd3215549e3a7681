"""``rulepack fix``: rewrite code where a check's finding has one safe rewrite.

Codemods on libcst (formatting and comments kept) for three checks, then ruff's own fixer:

- ``literal-status-code``: integer status codes -> ``status.HTTP_*`` constants;
- ``pydantic-v1-api``: ``class Config`` -> ``model_config = ConfigDict(...)``;
- ``on-event``: ``@app.on_event`` handlers -> a lifespan, in the simple case only (otherwise a
  suggestion is printed);
- ruff: the safe fixes of the pack's ruff codes, with rulepack's generated configuration.
"""

from __future__ import annotations

from rulepack.fixes.engine import FixOptions, plan_fixes, write_fixes
from rulepack.fixes.model import FileFix, FixKind, FixPlan, Note, tally_text, total_counts

__all__ = [
    "FileFix",
    "FixKind",
    "FixOptions",
    "FixPlan",
    "Note",
    "plan_fixes",
    "tally_text",
    "total_counts",
    "write_fixes",
]
