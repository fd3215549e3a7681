"""Dependency manifests of a sample: requirements files, pyproject.toml tables and lock files."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from rulepack.evaluator.checks.base import ProjectFacts
from rulepack.evaluator.checks.project.support import (
    TomlTable,
    basename,
    find_line,
    parse_toml,
    pyprojects,
    root_first,
    section_line,
    string_list,
    table,
)

REQUIREMENTS_FILE = re.compile(r"^(?:.*[-_.])?requirements(?:[-_.].*)?\.txt$", re.IGNORECASE)
LOCK_FILE = re.compile(
    r"^(uv\.lock|poetry\.lock|pdm\.lock|Pipfile\.lock|pylock(\..+)?\.toml|conda-lock\.ya?ml|"
    r"requirements.*\.lock)$"
)
REQUIREMENT_NAME = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)")
DEV_FILE_WORDS = frozenset(
    {
        "dev", "develop", "development", "test", "tests", "testing", "lint", "linting", "ci",
        "docs", "doc", "local", "typing", "qa", "style", "tools", "check", "checks",
    }
)  # fmt: skip
DEV_PACKAGES = frozenset(
    {
        "pytest", "ruff", "mypy", "black", "flake8", "coverage", "isort", "pylint", "pre-commit",
        "tox", "nox", "bandit", "pyright", "autopep8", "yapf", "pytest-cov", "pytest-asyncio",
    }
)  # fmt: skip
DEV_PREFIXES = ("pytest-", "flake8-")
RUNTIME_EXCEPTIONS = frozenset({"mypy-extensions", "pytest-runner"})


def normalise(name: str) -> str:
    """A distribution name in PEP 503 form (``Pydantic_Settings`` -> ``pydantic-settings``)."""
    return re.sub(r"[-_.]+", "-", name).lower()


def is_dev_package(name: str) -> bool:
    """Whether a distribution is a test or tooling package (pytest, pytest-*, ruff, mypy ...)."""
    normal = normalise(name)
    if normal in RUNTIME_EXCEPTIONS:
        return False
    return normal in DEV_PACKAGES or normal.startswith(DEV_PREFIXES)


@dataclass(frozen=True)
class Requirement:
    """One declared dependency: where it is written, its name, whether it is pinned exactly."""

    path: str
    line: int
    text: str
    name: str
    pinned: bool


def is_requirements_file(path: str) -> bool:
    """Whether ``path`` lists requirements (``requirements-dev.txt``, ``requirements/*.txt``)."""
    parts = path.split("/")
    in_folder = len(parts) > 1 and parts[-2] == "requirements" and path.endswith(".txt")
    return in_folder or bool(REQUIREMENTS_FILE.match(parts[-1]))


def is_dev_requirements(path: str) -> bool:
    """Whether a requirements file is for development (its name has dev, test, lint ...)."""
    words = re.split(r"[-_./]+", path.lower().removesuffix(".txt"))
    return bool(DEV_FILE_WORDS.intersection(words))


def _logical_lines(text: str) -> Iterator[tuple[int, str]]:
    """Lines with backslash continuations joined, numbered by their first physical line."""
    pending: list[str] = []
    start = 0
    for number, line in enumerate(text.splitlines(), start=1):
        if not pending:
            start = number
        if line.rstrip().endswith("\\"):
            pending.append(line.rstrip()[:-1])
            continue
        pending.append(line)
        yield start, " ".join(pending)
        pending = []
    if pending:
        yield start, " ".join(pending)


def parse_requirement(path: str, line: int, raw: str) -> Requirement | None:
    """One requirement line, or ``None`` for blanks, comments, options and includes."""
    text = re.split(r"\s#|^#", raw, maxsplit=1)[0]
    text = re.split(r"\s--hash", text, maxsplit=1)[0].strip()
    if not text or text.startswith("-"):
        return None  # -r/-c includes, -e editable installs, --index-url ...
    if re.match(r"^[a-z][a-z0-9+.-]*://", text) or text.startswith((".", "/", "git+")):
        egg = re.search(r"#egg=([A-Za-z0-9._-]+)", raw)
        name = normalise(egg.group(1)) if egg else text
        return Requirement(path, line, text, name, pinned=True)  # a URL or a local path
    match = REQUIREMENT_NAME.match(text)
    if match is None:
        return None
    spec = text[match.end() :].split(";", 1)[0]
    pinned = "==" in spec or " @ " in f" {spec}" or spec.lstrip().startswith("@")
    return Requirement(path, line, text, normalise(match.group(1)), pinned)


def requirements_in(path: str, text: str) -> list[Requirement]:
    """Every requirement of a requirements file."""
    found: list[Requirement] = []
    for line, raw in _logical_lines(text):
        requirement = parse_requirement(path, line, raw)
        if requirement is not None:
            found.append(requirement)
    return found


def requirement_files(project: ProjectFacts) -> list[tuple[str, str]]:
    """``(path, text)`` of every readable requirements file, root first."""
    paths = [path for path in project.texts if is_requirements_file(path)]
    return [(path, project.texts[path]) for path in root_first(paths)]


def has_lock_file(project: ProjectFacts) -> bool:
    """Whether the sample commits a lock file (``uv.lock``, ``poetry.lock`` ...).

    A lock file above the root up to the repository root counts: a uv or Poetry workspace locks
    its members in one file at the workspace root.
    """
    paths = (*project.files, *project.context_files)
    return any(LOCK_FILE.match(basename(path)) for path in paths)


def declared_above(project: ProjectFacts) -> bool:
    """Whether a manifest above the root (up to the repository root) lists a dependency."""
    for path, text in project.context_texts.items():
        if is_requirements_file(path) and requirements_in(path, text):
            return True
        if basename(path) != "pyproject.toml":
            continue
        document = parse_toml(text)
        if document is not None and (
            project_dependencies(path, text, document) or poetry_dependencies(path, text, document)
        ):
            return True
    return False


def _located(text: str, spec: str, after: int) -> int:
    """The line of a dependency string in a pyproject, searched after its table's header."""
    for needle in (f'"{spec}"', f"'{spec}'", spec):
        line = find_line(text, needle, after)
        if line:
            return line
    return after or 1


def project_dependencies(path: str, text: str, document: TomlTable) -> list[Requirement]:
    """``[project] dependencies`` of a pyproject (the production set)."""
    project = table(document, "project")
    if project is None:
        return []
    start = section_line(text, "project")
    found: list[Requirement] = []
    for spec in string_list(project.get("dependencies")):
        requirement = parse_requirement(path, _located(text, spec, start), spec)
        if requirement is not None:
            found.append(requirement)
    return found


def poetry_dependencies(path: str, text: str, document: TomlTable) -> list[Requirement]:
    """``[tool.poetry.dependencies]`` of a pyproject, without ``python``."""
    poetry = table(document, "tool", "poetry", "dependencies")
    if poetry is None:
        return []
    start = section_line(text, "tool.poetry.dependencies")
    found: list[Requirement] = []
    for name, spec in poetry.items():
        if normalise(name) == "python":
            continue
        if isinstance(spec, Mapping):
            version = spec.get("version")
            exact = isinstance(version, str) and _exact_poetry(version)
            pinned = exact or any(key in spec for key in ("git", "path", "url"))
        else:
            pinned = isinstance(spec, str) and _exact_poetry(spec)
        line = find_line(text, name, start) or start or 1
        found.append(Requirement(path, line, f"{name} = {spec!r}", normalise(name), pinned))
    return found


def _exact_poetry(version: str) -> bool:
    """A Poetry constraint that names one version (``1.2.3`` or ``==1.2.3``)."""
    return bool(re.fullmatch(r"\s*(==)?\s*\d+(\.\d+)*\S*\s*", version)) and "*" not in version


@dataclass(frozen=True)
class Manifests:
    """Every dependency declaration of a sample."""

    requirement_files: tuple[tuple[str, tuple[Requirement, ...]], ...]
    pyproject: tuple[tuple[str, tuple[Requirement, ...]], ...]  # [project] deps per pyproject
    poetry: tuple[tuple[str, tuple[Requirement, ...]], ...]  # [tool.poetry] deps per pyproject
    locked: bool

    @classmethod
    def of(cls, project: ProjectFacts) -> Manifests:
        """Read the manifests of ``project``."""
        files = tuple(
            (path, tuple(requirements_in(path, text))) for path, text in requirement_files(project)
        )
        documents = pyprojects(project)
        return cls(
            requirement_files=files,
            pyproject=tuple(
                (path, tuple(project_dependencies(path, text, doc)))
                for path, text, doc in documents
            ),
            poetry=tuple(
                (path, tuple(poetry_dependencies(path, text, doc))) for path, text, doc in documents
            ),
            locked=has_lock_file(project),
        )

    @property
    def declared(self) -> bool:
        """Whether some manifest lists at least one dependency."""
        groups = (*self.requirement_files, *self.pyproject, *self.poetry)
        return any(requirements for _, requirements in groups)

    def production(self) -> Iterator[Requirement]:
        """Requirements of production manifests: non-dev requirements files and main tables."""
        for path, requirements in self.requirement_files:
            if not is_dev_requirements(path):
                yield from requirements
        for _, requirements in (*self.pyproject, *self.poetry):
            yield from requirements

    def pinned_requirements_file(self) -> bool:
        """Whether a production requirements file pins every line (a compiled lock)."""
        return any(
            requirements and all(r.pinned for r in requirements)
            for path, requirements in self.requirement_files
            if not is_dev_requirements(path)
        )
