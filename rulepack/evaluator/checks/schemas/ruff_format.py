"""ruff-format: files that ``ruff format`` would change (project check)."""

from __future__ import annotations

import re
import subprocess
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path, PurePosixPath
from typing import ClassVar

from rulepack.evaluator.checks.base import Case, Hit, ProjectCheck
from rulepack.evaluator.checks.facts import Span
from rulepack.rules.tool_codes import ToolUnavailableError, ruff_binary

TIMEOUT_SECONDS = 120.0
CHUNK = 400  # files per ruff invocation, to stay far below command-line limits
HUNK = re.compile(r"^@@ -(\d+)(?:,(\d+))? \+\d+(?:,\d+)? @@")


def safe_relative(path: str) -> bool:
    """Whether ``path`` stays inside the directory it is written to."""
    pure = PurePosixPath(path)
    return bool(path) and not pure.is_absolute() and ".." not in pure.parts


def first_changes(diff: str) -> dict[str, int]:
    """The first changed line (in the original) of every file of a unified diff."""
    changed: dict[str, int] = {}
    current: str | None = None
    line = 0
    for text in diff.splitlines():
        if text.startswith("--- "):
            current = text[4:].strip()
            line = 0
        elif text.startswith("+++ "):
            continue
        elif (match := HUNK.match(text)) is not None:
            line = int(match.group(1))
        elif current is not None and current not in changed and line:
            if text.startswith(("-", "+")):
                changed[current] = max(1, line)
            elif text.startswith(" "):
                line += 1
    return changed


def run_ruff_format(files: Mapping[str, str], timeout: float = TIMEOUT_SECONDS) -> dict[str, int]:
    """Files ``ruff format --check`` would reformat, with their first changed line.

    The sources are written to a scratch directory and ruff runs there with ``--isolated``, so
    no configuration of the evaluated project is read. A missing binary, a timeout or a
    failure gives an empty result: formatting findings are never worth a crash.
    """
    try:
        binary = ruff_binary()
    except ToolUnavailableError:
        return {}
    chosen = sorted(path for path in files if safe_relative(path))
    changed: dict[str, int] = {}
    with tempfile.TemporaryDirectory(prefix="rulepack-format-") as scratch:
        root = Path(scratch)
        for path in chosen:
            target = root / path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(files[path], encoding="utf-8")
        for start in range(0, len(chosen), CHUNK):
            diff = _diff(binary, root, chosen[start : start + CHUNK], timeout)
            if diff is None:
                return {}
            changed.update(first_changes(diff))
    return {path: line for path, line in changed.items() if path in files}


def _diff(binary: str, root: Path, paths: Sequence[str], timeout: float) -> str | None:
    command = [binary, "format", "--isolated", "--no-cache", "--check", "--diff", "--", *paths]
    try:
        completed = subprocess.run(
            command, cwd=root, capture_output=True, text=True, timeout=timeout, check=False
        )
    except (subprocess.TimeoutExpired, OSError, UnicodeDecodeError):
        return None
    # 0: nothing to change, 1: some files would change, 2: some files failed to parse.
    return completed.stdout if completed.returncode in {0, 1, 2} else None


class RuffFormat(ProjectCheck):
    """Files that are not formatted with ruff format (Black-compatible).

    ## What it does
    Runs the installed ``ruff format --check --diff`` with ``--isolated`` (ruff's defaults: line
    length 88, double quotes; the evaluated project's own ruff configuration is never read)
    over every Python file of the sample that parses, written to a scratch directory, and
    reports each file ruff would reformat at its first changed line. Files ruff cannot parse,
    a missing ruff binary, a timeout or a ruff failure report nothing.

    ## Why is this bad?
    One deterministic format removes style debates and noise from diffs.
    """

    id = "ruff-format"
    summary = "file is not formatted with `ruff format`"
    good: ClassVar[tuple[Case, ...]] = (
        Case.good(
            "def create_user(name: str, email: str) -> User:\n"
            '    return User(name=name, email=email, roles=["member"])\n'
        ),
        Case(
            files={
                "app/a.py": 'VALUE = {"a": 1}\n',
                "pyproject.toml": "[tool.ruff.format]\nquote-style = 'single'\n",
            },
            hits=0,
            note="the sample's own ruff configuration is not honoured",
        ),
    )
    bad: ClassVar[tuple[Case, ...]] = (
        Case.bad(
            "def create_user(name:str,email:str)->User:\n"
            "    return User(name = name,email = email,roles = ['member'])\n"
        ),
        Case(
            files={
                "app/a.py": '"""Doc."""\n\nimport os\n\n\nx = {  "a":1}\n',
                "app/sub dir/b.py": "VALUE = 1\n\n\n\n\ny = 2\n",
                "app/ok.py": "VALUE = 1\n",
            },
            hits=2,
            note="two files to reformat (one in a directory with a space), one formatted",
        ),
    )

    def applies(self) -> bool:
        """Samples with Python files."""
        return bool(self.project.sources)

    def run(self) -> Iterator[Hit]:
        """Report every file ruff would reformat."""
        for path, line in sorted(run_ruff_format(self.project.sources).items()):
            yield Hit(
                path,
                Span(line, 1, line, 1),
                f"`ruff format` would reformat this file (first change at line {line}); run "
                "`ruff format` on it",
            )
