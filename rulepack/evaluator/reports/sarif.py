"""SARIF 2.1.0 for GitHub code scanning and other SARIF viewers.

Layout, chosen for GitHub code scanning:

* **One run per sample**, each with tool driver ``rulepack`` and ``automationDetails.id``
  ``rulepack/<pack>/<sample>/``. GitHub treats the id as the analysis category, so samples upload
  side by side, and it refuses several runs of one tool with the same category in one file. One
  run per tool (ruff, mypy, custom) would attach ruff's or mypy's own texts to alerts; rulepack's
  rules carry the guidance the assistants were given, which is what an alert should show. GitHub
  accepts at most 20 runs per file: upload a benchmark of more samples as JSON, not SARIF.
* **Rules are the pack's rules** evaluated on the sample, with title, guidance, rationale, review
  question, the checks that verify the rule and one bad/good example pair in ``help.markdown``.
* **Results are findings**: ``ruleId`` is the rulepack rule; the tool and its code (``ruff F401``)
  are in the message and in ``properties``.
* **Unbound findings are included** under rule ids ``<tool>/<code>`` (``mypy/attr-defined``) at
  level ``note`` and tagged ``unbound``: they are real tool output, but no rule binds them and they
  do not count toward the score, so they must not read as rule violations.
* Locations are relative to the sample root (``uriBaseId`` ``SRCROOT``, resolved in
  ``originalUriBaseIds``); for code scanning, evaluate from the repository root so these paths are
  repository paths.
* ``partialFingerprints.primaryLocationLineHash`` hashes the rule id, the path and the
  whitespace-normalised text of the finding's line (read from the sample root when the file is
  there; the line number otherwise), plus an occurrence counter, so an alert survives edits above
  it.
* Tool errors become ``invocations[0].toolExecutionNotifications``; the score, section scores,
  suppression counts and findings per 1,000 lines are in ``run.properties``.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from urllib.parse import quote

from rulepack.evaluator.finding import Finding, ToolError
from rulepack.evaluator.reports.summary import problems
from rulepack.evaluator.results import EvalReport, RuleResult, RuleStatus, SampleResult
from rulepack.rules.model import CustomBinding, MypyBinding, Pack, RuffBinding, Rule, Severity

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
SARIF_VERSION = "2.1.0"
SRCROOT = "SRCROOT"
LEVELS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}
UNBOUND_LEVEL = "note"
MAX_TAGS = 20  # GitHub keeps at most 20 tags per rule

JSONObject = dict[str, object]
_WHITESPACE = re.compile(r"\s+")


def render(report: EvalReport, pack: Pack) -> str:
    """The report as a SARIF 2.1.0 log (indented JSON with a trailing newline)."""
    log = {
        "$schema": SARIF_SCHEMA,
        "version": SARIF_VERSION,
        "runs": [_run(report, sample, pack) for sample in report.samples],
    }
    return json.dumps(log, indent=2, ensure_ascii=False) + "\n"


def _run(report: EvalReport, sample: SampleResult, pack: Pack) -> JSONObject:
    rules = [
        _rule_descriptor(result, _RuleDocs.of(pack, result.rule_id)) for result in sample.rules
    ]
    unbound = sorted({(f.tool.value, f.code) for f in sample.unbound})
    rules.extend(_unbound_descriptor(tool, code) for tool, code in unbound)
    index = {str(rule["id"]): position for position, rule in enumerate(rules)}
    lines = _SourceLines(Path(sample.root))
    occurrences: Counter[str] = Counter()
    results = [
        _result(finding, index, lines, occurrences)
        for finding in (*sample.findings, *sample.unbound)
    ]
    run: JSONObject = {
        "tool": {
            "driver": {
                "name": "rulepack",
                "version": report.rulepack_version,
                "semanticVersion": report.rulepack_version,
                "rules": rules,
                "properties": {"pack": report.pack, "packVersion": report.pack_version},
            }
        },
        "automationDetails": {"id": f"rulepack/{report.pack}/{sample.name}/"},
        "originalUriBaseIds": {SRCROOT: {"uri": _root_uri(sample.root)}},
        "invocations": [_invocation(problems(sample))],
        "columnKind": "unicodeCodePoints",
        "results": results,
        "properties": _run_properties(sample),
    }
    return run


@dataclass(frozen=True)
class _RuleDocs:
    """What the pack adds to a rule result: tags, review question, checks, examples."""

    tags: tuple[str, ...] = ()
    review: str | None = None
    checks: tuple[str, ...] = ()
    examples: tuple[str, ...] = ()

    @classmethod
    def of(cls, pack: Pack, rule_id: str) -> _RuleDocs:
        """The pack's documentation of ``rule_id``; empty when the pack has no such rule."""
        try:
            rule = pack.rule(rule_id)
        except KeyError:
            return cls()
        review = pack.render(rule, rule.review) if rule.review is not None else None
        return cls(rule.tags, review, tuple(_checks(rule)), tuple(_examples(rule)))


def _rule_descriptor(result: RuleResult, docs: _RuleDocs) -> JSONObject:
    tags = [*docs.tags, result.section]
    return {
        "id": result.rule_id,
        "name": _pascal_case(result.title),
        "shortDescription": {"text": result.title},
        "fullDescription": {"text": result.guidance},
        "help": {"text": _help_text(result, docs), "markdown": _help_markdown(result, docs)},
        "defaultConfiguration": {"level": LEVELS[result.severity]},
        "properties": {
            "tags": list(dict.fromkeys(tags))[:MAX_TAGS],
            "section": result.section,
            "weight": result.weight,
            "status": result.status.value,
        },
    }


def _pascal_case(title: str) -> str:
    words = re.findall(r"[A-Za-z0-9]+", title)
    return "".join(word[:1].upper() + word[1:] for word in words) or "Rule"


def _checks(rule: Rule) -> Iterator[str]:
    for binding in rule.checks:
        if isinstance(binding, RuffBinding):
            yield "ruff " + ", ".join(binding.ruff)
        elif isinstance(binding, MypyBinding):
            yield "mypy " + ", ".join(binding.mypy)
        elif isinstance(binding, CustomBinding):
            yield f"rulepack check {binding.custom}"


def _help_text(result: RuleResult, docs: _RuleDocs) -> str:
    parts = [result.guidance, f"Why: {result.rationale}"]
    if docs.review is not None:
        parts.append(f"Review: {docs.review}")
    if docs.checks:
        parts.append("Checked by: " + "; ".join(docs.checks))
    return "\n\n".join(parts)


def _help_markdown(result: RuleResult, docs: _RuleDocs) -> str:
    parts = [f"**{result.guidance}**", result.rationale]
    if docs.review is not None:
        parts.append(f"Review: {docs.review}")
    if docs.checks:
        parts.append("Checked by: " + "; ".join(f"`{check}`" for check in docs.checks))
    parts.extend(docs.examples)
    return "\n\n".join(parts)


def _examples(rule: Rule) -> Iterator[str]:
    """The rule's first bad and first good example as fenced Markdown."""
    for kind in ("bad", "good"):
        example = next((e for e in rule.examples if e.kind == kind), None)
        if example is not None:
            language = "python" if example.is_python else ""
            fence = "````" if "```" in example.code else "```"
            code = example.code.rstrip("\n")
            yield f"{kind.capitalize()} (`{example.path}`):\n\n{fence}{language}\n{code}\n{fence}"


def _unbound_descriptor(tool: str, code: str) -> JSONObject:
    text = f"{tool} {code}: a finding no rule of the pack binds; it does not count toward the score"
    return {
        "id": f"{tool}/{code}",
        "name": _pascal_case(f"{tool} {code}"),
        "shortDescription": {"text": f"{tool} {code} (not bound to a rule)"},
        "fullDescription": {"text": text},
        "help": {"text": text, "markdown": text},
        "defaultConfiguration": {"level": UNBOUND_LEVEL},
        "properties": {"tags": ["unbound", tool]},
    }


def _result(
    finding: Finding, index: Mapping[str, int], lines: _SourceLines, occurrences: Counter[str]
) -> JSONObject:
    rule_id = finding.rule_id or f"{finding.tool.value}/{finding.code}"
    key = _fingerprint_key(rule_id, finding, lines.text(finding.path, finding.line))
    occurrences[key] += 1
    digest = hashlib.sha256(key.encode("utf-8")).hexdigest()[:16]
    result: JSONObject = {
        "ruleId": rule_id,
        "level": LEVELS[finding.severity] if finding.rule_id else UNBOUND_LEVEL,
        "message": {"text": f"{finding.message} ({finding.source_label()})"},
        "locations": [{"physicalLocation": _physical_location(finding)}],
        "partialFingerprints": {"primaryLocationLineHash": f"{digest}:{occurrences[key]}"},
        "properties": {"tool": finding.tool.value, "code": finding.code},
    }
    if finding.sources:
        result["properties"] = {
            "tool": finding.tool.value,
            "code": finding.code,
            "sources": [source.model_dump(mode="json") for source in finding.sources],
        }
    if rule_id in index:
        result["ruleIndex"] = index[rule_id]
    return result


def _fingerprint_key(rule_id: str, finding: Finding, text: str | None) -> str:
    where = _WHITESPACE.sub(" ", text).strip() if text is not None else f"line {finding.line}"
    return "\0".join((rule_id, finding.path, where))


def _physical_location(finding: Finding) -> JSONObject:
    region: dict[str, int] = {"startLine": finding.line, "startColumn": finding.column}
    if (finding.end_line, finding.end_column) >= (finding.line, finding.column):
        region |= {"endLine": finding.end_line, "endColumn": finding.end_column}
    return {"artifactLocation": _artifact(finding.path), "region": region}


def _artifact(path: str) -> JSONObject:
    return {"uri": quote(path), "uriBaseId": SRCROOT}


def _root_uri(root: str) -> str:
    uri = Path(root).absolute().as_uri()
    return uri if uri.endswith("/") else uri + "/"


def _invocation(errors: tuple[ToolError, ...]) -> JSONObject:
    return {
        "executionSuccessful": not errors,
        "toolExecutionNotifications": [_notification(error) for error in errors],
    }


def _notification(error: ToolError) -> JSONObject:
    notification: JSONObject = {
        "level": "error",
        "message": {"text": f"{error.tool.value}: {error.message}"},
        "descriptor": {"id": error.tool.value},
    }
    if error.path is not None:
        location: JSONObject = {"artifactLocation": _artifact(error.path)}
        if error.line is not None and error.line >= 1:
            location["region"] = {"startLine": error.line}
        notification["locations"] = [{"physicalLocation": location}]
    return notification


def _run_properties(sample: SampleResult) -> JSONObject:
    statuses = Counter(rule.status.value for rule in sample.rules)
    return {
        "sample": sample.name,
        "score": sample.score,
        "sections": {section.section: section.score for section in sample.sections},
        "rules": {status.value: statuses[status.value] for status in RuleStatus},
        "files": sample.files,
        "lines": sample.lines,
        "findingsPerKloc": sample.findings_per_kloc,
        "unbound": len(sample.unbound),
        "suppressions": sample.suppressions.model_dump(),
    }


@dataclass
class _SourceLines:
    """Lines of the sample's files, read on demand (each file once) for fingerprints."""

    root: Path
    files: dict[str, list[str] | None] = field(default_factory=dict)

    def text(self, path: str, line: int) -> str | None:
        """Line ``line`` (1-based) of ``path``, or ``None`` if it cannot be read."""
        if path not in self.files:
            self.files[path] = self._read(path)
        lines = self.files[path]
        if lines is None or not 1 <= line <= len(lines):
            return None
        return lines[line - 1]

    def _read(self, path: str) -> list[str] | None:
        relative = PurePosixPath(path)
        if relative.is_absolute() or ".." in relative.parts:
            return None
        try:
            return (self.root / relative).read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError):
            return None
