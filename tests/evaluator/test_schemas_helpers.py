"""Helpers of the schema checks: the class index, diff parsing, parameters and tool failures."""

from __future__ import annotations

import ast
import subprocess
from collections.abc import Mapping
from typing import NoReturn

import pytest

from rulepack.evaluator.checks.ast_facts import collect_facts, import_map
from rulepack.evaluator.checks.base import ProjectFacts
from rulepack.evaluator.checks.runner import module_name_for, run_checks
from rulepack.evaluator.checks.schemas import ruff_format
from rulepack.evaluator.checks.schemas.bool_name_prefix import DEFAULT_PREFIXES, prefixes_param
from rulepack.evaluator.checks.schemas.code_duplication import CodeDuplication
from rulepack.evaluator.checks.schemas.duplicated_fields import DuplicatedFields
from rulepack.evaluator.checks.schemas.model_index import SchemaIndex
from rulepack.evaluator.checks.schemas.ruff_format import first_changes, safe_relative
from rulepack.rules.tool_codes import ToolUnavailableError


def project_of(sources: Mapping[str, str]) -> ProjectFacts:
    """The facts and trees of a small sample, as the runner builds them."""
    trees = {path: ast.parse(text) for path, text in sources.items()}
    modules = tuple(
        collect_facts(tree, path, import_map(tree, module_name_for(path)), sources[path])
        for path, tree in trees.items()
    )
    return ProjectFacts(modules, tuple(sources), sources=dict(sources), trees=trees)


def test_the_index_finds_orm_models_through_declared_attr_and_declarative_base() -> None:
    index = SchemaIndex.of(
        project_of(
            {
                "app/db.py": (
                    "from sqlalchemy.orm import DeclarativeBase, declarative_base, declared_attr\n"
                    "Legacy = declarative_base()\n\n"
                    "class Base(DeclarativeBase):\n"
                    "    @declared_attr.directive\n"
                    "    def __tablename__(cls) -> str:\n        return cls.__name__.lower()\n"
                ),
                "app/models.py": (
                    "from app.db import Base, Legacy\n\n"
                    "class Timestamped(Legacy):\n    __abstract__ = True\n\n"
                    "class Order(Timestamped):\n    __tablename__ = 'orders'\n\n"
                    "class Item(Base):\n    name: str\n"
                ),
            }
        )
    )
    assert {"app.models.Order", "app.models.Item"} <= index.orm
    assert "app.models.Timestamped" not in index.orm


def test_request_schemas_follow_routes_fields_and_bases() -> None:
    index = SchemaIndex.of(
        project_of(
            {
                "app/schemas.py": (
                    "from pydantic import BaseModel\n\n"
                    "class Base(BaseModel):\n    name: str\n\n"
                    "class Tag(BaseModel):\n    label: str\n\n"
                    "class Payload(Base):\n    tags: list[Tag]\n\n"
                    "class Out(BaseModel):\n    id: int\n\n"
                    "class Settings(BaseModel):\n    debug: bool\n"
                ),
                "app/routes.py": (
                    "from fastapi import APIRouter, Depends\n\nfrom app import schemas\n\n"
                    "router = APIRouter()\n\n"
                    "@router.post('/x')\n"
                    "async def create(body: schemas.Payload, s: schemas.Settings = Depends()) "
                    "-> schemas.Out:\n    return schemas.Out(id=1)\n"
                ),
            }
        )
    )
    requests = index.request_schemas()
    assert {"app.schemas.Payload", "app.schemas.Base", "app.schemas.Tag"} <= requests
    assert "app.schemas.Out" not in requests
    assert "app.schemas.Settings" not in requests
    assert [f.name for f in index.fields_of("app.schemas.Payload")] == ["name", "tags"]


def test_first_changes_reads_the_first_changed_line_of_each_file() -> None:
    diff = (
        "--- app/a.py\n+++ app/a.py\n@@ -3,4 +3,4 @@\n context\n context\n-x=1\n+x = 1\n"
        "@@ -20,1 +20,1 @@\n-y=2\n+y = 2\n"
        "--- app/sub dir/b.py\n+++ app/sub dir/b.py\n@@ -1 +1 @@\n-z=3\n+z = 3\n"
    )
    assert first_changes(diff) == {"app/a.py": 5, "app/sub dir/b.py": 1}


def test_only_relative_paths_inside_the_sample_are_written() -> None:
    assert safe_relative("app/main.py")
    assert not safe_relative("../outside.py")
    assert not safe_relative("/etc/passwd")
    assert not safe_relative("")


def test_ruff_format_reports_nothing_when_ruff_is_missing_or_times_out(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    files = {"app/a.py": "x=1\n"}
    assert ruff_format.run_ruff_format(files) == {"app/a.py": 1}

    def missing() -> NoReturn:
        raise ToolUnavailableError("no ruff")

    monkeypatch.setattr(ruff_format, "ruff_binary", missing)
    assert ruff_format.run_ruff_format(files) == {}
    monkeypatch.undo()

    def slow(*args: object, **kwargs: object) -> NoReturn:
        raise subprocess.TimeoutExpired("ruff", 1)

    monkeypatch.setattr(subprocess, "run", slow)
    assert ruff_format.run_ruff_format(files) == {}


def test_bool_prefixes_come_from_the_rule_parameter() -> None:
    assert prefixes_param({}) == DEFAULT_PREFIXES
    assert prefixes_param({"bool_prefixes": ("is_", "has_")}) == ("is_", "has_")
    assert prefixes_param({"bool_prefixes": "is_, did_"}) == ("is_", "did_")


def test_size_parameters_change_what_counts_as_a_copy() -> None:
    three = "def a(x):\n    y = x + 1\n    z = y * 2\n    return z\n\n\n"
    clone = three + three.replace("def a", "def b")
    run = run_checks({"app/m.py": clone}, [CodeDuplication], {})
    assert run.hits["code-duplication"] == []
    run = run_checks(
        {"app/m.py": clone}, [CodeDuplication], {"code-duplication": {"min_clone_statements": 3}}
    )
    assert len(run.hits["code-duplication"]) == 1

    models = (
        "from pydantic import BaseModel\n\n"
        "class A(BaseModel):\n    x: int\n    y: int\n\n"
        "class B(BaseModel):\n    x: int\n    y: int\n"
    )
    run = run_checks({"app/s.py": models}, [DuplicatedFields], {})
    assert run.hits["duplicated-fields"] == []
    params = {"duplicated-fields": {"min_shared_fields": 2}}
    run = run_checks({"app/s.py": models}, [DuplicatedFields], params)
    assert len(run.hits["duplicated-fields"]) == 1
