"""migrations: ORM models without Alembic, and ``metadata.create_all()`` in application code."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from typing import ClassVar

from rulepack.evaluator.checks.ast_facts import walk
from rulepack.evaluator.checks.base import Case, Hit, ProjectCheck
from rulepack.evaluator.checks.common import is_test_path
from rulepack.evaluator.checks.data.layout import MIGRATION_DIRS, is_alembic_module
from rulepack.evaluator.checks.data.orm_models import Models, span_of
from rulepack.evaluator.checks.facts import Span

MANIFESTS = frozenset({"pyproject.toml", "requirements.txt", "setup.py", "setup.cfg", "Pipfile"})
FIRST_LINE = Span(1, 1, 1, 1)

_MODELS = (
    "from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column\n\n\n"
    "class Base(DeclarativeBase):\n    pass\n\n\n"
    "class User(Base):\n    __tablename__ = 'users'\n"
    "    id: Mapped[int] = mapped_column(primary_key=True)\n"
)
_MAIN = "from fastapi import FastAPI\n\napp = FastAPI()\n"


class Migrations(ProjectCheck):
    """Schema changes outside Alembic migrations.

    ## What it does
    Reports ``<metadata>.create_all`` in application code (called, or passed to
    ``conn.run_sync``), wherever it appears outside tests; and, for a project (more than one
    Python file, or a dependency manifest) with ORM models, the absence of an Alembic setup:
    ``alembic.ini`` (or ``[tool.alembic]`` in ``pyproject.toml``), an ``alembic/`` or
    ``migrations/`` directory with an ``env.py``, or migration files under ``migrations/``.

    ## Why is this bad?
    ``create_all()`` creates missing tables but never alters existing ones, so deployed databases
    drift from the models; versioned migrations are repeatable, reviewable and reversible.
    """

    id = "migrations"
    summary = "schema managed without Alembic migrations"
    good: ClassVar[tuple[Case, ...]] = (
        Case(
            files={
                "app/models.py": _MODELS,
                "app/main.py": _MAIN,
                "alembic.ini": "[alembic]\nscript_location = alembic\n",
                "alembic/env.py": "from app.models import Base\n"
                "\ntarget_metadata = Base.metadata\n",
                "tests/conftest.py": (
                    "from app.models import Base\n\n\nasync def schema(engine: object) -> None:\n"
                    "    async with engine.begin() as conn:\n"
                    "        await conn.run_sync(Base.metadata.create_all)\n"
                ),
            },
            hits=0,
            note="Alembic set up; tests may create tables",
        ),
        Case(
            files={
                "src/app/models.py": _MODELS,
                "src/app/main.py": _MAIN,
                "src/app/db/migrations/env.py": "target_metadata = None\n",
            },
            hits=0,
            note="migrations in a migrations/ directory without alembic.ini at the root",
        ),
        Case.good(_MODELS, note="a single file is not a project: only create_all counts"),
    )
    bad: ClassVar[tuple[Case, ...]] = (
        Case(
            files={
                "app/models.py": _MODELS,
                "app/main.py": (
                    "from contextlib import asynccontextmanager\n\nfrom fastapi import FastAPI\n\n"
                    "from app import models as m\nfrom app.db import engine\n\n\n"
                    "@asynccontextmanager\nasync def lifespan(app: FastAPI):\n"
                    "    async with engine.begin() as conn:\n"
                    "        await conn.run_sync(m.Base.metadata.create_all)\n    yield\n\n\n"
                    "def init() -> None:\n    m.Base.metadata.create_all(bind=engine)\n"
                ),
                "requirements.txt": "fastapi==0.115.0\n",
            },
            hits=3,
            note="create_all passed to run_sync and called; no Alembic",
        ),
        Case(
            files={
                "app/models.py": (
                    "from sqlmodel import Field, SQLModel\n\n\nclass Hero(SQLModel, table=True):\n"
                    "    id: int | None = Field(default=None, primary_key=True)\n"
                ),
                "app/main.py": _MAIN,
            },
            hits=1,
            note="SQLModel tables without migrations",
        ),
    )

    @property
    def models(self) -> Models:
        """The sample's models, read once per sample (shared with other checks)."""
        return self.project.cached("data.models", lambda: Models.of(self.project))

    def applies(self) -> bool:
        """Samples with ORM models or a ``create_all`` call."""
        return bool(self._tables()) or any(True for _ in self._create_all())

    def run(self) -> Iterator[Hit]:
        """Report every ``create_all`` and, for a project with models, missing Alembic."""
        for path, node in self._create_all():
            yield Hit(
                path,
                span_of(node),
                "`metadata.create_all` changes the schema outside migrations; manage tables with "
                "Alembic revisions (`alembic revision --autogenerate`)",
            )
        tables = self._tables()
        if tables and self._is_project() and not self._has_alembic():
            path, span = tables[0]
            yield Hit(
                path,
                span,
                "the project has ORM models but no Alembic setup (alembic.ini and alembic/env.py); "
                "add Alembic with `target_metadata = Base.metadata` and a revision per change",
            )

    def _tables(self) -> list[tuple[str, Span]]:
        """Where the sample's mapped tables are declared."""
        return [
            (model.path, model.span or FIRST_LINE)
            for model in self.models.by_key.values()
            if model.mapped
        ]

    def _create_all(self) -> Iterator[tuple[str, ast.Attribute]]:
        for facts in self.project.modules:
            tree = self.project.trees.get(facts.path)
            if tree is None or is_test_path(facts.path) or is_alembic_module(facts):
                continue
            for node in walk(tree):
                if (
                    isinstance(node, ast.Attribute)
                    and node.attr == "create_all"
                    and _ends_with_metadata(node.value)
                ):
                    yield facts.path, node

    def _is_project(self) -> bool:
        files = self.project.files
        python = [path for path in files if path.endswith(".py")]
        return len(python) > 1 or any(path.rsplit("/", 1)[-1] in MANIFESTS for path in files)

    def _has_alembic(self) -> bool:
        for path in self.project.files:
            parts = path.split("/")
            if parts[-1] == "alembic.ini":
                return True
            if any(part in MIGRATION_DIRS for part in parts[:-1]):
                return True
        pyproject = self.project.texts.get("pyproject.toml", "")
        return "[tool.alembic]" in pyproject


def _ends_with_metadata(node: ast.expr) -> bool:
    if isinstance(node, ast.Attribute):
        return node.attr in {"metadata", "MetaData"}
    return isinstance(node, ast.Name) and "metadata" in node.id.lower()
