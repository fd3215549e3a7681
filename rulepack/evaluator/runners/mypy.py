"""Run mypy once per sample on a staged copy, never where the evaluated code lives.

Evaluated code is never imported or run, so mypy starts under these guarantees:

* **A neutral, empty working directory** and ``PYTHONSAFEPATH=1``: the interpreter puts neither
  the sample nor the working directory on ``sys.path``, so a sample's ``types.py``, ``json.py``,
  ``sitecustomize.py`` or ``pydantic/`` package is never imported at startup or as a plugin.
* **rulepack's config file only** (``--config-file``): no ``mypy.ini``/``pyproject.toml`` of the
  evaluated tree is read, so a plugin named there never runs (catalogue §6.2).
* **A staged copy** of the sample's Python files beside the mypy cache, in which suppression
  comments (``# type: ignore``, ``# mypy: ...``) are blanked without moving a line or column. The
  staged root is the only ``MYPYPATH`` entry, so module names follow the sample's layout, and
  paths in mypy's output are mapped back to the sample's relative paths.
* **An explicit interpreter** for site-packages: rulepack's own unless the user names one with
  ``--python-executable``; never one found in the sample (a ``.venv/bin/python``).
* **The sample's Python version** (``--python-version``).

A mypy that exits without its JSON output, with exit status 2, with an internal error or a startup
traceback is a tool error, never "no errors found".
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from rulepack.evaluator.finding import Tool, ToolError
from rulepack.evaluator.pyversion import PythonVersion
from rulepack.evaluator.suppressions import neutralise_mypy_suppressions
from rulepack.exporters.install.fs import UnsafePathError, project_path

_CRASH_MARKERS = ("INTERNAL ERROR", "Traceback (most recent call last)")
_UNRESOLVED_IMPORT = frozenset({"import-not-found", "import-untyped", "import"})
_QUOTED = re.compile(r'"([^"]+)"')


@dataclass(frozen=True)
class MypyHit:
    """One mypy error in a sample."""

    path: str
    code: str
    message: str
    line: int
    column: int
    end_line: int
    end_column: int

    @property
    def unresolved_module(self) -> str | None:
        """The module an ``import-not-found``/``import-untyped`` error names, else ``None``."""
        if self.code not in _UNRESOLVED_IMPORT:
            return None
        match = _QUOTED.search(self.message)
        return match.group(1) if match else None


@dataclass(frozen=True)
class MypyRun:
    """One mypy process: the files to check, by relative path, and how to check them."""

    sources: Mapping[str, str]  # relative path -> text, as read from the sample
    config: Path
    cache_dir: Path
    python_version: PythonVersion
    python_executable: str | None  # only ever what the user named; None: rulepack's interpreter
    timeout: float
    import_prefix: str = ""  # "src/" in a src layout: where top-level modules are imported from
    context: Mapping[str, str] = field(default_factory=dict)  # the rest of the project: staged
    # so that imports resolve, never named on the command line, never reported


def run_mypy(run: MypyRun) -> tuple[list[MypyHit], ToolError | None]:
    """Type-check a staged copy of ``run.sources`` in one mypy process started safely.

    Returns the hits (paths relative to the sample) and a tool error when mypy failed.
    """
    if not run.sources:
        return [], None
    staged = staging_root(run.cache_dir)
    with tempfile.TemporaryDirectory(prefix="rulepack-mypy-") as neutral_dir:
        neutral = Path(neutral_dir).resolve()
        try:
            files = stage_sources(run.sources, staged, run.context)
        except (UnsafePathError, OSError) as exc:
            shutil.rmtree(staged, ignore_errors=True)
            return [], ToolError(tool=Tool.MYPY, message=f"could not stage the sample: {exc}")
        completed = _start(run, [str(path) for path in files], neutral, staged)
    shutil.rmtree(staged, ignore_errors=True)
    if isinstance(completed, ToolError):
        return [], completed
    hits, noise = parse_output(completed.stdout, neutral, staged)
    error = failure(completed.returncode, completed.stderr, hits, noise)
    if error is not None:
        message = error.message.replace(f"{staged}{os.sep}", "")
        return [], error.model_copy(update={"message": message})
    return [hit for hit in hits if hit.path in run.sources], None


def unresolved_modules(hits: Sequence[MypyHit]) -> tuple[str, ...]:
    """The modules mypy could not resolve (not installed, or installed without types), sorted."""
    return tuple(sorted({m for hit in hits if (m := hit.unresolved_module) is not None}))


def staging_root(cache_dir: Path) -> Path:
    """Where the sample is staged: beside its cache, at a path that stays the same across runs.

    mypy's cache records each module's path and replays a fresh module's errors with the path it
    was checked at; a staging path that changed from run to run would leave those errors pointing
    at a directory that no longer exists. The caller holds the cache slot, so no other process
    stages here at the same time.
    """
    return (cache_dir.parent / f"{cache_dir.name}-src").resolve()


def stage_sources(
    sources: Mapping[str, str], root: Path, context: Mapping[str, str] | None = None
) -> list[Path]:
    """Write each source below ``root`` (emptied first) with mypy's suppressions blanked.

    Returns the staged paths of ``sources``. ``context`` (the rest of the project) is staged
    beside them so that imports resolve, but not returned. Nothing of an earlier sample staged at
    ``root`` stays importable.

    Raises:
        UnsafePathError: for a relative path that is absolute or climbs out of ``root``.
    """
    shutil.rmtree(root, ignore_errors=True)
    root.mkdir(parents=True)
    staged: list[Path] = []
    for relative, text in sorted({**(context or {}), **sources}.items()):
        target = project_path(root, relative)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(neutralise_mypy_suppressions(text), encoding="utf-8", newline="")
        if relative in sources:
            staged.append(target)
    return staged


def mypy_command(run: MypyRun, files: Sequence[str]) -> list[str]:
    """The command line: rulepack's config only, JSON lines, an explicit interpreter and version."""
    return [
        sys.executable, "-m", "mypy", "--config-file", str(run.config), "--output", "json",
        "--show-column-numbers", "--show-error-end", "--no-error-summary", "--no-pretty",
        "--cache-dir", str(run.cache_dir), "--python-version", str(run.python_version),
        "--python-executable", run.python_executable or sys.executable, *files,
    ]  # fmt: skip


def mypy_environment(staged: Path) -> dict[str, str]:
    """The environment mypy runs in: safe ``sys.path``, the staged root as the only MYPYPATH."""
    env = {
        name: value
        for name, value in os.environ.items()
        if name not in {"MYPYPATH", "PYTHONSTARTUP", "PYTHONINSPECT"}
    }
    env["PYTHONSAFEPATH"] = "1"  # neither the script's directory nor the cwd goes on sys.path
    env["MYPYPATH"] = str(staged)
    return env


def _start(
    run: MypyRun, files: Sequence[str], neutral: Path, staged: Path
) -> subprocess.CompletedProcess[str] | ToolError:
    try:
        return subprocess.run(
            mypy_command(run, files),
            cwd=neutral,
            env=mypy_environment(staged / run.import_prefix if run.import_prefix else staged),
            capture_output=True,
            text=True,
            timeout=run.timeout,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return ToolError(tool=Tool.MYPY, message=f"mypy timed out after {run.timeout:.0f} s")
    except OSError as exc:
        return ToolError(tool=Tool.MYPY, message=f"mypy failed to start: {exc}")


def failure(
    returncode: int, stderr: str, hits: Sequence[MypyHit], noise: Sequence[str]
) -> ToolError | None:
    """The tool error a finished mypy process shows, or ``None`` if its output can be trusted.

    mypy exits 0 with no errors and 1 with errors found, each one a JSON line. Anything else is a
    failure: exit 2 (a blocking error such as a file shadowing a library module), an internal error
    or a traceback, or exit 1 without a single JSON error (the interpreter died at startup).
    """
    text = "\n".join([stderr, *noise])
    if returncode not in (0, 1):
        reason = f"mypy exited {returncode}"
    elif any(marker in text for marker in _CRASH_MARKERS):
        reason = "mypy crashed"
    elif returncode == 1 and not hits:
        reason = "mypy exited 1 without reporting an error"
    else:
        return None
    return ToolError(tool=Tool.MYPY, message=f"{reason}: {_detail(stderr, noise)}")


def _detail(stderr: str, noise: Sequence[str]) -> str:
    """The most telling line of a failed run's output."""
    lines = [line.strip() for line in [*stderr.splitlines(), *noise] if line.strip()]
    for line in lines:
        if any(marker in line for marker in ("INTERNAL ERROR", "shadows", "error:")):
            return line
    return lines[-1] if lines else "no output"


def parse_output(stdout: str, cwd: Path, staged: Path) -> tuple[list[MypyHit], list[str]]:
    """The JSON lines of mypy as hits with sample-relative paths; other lines as noise.

    A blocking error (no code, line -1, such as "This file shadows library module") is noise: it
    comes with exit status 2 and becomes the tool error's message.
    """
    hits: list[MypyHit] = []
    noise: list[str] = []
    for line in stdout.splitlines():
        if not line.strip():
            continue
        try:
            entry = json.loads(line)
        except json.JSONDecodeError:
            noise.append(line)
            continue
        if not isinstance(entry, dict) or entry.get("severity") != "error":
            continue
        hit = _hit(entry, cwd, staged)
        if hit is None:
            reported = str(entry.get("file", ""))
            where = _sample_path(reported, cwd, staged) or reported
            noise.append(f"{where}: {entry.get('message', '')}")
        else:
            hits.append(hit)
    return hits, noise


def _hit(entry: Mapping[str, object], cwd: Path, staged: Path) -> MypyHit | None:
    relative = _sample_path(str(entry.get("file", "")), cwd, staged)
    code = entry.get("code")
    if relative is None or not code:
        return None
    start_line = max(1, _int(entry.get("line"), 1))
    start_column = max(1, _int(entry.get("column"), 0) + 1)
    return MypyHit(
        path=relative,
        code=str(code),
        message=str(entry.get("message", "")),
        line=start_line,
        column=start_column,
        end_line=max(start_line, _int(entry.get("end_line"), start_line)),
        end_column=max(1, _int(entry.get("end_column"), start_column)),
    )


def _int(value: object, default: int) -> int:
    return value if isinstance(value, int) else default


def _sample_path(reported: str, cwd: Path, staged: Path) -> str | None:
    """The sample-relative POSIX path of a staged file mypy reported, or ``None``."""
    if not reported:
        return None
    path = Path(os.path.normpath(cwd / reported))
    if not path.is_relative_to(staged):
        return None
    return path.relative_to(staged).as_posix()
