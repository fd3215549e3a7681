"""routes-tested: routes that no test calls through the test client (project check)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

from rulepack.evaluator.checks.base import Case, Hit, ProjectCheck
from rulepack.evaluator.checks.facts import RouteFact
from rulepack.evaluator.checks.project.endpoints import RouteTarget, TestSuite, route_targets
from rulepack.evaluator.checks.project.support import is_project

ROUTER = (
    "from fastapi import APIRouter, status\n\nrouter = APIRouter(prefix='/users')\n\n\n"
    "@router.get('/{user_id}')\nasync def get_user(user_id: int) -> dict[str, int]:\n"
    "    return {'id': user_id}\n\n\n"
    "@router.post('', status_code=status.HTTP_201_CREATED)\n"
    "async def create_user() -> dict[str, int]:\n    return {'id': 1}\n\n\n"
    "@router.delete('/{user_id}', status_code=204)\nasync def delete_user(user_id: int) -> None:\n"
    "    return None\n"
)
MAIN = (
    "from fastapi import FastAPI\n\nfrom app.routers import users\n\napp = FastAPI()\n"
    "app.include_router(users.router, prefix='/api/v1')\n"
)
TESTS_HEAD = (
    "import pytest\nfrom fastapi.testclient import TestClient\n\nfrom app.main import app\n\n"
    "client = TestClient(app)\nBASE = '/api/v1/users'\n\n\n"
)


def routes_by_handler(targets: list[RouteTarget]) -> dict[tuple[str, RouteFact], list[RouteTarget]]:
    """Targets grouped by route (a route mounted twice has two paths)."""
    grouped: dict[tuple[str, RouteFact], list[RouteTarget]] = {}
    for target in targets:
        grouped.setdefault((target.module_path, target.route), []).append(target)
    return grouped


def describe(targets: list[RouteTarget]) -> str:
    """``GET /api/v1/users/{user_id}`` (every path of the route)."""
    method = targets[0].route.method.upper().replace("API_ROUTE", "*")
    return " or ".join(f"`{method} {target.display}`" for target in targets)


class RoutesTested(ProjectCheck):
    """Routes that no test calls.

    ## What it does
    Composes every route's full path (as ``unversioned-routes`` does) and looks for a call of
    its method and path in the test files (``tests/``, ``test_*.py``, ``conftest.py``):
    ``client.get/post/put/patch/delete/head/options("/path")``, ``client.request("GET", ...)``,
    ``websocket_connect`` for websockets, or ``url_path_for("handler")``. Path parameters match
    any segment; f-string parts match any segment; an unresolved leading part (``f"{API}/x"``) or
    a router mounted where the check cannot see matches by the path's tail; a path held in a
    variable matches the path literals of its test (``parametrize`` lists). It reports each route
    no test reaches, and once at the app when the project has no test file at all (a lone module
    without tests is a snippet and is not judged).

    ## Why is this bad?
    Integration tests exercise routing, validation, dependencies and serialization together; an
    endpoint no test calls can break without anyone noticing.
    """

    id = "routes-tested"
    summary = "route not called by any test"
    good: ClassVar[tuple[Case, ...]] = (
        Case(
            files={
                "app/main.py": MAIN,
                "app/routers/users.py": ROUTER,
                "tests/test_users.py": TESTS_HEAD + "def test_get() -> None:\n"
                "    user_id = 1\n    url = f'{BASE}/{user_id}'\n"
                "    assert client.get(url).status_code == 200\n\n\n"
                "def test_create() -> None:\n"
                "    assert client.post(BASE + '/', json={}).status_code == 201\n\n\n"
                "@pytest.mark.parametrize('path', ['/api/v1/users/1', '/api/v1/users/2'])\n"
                "def test_delete(path: str) -> None:\n"
                "    assert client.request('DELETE', path).status_code == 204\n",
            },
            hits=0,
            note="f-strings, constants, concatenation, a trailing slash, parametrized paths",
        ),
        Case(
            files={
                "app/main.py": MAIN.replace("prefix='/api/v1'", "prefix=settings.API_V1_STR"),
                "app/routers/users.py": ROUTER,
                "tests/api/test_users.py": (
                    "from app.core.config import settings\n\n\n"
                    "async def test_users(client, user) -> None:\n"
                    "    await client.get(f'{settings.API_V1_STR}/users/{user.id}')\n"
                    "    await client.post(f'{settings.API_V1_STR}/users?notify=1', json={})\n"
                    "    await client.delete(client.app.url_path_for('delete_user', user_id=1))\n"
                ),
            },
            hits=0,
            note="a computed prefix on both sides, a query string, url_path_for",
        ),
        Case(
            files={
                "app/main.py": MAIN,
                "app/routers/users.py": ROUTER,
                "tests/conftest.py": (
                    "import httpx\nimport pytest\n\nfrom app.main import app\n\n\n"
                    "@pytest.fixture\nasync def client():\n"
                    "    transport = httpx.ASGITransport(app=app)\n"
                    "    async with httpx.AsyncClient(transport=transport, "
                    "base_url='http://test/api/v1') as c:\n        yield c\n"
                ),
                "tests/test_users.py": (
                    "async def test_users(client) -> None:\n    await client.get('/users/1')\n"
                    "    await client.post('/users')\n    await client.delete('/users/1')\n"
                ),
            },
            hits=0,
            note="paths relative to a base_url with the API prefix",
        ),
        Case(
            files={
                "app/main.py": MAIN.replace("prefix='/api/v1'", "prefix=API_PREFIX"),
                "app/routers/users.py": (
                    "from fastapi import APIRouter\n\nrouter = APIRouter()\n\n\n"
                    "@router.get('', name='users:get-current-user')\n"
                    "async def retrieve() -> None:\n    pass\n\n\n"
                    "@router.put('', name='users:update-current-user')\n"
                    "async def update() -> None:\n    pass\n"
                ),
                "tests/test_users.py": (
                    "import pytest\n\n\n@pytest.mark.parametrize(\n    'api_method, route_name',\n"
                    "    (('GET', 'users:get-current-user'), ('PUT', 'users:update-current-user')),"
                    "\n)\nasync def test_forbidden(app, client, api_method, route_name) -> None:\n"
                    "    url = app.url_path_for(route_name)\n"
                    "    response = await client.request(api_method, url)\n"
                    "    assert response.status_code == 403\n"
                ),
            },
            hits=0,
            note="routes named with name=, reached by url_path_for of parametrized names",
        ),
        Case(
            files={
                "app/main.py": MAIN,
                "app/routers/users.py": ROUTER,
                "tests/support/paths.py": (
                    "base = '/api/v1'\nusers = '/api/v1/users'\n\n\n"
                    'def one_user(user_id):\n    """A user\'s URL."""\n'
                    "    return f'{base}/users/{user_id}'\n"
                ),
                "tests/test_users.py": (
                    "from tests.support import paths\n"
                    "from tests.support.paths import one_user\n\n\n"
                    "def test_users(client, mine) -> None:\n    for target in (paths.users,):\n"
                    "        client.post(target, json={})\n"
                    "    if mine:\n        url = paths.one_user(7)\n    else:\n"
                    "        url = paths.one_user(8)\n    client.get(url)\n"
                    "    client.delete(one_user(7))\n"
                ),
            },
            hits=0,
            note="paths imported from a test helper module: constants and path-building "
            "functions; a path variable assigned in both branches of an if; a loop over paths",
        ),
        Case(
            files={
                "app/routing.py": "from fastapi import APIRouter as Base\n\n\n"
                "class TaggedRouter(Base):\n    pass\n",
                "app/grants.py": "from app.routing import TaggedRouter\n\n"
                "router = TaggedRouter(prefix='/grants')\n\n\n@router.get('/')\n"
                "async def list_grants() -> list[int]:\n    return []\n",
                "app/api.py": "from fastapi import APIRouter\n\n"
                "from app.grants import router as grants\n\n"
                "router = APIRouter(prefix='/v1')\nrouter.include_router(grants)\n",
                "app/main.py": "from fastapi import FastAPI\n\nfrom app.api import router\n\n"
                "app = FastAPI()\napp.include_router(router)\n",
                "tests/test_grants.py": "async def test_list(client) -> None:\n"
                "    await client.get('/v1/grants/')\n",
            },
            hits=0,
            note="a router of the project's own APIRouter subclass keeps its prefix when mounted",
        ),
        Case(
            files={
                "app/main.py": MAIN,
                "app/routers/users.py": ROUTER,
                "tests/test_resources.py": (
                    "import pytest\n\n\ndef api(path: str) -> str:\n    return f'/api/v1{path}'\n"
                    "\n\nclass Resource:\n    base = '/'\n\n    @classmethod\n"
                    "    def one(cls, key: int) -> str:\n        return f'{cls.base}/{key}'\n\n\n"
                    "class Users(Resource):\n    base = api('/users')\n\n\n"
                    "@pytest.mark.parametrize('kind', [Users])\n"
                    "def test_resources(client, kind) -> None:\n    client.post(kind.base)\n"
                    "    client.get(kind.one(1))\n    client.delete(kind.one(1))\n"
                ),
            },
            hits=0,
            note="parametrized route classes: attributes and methods built from inherited ones",
        ),
        Case.good(
            TESTS_HEAD + "def test_x() -> None:\n    client.get('/x')\n",
            path="tests/test_x.py",
            note="no routes in the sample: not applicable",
        ),
        Case.good(ROUTER, path="main.py", note="a lone module without tests is a snippet"),
    )
    bad: ClassVar[tuple[Case, ...]] = (
        Case(
            files={
                "app/main.py": MAIN,
                "app/routers/users.py": ROUTER,
                "tests/test_users.py": TESTS_HEAD + "def test_get() -> None:\n"
                "    assert client.get('/api/v1/users/1').status_code == 200\n"
                "    assert client.get('/users').status_code == 404\n"
                "    client.post('/api/v1/users/1')\n",
            },
            hits=2,
            note="POST and DELETE untested; an unversioned path and another method do not count",
        ),
        Case(
            files={
                "app/main.py": MAIN + "\n\n@app.get('/health')\nasync def health() -> dict:\n"
                "    return {}\n",
                "app/routers/users.py": ROUTER,
            },
            hits=1,
            note="no test file at all: reported once",
        ),
        Case(
            files={
                "app/routers/groups.py": (
                    "from fastapi import APIRouter\n\nrouter = APIRouter()\n\n\n"
                    "@router.get('/groups/reports')\nasync def all_reports() -> list[int]:\n"
                    "    return []\n\n\n@router.get('/admin/groups/{group_id}')\n"
                    "async def one_group(group_id: int) -> int:\n    return group_id\n"
                ),
                "tests/test_groups.py": (
                    "def test_group(client, group_id) -> None:\n"
                    "    client.get(f'/api/admin/groups/{group_id}')\n"
                ),
            },
            hits=1,
            note="a router mounted where the check cannot see: the formatted tail of a call "
            "matches a path parameter, not the literal `reports`",
        ),
    )

    def applies(self) -> bool:
        """Samples with routes whose paths are known, and tests or the shape of a project.

        A lone module with routes is a snippet: its missing tests are not judged.
        """
        if not route_targets(self.project):
            return False
        return bool(TestSuite.of(self.project).test_files) or is_project(self.project)

    def run(self) -> Iterator[Hit]:
        """Report each route no test calls (or once when there are no tests)."""
        targets = route_targets(self.project)
        suite = TestSuite.of(self.project)
        grouped = routes_by_handler(targets)
        if not suite.test_files:
            (module_path, route), _ = next(iter(grouped.items()))
            app = next((m for m in self.project.modules if m.apps), None)
            path, span = (app.path, app.apps[0].span) if app else (module_path, route.span)
            yield Hit(
                path,
                span,
                f"the project has no tests for its {len(grouped)} route(s); add tests/ with a "
                "test per route that calls it through TestClient or httpx.AsyncClient",
            )
            return
        for (module_path, route), paths in grouped.items():
            if any(any(suite.calls_of(target)) for target in paths):
                continue
            yield Hit(
                module_path,
                route.span,
                f"no test calls {describe(paths)} (`{route.function}`); add a test that calls it "
                "through the test client and asserts the status and body",
            )
