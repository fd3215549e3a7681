"""Evaluating any directory of a project gives the findings of its project root.

The fixture is a uv workspace in a git repository: the lock file, ``docker/.env.example`` and
``tests/`` sit at the repository root, the member ``packages/api`` has its own pyproject and a src
layout, and the router gets its prefix and its auth dependency where ``main.py`` includes it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path

import pytest
from typer.testing import CliRunner

from rulepack.cli import app
from rulepack.evaluator.engine import EvalOptions, evaluate
from rulepack.evaluator.pyversion import PythonVersion
from rulepack.evaluator.roots import find_project_root, find_repository_root
from rulepack.evaluator.samples import directory_sample, discover
from rulepack.rules.loader import load_pack, resolve_pack_dir

WORKSPACE = {
    ".git/HEAD": "ref: refs/heads/main\n",
    "pyproject.toml": '[tool.uv.workspace]\nmembers = ["packages/*"]\n',
    "uv.lock": 'version = 1\nrequires-python = ">=3.12"\n',
    ".python-version": "3.12\n",
    "docker/.env.example": "# Async SQLAlchemy DSN.\nDATABASE_URL=postgresql://app@db/app\n"
    "# Signs the access tokens.\nSECRET_KEY=change-me\n",
    "tests/test_items.py": (
        "from fastapi.testclient import TestClient\n\nfrom api.main import app\n\n"
        "client = TestClient(app)\n\n\n"
        "def test_should_list_items_when_logged_in() -> None:\n"
        "    response = client.get('/api/v1/items', headers={'Authorization': 'Bearer t'})\n"
        "    assert response.status_code == 200\n\n\n"
        "def test_should_report_ok_when_alive() -> None:\n"
        "    assert client.get('/health').status_code == 200\n\n\n"
        "def test_should_return_401_when_token_missing() -> None:\n"
        "    assert client.post('/api/v1/items', json={'name': 'x'}).status_code == 401\n"
    ),
    "packages/api/pyproject.toml": (
        '[project]\nname = "api"\nversion = "0.1.0"\nrequires-python = ">=3.11"\n'
        'dependencies = ["fastapi>=0.115", "pydantic-settings>=2.4"]\n'
    ),
    "packages/api/README.md": "# api\n",
    "packages/api/src/api/__init__.py": "",
    "packages/api/src/api/config.py": (
        "from pydantic_settings import BaseSettings\n\n\nclass Settings(BaseSettings):\n"
        '    """Settings read from the environment."""\n\n'
        "    database_url: str\n    secret_key: str\n\n\nsettings = Settings()\n"
    ),
    "packages/api/src/api/deps.py": (
        "from typing import Annotated\n\nfrom fastapi import Header, HTTPException, status\n\n"
        "from api.config import settings\n\n\n"
        "async def require_user(authorization: Annotated[str, Header()]) -> str:\n"
        '    """The caller, from a bearer token."""\n'
        "    if authorization != f'Bearer {settings.secret_key}':\n"
        "        raise HTTPException(status_code=status.HTTP_401_UNAUTHORIZED)\n"
        "    return authorization\n"
    ),
    "packages/api/src/api/schemas.py": (
        "from pydantic import BaseModel, Field\n\n\nclass Item(BaseModel):\n"
        '    """An item."""\n\n    name: str = Field(description="What the item is called.")\n'
    ),
    "packages/api/src/api/routes.py": (
        "from fastapi import APIRouter, status\n\nfrom api.schemas import Item\n\n"
        "router = APIRouter(tags=['items'])\n\n\n"
        "@router.get('/items')\nasync def list_items() -> list[Item]:\n"
        '    """Every item."""\n    return []\n\n\n'
        "@router.post('/items', status_code=status.HTTP_201_CREATED)\n"
        "async def create_item(item: Item) -> Item:\n"
        '    """Store an item."""\n    return item\n'
    ),
    "packages/api/src/api/main.py": (
        "from fastapi import Depends, FastAPI\n\nfrom api.deps import require_user\n"
        "from api.routes import router\n\n"
        "app = FastAPI(title='api')\n"
        "app.include_router(router, prefix='/api/v1', dependencies=[Depends(require_user)])\n\n\n"
        "@app.get('/health')\nasync def health() -> dict[str, str]:\n"
        '    """Liveness."""\n    return {"status": "ok"}\n'
    ),
}
NAMED = ("packages/api/src/api", "packages/api/src", "packages/api")
ABSENCE_MESSAGES = ("no lock file", "no .env.example", "no tests for", "no dependency manifest")

runner = CliRunner()


def write_tree(root: Path, files: Mapping[str, str]) -> Path:
    """Write ``files`` (relative path -> text) below ``root``."""
    for relative, text in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_tree(tmp_path_factory.mktemp("repo"), WORKSPACE)


def evaluate_cli(target: Path, cache: Path, *extra: str) -> tuple[dict[str, object], str]:
    """Run ``rulepack eval TARGET -f json`` through the CLI; the report and stderr."""
    result = runner.invoke(app, ["eval", str(target), "-f", "json", "--no-cache", *extra])
    assert result.exit_code in {0, 1}, result.output
    report: dict[str, object] = json.loads(result.stdout)
    return report, result.stderr


def sample_of(report: Mapping[str, object]) -> dict[str, object]:
    samples = report["samples"]
    assert isinstance(samples, list)
    assert len(samples) == 1
    sample: dict[str, object] = samples[0]
    return sample


def findings(sample: Mapping[str, object]) -> list[tuple[str, str, int]]:
    found = sample["findings"]
    assert isinstance(found, list)
    return sorted((str(f["rule_id"]), str(f["path"]), int(f["line"])) for f in found)


def messages(sample: Mapping[str, object]) -> list[str]:
    found = sample["findings"]
    assert isinstance(found, list)
    return [str(f["message"]) for f in found]


@pytest.fixture(scope="module")
def reports(
    repo: Path, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, tuple[dict[str, object], str]]:
    cache = tmp_path_factory.mktemp("cache")
    return {named: evaluate_cli(repo / named, cache, "--no-mypy") for named in NAMED}


def test_any_directory_of_the_project_gives_the_same_findings(
    reports: dict[str, tuple[dict[str, object], str]],
) -> None:
    by_name = {named: findings(sample_of(report)) for named, (report, _) in reports.items()}
    first = by_name[NAMED[0]]
    assert first, "the fixture has findings to compare"
    assert all(found == first for found in by_name.values())
    assert all(path.startswith("src/api/") or "/" not in path for _, path, _ in first)


def test_the_sample_is_named_after_the_project_and_read_from_its_root(
    repo: Path, reports: dict[str, tuple[dict[str, object], str]]
) -> None:
    root = (repo / "packages" / "api").resolve()
    for named, (report, stderr) in reports.items():
        sample = sample_of(report)
        assert sample["name"] == "api"
        assert sample["root"] == str(root)
        assert sample["files"] == 6
        note = f"evaluating {root} as the project root of {(repo / named).resolve()}"
        assert (note in stderr) is (named != "packages/api"), stderr


def test_files_above_the_root_are_not_reported_missing(
    reports: dict[str, tuple[dict[str, object], str]],
) -> None:
    sample = sample_of(reports[NAMED[0]][0])
    for message in messages(sample):
        assert not any(absent in message for absent in ABSENCE_MESSAGES), message
    codes = {str(f["code"]) for f in sample["findings"]}  # type: ignore[attr-defined]
    assert not codes & {"dependency-manifest", "pinned-dependencies", "env-example"}
    assert "routes-tested" not in codes  # the root tests/ call both routes


def test_include_level_prefix_and_auth_reach_the_routes(
    repo: Path, reports: dict[str, tuple[dict[str, object], str]], tmp_path: Path
) -> None:
    codes = {str(f["code"]) for f in sample_of(reports[NAMED[0]][0])["findings"]}  # type: ignore[attr-defined]
    assert "missing-auth-on-mutation" not in codes
    # Read as a project of its own (the old behaviour), the package's own imports do not
    # resolve, and the report says so. (missing-auth-on-mutation now finds the include-level
    # auth even then, reading the package by its directory name, so it is no longer the control.)
    alone = directory_sample(repo / "packages/api/src/api")
    options = EvalOptions(use_mypy=False, use_cache=False, cache_dir=tmp_path)
    old = evaluate(load_pack(resolve_pack_dir(None)), [alone], options).samples[0]
    assert any("do not resolve" in note for note in old.notes)


def test_mypy_runs_from_the_project_root(repo: Path, tmp_path: Path) -> None:
    report, _ = evaluate_cli(repo / "packages/api/src", tmp_path)
    sample = sample_of(report)
    assert sample["tool_errors"] == []
    mypy_paths = {
        str(f["path"])
        for f in [*sample["findings"], *sample["unbound"]]  # type: ignore[misc]
        if f["tool"] == "mypy"
    }
    assert all(path.startswith("src/api/") for path in mypy_paths)
    codes = {str(f["code"]) for f in sample["unbound"]}  # type: ignore[attr-defined]
    assert "import-not-found" not in codes  # `api.*` resolves from the root


def test_the_target_python_comes_from_the_project_then_the_workspace(repo: Path) -> None:
    (sample,) = discover([repo / "packages/api/src/api"])
    assert sample.python == PythonVersion(3, 11)
    (single,) = discover([repo / "packages/api/src/api/main.py"])
    assert single.python == PythonVersion(3, 11)
    assert single.name == "main.py"
    assert [source.path for source in single.sources] == ["main.py"]
    assert single.context_files == ()


def test_without_requires_python_the_workspace_python_version_counts(tmp_path: Path) -> None:
    files = {**WORKSPACE, "packages/api/pyproject.toml": '[project]\nname = "api"\n'}
    repo = write_tree(tmp_path, files)
    (sample,) = discover([repo / "packages/api"])
    assert sample.python == PythonVersion(3, 12)
    assert sample.pyprojects()[0] == ("pyproject.toml", '[project]\nname = "api"\n')
    assert sample.pyprojects()[1][0] == "../../pyproject.toml"


def test_context_lists_the_files_above_the_root(repo: Path) -> None:
    (sample,) = discover([repo / "packages/api/src"])
    assert set(sample.context_files) >= {
        "../../uv.lock",
        "../../pyproject.toml",
        "../../.python-version",
        "../../docker/.env.example",
        "../../tests/test_items.py",
    }
    assert not any(".git" in path for path in sample.context_files)
    assert sample.context_sources == ()  # every Python file of the root is below src


def test_samples_dir_keeps_each_subdirectory_as_its_own_project(repo: Path) -> None:
    (sample,) = discover([], repo / "packages")
    assert sample.name == "api"  # the directory, not the pyproject (here both are `api`)
    assert sample.root == repo / "packages" / "api"
    assert sample.context_files == ()
    assert sample.notes == ()


@pytest.mark.parametrize(
    ("files", "named", "expected"),
    [
        ({"backend/pyproject.toml": "", "backend/app/__init__.py": ""}, "backend/app", "backend"),
        ({"app/main.py": "", "app/routers/__init__.py": ""}, "app/routers", "app"),
        ({"pyproject.toml": "", "docs/conf/notes.txt": ""}, "docs/conf", None),
        ({"proj/app/__init__.py": "", "proj/app/api/__init__.py": ""}, "proj/app/api", "proj"),
        ({"pyproject.toml": "", "fixtures/apps/demo/main.py": ""}, "fixtures/apps/demo", None),
        ({"pyproject.toml": "", "repo/.git": "gitdir: x\n", "repo/main.py": ""}, "repo", None),
    ],
    ids=[
        "manifest-above-package",
        "above-package",
        "no-code",
        "package-chain",
        "fixture-tree",
        "git-stops",
    ],
)
def test_project_root(
    tmp_path: Path, files: dict[str, str], named: str, expected: str | None
) -> None:
    write_tree(tmp_path, files)
    root, _ = find_project_root(tmp_path / named)
    assert root == (tmp_path / (expected or named)).resolve()


def test_repository_root_stops_at_git_or_workspace(tmp_path: Path) -> None:
    write_tree(tmp_path, {"a/.git/HEAD": "", "a/b/c/pyproject.toml": ""})
    assert find_repository_root((tmp_path / "a/b/c").resolve()) == (tmp_path / "a").resolve()
    lonely = write_tree(tmp_path / "lonely", {"pyproject.toml": ""})
    assert find_repository_root(lonely.resolve()) == lonely.resolve()


def test_unresolved_own_imports_are_noted_once(tmp_path: Path) -> None:
    root = write_tree(
        tmp_path,
        {
            "pyproject.toml": '[project]\nname = "svc"\n',
            "app/__init__.py": "",
            "app/main.py": "from app.core.db import engine\nfrom app.models import User\n"
            "import app.missing\nimport fastapi\n",
            "app/models.py": "",
        },
    )
    (sample,) = discover([root / "app"])
    (note,) = (n for n in sample.notes if "do not resolve" in n)
    assert note.startswith("2 import(s) of the project's own packages do not resolve")
    assert "`app.core.db` (app/main.py:1)" in note
    assert sample.name == "svc"


def test_the_table_report_shows_the_note(repo: Path) -> None:
    named = repo / "packages/api/src"
    result = runner.invoke(app, ["eval", str(named), "--no-mypy", "--no-cache", "--select", "DEP"])
    assert result.exit_code in {0, 1}, result.output
    assert "note: evaluating" in " ".join(result.stdout.split())
    assert "note:" not in result.stderr  # said once, in the table


def test_a_directory_inside_a_skipped_one_is_read_as_it_is(tmp_path: Path) -> None:
    write_tree(tmp_path, {"pyproject.toml": "", "build/gen/main.py": "x = 1\n"})
    (sample,) = discover([tmp_path / "build/gen"])
    assert [source.path for source in sample.sources] == ["main.py"]
