"""sql-text-interpolation: SQL built with f-strings, ``%``, ``+`` or ``.format()``."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from string import Formatter
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
# identifier, a table after FROM/INTO/..., a role or database in DDL (``ALTER ROLE``),
# ``search_path to``, a column list ``(...)``.
IDENTIFIER_BEFORE = re.compile(
    r"""(["`]|\b(from|into|table|join|update|schema|to|exists|index|on|role|database|"""
    r"""sequence|view|trigger|extension|owner|grant|revoke)\s+|\(\s*|,\s*)$""",
    re.IGNORECASE,
)
# A name qualified by or qualifying another (``t2.{column}``, ``{table}.id``) is a name too.
# ``WHERE {clause}`` with no operator after it: a whole condition, i.e. SQL code, not a value.
FRAGMENT_BEFORE = re.compile(r"\b(where|and|or|having)\s+$", re.IGNORECASE)
FRAGMENT_AFTER = re.compile(
    r"^\s*($|\)|;|(and|or|order|group|limit|offset|returning|for|union)\b)", re.IGNORECASE
)
QUALIFIED_BEFORE = re.compile(r"""[\w}"`]\.$""")
QUALIFIES_AFTER = re.compile(r"""^\.[A-Za-z_"`{]""")
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
    if isinstance(node, cst.Call):
        mapping = joined_mapping(node)
        return mapping is not None and f"keys:{mapping}" in safe
    return False


def unsafe_interpolation(
    node: cst.BaseExpression, safe: frozenset[str] = frozenset()
) -> str | None:
    """How ``node`` puts variable values into a string, unless they are all constants."""
    values = interpolated_values(node)
    if not values or all(is_constant(value, safe) for value in values):
        return None
    return interpolation_kind(node)


def _fstring_parts(node: cst.BaseExpression) -> list[str | cst.BaseExpression] | None:
    """The text and the interpolated values of an f-string (implicitly joined too), in order."""
    if isinstance(node, cst.ConcatenatedString):
        left, right = _fstring_parts(node.left), _fstring_parts(node.right)
        return None if left is None or right is None else [*left, *right]
    if isinstance(node, cst.SimpleString):
        text = node.evaluated_value
        return [text] if isinstance(text, str) else None
    if not isinstance(node, cst.FormattedString):
        return None
    parts: list[str | cst.BaseExpression] = []
    for part in node.parts:
        if isinstance(part, cst.FormattedStringText):
            parts.append(part.value)
        elif isinstance(part, cst.FormattedStringExpression):
            parts.append(part.expression)
        else:
            return None
    return parts


def _format_parts(node: cst.Call) -> list[str | cst.BaseExpression] | None:
    """The text and the arguments of ``"... {} ... {name}".format(a, name=b)``, in order."""
    func = node.func
    if not (
        isinstance(func, cst.Attribute)
        and func.attr.value == "format"
        and isinstance(func.value, cst.SimpleString)
    ):
        return None
    text = func.value.evaluated_value
    if not isinstance(text, str):
        return None
    positional_args = [arg.value for arg in node.args if arg.keyword is None and not arg.star]
    keywords = {arg.keyword.value: arg.value for arg in node.args if arg.keyword is not None}
    parts: list[str | cst.BaseExpression] = []
    auto = 0
    try:
        fields = list(Formatter().parse(text))
    except ValueError:
        return None
    for literal, field, _, _ in fields:
        parts.append(literal)
        if field is None:
            continue
        key = field
        if key == "":
            key, auto = str(auto), auto + 1
        value = (
            positional_args[int(key)]
            if key.isdigit() and int(key) < len(positional_args)
            else keywords.get(key)
        )
        if value is None:
            return None
        parts.append(value)
    return parts


def identifier_positions_only(node: cst.BaseExpression, safe: frozenset[str]) -> bool:
    """Whether every variable an f-string or ``.format()`` puts into SQL sits where a name goes.

    Names (schemas, tables, column lists) cannot be bound parameters, nor can a whole condition
    (``WHERE {clause}`` with no operator after it: SQL code, not a value); whether they come from
    code or an allow-list is beyond this check, so such statements are reported as advisory.
    """
    if isinstance(node, cst.FormattedString | cst.ConcatenatedString):
        parts = _fstring_parts(node)
    elif isinstance(node, cst.Call):
        parts = _format_parts(node)
    else:
        return False
    if parts is None:
        return False
    before = ""
    for index, part in enumerate(parts):
        if isinstance(part, str):
            before += part
            continue
        following = parts[index + 1] if index + 1 < len(parts) else ""
        after = following if isinstance(following, str) else "{"
        if isinstance(following, str) and index + 2 < len(parts):
            after += "{"  # ``{table}.{column}``: the literal between two fields is followed by one
        qualified = QUALIFIED_BEFORE.search(before) or QUALIFIES_AFTER.match(after)
        fragment = FRAGMENT_BEFORE.search(before) and FRAGMENT_AFTER.match(after)
        if (
            not is_constant(part, safe)
            and not qualified
            and not fragment
            and (not IDENTIFIER_BEFORE.search(before) or VALUE_LIST_BEFORE.search(before))
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


Position = tuple[int, int]


@dataclass(frozen=True)
class Binding:
    """One assignment to a local: where it starts, its value (None when unpacked), its kind."""

    at: Position
    value: cst.BaseExpression | None
    augmented: bool = False


def _is_literal(binding: Binding) -> bool:
    """``pk = "ROWID"``: a binding to a literal written in code."""
    return not binding.augmented and isinstance(
        binding.value, cst.SimpleString | cst.Integer | cst.Float
    )


class _Assignments(ScopeVisitor):
    """Every binding of every local name of one function, in source order."""

    def __init__(self, position: Callable[[cst.CSTNode], Position]) -> None:
        super().__init__()
        self.position = position
        self.bindings: dict[str, list[Binding]] = {}

    def _add(self, target: cst.BaseExpression, binding: Binding) -> None:
        if isinstance(target, cst.Name):
            self.bindings.setdefault(target.value, []).append(binding)

    def visit_Assign(self, node: cst.Assign) -> None:
        at = self.position(node)
        for target in iter_targets(node):
            plain = isinstance(target, cst.Name) and target in (t.target for t in node.targets)
            self._add(target, Binding(at, node.value if plain else None))

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        if node.value is not None:
            self._add(node.target, Binding(self.position(node), node.value))

    def visit_AugAssign(self, node: cst.AugAssign) -> None:
        value = node.value if isinstance(node.operator, cst.AddAssign) else None
        self._add(node.target, Binding(self.position(node), value, augmented=True))

    def reaching(self, name: str, before: Position) -> list[Binding]:
        """The bindings of ``name`` that may hold at ``before`` (a statement's start).

        Walking back from ``before``, a binding indented no deeper than the statement runs on
        every path to it (same or enclosing block), so older ones are overwritten; deeper ones
        (in a branch) may or may not have run, so the walk goes on past them.
        """
        found: list[Binding] = []
        for binding in reversed(self.bindings.get(name, [])):
            if binding.at >= before:
                continue
            found.append(binding)
            if binding.at[1] <= before[1] and not binding.augmented:
                break
        return found

    def fixed_mapping(self, name: str, before: Position, depth: int = 0) -> bool:
        """Whether every binding of ``name`` reaching ``before`` is a dict written in code."""
        bindings = self.reaching(name, before)
        if not bindings or depth > 3:
            return False
        for binding in bindings:
            value = binding.value
            if binding.augmented or value is None:
                return False
            if isinstance(value, cst.Name):
                if not self.fixed_mapping(value.value, binding.at, depth + 1):
                    return False
            elif not isinstance(value, cst.Dict):
                return False
        return True

    def safe_names(self, before: Position) -> frozenset[str]:
        """Names safe in SQL at ``before``: joins of a fixed dict's keys, as columns or marks.

        ``columns = ", ".join(row.keys())`` with ``row = {"id": ..., "name": ...}``: the keys
        are code, so SQL built from them has a fixed structure and its values stay bound.
        ``keys:row`` marks ``row`` itself, for a join written inline in the f-string.
        """
        safe: set[str] = set()
        for name in self.bindings:
            if self.fixed_mapping(name, before):
                safe.add(f"keys:{name}")
            bindings = self.reaching(name, before)
            if bindings and all(
                self._joins_fixed(binding) or _is_literal(binding) for binding in bindings
            ):
                safe.add(name)
        return frozenset(safe)

    def _joins_fixed(self, binding: Binding) -> bool:
        if binding.augmented or binding.value is None:
            return False
        mapping = joined_mapping(binding.value)
        return mapping is not None and self.fixed_mapping(mapping, binding.at)


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
    of a dict literal of the same function (the values stay bound). A local is resolved to
    the bindings that reach the call, in source order (a name reassigned later does not count
    for an earlier call). When every variable part of an f-string or ``.format()`` sits where
    SQL expects a name (a quoted identifier, after ``FROM``/``INTO``/``TABLE``/``search_path
    TO``, a column list), the finding is advisory: names cannot be bound, and whether they
    come from an allow-list is beyond the check. ruff S608
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
            "import sqlalchemy as sa\n\n\n"
            "def seed_team(session: object, team_id: str, label: str) -> None:\n"
            "    team = {'id': team_id, 'label': label}\n"
            "    fields = ', '.join(team.keys())\n"
            "    slots = ', '.join(f':{key}' for key in team.keys())\n"
            "    query = f'INSERT INTO teams ({fields}) VALUES ({slots})'\n"
            "    session.execute(sa.text(query), team)\n"
            "    defaults = {'color': 'blue', 'size': 3}\n"
            "    query = f\"SELECT {', '.join(defaults.keys())} FROM presets WHERE id = :i\"\n"
            "    session.execute(sa.text(query), {'i': team_id})\n"
            "    settings = defaults\n"
            "    fields = ', '.join(settings.keys())\n"
            "    slots = ', '.join(f':{key}' for key in settings.keys())\n"
            "    query = f'INSERT INTO team_settings ({fields}) VALUES ({slots})'\n"
            "    session.execute(sa.text(query), settings)\n",
            path="migrations/versions/0042_teams.py",
            note="names reassigned in order: each statement uses the joins bound just before it",
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
        Case.bad(
            "import sqlalchemy as sa\n\n\n"
            "def dedupe(conn: object, table: str, key: str, sqlite: bool) -> None:\n"
            "    rowid = 'rowid' if sqlite else 'ctid'\n"
            "    if sqlite:\n        hidden = 'ROWID'\n    else:\n        hidden = 'CTID'\n"
            "    conn.execute(sa.text(\n"
            "        f'DELETE FROM {table} WHERE EXISTS (SELECT 1 FROM {table} b '\n"
            "        f'WHERE {table}.{key} = b.{key} AND {table}.{hidden} > b.{hidden})'\n"
            "    ))\n"
            "    conn.execute(sa.text('NEW.{col}'.format(col=key)))\n"
            "    conn.exec_driver_sql(f'CREATE DATABASE {table} WITH OWNER {key}')\n",
            hits=3,
            note="qualified names (alias.column), a local bound to literals: advisory both",
        ),
        Case.bad(
            "import sqlalchemy as sa\n\n\n"
            "def rename(conn: object, table: str, new_name: str) -> None:\n"
            "    sql = 'SELECT 1'\n"
            "    conn.execute(sa.text(sql))\n"
            "    sql = f\"UPDATE labels SET name = '{new_name}'\"\n"
            "    conn.execute(sa.text(sql))\n"
            "    conn.execute(sa.text('ALTER TABLE {} OWNER TO app'.format(table)))\n",
            hits=2,
            note="the later binding reaches the second call; a table name by .format() (advisory)",
        ),
    )

    def __init__(self, context: ModuleContext) -> None:
        """Prepare the function stack (for statements built in local variables)."""
        super().__init__(context)
        self.functions: list[cst.FunctionDef] = []
        self.statements: list[cst.SimpleStatementLine] = []

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

    def visit_SimpleStatementLine(self, node: cst.SimpleStatementLine) -> None:
        """Enter a statement (where a call's locals are resolved)."""
        self.statements.append(node)

    def leave_SimpleStatementLine(self, original_node: cst.SimpleStatementLine) -> None:
        """Leave the statement."""
        del original_node
        self.statements.pop()

    def _position(self, node: cst.CSTNode) -> Position:
        start = self.get_metadata(PositionProvider, node).start
        return (start.line, start.column)

    def _assignments(self) -> _Assignments | None:
        """The bindings of the enclosing function's locals."""
        if not self.functions:
            return None
        finder = _Assignments(self._position)
        self.functions[-1].body.visit(finder)
        return finder

    def _resolve(
        self, name: str, assignments: _Assignments, before: Position
    ) -> tuple[str | None, cst.BaseExpression | None, frozenset[str]]:
        """How the bindings of ``name`` reaching ``before`` interpolate: the first one found.

        Also the value that interpolates and the names safe where it is assigned.
        """
        for binding in reversed(assignments.reaching(name, before)):
            value = binding.value
            if value is None:
                continue
            safe = assignments.safe_names(binding.at)
            if binding.augmented:
                if not is_constant(value, safe):
                    added = unsafe_interpolation(value, safe) or "`+=` concatenation"
                    return added, None, safe
                continue
            found = unsafe_interpolation(value, safe)
            if found is not None:
                return found, value, safe
        return None, None, frozenset()

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
        assignments = self._assignments()
        here = self._position(self.statements[-1] if self.statements else node)
        safe = frozenset() if assignments is None else assignments.safe_names(here)
        kind = unsafe_interpolation(statement, safe)
        built = statement
        if kind is None and isinstance(statement, cst.Name) and assignments is not None:
            kind, value, reached = self._resolve(statement.value, assignments, here)
            built, safe = (value, reached) if value is not None else (statement, safe)
        if kind is None:
            return
        if identifier_positions_only(built, safe):
            self.hits.append(
                Hit(
                    self.context.path,
                    Span.of(self.get_metadata(PositionProvider, node)),
                    f"SQL for {where} puts names (schema, table or columns) or a whole condition "
                    f"in with {kind}; neither can be a bound parameter, so check that they come "
                    "from code or an allow-list, never from a request",
                    advisory=True,
                )
            )
            return
        self.report(
            node,
            f"SQL for {where} is built with {kind}; pass values as bound parameters "
            '(`text("... WHERE id = :id")` with `{"id": ...}`)',
        )
