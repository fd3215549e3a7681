"""test-client-used: tests that call a running server instead of the app in-process."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from typing import ClassVar

from rulepack.evaluator.checks.ast_facts import walk
from rulepack.evaluator.checks.base import Case, Hit, ProjectCheck
from rulepack.evaluator.checks.imports import ImportMap
from rulepack.evaluator.checks.project.endpoints import HTTP_METHODS, PathEvaluator, TestSuite
from rulepack.evaluator.checks.project.support import (
    ast_span,
    basename,
    functions,
    imports_of,
    is_test_path,
    module_constants,
    qualified,
)

IN_PROCESS = frozenset(
    {
        "fastapi.testclient.TestClient",
        "starlette.testclient.TestClient",
        "httpx.ASGITransport",
        "httpx.WSGITransport",
        "httpx._transports.asgi.ASGITransport",
        "asgi_lifespan.LifespanManager",
        "async_asgi_testclient.TestClient",
    }
)
NETWORK_FUNCTIONS = frozenset(
    {f"{module}.{method}" for module in ("requests", "httpx") for method in HTTP_METHODS}
    | {"requests.request", "httpx.request", "httpx.stream", "urllib.request.urlopen"}
)
NETWORK_CLIENTS = frozenset(
    {"httpx.Client", "httpx.AsyncClient", "requests.Session", "aiohttp.ClientSession"}
)
IN_PROCESS_KEYWORDS = frozenset({"transport", "app"})
LOCAL_URL = re.compile(r"^https?://(localhost|127\.0\.0\.1|0\.0\.0\.0|\[::1\])([:/]|$)")

_GOOD = (
    "from fastapi import status\nfrom fastapi.testclient import TestClient\n\n"
    "from app.main import app\n\nclient = TestClient(app)\n\n\n"
    "def test_should_return_user_when_id_exists() -> None:\n"
    "    response = client.get('/api/v1/users/1')\n"
    "    assert response.status_code == status.HTTP_200_OK\n"
)
_REQUESTS = (
    "import requests\n\n\ndef test_should_return_user_when_id_exists() -> None:\n"
    "    response = requests.get('http://localhost:8000/api/v1/users/1', timeout=5)\n"
    "    assert response.status_code == 200\n"
)
_FIXTURE_TEST = (
    "async def test_should_list_items_when_logged_in(client) -> None:\n"
    "    response = await client.get('/api/v1/items')\n    assert response.status_code == 200\n"
)


def _network_calls(path: str, tree: ast.Module) -> Iterator[tuple[ast.Call, str]]:
    """``(call, url)`` of requests/httpx calls and clients aimed at a local server."""
    imports = imports_of(path, tree)
    constants = module_constants(tree)
    scopes: list[ast.AST] = [tree, *functions(tree)]
    seen: set[int] = set()
    for scope in scopes:
        local = {
            node.targets[0].id: node.value
            for node in ast.walk(scope)
            if isinstance(node, ast.Assign)
            and len(node.targets) == 1
            and isinstance(node.targets[0], ast.Name)
        }
        evaluator = PathEvaluator(constants, local)
        for node in ast.walk(scope):
            if isinstance(node, ast.Call) and id(node) not in seen:
                url = _local_url(node, imports, evaluator)
                if url is not None:
                    seen.add(id(node))
                    yield node, url


def _local_url(call: ast.Call, imports: ImportMap, evaluator: PathEvaluator) -> str | None:
    name = qualified(imports, call.func)
    if name in NETWORK_FUNCTIONS:
        target = call.args[0] if call.args else None
        target = target or next((k.value for k in call.keywords if k.arg == "url"), None)
    elif name in NETWORK_CLIENTS and not any(k.arg in IN_PROCESS_KEYWORDS for k in call.keywords):
        target = next((k.value for k in call.keywords if k.arg == "base_url"), None)
    else:
        return None
    text = evaluator.text(target) if target is not None else None
    return text if text is not None and LOCAL_URL.match(text) else None


def is_script(tree: ast.Module) -> bool:
    """Whether a module is a script run by hand rather than a test module.

    It is when it has an ``if __name__ == "__main__":`` block and no ``test_*`` function: a load
    or smoke script named ``*_test.py`` that must reach a running server by design.
    """
    main = any(
        isinstance(node, ast.If)
        and isinstance(node.test, ast.Compare)
        and isinstance(node.test.left, ast.Name)
        and node.test.left.id == "__name__"
        for node in tree.body
    )
    return main and not any(function.name.startswith("test") for function in functions(tree))


def _in_process(name: str | None) -> bool:
    """An in-process client: the known ones, or any package's ``TestClient``."""
    return name is not None and (name in IN_PROCESS or name.endswith(".TestClient"))


def _uses_in_process_client(path: str, tree: ast.Module) -> bool:
    """Whether a module names TestClient, ASGITransport or ``AsyncClient(app=...)``."""
    imports = imports_of(path, tree)
    if any(_in_process(target) for target in imports.names.values()):
        return True
    for node in walk(tree):
        if isinstance(node, ast.Attribute | ast.Name) and _in_process(qualified(imports, node)):
            return True
        if (
            isinstance(node, ast.Call)
            and qualified(imports, node.func) == "httpx.AsyncClient"
            and any(k.arg == "app" for k in node.keywords)
        ):
            return True
    return False


class TestClientUsed(ProjectCheck):
    """Tests that call endpoints over the network instead of in-process.

    ## What it does
    Reports, in the test files, ``requests``/``httpx`` calls (``requests.get``, ``httpx.post``,
    ``urllib.request.urlopen`` ...) and ``httpx.Client``/``AsyncClient``/``requests.Session``
    clients whose URL or ``base_url`` points at ``localhost``, ``127.0.0.1``, ``0.0.0.0`` or
    ``[::1]`` (literals, f-strings and module constants are read). It also reports, once, tests
    that call endpoints (``client.get("/path")``) when nothing in the sample uses
    ``fastapi.testclient.TestClient`` (or another package's ``TestClient``, such as
    ``async_asgi_testclient``), ``httpx.ASGITransport`` or ``AsyncClient(app=...)``, and
    the sample holds the app or a ``conftest.py`` (so that the client fixture would be visible).

    ## Why is this bad?
    Tests against a running server need it started, share its state and database, are slow and
    flaky, and cannot override dependencies; the in-process clients run the app directly.
    """

    __test__ = False  # not a pytest test class
    id = "test-client-used"
    summary = "tests call a server over the network instead of the in-process test client"
    good: ClassVar[tuple[Case, ...]] = (
        Case.good(_GOOD, path="tests/test_users.py"),
        Case(
            files={
                "tests/conftest.py": (
                    "import httpx\nimport pytest\n\nfrom app.main import app\n\n\n"
                    "@pytest.fixture\nasync def client():\n"
                    "    transport = httpx.ASGITransport(app=app)\n"
                    "    async with httpx.AsyncClient(transport=transport, "
                    "base_url='http://localhost') as c:\n        yield c\n"
                ),
                "tests/test_items.py": _FIXTURE_TEST,
            },
            hits=0,
            note="an ASGITransport client (its base_url may be localhost)",
        ),
        Case.good(
            "import requests\n\n\ndef hammer(count: int) -> None:\n"
            "    for _ in range(count):\n"
            "        requests.get('http://localhost:8000/api/items', timeout=5)\n\n\n"
            "if __name__ == '__main__':\n    hammer(1000)\n",
            path="scripts/load_test.py",
            note="a load script named *_test.py, run by hand against a live server",
        ),
        Case.good(
            "import httpx\n\n\ndef test_should_fetch_when_mocked(respx_mock) -> None:\n"
            "    respx_mock.get('https://api.example.com/x')\n"
            "    httpx.get('https://api.example.com/x')\n",
            path="tests/test_client.py",
            note="a mocked call to a remote host is not a call to the app",
        ),
        Case.good(
            _FIXTURE_TEST, path="tests/test_items.py", note="the fixture is not in the sample"
        ),
    )
    bad: ClassVar[tuple[Case, ...]] = (
        Case.bad(_REQUESTS, path="tests/test_users.py"),
        Case(
            files={
                "tests/conftest.py": (
                    "import httpx\nimport pytest\n\nBASE_URL = 'http://127.0.0.1:8000'\n\n\n"
                    "@pytest.fixture\ndef client():\n"
                    "    with httpx.Client(base_url=BASE_URL) as c:\n        yield c\n"
                ),
                "tests/test_items.py": _FIXTURE_TEST,
            },
            hits=2,
            note="a network client to a local server, and endpoint calls without an in-process "
            "client",
        ),
        Case.bad(
            "import requests as rq\n\nHOST = 'http://localhost:8000'\n\n\n"
            "def test_items() -> None:\n    url = f'{HOST}/api/v1/items'\n"
            "    assert rq.post(url, json={}, timeout=5).status_code == 201\n",
            path="tests/test_items.py",
            note="an aliased import and a URL built from a constant",
        ),
    )

    def applies(self) -> bool:
        """Samples with test files."""
        return any(is_test_path(p) and p.endswith(".py") for p in self.project.files)

    def run(self) -> Iterator[Hit]:
        """Report network calls to a local server, then endpoint calls without a test client."""
        tests = [
            (p, t)
            for p, t in sorted(self.project.trees.items())
            if is_test_path(p) and not is_script(t)
        ]
        for path, tree in tests:
            for call, url in _network_calls(path, tree):
                yield Hit(
                    path,
                    ast_span(call),
                    f"this test calls a running server at `{url}`; call the app in-process with "
                    "TestClient(app) or httpx.AsyncClient(transport=ASGITransport(app=app))",
                )
        if any(_uses_in_process_client(p, t) for p, t in self.project.trees.items()):
            return
        visible = any(m.apps for m in self.project.modules) or any(
            basename(p) == "conftest.py" for p in self.project.files
        )
        suite = TestSuite.of(self.project)
        if visible and suite.calls:
            first = suite.calls[0]
            yield Hit(
                first.path,
                first.span,
                "the tests call endpoints but the sample never creates a TestClient or an "
                "httpx.AsyncClient(transport=ASGITransport(app=app)); call the app in-process",
            )
