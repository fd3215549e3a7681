"""Where a project starts and ends: its root, and the repository or workspace around it.

Naming ``src/pkg`` or ``backend/app`` on the command line must not change what the imports of the
code mean, so the evaluator works from the **project root**: the nearest directory holding
``pyproject.toml``, ``setup.py`` or ``setup.cfg`` reached through code directories, else the
directory above the top-level package. Above the root, up to the **repository root** (a ``.git``
directory or file, or a uv workspace), lock files, manifests, ``.env.example`` files and
``tests/`` are context for the project checks. The search never climbs into the user's home
directory, the temporary directory or the filesystem root.
"""

from __future__ import annotations

import contextlib
import os
import re
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

MANIFESTS = ("pyproject.toml", "setup.py", "setup.cfg")
SRC_DIR = "src"
TEST_DIRS = ("tests", "test")
CONTEXT_NAME = re.compile(
    r"^(pyproject\.toml|setup\.py|setup\.cfg|Pipfile|Pipfile\.lock|\.python-version|"
    r"environment\.ya?ml|.*\.lock|pylock(\..+)?\.toml|conda-lock\.ya?ml|"
    r"(.*[-_.])?requirements([-_.].*)?\.(txt|in))$",
    re.IGNORECASE,
)
ENV_EXAMPLE_NAME = re.compile(  # the spellings the env-example check accepts
    r"^(\.?env(\.[\w-]+)?\.(example|sample|template|dist|defaults)|"
    r"(example|sample|template)\.env|\.env\.(example|sample|template)\.[\w.-]+)$",
    re.IGNORECASE,
)
MAX_CONTEXT_FILES = 2000  # ancestor files read at most (a huge test tree is sampled, not read)


@dataclass(frozen=True)
class ProjectLocation:
    """The project root of a named path, and the repository or workspace root around it."""

    root: Path
    repository: Path  # equals ``root`` when no repository or workspace encloses the root
    reason: str  # how the root was found, for the note

    def ancestors(self) -> list[Path]:
        """The directories above the root up to the repository root, nearest first."""
        found: list[Path] = []
        current = self.root
        while current not in (self.repository, current.parent):
            current = current.parent
            found.append(current)
        return found


def _boundaries() -> frozenset[Path]:
    """Directories the search never treats as a project or climbs above."""
    places = {Path(tempfile.gettempdir()).resolve(), Path("/")}
    with contextlib.suppress(RuntimeError):  # no home directory
        places.add(Path.home().resolve())
    return frozenset(places)


def _has_manifest(directory: Path) -> bool:
    return any((directory / name).is_file() for name in MANIFESTS)


def _is_package(directory: Path) -> bool:
    return (directory / "__init__.py").is_file()


def _is_code_directory(directory: Path) -> bool:
    """A package, a ``src`` directory or a directory with Python modules directly in it."""
    if directory.name == SRC_DIR or _is_package(directory):
        return True
    try:
        return any(path.suffix == ".py" and path.is_file() for path in directory.iterdir())
    except OSError:
        return False


def is_uv_workspace(directory: Path) -> bool:
    """Whether ``directory/pyproject.toml`` declares a ``[tool.uv.workspace]``."""
    try:
        text = (directory / "pyproject.toml").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return False
    return any(line.strip().replace(" ", "") == "[tool.uv.workspace]" for line in text.splitlines())


def _is_repository_root(directory: Path) -> bool:
    return (directory / ".git").exists() or is_uv_workspace(directory)


def package_base(directory: Path) -> Path:
    """The directory above the top-level package that holds ``directory`` (itself if no package)."""
    stops = _boundaries()
    current = directory
    while _is_package(current) and current.parent != current and current.parent not in stops:
        current = current.parent
    return current


def find_project_root(directory: Path) -> tuple[Path, str]:
    """The project root of ``directory`` (absolute, resolved) and how it was found.

    Climbs from ``directory`` through code directories (packages, ``src``, directories with
    modules) to the first one holding a manifest, stopping at a repository root and below the
    home, temporary and filesystem roots. Without a manifest on the way, the root is the directory
    above the top-level package.
    """
    start = directory.resolve()
    stops = _boundaries()
    current = start
    while not _has_manifest(current):
        parent = current.parent
        if (
            parent == current
            or parent in stops
            or _is_repository_root(current)
            or not _is_code_directory(current)
        ):
            return package_base(start), "it is the directory above the top-level package"
        current = parent
    manifest = next(name for name in MANIFESTS if (current / name).is_file())
    return current, f"it holds {manifest}"


def find_repository_root(root: Path) -> Path:
    """The repository or workspace root enclosing ``root`` (``root`` itself when there is none)."""
    stops = _boundaries()
    current = root
    while True:
        if _is_repository_root(current):
            return current
        parent = current.parent
        if parent == current or parent in stops:
            return root
        current = parent


def locate(path: Path) -> ProjectLocation:
    """The project and repository roots of a named directory."""
    root, reason = find_project_root(path)
    return ProjectLocation(root, find_repository_root(root), reason)


def _children(directory: Path) -> list[Path]:
    try:
        return sorted(path for path in directory.iterdir() if not path.is_symlink())
    except OSError:
        return []


def _walk_python(directory: Path, skip: frozenset[str]) -> Iterator[Path]:
    for path in _children(directory):
        if path.is_dir() and path.name not in skip:
            yield from _walk_python(path, skip)
        elif path.is_file() and path.suffix == ".py":
            yield path


def context_paths(location: ProjectLocation, skip: frozenset[str]) -> list[Path]:
    """Files above the root that project checks may need, nearest directory first.

    In each directory from the root's parent up to the repository root: manifests, lock files,
    requirements files (also in ``requirements/``), ``.python-version``, ``.env.example`` files
    (also one directory down: ``docker/.env.example``) and the Python files of ``tests/``.
    Nothing below the root (it is read as the sample) and nothing in ``skip`` directories.
    """
    found: list[Path] = []
    below = location.root
    for directory in location.ancestors():
        for path in _children(directory):
            if path == below or path.name in skip:
                continue
            if path.is_file() and (CONTEXT_NAME.match(path.name) or _env_example(path)):
                found.append(path)
            elif path.is_dir():
                found.extend(_context_in_subdirectory(path, skip))
        below = directory
    return found[:MAX_CONTEXT_FILES]


def _context_in_subdirectory(directory: Path, skip: frozenset[str]) -> list[Path]:
    if directory.name in TEST_DIRS:
        return list(_walk_python(directory, skip))
    children = [path for path in _children(directory) if path.is_file()]
    if directory.name == "requirements":
        return [path for path in children if path.suffix in {".txt", ".in"}]
    return [path for path in children if _env_example(path)]


def _env_example(path: Path) -> bool:
    return bool(ENV_EXAMPLE_NAME.match(path.name))


def relative_to_root(path: Path, root: Path) -> str:
    """``path`` relative to ``root`` as a POSIX path, with ``..`` for places above it."""
    return Path(os.path.relpath(path, root)).as_posix()
