"""The Python version a sample is written for: read from its own files, never from the interpreter.

A project states its target in ``requires-python`` (``pyproject.toml``) or ``.python-version``.
rulepack parses, lints and type-checks the sample for that version, so valid code for a newer
Python (``except A, B:``, PEP 695 generics) is never called a syntax error. Without a statement,
the newest version the installed tools know is assumed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rulepack.toml import toml_reader

OLDEST = (3, 10)
NEWEST = (3, 14)  # the newest grammar ruff, mypy and rulepack's parser all know
_REQUIREMENT = re.compile(r"(>=|~=|==|>|<=|<|!=)\s*3\.(\d+)")
_PINNED = re.compile(r"^\s*(?:cpython-|python-?|pypy)?3\.(\d+)", re.IGNORECASE)


@dataclass(frozen=True, order=True)
class PythonVersion:
    """A ``major.minor`` Python version."""

    major: int
    minor: int

    def __str__(self) -> str:
        """``3.12``."""
        return f"{self.major}.{self.minor}"

    @property
    def ruff(self) -> str:
        """The ``target-version`` spelling of ruff: ``py312``."""
        return f"py{self.major}{self.minor}"

    @classmethod
    def newest(cls) -> PythonVersion:
        """The newest version every tool here knows (the default target)."""
        return cls(*NEWEST)

    @classmethod
    def clamp(cls, minor: int) -> PythonVersion:
        """``3.minor`` limited to the versions the tools support."""
        return cls(3, min(max(minor, OLDEST[1]), NEWEST[1]))


def from_requires_python(spec: str) -> PythonVersion | None:
    """The lowest version a ``requires-python`` specifier admits (``>=3.12,<4`` -> 3.12).

    Upper bounds say nothing about the grammar the code uses, so only lower bounds and exact
    pins count; ``None`` when the specifier names no Python 3 minor version.
    """
    lowest: int | None = None
    for operator, minor_text in _REQUIREMENT.findall(spec):
        if operator in {"<", "<=", "!="}:
            continue
        minor = int(minor_text) + (1 if operator == ">" else 0)
        lowest = minor if lowest is None else min(lowest, minor)
    return None if lowest is None else PythonVersion.clamp(lowest)


def from_python_version_file(text: str) -> PythonVersion | None:
    """The first version line of a ``.python-version`` file (``3.12.4`` -> 3.12)."""
    for line in text.splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            match = _PINNED.match(line)
            return PythonVersion.clamp(int(match.group(1))) if match else None
    return None


def from_pyproject(text: str) -> PythonVersion | None:
    """``project.requires-python`` of a ``pyproject.toml`` text (``None`` if absent or broken)."""
    try:
        data = toml_reader.loads(text)
    except toml_reader.TOMLDecodeError:
        return None
    project = data.get("project")
    spec = project.get("requires-python") if isinstance(project, dict) else None
    return from_requires_python(spec) if isinstance(spec, str) else None


def target_version(pyproject: str | None, python_version_file: str | None) -> PythonVersion:
    """The sample's target: ``requires-python`` first, then ``.python-version``, else newest."""
    found = (from_pyproject(pyproject) if pyproject is not None else None) or (
        from_python_version_file(python_version_file) if python_version_file is not None else None
    )
    return found or PythonVersion.newest()
