"""sql-text-interpolation: SQL built with f-strings, ``%``, ``+`` or ``.format()``."""

from __future__ import annotations

import re
from typing import ClassVar

import libcst as cst

from rulepack.evaluator.checks.base import Case, ModuleCheck, ModuleContext, ProjectFacts
from rulepack.evaluator.checks.common import is_test_path
from rulepack.evaluator.checks.facts import ModuleFacts, keyword, positional
from rulepack.evaluator.checks.security.support import (
    ScopeVisitor,
    interpolated_values,
    interpolation_kind,
    iter_targets,
)

TEXT_FUNCTIONS = frozenset(
    {
        "sqlalchemy.text",
        "sqlalchemy.sql.text",
        "sqlalchemy.sql.expression.text",
        "sqlmodel.text",
    }
)
EXECUTE_METHODS = frozenset({"execute", "executemany", "executescript", "exec_driver_sql"})
STATEMENT_KEYWORDS = ("statement", "sql", "query", "operation", "text")
CONSTANT = re.compile(r"^_*[A-Z][A-Z0-9_]*$")
SAFE_ATTRIBUTES = frozenset({"__tablename__", "__table__", "__name__"})


def is_constant(node: cst.BaseExpression) -> bool:
    """A value no request sets: a literal, an UPPER_CASE name, ``Model.__tablename__``."""
    if isinstance(node, cst.Integer | cst.Float | cst.SimpleString):
        return True
    if isinstance(node, cst.Name):
        return bool(CONSTANT.match(node.value))
    if isinstance(node, cst.Attribute):
        return node.attr.value in SAFE_ATTRIBUTES or bool(CONSTANT.match(node.attr.value))
    return False


def unsafe_interpolation(node: cst.BaseExpression) -> str | None:
    """How ``node`` puts variable values into a string, unless they are all constants."""
    values = interpolated_values(node)
    if not values or all(is_constant(value) for value in values):
        return None
    return interpolation_kind(node)


class _Bindings(ScopeVisitor):
    """How a function builds one variable: the first interpolation found, if any."""

    def __init__(self, name: str) -> None:
        super().__init__()
        self.name = name
        self.kind: str | None = None

    def visit_Assign(self, node: cst.Assign) -> None:
        for target in iter_targets(node):
            if isinstance(target, cst.Name) and target.value == self.name:
                self.kind = self.kind or unsafe_interpolation(node.value)

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        if isinstance(node.target, cst.Name) and node.target.value == self.name and node.value:
            self.kind = self.kind or unsafe_interpolation(node.value)

    def visit_AugAssign(self, node: cst.AugAssign) -> None:
        if isinstance(node.target, cst.Name) and node.target.value == self.name:
            value = node.value
            if isinstance(node.operator, cst.AddAssign) and not is_constant(value):
                self.kind = self.kind or unsafe_interpolation(value) or "`+=` concatenation"


def _named_text(call: cst.Call) -> bool:
    """``text(...)`` whatever it resolves to (``from sqlalchemy import *``, an alias module)."""
    func = call.func
    name = func.attr.value if isinstance(func, cst.Attribute) else None
    return (func.value if isinstance(func, cst.Name) else name) == "text"


class SqlTextInterpolation(ModuleCheck):
    """SQL built by string interpolation.

    ## What it does
    Finds SQLAlchemy ``text(...)`` and ``.execute(...)``/``.executemany(...)``/
    ``.executescript(...)``/``.exec_driver_sql(...)`` calls (on sessions, connections, cursors,
    Alembic's ``op``) whose statement is an f-string, a ``%`` or ``+`` expression or a
    ``.format()`` call, or a local variable built that way (``+=`` included). Values that are
    constants (``UPPER_CASE`` names, ``Model.__tablename__``, literals) do not count. ruff S608
    reports literal ``SELECT``/``INSERT``/``UPDATE``/``DELETE`` strings built this way; this
    check also catches fragments (``ORDER BY``, ``LIMIT``, ``PRAGMA``) and statements passed
    through variables.

    ## Why is this bad?
    Interpolated values are parsed as SQL, so one quote in a request field can read or destroy
    the database; bound parameters (``text("... WHERE id = :id")`` with ``{"id": ...}``) are
    always sent as data.
    """

    id = "sql-text-interpolation"
    summary = "SQL built with string interpolation; use bound parameters"
    good: ClassVar[tuple[Case, ...]] = (
        Case.good(
            "from sqlalchemy import select, text\n"
            "from sqlalchemy.ext.asyncio import AsyncSession\n\n\n"
            "async def get_by_email(session: AsyncSession, email: str) -> User | None:\n"
            "    result = await session.execute(select(User).where(User.email == email))\n"
            "    return result.scalar_one_or_none()\n\n\n"
            "async def count_active(session: AsyncSession, tenant_id: int) -> int:\n"
            "    stmt = text('SELECT count(*) FROM users WHERE tenant_id = :tenant_id')\n"
            "    return (await session.execute(stmt, {'tenant_id': tenant_id})).scalar_one()\n",
            path="app/repositories/users.py",
        ),
        Case.good(
            "import sqlalchemy as sa\n\nTABLE = 'audit_log'\n\n\n"
            "class AuditRepository:\n"
            "    async def purge(self, conn: object, days: int) -> None:\n"
            "        sql = f'DELETE FROM {TABLE} WHERE age > :days'\n"
            "        await conn.execute(sa.text(sql), {'days': days})\n"
            "        await conn.execute(sa.text(f'ANALYZE {User.__tablename__}'))\n"
            "        await conn.execute(sa.text('VACUUM ' 'audit_log'))\n"
            "        await self.executor.execute(job)\n",
            note="constant table names, literal concatenation, a non-SQL execute",
        ),
        Case.good(
            "from sqlalchemy import text\n\n\n"
            "def test_raw(conn: object, name: str) -> None:\n"
            "    conn.execute(text(f\"SELECT * FROM t WHERE n = '{name}'\"))\n",
            path="tests/test_raw.py",
            note="test modules are not checked",
        ),
    )
    bad: ClassVar[tuple[Case, ...]] = (
        Case.bad(
            "from sqlalchemy import text\n\n\n"
            "async def search_users(session: AsyncSession, name: str) -> list[User]:\n"
            "    query = f\"SELECT * FROM users WHERE name LIKE '%{name}%'\"\n"
            "    result = await session.execute(text(query))\n"
            "    return list(result.all())\n",
            path="app/repositories/users.py",
        ),
        Case.bad(
            "from sqlalchemy import text\n\n\n"
            "async def list_users(session: AsyncSession, sort: str) -> list[User]:\n"
            "    result = await session.execute(text('SELECT id, email FROM users ORDER BY ' +"
            " sort))\n"
            "    return list(result.all())\n",
            path="app/repositories/users.py",
        ),
        Case.bad(
            "import sqlite3\n\nfrom sqlalchemy import text as sql\n\n\n"
            "def search(db: object, q: object, limit: int) -> list[object]:\n"
            "    rows = db.execute(\n"
            "        sql(\"SELECT * FROM products WHERE name = '%s'\" % (q.name,))\n"
            "    ).fetchall()\n"
            "    cursor = sqlite3.connect('app.db').cursor()\n"
            "    cursor.execute('SELECT * FROM t LIMIT {}'.format(limit))\n"
            "    stmt = 'SELECT * FROM t WHERE 1 = 1'\n"
            "    if q.owner:\n        stmt += ' AND owner = ' + q.owner\n"
            "    db.exec_driver_sql(stmt)\n"
            "    return rows\n",
            hits=3,
            note="% formatting in an aliased text(), .format() on a cursor, a query built with +=",
        ),
        Case.bad(
            "from sqlalchemy import *\n\n\n"
            "def delete_user(db: object, user_id: str) -> None:\n"
            "    db.execute(text(f'DELETE FROM users WHERE id = {user_id}'))\n",
            note="text() from a star import, inside execute()",
        ),
    )

    def __init__(self, context: ModuleContext) -> None:
        """Prepare the function stack (for statements built in local variables)."""
        super().__init__(context)
        self.functions: list[cst.FunctionDef] = []

    @classmethod
    def applies(cls, facts: ModuleFacts, project: ProjectFacts) -> bool:
        """Every module except tests."""
        del project
        return not is_test_path(facts.path)

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        """Enter a function."""
        self.functions.append(node)

    def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
        """Leave the function."""
        del original_node
        self.functions.pop()

    def visit_Call(self, node: cst.Call) -> None:
        """Check the statement of ``text()`` and ``.execute()`` calls."""
        func = node.func
        if self.qualified(func) in TEXT_FUNCTIONS:
            where = "`text()`"
        elif isinstance(func, cst.Attribute) and func.attr.value in EXECUTE_METHODS:
            where = f"`.{func.attr.value}()`"
        else:
            return
        statement = positional(node, 0)
        for name in STATEMENT_KEYWORDS:
            statement = statement or keyword(node, name)
        if (
            isinstance(statement, cst.Call)
            and _named_text(statement)
            and self.qualified(statement.func) not in TEXT_FUNCTIONS
        ):
            statement = positional(statement, 0)  # ``execute(text(...))``, ``text`` unresolved
            where = "`text()`"
        if statement is None:
            return
        kind = unsafe_interpolation(statement)
        if kind is None and isinstance(statement, cst.Name) and self.functions:
            bindings = _Bindings(statement.value)
            self.functions[-1].body.visit(bindings)
            kind = bindings.kind
        if kind is not None:
            self.report(
                node,
                f"SQL for {where} is built with {kind}; pass values as bound parameters "
                '(`text("... WHERE id = :id")` with `{"id": ...}`)',
            )
