"""Evaluate samples against a pack: cache lookups, one ruff run, parallel workers, scoring.

Evaluated code is only ever read: ruff and mypy run as separate processes with rulepack's own
configuration, and custom checks parse it with libcst. A tool that fails or times out on a sample
is recorded on that sample and the run goes on.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from rulepack import __version__
from rulepack.evaluator.analysis import AnalysisJob, SampleAnalysis, analyse
from rulepack.evaluator.bindings import (
    Bindings,
    bindings_for,
    mypy_config,
    ruff_config,
    select_rules,
)
from rulepack.evaluator.cache import ResultCache, cache_key, default_cache_dir
from rulepack.evaluator.checks import CHECKS_BY_ID
from rulepack.evaluator.environment import mypy_environment
from rulepack.evaluator.finding import UNBOUND_SEVERITY, Tool, ToolError, finding_from
from rulepack.evaluator.pyversion import PythonVersion
from rulepack.evaluator.results import EvalReport
from rulepack.evaluator.runners.ruff import RuffHit, run_ruff
from rulepack.evaluator.samples import Sample
from rulepack.evaluator.scoring import ScoringContext, project_check_ids, score_sample
from rulepack.evaluator.tool_settings import RuffSettings, sample_tool_settings
from rulepack.rules.model import Pack
from rulepack.rules.tool_codes import RuffCatalogue

ANALYSIS_FORMAT = "analysis-4"  # bump when SampleAnalysis changes shape or meaning


@dataclass(frozen=True)
class EvalOptions:
    """How to evaluate."""

    select: Sequence[str] = ()
    ignore: Sequence[str] = ()
    use_mypy: bool = True
    jobs: int = 1
    python_executable: str | None = None
    cache_dir: Path | None = field(default=None)
    use_cache: bool = True
    fail_under: float | None = None
    timeout: float = 300.0


def _fingerprint(pack: Pack, bindings: Bindings, options: EvalOptions, ruff: RuffCatalogue) -> str:
    rules = [rule.model_dump_json() for rule in bindings.rules]
    return cache_key(
        ANALYSIS_FORMAT, __version__, pack.id, pack.version, *rules, ruff.version,
        str(options.use_mypy), options.python_executable or "", _mypy_version(),
    )  # fmt: skip


def _mypy_version() -> str:
    """The mypy version and bundled libraries it type-checks against (a part of cache keys)."""
    return mypy_environment(None).model_dump_json()


def evaluate(pack: Pack, samples: Sequence[Sample], options: EvalOptions) -> EvalReport:
    """Evaluate every sample and build the report."""
    started = time.perf_counter()
    rules = select_rules(pack, options.select, options.ignore)
    bindings = bindings_for(pack, rules)
    catalogue = RuffCatalogue.installed()
    implemented = {cid: rule for cid, rule in bindings.custom.items() if cid in CHECKS_BY_ID}
    cache_root = options.cache_dir or default_cache_dir()
    cache = ResultCache(cache_root)
    fingerprint = _fingerprint(pack, bindings, options, catalogue)
    keys = {sample.name: cache_key(fingerprint, sample.digest()) for sample in samples}
    cached = {
        sample.name: hit
        for sample in samples
        if options.use_cache and (hit := cache.get(keys[sample.name])) is not None
    }
    todo = [sample for sample in samples if sample.name not in cached]
    timings: dict[str, float] = {}
    with tempfile.TemporaryDirectory(prefix="rulepack-eval-") as scratch:
        configs = Path(scratch)
        mypy_ini = configs / "mypy.ini" if options.use_mypy else None
        if mypy_ini is not None:
            mypy_ini.write_text(mypy_config(bindings, _codes_off_by_default()))
        ruff_started = time.perf_counter()
        ruff_found, ruff_errors = ruff_hits(todo, bindings, catalogue, configs, options.timeout)
        timings["ruff"] = time.perf_counter() - ruff_started
        jobs = [
            AnalysisJob(
                sample=sample,
                check_rules=implemented,
                mypy_rules=bindings.mypy,
                severities={rule.id: rule.severity for rule in rules},
                params=bindings.params,
                mypy_config=mypy_ini,
                cache_root=cache_root,
                slots=max(1, options.jobs),
                python_executable=options.python_executable,
                timeout=options.timeout,
            )
            for sample in todo
        ]
        analysis_started = time.perf_counter()
        analysed = _run_jobs(jobs, options.jobs)
        timings["analysis"] = time.perf_counter() - analysis_started
    fresh: dict[str, SampleAnalysis] = {}
    for sample, result in zip(todo, analysed, strict=True):
        merged = _with_ruff(result, sample.name, ruff_found, ruff_errors, bindings)
        fresh[sample.name] = merged
        if options.use_cache:
            cache.put(keys[sample.name], merged)
    context = ScoringContext(
        pack=pack,
        bindings=bindings,
        implemented=frozenset(implemented),
        project_checks=project_check_ids(CHECKS_BY_ID),
        use_mypy=options.use_mypy,
    )
    results = tuple(
        score_sample(
            sample,
            cached.get(sample.name) or fresh[sample.name],
            context,
            cached=sample.name in cached,
        )
        for sample in samples
    )
    scores = [result.score for result in results if result.score is not None]
    overall = round(statistics.fmean(scores), 2) if scores else None
    timings["total"] = time.perf_counter() - started
    gate = options.fail_under
    return EvalReport(
        rulepack_version=__version__,
        pack=pack.id,
        pack_version=pack.version,
        score=overall,
        fail_under=gate,
        passed=gate is None or (overall is not None and overall >= gate),
        samples=results,
        timings={name: round(value, 3) for name, value in timings.items()},
        environment=mypy_environment(options.python_executable) if options.use_mypy else None,
    )


def _codes_off_by_default() -> list[str]:
    from mypy.errorcodes import error_codes  # noqa: PLC0415 - only when evaluating

    return [code for code, info in error_codes.items() if not info.default_enabled]


def ruff_hits(
    samples: Sequence[Sample],
    bindings: Bindings,
    catalogue: RuffCatalogue,
    scratch: Path,
    timeout: float,
) -> tuple[list[RuffHit], dict[str, ToolError]]:
    """Run ruff once per distinct configuration (usually once for all samples).

    Samples that share a target Python version and project settings share one run.
    """
    hits: list[RuffHit] = []
    errors: dict[str, ToolError] = {}
    for number, (key, group) in enumerate(ruff_groups(samples).items()):
        config = scratch / f"ruff-{number}.toml"
        roots = [path for sample in group for path in sample.import_roots]
        config.write_text(ruff_config(bindings, catalogue, roots, *key))
        files = {
            sample.name: [
                (sample.root / source.path, source.path)
                for source in sample.sources
                if source.text is not None
            ]
            for sample in group
        }
        found, failed = run_ruff(files, config, timeout)
        hits.extend(found)
        errors.update(failed)
    return hits, errors


def ruff_groups(
    samples: Sequence[Sample],
) -> dict[tuple[PythonVersion, RuffSettings], list[Sample]]:
    """``samples`` grouped by the ruff configuration they need: target version and settings."""
    groups: dict[tuple[PythonVersion, RuffSettings], list[Sample]] = {}
    for sample in samples:
        key = (sample.python, sample_tool_settings(sample.texts, sample.context_texts))
        groups.setdefault(key, []).append(sample)
    return groups


def _run_jobs(jobs: Sequence[AnalysisJob], workers: int) -> list[SampleAnalysis]:
    if workers <= 1 or len(jobs) <= 1:
        return [analyse(job) for job in jobs]
    with ProcessPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(analyse, jobs))


def _with_ruff(
    analysis: SampleAnalysis,
    sample: str,
    hits: Sequence[RuffHit],
    errors: dict[str, ToolError],
    bindings: Bindings,
) -> SampleAnalysis:
    severities = {rule.id: rule.severity for rule in bindings.rules}
    findings = []
    for hit in hits:
        if hit.sample == sample:
            rule_id = bindings.ruff.get(hit.code)
            severity = severities[rule_id] if rule_id is not None else UNBOUND_SEVERITY
            findings.append(finding_from(hit, Tool.RUFF, rule_id, severity))
    error = errors.get(sample)
    return analysis.model_copy(
        update={
            "findings": (*analysis.findings, *findings),
            "tool_errors": (*analysis.tool_errors, *([error] if error else [])),
            "ruff_ran": error is None,
        }
    )
