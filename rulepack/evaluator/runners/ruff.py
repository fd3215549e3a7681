"""Run ruff once over every sample with rulepack's config and map its JSON to findings.

``--config`` with our generated file makes ruff ignore every configuration in the evaluated tree
(verified in the catalogue, §6.1), and ``--ignore-noqa`` stops ``# noqa`` from hiding findings.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from rulepack.evaluator.finding import Tool, ToolError
from rulepack.rules.tool_codes import ruff_binary


@dataclass(frozen=True)
class RuffHit:
    """One ruff diagnostic, located in a sample."""

    sample: str
    path: str
    code: str
    message: str
    line: int
    column: int
    end_line: int
    end_column: int


def run_ruff(
    files: Mapping[str, Sequence[tuple[Path, str]]],
    config: Path,
    timeout: float,
) -> tuple[list[RuffHit], dict[str, ToolError]]:
    """Run ruff over ``files`` (sample name -> (absolute path, relative path) pairs).

    Returns the hits, and a tool error for every sample when ruff itself fails.
    """
    where = {
        str(absolute.resolve()): (name, rel)
        for name, pairs in files.items()
        for absolute, rel in pairs
    }
    if not where:
        return [], {}
    command = [
        ruff_binary(), "check", "--config", str(config), "--ignore-noqa", "--no-cache",
        "--exit-zero", "--output-format", "json", "--no-fix", *sorted(where),
    ]  # fmt: skip
    try:
        completed = subprocess.run(
            command, capture_output=True, text=True, timeout=timeout, check=False
        )
        entries = json.loads(completed.stdout or "[]")
    except subprocess.TimeoutExpired:
        return [], _everyone(files, f"ruff timed out after {timeout:.0f} s")
    except (OSError, json.JSONDecodeError) as exc:
        return [], _everyone(files, f"ruff failed: {exc}")
    if completed.returncode != 0:
        reason = completed.stderr.strip().splitlines()[-1:] or ["no output"]
        return [], _everyone(files, f"ruff exited {completed.returncode}: {reason[0]}")
    hits: list[RuffHit] = []
    for entry in entries:
        code = entry.get("code")
        located = where.get(str(Path(entry.get("filename", "")).resolve()))
        if not code or code == "invalid-syntax" or located is None:
            continue  # syntax errors are reported by the parser, with the file's rules failed
        start, end = entry["location"], entry.get("end_location") or entry["location"]
        hits.append(
            RuffHit(
                sample=located[0],
                path=located[1],
                code=code,
                message=entry.get("message", ""),
                line=max(1, start["row"]),
                column=max(1, start["column"]),
                end_line=max(1, end["row"]),
                end_column=max(1, end["column"]),
            )
        )
    return hits, {}


def _everyone(files: Mapping[str, object], message: str) -> dict[str, ToolError]:
    return {name: ToolError(tool=Tool.RUFF, message=message) for name in files}
