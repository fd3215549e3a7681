"""sync-cm-on-async-resource: wrong or missing context managers for clients and sessions."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

import libcst as cst

from rulepack.evaluator.checks.base import Case, ModuleContext, ProjectFacts
from rulepack.evaluator.checks.data.kinds import ASYNC_HTTP, Kind
from rulepack.evaluator.checks.data.layout import is_app_module
from rulepack.evaluator.checks.data.scopes import ScopedCheck
from rulepack.evaluator.checks.data.support import method_call
from rulepack.evaluator.checks.facts import ModuleFacts
from rulepack.evaluator.checks.imports import dotted

ASYNC_RESOURCES = ASYNC_HTTP | {Kind.ASYNC_SESSION}
BLOCKING_RESOURCES = frozenset(
    {Kind.HTTPX_SYNC, Kind.REQUESTS, Kind.SYNC_SESSION, Kind.DB_CONNECTION}
)
CLOSABLE = ASYNC_RESOURCES | BLOCKING_RESOURCES | {Kind.SESSION}
CLOSERS = frozenset({"close", "aclose", "dispose"})
MANAGERS = frozenset(
    {
        "closing",
        "aclosing",
        "enter_context",
        "enter_async_context",
        "push_async_callback",
        "callback",
    }
)


def _manager(kind: Kind) -> str:
    """The statement that manages a resource of ``kind``."""
    if kind in ASYNC_RESOURCES:
        return "`async with`"
    return "`with`" if kind in BLOCKING_RESOURCES else "`async with` (or `with`)"


@dataclass
class Opened:
    """Resources a function creates, and what it does with them."""

    created: dict[str, tuple[cst.CSTNode, Kind]] = field(default_factory=dict)
    released: set[str] = field(default_factory=set)  # closed, managed or handed over


class SyncCmOnAsyncResource(ScopedCheck):
    """Clients and sessions without the right context manager or a close.

    ## What it does
    Reports ``with`` (not ``async with``) on an async resource (``httpx.AsyncClient``,
    ``aiohttp.ClientSession``, ``AsyncSession``) anywhere, and ``with`` on a blocking one
    (``httpx.Client``, ``requests.Session``, a sync SQLAlchemy ``Session``, a sync DB-API
    connection) inside ``async def``. Reports a client or session assigned to a local name with
    neither ``with``/``async with`` nor a ``.close()``/``.aclose()`` in the function, unless the
    function hands it over (returns it, stores it on an attribute or in a container, passes it to
    a call or a nested function); and a method called on a client constructed in the same
    expression (``httpx.AsyncClient().get(url)``). Sessions count by type or by the factory that
    made them (``session_factory()``, ``SessionLocal()``, ``get_db()``). ``open()`` is ruff's
    (``SIM115``, ``ASYNC230``).

    ## Why is this bad?
    A context manager releases the connection even when an exception is raised; otherwise leaked
    connections exhaust the pool. A sync ``with`` on an async resource skips its async cleanup.
    """

    id = "sync-cm-on-async-resource"
    summary = "client or session without the right context manager"
    good: ClassVar[tuple[Case, ...]] = (
        Case.good(
            "import httpx\n\nfrom app.core.database import session_factory\n\n\n"
            "async def get_session() -> object:\n"
            "    async with session_factory() as session:\n        yield session\n\n\n"
            "async def fetch() -> object:\n    client = httpx.AsyncClient()\n    try:\n"
            "        return await client.get('u')\n"
            "    finally:\n        await client.aclose()\n\n\n"
            "def get_db() -> object:\n    db = SessionLocal()\n    try:\n        yield db\n"
            "    finally:\n        db.close()\n",
            note="async with, aclose in finally, a closing generator dependency",
        ),
        Case.good(
            "import httpx\n\n\ndef make_client() -> httpx.AsyncClient:\n"
            "    client = httpx.AsyncClient(timeout=5)\n    return client\n\n\n"
            "async def start(app: object, stack: object) -> None:\n"
            "    app.state.client = httpx.AsyncClient()\n"
            "    session = async_session()\n    await stack.enter_async_context(session)\n"
            "    other = async_session()\n    repo = Repository(other)\n\n\n"
            "def sync_use() -> None:\n"
            "    with httpx.Client() as client:\n        client.get('u')\n",
            note="handed over: returned, stored, managed by an exit stack, passed on",
        ),
    )
    bad: ClassVar[tuple[Case, ...]] = (
        Case.bad(
            "from app.core.database import session_factory\n\n\nasync def count_users() -> int:\n"
            "    session = session_factory()\n"
            "    return await session.scalar(select(func.count()).select_from(User))\n"
        ),
        Case.bad(
            "import httpx\nimport requests\nfrom sqlalchemy.orm import Session\n\n\n"
            "async def sync_things(engine: object) -> None:\n"
            "    with httpx.Client() as client:\n        client.get('u')\n"
            "    with Session(engine) as session:\n        session.commit()\n"
            "    with requests.Session() as s:\n        s.get('u', timeout=5)\n\n\n"
            "def wrong() -> None:\n    with httpx.AsyncClient() as client:\n        pass\n",
            hits=4,
            note="blocking resources with `with` in async def; an async client with `with`",
        ),
        Case.bad(
            "import aiohttp\nimport httpx\n\n\nasync def ping() -> int:\n"
            "    r = await httpx.AsyncClient().get('https://x')\n"
            "    http = aiohttp.ClientSession()\n    await http.get('https://y')\n"
            "    return r.status_code\n\n\n"
            "def get_db() -> object:\n    db = SessionLocal()\n    yield db\n",
            hits=3,
            note="a dropped client, an unclosed aiohttp session, a dependency that never closes",
        ),
    )

    def __init__(self, context: ModuleContext) -> None:
        """Start with no function."""
        super().__init__(context)
        self.opened: list[Opened] = []

    @classmethod
    def applies(cls, facts: ModuleFacts, project: ProjectFacts) -> bool:
        """Application modules (ruff's SIM115 covers files in the rest)."""
        del project
        return is_app_module(facts)

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        """Start tracking the function's resources."""
        super().visit_FunctionDef(node)
        self.opened.append(Opened())

    def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
        """Report resources the function neither closes nor hands over."""
        opened = self.opened.pop()
        for name, (node, kind) in opened.created.items():
            if name not in opened.released:
                self.report(
                    node,
                    f"`{name}` ({kind.value}) is never closed in `{original_node.name.value}`; "
                    f"open it with {_manager(kind)} or close it in `finally`",
                )
        super().leave_FunctionDef(original_node)

    def visit_With(self, node: cst.With) -> None:
        """Check ``with`` items against the kind of resource they open."""
        is_async = node.asynchronous is not None
        for item in node.items:
            if isinstance(item.item, cst.Name) and self.opened:
                self.opened[-1].released.add(item.item.value)
            if is_async:
                continue
            kind = self.kind_of(item.item)
            if kind in ASYNC_RESOURCES:
                self.report(
                    item,
                    f"`with` on a {kind.value}, which needs `async with` to release it",
                )
            elif kind in BLOCKING_RESOURCES and self.in_async:
                self.report(
                    item,
                    f"`with` opens a blocking {kind.value} inside `async def`; use its async "
                    "counterpart with `async with`",
                )

    def visit_Assign(self, node: cst.Assign) -> None:
        """Track clients and sessions created into local names; note hand-overs."""
        super().visit_Assign(node)
        if not self.opened:
            return
        for target in node.targets:
            if isinstance(target.target, cst.Name) and isinstance(node.value, cst.Call | cst.Await):
                kind = self.kind_of(node.value)
                call = node.value.expression if isinstance(node.value, cst.Await) else node.value
                if kind in CLOSABLE and isinstance(call, cst.Call) and not self._is_getter(call):
                    self.opened[-1].created[target.target.value] = (node, kind)
            elif isinstance(node.value, cst.Name):
                self.opened[-1].released.add(node.value.value)  # stored elsewhere

    @staticmethod
    def _is_getter(call: cst.Call) -> bool:
        """``next(get_db())``-style and ``Depends`` helpers are not creations of a client."""
        return dotted(call.func) == "next"

    def visit_Return(self, node: cst.Return) -> None:
        """A returned resource belongs to the caller."""
        self._hand_over(node.value)

    def visit_Arg(self, node: cst.Arg) -> None:
        """A resource passed to a call may be managed there."""
        self._hand_over(node.value)

    def visit_Element(self, node: cst.Element) -> None:
        """A resource put in a container is kept elsewhere."""
        self._hand_over(node.value)

    def visit_Name(self, node: cst.Name) -> None:
        """A resource used by a nested function is kept alive by it."""
        if len(self.opened) > 1:
            for outer in self.opened[:-1]:
                if node.value in outer.created:
                    outer.released.add(node.value)

    def _hand_over(self, value: cst.BaseExpression | None) -> None:
        if self.opened and isinstance(value, cst.Name):
            self.opened[-1].released.add(value.value)

    def visit_Call(self, node: cst.Call) -> None:
        """Note ``x.close()``; report methods called on a client made in the same expression."""
        found = method_call(node)
        if found is None:
            return
        receiver, method = found
        if method in CLOSERS and isinstance(receiver, cst.Name) and self.opened:
            self.opened[-1].released.add(receiver.value)
        elif isinstance(receiver, cst.Call) and method not in MANAGERS:
            kind = self.kind_of(receiver)
            if kind in ASYNC_HTTP or kind in {Kind.HTTPX_SYNC, Kind.REQUESTS}:
                self.report(
                    node,
                    f"a {kind.value} is created for one `{method}()` call and never closed; "
                    "share one client, or use `async with`",
                )
