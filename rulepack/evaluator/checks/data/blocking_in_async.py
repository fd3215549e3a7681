"""blocking-in-async: blocking database, network and hashing calls inside ``async def``."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import ClassVar

import libcst as cst

from rulepack.evaluator.checks.base import Case, ModuleContext, ProjectFacts
from rulepack.evaluator.checks.data.kinds import Kind
from rulepack.evaluator.checks.data.layout import is_app_module
from rulepack.evaluator.checks.data.resolve import Targets
from rulepack.evaluator.checks.data.scopes import ScopedCheck
from rulepack.evaluator.checks.data.support import looks_like_orm, method_call, source
from rulepack.evaluator.checks.facts import ModuleFacts
from rulepack.evaluator.checks.imports import dotted

DB = "use an async driver (SQLAlchemy's `AsyncSession`, asyncpg, aiosqlite, `redis.asyncio`, motor)"
CPU = "run it off the loop with `await run_in_threadpool(...)` or `await asyncio.to_thread(...)`"
IO = (
    "use an async client (httpx.AsyncClient, aiosmtplib, aioboto3) or "
    "`await run_in_threadpool(...)`"
)
_SA = ("sqlalchemy", "sqlalchemy.engine", "sqlmodel")
_SCHEMES = ("bcrypt", "argon2", "pbkdf2_sha256", "sha256_crypt", "sha512_crypt", "scrypt")
BLOCKING_CALLS: Targets[str] = Targets.of(
    {
        **dict.fromkeys(
            (
                "sqlite3.connect",
                "psycopg2.connect",
                "psycopg.connect",
                "pymysql.connect",
                "MySQLdb.connect",
                "mysql.connector.connect",
                "redis.Redis",
                "redis.StrictRedis",
                "redis.client.Redis",
                "redis.from_url",
                "redis.Redis.from_url",
                "pymongo.MongoClient",
                "pymongo.mongo_client.MongoClient",
                *(f"{module}.create_engine" for module in _SA),
                "sqlalchemy.orm.Session",
                "sqlalchemy.orm.session.Session",
                "sqlmodel.Session",
            ),
            DB,
        ),
        **dict.fromkeys(
            (
                "bcrypt.hashpw",
                "bcrypt.checkpw",
                "bcrypt.kdf",
                *(f"passlib.hash.{s}.{m}" for s in _SCHEMES for m in ("hash", "verify")),
            ),
            CPU,
        ),
        **dict.fromkeys(
            (
                "boto3.client",
                "boto3.resource",
                "smtplib.SMTP",
                "smtplib.SMTP_SSL",
                "urllib3.PoolManager",
                "urllib3.poolmanager.PoolManager",
            ),
            IO,
        ),
    }
)
SESSION_METHODS = frozenset(
    {"execute", "commit", "query", "scalar", "scalars", "get", "flush", "refresh", "rollback"}
    | {"merge", "delete", "cursor", "executemany", "executescript", "fetchall", "fetchone"}
)
UNKNOWN_SESSION_METHODS = frozenset(
    {"query", "execute", "commit", "scalar", "scalars", "flush", "refresh", "rollback"}
)
REDIS_PURE = frozenset({"pipeline", "pubsub", "lock", "register_script", "client"})
HTTP_METHODS = frozenset({"get", "post", "put", "patch", "delete", "head", "options", "request"})
RECEIVER_METHODS: Mapping[Kind, tuple[frozenset[str] | None, str]] = MappingProxyType(
    {
        Kind.HASHER: (frozenset({"hash", "verify", "verify_and_update", "hash_password"}), CPU),
        Kind.SYNC_SESSION: (SESSION_METHODS, DB),
        Kind.DB_CONNECTION: (SESSION_METHODS, DB),
        Kind.SESSION: (UNKNOWN_SESSION_METHODS, DB),
        Kind.SYNC_ENGINE: (
            frozenset({"connect", "begin", "execute", "dispose", "raw_connection"}),
            DB,
        ),
        Kind.SYNC_REDIS: (None, DB),  # every command
        Kind.URLLIB3: (frozenset({"request", "urlopen", "request_encode_body"}), IO),
        Kind.REQUESTS: (HTTP_METHODS | {"send"}, IO),
    }
)


class BlockingInAsync(ScopedCheck):
    """Blocking database, network and password-hashing calls inside ``async def``.

    ## What it does
    Inside ``async def`` (not in nested ``def`` or ``lambda`` bodies, which run elsewhere), reports
    what ruff's ``ASYNC2xx`` rules miss: sync database drivers and clients (``sqlite3``,
    ``psycopg2``, ``pymysql``, sync ``redis``, ``pymongo``, SQLAlchemy ``create_engine`` and
    ``Session``), ``boto3`` clients, ``smtplib.SMTP``, ``urllib3.PoolManager``, CPU-heavy password
    hashing (``bcrypt.hashpw/checkpw``, ``CryptContext``/``PasswordHash``/``PasswordHasher``
    ``.hash()``/``.verify()``), and method calls that are not awaited on sync sessions,
    connections, engines, Redis clients, ``requests.Session`` and ``PoolManager`` objects, known by
    their annotation or the factory that made them (also in other modules). A session of unknown
    kind (``db = get_db()``, or a parameter named ``db`` or ``session``) counts only for calls no
    ``AsyncSession`` has (un-awaited ``query()``). Each session is reported once per function.

    ## Why is this bad?
    An ``async def`` runs on the event loop: a blocking call stops every other request of the
    worker until it returns.
    """

    id = "blocking-in-async"
    summary = "blocking call inside async def"
    good: ClassVar[tuple[Case, ...]] = (
        Case.good(
            "import asyncio\n\nimport bcrypt\nfrom fastapi.concurrency import run_in_threadpool\n"
            "from pwdlib import PasswordHash\n\nhasher = PasswordHash.recommended()\n\n\n"
            "async def hash_password(password: str) -> str:\n"
            "    return await run_in_threadpool(hasher.hash, password)\n\n\n"
            "async def check(password: bytes, hashed: bytes) -> bool:\n"
            "    return await asyncio.to_thread(lambda: bcrypt.checkpw(password, hashed))\n\n\n"
            "def sync_hash(password: str) -> str:\n    return hasher.hash(password)\n",
            note="hashing in a thread pool, a lambda and a sync function",
        ),
        Case.good(
            "from sqlalchemy.ext.asyncio import AsyncSession\n\n\n"
            "async def count(session: AsyncSession, db) -> int:\n"
            "    await session.execute(select(User))\n    session.add(User())\n"
            "    await session.commit()\n    await db.execute(select(User))\n"
            "    return await session.scalar(select(1))\n\n\n"
            "async def outer(engine: object) -> None:\n"
            "    def work(conn: Session) -> None:\n        conn.execute(select(User))\n"
            "    await engine.run_sync(work)\n",
            note="awaited AsyncSession calls; a sync callback for run_sync",
        ),
    )
    bad: ClassVar[tuple[Case, ...]] = (
        Case.bad(
            "from passlib.context import CryptContext\nfrom pwdlib import PasswordHash\n\n\n"
            "class AuthService:\n    def __init__(self) -> None:\n"
            "        self._pwd = CryptContext(schemes=['bcrypt'])\n"
            "        self._hasher = PasswordHash.recommended()\n\n"
            "    async def login(self, password: str, hashed: str) -> bool:\n"
            "        return self._pwd.verify(password, hashed)\n\n"
            "    async def register(self, password: str) -> str:\n"
            "        return self._hasher.hash(password)\n",
            hits=2,
            note="hashers held by a service class",
        ),
        Case.bad(
            "import sqlite3\nimport smtplib as smtp\n\nimport bcrypt\nimport boto3\n"
            "from redis import Redis\n\n\nasync def work(data: bytes) -> None:\n"
            "    conn = sqlite3.connect('app.db')\n    bcrypt.hashpw(data, bcrypt.gensalt())\n"
            "    boto3.client('s3')\n    smtp.SMTP('mail')\n    Redis(host='cache')\n",
            hits=5,
            note="direct calls, aliased imports",
        ),
        Case(
            files={
                "app/core/security.py": (
                    "from passlib.context import CryptContext\n\n"
                    "pwd_context = CryptContext(schemes=['bcrypt'])\n"
                ),
                "app/database.py": (
                    "from sqlalchemy import create_engine\n"
                    "from sqlalchemy.orm import sessionmaker\n\n"
                    "engine = create_engine('sqlite://')\n"
                    "SessionLocal = sessionmaker(bind=engine)\n"
                ),
                "app/services/users.py": (
                    "from sqlalchemy.orm import Session\n\n"
                    "from app.core.security import pwd_context\n"
                    "from app.database import SessionLocal, engine\n\n\n"
                    "async def register(db: Session, password: str) -> str:\n"
                    "    db.add(User())\n    db.commit()\n"
                    "    return pwd_context.hash(password)\n\n\n"
                    "async def stats() -> int:\n    with engine.connect() as conn:\n"
                    "        pass\n    s = SessionLocal()\n    return s.query(User).count()\n"
                ),
            },
            hits=4,
            note="a typed sync session (once), a hasher and a session factory from other modules",
        ),
        Case.bad(
            "async def create_user(u: dict) -> None:\n    db = getDb()\n"
            "    db.query(User).first()\n    db.commit()\n",
            note="a session of unknown kind used with query()",
        ),
    )

    def __init__(self, context: ModuleContext) -> None:
        """Start with no session reported."""
        super().__init__(context)
        self.awaited: set[int] = set()
        self.reported: set[tuple[int, str]] = set()  # (frame id, receiver) already reported

    @classmethod
    def applies(cls, facts: ModuleFacts, project: ProjectFacts) -> bool:
        """Application modules with ``async def``."""
        return is_app_module(facts) and "async def" in source(project, facts)

    def visit_Await(self, node: cst.Await) -> None:
        """Remember awaited calls."""
        self.awaited.add(id(node.expression))

    def visit_Call(self, node: cst.Call) -> None:
        """Report blocking calls made directly inside ``async def``."""
        if not self.in_async or id(node) in self.awaited:
            return
        name = dotted(node.func)
        advice = self.resolver.match(name, BLOCKING_CALLS)
        if advice is not None:
            self._report(node, f"`{name}()`", advice)
            return
        found = method_call(node)
        if found is not None:
            self._method(node, *found)

    def _method(self, node: cst.Call, receiver: cst.BaseExpression, method: str) -> None:
        kind = self.kind_of(receiver)
        if (
            kind is None
            and method == "query"
            and self.session_kind(receiver, by_name=True)
            and looks_like_orm(node)
        ):
            kind = Kind.SESSION
        if kind is None or kind not in RECEIVER_METHODS:
            return
        methods, advice = RECEIVER_METHODS[kind]
        if methods is not None and method not in methods:
            return
        if kind is Kind.SYNC_REDIS and method in REDIS_PURE:
            return
        label = dotted(receiver) or "object"
        if kind in {Kind.SYNC_SESSION, Kind.SESSION, Kind.DB_CONNECTION}:
            key = (id(self.frame.node) if self.frame else 0, label)
            if key in self.reported:
                return
            self.reported.add(key)
        self._report(node, f"`{label}.{method}()` on a {kind.value}", advice)

    def _report(self, node: cst.Call, what: str, advice: str) -> None:
        where = self.frame.name if self.frame is not None else "?"
        self.report(node, f"{what} blocks the event loop inside `async def {where}`; {advice}")
