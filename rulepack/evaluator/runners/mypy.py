"""Run mypy once per sample with rulepack's config file only, and read its JSON lines.

``--config-file`` with our generated file means no ``mypy.ini``/``pyproject.toml`` of the evaluated
tree is read, so a plugin named there never runs (catalogue §6.2). mypy runs with the sample root
as working directory so module names follow the sample's layout, and with a cache directory that
the caller keeps per worker, so library modules (fastapi, pydantic, ...) are analysed once.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from rulepack.evaluator.finding import Tool, ToolError


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


def run_mypy(
    root: Path,
    files: Sequence[str],
    config: Path,
    cache_dir: Path,
    python_executable: str | None,
    timeout: float,
    search_path: Sequence[Path] = (),
) -> tuple[list[MypyHit], ToolError | None]:
    """Type-check ``files`` (relative to ``root``) in one mypy process.

    ``search_path`` (``MYPYPATH``) names the directories top-level modules are imported from when
    that is not ``root`` (``root/src`` in a src layout).
    """
    if not files:
        return [], None
    env = (
        {**os.environ, "MYPYPATH": os.pathsep.join(map(str, search_path))} if search_path else None
    )
    command = [
        sys.executable, "-m", "mypy", "--config-file", str(config), "--output", "json",
        "--show-column-numbers", "--show-error-end", "--no-error-summary", "--no-pretty",
        "--cache-dir", str(cache_dir), "--python-executable", python_executable or sys.executable,
        *files,
    ]  # fmt: skip
    try:
        completed = subprocess.run(
            command, cwd=root, capture_output=True, text=True, timeout=timeout, check=False, env=env
        )
    except subprocess.TimeoutExpired:
        return [], ToolError(tool=Tool.MYPY, message=f"mypy timed out after {timeout:.0f} s")
    except OSError as exc:
        return [], ToolError(tool=Tool.MYPY, message=f"mypy failed to start: {exc}")
    hits, noise = _parse(completed.stdout)
    if completed.returncode not in (0, 1):
        detail = (completed.stderr.strip() or "\n".join(noise) or "no output").splitlines()[-1]
        return [], ToolError(
            tool=Tool.MYPY, message=f"mypy exited {completed.returncode}: {detail}"
        )
    return hits, None


def _parse(stdout: str) -> tuple[list[MypyHit], list[str]]:
    hits: list[MypyHit] = []
    noise: list[str] = []
    for line in stdout.splitlines():
        try:
            entry = json.loads(line)
        except json.JSONDecodeError:
            noise.append(line)
            continue
        if entry.get("severity") != "error":
            continue
        start_line = max(1, int(entry.get("line") or 1))
        start_column = max(1, int(entry.get("column") or 0) + 1)
        hits.append(
            MypyHit(
                path=str(entry.get("file", "")).replace("\\", "/"),
                code=str(entry.get("code") or "misc"),
                message=str(entry.get("message", "")),
                line=start_line,
                column=start_column,
                end_line=max(start_line, int(entry.get("end_line") or start_line)),
                end_column=max(1, int(entry.get("end_column") or start_column)),
            )
        )
    return hits, noise
