"""Report formats: table, SARIF, JUnit, Markdown, HTML and the text dispatch."""

from __future__ import annotations

import io
import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from rich.console import Console

from rulepack.evaluator.engine import EvalOptions, evaluate
from rulepack.evaluator.finding import Finding, Tool, ToolError
from rulepack.evaluator.reports import ReportFormat, html, junit, markdown, sarif, table
from rulepack.evaluator.reports.render import RENDERERS, render_text
from rulepack.evaluator.results import (
    EvalReport,
    RuleResult,
    RuleStatus,
    SampleResult,
    SectionScore,
    UnparsedFile,
)
from rulepack.evaluator.samples import discover
from rulepack.evaluator.suppressions import Suppressions
from rulepack.rules.loader import load_pack, resolve_pack_dir
from rulepack.rules.model import Pack, Severity

REPO = Path(__file__).resolve().parents[2]
SARIF_SCHEMA = Path(__file__).parent / "data" / "sarif-schema-2.1.0.json"
SCRIPT = "<script>alert(1)</script>"
CRASH = "mypy crashed \x00 <b>bold</b>"
MAIN = "import os\n\n\ndef f():\n    try:\n        pass\n    except:\n        pass\n"


@pytest.fixture(scope="module")
def pack() -> Pack:
    return load_pack(REPO / "fixtures" / "packs" / "mini")


def finding(
    rule_id: str | None,
    line: int,
    message: str = "bare except",
    *,
    path: str = "app/main.py",
    code: str = "E722",
    tool: Tool = Tool.RUFF,
    severity: Severity = Severity.ERROR,
) -> Finding:
    return Finding(
        rule_id=rule_id,
        tool=tool,
        code=code,
        path=path,
        line=line,
        column=5,
        end_line=line,
        end_column=11,
        severity=severity,
        message=message,
    )


def rule(
    rule_id: str,
    status: RuleStatus,
    *,
    section: str = "basics",
    severity: Severity = Severity.ERROR,
    weight: float = 3.0,
    findings: int = 0,
    reason: str | None = None,
) -> RuleResult:
    scored = status in {RuleStatus.PASSED, RuleStatus.FAILED}
    failed = 1 if status is RuleStatus.FAILED else 0
    return RuleResult(
        rule_id=rule_id,
        section=section,
        title=f"Title of {rule_id}",
        severity=severity,
        weight=weight,
        status=status,
        compliance=(0.5 if failed else 1.0) if scored else None,
        files_applicable=2 if scored else 0,
        files_failed=failed,
        findings=findings,
        guidance=f"Guidance for {rule_id}: use `{rule_id.lower()}()`.",
        rationale=f"Rationale for {rule_id}.",
        reason=reason,
    )


def section(section_id: str, title: str, score: float, *, scored: int, failed: int) -> SectionScore:
    return SectionScore(
        section=section_id, title=title, score=score, rules_scored=scored, rules_failed=failed
    )


def only(*findings: Finding) -> dict[str, Any]:
    """Sample changes that keep just these findings."""
    return {"findings": findings, "unbound": ()}


def sample_result(
    name: str = "demo", root: str = "/nonexistent/demo", **changes: object
) -> SampleResult:
    bas001 = [finding("BAS001", line) for line in (7, 9, 11, 13, 15)]
    bas001.append(finding("BAS001", 17, SCRIPT))
    bas001.append(finding("BAS001", 19, "a | b `c` [red]x[/red] & &lt;"))
    web002 = [
        finding(
            "WEB002",
            2,
            "unversioned",
            path="app/api.py",
            code="unversioned-routes",
            tool=Tool.CUSTOM,
            severity=Severity.INFO,
        )
    ]
    values: dict[str, object] = {
        "name": name,
        "root": root,
        "files": 2,
        "lines": 400,
        "score": 62.5,
        "sections": (
            SectionScore(
                section="basics", title="Basics", score=50.0, rules_scored=1, rules_failed=1
            ),
            SectionScore(section="web", title="Web", score=75.0, rules_scored=2, rules_failed=1),
        ),
        "rules": (
            rule("BAS001", RuleStatus.FAILED, findings=len(bas001)),
            rule(
                "BAS002",
                RuleStatus.NOT_CHECKED,
                severity=Severity.WARNING,
                weight=2.0,
                reason="review only",
            ),
            rule(
                "WEB001",
                RuleStatus.NOT_APPLICABLE,
                section="web",
                weight=2.0,
                reason="nothing in the sample it applies to",
            ),
            rule(
                "WEB002",
                RuleStatus.FAILED,
                section="web",
                severity=Severity.INFO,
                weight=1.0,
                findings=1,
            ),
            rule("WEB003", RuleStatus.PASSED, section="web", weight=1.0),
        ),
        "findings": (*bas001, *web002),
        "unbound": (
            finding(
                None,
                3,
                "Module has no attribute",
                code="attr-defined",
                tool=Tool.MYPY,
                severity=Severity.WARNING,
            ),
        ),
        "tool_errors": (
            ToolError(
                tool=Tool.MYPY, message="mypy crashed \x00 <b>bold</b>", path="app/x.py", line=3
            ),
            ToolError(tool=Tool.RUFF, message="timed out after 300 s"),
        ),
        "suppressions": Suppressions(noqa=2, type_ignore=1),
        "findings_per_kloc": 20.0,
    }
    values.update(changes)
    return SampleResult.model_validate(values)


def make_report(*samples: SampleResult, fail_under: float | None = 80.0) -> EvalReport:
    chosen = samples or (sample_result(),)
    scores = [s.score for s in chosen if s.score is not None]
    score = sum(scores) / len(scores) if scores else None
    return EvalReport(
        rulepack_version="0.1.0",
        pack="mini",
        pack_version="1.0.0",
        score=score,
        fail_under=fail_under,
        passed=fail_under is None or (score is not None and score >= fail_under),
        samples=chosen,
    )


# --- table -------------------------------------------------------------------------------------


def test_table_lists_score_sections_failed_rules_and_counts() -> None:
    text = table.render_plain(make_report())
    assert "demo  62.5  2 files, 400 lines, 8 findings (20 per 1,000 lines)" in text
    assert re.search(r"Basics\s+█{10}░{10}\s+50\.0\s+1 rule, 1 failed", text)
    assert "BAS001 error Title of BAS001  50% of 2 files, weight 3" in text
    assert "app/main.py:7:5 E722 bare except" in text
    assert "... and 2 more" in text  # 7 findings, 5 shown
    assert "-> Guidance for BAS001: use `bas001()`." in text
    assert "1 passed, 2 failed, 1 not applicable, 1 not checked" in text
    assert "not checked  review only 1" in text
    assert "mypy app/x.py:3 mypy crashed" in text
    assert "ruff timed out after 300 s" in text
    assert "# noqa 2, # type: ignore 1" in text
    assert "1 finding no rule binds (not scored): mypy attr-defined 1" in text
    assert "Score 62.5  1 sample, pack mini 1.0.0, gate FAILED (score < 80)" in text


def test_table_orders_failed_rules_by_weight() -> None:
    text = table.render_plain(make_report())
    assert text.index("BAS001 error") < text.index("WEB002 info")


def test_table_prints_markup_in_messages_literally() -> None:
    console = Console(record=True, width=200, file=io.StringIO())
    console.print(table.render(make_report(), max_findings=10))
    text = console.export_text()
    assert "a | b `c` [red]x[/red]" in text


def test_table_never_sends_control_characters_to_the_terminal() -> None:
    evil = finding("BAS001", 1, "clear \x1b[2J\x07 done")
    text = table.render_plain(make_report(sample_result(**only(evil))))
    assert "clear \\x1b[2J\\x07 done" in text
    assert "\x1b" not in text
    assert "mypy crashed \\x00 <b>bold</b>" in text


def test_table_plain_text_has_no_colour_codes_or_trailing_spaces() -> None:
    text = render_text(make_report(), ReportFormat.TABLE, load_pack(REPO / "fixtures/packs/mini"))
    assert "\x1b[" not in text
    assert all(line == line.rstrip() for line in text.splitlines())


def test_table_lists_every_sample_at_the_end_of_a_multi_sample_run() -> None:
    report = make_report(sample_result("one"), sample_result("two", score=None), fail_under=None)
    text = table.render_plain(report)
    assert re.search(r"one\s+█+░+\s+62\.5", text)
    assert re.search(r"two\s+·+\s+n/a", text)
    assert text.rstrip().endswith("Score 62.5  2 samples, pack mini 1.0.0, no gate")


def test_table_bar_fills_in_proportion() -> None:
    assert table.bar(100.0).plain == "█" * 20
    assert table.bar(0.0).plain == "░" * 20
    assert table.bar(52.0).plain == "█" * 10 + "░" * 10
    assert table.bar(None).plain == "·" * 20


# --- SARIF -------------------------------------------------------------------------------------


def validate_sarif(text: str) -> Any:
    log = json.loads(text)
    schema = json.loads(SARIF_SCHEMA.read_text(encoding="utf-8"))
    jsonschema.Draft4Validator(schema).validate(log)
    return log


def runs_of(log: Any) -> list[Any]:
    runs = log["runs"]
    assert isinstance(runs, list)
    return runs


def test_schema_copy_is_the_official_sarif_schema() -> None:
    schema = json.loads(SARIF_SCHEMA.read_text(encoding="utf-8"))
    assert schema["id"].endswith("/sarif-schema-2.1.0.json")
    jsonschema.Draft4Validator.check_schema(schema)


def test_sarif_validates_and_has_one_run_per_sample(pack: Pack) -> None:
    report = make_report(sample_result("one"), sample_result("two"))
    log = validate_sarif(sarif.render(report, pack))
    assert log["version"] == "2.1.0"
    runs = runs_of(log)
    assert [run["automationDetails"]["id"] for run in runs] == [
        "rulepack/mini/one/",
        "rulepack/mini/two/",
    ]
    assert {run["tool"]["driver"]["name"] for run in runs} == {"rulepack"}


def test_sarif_rules_carry_pack_metadata(pack: Pack) -> None:
    run = runs_of(validate_sarif(sarif.render(make_report(), pack)))[0]
    rules = {r["id"]: r for r in run["tool"]["driver"]["rules"]}
    bas001 = rules["BAS001"]
    assert bas001["shortDescription"]["text"] == "Title of BAS001"
    assert bas001["fullDescription"]["text"] == "Guidance for BAS001: use `bas001()`."
    assert bas001["defaultConfiguration"]["level"] == "error"
    assert bas001["properties"]["tags"] == ["errors", "basics"]
    assert "Rationale for BAS001." in bas001["help"]["text"]
    assert "Checked by: ruff E722" in bas001["help"]["text"]
    assert "```python\ntry:\n    run()\nexcept:\n    pass\n```" in bas001["help"]["markdown"]
    assert rules["BAS002"]["defaultConfiguration"]["level"] == "warning"
    # The review question comes from the pack with its parameter filled in.
    assert "Review: Does any function do more than one thing?" in rules["BAS002"]["help"]["text"]
    # A rule the pack does not know still gets a descriptor from the result.
    assert rules["WEB002"]["defaultConfiguration"]["level"] == "note"
    assert rules["WEB002"]["properties"]["tags"] == ["web"]


def test_sarif_results_point_at_their_rules_and_locations(pack: Pack) -> None:
    run = runs_of(validate_sarif(sarif.render(make_report(), pack)))[0]
    rules = run["tool"]["driver"]["rules"]
    results = run["results"]
    assert len(results) == 9  # 8 bound findings and 1 unbound
    for result in results:
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]
    first = results[0]
    assert first["ruleId"] == "BAS001"
    assert first["level"] == "error"
    assert first["message"]["text"] == "bare except (ruff E722)"
    location = first["locations"][0]["physicalLocation"]
    assert location["artifactLocation"] == {"uri": "app/main.py", "uriBaseId": "SRCROOT"}
    assert location["region"] == {"startLine": 7, "startColumn": 5, "endLine": 7, "endColumn": 11}
    assert run["originalUriBaseIds"]["SRCROOT"]["uri"] == "file:///nonexistent/demo/"


def test_sarif_reports_unbound_findings_as_notes_under_tool_rules(pack: Pack) -> None:
    run = runs_of(validate_sarif(sarif.render(make_report(), pack)))[0]
    unbound = [r for r in run["results"] if r["ruleId"] == "mypy/attr-defined"]
    assert len(unbound) == 1
    assert unbound[0]["level"] == "note"
    descriptor = run["tool"]["driver"]["rules"][unbound[0]["ruleIndex"]]
    assert "unbound" in descriptor["properties"]["tags"]


def test_sarif_reports_tool_errors_as_notifications(pack: Pack) -> None:
    run = runs_of(validate_sarif(sarif.render(make_report(), pack)))[0]
    invocation = run["invocations"][0]
    assert invocation["executionSuccessful"] is False
    notes = invocation["toolExecutionNotifications"]
    assert [n["descriptor"]["id"] for n in notes] == ["mypy", "ruff"]
    region = notes[0]["locations"][0]["physicalLocation"]["region"]
    assert region == {"startLine": 3}
    assert "locations" not in notes[1]


def test_sarif_percent_encodes_paths(pack: Pack) -> None:
    odd = finding("BAS001", 1, path="app/my file#1.py")
    report = make_report(sample_result(findings=(odd,), unbound=()))
    run = runs_of(validate_sarif(sarif.render(report, pack)))[0]
    uri = run["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
    assert uri == "app/my%20file%231.py"


def fingerprints(report: EvalReport, pack: Pack) -> list[str]:
    run = runs_of(json.loads(sarif.render(report, pack)))[0]
    return [r["partialFingerprints"]["primaryLocationLineHash"] for r in run["results"]]


def test_fingerprint_follows_the_line_text_when_the_file_is_there(
    tmp_path: Path, pack: Pack
) -> None:
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "main.py").write_text(MAIN, encoding="utf-8")

    def hashes(line: int) -> list[str]:
        return fingerprints(
            make_report(sample_result(root=str(tmp_path), **only(finding("BAS001", line)))), pack
        )

    before = hashes(7)  # "    except:"
    (tmp_path / "app" / "main.py").write_text("# a new first line\n" + MAIN, encoding="utf-8")
    assert hashes(8) == before  # the same line, moved down
    assert hashes(2) != before  # another line


def test_fingerprint_counts_occurrences_of_the_same_line_text(tmp_path: Path, pack: Pack) -> None:
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "main.py").write_text("except:\n  x\nexcept:\n", encoding="utf-8")
    twice = (finding("BAS001", 1), finding("BAS001", 3))
    report = make_report(sample_result(root=str(tmp_path), findings=twice, unbound=()))
    first, second = fingerprints(report, pack)
    assert first.split(":")[0] == second.split(":")[0]
    assert (first.split(":")[1], second.split(":")[1]) == ("1", "2")


def test_fingerprint_falls_back_to_the_line_number_without_sources(pack: Pack) -> None:
    at_7 = make_report(sample_result(findings=(finding("BAS001", 7),), unbound=()))
    at_8 = make_report(sample_result(findings=(finding("BAS001", 8),), unbound=()))
    again = make_report(sample_result(findings=(finding("BAS001", 7),), unbound=()))
    assert fingerprints(at_7, pack) != fingerprints(at_8, pack)
    assert fingerprints(at_7, pack) == fingerprints(again, pack)


def test_fingerprint_never_reads_outside_the_sample(tmp_path: Path, pack: Pack) -> None:
    root = tmp_path / "sample"
    root.mkdir()
    (tmp_path / "secret.py").write_text("same text\n", encoding="utf-8")
    (root / "inside.py").write_text("same text\n", encoding="utf-8")
    escaping = make_report(
        sample_result(
            root=str(root), findings=(finding("BAS001", 1, path="../secret.py"),), unbound=()
        )
    )
    inside = make_report(
        sample_result(
            root=str(root), findings=(finding("BAS001", 1, path="inside.py"),), unbound=()
        )
    )
    lines = sarif._SourceLines(root)
    assert lines.text("../secret.py", 1) is None
    assert lines.text("inside.py", 1) == "same text"
    assert fingerprints(escaping, pack) != fingerprints(inside, pack)


# --- JUnit -------------------------------------------------------------------------------------


def parse_xml(text: str) -> ET.Element:
    return ET.fromstring(text)  # noqa: S314 - our own output


def test_junit_has_one_suite_per_sample_and_one_case_per_rule() -> None:
    report = make_report(sample_result("one"), sample_result("two"), fail_under=None)
    root = parse_xml(junit.render(report))
    suites = root.findall("testsuite")
    assert [s.get("name") for s in suites] == ["one", "two"]
    for suite in suites:
        cases = suite.findall("testcase")
        assert len(cases) == 7  # 5 rules and 2 tool errors
        assert suite.get("tests") == "7"
        assert suite.get("failures") == "2"
        assert suite.get("skipped") == "2"
        assert suite.get("errors") == "2"
    assert (root.get("tests"), root.get("failures"), root.get("skipped"), root.get("errors")) == (
        "14",
        "4",
        "4",
        "4",
    )


def test_junit_cases_pass_fail_or_skip_by_status() -> None:
    suite = parse_xml(junit.render(make_report(fail_under=None))).findall("testsuite")[0]
    cases = {case.get("name", "").split()[0]: case for case in suite.findall("testcase")}
    assert len(cases["WEB003"]) == 0  # passed: no child element
    failure = cases["BAS001"].find("failure")
    assert failure is not None
    assert failure.get("message") == "7 findings; 1 of 2 files failed (compliance 50%)"
    assert failure.get("type") == "error"
    assert failure.text is not None
    assert "app/main.py:7:5: E722 bare except" in failure.text
    assert SCRIPT in failure.text  # escaped in XML, intact once parsed
    assert failure.text.endswith("Guidance: Guidance for BAS001: use `bas001()`.")
    skipped = cases["BAS002"].find("skipped")
    assert skipped is not None
    assert skipped.get("message") == "review only"
    assert cases["WEB001"].find("skipped") is not None
    assert cases["BAS001"].get("classname") == "demo.basics"


def test_junit_tool_errors_are_error_cases_without_forbidden_characters() -> None:
    text = junit.render(make_report(fail_under=None))
    assert "\x00" not in text
    suite = parse_xml(text).findall("testsuite")[0]
    errors = [case.find("error") for case in suite.findall("testcase")]
    messages = [error.get("message") for error in errors if error is not None]
    assert messages == ["mypy crashed  <b>bold</b>", "timed out after 300 s"]


def test_junit_adds_a_gate_suite_when_a_gate_is_set() -> None:
    root = parse_xml(junit.render(make_report(fail_under=80.0)))
    gate = root.findall("testsuite")[-1]
    assert gate.get("name") == "gate"
    failure = gate.find("testcase/failure")
    assert failure is not None
    assert failure.get("message") == "FAILED (score < 80)"
    assert root.get("failures") == "3"
    passing = parse_xml(junit.render(make_report(fail_under=50.0))).findall("testsuite")[-1]
    assert passing.find("testcase/failure") is None


def test_junit_properties_carry_the_score_and_suppressions() -> None:
    suite = parse_xml(junit.render(make_report())).findall("testsuite")[0]
    properties = {p.get("name"): p.get("value") for p in suite.iter("property")}
    assert properties["score"] == "62.5"
    assert properties["suppressions.noqa"] == "2"
    assert properties["section.web"] == "75.0"


# --- Markdown ----------------------------------------------------------------------------------


def test_markdown_has_score_sections_and_capped_failed_rules() -> None:
    text = markdown.render(make_report())
    assert text.startswith("## rulepack score: 62.5/100 :x: gate FAILED (score < 80)\n")
    assert "| Basics | 50.0 | 1 | 1 |" in text
    assert "- **BAS001** Title of BAS001 (error, 50% of 2 files)" in text
    assert "  - `app/main.py:7:5` E722: bare except" in text
    assert "  - _and 2 more_" in text
    assert "  - :bulb: Guidance for BAS001: use `bas001()`." in text
    assert "`# noqa` 2, `# type: ignore` 1" in text
    assert text.index("**BAS001**") < text.index("**WEB002**")


def test_markdown_collapses_details() -> None:
    text = markdown.render(make_report())
    assert "<details><summary>Not scored (2)</summary>" in text
    assert "| BAS002 Title of BAS002 | not checked | review only |" in text
    assert "<details><summary>Tool errors (2)</summary>" in text
    assert "<details><summary>Unbound findings, not scored (1)</summary>" in text
    assert text.count("<details>") == text.count("</details>")


def test_markdown_escapes_messages() -> None:
    text = markdown.render(make_report(), max_findings=10)
    assert r"a \| b \`c\` \[red\]x\[/red\] &amp; &amp;lt;" in text
    assert r"\<script\>alert(1)\</script\>" in text
    assert SCRIPT not in text
    assert r"\<b\>bold\</b\>" in text
    assert "<b>bold</b>" not in text


def test_markdown_escape_and_code_helpers() -> None:
    assert markdown.escape("a|b\n`c` <d> *e*") == r"a\|b \`c\` \<d\> \*e\*"
    assert markdown.code("x`y") == "``x`y``"
    assert markdown.code("`x") == "`` `x ``"
    assert markdown.prose("uses `a|b`\nhere") == r"uses `a\|b` here"


def test_markdown_collapses_each_of_several_samples_under_a_table() -> None:
    text = markdown.render(make_report(sample_result("one"), sample_result("two")))
    assert "| Sample | Score | Failed rules | Findings | Tool errors |" in text
    assert "| one | 62.5 | 2 | 8 | 2 |" in text
    assert "<details><summary>one: 62.5</summary>" in text
    assert "#### two: 62.5/100" in text


def test_markdown_leaves_out_samples_that_do_not_fit_a_comment() -> None:
    long = "x" * 2_000
    many = [
        sample_result(f"s{n}", findings=tuple(finding("BAS001", i, long) for i in range(1, 6)))
        for n in range(40)
    ]
    text = markdown.render(make_report(*many), max_findings=5)
    assert len(text) <= markdown.MAX_COMMENT_CHARS
    assert re.search(r"_\d+ more samples left out to fit a comment", text)
    assert "| s39 |" in text  # the summary table still lists every sample


# --- HTML --------------------------------------------------------------------------------------


def test_html_is_self_contained() -> None:
    text = html.render(make_report(sample_result("one"), sample_result("two")))
    assert text.startswith("<!DOCTYPE html>")
    assert not re.search(r"https?://", text)
    assert "<script" not in text
    assert "<link" not in text
    references = re.findall(r"""(?:src|href)\s*=\s*["']([^"']*)""", text)
    assert references == ["#sample-1", "#sample-2"]
    assert "url(" not in text


def test_html_escapes_user_text() -> None:
    text = html.render(make_report())
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    assert "mypy crashed \x00 &lt;b&gt;bold&lt;/b&gt;" in text
    assert "<b>bold</b>" not in text
    # A literal entity in a message is shown as written, not decoded.
    assert "&amp; &amp;lt;" in text


def test_html_shows_sections_rules_and_every_finding() -> None:
    text = html.render(make_report())
    assert 'style="width: 50.0%"' in text
    assert "<strong>BAS001</strong> Title of BAS001" in text
    assert text.count("<code>app/main.py:") == 8  # all 7 BAS001 findings, no cap; 1 unbound
    assert "<code>app/api.py:2:5</code>" in text
    assert '<span class="badge not_checked">not checked</span>' in text
    assert "Guidance for BAS001: use <code>bas001()</code>." in text
    assert "FAILED (score &lt; 80)" in text
    assert "Unbound findings, not scored (1)" in text


def test_html_inline_code_escapes_before_marking_up() -> None:
    assert (
        str(html.inline_code("use `<b>` & `x`"))
        == "use <code>&lt;b&gt;</code> &amp; <code>x</code>"
    )


# --- dispatch and integration -----------------------------------------------------------------


def test_every_format_has_a_renderer(pack: Pack) -> None:
    assert set(RENDERERS) == set(ReportFormat)
    report = make_report()
    for fmt in ReportFormat:
        assert render_text(report, fmt, pack).endswith("\n"), fmt
    assert EvalReport.model_validate_json(render_text(report, ReportFormat.JSON, pack)) == report


def test_reports_of_a_real_evaluation(tmp_path: Path) -> None:
    sample = tmp_path / "shop"
    (sample / "app").mkdir(parents=True)
    (sample / "app" / "main.py").write_text(
        "import os\n\nfrom fastapi import FastAPI\n\napp = FastAPI()\n\n\n"
        '@app.get("/items")\ndef items():\n    try:\n        return []\n'
        "    except Exception as exc:\n        return {'error': str(exc)}  # noqa\n",
        encoding="utf-8",
    )
    pack = load_pack(resolve_pack_dir(None))
    options = EvalOptions(use_mypy=False, cache_dir=tmp_path / "cache", fail_under=99.0)
    report = evaluate(pack, discover([sample]), options)
    result = report.samples[0]
    assert any(rule.status is RuleStatus.FAILED for rule in result.rules)
    log = validate_sarif(render_text(report, ReportFormat.SARIF, pack))
    run = runs_of(log)[0]
    assert run["results"], "the sample has findings"
    assert {r["ruleId"] for r in run["results"]} <= {
        r["id"] for r in run["tool"]["driver"]["rules"]
    }
    text = render_text(report, ReportFormat.TABLE, pack)
    assert "app/main.py:" in text
    assert "gate FAILED (score < 99)" in text
    suites = parse_xml(render_text(report, ReportFormat.JUNIT, pack)).findall("testsuite")
    assert int(suites[0].get("tests", "0")) == len(result.rules) + len(result.tool_errors)
    assert "## rulepack score:" in render_text(report, ReportFormat.MARKDOWN, pack)
    assert "shop" in render_text(report, ReportFormat.HTML, pack)


# --- files that did not parse --------------------------------------------------------------------


def unparsed_sample() -> SampleResult:
    base = sample_result()
    needs = "needs Python 3.14"
    counts = {"files_unparsed": 3, "unparsed_reasons": (needs,)}
    partly = [r.model_copy(update=counts) if r.rule_id == "BAS001" else r for r in base.rules]
    reason = f"3 files not parsed: {needs}"
    wholly = rule("WEB004", RuleStatus.NOT_CHECKED, section="web", reason=reason)
    rules = (*partly, wholly.model_copy(update=counts))
    unparsed = tuple(
        UnparsedFile(
            path=f"app/new{index}.py",
            line=4,
            reason=needs,
            message=f"{needs} (the project targets 3.11): except A, B: without parentheses",
        )
        for index in range(3)
    )
    return base.model_copy(update={"rules": rules, "unparsed": unparsed})


def test_table_names_unparsed_files_on_the_rule_line_and_lists_them() -> None:
    text = table.render_plain(make_report(unparsed_sample()), width=200)
    head = "BAS001 error Title of BAS001  50% of 2 files, weight 3"
    assert f"{head}, 3 files not parsed: needs Python 3.14" in text
    assert "not checked  files not parsed (needs Python 3.14) 1, review only 1" in text
    assert "not parsed   app/new0.py:4 needs Python 3.14 (the project targets 3.11)" in text
    assert text.count("except A, B: without parentheses") == 3


def test_markdown_names_unparsed_files_on_the_rule_line_and_lists_them() -> None:
    text = markdown.render(make_report(unparsed_sample()))
    assert "(error, 50% of 2 files; 3 files not parsed: needs Python 3.14)" in text
    assert "not parsed: 3" in text
    assert "<details><summary>Not parsed, so not checked (3)</summary>" in text
    assert "- `app/new2.py:4`: needs Python 3.14 (the project targets 3.11)" in text
    assert (
        "| WEB004 Title of WEB004 | not checked | 3 files not parsed: needs Python 3.14 |" in text
    )


def test_html_names_unparsed_files_on_the_rule_line_and_lists_them() -> None:
    text = html.render(make_report(unparsed_sample()))
    assert '<span class="unparsed">3 files not parsed: needs Python 3.14</span></summary>' in text
    assert "Not parsed, so not checked (3)" in text
    assert '<li class="unparsed"><code>app/new1.py:4</code> needs Python 3.14' in text


def test_sarif_and_junit_carry_unparsed_files_as_errors(pack: Pack) -> None:
    report = make_report(unparsed_sample(), fail_under=None)
    run = runs_of(validate_sarif(sarif.render(report, pack)))[0]
    notes = run["invocations"][0]["toolExecutionNotifications"]
    assert [n["descriptor"]["id"] for n in notes] == ["mypy", "ruff", "custom", "custom", "custom"]
    assert notes[2]["message"]["text"].startswith("custom: needs Python 3.14")
    suite = parse_xml(junit.render(report)).findall("testsuite")[0]
    errors = [case.find("error") for case in suite.findall("testcase")]
    messages = [error.get("message") for error in errors if error is not None]
    assert sum(1 for m in messages if m and m.startswith("needs Python 3.14")) == 3


def test_json_report_keeps_unparsed_files_and_per_rule_counts() -> None:
    document = json.loads(make_report(unparsed_sample()).model_dump_json())
    sample = document["samples"][0]
    assert sample["unparsed"][0] == {
        "path": "app/new0.py",
        "line": 4,
        "reason": "needs Python 3.14",
        "message": "needs Python 3.14 (the project targets 3.11): except A, B: without parentheses",
    }
    bas001 = next(r for r in sample["rules"] if r["rule_id"] == "BAS001")
    assert (bas001["files_unparsed"], bas001["unparsed_reasons"]) == (3, ["needs Python 3.14"])
    old = {key: value for key, value in sample.items() if key != "unparsed"}
    old["rules"] = [
        {k: v for k, v in r.items() if k not in {"files_unparsed", "unparsed_reasons"}}
        for r in sample["rules"]
    ]
    assert SampleResult.model_validate(old).unparsed == ()  # reports without the fields still load
