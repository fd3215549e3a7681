"""sql-text-interpolation: SQL built with f-strings, ``%``, ``+`` or ``.format()``."""

from __future__ import annotations

import re
from typing import ClassVar

import libcst as cst
from libcst.metadata import PositionProvider

from rulepack.evaluator.checks.base import Case, Hit, ModuleCheck, ModuleContext, ProjectFacts
from rulepack.evaluator.checks.common import is_test_path
from rulepack.evaluator.checks.facts import ModuleFacts, Span, keyword, positional
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
# Text before an interpolation that puts it where SQL expects a name, not a value: a quoted
# identifier, a table after FROM/INTO/..., ``search_path to``, a column list ``(...)``.
IDENTIFIER_BEFORE = re.compile(
    r"""(["`]|\b(from|into|table|join|update|schema|to|exists|index|on)\s+|\(\s*|,\s*)$""",
    re.IGNORECASE,
)
# ``IN ({ids})`` and ``VALUES ({row})`` hold values, not names.
VALUE_LIST_BEFORE = re.compile(r"\b(in|values)\s*\((\s*|.*,\s*)$", re.IGNORECASE)


def is_constant(node: cst.BaseExpression, safe: frozenset[str] = frozenset()) -> bool:
    """A value no request sets: a literal, an UPPER_CASE name, ``Model.__tablename__``.

    ``cls.<attribute>`` is a class attribute, written in code; ``safe`` names a function's
    locals that only join column names or ``:name`` placeholders (see ``_StructureNames``).
    """
    if isinstance(node, cst.Integer | cst.Float | cst.SimpleString):
        return True
    if isinstance(node, cst.Name):
        return bool(CONSTANT.match(node.value)) or node.value in safe
    if isinstance(node, cst.Attribute):
        if isinstance(node.value, cst.Name) and node.value.value == "cls":
            return True
        return node.attr.value in SAFE_ATTRIBUTES or bool(CONSTANT.match(node.attr.value))
    return False


def unsafe_interpolation(
    node: cst.BaseExpression, safe: frozenset[str] = frozenset()
) -> str | None:
    """How ``node`` puts variable values into a string, unless they are all constants."""
    values = interpolated_values(node)
    if not values or all(is_constant(value, safe) for value in values):
        return None
    return interpolation_kind(node)


def identifier_positions_only(node: cst.BaseExpression, safe: frozenset[str]) -> bool:
    """Whether every variable an f-string puts into SQL sits where a name goes, not a value.

    Names (schemas, tables, column lists) cannot be bound parameters; whether they come from an
    allow-list is beyond this check, so such statements are reported as advisory.
    """
    if not isinstance(node, cst.FormattedString):
        return False
    before = ""
    for part in node.parts:
        if isinstance(part, cst.FormattedStringText):
            before += part.value
            continue
        if not isinstance(part, cst.FormattedStringExpression):
            return False
        if not is_constant(part.expression, safe) and (
            not IDENTIFIER_BEFORE.search(before) or VALUE_LIST_BEFORE.search(before)
        ):
            return False
        before += "{}"
    return True


def _keys_of(node: cst.BaseExpression) -> str | None:
    """``row`` for ``row.keys()`` or ``row`` itself: the mapping whose keys are iterated."""
    if isinstance(node, cst.Name):
        return node.value
    if (
        isinstance(node, cst.Call)
        and isinstance(node.func, cst.Attribute)
        and node.func.attr.value == "keys"
        and not node.args
        and isinstance(node.func.value, cst.Name)
    ):
        return node.func.value.value
    return None


def _is_placeholder(node: cst.BaseExpression) -> bool:
    """``f":{key}"``: a bound-parameter placeholder named after a key."""
    return (
        isinstance(node, cst.FormattedString)
        and len(node.parts) == 2
        and isinstance(node.parts[0], cst.FormattedStringText)
        and node.parts[0].value == ":"
        and isinstance(node.parts[1], cst.FormattedStringExpression)
    )


def joined_mapping(node: cst.BaseExpression) -> str | None:
    """``row`` for ``", ".join(row.keys())`` or ``", ".join(f":{k}" for k in row.keys())``."""
    if not (
        isinstance(node, cst.Call)
        and isinstance(node.func, cst.Attribute)
        and node.func.attr.value == "join"
        and len(node.args) == 1
    ):
        return None
    joined = node.args[0].value
    if isinstance(joined, cst.Call):
        return _keys_of(joined)
    if isinstance(joined, cst.GeneratorExp | cst.ListComp) and _is_placeholder(joined.elt):
        comp = joined.for_in
        return _keys_of(comp.iter) if comp.inner_for_in is None else None
    return None


class _StructureNames(ScopeVisitor):
    """Locals that join the keys of a dict written in the function, as columns or placeholders.

    ``columns = ", ".join(row.keys())`` with ``row = {"id": ..., "name": ...}``: the keys are
    code, so the SQL built from them has a fixed structure and its values stay bound.
    """

    def __init__(self) -> None:
        super().__init__()
        self.literals: set[str] = set()
        self.joins: dict[str, str] = {}
        self.other: set[str] = set()

    def visit_Assign(self, node: cst.Assign) -> None:
        for target in iter_targets(node):
            if not isinstance(target, cst.Name):
                continue
            mapping = joined_mapping(node.value)
            if isinstance(node.value, cst.Dict):
                self.literals.add(target.value)
            elif mapping is not None:
                self.joins[target.value] = mapping
            else:
                self.other.add(target.value)

    @property
    def names(self) -> frozenset[str]:
        """The locals that are SQL structure wherever they are bound."""
        fixed = self.literals - self.other
        return frozenset(
            name
            for name, mapping in self.joins.items()
            if mapping in fixed and name not in self.other
        )


class _Bindings(ScopeVisitor):
    """How a function builds one variable: the first interpolation found, if any."""

    def __init__(self, name: str, safe: frozenset[str] = frozenset()) -> None:
        super().__init__()
        self.name = name
        self.safe = safe
        self.kind: str | None = None
        self.value: cst.BaseExpression | None = None  # the interpolating value, when one

    def visit_Assign(self, node: cst.Assign) -> None:
        for target in iter_targets(node):
            if isinstance(target, cst.Name) and target.value == self.name and not self.kind:
                self.kind = unsafe_interpolation(node.value, self.safe)
                self.value = node.value if self.kind else None

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        if isinstance(node.target, cst.Name) and node.target.value == self.name and node.value:
            self.kind = self.kind or unsafe_interpolation(node.value, self.safe)

    def visit_AugAssign(self, node: cst.AugAssign) -> None:
        if isinstance(node.target, cst.Name) and node.target.value == self.name:
            value = node.value
            if isinstance(node.operator, cst.AddAssign) and not is_constant(value, self.safe):
                self.kind = (
                    self.kind or unsafe_interpolation(value, self.safe) or "`+=` concatenation"
                )


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
    constants (``UPPER_CASE`` names, ``Model.__tablename__``, ``cls.`` class attributes,
    literals) do not count, nor do column lists and ``:name`` placeholders joined from the keys
    of a dict literal of the same function (the values stay bound). When every variable part
    sits where SQL expects a name (a quoted identifier, after ``FROM``/``INTO``/``TABLE``/
    ``search_path TO``, a column list), the finding is advisory: names cannot be bound, and
    whether they come from an allow-list is beyond the check. ruff S608
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
            "import sqlalchemy as sa\n\n\n"
            "def copy_prefs(session: object, owner_id: str, theme: str) -> None:\n"
            "    row = {'owner_id': owner_id, 'theme': theme, 'compact': False}\n"
            "    cols = ', '.join(row.keys())\n"
            "    marks = ', '.join(f':{name}' for name in row.keys())\n"
            "    sql = f'INSERT INTO prefs ({cols}) VALUES ({marks})'\n"
            "    session.execute(sa.text(sql), row)\n\n\n"
            "class Searchable:\n    _threshold = 0.7\n\n"
            "    @classmethod\n"
            "    def tune(cls, session: object) -> None:\n"
            "        sql = f'SET pg_trgm.similarity_threshold = {cls._threshold}'\n"
            "        session.execute(sa.text(sql))\n",
            path="app/repositories/prefs.py",
            note="columns and placeholders joined from a dict literal's keys; a class attribute",
        ),
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
        Case.bad(
            "import sqlalchemy as sa\n\n\n"
            "def patch(session: object, table: str, changes: dict[str, object]) -> None:\n"
            "    cols = ', '.join(f'{k} = :{k}' for k in changes)\n"
            "    marks = ', '.join(f':{k}' for k in changes.keys())\n"
            "    session.execute(sa.text(f'UPDATE {table} SET {cols} WHERE {marks}'), changes)\n",
            note="keys of a dict the caller sends: user-chosen columns need an allow-list",
        ),
        Case.bad(
            "import sqlalchemy as sa\n\n\n"
            "def tag(conn: object, ids: str, name: str, row: str) -> None:\n"
            "    conn.execute(sa.text(f'DELETE FROM tags WHERE id IN ({ids})'))\n"
            "    conn.execute(sa.text(f'INSERT INTO tags VALUES (1, {name})'))\n"
            "    conn.execute(sa.text(f'SET search_path TO \"{row}\"'))\n",
            hits=3,
            note="values in IN (...) and VALUES (...); a schema name (reported as advisory)",
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

    def _structure_names(self) -> frozenset[str]:
        """The enclosing function's locals that join column names or placeholders only."""
        if not self.functions:
            return frozenset()
        finder = _StructureNames()
        self.functions[-1].body.visit(finder)
        return finder.names

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
        safe = self._structure_names()
        kind = unsafe_interpolation(statement, safe)
        built = statement
        if kind is None and isinstance(statement, cst.Name) and self.functions:
            bindings = _Bindings(statement.value, safe)
            self.functions[-1].body.visit(bindings)
            kind, built = bindings.kind, bindings.value or statement
        if kind is None:
            return
        if identifier_positions_only(built, safe):
            self.hits.append(
                Hit(
                    self.context.path,
                    Span.of(self.get_metadata(PositionProvider, node)),
                    f"SQL for {where} puts names (schema, table or columns) in with {kind}; "
                    "names cannot be bound parameters, so check that they come from code or an "
                    "allow-list, never from a request",
                    advisory=True,
                )
            )
            return
        self.report(
            node,
            f"SQL for {where} is built with {kind}; pass values as bound parameters "
            '(`text("... WHERE id = :id")` with `{"id": ...}`)',
        )
