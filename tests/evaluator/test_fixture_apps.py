"""The three bundled sample apps score in the order they were written for, for the right reasons."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from rulepack.evaluator.engine import EvalOptions, evaluate
from rulepack.evaluator.results import RuleStatus, SampleResult
from rulepack.evaluator.samples import discover
from rulepack.rules.loader import load_pack, resolve_pack_dir

APPS = Path(__file__).resolve().parents[2] / "fixtures" / "apps"


UNTYPED = "exemplary-untyped"  # exemplary with one return annotation dropped (metamorphic, mypy on)


@pytest.fixture(scope="module")
def apps(tmp_path_factory: pytest.TempPathFactory) -> dict[str, SampleResult]:
    untyped = tmp_path_factory.mktemp("variant") / UNTYPED
    shutil.copytree(APPS / "exemplary", untyped)
    health = untyped / "app" / "routers" / "health.py"
    signature = "async def read_liveness() -> HealthRead:"
    assert signature in health.read_text()
    health.write_text(health.read_text().replace(signature, "async def read_liveness():"))
    roots = [*(APPS / name for name in ("exemplary", "typical", "poor")), untyped]
    options = EvalOptions(cache_dir=tmp_path_factory.mktemp("cache"), use_cache=False)
    report = evaluate(load_pack(resolve_pack_dir(None)), discover(roots), options)
    return {Path(sample.root).name: sample for sample in report.samples}  # exemplary: items-api


def failed(result: SampleResult) -> set[str]:
    return {r.rule_id for r in result.rules if r.status is RuleStatus.FAILED}


def score(result: SampleResult) -> float:
    assert result.score is not None
    return result.score


def test_scores_follow_the_quality_of_the_apps(apps: dict[str, SampleResult]) -> None:
    assert score(apps["exemplary"]) >= 95
    assert score(apps["exemplary"]) > score(apps["typical"]) > score(apps["poor"])
    assert score(apps["poor"]) < 60
    densities = [apps[name].findings_per_kloc for name in ("poor", "typical", "exemplary")]
    assert densities == sorted(densities, reverse=True)


def test_no_tool_fails_on_the_apps(apps: dict[str, SampleResult]) -> None:
    assert {name: sample.tool_errors for name, sample in apps.items()} == {
        "exemplary": (),
        "typical": (),
        "poor": (),
        UNTYPED: (),
    }


def test_each_app_fails_the_rules_it_was_written_to_break(apps: dict[str, SampleResult]) -> None:
    assert {"FAS001", "SEC006", "CNV005", "PYD005", "CNV004"} <= failed(apps["typical"])
    assert {"ERR007", "ERR009", "QLT011", "QLT012", "API004"} <= failed(apps["poor"])
    assert failed(apps["exemplary"]) == set()


def test_no_finding_is_reported_twice_for_one_rule_and_line(apps: dict[str, SampleResult]) -> None:
    for result in apps.values():
        places = [(f.rule_id, f.path, f.line) for f in result.findings]
        assert len(places) == len(set(places)), result.name
    merged = [f for result in apps.values() for f in result.findings if f.sources]
    assert merged, "the apps have violations several tools report; they must have merged"
    assert all(len(f.sources) > 1 for f in merged)
    assert any(len({s.tool for s in f.sources}) > 1 for f in merged)


def test_a_violation_that_ruff_and_mypy_report_lowers_the_score_once(
    apps: dict[str, SampleResult],
) -> None:
    untyped, clean = apps[UNTYPED], apps["exemplary"]
    assert score(untyped) < score(clean)
    (finding,) = [f for f in untyped.findings if f.rule_id == "TYP001"]
    assert {s.label() for s in finding.sources} >= {"ruff ANN201", "mypy no-untyped-def"}
    assert len(untyped.findings) - len(clean.findings) == 2  # TYP001, FAS004: one finding each
