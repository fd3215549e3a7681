"""sync-http-client: ``requests``, ``urllib3``, ``urllib.request`` or sync httpx in app code."""

from __future__ import annotations

from typing import ClassVar

import libcst as cst

from rulepack.evaluator.checks.base import Case, ModuleContext, ProjectFacts
from rulepack.evaluator.checks.common import imports_any
from rulepack.evaluator.checks.data.layout import is_app_module
from rulepack.evaluator.checks.data.resolve import Targets
from rulepack.evaluator.checks.data.scopes import ScopedCheck
from rulepack.evaluator.checks.facts import ModuleFacts
from rulepack.evaluator.checks.imports import dotted

SYNC_LIBRARIES = ("requests", "urllib3", "httplib2", "pycurl")
HTTP_PACKAGES = ("requests", "urllib3", "urllib", "httplib2", "pycurl", "httpx", "aiohttp")
HTTPX_VERBS = ("get", "post", "put", "patch", "delete", "head", "options", "request", "stream")
SYNC_HTTPX: Targets[str] = Targets.of(
    {
        "httpx.Client": "`httpx.Client`",
        "httpx._client.Client": "`httpx.Client`",
        **{f"httpx.{verb}": f"`httpx.{verb}()`" for verb in HTTPX_VERBS},
        **{
            f"urllib.request.{name}": f"`urllib.request.{name}()`"
            for name in ("urlopen", "urlretrieve", "build_opener")
        },
    }
)
# Reported wherever they are called; the others only outside ``async def`` (ruff's ASYNC210).
EVERYWHERE = frozenset(
    {"`httpx.Client`", "`urllib.request.urlretrieve()`", "`urllib.request.build_opener()`"}
)


def _module_name(node: cst.Attribute | cst.Name) -> str:
    return dotted(node) or ""


# Submodules that hold helpers (auth objects, exception types), not the client itself.
HELPER_SUBMODULES = frozenset({"auth", "exceptions", "structures", "status_codes", "util", "utils"})


def _sync_library(module: str) -> str | None:
    """The sync HTTP library a module path belongs to, if any (not its helper submodules)."""
    for library in SYNC_LIBRARIES:
        if module == library:
            return library
        if module.startswith(f"{library}."):
            helper = module.split(".")[1] in HELPER_SUBMODULES
            return None if helper else library
    return None


def _only_exceptions(node: cst.ImportFrom) -> bool:
    """``from requests import Timeout, HTTPError``: error types to catch, not a client."""
    if isinstance(node.names, cst.ImportStar):
        return False
    return all(
        alias.name.value.endswith(("Error", "Exception", "Timeout"))
        for alias in node.names
        if isinstance(alias.name, cst.Name)
    )


class SyncHttpClient(ScopedCheck):
    """Sync HTTP clients (``requests``, ``urllib3``, ``urllib.request``, ``httpx.Client``).

    ## What it does
    In application code (not tests, scripts or migrations), reports imports of ``requests``,
    ``urllib3``, ``httplib2`` and ``pycurl`` (once per library and module; not helper
    submodules such as ``requests.auth``), constructions of ``httpx.Client``, and calls of
    ``urllib.request.urlopen/urlretrieve/build_opener`` and httpx's sync module functions
    (``httpx.get(...)``); ``urlopen`` and ``httpx.get`` only outside ``async def``, where ruff's
    ``ASYNC210`` does not see them. ``urllib.request`` helpers that make no request
    (``getproxies``, ``parse_http_list``, ``Request``) are not reported.

    ## Why is this bad?
    A sync client blocks the event loop when called from async code, and two client libraries
    mean two sets of timeouts, retries and connection pools. Use one shared
    ``httpx.AsyncClient``.
    """

    id = "sync-http-client"
    summary = "sync HTTP client in an async application"
    good: ClassVar[tuple[Case, ...]] = (
        Case.good(
            "import httpx\nfrom urllib.parse import urlencode\n\n\n"
            "class ProfileClient:\n    def __init__(self, client: httpx.AsyncClient) -> None:\n"
            "        self.client = client\n\n"
            "    async def fetch(self, user_id: int) -> object:\n"
            "        response = await self.client.get(f'/users/{user_id}?{urlencode({})}')\n"
            "        return response.json()\n\n\n"
            "async def ping() -> int:\n    return httpx.get('https://x').status_code\n",
            path="app/clients/profile.py",
            note="AsyncClient; urllib.parse; httpx.get in async def is ASYNC210's",
        ),
        Case.good(
            "import urllib.request\nfrom urllib.request import getproxies, parse_http_list\n\n\n"
            "class CookieRequest(urllib.request.Request):\n    pass\n\n\n"
            "def proxies() -> dict[str, str]:\n    return getproxies()\n",
            note="urllib.request helpers that send nothing (from httpx's own source)",
        ),
        Case(
            files={
                "tests/test_api.py": "import requests\n\nrequests.get('http://localhost')\n",
                "scripts/seed.py": "import httpx\n\nhttpx.Client().get('http://localhost')\n",
            },
            hits=0,
            note="tests and scripts may use sync clients",
        ),
        Case.good(
            "from requests import Timeout\n"
            "from requests.auth import HTTPBasicAuth\nfrom requests.exceptions import HTTPError\n\n"
            "AUTH_TYPES = (HTTPBasicAuth,)\nRETRYABLE = (HTTPError,)\n",
            path="app/integrations/errors.py",
            note="helper submodules (auth objects, exception types) send nothing",
        ),
    )
    bad: ClassVar[tuple[Case, ...]] = (
        Case.bad(
            "import requests\n\n\ndef fetch(user_id: int) -> dict[str, str]:\n"
            "    return requests.get(f'https://p/users/{user_id}', timeout=5).json()\n",
            path="app/clients/profile_client.py",
        ),
        Case.bad(
            "import urllib.request\nfrom urllib import request as rq\n"
            "from urllib3 import PoolManager\n"
            "import httpx as hx\n\nclient = hx.Client(timeout=5)\n\n\n"
            "def fetch() -> bytes:\n    urllib.request.urlopen('https://x')\n"
            "    rq.urlretrieve('u')\n"
            "    return hx.post('https://x').content\n",
            hits=5,
            path="app/services/fetch.py",
            note="urllib.request two ways, urllib3, an aliased httpx.Client and httpx.post",
        ),
    )

    def __init__(self, context: ModuleContext) -> None:
        """Start with no library reported."""
        super().__init__(context)
        self.reported: set[str] = set()

    @classmethod
    def applies(cls, facts: ModuleFacts, project: ProjectFacts) -> bool:
        """Application modules that import an HTTP client library."""
        del project
        return is_app_module(facts) and imports_any(facts, *HTTP_PACKAGES)

    def visit_Import(self, node: cst.Import) -> None:
        """Report ``import requests`` and the like."""
        for alias in node.names:
            library = _sync_library(_module_name(alias.name))
            if library is not None:
                self._import(node, library)
                return

    def visit_ImportFrom(self, node: cst.ImportFrom) -> None:
        """Report ``from requests import ...`` and ``from urllib import request``."""
        if node.module is None or node.relative or _only_exceptions(node):
            return
        module = _module_name(node.module)
        library = _sync_library(module)
        if library is not None:
            self._import(node, library)

    def _import(self, node: cst.CSTNode, library: str) -> None:
        if library in self.reported:
            return  # one finding per library and module: the module's use of it
        self.reported.add(library)
        self.report(
            node,
            f"`{library}` is a sync HTTP client; call other services with a shared "
            "`httpx.AsyncClient` instead",
        )

    def visit_Call(self, node: cst.Call) -> None:
        """Report ``httpx.Client(...)`` and, outside ``async def``, ``httpx.get(...)``."""
        name = dotted(node.func)
        what = self.resolver.match(name, SYNC_HTTPX)
        if what is None or (self.in_async and what not in EVERYWHERE):
            return
        self.report(
            node, f"{what} is a sync HTTP call; use a shared `httpx.AsyncClient` and await it"
        )
