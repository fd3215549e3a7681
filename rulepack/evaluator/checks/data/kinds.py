"""What a value is to the data checks (a sync session, an async HTTP client ...), by its factory.

The tables map qualified names of classes and factory functions to the :class:`Kind` of value a
call returns (``CONSTRUCTORS``) or an annotation declares (``TYPES``).
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import Enum
from types import MappingProxyType


class Kind(Enum):
    """A kind of resource the database, async and HTTP checks track."""

    SYNC_ENGINE = "sync SQLAlchemy engine"
    ASYNC_ENGINE = "async SQLAlchemy engine"
    SYNC_SESSION = "sync SQLAlchemy session"
    ASYNC_SESSION = "AsyncSession"
    SESSION = "database session"  # sync or async: known only by its name
    SYNC_SESSION_FACTORY = "sync session factory"
    ASYNC_SESSION_FACTORY = "async session factory"
    SESSION_FACTORY = "session factory"
    HTTPX_SYNC = "httpx.Client"
    HTTPX_ASYNC = "httpx.AsyncClient"
    AIOHTTP = "aiohttp.ClientSession"
    REQUESTS = "requests.Session"
    URLLIB3 = "urllib3.PoolManager"
    SYNC_REDIS = "sync Redis client"
    ASYNC_REDIS = "async Redis client"
    HASHER = "password hasher"
    DB_CONNECTION = "sync database connection"


SESSIONS = frozenset({Kind.SYNC_SESSION, Kind.ASYNC_SESSION, Kind.SESSION})
SESSION_FACTORIES = {
    Kind.SYNC_SESSION_FACTORY: Kind.SYNC_SESSION,
    Kind.ASYNC_SESSION_FACTORY: Kind.ASYNC_SESSION,
    Kind.SESSION_FACTORY: Kind.SESSION,
}
ASYNC_HTTP = frozenset({Kind.HTTPX_ASYNC, Kind.AIOHTTP})
SYNC_HTTP = frozenset({Kind.HTTPX_SYNC, Kind.REQUESTS, Kind.URLLIB3})

_SA_ASYNC = ("sqlalchemy.ext.asyncio", "sqlalchemy.ext.asyncio.session")
_SA_ENGINE = ("sqlalchemy", "sqlalchemy.engine", "sqlalchemy.engine.create", "sqlmodel")


def _each(modules: tuple[str, ...], name: str, kind: Kind) -> dict[str, Kind]:
    return {f"{module}.{name}": kind for module in modules}


CONSTRUCTORS: Mapping[str, Kind] = MappingProxyType(
    {
        **_each(_SA_ENGINE, "create_engine", Kind.SYNC_ENGINE),
        **_each(
            ("sqlalchemy.ext.asyncio", "sqlalchemy.ext.asyncio.engine", "sqlmodel.ext.asyncio"),
            "create_async_engine",
            Kind.ASYNC_ENGINE,
        ),
        **_each(
            ("sqlalchemy.orm", "sqlalchemy.orm.session"), "sessionmaker", Kind.SYNC_SESSION_FACTORY
        ),
        **_each(
            ("sqlalchemy.orm", "sqlalchemy.orm.scoping"),
            "scoped_session",
            Kind.SYNC_SESSION_FACTORY,
        ),
        **_each(_SA_ASYNC, "async_sessionmaker", Kind.ASYNC_SESSION_FACTORY),
        **_each(
            ("sqlalchemy.ext.asyncio", "sqlalchemy.ext.asyncio.scoping"),
            "async_scoped_session",
            Kind.ASYNC_SESSION_FACTORY,
        ),
        **_each(
            ("sqlalchemy.orm", "sqlalchemy.orm.session", "sqlmodel", "sqlmodel.orm.session"),
            "Session",
            Kind.SYNC_SESSION,
        ),
        **_each((*_SA_ASYNC, "sqlmodel.ext.asyncio.session"), "AsyncSession", Kind.ASYNC_SESSION),
        **_each(("httpx", "httpx._client"), "AsyncClient", Kind.HTTPX_ASYNC),
        **_each(("httpx", "httpx._client"), "Client", Kind.HTTPX_SYNC),
        **_each(("aiohttp", "aiohttp.client"), "ClientSession", Kind.AIOHTTP),
        **_each(("requests", "requests.sessions"), "Session", Kind.REQUESTS),
        "requests.session": Kind.REQUESTS,
        **_each(("urllib3", "urllib3.poolmanager"), "PoolManager", Kind.URLLIB3),
        **_each(("redis", "redis.client"), "Redis", Kind.SYNC_REDIS),
        **_each(("redis", "redis.client"), "StrictRedis", Kind.SYNC_REDIS),
        "redis.from_url": Kind.SYNC_REDIS,
        "redis.Redis.from_url": Kind.SYNC_REDIS,
        "redis.StrictRedis.from_url": Kind.SYNC_REDIS,
        "redis.asyncio.Redis": Kind.ASYNC_REDIS,
        "redis.asyncio.StrictRedis": Kind.ASYNC_REDIS,
        "redis.asyncio.from_url": Kind.ASYNC_REDIS,
        "redis.asyncio.Redis.from_url": Kind.ASYNC_REDIS,
        "redis.asyncio.client.Redis": Kind.ASYNC_REDIS,
        "aioredis.from_url": Kind.ASYNC_REDIS,
        "aioredis.Redis": Kind.ASYNC_REDIS,
        "aioredis.Redis.from_url": Kind.ASYNC_REDIS,
        "passlib.context.CryptContext": Kind.HASHER,
        "pwdlib.PasswordHash": Kind.HASHER,
        "pwdlib.PasswordHash.recommended": Kind.HASHER,
        "argon2.PasswordHasher": Kind.HASHER,
        "sqlite3.connect": Kind.DB_CONNECTION,
        "psycopg2.connect": Kind.DB_CONNECTION,
        "psycopg.connect": Kind.DB_CONNECTION,
        "psycopg.Connection.connect": Kind.DB_CONNECTION,
        "pymysql.connect": Kind.DB_CONNECTION,
        "MySQLdb.connect": Kind.DB_CONNECTION,
        "mysql.connector.connect": Kind.DB_CONNECTION,
    }
)
TYPES: Mapping[str, Kind] = MappingProxyType(
    {
        **{
            name: kind
            for name, kind in CONSTRUCTORS.items()
            if kind not in {Kind.SYNC_ENGINE, Kind.ASYNC_ENGINE, Kind.DB_CONNECTION}
            and not name.endswith(("from_url", "recommended", ".session"))
        },
        **_each(
            ("sqlalchemy", "sqlalchemy.engine", "sqlalchemy.engine.base"),
            "Engine",
            Kind.SYNC_ENGINE,
        ),
        **_each(
            ("sqlalchemy.ext.asyncio", "sqlalchemy.ext.asyncio.engine"),
            "AsyncEngine",
            Kind.ASYNC_ENGINE,
        ),
    }
)
# Wrappers whose first argument is the type an annotation declares.
TRANSPARENT = frozenset(
    {
        "Annotated",
        "Optional",
        "AsyncIterator",
        "AsyncGenerator",
        "Iterator",
        "Generator",
        "Awaitable",
    }
)
DEPENDS = frozenset({"fastapi.Depends", "fastapi.params.Depends", "fastapi.Security"})
