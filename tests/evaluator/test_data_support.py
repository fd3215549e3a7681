"""The data group's shared helpers: layers by path, snippet name matching, cross-module kinds."""

from __future__ import annotations

import ast

import pytest

from rulepack.evaluator.checks.ast_facts import collect_facts, import_map
from rulepack.evaluator.checks.base import ProjectFacts
from rulepack.evaluator.checks.data import CHECKS
from rulepack.evaluator.checks.data.kinds import Kind
from rulepack.evaluator.checks.data.layout import Layer, is_app_code, layer_of
from rulepack.evaluator.checks.data.resolve import CONSTRUCTOR_TARGETS, Resolver
from rulepack.evaluator.checks.data.shapes import of_ast
from rulepack.evaluator.checks.runner import module_name_for


def test_checks_are_sorted_by_id() -> None:
    ids = [check.id for check in CHECKS]
    assert ids == sorted(ids)


@pytest.mark.parametrize(
    ("path", "layer"),
    [
        ("app/routers/users.py", Layer.ROUTER),
        ("app/api/v1/endpoints/users.py", Layer.ROUTER),
        ("src/orders/router.py", Layer.ROUTER),
        ("app/services/user_service.py", Layer.SERVICE),
        ("src/orders/service.py", Layer.SERVICE),
        ("app/repositories/users.py", Layer.REPOSITORY),
        ("app/users/user_repository.py", Layer.REPOSITORY),
        ("app/crud/user.py", Layer.REPOSITORY),
        ("app/core/database.py", None),
        ("tests/routers/test_users.py", None),
    ],
)
def test_layer_of(path: str, layer: Layer | None) -> None:
    assert layer_of(path) is layer


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("app/main.py", True),
        ("tests/conftest.py", False),
        ("app/test_utils.py", False),
        ("alembic/versions/0001_init.py", False),
        ("scripts/seed.py", False),
    ],
)
def test_is_app_code(path: str, expected: bool) -> None:
    assert is_app_code(path) is expected


def test_snippet_names_match_distinctive_tails_only() -> None:
    assert CONSTRUCTOR_TARGETS.tails["create_async_engine"] is Kind.ASYNC_ENGINE
    assert CONSTRUCTOR_TARGETS.tails["httpx.AsyncClient"] is Kind.HTTPX_ASYNC
    assert "connect" not in CONSTRUCTOR_TARGETS.tails  # sqlite3, psycopg2 ...: too generic
    assert "Client" not in CONSTRUCTOR_TARGETS.tails


def test_kinds_follow_factories_and_aliases_across_modules() -> None:
    sources = {
        "app/db.py": (
            "from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker\n"
            "from sqlalchemy.orm import Session, sessionmaker\n\n"
            "SessionLocal = sessionmaker()\nAsyncLocal = sessionmaker(class_=AsyncSession)\n"
            "Factory = async_sessionmaker()\n"
        ),
        "app/deps.py": (
            "from typing import Annotated\n\nfrom fastapi import Depends\n\n"
            "from app import db as database\n\n"
            "SessionDep = Annotated[database.Session, Depends(get_db)]\n"
        ),
        "app/use.py": (
            "from app.db import AsyncLocal, Factory, SessionLocal\n"
            "from app.deps import SessionDep\n"
        ),
    }
    trees = {path: ast.parse(text) for path, text in sources.items()}
    maps = {path: import_map(tree, module_name_for(path)) for path, tree in trees.items()}
    facts = tuple(collect_facts(trees[p], p, maps[p], sources[p]) for p in sources)
    project = ProjectFacts(facts, tuple(sources), sources=sources, trees=trees)
    resolver = Resolver.for_module(project, "app/use.py", maps["app/use.py"])

    def kind(expression: str) -> Kind | None:
        return resolver.value_kind(of_ast(ast.parse(expression, mode="eval").body))

    assert kind("SessionLocal()") is Kind.SYNC_SESSION
    assert kind("AsyncLocal()") is Kind.ASYNC_SESSION
    assert kind("Factory()") is Kind.ASYNC_SESSION
    alias = of_ast(ast.parse("SessionDep", mode="eval").body)
    assert resolver.annotation_kind(alias) is Kind.SYNC_SESSION
