"""JUnit XML: one test suite per sample, one test case per rule on it.

A rule that passed is a passing test case; a failed rule fails with its findings as the failure
text; a rule that was not checked or does not apply is skipped, with the reason as the message.
CI dashboards then show compliance per rule, not only the violations (catalogue section 8). Each
tool error is one test case with an ``<error>``. With ``--fail-under`` set, a last suite ``gate``
holds one test case that fails when the overall score is below it.

The XML is built with :mod:`xml.etree.ElementTree`, which escapes text and attributes; characters
XML 1.0 cannot hold at all (control characters in tool output) are dropped first.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Sequence

from rulepack.evaluator.finding import Finding, ToolError
from rulepack.evaluator.reports.summary import (
    counted,
    error_location,
    findings_by_rule,
    gate_text,
    location,
    percent_text,
    problems,
    score_text,
)
from rulepack.evaluator.results import EvalReport, RuleResult, RuleStatus, SampleResult

MAX_FAILURE_FINDINGS = 100  # findings written into one <failure>; the rest are counted

# Characters XML 1.0 cannot represent, even escaped.
_NOT_XML = re.compile("[^\u0009\u000a\u000d\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def xml_text(text: str) -> str:
    """``text`` without the characters XML 1.0 forbids."""
    return _NOT_XML.sub("", text)


def render(report: EvalReport) -> str:
    """The report as a JUnit XML document with an XML declaration and a trailing newline."""
    suites = [_suite(sample) for sample in report.samples]
    if report.fail_under is not None:
        suites.append(_gate_suite(report, report.fail_under))
    root = ET.Element("testsuites", name=xml_text(f"rulepack {report.pack} {report.pack_version}"))
    _set_counts(root, suites)
    root.extend(suites)
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"


def _set_counts(element: ET.Element, children: Sequence[ET.Element]) -> None:
    for name in ("tests", "failures", "errors", "skipped"):
        element.set(name, str(sum(int(child.get(name, "0")) for child in children)))


def _suite(sample: SampleResult) -> ET.Element:
    suite = ET.Element("testsuite", name=xml_text(sample.name))
    properties = ET.SubElement(suite, "properties")
    for name, value in _properties(sample):
        ET.SubElement(properties, "property", name=name, value=xml_text(value))
    by_rule = findings_by_rule(sample)
    cases = [_rule_case(sample, rule, by_rule.get(rule.rule_id, [])) for rule in sample.rules]
    cases.extend(_tool_error_case(sample, error) for error in problems(sample))
    suite.set("tests", str(len(cases)))
    suite.set("failures", str(sum(1 for case in cases if case.find("failure") is not None)))
    suite.set("errors", str(sum(1 for case in cases if case.find("error") is not None)))
    suite.set("skipped", str(sum(1 for case in cases if case.find("skipped") is not None)))
    suite.extend(cases)
    return suite


def _properties(sample: SampleResult) -> list[tuple[str, str]]:
    suppressions = sample.suppressions.model_dump()
    return [
        ("score", score_text(sample.score)),
        ("root", sample.root),
        ("files", str(sample.files)),
        ("lines", str(sample.lines)),
        ("findings", str(len(sample.findings))),
        ("findings_per_kloc", f"{sample.findings_per_kloc:g}"),
        ("unbound_findings", str(len(sample.unbound))),
        *((f"suppressions.{kind}", str(count)) for kind, count in suppressions.items()),
        *((f"section.{s.section}", score_text(s.score)) for s in sample.sections),
    ]


def _rule_case(sample: SampleResult, rule: RuleResult, findings: list[Finding]) -> ET.Element:
    case = ET.Element(
        "testcase",
        name=xml_text(f"{rule.rule_id} {rule.title}"),
        classname=xml_text(f"{sample.name}.{rule.section}"),
    )
    if rule.status is RuleStatus.FAILED:
        failure = ET.SubElement(
            case,
            "failure",
            message=xml_text(
                f"{counted(rule.findings, 'finding')}; {rule.files_failed} of "
                f"{counted(rule.files_applicable, 'file')} failed "
                f"(compliance {percent_text(rule.compliance)})"
            ),
            type=rule.severity.value,
        )
        failure.text = xml_text(_failure_text(rule, findings))
    elif rule.status in {RuleStatus.NOT_CHECKED, RuleStatus.NOT_APPLICABLE}:
        reason = rule.reason or rule.status.value.replace("_", " ")
        ET.SubElement(case, "skipped", message=xml_text(reason))
    return case


def _failure_line(finding: Finding) -> str:
    also = finding.also_label()
    return f"{location(finding)}: {finding.code} {finding.message}" + (
        f" (also {also})" if also else ""
    )


def _failure_text(rule: RuleResult, findings: list[Finding]) -> str:
    lines = [_failure_line(f) for f in findings[:MAX_FAILURE_FINDINGS]]
    hidden = len(findings) - MAX_FAILURE_FINDINGS
    if hidden > 0:
        lines.append(f"... and {hidden} more")
    lines.extend(("", f"Guidance: {rule.guidance}"))
    return "\n".join(lines)


def _tool_error_case(sample: SampleResult, error: ToolError) -> ET.Element:
    where = error_location(error)
    case = ET.Element(
        "testcase",
        name=xml_text(f"{error.tool.value} ran" + (f" on {where}" if where else "")),
        classname=xml_text(f"{sample.name}.tool-errors"),
    )
    element = ET.SubElement(case, "error", message=xml_text(error.message), type=error.tool.value)
    element.text = xml_text(f"{where}: {error.message}" if where else error.message)
    return case


def _gate_suite(report: EvalReport, fail_under: float) -> ET.Element:
    suite = ET.Element("testsuite", name="gate", tests="1", errors="0", skipped="0")
    suite.set("failures", "0" if report.passed else "1")
    case = ET.SubElement(
        suite,
        "testcase",
        name=f"score {score_text(report.score)} >= fail-under {fail_under:g}",
        classname="rulepack.gate",
    )
    if not report.passed:
        ET.SubElement(case, "failure", message=gate_text(report), type="gate")
    return suite
