"""db-in-route-handler: SQL statements and session calls inside route handlers."""

from __future__ import annotations

import re
from typing import ClassVar

import libcst as cst

from rulepack.evaluator.checks.base import Case, ModuleContext, ProjectFacts
from rulepack.evaluator.checks.data.resolve import Targets
from rulepack.evaluator.checks.data.scopes import ScopedCheck
from rulepack.evaluator.checks.data.support import method_call
from rulepack.evaluator.checks.facts import ModuleFacts, string_value
from rulepack.evaluator.checks.imports import dotted
from rulepack.evaluator.checks.sync_route_handler import is_route_owner

_STATEMENT_MODULES = (
    "sqlalchemy",
    "sqlalchemy.sql",
    "sqlalchemy.sql.expression",
    "sqlalchemy.future",
    "sqlmodel",
    "sqlmodel.sql.expression",
)
STATEMENTS: Targets[str] = Targets.of(
    {
        **{
            f"{module}.{name}": name
            for module in _STATEMENT_MODULES
            for name in ("select", "insert", "update", "delete", "text")
        },
        **{
            f"sqlalchemy.dialects.{dialect}.insert": "insert"
            for dialect in ("postgresql", "sqlite", "mysql")
        },
    },
    bare=("select",),
)
SESSION_METHODS = frozenset(
    {"execute", "add", "add_all", "commit", "delete", "refresh", "scalar", "scalars", "get"}
    | {"get_one", "query", "flush", "merge", "exec", "stream", "stream_scalars"}
)


# ``SELECT 1``: a connectivity probe that reads no data.
_PROBE_SQL = re.compile(r"^\s*select\s+1\s*;?\s*$", re.IGNORECASE)


def _first_argument(node: cst.Call) -> cst.BaseExpression | None:
    """The first positional argument of a call."""
    values = [arg.value for arg in node.args if arg.keyword is None and not arg.star]
    return values[0] if len(values) == 1 else None


class DbInRouteHandler(ScopedCheck):
    """SQL statements and session calls inside route handlers.

    ## What it does
    Reports each route handler (a function decorated with a route of a FastAPI app or
    ``APIRouter``) that builds a statement (``select``, ``insert``, ``update``, ``delete``,
    ``text`` from SQLAlchemy or SQLModel) or calls ``execute``, ``add``, ``commit``, ``delete``,
    ``refresh``, ``scalar(s)``, ``get``, ``query``, ``flush`` or ``merge`` on a database session:
    a parameter typed ``AsyncSession``/``Session`` (directly, through an ``Annotated`` alias such
    as ``SessionDep``) or filled by ``Depends(get_db)``/``Depends(get_session)``, or a session the
    handler opens itself. One finding per handler, at its first database call. A ``SELECT 1``
    (``select(1)``, ``text("SELECT 1")``, or the raw string, alone or executed) is a health
    probe checking that the database answers, not data access, and is not counted.

    ## Why is this bad?
    Logic inside handlers cannot be reused from jobs or other routes and can only be tested over
    HTTP; a thin handler calls one service method and returns its result.
    """

    id = "db-in-route-handler"
    summary = "database access inside a route handler"
    good: ClassVar[tuple[Case, ...]] = (
        Case.good(
            "from typing import Annotated\n\nfrom fastapi import APIRouter, Depends, status\n\n"
            "router = APIRouter(prefix='/users', tags=['users'])\n\n\n"
            "@router.post('', status_code=status.HTTP_201_CREATED)\n"
            "async def create_user(\n    payload: UserCreate,\n"
            "    service: Annotated[UserService, Depends(get_user_service)],\n) -> UserRead:\n"
            "    return await service.create_user(payload)\n\n\n"
            "@router.get('/{user_id}')\n"
            "async def read(user_id: int, cache: dict = Depends(get_cache)) -> object:\n"
            "    return cache.get(user_id)\n",
            note="a thin handler; get() on something that is not a session",
        ),
        Case.good(
            "from sqlalchemy import select\nfrom sqlalchemy.ext.asyncio import AsyncSession\n\n\n"
            "async def get_user(session: AsyncSession, user_id: int) -> object:\n"
            "    return await session.scalar(select(User).where(User.id == user_id))\n",
            path="app/repositories/users.py",
            note="queries outside handlers",
        ),
        Case.good(
            "from fastapi import APIRouter, Depends\nfrom sqlalchemy import select, text\n"
            "from sqlalchemy.ext.asyncio import AsyncSession\n\nprobes = APIRouter()\n\n\n"
            "@probes.get('/ready')\n"
            "async def ready(db: AsyncSession = Depends(get_session)) -> dict[str, bool]:\n"
            "    await db.execute(select(1))\n    return {'db': True}\n\n\n"
            "@probes.get('/live')\n"
            "async def live(db: AsyncSession = Depends(get_session)) -> dict[str, bool]:\n"
            "    await db.execute(text('select 1'))\n    return {'db': True}\n",
            note="readiness probes that only check the database answers (SELECT 1)",
        ),
    )
    bad: ClassVar[tuple[Case, ...]] = (
        Case.bad(
            "from fastapi import APIRouter, Depends\nfrom fastapi_utils.cbv import cbv\n"
            "from sqlalchemy.ext.asyncio import AsyncSession\n\nrouter = APIRouter()\n\n\n"
            "@cbv(router)\nclass ItemViews:\n"
            "    session: AsyncSession = Depends(get_session)\n\n"
            "    @router.get('/items/{item_id}', responses={404: {'model': Error}})\n"
            "    async def read(self, item_id: int) -> object:\n"
            "        return await self.session.get(Item, item_id)\n",
            note="a class-based view with the session as a class attribute",
        ),
        Case.bad(
            "from typing import Annotated\n\nfrom fastapi import APIRouter, Depends\n"
            "from sqlalchemy import select as sa_select\n"
            "from sqlalchemy.ext.asyncio import AsyncSession\n\n"
            "router = APIRouter()\nSessionDep = Annotated[AsyncSession, Depends(get_session)]\n\n\n"
            "@router.post('/users', status_code=201)\n"
            "async def create_user(payload: UserCreate, session: SessionDep) -> UserRead:\n"
            "    if await session.scalar(sa_select(User).where(User.email == payload.email)):\n"
            "        raise Conflict()\n"
            "    session.add(User(email=payload.email))\n    await session.commit()\n"
            "    return payload\n\n\n"
            "@router.get('/raw')\nasync def raw(db=Depends(get_db)) -> object:\n"
            "    return db.execute('SELECT id FROM items')\n",
            hits=2,
            note="an aliased select and a SessionDep alias; an untyped Depends(get_db)",
        ),
        Case(
            files={
                "app/api.py": "from fastapi import APIRouter\n"
                "\napi = APIRouter(prefix='/api/v1')\n",
                "app/items.py": (
                    "from sqlmodel import Session, select\n\nfrom app.api import api\n"
                    "from app.db import engine\n\n\n"
                    "@api.get('/items', response_model=list[Item])\ndef items() -> object:\n"
                    "    with Session(engine) as session:\n"
                    "        return session.exec(select(Item)).all()\n"
                ),
            },
            hits=1,
            note="a router from another module; a session the handler opens",
        ),
    )

    def __init__(self, context: ModuleContext) -> None:
        """Start with no handler."""
        super().__init__(context)
        self.found: list[list[tuple[cst.CSTNode, str]]] = []

    @classmethod
    def applies(cls, facts: ModuleFacts, project: ProjectFacts) -> bool:
        """Modules with route handlers."""
        return any(is_route_owner(route.owner, project) for route in facts.routes)

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        """Start collecting a function's database calls."""
        super().visit_FunctionDef(node)
        self.found.append([])

    def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
        """Report a route handler once, at its first database call."""
        found = self.found.pop()
        if found and self.frame is not None and self.frame.is_route:
            node, what = found[0]
            more = f" and {len(found) - 1} more database calls" if len(found) > 1 else ""
            self.report(
                node,
                f"route handler `{original_node.name.value}` runs {what}{more} itself; move "
                "queries into a repository and call one service method from the handler",
            )
        super().leave_FunctionDef(original_node)

    def visit_Call(self, node: cst.Call) -> None:
        """Collect statements built and session methods called in the handler itself."""
        if not self.found or self.frame is None or not self.frame.is_route:
            return
        name = dotted(node.func)
        if self._is_probe(node):
            return
        statement = self.resolver.match(name, STATEMENTS)
        if statement is not None:
            self.found[-1].append((node, f"`{statement}()`"))
            return
        found = method_call(node)
        if found is not None and found[1] in SESSION_METHODS and self.session_kind(found[0]):
            argument = _first_argument(node)
            if isinstance(argument, cst.Call) and self._is_probe(argument):
                return  # session.execute(select(1)): a health probe
            if _PROBE_SQL.match(string_value(argument) or ""):
                return
            self.found[-1].append((node, f"`{name or found[1]}()`"))

    def _is_probe(self, node: cst.Call) -> bool:
        """``select(1)`` or ``text("SELECT 1")``: a statement that only checks the connection."""
        statement = self.resolver.match(dotted(node.func), STATEMENTS)
        argument = _first_argument(node)
        if statement == "select":
            return isinstance(argument, cst.Integer) and argument.value == "1"
        if statement == "text":
            return bool(_PROBE_SQL.match(string_value(argument) or ""))
        return False
