"""no-timeout: outbound calls and clients without a timeout (what ruff's S113 does not see)."""

from __future__ import annotations

from typing import ClassVar

import libcst as cst

from rulepack.evaluator.checks.base import Case, ProjectFacts
from rulepack.evaluator.checks.common import int_param
from rulepack.evaluator.checks.data.kinds import Kind
from rulepack.evaluator.checks.data.layout import is_app_module
from rulepack.evaluator.checks.data.resolve import Targets
from rulepack.evaluator.checks.data.scopes import ScopedCheck
from rulepack.evaluator.checks.data.support import method_call
from rulepack.evaluator.checks.facts import ModuleFacts, keyword, positional
from rulepack.evaluator.checks.imports import dotted

PARAM = "default_timeout_seconds"
DEFAULT_SECONDS = 10
HTTP_METHODS = frozenset(
    {"get", "post", "put", "patch", "delete", "head", "options", "request", "stream", "send"}
)
CALLS: Targets[str] = Targets.of(
    {
        "httpx.Timeout": "httpx.Timeout",
        "httpx._config.Timeout": "httpx.Timeout",
        "aiohttp.ClientSession": "aiohttp.ClientSession",
        "aiohttp.client.ClientSession": "aiohttp.ClientSession",
        "urllib.request.urlopen": "urlopen",
        "asyncio.wait_for": "asyncio.wait_for",
        "asyncio.tasks.wait_for": "asyncio.wait_for",
        "asyncio.timeout": "asyncio.timeout",
        "asyncio.timeouts.timeout": "asyncio.timeout",
    }
)
CLIENT_TIMEOUT: Targets[bool] = Targets.of(
    {"aiohttp.ClientTimeout": True, "aiohttp.client.ClientTimeout": True}
)


def _is_none(node: cst.BaseExpression | None) -> bool:
    return isinstance(node, cst.Name) and node.value == "None"


class NoTimeout(ScopedCheck):
    """Outbound calls and clients that wait without a time limit.

    ## What it does
    Complements ruff's ``S113`` (``requests`` calls without ``timeout=``, httpx calls and clients
    with ``timeout=None``). Reports ``httpx.Timeout(None)``; ``aiohttp.ClientSession()`` without
    ``timeout=`` (aiohttp's default waits five minutes) or with ``timeout=None`` or a
    ``ClientTimeout`` that sets no limit; ``timeout=None`` on a request method of an httpx or
    aiohttp client object; request methods of a ``requests.Session`` object without ``timeout=``;
    ``urllib.request.urlopen()`` without a timeout; and ``asyncio.wait_for(..., None)`` or
    ``asyncio.timeout(None)``. ``httpx.AsyncClient()`` without ``timeout`` is fine: httpx defaults
    to five seconds. Clients are known by their annotation or the constructor that made them.

    ## Why is this bad?
    A call without a timeout waits as long as the remote side wants, so one hung dependency ties
    up workers and connections until the whole service stops answering.
    """

    id = "no-timeout"
    summary = "outbound call without a timeout"
    params = (PARAM,)
    good: ClassVar[tuple[Case, ...]] = (
        Case.good(
            "import asyncio\n\nimport aiohttp\nimport httpx\nimport requests\n"
            "from urllib.request import urlopen\n\n\n"
            "async def fetch(client: httpx.AsyncClient) -> object:\n"
            "    default = httpx.AsyncClient()\n"
            "    limited = httpx.Timeout(10.0, connect=2.0)\n"
            "    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as s:\n"
            "        await s.get('u')\n"
            "    session = requests.Session()\n    session.get('u', timeout=5)\n"
            "    urlopen('https://x', timeout=5)\n"
            "    await asyncio.wait_for(client.get('u'), 5)\n"
            "    return await client.get('u', timeout=5)\n",
            note="explicit limits everywhere; httpx's default client timeout",
        ),
        Case.good(
            "def lookup(cache: dict[str, int], timeout: object) -> object:\n"
            "    return cache.get('k', timeout=None)\n",
            note="timeout=None on something that is not an HTTP client",
        ),
    )
    bad: ClassVar[tuple[Case, ...]] = (
        Case.bad(
            "import aiohttp as aio\nimport httpx\n\n\n"
            "async def fetch(client: httpx.AsyncClient) -> object:\n"
            "    async with aio.ClientSession() as session:\n        await session.get('u')\n"
            "    unbounded = aio.ClientSession(timeout=aio.ClientTimeout(total=None))\n"
            "    forever = httpx.AsyncClient(timeout=httpx.Timeout(None))\n"
            "    return await client.get('u', timeout=None)\n",
            hits=4,
            note="aiohttp without and with an empty ClientTimeout, Timeout(None), a method call",
        ),
        Case.bad(
            "import asyncio\nimport urllib.request\n\nimport requests\n\n"
            "http = requests.Session()\n\n\ndef pdf(url: str) -> bytes:\n"
            "    urllib.request.urlopen(url).read()\n    return http.get(url).content\n\n\n"
            "async def slow(task: object) -> None:\n    await asyncio.wait_for(task, None)\n",
            hits=3,
            note="a module-level requests.Session, urlopen, wait_for(None)",
        ),
    )

    @classmethod
    def applies(cls, facts: ModuleFacts, project: ProjectFacts) -> bool:
        """Application modules."""
        del project
        return is_app_module(facts)

    @property
    def seconds(self) -> int:
        """The pack's default timeout, for messages."""
        return int_param(self.context.params, PARAM, DEFAULT_SECONDS)

    def visit_Call(self, node: cst.Call) -> None:
        """Check constructors and request methods for a missing or disabled timeout."""
        what = self.resolver.match(dotted(node.func), CALLS)
        problem = self._constructor(node, what) if what is not None else self._method(node)
        if problem is not None:
            self.report(node, f"{problem}; set a timeout (e.g. {self.seconds} s)")

    def _constructor(self, node: cst.Call, what: str) -> str | None:
        if what == "httpx.Timeout":
            bare = len(node.args) == 1 and _is_none(positional(node, 0) or keyword(node, "timeout"))
            return "`httpx.Timeout(None)` disables every timeout" if bare else None
        if what == "aiohttp.ClientSession":
            return self._aiohttp(keyword(node, "timeout"))
        if what == "urlopen":
            given = keyword(node, "timeout") or positional(node, 2)
            return "`urlopen()` without `timeout=` can wait forever" if given is None else None
        limit = keyword(node, "timeout") or positional(node, 1 if what == "asyncio.wait_for" else 0)
        return f"`{what}(..., None)` waits forever" if _is_none(limit) else None

    def _aiohttp(self, timeout: cst.BaseExpression | None) -> str | None:
        if timeout is None:
            return "`aiohttp.ClientSession()` without `timeout=` waits up to five minutes"
        if _is_none(timeout):
            return "`aiohttp.ClientSession(timeout=None)` waits forever"
        if isinstance(timeout, cst.Call) and self.resolver.match(
            dotted(timeout.func), CLIENT_TIMEOUT
        ):
            limits = [a.value for a in timeout.args]
            if all(_is_none(value) for value in limits):
                return "this `ClientTimeout` sets no limit"
        return None

    def _method(self, node: cst.Call) -> str | None:
        found = method_call(node)
        if found is None or found[1] not in HTTP_METHODS:
            return None
        kind = self.kind_of(found[0])
        timeout = keyword(node, "timeout")
        if kind in {Kind.HTTPX_ASYNC, Kind.HTTPX_SYNC, Kind.AIOHTTP, Kind.REQUESTS} and _is_none(
            timeout
        ):
            return f"`{found[1]}(timeout=None)` waits forever"
        if kind is Kind.REQUESTS and timeout is None:
            return f"`{dotted(node.func)}()` on a `requests.Session` has no timeout"
        return None
