"""Scoring as DESIGN.md defines it, on hand-made analyses (no tools run)."""

from __future__ import annotations

from pathlib import Path

import pytest

from rulepack.evaluator.analysis import SampleAnalysis
from rulepack.evaluator.bindings import bindings_for
from rulepack.evaluator.checks.runner import PROJECT
from rulepack.evaluator.finding import Finding, Tool
from rulepack.evaluator.results import RuleStatus, SampleResult, UnparsedFile
from rulepack.evaluator.samples import Sample, SourceFile
from rulepack.evaluator.scoring import ScoringContext, score_sample, weighted_score
from rulepack.rules.model import Pack, Section, Severity

RULES = [
    {  # ruff, applies to every Python file
        "id": "TST001", "title": "No bare except", "severity": "error", "guidance": "g",
        "rationale": "r", "source": ["s"], "applies_to": ["**/*.py"], "tags": ["t"],
        "checks": [{"ruff": ["E722"]}], "examples": [{"bad": "x"}, {"good": "y"}],
    },
    {  # module check limited to app/
        "id": "TST002", "title": "Async routes", "severity": "warning", "guidance": "g",
        "rationale": "r", "source": ["s"], "applies_to": ["app/**/*.py"], "tags": ["t"],
        "checks": [{"custom": "mod-check"}], "examples": [{"bad": "x"}, {"good": "y"}],
    },
    {  # project check
        "id": "TST003", "title": "Health route", "severity": "info", "guidance": "g",
        "rationale": "r", "source": ["s"], "applies_to": ["**/*.py"], "tags": ["t"],
        "checks": [{"custom": "proj-check"}], "examples": [{"bad": "x"}, {"good": "y"}],
    },
    {  # metric
        "id": "TST004", "title": "Describe fields", "severity": "info", "guidance": "g",
        "rationale": "r", "source": ["s"], "applies_to": ["**/*.py"], "tags": ["t"],
        "scoring": "metric", "checks": [{"custom": "metric-check"}],
        "examples": [{"bad": "x"}, {"good": "y"}],
    },
    {  # review only
        "id": "TST005", "title": "Be clear", "severity": "info", "guidance": "g",
        "rationale": "r", "source": ["s"], "applies_to": ["**/*.py"], "tags": ["t"],
        "review": "Is it clear?",
    },
    {  # bound to a check that does not exist
        "id": "TST006", "title": "Future", "severity": "warning", "guidance": "g",
        "rationale": "r", "source": ["s"], "applies_to": ["**/*.py"], "tags": ["t"],
        "checks": [{"custom": "not-written"}], "examples": [{"bad": "x"}, {"good": "y"}],
    },
]  # fmt: skip

PACK = Pack(
    id="scoring",
    version="1.0.0",
    title="Scoring",
    sections=(Section.model_validate({"id": "t", "prefix": "TST", "title": "T", "rules": RULES}),),
)
FILES = ("app/main.py", "app/users.py", "tests/test_x.py", "app/broken.py")
SAMPLE = Sample(
    "s",
    Path("/nowhere"),
    (*(SourceFile(path, "x = 1\n") for path in FILES[:3]), SourceFile("app/broken.py", "def (:\n")),
)


def finding(rule_id: str, tool: Tool, code: str, path: str) -> Finding:
    return Finding(
        rule_id=rule_id, tool=tool, code=code, path=path, line=1, column=1, end_line=1,
        end_column=2, severity=Severity.WARNING, message="m",
    )  # fmt: skip


def score(analysis: SampleAnalysis, implemented: set[str] | None = None) -> SampleResult:
    context = ScoringContext(
        pack=PACK,
        bindings=bindings_for(PACK, list(PACK.rules())),
        implemented=frozenset(implemented or {"mod-check", "proj-check", "metric-check"}),
        project_checks=frozenset({"proj-check"}),
        use_mypy=True,
    )
    return score_sample(SAMPLE, analysis, context, cached=False)


def status(result: SampleResult, rule_id: str) -> tuple[RuleStatus, float | None, str | None]:
    rule = next(r for r in result.rules if r.rule_id == rule_id)
    return rule.status, rule.compliance, rule.reason


ANALYSIS = SampleAnalysis(
    findings=(
        finding("TST001", Tool.RUFF, "E722", "app/main.py"),
        finding("TST001", Tool.RUFF, "E722", "app/main.py"),
        finding("TST002", Tool.CUSTOM, "mod-check", "app/users.py"),
        finding("TST002", Tool.CUSTOM, "mod-check", "tests/test_x.py"),  # out of the rule's scope
        finding("TST004", Tool.CUSTOM, "metric-check", "app/main.py"),
    ),
    applied={
        "mod-check": ("app/main.py", "app/users.py", "tests/test_x.py"),
        "proj-check": (PROJECT,),
        "metric-check": ("app/main.py", "app/users.py"),
    },
    measured={"metric-check": 4},
    parse_failures=(
        UnparsedFile(
            path="app/broken.py",
            line=1,
            reason="syntax error",
            message="syntax error at line 1: invalid syntax",
        ),
    ),
    ruff_ran=True,
    mypy_ran=True,
)


def test_unparseable_files_leave_the_denominators_and_are_named() -> None:
    result = score(ANALYSIS)
    # E722: 3 Python files parsed; main.py has findings (two count once); broken.py is left out.
    assert status(result, "TST001") == (RuleStatus.FAILED, pytest.approx(2 / 3), None)
    # mod-check applies to app/main.py and app/users.py; app/broken.py is not counted at all;
    # the finding in tests/ is outside the rule's globs and does not count.
    assert status(result, "TST002")[:2] == (RuleStatus.FAILED, 0.5)
    assert [f.path for f in result.findings if f.rule_id == "TST002"] == ["app/users.py"]
    tst002 = next(r for r in result.rules if r.rule_id == "TST002")
    assert (tst002.files_applicable, tst002.files_failed, tst002.files_unparsed) == (2, 1, 1)
    assert tst002.unparsed == "1 file not parsed: syntax error"
    assert [f.path for f in result.unparsed] == ["app/broken.py"]


def test_a_rule_whose_every_file_is_unparseable_is_not_checked_with_the_reason() -> None:
    broken = ANALYSIS.model_copy(
        update={
            "applied": {**ANALYSIS.applied, "mod-check": ("tests/test_x.py",)},
            "parse_failures": (
                *ANALYSIS.parse_failures,
                UnparsedFile(
                    path="app/main.py",
                    line=3,
                    reason="needs Python 3.14",
                    message="needs Python 3.14 (the project targets 3.11): except A, B:",
                ),
            ),
        }
    )
    result = score(broken)
    # TST002 applies to app/ only: users.py has no mod-check facts, the other two do not parse.
    assert status(result, "TST002") == (
        RuleStatus.NOT_CHECKED,
        None,
        "2 files not parsed: syntax error; needs Python 3.14",
    )
    # With nothing parsed, nothing counts: no file failed, none passed.
    assert status(result, "TST001")[:2] == (RuleStatus.PASSED, 1.0)
    assert next(r for r in result.rules if r.rule_id == "TST001").files_applicable == 2
    assert status(result, "TST005")[2] == "review only"  # reviews keep their own reason


def test_project_check_scores_zero_or_one() -> None:
    assert status(score(ANALYSIS), "TST003")[:2] == (RuleStatus.PASSED, 1.0)
    failing = ANALYSIS.model_copy(
        update={
            "findings": (
                *ANALYSIS.findings,
                finding("TST003", Tool.CUSTOM, "proj-check", "app/main.py"),
            )
        }
    )
    assert status(score(failing), "TST003")[:2] == (RuleStatus.FAILED, 0.0)
    not_applied = ANALYSIS.model_copy(update={"applied": {**ANALYSIS.applied, "proj-check": ()}})
    # The check did not apply, but it may have applied to broken.py: unknown, not "not applicable".
    assert status(score(not_applied), "TST003") == (
        RuleStatus.NOT_CHECKED,
        None,
        "1 file not parsed: syntax error",
    )


def test_metric_rule_scores_the_share_of_measured_items() -> None:
    assert status(score(ANALYSIS), "TST004")[:2] == (RuleStatus.FAILED, 0.75)
    nothing_measured = ANALYSIS.model_copy(update={"measured": {}})
    assert status(score(nothing_measured), "TST004")[0] is RuleStatus.NOT_APPLICABLE


def test_not_checked_reasons() -> None:
    result = score(ANALYSIS)
    assert status(result, "TST005") == (RuleStatus.NOT_CHECKED, None, "review only")
    assert status(result, "TST006") == (
        RuleStatus.NOT_CHECKED,
        None,
        "check not-written is not implemented yet",
    )
    without_ruff = ANALYSIS.model_copy(update={"ruff_ran": False})
    assert status(score(without_ruff), "TST001") == (
        RuleStatus.NOT_CHECKED,
        None,
        "ruff did not run",
    )


def test_weighted_score_and_sections() -> None:
    result = score(ANALYSIS)
    scored = [r for r in result.rules if r.compliance is not None]
    expected = (
        100 * sum(r.weight * (r.compliance or 0) for r in scored) / sum(r.weight for r in scored)
    )
    assert result.score == pytest.approx(round(expected, 2))
    assert result.sections[0].score == result.score
    assert weighted_score([]) is None
    assert result.findings_per_kloc == pytest.approx(len(result.findings) * 1000 / SAMPLE.lines)


def test_advisory_findings_are_shown_but_not_scored() -> None:
    advisory = finding("TST002", Tool.CUSTOM, "mod-check", "app/main.py").model_copy(
        update={"advisory": True, "severity": Severity.INFO}
    )
    metric_advisory = finding("TST004", Tool.CUSTOM, "metric-check", "app/users.py").model_copy(
        update={"advisory": True}
    )
    with_advisory = ANALYSIS.model_copy(
        update={"findings": (*ANALYSIS.findings, advisory, metric_advisory)}
    )
    before, after = score(ANALYSIS), score(with_advisory)
    assert status(after, "TST002") == status(before, "TST002")
    assert status(after, "TST004") == status(before, "TST004")
    assert after.score == before.score
    assert advisory in after.findings
    assert metric_advisory in after.findings
