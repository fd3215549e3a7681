"""no-retry: functions calling other services over HTTP without a retry policy."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import ClassVar

import libcst as cst

from rulepack.evaluator.checks.base import Case, ModuleContext, ProjectFacts
from rulepack.evaluator.checks.common import imports_any
from rulepack.evaluator.checks.data.kinds import ASYNC_HTTP
from rulepack.evaluator.checks.data.layout import is_app_module
from rulepack.evaluator.checks.data.scopes import ScopedCheck
from rulepack.evaluator.checks.data.support import last_name, method_call, source
from rulepack.evaluator.checks.facts import ModuleFacts
from rulepack.evaluator.checks.imports import dotted

IDEMPOTENT = frozenset({"get", "head", "options", "put", "delete"})
GENERIC = frozenset({"request", "stream"})
RETRY_PACKAGES = ("tenacity", "stamina", "backoff", "aiohttp_retry", "retrying", "async_retrying")
RETRY_NAME = re.compile(r"retr(y|ying|ies)|backoff", re.IGNORECASE)
RETRY_BODY = frozenset({"AsyncRetrying", "Retrying", "retry_context", "retry_call", "AsyncRetry"})
TRANSPORT_RETRIES = re.compile(
    r"HTTPTransport\([^)]*\bretries\s*=|RetryTransport|RetryClient|AsyncRetryTransport"
)
WORDS = re.compile(r"\b(?:AsyncClient|ClientSession)\b")


@dataclass
class Function:
    """What one function does about outbound calls and retries."""

    name: str
    node: cst.FunctionDef
    retries: bool = False
    outbound: str | None = None  # the first idempotent outbound call, for the message
    calls: set[str] = field(default_factory=set)  # functions of the module it calls


class NoRetry(ScopedCheck):
    """Functions calling other services over HTTP without a retry policy.

    ## What it does
    Reports, in application code, each function that awaits an idempotent request (``get``,
    ``head``, ``options``, ``put``, ``delete``, or ``request``/``stream`` with one of these
    methods) on an ``httpx.AsyncClient`` or ``aiohttp.ClientSession`` (known by annotation or
    constructor) when neither the function nor any function of the module that calls it retries:
    a decorator from tenacity, stamina or backoff (or named ``*retry*``), a ``(Async)Retrying``
    loop or ``retry_context`` in its body, or being passed to a retry wrapper. A sample that
    configures retrying transports (``AsyncHTTPTransport(retries=...)``, httpx-retries,
    aiohttp-retry) is covered. ``post`` and ``patch`` are not idempotent and are not required to
    retry.

    ## Why is this bad?
    Transient network errors are common between services; backoff with jitter recovers from them
    without hammering a struggling dependency.
    """

    id = "no-retry"
    summary = "outbound HTTP call without retries"
    good: ClassVar[tuple[Case, ...]] = (
        Case.good(
            "import httpx\nimport stamina\n"
            "from tenacity import AsyncRetrying, retry, stop_after_attempt\n\n\n"
            "@retry(stop=stop_after_attempt(3))\n"
            "async def fetch_rates(client: httpx.AsyncClient) -> object:\n"
            "    return (await client.get('/rates')).json()\n\n\n"
            "@stamina.retry(on=httpx.TransportError, attempts=3)\n"
            "async def fetch_user(client: httpx.AsyncClient) -> object:\n"
            "    return await client.get('/user')\n\n\n"
            "async def loop(client: httpx.AsyncClient) -> object:\n"
            "    async for attempt in AsyncRetrying(stop=stop_after_attempt(3)):\n"
            "        with attempt:\n            return await client.get('/x')\n\n\n"
            "async def create(client: httpx.AsyncClient) -> object:\n"
            "    return await client.post('/orders', json={})\n",
            note="tenacity and stamina decorators, an AsyncRetrying loop, a POST",
        ),
        Case.good(
            "import httpx\nfrom tenacity import retry\n\n\n"
            "class RatesClient:\n    def __init__(self, client: httpx.AsyncClient) -> None:\n"
            "        self._client = client\n\n"
            "    async def _get(self, path: str) -> httpx.Response:\n"
            "        return await self._client.get(path)\n\n"
            "    @retry\n    async def latest(self) -> object:\n"
            "        return (await self._get('/latest')).json()\n",
            note="a helper called only from a retrying method",
        ),
        Case(
            files={
                "app/main.py": (
                    "import httpx\n\ntransport = httpx.AsyncHTTPTransport(retries=3)\n"
                    "client = httpx.AsyncClient(transport=transport)\n"
                ),
                "app/clients/rates.py": (
                    "import httpx\n\n\nasync def fetch(client: httpx.AsyncClient) -> object:\n"
                    "    return await client.get('/rates')\n"
                ),
            },
            hits=0,
            note="a retrying transport configured elsewhere in the sample",
        ),
    )
    bad: ClassVar[tuple[Case, ...]] = (
        Case.bad(
            "import httpx\n\n\nasync def fetch_rates(client: httpx.AsyncClient) -> object:\n"
            "    response = await client.get('/rates/latest')\n"
            "    response.raise_for_status()\n    return response.json()\n",
            path="app/clients/rates_client.py",
        ),
        Case.bad(
            "import aiohttp\nimport httpx\n\n\nclass Billing:\n"
            "    def __init__(self) -> None:\n        self.http = aiohttp.ClientSession()\n\n"
            "    async def invoice(self, number: str) -> object:\n"
            "        async with self.http.get(f'/invoices/{number}') as response:\n"
            "            return await response.json()\n\n\n"
            "async def proxy() -> object:\n    async with httpx.AsyncClient() as client:\n"
            "        return await client.request('DELETE', '/x')\n",
            hits=2,
            path="app/clients/billing.py",
            note="aiohttp via async with on an attribute; request('DELETE')",
        ),
    )

    def __init__(self, context: ModuleContext) -> None:
        """Start with no function."""
        super().__init__(context)
        self.functions: dict[str, Function] = {}
        self.stack: list[Function] = []
        self.managed: set[int] = set()  # calls awaited or opened with ``async with``
        self.wrapped: set[str] = set()  # functions passed to a retry wrapper

    @classmethod
    def applies(cls, facts: ModuleFacts, project: ProjectFacts) -> bool:
        """Application modules that use an async HTTP client."""
        if not is_app_module(facts):
            return False
        return imports_any(facts, "httpx", "aiohttp") or bool(WORDS.search(source(project, facts)))

    def _key(self, name: str) -> str:
        owner = self.classes[-1].name if self.classes else ""
        if self.stack:
            return f"{self.stack[-1].name}.<locals>.{name}"
        return f"{owner}.{name}" if owner else name

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        """Start a function; note retry decorators."""
        super().visit_FunctionDef(node)
        function = Function(self._key(node.name.value), node)
        function.retries = any(self._is_retry(d.decorator) for d in node.decorators)
        self.functions[function.name] = function
        self.stack.append(function)

    def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
        """Leave the function."""
        self.stack.pop()
        super().leave_FunctionDef(original_node)

    def _is_retry(self, expression: cst.BaseExpression) -> bool:
        target = expression.func if isinstance(expression, cst.Call) else expression
        name = dotted(target)
        if name is None:
            return False
        qualified = self.resolver.qualify(name)
        return qualified.startswith(RETRY_PACKAGES) or bool(RETRY_NAME.search(last_name(name)))

    def visit_WithItem(self, node: cst.WithItem) -> None:
        """``async with session.get(url)`` sends an aiohttp request."""
        super().visit_WithItem(node)
        if isinstance(node.item, cst.Call):
            self.managed.add(id(node.item))

    def visit_Await(self, node: cst.Await) -> None:
        """Awaited calls are the ones that send."""
        self.managed.add(id(node.expression))

    def visit_Call(self, node: cst.Call) -> None:
        """Record outbound requests, calls of module functions and retry wrappers."""
        if not self.stack:
            return
        function = self.stack[-1]
        name = dotted(node.func)
        if (name is not None and last_name(name) in RETRY_BODY) or self._is_retry(node.func):
            function.retries = True
            for argument in node.args:
                target = self._callee_key(argument.value)
                if target is not None:
                    self.wrapped.add(target)  # retry_call(fetch, ...), retry(...)(fetch)
            return
        target = self._callee_key(node.func)
        if target is not None:
            function.calls.add(target)
        if function.outbound is None and id(node) in self.managed:
            function.outbound = self._outbound(node)

    def _callee_key(self, node: cst.BaseExpression) -> str | None:
        if isinstance(node, cst.Name):
            return node.value
        if (
            isinstance(node, cst.Attribute)
            and isinstance(node.value, cst.Name)
            and node.value.value in {"self", "cls"}
            and self.classes
        ):
            return f"{self.classes[-1].name}.{node.attr.value}"
        return None

    def _outbound(self, node: cst.Call) -> str | None:
        found = method_call(node)
        if found is None or self.kind_of(found[0]) not in ASYNC_HTTP:
            return None
        receiver, method = found
        if method in GENERIC:
            verb = node.args[0].value if node.args else None
            if not isinstance(verb, cst.SimpleString):
                return None
            method = str(verb.evaluated_value).lower()
        return f"`{dotted(receiver)}.{found[1]}()`" if method in IDEMPOTENT else None

    def leave_Module(self, original_node: cst.Module) -> None:
        """Report outbound functions no retrying function of the module covers."""
        outbound = [f for f in self.functions.values() if f.outbound is not None]
        if not outbound or self._transport_retries():
            return
        covered = {f.name for f in self.functions.values() if f.retries} | self.wrapped
        changed = True
        while changed:
            changed = False
            for function in self.functions.values():
                if function.name in covered and not function.calls <= covered:
                    covered |= function.calls
                    changed = True
        for function in outbound:
            if function.name not in covered:
                self.report(
                    function.node.name,
                    f"`{function.node.name.value}` calls another service ({function.outbound}) "
                    "without retries; consider tenacity `@retry` or `stamina.retry` with "
                    "exponential backoff for transient errors",
                )

    def _transport_retries(self) -> bool:
        return any(TRANSPORT_RETRIES.search(text) for text in self.context.project.sources.values())
