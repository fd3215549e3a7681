"""One violation, one finding: reports of one rule on one line by several tools or codes merge."""

from __future__ import annotations

import json
import textwrap
from collections import Counter
from functools import cache
from pathlib import Path

import jsonschema

from rulepack.evaluator.engine import EvalOptions, evaluate
from rulepack.evaluator.finding import Finding, FindingSource, Tool
from rulepack.evaluator.merge import merge_findings
from rulepack.evaluator.reports import html, junit, markdown, sarif, table
from rulepack.evaluator.results import EvalReport, SampleResult
from rulepack.evaluator.samples import discover
from rulepack.rules.loader import load_pack, resolve_pack_dir
from rulepack.rules.model import Pack, Severity


@cache
def pack() -> Pack:
    return load_pack(resolve_pack_dir(None))


def hit(
    tool: Tool,
    code: str,
    *,
    rule_id: str | None = "TYP001",
    line: int = 3,
    column: int = 5,
    path: str = "app/main.py",
    advisory: bool = False,
) -> Finding:
    return Finding(
        rule_id=rule_id,
        tool=tool,
        code=code,
        path=path,
        line=line,
        column=column,
        end_line=line,
        end_column=column + 1,
        severity=Severity.INFO if advisory else Severity.ERROR,
        message=f"{tool.value} says {code}",
        advisory=advisory,
    )


def duplicates(findings: tuple[Finding, ...]) -> list[tuple[str | None, str, int]]:
    counts = Counter((f.rule_id, f.path, f.line) for f in findings)
    return [key for key, count in counts.items() if count > 1]


def test_one_rule_on_one_line_becomes_one_finding_naming_every_source() -> None:
    ruff = hit(Tool.RUFF, "ANN201", column=5)
    mypy = hit(Tool.MYPY, "no-untyped-def", column=1)
    (merged,) = merge_findings([ruff, mypy])
    assert (merged.tool, merged.code, merged.column) == (Tool.MYPY, "no-untyped-def", 1)
    assert [s.label() for s in merged.sources] == ["mypy no-untyped-def", "ruff ANN201"]
    assert merged.also_label() == "ruff ANN201"
    assert merged.source_label() == "mypy no-untyped-def + ruff ANN201"


def test_the_primary_does_not_depend_on_the_order_tools_reported_in() -> None:
    reports = [
        hit(Tool.RUFF, "G004"),
        hit(Tool.CUSTOM, "structured-logging"),
        hit(Tool.RUFF, "G003"),
    ]
    forward = merge_findings(reports)
    backward = merge_findings(list(reversed(reports)))
    assert forward == backward
    assert forward[0].code == "structured-logging"
    assert [s.code for s in forward[0].sources] == ["structured-logging", "G003", "G004"]


def test_a_proven_report_is_primary_over_an_advisory_one() -> None:
    (merged,) = merge_findings([hit(Tool.CUSTOM, "guess", advisory=True), hit(Tool.RUFF, "N818")])
    assert (merged.tool, merged.advisory, merged.severity) == (Tool.RUFF, False, Severity.ERROR)
    assert merged.also_label() == "custom guess"


def test_other_lines_rules_files_and_unbound_findings_stay_apart() -> None:
    reports = [
        hit(Tool.RUFF, "ANN201", line=3),
        hit(Tool.MYPY, "no-untyped-def", line=4),
        hit(Tool.RUFF, "D103", line=3, rule_id="DOC001"),
        hit(Tool.RUFF, "ANN201", line=3, path="app/other.py"),
        hit(Tool.MYPY, "attr-defined", line=3, rule_id=None),
        hit(Tool.RUFF, "F821", line=3, rule_id=None),
    ]
    assert merge_findings(reports) == tuple(reports)
    assert all(not f.sources for f in merge_findings(reports))


def test_one_code_twice_on_a_line_merges_without_listing_sources() -> None:
    (merged,) = merge_findings([hit(Tool.RUFF, "G004", column=9), hit(Tool.RUFF, "G004")])
    assert merged.column == 5
    assert merged.sources == ()


def test_findings_without_sources_still_load() -> None:
    legacy = hit(Tool.RUFF, "E722").model_dump(mode="json")
    del legacy["sources"]
    loaded = Finding.model_validate(legacy)
    assert loaded.sources == ()
    assert loaded.origins() == (FindingSource(tool=Tool.RUFF, code="E722", message=loaded.message),)


UNTYPED = textwrap.dedent(
    """\
    \"\"\"Helpers.\"\"\"

    import logging

    logger = logging.getLogger(__name__)


    def double(value: int):
        \"\"\"Twice the value.\"\"\"
        logger.info(f"doubling {value}")
        return value * 2
    """
)


def evaluated(tmp_path: Path, *, use_mypy: bool) -> EvalReport:
    path = tmp_path / "s" / "app" / "helpers.py"
    path.parent.mkdir(parents=True)
    path.write_text(UNTYPED)
    options = EvalOptions(cache_dir=tmp_path / "cache", use_cache=False, use_mypy=use_mypy)
    return evaluate(pack(), discover([tmp_path / "s"]), options)


def only_finding(sample: SampleResult, rule_id: str) -> Finding:
    (found,) = [f for f in sample.findings if f.rule_id == rule_id]
    return found


def test_ann201_and_no_untyped_def_on_one_line_are_one_finding(tmp_path: Path) -> None:
    sample = evaluated(tmp_path, use_mypy=True).samples[0]
    untyped = only_finding(sample, "TYP001")
    assert untyped.line == 8
    assert {s.label() for s in untyped.sources} == {"ruff ANN201", "mypy no-untyped-def"}
    logging = only_finding(sample, "CNV002")
    assert {s.label() for s in logging.sources} == {"custom structured-logging", "ruff G004"}
    assert logging.tool is Tool.CUSTOM
    assert duplicates(sample.findings) == []
    rules = {r.rule_id: r.findings for r in sample.rules}
    assert rules["TYP001"] == rules["CNV002"] == 1
    assert sample.findings_per_kloc == round(len(sample.findings) * 1000 / sample.lines, 2)


def test_every_report_names_every_source_of_a_merged_finding(tmp_path: Path) -> None:
    report = evaluated(tmp_path, use_mypy=False)
    assert "(also ruff G004)" in table.render_plain(report, width=1000)
    assert "(also ruff G004)" in markdown.render(report)
    assert "(also ruff G004)" in html.render(report)
    assert "(also ruff G004)" in junit.render(report)
    log = json.loads(sarif.render(report, pack()))
    schema = json.loads((Path(__file__).parent / "data" / "sarif-schema-2.1.0.json").read_text())
    jsonschema.Draft4Validator(schema).validate(log)
    results = log["runs"][0]["results"]
    logging = next(r for r in results if "structured-logging" in r["message"]["text"])
    assert logging["message"]["text"].endswith("(custom structured-logging + ruff G004)")
    assert [s["code"] for s in logging["properties"]["sources"]] == ["structured-logging", "G004"]
