"""One violation, one finding: merge what several tools or codes report for one rule on one line.

ruff ANN201 and mypy ``no-untyped-def``, ruff G004 and the ``structured-logging`` check, ruff N818
and ``domain-exceptions`` report the same violation of the same rule. Scoring merges them before
it counts, so the finding count, findings per 1,000 lines and metric rules see one finding.

The merge runs in scoring, per rule, on the findings that rule counts (not on the cached
analysis): the analysis stays a record of raw tool output that can be re-scored, and only
findings of checks that actually ran in the rule's scope take part.

The primary report (whose tool, code, position and message the merged finding carries) is chosen
deterministically: a report that proves the violation before an advisory one, then a rulepack
check before mypy before ruff (the check is written against the rule itself, so its message
speaks the rule's language; mypy sees types where ruff reads syntax), then by column and code.
"""

from __future__ import annotations

from collections.abc import Iterable

from rulepack.evaluator.finding import Finding, Tool

TOOL_RANK = {Tool.CUSTOM: 0, Tool.MYPY: 1, Tool.RUFF: 2}


def _primary_order(finding: Finding) -> tuple[bool, int, int, str, str]:
    return (
        finding.advisory,
        TOOL_RANK[finding.tool],
        finding.column,
        finding.code,
        finding.message,
    )


def merge_findings(findings: Iterable[Finding]) -> tuple[Finding, ...]:
    """``findings`` with every group of one rule on one path and line merged into one finding.

    Unbound findings (no rule) are left as they are. A group of one is returned unchanged; a
    larger group becomes its primary finding with ``sources`` naming every distinct report.
    """
    groups: dict[tuple[str, str, int], list[Finding]] = {}
    merged: list[Finding | tuple[str, str, int]] = []
    for finding in findings:
        if finding.rule_id is None:
            merged.append(finding)
            continue
        key = (finding.rule_id, finding.path, finding.line)
        if key not in groups:
            groups[key] = []
            merged.append(key)
        groups[key].append(finding)
    return tuple(item if isinstance(item, Finding) else _merged(groups[item]) for item in merged)


def _merged(group: list[Finding]) -> Finding:
    if len(group) == 1:
        return group[0]
    ordered = sorted(group, key=_primary_order)
    distinct = dict.fromkeys(origin for finding in ordered for origin in finding.origins())
    sources = tuple(distinct) if len(distinct) > 1 else ()  # primary first
    return ordered[0].model_copy(update={"sources": sources})
