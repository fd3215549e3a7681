"""http-method-semantics: ``GET`` handlers that write (session writes, write SQL, write methods)."""

from __future__ import annotations

import ast
import re
from typing import ClassVar

import libcst as cst

from rulepack.evaluator.checks.base import Case, ModuleContext
from rulepack.evaluator.checks.imports import dotted
from rulepack.evaluator.checks.routes.handlers import Handler, RouteCheck
from rulepack.evaluator.checks.routes.naming import snake
from rulepack.evaluator.checks.routes.sample import ParamInfo, keyword_value

SESSION_WRITES = frozenset(
    {"add", "add_all", "commit", "delete", "merge", "bulk_save_objects", "bulk_insert_mappings"}
)
SESSION_NAMES = re.compile(r"^(db|session|sess|db_session|async_session|conn|connection|uow|tx)$")
SESSION_TYPES = frozenset({"Session", "AsyncSession", "Connection", "AsyncConnection"})
WRITE_METHOD = re.compile(
    r"^(create|update|delete|save|remove|insert|upsert|destroy|add|write|store|mark)(_|$)"
)
SERVICE_WORDS = re.compile(r"service|repo|crud|dao|store|manager|svc")
SQL_BUILDERS = frozenset(
    {
        f"{module}.{name}"
        for module in (
            "sqlalchemy",
            "sqlalchemy.sql",
            "sqlalchemy.sql.expression",
            "sqlalchemy.dialects.postgresql",
            "sqlalchemy.dialects.sqlite",
            "sqlalchemy.dialects.mysql",
            "sqlmodel",
        )
        for name in ("insert", "update", "delete")
    }
)
PROTOCOL_REDIRECT = re.compile(r"callback|authori[sz]e|oauth|openid|oidc|(^|/)sso(/|$)|saml")
WRITE_SQL = re.compile(
    r"^\s*(insert|update|delete|drop|alter|truncate|create|merge|replace)\b", re.IGNORECASE
)


def sql_text(node: cst.BaseExpression) -> str | None:
    """The leading literal text of a string, f-string or ``text("...")`` argument."""
    if isinstance(node, cst.Call) and node.args:
        return sql_text(node.args[0].value)
    if isinstance(node, cst.SimpleString):
        value = node.evaluated_value
        return value if isinstance(value, str) else None
    if isinstance(node, cst.FormattedString):
        parts = [p.value for p in node.parts if isinstance(p, cst.FormattedStringText)]
        return parts[0] if parts else None
    if isinstance(node, cst.ConcatenatedString):
        return sql_text(node.left)
    if isinstance(node, cst.BinaryOperation):
        return sql_text(node.left)
    return None


class HttpMethodSemantics(RouteCheck):
    """``GET`` handlers that change state.

    ## What it does
    In ``GET`` route handlers, finds: session writes (``add``, ``add_all``, ``commit``,
    ``delete``, ``merge``) on a session (a parameter typed ``Session``/``AsyncSession`` or a
    session alias, or a name such as ``db``, ``session``, ``conn``); ``execute()`` of an
    ``insert()``/``update()``/``delete()`` statement or of SQL text starting with ``INSERT``,
    ``UPDATE``, ``DELETE``, ``DROP`` ...; and methods named ``create_*``, ``update_*``,
    ``delete_*``, ``save_*``, ``remove_*``, ``add_*``, ``mark_*`` ... called on a service,
    repository or CRUD module (or on an injected dependency). One finding per handler, at the
    first write.

    ## Why is this bad?
    ``GET`` is defined as safe: browsers prefetch it, proxies cache it, crawlers follow it and
    clients retry it, so a writing ``GET`` changes data without the caller's intent.
    """

    id = "http-method-semantics"
    summary = "`GET` handler writes; use POST/PUT/PATCH/DELETE"
    good: ClassVar[tuple[Case, ...]] = (
        Case.good(
            "from fastapi import APIRouter\nfrom sqlalchemy import select\n\n"
            "router = APIRouter()\n\n\n"
            "@router.get('/notifications/{notification_id}')\n"
            "async def read(notification_id: int, session: SessionDep) -> dict:\n"
            "    seen = set()\n    seen.add(notification_id)\n"
            "    cache.delete(notification_id)\n"
            "    result = await session.execute(select(Notification))\n"
            "    return await service.get_notification(notification_id)\n\n\n"
            "@router.patch('/notifications/{notification_id}')\n"
            "async def update(notification_id: int, session: SessionDep) -> None:\n"
            "    await session.commit()\n    await service.update_notification(notification_id)\n",
            note="reads, a set and a cache, writes on PATCH",
        ),
        Case.good(
            "from fastapi import FastAPI\n\napp = FastAPI()\n\n\n"
            "def save(session) -> None:\n    session.commit()\n\n\n"
            "@app.get('/items')\nasync def items(db: Session) -> list[str]:\n"
            "    def later() -> None:\n        db.commit()\n\n"
            "    rows = db.execute(text('SELECT * FROM items'))\n"
            "    return [r.name for r in rows]\n",
            note="plain functions and nested functions are not the handler",
        ),
        Case.good(
            "from fastapi import APIRouter, Depends\n\nrouter = APIRouter()\n\n\n"
            "@router.get('/stream')\n"
            "async def stream(session: AsyncSession = Depends(db)) -> None:\n"
            "    seat = await load(session)\n    await session.commit()\n"
            "    return await follow(seat)\n",
            note="a commit that only ends the read transaction before a long response",
        ),
        Case.good(
            "from fastapi import APIRouter\n\nrouter = APIRouter(prefix='/auth/github')\n\n\n"
            "@router.get('/callback')\nasync def github_callback(session: AsyncSession) -> None:\n"
            "    session.add(Account())\n    await session.commit()\n",
            note="an OAuth callback: the provider redirects with GET and the login writes",
        ),
    )
    bad: ClassVar[tuple[Case, ...]] = (
        Case.bad(
            "from fastapi import APIRouter\n\n"
            "router = APIRouter(prefix='/api/v1/notifications', tags=['notifications'])\n\n\n"
            "@router.get('/{notification_id}')\nasync def read_notification(\n"
            "    notification_id: int, session: SessionDep\n) -> NotificationRead:\n"
            "    notification = await session.get(Notification, notification_id)\n"
            "    notification.is_read = True\n    await session.commit()\n"
            "    return NotificationRead.model_validate(notification)\n"
        ),
        Case(
            files={
                "app/main.py": (
                    "from typing import Annotated\n\nfrom fastapi import Depends, FastAPI\n"
                    "from sqlalchemy import delete as sa_delete\n"
                    "from sqlalchemy.orm import Session\n\n"
                    "from app import crud\nfrom app.services.users import UserService\n\n"
                    "app = FastAPI()\n\n\n"
                    "@app.get('/deleteUser/{user_id}')\n"
                    "async def delete_user(user_id: int, store: Annotated[Session, Depends(db)]):\n"
                    "    store.execute(sa_delete(User).where(User.id == user_id))\n\n\n"
                    "@app.get('/purge')\nasync def purge(conn=Depends(get_conn)):\n"
                    "    conn.execute(text(f'DELETE FROM users WHERE id = {1}'))\n\n\n"
                    "@app.api_route('/visits', methods=['GET'])\n"
                    "async def visit(users: Annotated[UserService, Depends()]) -> None:\n"
                    "    await users.mark_visited()\n\n\n"
                    "@app.get('/users/new')\nasync def new_user(db: Session) -> None:\n"
                    "    crud.create_user(db, name='x')\n"
                ),
            },
            hits=4,
            note="SQLAlchemy delete(), DELETE text, a dependency's write method, a CRUD module",
        ),
    )

    def __init__(self, context: ModuleContext) -> None:
        """Start with no handler reported."""
        super().__init__(context)
        self._reported: set[Handler] = set()
        # A bare ``commit()`` writes only what the handler changed: held until the body shows an
        # attribute assignment (``item.read = True``); alone it just ends the transaction.
        self._commits: dict[Handler, cst.Call] = {}
        self._assigned: set[Handler] = set()

    def visit_AssignTarget(self, node: cst.AssignTarget) -> None:
        """An attribute assignment in a GET handler: a later ``commit()`` persists it."""
        handler = self.handler
        if handler is not None and isinstance(node.target, cst.Attribute | cst.Subscript):
            self._assigned.add(handler)

    def leave_handler(self, handler: Handler) -> None:
        """Report a held ``commit()`` if the handler changed some object's attribute."""
        call = self._commits.pop(handler, None)
        changed = handler in self._assigned
        self._assigned.discard(handler)
        if call is not None and changed and handler not in self._reported:
            self._report_write(call, handler, "commit()")
        self._reported.discard(handler)

    def visit_Call(self, node: cst.Call) -> None:
        """Report the first write in a ``GET`` handler's body."""
        handler = self.handler
        if handler is None or handler.methods != {"GET"} or handler in self._reported:
            return
        if self._protocol_redirect(handler):
            return
        write = self._write(node, handler)
        if write is not None and write.endswith(".commit()"):
            self._commits.setdefault(handler, node)
        elif write is not None:
            self._report_write(node, handler, write)

    def _protocol_redirect(self, handler: Handler) -> bool:
        """An OAuth/OIDC/SSO authorize or callback route: the protocol makes it a GET.

        The identity provider redirects the browser with GET, and the route must log the user
        in (create a session, store the account) or issue a code.
        """
        texts = [handler.name, *handler.paths]
        for route in handler.routes:
            for _, call, _ in self.index.mount_calls(route.owner):
                prefix = keyword_value(call, "prefix")
                if isinstance(prefix, ast.Constant) and isinstance(prefix.value, str):
                    texts.append(prefix.value)
        return any(PROTOCOL_REDIRECT.search(text.lower()) for text in texts)

    def _report_write(self, node: cst.Call, handler: Handler, write: str) -> None:
        self._reported.add(handler)
        self.report(
            node,
            f"GET handler `{handler.name}` seems to change state (`{write}`); GET must be "
            "safe to repeat: do the write in a POST, PUT, PATCH or DELETE route",
        )

    def _write(self, node: cst.Call, handler: Handler) -> str | None:
        func = node.func
        if not isinstance(func, cst.Attribute):
            return self._write_function(func)
        method = func.attr.value
        receiver = dotted(func.value)
        if method in {"execute", "exec", "executemany"} and node.args:
            statement = node.args[0].value
            if self._is_write_statement(statement):
                return f"{receiver or '...'}.{method}({self.source(statement)[:40]})"
        if receiver is None:
            return None
        if method in SESSION_WRITES and self._is_session(receiver, handler):
            return f"{receiver}.{method}()"
        if WRITE_METHOD.match(snake(method)) and self._is_service(receiver, handler):
            return f"{receiver}.{method}()"
        return None

    def _write_function(self, func: cst.BaseExpression) -> str | None:
        """``create_user(...)`` imported from a CRUD, service or repository module."""
        qualified = self.qualified(func)
        if qualified is None or "." not in qualified or not isinstance(func, cst.Name):
            return None
        module, _, name = qualified.rpartition(".")
        if func.value not in self.context.imports.names:
            return None
        if WRITE_METHOD.match(snake(name)) and SERVICE_WORDS.search(module.lower()):
            return f"{func.value}()"
        return None

    def _is_write_statement(self, statement: cst.BaseExpression) -> bool:
        if isinstance(statement, cst.Call):
            builder = statement.func
            while isinstance(builder, cst.Attribute) and isinstance(builder.value, cst.Call):
                builder = builder.value.func  # delete(User).where(...)
            if self.qualified(builder) in SQL_BUILDERS:
                return True
        text = sql_text(statement)
        return text is not None and WRITE_SQL.match(text) is not None

    def _is_session(self, receiver: str, handler: Handler) -> bool:
        if SESSION_NAMES.match(receiver) or receiver.endswith(("_session", "_db")):
            return True
        param = self._named_param(receiver, handler)
        name = param.type_name if param is not None else None
        return name is not None and name.rsplit(".", 1)[-1] in SESSION_TYPES

    def _is_service(self, receiver: str, handler: Handler) -> bool:
        head = receiver.split(".", 1)[0]
        if SERVICE_WORDS.search(snake(receiver)):
            return True
        param = self._named_param(head, handler)
        if param is None or head != receiver:
            return False
        return param.marker is not None or param.alias is not None

    def _named_param(self, name: str, handler: Handler) -> ParamInfo | None:
        return next((p for p in self.handler_params(handler) if p.name == name), None)
