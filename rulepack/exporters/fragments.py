"""Outputs that are configuration, not prose: ruff and mypy fragments, and the pack as JSON.

The ruff and mypy fragments turn the pack's check bindings into the settings a team's own CI
needs to enforce the checkable rules with the same tools the evaluator runs.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from rulepack.rules.model import MypyBinding, Pack
from rulepack.rules.query import RuleFilter, listing, select_rules
from rulepack.rules.tool_codes import RuffCatalogue, RuffStatus


@dataclass(frozen=True)
class BoundCode:
    """A tool code and the rule it enforces."""

    code: str
    rule_id: str
    title: str


@dataclass(frozen=True)
class RuffFragment:
    """What goes into ``.rulepack/ruff.toml``."""

    codes: tuple[BoundCode, ...]
    preview: bool


@dataclass(frozen=True)
class MypyFragment:
    """What goes into ``.rulepack/mypy.ini``."""

    flags: tuple[str, ...]
    enable_error_codes: tuple[str, ...]
    plugins: tuple[str, ...]


def _comment_text(text: str) -> str:
    """One line of printable text, safe inside a TOML or INI comment."""
    return " ".join("".join(c if c.isprintable() else " " for c in text).split())


def ruff_fragment(pack: Pack, catalogue: RuffCatalogue | None = None) -> RuffFragment:
    """Select every ruff code the pack binds; turn on preview only for preview codes."""
    statuses = (catalogue or RuffCatalogue.installed()).statuses
    codes = sorted(
        (
            BoundCode(code, rule.id, _comment_text(pack.render(rule, rule.title)))
            for rule in pack.rules()
            for code in rule.ruff_codes
        ),
        key=lambda bound: bound.code,
    )
    preview = any(statuses.get(bound.code) is RuffStatus.PREVIEW for bound in codes)
    return RuffFragment(codes=tuple(codes), preview=preview)


def mypy_fragment(pack: Pack) -> MypyFragment:
    """The mypy options the pack's bindings name, plus the error codes they need enabled."""
    from mypy.errorcodes import error_codes  # noqa: PLC0415 - heavy; only for this target

    flags: list[str] = []
    codes: list[str] = []
    for rule in pack.rules():
        for binding in rule.checks:
            if isinstance(binding, MypyBinding):
                flags.extend(flag for flag in binding.flags if flag not in flags)
                codes.extend(code for code in binding.mypy if code not in codes)
    disabled = [
        code for code in codes if code in error_codes and not error_codes[code].default_enabled
    ]
    return MypyFragment(
        flags=tuple(flags), enable_error_codes=tuple(disabled), plugins=("pydantic.mypy",)
    )


def pack_json(pack: Pack, header: str) -> str:
    """The resolved pack: every rule with its section and its text with parameters filled in."""
    document = listing(pack, select_rules(pack, RuleFilter())).model_dump(mode="json")
    return json.dumps({"generated_by": header, **document}, indent=2, ensure_ascii=False) + "\n"
