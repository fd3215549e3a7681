"""Analyse one sample with the custom checks and mypy (runs in a worker process).

The result, :class:`SampleAnalysis`, holds raw outcomes only: findings of every tool, the files each
check applied to, the files not parsed (with why), tool errors and suppression counts. Scoring
happens later, so an analysis can be cached by content hash and re-scored for another selection
of rules.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from rulepack.evaluator.any_origin import AnyOrigins
from rulepack.evaluator.checks import CHECKS_BY_ID
from rulepack.evaluator.checks.base import CheckClass, Hit, Surroundings
from rulepack.evaluator.checks.parsing import ParseFailure
from rulepack.evaluator.checks.runner import CheckRun, run_checks
from rulepack.evaluator.finding import UNBOUND_SEVERITY, Finding, Tool, ToolError, finding_from
from rulepack.evaluator.results import UnparsedFile
from rulepack.evaluator.runners.mypy import MypyHit, MypyRun, run_mypy, unresolved_modules
from rulepack.evaluator.samples import Sample
from rulepack.evaluator.suppressions import Suppressions, count_suppressions
from rulepack.rules.model import ParamValue, Severity


class SampleAnalysis(BaseModel):
    """Raw outcomes of analysing one sample (cacheable)."""

    model_config = ConfigDict(frozen=True)

    findings: tuple[Finding, ...] = ()
    tool_errors: tuple[ToolError, ...] = ()
    applied: Mapping[str, tuple[str, ...]] = {}
    measured: Mapping[str, int] = {}  # metric checks: items measured per check id
    parse_failures: tuple[UnparsedFile, ...] = ()  # one per file, not checked by any rule
    suppressions: Suppressions = Suppressions()
    timings: Mapping[str, float] = {}
    mypy_ran: bool = False
    ruff_ran: bool = False
    unresolved_imports: tuple[str, ...] = ()  # modules mypy could not find (findings advisory)


@dataclass(frozen=True)
class AnalysisJob:
    """Everything a worker needs to analyse one sample (picklable)."""

    sample: Sample
    check_rules: Mapping[str, str]  # check id -> rule id (implemented checks only)
    mypy_rules: Mapping[str, str]  # mypy error code -> rule id
    severities: Mapping[str, Severity]  # rule id -> severity
    params: Mapping[str, Mapping[str, ParamValue]]
    mypy_config: Path | None  # None: --no-mypy
    cache_root: Path
    slots: int
    python_executable: str | None
    timeout: float


def analyse(job: AnalysisJob) -> SampleAnalysis:
    """Run the custom checks, then mypy on the files that parse."""
    sample = job.sample
    errors: list[ToolError] = []
    started = time.perf_counter()
    checks = [CHECKS_BY_ID[check_id] for check_id in job.check_rules]
    run = _run_custom(sample, checks, job)
    custom_seconds = time.perf_counter() - started
    context = {source.path for source in sample.context_sources}
    findings = [
        _custom_finding(hit, check_id, job)
        for check_id, hits in run.hits.items()
        for hit in hits
        if hit.path not in context  # project checks see the whole project, report in scope
    ]
    unparsed = _unparsed(sample, [f for f in run.failures if f.path not in context])
    failed = {file.path for file in unparsed}
    timings = {"custom": custom_seconds}
    mypy = _mypy(job, {p: t for p, t in sample.readable().items() if p not in failed})
    if mypy.error is not None:
        errors.append(mypy.error)
    findings.extend(mypy.findings)
    if mypy.seconds is not None:
        timings["mypy"] = mypy.seconds
    return SampleAnalysis(
        findings=tuple(findings),
        tool_errors=tuple(errors),
        applied={check_id: tuple(sorted(paths)) for check_id, paths in run.applied.items()},
        measured=dict(run.measured),
        parse_failures=unparsed,
        suppressions=count_suppressions(sample.readable().values()),
        timings=timings,
        mypy_ran=mypy.ran,
        unresolved_imports=mypy.unresolved,
    )


def _unparsed(sample: Sample, failures: Sequence[ParseFailure]) -> tuple[UnparsedFile, ...]:
    """The sample's files that no rule can check: unreadable, or not parsed; one entry each."""
    unreadable = [
        UnparsedFile(path=s.path, reason="cannot read", message=s.problem)
        for s in sample.sources
        if s.problem is not None
    ]
    first = {f.path: f for f in reversed(failures)}  # the first failure of a file
    not_parsed = [
        UnparsedFile(path=f.path, line=f.line, reason=f.reason, message=f.message)
        for f in first.values()
    ]
    return tuple(sorted([*unreadable, *not_parsed], key=lambda file: file.path))


def _run_custom(sample: Sample, checks: list[CheckClass], job: AnalysisJob) -> CheckRun:
    """The custom checks over the sample, with the rest of its project as context.

    In a src layout the checks see ``src/api/main.py`` as ``api/main.py``, so that module names
    match the imports (``api.main``); hits are mapped back to the paths below the root.
    """
    prefix = sample.import_prefix
    moved = {
        path.removeprefix(prefix): path
        for path in (*sample.readable(), *sample.context_readable())
        if prefix and path.startswith(prefix)
    }
    renamed = {original: short for short, original in moved.items()}
    scoped = {renamed.get(path, path): text for path, text in sample.readable().items()}
    context = {renamed.get(path, path): text for path, text in sample.context_readable().items()}
    around = Surroundings(
        scope=frozenset(scoped) if sample.context_sources else None,
        files=sample.context_files,
        texts=sample.context_texts,
    )
    sources = {**context, **scoped}
    run = run_checks(
        sources, checks, job.params, sample.other_files, sample.texts, around, python=sample.python
    )
    return _restore_paths(run, moved) if moved else run


def _restore_paths(run: CheckRun, moved: Mapping[str, str]) -> CheckRun:
    """``run`` with the paths the checks saw (``api/main.py``) back below the root."""
    run.hits = {
        check_id: [dataclasses.replace(hit, path=moved.get(hit.path, hit.path)) for hit in hits]
        for check_id, hits in run.hits.items()
    }
    run.applied = {
        check_id: {moved.get(path, path) for path in paths}
        for check_id, paths in run.applied.items()
    }
    run.failures = [
        dataclasses.replace(failure, path=moved.get(failure.path, failure.path))
        for failure in run.failures
    ]
    return run


def _custom_finding(hit: Hit, check_id: str, job: AnalysisJob) -> Finding:
    rule_id = job.check_rules[check_id]
    return Finding(
        rule_id=rule_id,
        tool=Tool.CUSTOM,
        code=check_id,
        path=hit.path,
        line=hit.span.line,
        column=hit.span.column,
        end_line=hit.span.end_line,
        end_column=hit.span.end_column,
        severity=Severity.INFO if hit.advisory else job.severities[rule_id],
        message=hit.message,
        advisory=hit.advisory,
    )


@dataclass(frozen=True)
class _MypyOutcome:
    """What mypy contributed to a sample's analysis (nothing with --no-mypy)."""

    findings: tuple[Finding, ...] = ()
    error: ToolError | None = None
    ran: bool = False
    unresolved: tuple[str, ...] = ()
    seconds: float | None = None


def _mypy(job: AnalysisJob, sources: Mapping[str, str]) -> _MypyOutcome:
    """Run mypy on the files that parse and tie its hits to rules (skipped with --no-mypy)."""
    if job.mypy_config is None:
        return _MypyOutcome()
    started = time.perf_counter()
    with mypy_cache_slot(job.cache_root / "mypy", job.slots) as cache_dir:
        run = MypyRun(
            sources=sources,
            config=job.mypy_config,
            cache_dir=cache_dir,
            python_version=job.sample.python,
            python_executable=job.python_executable,
            timeout=job.timeout,
            import_prefix=job.sample.import_prefix,
            context=job.sample.context_readable(),
        )
        hits, error = run_mypy(run)
    unresolved = unresolved_modules(hits)
    origins = AnyOrigins.trace(sources, unresolved)
    return _MypyOutcome(
        findings=tuple(_mypy_finding(hit, job, origins) for hit in hits),
        error=error,
        ran=error is None,
        unresolved=unresolved,
        seconds=time.perf_counter() - started,
    )


def _mypy_finding(hit: MypyHit, job: AnalysisJob, origins: AnyOrigins) -> Finding:
    rule_id = job.mypy_rules.get(hit.code)
    severity = job.severities[rule_id] if rule_id is not None else UNBOUND_SEVERITY
    finding = finding_from(hit, Tool.MYPY, rule_id, severity)
    reason = origins.reason(hit)
    if reason is None:
        return finding
    message = f"{hit.message} ({reason}; shown, not scored)"
    return finding.model_copy(
        update={"advisory": True, "severity": Severity.INFO, "message": message}
    )


@contextlib.contextmanager
def mypy_cache_slot(base: Path, slots: int) -> Iterator[Path]:
    """Hold one of ``slots`` mypy cache directories exclusively while mypy runs.

    Parallel workers must not write one cache directory; each takes the first free slot (a file
    lock), so a slot's cache stays warm across samples and across runs.
    """
    base.mkdir(parents=True, exist_ok=True)
    try:
        import fcntl  # noqa: PLC0415 - POSIX only
    except ImportError:  # pragma: no cover - Windows: one cache per process
        directory = base / f"pid-{os.getpid()}"
        directory.mkdir(exist_ok=True)
        yield directory
        return
    while True:
        for index in range(max(1, slots)):
            lock_path = base / f"slot-{index}.lock"
            with lock_path.open("a") as handle:
                try:
                    fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    continue
                directory = base / f"slot-{index}"
                directory.mkdir(exist_ok=True)
                try:
                    yield directory
                finally:
                    fcntl.flock(handle, fcntl.LOCK_UN)
                return
        time.sleep(0.05)
