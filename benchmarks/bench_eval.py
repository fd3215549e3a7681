"""Time ``rulepack eval`` against ruff alone and mypy alone on one corpus of samples.

Measured in one run, on the same corpus (a directory whose subdirectories are samples, as written
by ``generate_corpus.py``):

- **ruff**: ``ruff check --isolated --select ALL --output-format json`` over the whole corpus, one
  process, no cache (best of ``--ruff-repeats`` runs, since one run takes a fraction of a second);
- **mypy**: plain ``mypy`` once per sample, sequentially, with an empty ``--config-file=``, the
  ``--python-executable`` given and one ``--cache-dir`` shared by all samples (so third-party
  packages are analysed once);
- **rulepack cold**: ``rulepack eval --samples CORPUS --format json --output FILE --jobs N`` with
  ``RULEPACK_CACHE_DIR`` set to an empty directory;
- **rulepack warm**: the same command again, with the cache the cold run left.

If the cold run's JSON report has custom-check timings (a ``timings`` object with the key
``custom``, ``custom_checks`` or ``checks``, at the top or per sample, next to the sample's
``lines``), the custom-check time per 1,000 lines is reported too.

The script prints a table with wall times and the ratios rulepack/ruff and rulepack/mypy, and
writes ``benchmarks/results/<date>.json``. Usage::

    python benchmarks/bench_eval.py CORPUS [--jobs N] [--parts ruff,mypy,rulepack]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path

PARTS = ("ruff", "mypy", "rulepack")
DEFAULT_RESULTS = Path(__file__).resolve().parent / "results"
RULEPACK_TIMEOUT = 3600.0
MYPY_TIMEOUT = 600.0
RUFF_TIMEOUT = 600.0
CUSTOM_TIMING_KEYS = ("custom", "custom_checks", "checks")
ACCEPTED_EVAL_CODES = frozenset({0, 1})  # 1 = score below --fail-under, still a finished run
USAGE_ERROR = 2


class BenchError(Exception):
    """A tool is missing or failed in a way that makes the measurement meaningless."""


@dataclass(frozen=True)
class CorpusStats:
    """Size of the corpus."""

    samples: int
    files: int
    python_files: int
    python_lines: int


@dataclass(frozen=True)
class Measurement:
    """One timed part of the benchmark."""

    name: str
    seconds: float
    findings: int
    tool_errors: int
    note: str = ""


@dataclass(frozen=True)
class BenchResult:
    """Everything one benchmark run measured."""

    stats: CorpusStats
    measurements: Mapping[str, Measurement]
    custom_seconds_per_kloc: float | None
    rulepack_timings: object


@dataclass(frozen=True)
class Settings:
    """The command-line options, resolved."""

    corpus: Path
    parts: tuple[str, ...]
    jobs: int
    python_executable: str
    rulepack: tuple[str, ...]
    results_dir: Path
    ruff_repeats: int


# --- corpus and tools ---------------------------------------------------------------------------


def corpus_stats(corpus: Path) -> CorpusStats:
    """Count the samples, files and Python lines of a corpus.

    Raises:
        BenchError: The corpus has no sample directories.
    """
    samples = sample_dirs(corpus)
    if not samples:
        raise BenchError(f"{corpus}: no sample directories (run benchmarks/generate_corpus.py)")
    files = [path for sample in samples for path in sample.rglob("*") if path.is_file()]
    python = [path for path in files if path.suffix == ".py"]
    lines = sum(
        len(path.read_text(encoding="utf-8", errors="replace").splitlines()) for path in python
    )
    return CorpusStats(len(samples), len(files), len(python), lines)


def sample_dirs(corpus: Path) -> list[Path]:
    """Return the sample directories of a corpus, sorted."""
    return sorted(
        path for path in corpus.iterdir() if path.is_dir() and not path.name.startswith(".")
    )


def find_tool(name: str, python_executable: str) -> str:
    """Locate a console script next to the Python interpreter, else on ``PATH``.

    Raises:
        BenchError: The tool is not installed.
    """
    beside = Path(python_executable).parent / name
    if beside.is_file():
        return str(beside)
    found = shutil.which(name)
    if found is None:
        raise BenchError(f"{name} not found next to {python_executable} or on PATH")
    return found


def tool_version(executable: str) -> str:
    """Return the first line of ``<tool> --version``."""
    completed = subprocess.run(
        [executable, "--version"], capture_output=True, text=True, check=False
    )
    return (
        (completed.stdout or completed.stderr).strip().splitlines()[0]
        if completed.stdout or completed.stderr
        else "?"
    )


def run_timed(
    argv: Sequence[str],
    *,
    timeout: float,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
) -> tuple[float, subprocess.CompletedProcess[str]]:
    """Run a command and return its wall time and result.

    Raises:
        BenchError: The command timed out.
    """
    start = time.perf_counter()
    try:
        completed = subprocess.run(
            list(argv),
            capture_output=True,
            text=True,
            check=False,
            timeout=timeout,
            env=env,
            cwd=cwd,
        )
    except subprocess.TimeoutExpired as exc:
        raise BenchError(f"timed out after {timeout:.0f} s: {shlex.join(argv)}") from exc
    return time.perf_counter() - start, completed


# --- the parts ----------------------------------------------------------------------------------


def bench_ruff(settings: Settings) -> Measurement:
    """Time ``ruff check --select ALL`` over the whole corpus (best of the repeats).

    Raises:
        BenchError: ruff failed or printed no JSON.
    """
    ruff = find_tool("ruff", settings.python_executable)
    argv = [ruff, "check", "--isolated", "--select", "ALL", "--output-format", "json"]
    argv += ["--no-cache", "--exit-zero", str(settings.corpus)]
    runs = [run_timed(argv, timeout=RUFF_TIMEOUT) for _ in range(settings.ruff_repeats)]
    seconds, completed = min(runs, key=lambda run: run[0])
    if completed.returncode != 0:
        raise BenchError(f"ruff exited {completed.returncode}: {tail(completed.stderr)}")
    try:
        findings = len(json.loads(completed.stdout))
    except json.JSONDecodeError as exc:
        raise BenchError(f"ruff printed no JSON: {tail(completed.stdout)}") from exc
    note = f"best of {settings.ruff_repeats}"
    return Measurement("ruff", seconds, findings, 0, note)


def bench_mypy(settings: Settings, work: Path) -> Measurement:
    """Time plain mypy run once per sample, sequentially, with one shared cache directory."""
    mypy = find_tool("mypy", settings.python_executable)
    cache = work / "mypy-cache"
    total, errors, crashed = 0.0, 0, 0
    for sample in sample_dirs(settings.corpus):
        argv = [mypy, "--config-file=", "--python-executable", settings.python_executable]
        argv += ["--cache-dir", str(cache), "--output", "json", str(sample)]
        seconds, completed = run_timed(argv, timeout=MYPY_TIMEOUT, cwd=work)
        total += seconds
        errors += count_mypy_errors(completed.stdout)
        crashed += completed.returncode not in {0, 1}
    return Measurement("mypy", total, errors, crashed, "once per sample, shared cache")


def count_mypy_errors(output: str) -> int:
    """Count the error diagnostics in mypy's JSON-lines output; other lines are ignored."""
    count = 0
    for line in output.splitlines():
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            continue
        count += isinstance(record, dict) and record.get("severity") == "error"
    return count


def check_rulepack_eval(command: Sequence[str]) -> None:
    """Fail early, with a clear message, when ``rulepack eval`` does not exist yet.

    Raises:
        BenchError: ``rulepack eval --help`` does not succeed.
    """
    try:
        _, completed = run_timed([*command, "eval", "--help"], timeout=120.0)
    except OSError as exc:
        raise BenchError(f"cannot run {shlex.join(command)}: {exc}") from exc
    if completed.returncode != 0:
        raise BenchError(
            f"`{shlex.join(command)} eval` is not available (exit {completed.returncode}: "
            f"{tail(completed.stderr or completed.stdout)}). Install a rulepack with the eval "
            "command, or time the baselines alone with --parts ruff,mypy."
        )


def bench_rulepack(
    settings: Settings, cache: Path, report: Path, name: str
) -> tuple[Measurement, dict[str, object]]:
    """Time one ``rulepack eval`` run over the corpus with the given cache directory.

    Returns:
        The measurement and the parsed JSON report.

    Raises:
        BenchError: The run failed or wrote no JSON report.
    """
    argv = [*settings.rulepack, "eval", "--samples", str(settings.corpus), "--format", "json"]
    argv += ["--output", str(report), "--jobs", str(settings.jobs)]
    argv += ["--python-executable", settings.python_executable]
    env = {**os.environ, "RULEPACK_CACHE_DIR": str(cache)}
    seconds, completed = run_timed(argv, timeout=RULEPACK_TIMEOUT, env=env)
    if completed.returncode not in ACCEPTED_EVAL_CODES:
        raise BenchError(
            f"{name}: rulepack eval exited {completed.returncode}: {tail(completed.stderr)}"
        )
    try:
        data = json.loads(report.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise BenchError(f"{name}: no readable JSON report at {report}: {exc}") from exc
    if not isinstance(data, dict):
        raise BenchError(f"{name}: the JSON report is not an object")
    samples = [sample for sample in as_list(data.get("samples")) if isinstance(sample, dict)]
    findings = sum(len(as_list(sample.get("findings"))) for sample in samples)
    errors = sum(len(as_list(sample.get("tool_errors"))) for sample in samples)
    cached = sum(sample.get("cached") is True for sample in samples)
    note = f"--jobs {settings.jobs}, score {data.get('score')}, {cached}/{len(samples)} cached"
    return Measurement(name, seconds, findings, errors, note), data


def as_list(value: object) -> list[object]:
    """Return ``value`` if it is a list, else an empty list."""
    return value if isinstance(value, list) else []


def custom_check_time(report: Mapping[str, object]) -> tuple[float, int | None] | None:
    """Read the custom checks' seconds, and the lines they covered, from a JSON report.

    The report-level ``timings`` is read first; otherwise the per-sample ``timings`` are summed
    with the samples' ``lines``. A key is ``custom``, ``custom_checks`` or ``checks``, holding
    seconds or an object with ``seconds``.

    Returns:
        The seconds and the line count (None when the report has no line counts), or None when
        the report has no custom-check timings.

    Examples:
        >>> custom_check_time({"timings": {"custom": 1.5}})
        (1.5, None)
        >>> custom_check_time({"samples": [{"lines": 500, "timings": {"custom": 0.2}},
        ...                                {"lines": 700, "timings": {"custom": 0.4}}]})
        (0.6000000000000001, 1200)
        >>> custom_check_time({"timings": {"ruff": 0.1}}) is None
        True
    """
    samples = [sample for sample in as_list(report.get("samples")) if isinstance(sample, dict)]
    lines = [sample.get("lines") for sample in samples]
    line_total = sum(n for n in lines if isinstance(n, int)) if lines else None
    overall = _custom_seconds(report.get("timings"))
    if overall is not None:
        return overall, line_total
    per_sample = [_custom_seconds(sample.get("timings")) for sample in samples]
    if not per_sample or any(seconds is None for seconds in per_sample):
        return None
    return sum(seconds for seconds in per_sample if seconds is not None), line_total


def _custom_seconds(timings: object) -> float | None:
    if not isinstance(timings, dict):
        return None
    for key in CUSTOM_TIMING_KEYS:
        value = timings.get(key)
        if isinstance(value, dict):
            value = value.get("seconds")
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
    return None


# --- running and reporting ----------------------------------------------------------------------


def run_benchmark(settings: Settings) -> BenchResult:
    """Run the selected parts.

    Raises:
        BenchError: A tool is missing or failed.
    """
    stats = corpus_stats(settings.corpus)
    if "rulepack" in settings.parts:
        check_rulepack_eval(settings.rulepack)
    measurements: dict[str, Measurement] = {}
    per_kloc: float | None = None
    timings: object = None
    with tempfile.TemporaryDirectory(prefix="rulepack-bench-") as temp:
        work = Path(temp)
        if "ruff" in settings.parts:
            measurements["ruff"] = bench_ruff(settings)
        if "mypy" in settings.parts:
            measurements["mypy"] = bench_mypy(settings, work)
        if "rulepack" in settings.parts:
            cache = work / "rulepack-cache"
            cache.mkdir()
            cold, report = bench_rulepack(settings, cache, work / "cold.json", "rulepack cold")
            warm, _ = bench_rulepack(settings, cache, work / "warm.json", "rulepack warm")
            measurements.update({"rulepack_cold": cold, "rulepack_warm": warm})
            custom = custom_check_time(report)
            if custom is not None:
                seconds, lines = custom
                per_kloc = seconds / ((lines or stats.python_lines) / 1000)
            timings = report.get("timings")
    return BenchResult(stats, measurements, per_kloc, timings)


def ratios(measurements: Mapping[str, Measurement]) -> dict[str, float]:
    """Return rulepack's wall time divided by ruff's and by mypy's, where both were measured."""
    result: dict[str, float] = {}
    for run in ("rulepack_cold", "rulepack_warm"):
        for baseline in ("ruff", "mypy"):
            if (
                run in measurements
                and baseline in measurements
                and measurements[baseline].seconds > 0
            ):
                result[f"{run}/{baseline}"] = (
                    measurements[run].seconds / measurements[baseline].seconds
                )
    return result


def results_document(settings: Settings, result: BenchResult) -> dict[str, object]:
    """Assemble the JSON document written to ``benchmarks/results``."""
    tools = {
        name: tool_version(find_tool(name, settings.python_executable)) for name in ("ruff", "mypy")
    }
    return {
        "date": datetime.now(tz=timezone.utc).isoformat(timespec="seconds"),
        "corpus": str(settings.corpus),
        "corpus_stats": asdict(result.stats),
        "machine": {
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
        },
        "tools": tools,
        "jobs": settings.jobs,
        "parts": list(settings.parts),
        "measurements": {name: asdict(m) for name, m in result.measurements.items()},
        "ratios": ratios(result.measurements),
        "custom_check_seconds_per_kloc": result.custom_seconds_per_kloc,
        "rulepack_timings": result.rulepack_timings,
    }


def format_table(result: BenchResult) -> str:
    """Render the results as a small plain-text table."""
    stats = result.stats
    lines = [
        f"corpus: {stats.samples} samples, {stats.files} files, {stats.python_lines} Python lines",
        f"{'part':<15} {'wall s':>9} {'findings':>9} {'tool err':>9}  note",
    ]
    lines += [
        f"{m.name:<15} {m.seconds:>9.2f} {m.findings:>9} {m.tool_errors:>9}  {m.note}"
        for m in result.measurements.values()
    ]
    lines += [f"{name:<25} {value:>9.2f}x" for name, value in ratios(result.measurements).items()]
    if result.custom_seconds_per_kloc is not None:
        per_kloc_ms = result.custom_seconds_per_kloc * 1000
        lines.append(f"{'custom checks / 1k lines':<25} {per_kloc_ms:>9.1f} ms")
    return "\n".join(lines) + "\n"


def write_results(results: Mapping[str, object], results_dir: Path) -> Path:
    """Write the results to ``<results_dir>/<date>.json`` and return the path."""
    results_dir.mkdir(parents=True, exist_ok=True)
    target = results_dir / f"{datetime.now(tz=timezone.utc).date().isoformat()}.json"
    target.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    return target


def tail(text: str, limit: int = 400) -> str:
    """Return the last ``limit`` characters of some output, on one line."""
    return " ".join(text.strip().split())[-limit:]


def parse_args(argv: Sequence[str] | None) -> Settings:
    """Parse the command line into :class:`Settings`."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("corpus", type=Path, help="directory whose subdirectories are samples")
    parser.add_argument(
        "--jobs", type=int, default=os.cpu_count() or 1, help="rulepack eval --jobs"
    )
    parser.add_argument(
        "--parts", default=",".join(PARTS), help="comma-separated: ruff,mypy,rulepack"
    )
    parser.add_argument(
        "--python-executable", default=sys.executable, help="Python for mypy and rulepack"
    )
    parser.add_argument(
        "--rulepack",
        default=f"{shlex.quote(sys.executable)} -m rulepack",
        help="rulepack command line",
    )
    parser.add_argument(
        "--results-dir", type=Path, default=DEFAULT_RESULTS, help="where to write <date>.json"
    )
    parser.add_argument("--ruff-repeats", type=int, default=3, help="ruff runs; the fastest counts")
    args = parser.parse_args(argv)
    parts = tuple(part.strip() for part in args.parts.split(",") if part.strip())
    unknown = sorted(set(parts) - set(PARTS))
    if unknown or not parts:
        parser.error(
            f"--parts takes a comma-separated subset of {','.join(PARTS)}, got {args.parts!r}"
        )
    if not args.corpus.is_dir():
        parser.error(f"{args.corpus} is not a directory")
    return Settings(
        corpus=args.corpus.resolve(),
        parts=parts,
        jobs=max(args.jobs, 1),
        python_executable=args.python_executable,
        rulepack=tuple(shlex.split(args.rulepack)),
        results_dir=args.results_dir,
        ruff_repeats=max(args.ruff_repeats, 1),
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark and print the table.

    Returns:
        0 on success, 2 when a tool is missing or failed.
    """
    settings = parse_args(argv)
    try:
        result = run_benchmark(settings)
        document = results_document(settings, result)
    except BenchError as exc:
        sys.stderr.write(f"error: {exc}\n")
        return USAGE_ERROR
    sys.stdout.write(format_table(result))
    sys.stdout.write(f"results: {write_results(document, settings.results_dir)}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
