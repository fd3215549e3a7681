"""dir-names: directories and Python files not named lowercase_with_underscores (project check)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import ClassVar

from rulepack.evaluator.checks.base import Case, Hit, ProjectCheck
from rulepack.evaluator.checks.project.support import FIRST_LINE, python_paths

SNAKE = re.compile(r"^[a-z_][a-z0-9_]*$")
REVISION_FILE = re.compile(r"^([0-9a-f]{4,}|[0-9]+)[_-]")  # 1a2b3c_add_users, 0001_initial

_MODULE = "def helper() -> int:\n    return 1\n"


def suggested(name: str) -> str:
    """``UserManagement`` / ``user-management`` -> ``user_management``."""
    spaced = re.sub(r"(?<=[a-z])(?=[A-Z])", "_", name)
    return re.sub(r"[^a-z0-9_]+", "_", spaced.lower()).strip("_") or name.lower()


def _skipped(parts: list[str]) -> bool:
    """Hidden directories and files (``.github/``, ``.venv/``) are not the project's modules."""
    return any(part.startswith(".") for part in parts)


def _is_revision(parts: list[str]) -> bool:
    """A migration revision: generated names that are loaded by path, never imported.

    Alembic revisions (``versions/1a2b3c_add_users.py``, or dated with its file template:
    ``versions/2026_01_23_1550-fe56fa70289e_add_users.py``) and Django migrations
    (``migrations/0001_initial.py``).
    """
    stem = parts[-1].removesuffix(".py")
    folder = parts[-2] if len(parts) > 1 else ""
    return folder in {"versions", "migrations"} and bool(REVISION_FILE.match(stem))


class DirNames(ProjectCheck):
    """Directories and Python files not named lowercase_with_underscores.

    ## What it does
    Reports every directory that holds Python files (directly or below) and every ``.py`` file
    whose name is not ``lowercase_with_underscores``: capitals, hyphens, spaces, dots or a leading
    digit. A directory is reported once, at its first Python file. Hidden directories, dunder
    modules (``__init__.py``) and migration revisions with a hex or numeric prefix
    (``alembic/versions/1a2b3c_add_users.py``, ``migrations/0001_initial.py``, Alembic's dated
    ``2026_01_23_1550-1a2b3c_add_users.py``) are skipped;
    directories without Python files (``docs/``, ``assets/``) are not judged.

    ## Why is this bad?
    Python imports only modules and packages whose names are identifiers, so ``user-service.py``
    cannot be imported, and mixed-case names break on case-insensitive file systems.
    """

    id = "dir-names"
    summary = "directory or module name is not lowercase_with_underscores"
    good: ClassVar[tuple[Case, ...]] = (
        Case(
            files={
                "app/__init__.py": "",
                "app/user_management/__init__.py": "",
                "app/user_management/user_service.py": _MODULE,
                "app/__main__.py": _MODULE,
                "alembic/env.py": _MODULE,
                "alembic/versions/1a2b3c4d5e6f_create_users.py": _MODULE,
                "alembic/versions/2026_01_23_1550-fe56fa70289e_add_users.py": _MODULE,
                "app/migrations/0001_initial.py": _MODULE,
                ".github/scripts/Release-Notes.py": _MODULE,
                "docs-site/index.md": "# Docs\n",
                "README.md": "# Users\n",
            },
            hits=0,
            note="dunder modules, migration revisions, hidden and non-Python directories",
        ),
        Case.good(_MODULE, path="tests/v1/test_users_2.py", note="digits after the first letter"),
    )
    bad: ClassVar[tuple[Case, ...]] = (
        Case.bad(_MODULE, path="app/services/UserService.py"),
        Case(
            files={
                "app/__init__.py": "",
                "app/UserManagement/__init__.py": "",
                "app/UserManagement/UserService.py": _MODULE,
                "app/UserManagement/user-repository.py": _MODULE,
            },
            hits=3,
            note="a mixed-case directory (reported once) and two bad module names",
        ),
        Case(
            files={
                "my-service/app/main.py": _MODULE,
                "my-service/app/2fa.py": _MODULE,
                "scripts/seed data.py": _MODULE,
                "alembic/versions/add_users.Backup.py": _MODULE,
                "app/migrations/Initial.py": _MODULE,
            },
            hits=5,
            note="a hyphenated directory, a leading digit, a space, names outside a revision "
            "pattern",
        ),
    )

    def applies(self) -> bool:
        """Samples with Python files."""
        return bool(python_paths(self.project))

    def run(self) -> Iterator[Hit]:
        """Report each bad directory once (at its first Python file) and each bad module."""
        reported_dirs: set[str] = set()
        for path in sorted(python_paths(self.project)):
            parts = path.split("/")
            if _skipped(parts):
                continue
            for index, name in enumerate(parts[:-1]):
                directory = "/".join(parts[: index + 1])
                if directory in reported_dirs or SNAKE.match(name):
                    continue
                reported_dirs.add(directory)
                yield Hit(
                    path,
                    FIRST_LINE,
                    f"directory `{directory}/` is not lowercase_with_underscores; "
                    f"rename it `{suggested(name)}/`",
                )
            stem = parts[-1].removesuffix(".py")
            if not SNAKE.match(stem) and not _is_revision(parts):
                yield Hit(
                    path,
                    FIRST_LINE,
                    f"module `{parts[-1]}` is not lowercase_with_underscores; "
                    f"rename it `{suggested(stem)}.py`",
                )
