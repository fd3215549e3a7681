"""unindexed-filter-column: columns queries filter or sort on that have no index (project check)."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from typing import ClassVar

from rulepack.evaluator.checks.ast_facts import ast_dotted, walk
from rulepack.evaluator.checks.base import Case, Hit, ProjectCheck
from rulepack.evaluator.checks.data.layout import is_app_module
from rulepack.evaluator.checks.data.orm_models import Model, Models
from rulepack.evaluator.checks.data.resolve import ModuleTable
from rulepack.evaluator.checks.data.support import last_name

FILTERS = frozenset({"where", "filter"})
ORDERS = frozenset({"order_by"})
COMPARISONS = (ast.Eq, ast.Lt, ast.LtE, ast.Gt, ast.GtE)
RANGE_METHODS = frozenset({"in_", "between"})
ORDER_WRAPPERS = frozenset({"desc", "asc", "nulls_last", "nulls_first", "nullslast", "nullsfirst"})
CONJUNCTIONS = frozenset({"and_", "or_"})
ENTITY_CALLS = frozenset({"select", "query"})

_MODEL = (
    "from sqlalchemy import ForeignKey, Index, String\n"
    "from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column\n\n\n"
    "class Base(DeclarativeBase):\n    pass\n\n\n"
    "class User(Base):\n    __tablename__ = 'users'\n"
    "    __table_args__ = (Index('ix_users_name_team', 'name', 'team'),)\n"
    "    id: Mapped[int] = mapped_column(primary_key=True)\n"
    "    email: Mapped[str] = mapped_column(String(255), unique=True)\n"
    "    name: Mapped[str]\n    team: Mapped[str]\n    nickname: Mapped[str | None]\n"
    "    is_active: Mapped[bool] = mapped_column(default=True)\n"
    "    org_id: Mapped[int] = mapped_column(ForeignKey('orgs.id'))\n"
    "    created_at: Mapped[int]\n"
)


@dataclass(frozen=True)
class Use:
    """A column a statement filters or sorts on."""

    model: Model
    column: str
    clause: str  # where, filter, filter_by or order_by
    path: str
    line: int


class UnindexedFilterColumn(ProjectCheck):
    """Columns that queries filter or sort on without an index.

    ## What it does
    Reads the sample's ORM models (SQLAlchemy ``Mapped``/``mapped_column``/``Column``, SQLModel
    ``table=True`` classes, with their mixins and bases) and every ``where()``/``filter()``
    comparison (``==``, ``<``, ``>``, ``.in_()``, ``.between()``, inside ``and_``/``or_``),
    ``filter_by(col=...)`` and ``order_by(col)`` in application code. A column is indexed by
    ``index=True``, ``unique=True``, ``primary_key=True``, an ``Index``/``UniqueConstraint`` in
    ``__table_args__`` or at module level, or an Alembic ``op.create_index``. Reports each
    unindexed column once, at its declaration. Boolean columns are not reported (an index rarely
    helps them), and a statement that also filters on an indexed column of the same model is
    served by that index, so its other columns are not reported.

    ## Why is this bad?
    Without an index every lookup scans the whole table: invisible in development, slow once the
    table grows.
    """

    id = "unindexed-filter-column"
    summary = "column used in filters or sorting has no index"
    good: ClassVar[tuple[Case, ...]] = (
        Case(
            files={
                "app/models/user.py": _MODEL,
                "app/repositories/users.py": (
                    "from sqlalchemy import and_, desc, select\n"
                    "\nfrom app.models import user as m\n\n\n"
                    "async def find(session: object, email: str) -> object:\n"
                    "    stmt = select(m.User).where(\n"
                    "        m.User.email == email, m.User.nickname == 'x'\n    )\n"
                    "    by_team = select(m.User).where(\n"
                    "        and_(m.User.name == 'a', m.User.team == 'b')\n    )\n"
                    "    active = select(m.User).where(m.User.is_active)\n"
                    "    active = active.where(m.User.is_active == True)\n"
                    "    ordered = select(m.User).order_by(desc(m.User.id))\n"
                    "    like = select(m.User).where(m.User.nickname.ilike('%a%'))\n"
                    "    return await session.scalar(stmt)\n"
                ),
            },
            hits=0,
            note="unique, composite Index, booleans, a statement served by an indexed column, LIKE",
        ),
        Case(
            files={
                "app/models/user.py": _MODEL,
                "alembic/versions/0001_init.py": (
                    "from alembic import op\nimport sqlalchemy as sa\n\n\ndef upgrade() -> None:\n"
                    "    op.create_index('ix_org', 'users', ['org_id'])\n"
                    "    op.create_table(\n"
                    "        'users', sa.Column('created_at', sa.Integer(), index=True)\n    )\n"
                ),
                "app/crud.py": (
                    "from app.models.user import User\n\n\n"
                    "def by_org(db: object, org: int) -> object:\n"
                    "    query = db.query(User).filter_by(org_id=org)\n"
                    "    return query.order_by(User.created_at).all()\n"
                ),
                "tests/test_users.py": (
                    "from app.models.user import User\n\n\n"
                    "def test_x(db: object) -> None:\n"
                    "    db.query(User).filter(User.nickname == 'a')\n"
                ),
            },
            hits=0,
            note="indexes created by migrations; uses in tests do not count",
        ),
    )
    bad: ClassVar[tuple[Case, ...]] = (
        Case(
            files={
                "app/models/user.py": _MODEL,
                "app/repositories/users.py": (
                    "from sqlalchemy import select\n\nfrom app.models.user import User as U\n\n\n"
                    "class UserRepository:\n    async def by_org(self, org: int) -> object:\n"
                    "        stmt = select(U).where(U.org_id.in_([org]))\n"
                    "        stmt = stmt.order_by(U.created_at.desc())\n"
                    "        return await self.session.scalars(stmt)\n\n"
                    "    async def named(self, nick: str) -> object:\n"
                    "        return await self.session.scalar(select(U).filter_by(nickname=nick))\n"
                    "\n"
                    "    async def again(self, org: int) -> object:\n"
                    "        return await self.session.scalars(select(U).where(U.org_id == org))\n"
                ),
            },
            hits=3,
            note="in_, order_by with desc(), filter_by; each column reported once",
        ),
        Case.bad(
            "class TimestampMixin:\n    created_at: Mapped[datetime] = mapped_column()\n\n\n"
            "class Task(TimestampMixin, Base):\n    __tablename__ = 'tasks'\n"
            "    id = Column(Integer, primary_key=True)\n    title = Column(String)\n\n\n"
            "def recent(db: Session) -> list[Task]:\n"
            "    return db.query(Task).filter(Task.title == 'x').order_by(Task.created_at).all()\n",
            hits=2,
            note="a mixin column and a legacy Column, in a snippet without imports",
        ),
    )

    @property
    def models(self) -> Models:
        """The sample's models, read once per sample (shared with other checks)."""
        return self.project.cached("data.models", lambda: Models.of(self.project))

    def applies(self) -> bool:
        """Samples with ORM models."""
        return bool(self.models.by_key)

    def run(self) -> Iterator[Hit]:
        """Report each unindexed column once, at its declaration."""
        reported: set[tuple[str, str]] = set()
        for use in self._uses():
            key = (use.model.key, use.column)
            if key in reported:
                continue
            reported.add(key)
            found = self.models.column(use.model, use.column)
            if found is None:
                continue
            column, _ = found
            owner = next(
                (m for m in self.models.lineage(use.model) if use.column in m.columns), use.model
            )
            table = use.model.table or use.model.key.rsplit(".", 1)[-1]
            yield Hit(
                owner.path,
                column.span,
                f"`{table}.{use.column}` is used in `{use.clause}()` (first at {use.path}:"
                f"{use.line}) but has no index; consider `index=True` on its column (or an "
                "`Index` in `__table_args__`) and a migration that creates it",
            )

    def _uses(self) -> Iterator[Use]:
        """Unindexed columns of each statement of application code, statement by statement."""
        for facts in self.project.modules:
            tree = self.project.trees.get(facts.path)
            table = self.models.index.table(facts.module)
            if tree is None or table is None or not is_app_module(facts):
                continue
            for statement in walk(tree):
                if isinstance(statement, ast.stmt):
                    yield from self._unindexed(
                        list(self._statement_uses(statement, table, facts.path))
                    )

    def _unindexed(self, uses: list[Use]) -> Iterator[Use]:
        """The uses worth reporting: no indexed filter of the same model in the statement."""
        served: set[str] = set()
        for use in uses:
            found = self.models.column(use.model, use.column)
            if found is not None and found[1] and use.clause != "order_by":
                served.add(use.model.key)
        for use in uses:
            found = self.models.column(use.model, use.column)
            if found is None or found[1] or use.model.key in served:
                continue
            if found[0].boolean and use.clause != "order_by":
                continue
            yield use

    def _statement_uses(self, statement: ast.stmt, table: ModuleTable, path: str) -> Iterator[Use]:
        """Columns the statement's own expressions filter or sort on."""
        for child in ast.iter_child_nodes(statement):
            if not isinstance(child, ast.expr):
                continue
            for node in ast.walk(child):
                if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
                    yield from self._call_uses(node, node.func.attr, table, path)

    def _call_uses(
        self, call: ast.Call, clause: str, table: ModuleTable, path: str
    ) -> Iterator[Use]:
        if clause in FILTERS:
            refs = [ref for arg in call.args for ref in _predicate_refs(arg)]
        elif clause in ORDERS:
            refs = [ref for arg in call.args if (ref := _order_ref(arg)) is not None]
        elif clause == "filter_by":
            entity = _entity(call)
            refs = [(entity, k.arg) for k in call.keywords if entity is not None and k.arg]
        else:
            return
        for owner, column in refs:
            model = self.models.model(table, owner)
            if model is not None:
                yield Use(model, column, clause, path, call.lineno)


def _column_ref(node: ast.expr) -> tuple[str, str] | None:
    """``(model expression, column)`` for ``Model.column``."""
    if isinstance(node, ast.Attribute):
        owner = ast_dotted(node.value)
        if owner is not None:
            return owner, node.attr
    return None


def _predicate_refs(node: ast.expr) -> Iterator[tuple[str, str]]:
    """Columns a ``where()`` predicate compares: ``==``, ``<`` ..., ``in_``, ``between``."""
    sides: list[ast.expr] = []
    if isinstance(node, ast.Compare) and all(isinstance(op, COMPARISONS) for op in node.ops):
        sides = [node.left, *node.comparators]
    elif isinstance(node, ast.Call):
        if isinstance(node.func, ast.Attribute) and node.func.attr in RANGE_METHODS:
            sides = [node.func.value]
        elif last_name(ast_dotted(node.func)) in CONJUNCTIONS:
            for arg in node.args:
                yield from _predicate_refs(arg)
    elif isinstance(node, ast.BoolOp):
        for value in node.values:
            yield from _predicate_refs(value)
    for side in sides:
        ref = _column_ref(side)
        if ref is not None:
            yield ref


def _order_ref(node: ast.expr) -> tuple[str, str] | None:
    if isinstance(node, ast.Call):
        if isinstance(node.func, ast.Attribute) and node.func.attr in ORDER_WRAPPERS:
            return _column_ref(node.func.value)
        if last_name(ast_dotted(node.func)) in ORDER_WRAPPERS and node.args:
            return _column_ref(node.args[0])
        return None
    return _column_ref(node)


def _entity(call: ast.Call) -> str | None:
    """The model a ``filter_by`` applies to: the first argument of ``select``/``query`` below."""
    node: ast.expr = call.func
    while isinstance(node, ast.Attribute | ast.Call):
        if isinstance(node, ast.Call):
            if last_name(ast_dotted(node.func)) in ENTITY_CALLS and node.args:
                return _entity_name(node.args[0])
            node = node.func
        else:
            node = node.value
    return None


def _entity_name(node: ast.expr) -> str | None:
    """The model a ``select``/``query`` argument names.

    ``User`` for ``select(User)``, ``models.User`` for ``select(models.User)``, ``User`` for
    ``select(User.id)`` (a column: its attribute starts lower case).
    """
    if isinstance(node, ast.Attribute) and node.attr[:1].islower():
        return ast_dotted(node.value)
    return ast_dotted(node)
