"""Project checks beyond their own cases: parameters, fixture apps, robustness, real shapes."""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path

import pytest

from rulepack.evaluator.checks.base import CheckClass, Hit
from rulepack.evaluator.checks.project import CHECKS
from rulepack.evaluator.checks.project.async_tests_marked import AsyncTestsMarked
from rulepack.evaluator.checks.project.env_example import EnvExample
from rulepack.evaluator.checks.project.graceful_shutdown import GracefulShutdown
from rulepack.evaluator.checks.project.manifests import parse_requirement
from rulepack.evaluator.checks.project.project_layout import ProjectLayout
from rulepack.evaluator.checks.project.semver_version import SemverVersion, is_semver
from rulepack.evaluator.checks.project.test_names import TestNames
from rulepack.evaluator.checks.runner import run_checks
from rulepack.evaluator.samples import directory_sample
from rulepack.rules.model import ParamValue

APPS = Path(__file__).resolve().parents[2] / "fixtures" / "apps"
MAIN = "from fastapi import FastAPI\n\napp = FastAPI()\n"
ROUTER = (
    "from fastapi import APIRouter\n\nrouter = APIRouter(prefix='/users')\n\n\n"
    "@router.get('/{user_id}')\nasync def get_user(user_id: int) -> None:\n    pass\n"
)
SCHEMA = "from pydantic import BaseModel\n\n\nclass UserRead(BaseModel):\n    id: int\n"


def hits(
    check: CheckClass, files: Mapping[str, str], params: Mapping[str, ParamValue] | None = None
) -> list[Hit]:
    sources = {path: text for path, text in files.items() if path.endswith(".py")}
    others = [path for path in files if not path.endswith(".py")]
    texts = {path: files[path] for path in others}
    run = run_checks(sources, [check], {check.id: dict(params or {})}, others, texts)
    assert run.failures == []
    return run.hits[check.id]


def test_by_domain_layout_accepts_feature_packages() -> None:
    files = {
        "app/main.py": MAIN,
        "app/core/config.py": "",
        "app/users/router.py": ROUTER,
        "app/users/schemas.py": SCHEMA,
        "app/orders/router.py": ROUTER.replace("users", "orders"),
    }
    assert hits(ProjectLayout, files, {"layout": "by-domain"}) == []
    # by-type: the project follows the other layout, reported once at the app
    found = hits(ProjectLayout, files)
    assert len(found) == 1
    assert "follows the by-domain layout" in found[0].message


def test_by_domain_layout_reports_missing_parts_and_misplaced_code() -> None:
    files = {
        "app/main.py": MAIN,
        "app/users/service.py": "from app.users.models import UserRead\n"
        + ROUTER.replace("-> None:\n    pass", "-> UserRead:\n    return UserRead(id=user_id)"),
        "app/users/models.py": SCHEMA,
    }
    found = hits(ProjectLayout, files, {"layout": "by-domain"})
    assert len(found) == 3
    assert "`app/core/`" in found[0].message
    assert "`app/<domain>/router.py`" in found[0].message


def test_settings_module_parameter_exempts_its_models() -> None:
    files = {
        "app/main.py": MAIN,
        "app/routers/users.py": "from app.settings import Flags\n"
        + ROUTER.replace("-> None:\n    pass", "-> Flags:\n    return Flags(id=user_id)"),
        "app/schemas/user.py": SCHEMA,
        "app/services/user.py": "",
        "app/core/__init__.py": "",
        "app/settings.py": SCHEMA.replace("UserRead", "Flags"),
    }
    assert len(hits(ProjectLayout, files)) == 1
    assert hits(ProjectLayout, files, {"settings_module": "app/settings.py"}) == []


def test_test_name_pattern_parameter() -> None:
    source = "def test_get_user() -> None:\n    pass\n"
    files = {"tests/test_users.py": source}
    assert len(hits(TestNames, files)) == 1
    assert hits(TestNames, files, {"test_name_pattern": "^test_[a-z_]+$"}) == []


def test_test_name_pattern_must_be_a_regular_expression() -> None:
    with pytest.raises(ValueError, match="test_name_pattern"):
        hits(
            TestNames,
            {"tests/test_x.py": "def test_x() -> None:\n    pass\n"},
            {"test_name_pattern": "("},
        )


def test_exemplary_app_passes_every_project_check() -> None:
    sample = directory_sample(APPS / "exemplary")
    params: dict[str, Mapping[str, ParamValue]] = {check.id: {} for check in CHECKS}
    run = run_checks(sample.readable(), CHECKS, params, sample.other_files, sample.texts)
    found = {check_id: found for check_id, found in run.hits.items() if found}
    assert found == {}


def test_typical_app_breaks_the_rules_its_readme_names() -> None:
    sample = directory_sample(APPS / "typical")
    params: dict[str, Mapping[str, ParamValue]] = {check.id: {} for check in CHECKS}
    run = run_checks(sample.readable(), CHECKS, params, sample.other_files, sample.texts)
    failed = {check_id for check_id, found in run.hits.items() if found}
    expected = {
        "pinned-dependencies",
        "dev-dependencies-separated",
        "env-example",
        "request-id",
        "test-names",
        "error-cases-tested",
    }
    assert expected <= failed
    # Its README gives the install and run commands under "Running": setup is documented.
    assert "readme-setup" not in failed


@pytest.mark.parametrize(
    "text",
    ['[project\nname = "x"\n', "version = 1.0\n[project]\nversion = 2\n", ""],
)
def test_broken_or_odd_pyproject_does_not_crash(text: str) -> None:
    files = {"pyproject.toml": text, "app/main.py": MAIN, "app/x.py": ""}
    for check in CHECKS:
        for hit in hits(check, files):  # reported, if at all, at a file of the sample
            assert hit.path in files, (check.id, hit)
            assert hit.span.line >= 1


def test_a_non_string_version_is_reported() -> None:
    assert len(hits(SemverVersion, {"pyproject.toml": '[project]\nname = "x"\nversion = 2\n'})) == 1


@pytest.mark.parametrize(
    ("version", "expected"),
    [
        ("1.4.0", True),
        ("0.0.0", True),
        ("1.0.0-alpha.1+001", True),
        ("1.0.0rc1", True),
        ("1.0.0.post2", True),
        ("1.4", False),
        ("01.2.3", False),
        ("v1.2.3", False),
        ("2024.1", False),
    ],
)
def test_semver(version: str, expected: bool) -> None:
    assert is_semver(version) is expected


@pytest.mark.parametrize(
    ("line", "name", "pinned"),
    [
        ("fastapi==0.115.6", "fastapi", True),
        ("Pydantic_Settings>=2", "pydantic-settings", False),
        ("uvicorn[standard]==0.34 ; python_version >= '3.10'", "uvicorn", True),
        ("requests  # an HTTP client", "requests", False),
        ("mylib @ https://example.com/mylib-1.0.tar.gz", "mylib", True),
    ],
)
def test_requirement_lines(line: str, name: str, pinned: bool) -> None:
    requirement = parse_requirement("requirements.txt", 1, line)
    assert requirement is not None
    assert (requirement.name, requirement.pinned) == (name, pinned)


@pytest.mark.parametrize("line", ["", "# comment", "-r base.txt", "-e .", "--index-url x"])
def test_requirement_lines_that_are_not_requirements(line: str) -> None:
    assert parse_requirement("requirements.txt", 1, line) is None


def test_lifespan_shapes_seen_in_real_projects() -> None:
    undecorated = (
        "import httpx\nfrom fastapi import FastAPI\n\n\nasync def lifespan(app: FastAPI):\n"
        "    app.state.httpx_client = httpx.AsyncClient()\n    yield\n"
        "    await app.state.httpx_client.aclose()\n"
    )
    assert hits(GracefulShutdown, {"utils/manager.py": undecorated}) == []
    engine_getter = {
        "src/engine.py": (
            "from functools import lru_cache\n\n"
            "from sqlalchemy.ext.asyncio import create_async_engine\n\n\n@lru_cache\n"
            "def get_engine():\n    return create_async_engine('sqlite+aiosqlite://')\n"
        ),
        "src/lifespan.py": (
            "from contextlib import asynccontextmanager\n\nfrom fastapi import FastAPI\n\n"
            "from src.engine import get_engine\n\n\n@asynccontextmanager\n"
            "async def lifespan(app: FastAPI):\n    try:\n        yield\n    finally:\n"
            "        engine = get_engine()\n        await engine.dispose()\n"
        ),
    }
    assert hits(GracefulShutdown, engine_getter) == []


def test_async_mode_in_setup_cfg_and_conftest_hook() -> None:
    test = "async def test_x() -> None:\n    pass\n"
    setup_cfg = {"tests/test_x.py": test, "setup.cfg": "[tool:pytest]\nasyncio_mode = auto\n"}
    assert hits(AsyncTestsMarked, setup_cfg) == []
    hook = (
        "import pytest\n\n\ndef pytest_collection_modifyitems(items):\n"
        "    for item in items:\n        item.add_marker(pytest.mark.anyio)\n"
    )
    assert hits(AsyncTestsMarked, {"tests/test_x.py": test, "tests/conftest.py": hook}) == []


def test_env_example_missing_variables_are_reported_once_each() -> None:
    settings = (
        "import os\n\nfrom pydantic_settings import BaseSettings\n\n\n"
        "class Settings(BaseSettings):\n    database_url: str\n\n\n"
        "URL = os.getenv('DATABASE_URL')\nTOKEN = os.getenv('API_TOKEN')\n"
    )
    files = {"app/config.py": settings, "app/main.py": MAIN, ".env.example": "X=1\n"}
    found = hits(EnvExample, files)
    keys = [match.group(1) for hit in found if (match := re.search(r"reads `(\w+)`", hit.message))]
    assert keys == ["DATABASE_URL", "API_TOKEN"]
