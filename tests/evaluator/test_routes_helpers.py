"""Helpers of the route checks: path templates, verbs, names, auth paths, sample look-ups."""

from __future__ import annotations

import pytest

from rulepack.evaluator.checks.routes.handlers import path_params
from rulepack.evaluator.checks.routes.missing_auth_on_mutation import (
    MissingAuthOnMutation,
    auth_like,
    ends_with,
    public_paths,
)
from rulepack.evaluator.checks.routes.naming import snake, squashed
from rulepack.evaluator.checks.routes.verb_in_path import path_problems, segment_problem
from rulepack.evaluator.checks.runner import run_checks


@pytest.mark.parametrize(
    ("path", "names"),
    [
        ("/items/{item_id}", {"item_id"}),
        ("/files/{path:path}/{rev}", {"path", "rev"}),
        ("/items/{item.id}", set()),
        ("/items", set()),
    ],
)
def test_path_params(path: str, names: set[str]) -> None:
    assert path_params(path) == names


@pytest.mark.parametrize(
    ("segment", "verb"),
    [
        ("getOrder", True),
        ("create", True),
        ("delete-user", True),
        ("list_items", True),
        ("lineItems", True),
        ("post", False),
        ("posts", False),
        ("settings", False),
        ("updates", False),
        ("add-ons", False),
        ("{orderId}", False),
        ("line-items", False),
    ],
)
def test_segment_problem(segment: str, verb: bool) -> None:
    assert (segment_problem(segment) is not None) is verb


def test_docs_paths_are_not_judged() -> None:
    assert path_problems("/openapi.json") == []
    assert len(path_problems("/getUsers/{id}/create")) == 2


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("CurrentUserDep", "current_user_dep"),
        ("getDb", "get_db"),
        ("OAuth2Scheme", "o_auth2_scheme"),
    ],
)
def test_snake(name: str, expected: str) -> None:
    assert snake(name) == expected


def test_squashed() -> None:
    assert squashed("SessionLocal") == squashed("session_local") == "sessionlocal"


def test_public_paths_and_endings() -> None:
    assert public_paths(("/login", "/token")) == ("/login", "/token")
    assert public_paths("/login, /register") == ("/login", "/register")
    assert ends_with("/api/v1/auth/login/", "/login")
    assert ends_with("/token", "token")
    assert not ends_with("/relogin", "/login")
    assert not ends_with("/orders", "/")


@pytest.mark.parametrize(
    ("name", "auth"),
    [
        ("app.deps.get_current_user", True),
        ("CurrentUserDep", True),
        ("require_admin", True),
        ("oauth2_scheme", True),
        ("app.deps.get_db", False),
        ("UserServiceDep", False),
        (None, False),
    ],
)
def test_auth_like(name: str | None, auth: bool) -> None:
    assert auth_like(name) is auth


def test_alias_re_exported_through_another_module() -> None:
    files = {
        "app/security.py": (
            "from typing import Annotated\n\nfrom fastapi import Depends\n\n\n"
            "def resolve() -> str:\n    return ''\n\n\nWho = Annotated[str, Depends(resolve)]\n"
        ),
        "app/deps.py": "from app.security import Who as Person\n",
        "app/routers.py": (
            "from fastapi import APIRouter\n\nfrom app.deps import Person\n\n"
            "router = APIRouter(prefix='/orders')\n\n\n"
            "@router.post('', status_code=201)\nasync def create(who: Person) -> None:\n"
            "    pass\n"
        ),
    }
    run = run_checks(files, [MissingAuthOnMutation], {})
    messages = [hit.message for hit in run.hits[MissingAuthOnMutation.id]]
    assert len(messages) == 1, "the alias resolves to `resolve`, which is not an auth dependency"
    files["app/security.py"] = files["app/security.py"].replace("resolve", "get_current_user")
    run = run_checks(files, [MissingAuthOnMutation], {})
    assert run.hits[MissingAuthOnMutation.id] == []
