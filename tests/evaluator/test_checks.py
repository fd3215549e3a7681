"""Every custom check's own good and bad cases, run through the real check runner (Fixit-style)."""

from __future__ import annotations

import pytest

from rulepack.evaluator.checks import ALL_CHECKS
from rulepack.evaluator.checks.base import Case, CheckClass
from rulepack.evaluator.checks.runner import run_checks

CASES = [
    pytest.param(check, case, id=f"{check.id}-{kind}{number}")
    for check in ALL_CHECKS
    for kind, cases in (("good", check.good), ("bad", check.bad))
    for number, case in enumerate(cases)
]


@pytest.mark.parametrize(("check", "case"), CASES)
def test_check_case(check: CheckClass, case: Case) -> None:
    sources = {path: text for path, text in case.files.items() if path.endswith(".py")}
    others = [path for path in case.files if not path.endswith(".py")]
    texts = {path: case.files[path] for path in others}
    run = run_checks(sources, [check], {check.id: {}}, others, texts)
    assert run.failures == []
    messages = [f"{hit.path}:{hit.span.line}: {hit.message}" for hit in run.hits[check.id]]
    assert len(messages) == case.hits, f"{case.note or 'case'}: {messages}"


@pytest.mark.parametrize("check", ALL_CHECKS, ids=lambda c: c.id)
def test_every_check_has_good_and_bad_cases(check: CheckClass) -> None:
    assert check.good, check.id
    assert check.bad, check.id
    assert all(case.hits > 0 for case in check.bad)
