"""legacy-orm: SQLAlchemy 1.x model and query forms (``Column`` without ``Mapped``, ``query()``)."""

from __future__ import annotations

from typing import ClassVar

import libcst as cst

from rulepack.evaluator.checks.base import Case, ProjectFacts
from rulepack.evaluator.checks.common import is_test_path
from rulepack.evaluator.checks.data.layout import is_alembic_module
from rulepack.evaluator.checks.data.resolve import Targets
from rulepack.evaluator.checks.data.scopes import ScopedCheck
from rulepack.evaluator.checks.data.shapes import Form, of_cst, parse_string
from rulepack.evaluator.checks.data.support import method_call, uses_database
from rulepack.evaluator.checks.facts import ModuleFacts
from rulepack.evaluator.checks.imports import dotted

_ORM = ("sqlalchemy.orm", "sqlalchemy.orm.decl_api", "sqlalchemy.ext.declarative")
DECLARATIVE_BASE = Targets.of({f"{module}.declarative_base": True for module in _ORM})
ATTRIBUTE_FACTORIES = Targets.of(
    {
        **{
            f"{module}.Column": "Column"
            for module in ("sqlalchemy", "sqlalchemy.schema", "sqlalchemy.sql.schema")
        },
        **{
            f"{module}.mapped_column": "mapped_column"
            for module in ("sqlalchemy.orm", "sqlalchemy.orm._orm_constructors")
        },
        **{
            f"{module}.{name}": name
            for module in ("sqlalchemy.orm", "sqlalchemy.orm._orm_constructors")
            for name in ("relationship", "relation")
        },
    },
    bare=("relationship", "Column"),
)
MAPPED = frozenset({"Mapped", "WriteOnlyMapped", "DynamicMapped"})
SHOWN = 3  # attribute names a message lists


class LegacyOrm(ScopedCheck):
    """SQLAlchemy 1.x forms: untyped ``Column`` attributes, ``declarative_base()``, ``query()``.

    ## What it does
    Reports, outside tests and migrations: each class whose body assigns ``Column(...)``,
    ``relationship(...)`` or ``mapped_column(...)`` to attributes without a ``Mapped[...]``
    annotation (once per class, naming the attributes); calls of ``declarative_base()``; and
    ``session.query(...)`` on a database session (a parameter or attribute typed ``Session``, a
    session made by a session factory, or a variable named ``session``/``db``). SQLAlchemy Core
    ``Table(..., Column(...))`` definitions are not ORM classes and are not reported.

    ## Why is this bad?
    ``Mapped[...]`` gives mypy and readers each column's type and nullability; ``select()`` is the
    only query API ``AsyncSession`` supports. ``Column`` attributes and ``session.query()`` are the
    SQLAlchemy 1.x forms.
    """

    id = "legacy-orm"
    summary = "SQLAlchemy 1.x model or query API"
    good: ClassVar[tuple[Case, ...]] = (
        Case.good(
            "import sqlalchemy as sa\nfrom sqlalchemy import orm\n\n\n"
            "class Base(orm.DeclarativeBase):\n    pass\n\n\n"
            "class User(Base):\n    __tablename__ = 'users'\n"
            "    id: orm.Mapped[int] = orm.mapped_column(primary_key=True)\n"
            "    name: 'orm.Mapped[str]' = orm.mapped_column(sa.String(50))\n"
            "    legacy: orm.Mapped[int] = sa.Column(sa.Integer)\n"
            "    posts: orm.WriteOnlyMapped['Post'] = orm.relationship()\n\n\n"
            "users = sa.Table('users_v1', Base.metadata, sa.Column('id', sa.Integer))\n",
            note="Mapped annotations (also as strings); Core tables",
        ),
        Case.good(
            "import pandas as pd\n\n\ndef adults(frame: pd.DataFrame) -> pd.DataFrame:\n"
            "    return frame.query('age > 18')\n\n\n"
            "async def search(client: object, db: object) -> object:\n"
            "    return await client.query('select 1')\n",
            note="query() on things that are not sessions",
        ),
        Case(
            files={
                "tests/test_models.py": (
                    "from sqlalchemy.orm import Session\n\n\n"
                    "def test_count(session: Session) -> None:\n"
                    "    assert session.query(User).count() == 0\n"
                ),
            },
            hits=0,
            note="tests are not judged",
        ),
    )
    bad: ClassVar[tuple[Case, ...]] = (
        Case.bad(
            "import sqlalchemy as sa\nfrom sqlalchemy.ext.declarative import declarative_base\n"
            "from sqlalchemy.orm import relationship as rel\n\nBase = declarative_base()\n\n\n"
            "class TimestampMixin:\n    created_at = sa.Column(sa.DateTime)\n\n\n"
            "class User(TimestampMixin, Base):\n    __tablename__ = 'users'\n"
            "    id = sa.Column(sa.Integer, primary_key=True)\n"
            "    email: str = sa.Column(sa.String)\n    posts = rel('Post')\n",
            hits=3,
            note="declarative_base(), a mixin, a plain annotation and an aliased relationship",
        ),
        Case.bad(
            "from sqlalchemy.orm import Session\n\nfrom app.database import SessionLocal\n\n\n"
            "class UserRepository:\n    def __init__(self, db: Session) -> None:\n"
            "        self._db = db\n\n"
            "    def get(self, user_id: int) -> object:\n"
            "        return self._db.query(User).get(user_id)\n\n\n"
            "def count() -> int:\n    return SessionLocal().query(User).count()\n\n\n"
            "def first(db) -> object:\n    return db.query(User).first()\n",
            hits=3,
            path="app/repositories/users.py",
            note="query() on a typed attribute, a factory-made session and a conventional name",
        ),
    )

    @classmethod
    def applies(cls, facts: ModuleFacts, project: ProjectFacts) -> bool:
        """Modules outside tests and migrations that use (or name) the ORM."""
        if is_test_path(facts.path) or is_alembic_module(facts):
            return False
        return uses_database(facts, project)

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        """Report a class's attributes made by ``Column``/``relationship`` without ``Mapped``."""
        super().visit_ClassDef(node)
        untyped: list[tuple[str, cst.CSTNode, str]] = []
        for statement in node.body.body:
            if not isinstance(statement, cst.SimpleStatementLine):
                continue
            for small in statement.body:
                found = self._untyped(small)
                if found is not None:
                    untyped.append(found)
        if not untyped:
            return
        names = ", ".join(f"`{name}`" for name, _, _ in untyped[:SHOWN])
        more = f" and {len(untyped) - SHOWN} more" if len(untyped) > SHOWN else ""
        factories = ", ".join(sorted({f"`{factory}()`" for _, _, factory in untyped}))
        self.report(
            untyped[0][1],
            f"`{node.name.value}` declares {names}{more} with {factories} and no `Mapped[...]` "
            "annotation; write `name: Mapped[T] = mapped_column(...)`",
        )

    def _untyped(self, small: cst.BaseSmallStatement) -> tuple[str, cst.CSTNode, str] | None:
        if isinstance(small, cst.Assign) and len(small.targets) == 1:
            target, value, annotation = small.targets[0].target, small.value, None
        elif isinstance(small, cst.AnnAssign) and small.value is not None:
            target, value, annotation = small.target, small.value, small.annotation.annotation
        else:
            return None
        if not isinstance(target, cst.Name) or not isinstance(value, cst.Call):
            return None
        factory = self.resolver.match(dotted(value.func), ATTRIBUTE_FACTORIES)
        if factory is None or (annotation is not None and self._is_mapped(annotation)):
            return None
        return target.value, small, factory

    @staticmethod
    def _is_mapped(annotation: cst.BaseExpression) -> bool:
        shape = of_cst(annotation)
        if shape.form is Form.STRING and shape.name is not None:
            shape = parse_string(shape.name)
        return shape.form is Form.SUBSCRIPT and (shape.name or "").rsplit(".", 1)[-1] in MAPPED

    def visit_Call(self, node: cst.Call) -> None:
        """Report ``declarative_base()`` and ``session.query(...)``."""
        if self.resolver.match(dotted(node.func), DECLARATIVE_BASE):
            self.report(
                node,
                "`declarative_base()` is the SQLAlchemy 1.x base; subclass "
                "`sqlalchemy.orm.DeclarativeBase` instead",
            )
            return
        found = method_call(node)
        if found is None or found[1] != "query" or not node.args:
            return
        first = node.args[0].value
        if isinstance(first, cst.SimpleString | cst.FormattedString | cst.ConcatenatedString):
            return  # query("...") of other libraries
        if self.session_kind(found[0], by_name=True) is not None:
            self.report(
                node,
                "`query()` is the SQLAlchemy 1.x query API; build statements with `select()` "
                "and run them with `session.execute()`/`session.scalars()`",
            )
