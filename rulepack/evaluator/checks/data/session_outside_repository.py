"""session-outside-repository: session queries and persistence calls outside repositories."""

from __future__ import annotations

import re
from typing import ClassVar

import libcst as cst

from rulepack.evaluator.checks.base import Case, ModuleContext, ProjectFacts
from rulepack.evaluator.checks.data.layout import is_app_module, is_repository_path
from rulepack.evaluator.checks.data.scopes import ScopedCheck
from rulepack.evaluator.checks.data.support import method_call, uses_database
from rulepack.evaluator.checks.facts import ModuleFacts
from rulepack.evaluator.checks.imports import dotted

QUERY_METHODS = frozenset(
    {
        "execute",
        "scalar",
        "scalars",
        "get",
        "get_one",
        "add",
        "add_all",
        "delete",
        "flush",
        "query",
        "merge",
        "stream",
        "stream_scalars",
    }
)
REPOSITORY_CLASS = re.compile(r"(?:Repository|Repo|Dao|DAO|Crud|CRUD|Store)$")

_REPOSITORY = (
    "from sqlalchemy import select\nfrom sqlalchemy.ext.asyncio import AsyncSession\n\n\n"
    "class UserRepository:\n    def __init__(self, session: AsyncSession) -> None:\n"
    "        self.session = session\n\n"
    "    async def get(self, user_id: int) -> object:\n"
    "        return await self.session.get(User, user_id)\n"
)


class SessionOutsideRepository(ScopedCheck):
    """Session queries and persistence calls outside repositories.

    ## What it does
    In application modules that are not repositories (``repositories/``, ``repository.py``,
    ``*_repository.py``, ``crud*.py`` ...), reports each function that calls ``execute``,
    ``scalar(s)``, ``get``, ``add``, ``delete``, ``flush``, ``merge`` or ``query`` on a database
    session: a parameter or attribute typed ``AsyncSession``/``Session`` (directly, through an
    ``Annotated`` alias or a ``Depends(get_session)``), or a session a factory made. Methods of
    classes named ``*Repository``/``*Repo``/``*DAO``/``*CRUD``/``*Store`` are repositories wherever
    they live; ``commit()``, ``rollback()`` and ``begin()`` are the services' to call; route
    handlers are left to ``db-in-route-handler``.

    ## Why is this bad?
    One repository per entity keeps SQL out of business logic, keeps eager loading and indexes
    auditable in one place, and lets services be tested with a fake repository.
    """

    id = "session-outside-repository"
    summary = "database session queried outside a repository"
    good: ClassVar[tuple[Case, ...]] = (
        Case.good(_REPOSITORY, path="app/repositories/user_repository.py"),
        Case.good(_REPOSITORY, path="app/services/users.py", note="a repository class elsewhere"),
        Case.good(
            "from sqlalchemy.ext.asyncio import AsyncSession\n\n\n"
            "class AccountService:\n"
            "    def __init__(self, session: AsyncSession, repo: object) -> None:\n"
            "        self.session = session\n        self.repo = repo\n\n"
            "    async def transfer(self) -> None:\n"
            "        async with self.session.begin():\n"
            "            await self.repo.withdraw()\n"
            "        await self.session.commit()\n        await self.session.rollback()\n",
            path="app/services/accounts.py",
            note="services own commit/begin/rollback",
        ),
        Case.good(
            "from typing import Annotated\n\nfrom fastapi import APIRouter, Depends\n"
            "from sqlalchemy.ext.asyncio import AsyncSession\n\nrouter = APIRouter()\n\n\n"
            "@router.get('/users/{user_id}')\n"
            "async def read(user_id: int, s: Annotated[AsyncSession, Depends()]) -> object:\n"
            "    return await s.get(User, user_id)\n",
            path="app/routers/users.py",
            note="route handlers are db-in-route-handler's",
        ),
        Case.good(
            "def cache_get(cache: dict[str, int], key: str) -> int | None:\n"
            "    return cache.get(key)\n\n\n"
            "def lookup(db: object, key: str) -> object:\n    return db.get(key)\n",
            path="app/services/cache.py",
            note="get() on things not known to be sessions",
        ),
        Case(
            files={
                "tests/conftest.py": (
                    "from sqlalchemy.ext.asyncio import AsyncSession\n\n\n"
                    "async def seed(session: AsyncSession) -> None:\n"
                    "    session.add(User())\n    await session.flush()\n"
                ),
                "app/crud.py": (
                    "from sqlmodel import Session, select\n\n\n"
                    "def get_user(*, session: Session, email: str) -> object:\n"
                    "    return session.exec(select(User)).first() or session.get(User, email)\n"
                ),
            },
            hits=0,
            note="test fixtures and crud modules",
        ),
    )
    bad: ClassVar[tuple[Case, ...]] = (
        Case.bad(
            "from sqlalchemy import select\nfrom sqlalchemy.ext.asyncio import AsyncSession\n\n\n"
            "class UserService:\n    def __init__(self, session: AsyncSession) -> None:\n"
            "        self.session = session\n\n"
            "    async def get_by_email(self, email: str) -> object:\n"
            "        return await self.session.scalar(select(User).where(User.email == email))\n\n"
            "    async def create(self, user: object) -> None:\n"
            "        self.session.add(user)\n        await self.session.flush()\n"
            "        await self.session.commit()\n",
            hits=2,
            path="app/services/user_service.py",
            note="two service methods, reported once each",
        ),
        Case(
            files={
                "app/deps.py": (
                    "from typing import Annotated\n\nfrom fastapi import Depends\n"
                    "from sqlalchemy.orm import Session\n\n"
                    "SessionDep = Annotated[Session, Depends(get_db)]\n"
                ),
                "app/core/security.py": (
                    "from app.deps import SessionDep\nfrom app.database import SessionLocal\n\n\n"
                    "def current_user(db: SessionDep, token: str) -> object:\n"
                    "    return db.query(User).filter(User.token == token).first()\n\n\n"
                    "def audit(event: str) -> None:\n"
                    "    with SessionLocal() as session:\n"
                    "        session.add(Event(name=event))\n        session.commit()\n"
                ),
            },
            hits=2,
            note="a session alias from another module; a session from a factory",
        ),
    )

    def __init__(self, context: ModuleContext) -> None:
        """Start with no function."""
        super().__init__(context)
        self.calls: list[list[tuple[cst.Call, str]]] = []

    @classmethod
    def applies(cls, facts: ModuleFacts, project: ProjectFacts) -> bool:
        """Application modules that use the ORM and are not repositories."""
        if not is_app_module(facts) or is_repository_path(facts.path):
            return False
        return uses_database(facts, project)

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        """Start collecting the function's session calls."""
        super().visit_FunctionDef(node)
        self.calls.append([])

    def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
        """Report the function once, at its first session call."""
        calls = self.calls.pop()
        frame = self.frame
        if calls and frame is not None and not frame.is_route and not self._in_repository():
            first, name = calls[0]
            more = f" and {len(calls) - 1} more session calls" if len(calls) > 1 else ""
            self.report(
                first,
                f"`{original_node.name.value}` calls `{name}()`{more} outside a repository; "
                "move queries and persistence into a repository class and call it from here",
            )
        super().leave_FunctionDef(original_node)

    def _in_repository(self) -> bool:
        return any(REPOSITORY_CLASS.search(frame.name) for frame in self.classes)

    def visit_Call(self, node: cst.Call) -> None:
        """Collect ``<session>.<query method>(...)`` calls."""
        found = method_call(node)
        if not self.calls or found is None or found[1] not in QUERY_METHODS:
            return
        if self.session_kind(found[0]) is not None:
            self.calls[-1].append((node, dotted(node.func) or found[1]))
