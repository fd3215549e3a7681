"""semver-version: a pyproject.toml version that is not MAJOR.MINOR.PATCH (project check)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import ClassVar

from rulepack.evaluator.checks.base import Case, Hit, ProjectCheck
from rulepack.evaluator.checks.project.support import (
    TomlTable,
    find_line,
    line_span,
    pyprojects,
    section_line,
    string_list,
    table,
)

_NUMBER = r"(?:0|[1-9]\d*)"
_IDENTIFIER = r"(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)"
SEMVER = re.compile(
    rf"^{_NUMBER}\.{_NUMBER}\.{_NUMBER}"
    rf"(?:-{_IDENTIFIER}(?:\.{_IDENTIFIER})*)?(?:\+[0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*)?$"
)
# PEP 440 spellings of a three-part release: 1.2.0rc1, 1.2.0.post1, 1.2.0.dev3, 1.2.0+local
PEP440_RELEASE = re.compile(
    rf"^{_NUMBER}\.{_NUMBER}\.{_NUMBER}(?:(?:a|b|rc){_NUMBER})?(?:\.post{_NUMBER})?"
    rf"(?:\.dev{_NUMBER})?(?:\+[0-9a-zA-Z.]+)?$"
)


def is_semver(version: str) -> bool:
    """Whether ``version`` is ``MAJOR.MINOR.PATCH`` (with a SemVer or PEP 440 suffix)."""
    return bool(SEMVER.match(version) or PEP440_RELEASE.match(version))


def _version_table(document: TomlTable) -> tuple[str, TomlTable] | None:
    """``("project", table)`` or ``("tool.poetry", table)``: the table that versions the package.

    ``[tool.poetry]`` is used when it has the version and ``[project]`` has none (Poetry 2).
    """
    project = table(document, "project")
    poetry = table(document, "tool", "poetry")
    if poetry is not None and "version" in poetry and (project is None or "version" not in project):
        return "tool.poetry", poetry
    if project is not None:
        return "project", project
    return ("tool.poetry", poetry) if poetry is not None else None


class SemverVersion(ProjectCheck):
    """A ``pyproject.toml`` version that is not semantic.

    ## What it does
    Reads ``version`` under ``[project]`` (else ``[tool.poetry]``) of every ``pyproject.toml``
    and reports one that is missing or not ``MAJOR.MINOR.PATCH`` (``1.4``, ``2024.1``, ``v1.0.0``).
    SemVer pre-release and build suffixes (``1.0.0-rc.1+build.5``) and their PEP 440 spellings
    (``1.0.0rc1``, ``1.0.0.dev2``) pass. A version declared ``dynamic`` is not judged, and a sample
    without a ``pyproject.toml`` that names a package is not applicable.

    ## Why is this bad?
    A semantic version tells clients whether an upgrade is safe: MAJOR for breaking API changes,
    MINOR for additions, PATCH for fixes.
    """

    id = "semver-version"
    summary = "the project version is not MAJOR.MINOR.PATCH"
    good: ClassVar[tuple[Case, ...]] = (
        Case({"pyproject.toml": '[project]\nname = "users-api"\nversion = "1.4.0"\n'}, 0),
        Case(
            {"pyproject.toml": '[project]\nname = "api"\nversion = "2.0.0-rc.1+build.5"\n'},
            0,
            note="a SemVer pre-release with build metadata",
        ),
        Case(
            {"pyproject.toml": '[project]\nname = "api"\nversion = "2.0.0rc1"\n'},
            0,
            note="the PEP 440 spelling of a pre-release",
        ),
        Case(
            {"pyproject.toml": '[project]\nname = "api"\ndynamic = ["version"]\n'},
            0,
            note="a dynamic version",
        ),
        Case(
            {"pyproject.toml": '[tool.poetry]\nname = "api"\nversion = "0.3.1"\n'},
            0,
            note="Poetry",
        ),
        Case(
            {"pyproject.toml": '[project]\nname = "api"\n\n[tool.poetry]\nversion = "1.0.0"\n'},
            0,
            note="Poetry 2: [project] without a version, the version in [tool.poetry]",
        ),
        Case(
            {"pyproject.toml": "[tool.ruff]\nline-length = 100\n", "app/main.py": ""},
            0,
            note="a pyproject that only configures tools: not applicable",
        ),
    )
    bad: ClassVar[tuple[Case, ...]] = (
        Case({"pyproject.toml": '[project]\nname = "users-api"\nversion = "1.4"\n'}, 1),
        Case(
            {"pyproject.toml": '[tool.poetry]\nname = "api"\nversion = "v1.0.0"\n'},
            1,
            note="a leading v",
        ),
        Case(
            {"pyproject.toml": '[project]\nname = "api"\n\n[tool.ruff]\nline-length = 100\n'},
            1,
            note="[project] without a version",
        ),
    )

    def applies(self) -> bool:
        """Samples with a ``pyproject.toml`` that names a package."""
        return any(_version_table(doc) for _, _, doc in pyprojects(self.project))

    def run(self) -> Iterator[Hit]:
        """Report each missing or non-semantic version."""
        for path, text, document in pyprojects(self.project):
            found = _version_table(document)
            if found is None:
                continue
            name, metadata = found
            if "version" in string_list(metadata.get("dynamic")):
                continue
            header = section_line(text, name)
            version = metadata.get("version")
            if not isinstance(version, str):
                yield Hit(
                    path,
                    line_span(header or 1),
                    f"[{name}] in `{path}` has no version; set a SemVer version such as "
                    '`version = "0.1.0"`',
                )
            elif not is_semver(version):
                line = find_line(text, "version", header) or header or 1
                yield Hit(
                    path,
                    line_span(line),
                    f"version `{version}` in `{path}` is not MAJOR.MINOR.PATCH; use e.g. "
                    "`1.4.0` and bump MAJOR for breaking API changes",
                )
