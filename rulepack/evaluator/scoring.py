"""Turn a sample's analysis into rule results and scores, as DESIGN.md "Scoring" defines them.

* Each rule is passed, failed, not applicable or not checked on each sample.
* Compliance ``c = 1 - files_with_findings / files_it_applies_to``; a project check counts the
  whole sample as one file, so it scores 0 or 1.
* A file that does not parse for the sample's target Python (or cannot be read) leaves the
  denominators of the rules it is in scope of: no tool checks it, so it neither passes nor fails
  them. Each rule says how many of its files were left out and why; a rule whose every file was
  left out is not checked, with that reason.
* Score ``100 * sum(w * c) / sum(w)`` over checked, applicable rules; the same per section.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from rulepack.evaluator.analysis import SampleAnalysis
from rulepack.evaluator.bindings import Bindings
from rulepack.evaluator.checks.base import ProjectCheck
from rulepack.evaluator.checks.runner import PROJECT
from rulepack.evaluator.finding import Finding, Tool
from rulepack.evaluator.globs import matching
from rulepack.evaluator.merge import merge_findings
from rulepack.evaluator.results import (
    RuleResult,
    RuleStatus,
    SampleResult,
    SectionScore,
    unparsed_note,
)
from rulepack.evaluator.samples import Sample
from rulepack.rules.model import CustomBinding, MypyBinding, Pack, RuffBinding, Rule, Scoring


@dataclass(frozen=True)
class Coverage:
    """For one rule on one sample: where it applies, where it failed, which findings count."""

    applicable: frozenset[str]
    failed: frozenset[str]
    findings: tuple[Finding, ...]
    checked: bool
    reason: str | None
    measured: int = 0  # metric checks: items measured
    unparsed: frozenset[str] = frozenset()  # files in scope left out: not parsed
    unparsed_reasons: tuple[str, ...] = ()


@dataclass(frozen=True)
class ScoringContext:
    """What scoring needs beyond the analysis."""

    pack: Pack
    bindings: Bindings
    implemented: frozenset[str]  # check ids that exist
    project_checks: frozenset[str]  # check ids that are project checks
    use_mypy: bool


def _rule_coverage(
    rule: Rule, sample: Sample, analysis: SampleAnalysis, context: ScoringContext
) -> Coverage:
    python = {source.path for source in sample.sources}
    unparsed = {file.path: file.reason for file in analysis.parse_failures}
    in_glob = matching(python, rule.applies_to)
    left_out = in_glob & set(unparsed) if rule.checks else set()
    in_scope = in_glob - left_out
    applicable: set[str] = set()
    failed: set[str] = set()
    findings: list[Finding] = []
    reasons: list[str] = []
    checked = False
    mine = [f for f in analysis.findings if f.rule_id == rule.id]
    for binding in rule.checks:
        if isinstance(binding, RuffBinding):
            if not analysis.ruff_ran:
                reasons.append("ruff did not run")
                continue
            tool, scope = Tool.RUFF, in_scope
        elif isinstance(binding, MypyBinding):
            if not context.use_mypy or not analysis.mypy_ran:
                reasons.append("mypy disabled" if not context.use_mypy else "mypy failed")
                continue
            tool, scope = Tool.MYPY, in_scope
        else:
            custom_scope = _custom_scope(binding, in_scope, analysis, context, reasons)
            if custom_scope is None:
                continue
            tool, scope = Tool.CUSTOM, custom_scope
        checked = True
        codes = _codes(binding)
        found = [f for f in mine if f.tool is tool and f.code in codes and _counts(f, scope)]
        findings.extend(found)
        hits = [f for f in found if not f.advisory]  # advisory findings are shown, not scored
        if PROJECT in scope:
            applicable.add(PROJECT)
            failed |= {PROJECT} if hits else set()
        else:
            applicable |= scope
            failed |= {f.path for f in hits}
    reason = "; ".join(dict.fromkeys(reasons)) or None
    if not rule.checks:
        reason = "review only"
    measured = sum(analysis.measured.get(check_id, 0) for check_id in rule.custom_checks)
    return Coverage(
        frozenset(applicable),
        frozenset(failed),
        merge_findings(findings),  # one violation, one finding (merge.py says why here)
        checked,
        reason,
        measured,
        frozenset(left_out),
        tuple(dict.fromkeys(unparsed[path] for path in sorted(left_out))),
    )


def _codes(binding: RuffBinding | MypyBinding | CustomBinding) -> frozenset[str]:
    if isinstance(binding, RuffBinding):
        return frozenset(binding.ruff)
    if isinstance(binding, MypyBinding):
        return frozenset(binding.mypy)
    return frozenset({binding.custom})


def _counts(finding: Finding, scope: set[str]) -> bool:
    return PROJECT in scope or finding.path in scope


def _custom_scope(
    binding: CustomBinding,
    in_scope: set[str],
    analysis: SampleAnalysis,
    context: ScoringContext,
    reasons: list[str],
) -> set[str] | None:
    check_id = binding.custom
    if check_id not in context.implemented:
        reasons.append(f"check {check_id} is not implemented yet")
        return None
    applied = set(analysis.applied.get(check_id, ()))
    if check_id in context.project_checks:
        return {PROJECT} if PROJECT in applied else set()
    return applied & in_scope


def _result(rule: Rule, section: str, coverage: Coverage, pack: Pack) -> RuleResult:
    applicable = len(coverage.applicable)
    failed = len(coverage.failed & coverage.applicable)
    metric = rule.scoring is Scoring.METRIC and coverage.measured > 0
    reason = coverage.reason
    if not coverage.checked:
        status, compliance = RuleStatus.NOT_CHECKED, None
    elif applicable == 0 and coverage.unparsed:
        # Every file it might apply to was left out: unknown, not "nothing to check".
        status, compliance = RuleStatus.NOT_CHECKED, None
        reason = unparsed_note(len(coverage.unparsed), coverage.unparsed_reasons)
    elif applicable == 0 or (rule.scoring is Scoring.METRIC and coverage.measured == 0):
        status, compliance = RuleStatus.NOT_APPLICABLE, None
    elif metric:
        # A metric rule scores the share of measured items without a finding.
        scored = sum(1 for finding in coverage.findings if not finding.advisory)
        compliance = 1 - min(scored, coverage.measured) / coverage.measured
        status = RuleStatus.PASSED if not scored else RuleStatus.FAILED
    else:
        compliance = 1 - failed / applicable
        status = RuleStatus.PASSED if failed == 0 else RuleStatus.FAILED
    if status is RuleStatus.NOT_APPLICABLE:
        reason = "nothing in the sample it applies to"
    return RuleResult(
        rule_id=rule.id,
        section=section,
        title=pack.render(rule, rule.title),
        severity=rule.severity,
        weight=rule.effective_weight,
        status=status,
        compliance=compliance,
        files_applicable=applicable,
        files_failed=failed,
        findings=len(coverage.findings),
        guidance=pack.render(rule, rule.guidance),
        rationale=pack.render(rule, rule.rationale),
        reason=reason
        if status is not RuleStatus.PASSED and status is not RuleStatus.FAILED
        else None,
        files_unparsed=len(coverage.unparsed),
        unparsed_reasons=coverage.unparsed_reasons,
    )


def weighted_score(results: Sequence[RuleResult]) -> float | None:
    """``100 * sum(w * c) / sum(w)`` over scored rules, or ``None`` if none is scored."""
    scored = [r for r in results if r.compliance is not None]
    total = sum(r.weight for r in scored)
    if not scored or total == 0:
        return None
    return round(100 * sum(r.weight * (r.compliance or 0.0) for r in scored) / total, 2)


def score_sample(
    sample: Sample, analysis: SampleAnalysis, context: ScoringContext, *, cached: bool
) -> SampleResult:
    """Score every selected rule on ``sample`` and aggregate by section."""
    results: list[RuleResult] = []
    bound: list[Finding] = []
    section_of = {rule.id: context.pack.section_of(rule.id) for rule in context.bindings.rules}
    for rule in context.bindings.rules:
        coverage = _rule_coverage(rule, sample, analysis, context)
        results.append(_result(rule, section_of[rule.id].id, coverage, context.pack))
        bound.extend(coverage.findings)
    sections = [
        SectionScore(
            section=section.id,
            title=section.title,
            score=weighted_score([r for r in results if r.section == section.id]),
            rules_scored=sum(
                1 for r in results if r.section == section.id and r.compliance is not None
            ),
            rules_failed=sum(
                1 for r in results if r.section == section.id and r.status is RuleStatus.FAILED
            ),
        )
        for section in context.pack.sections
        if any(r.section == section.id for r in results)
    ]
    unbound = [f for f in analysis.findings if f.rule_id is None]
    lines = sample.lines
    return SampleResult(
        name=sample.name,
        root=str(sample.root),
        files=len(sample.sources),
        lines=lines,
        score=weighted_score(results),
        sections=tuple(sections),
        rules=tuple(results),
        findings=tuple(sorted(bound, key=Finding.sort_key)),
        unbound=tuple(sorted(unbound, key=Finding.sort_key)),
        tool_errors=analysis.tool_errors,
        unparsed=analysis.parse_failures,
        suppressions=analysis.suppressions,
        unresolved_imports=analysis.unresolved_imports,
        findings_per_kloc=round(len(bound) * 1000 / lines, 2) if lines else 0.0,
        timings=dict(analysis.timings),
        cached=cached,
        notes=sample.notes,
    )


def project_check_ids(checks: Mapping[str, type]) -> frozenset[str]:
    """The ids of project checks among ``checks``."""
    return frozenset(cid for cid, cls in checks.items() if issubclass(cls, ProjectCheck))
