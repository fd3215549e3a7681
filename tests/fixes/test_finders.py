"""The finders report exactly what their checks report, without reading any metadata."""

from __future__ import annotations

import libcst as cst
import pytest

from rulepack.evaluator.checks.base import Case
from rulepack.fixes.finders import (
    Collector,
    ConfigFinder,
    OnEventFinder,
    StatusCodeFinder,
    find,
    parse_module,
    project_facts,
)

FINDERS = (StatusCodeFinder, ConfigFinder, OnEventFinder)
CASES = [
    pytest.param(finder, case, id=f"{finder.id}-{kind}-{index}")
    for finder in FINDERS
    for kind, cases in (("good", finder.good), ("bad", finder.bad))
    for index, case in enumerate(cases)
]


@pytest.mark.parametrize(("finder", "case"), CASES)
def test_finders_agree_with_their_checks(finder: type[Collector], case: Case) -> None:
    alone = {path: parse_module(path, text, None, {}) for path, text in case.files.items()}
    project = project_facts(alone, case.files, {})
    found = 0
    for path, text in case.files.items():
        module = cst.parse_module(text)
        hits = find(finder, module, parse_module(path, text, project, {}))
        for hit in hits or ():
            assert hit.line >= 1
        found += len(hits or ())
    assert found == case.hits
