"""Route, API-design and HTTP semantics checks: one module per check, registered in ``CHECKS``."""

from __future__ import annotations

from rulepack.evaluator.checks.base import CheckClass

CHECKS: tuple[CheckClass, ...] = ()
