"""Error-handling, security and configuration checks, registered in ``CHECKS``."""

from __future__ import annotations

from rulepack.evaluator.checks.base import CheckClass

CHECKS: tuple[CheckClass, ...] = ()
