"""n-plus-one: queries run once per iteration of a loop or comprehension."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import ClassVar

import libcst as cst
from libcst.metadata import CodeRange, PositionProvider

from rulepack.evaluator.checks.base import Case, Hit, ModuleContext, ProjectFacts
from rulepack.evaluator.checks.data.kinds import Kind
from rulepack.evaluator.checks.data.layout import is_app_module
from rulepack.evaluator.checks.data.scopes import ScopedCheck
from rulepack.evaluator.checks.data.support import (
    looks_like_orm,
    method_call,
    source,
    uses_database,
)
from rulepack.evaluator.checks.facts import ModuleFacts, Span
from rulepack.evaluator.checks.imports import dotted

READS = frozenset(
    {"execute", "get", "get_one", "scalar", "scalars", "refresh", "stream", "stream_scalars"}
)
WRITES = frozenset({"insert", "update", "delete", "upsert"})
WRITE_SQL = re.compile(r"^\s*(?:insert|update|delete|merge|upsert)\b", re.IGNORECASE)
LAYER_NAME = re.compile(r"repo|repository|service|crud|dao", re.IGNORECASE)
LAYER_WORDS = re.compile(r"repo|crud|dao", re.IGNORECASE)
CONSTANT = re.compile(r"^_*[A-Z][A-Z0-9_]*$")
CLASS_NAME = re.compile(r"^_*[A-Z][a-z0-9]+[A-Za-z0-9]*$")

# Methods that make a lazy ``session.query(...)`` run (or iterating it).
RUNS_QUERY = (
    "all|first|one|one_or_none|scalar|scalars|count|get|delete|update|exists|execute|"
    "paginate|fetchall|fetchone"
)
RUN_CHAIN = r"(?:\.\w+\([^()]*\))*\.(?:" + RUNS_QUERY + r")\("

Comprehension = cst.ListComp | cst.SetComp | cst.GeneratorExp | cst.DictComp


def is_fixed_iterable(node: cst.BaseExpression) -> bool:
    """What a loop walks that no data makes longer: a literal, a constant, an Enum class.

    ``for table in ('a', 'b')``, ``for name in REF_TABLES``, ``for reason in Reason`` (iterating
    a class walks its Enum members) run a fixed number of times, so a query per item is not N+1.
    """
    if isinstance(node, cst.List | cst.Tuple | cst.Set):
        return True
    name = node.value if isinstance(node, cst.Name) else None
    if isinstance(node, cst.Attribute):
        name = node.attr.value
    return name is not None and bool(CONSTANT.match(name) or CLASS_NAME.match(name))


def _target_names(target: cst.BaseExpression) -> list[str]:
    """The names a ``for`` target binds (``model, ids`` gives both)."""
    if isinstance(target, cst.Name):
        return [target.value]
    if isinstance(target, cst.Tuple | cst.List):
        return [name for element in target.elements for name in _target_names(element.value)]
    return []


class _Names(cst.CSTVisitor):
    """Every name a node reads."""

    def __init__(self) -> None:
        super().__init__()
        self.found: set[str] = set()

    def visit_Name(self, node: cst.Name) -> None:
        self.found.add(node.value)


def _names_in(node: cst.CSTNode) -> set[str]:
    """Every name an expression or statement reads."""
    collector = _Names()
    node.visit(collector)
    return collector.found


def _assigned_name(statement: cst.SimpleStatementLine | None) -> str | None:
    """``q`` for a statement ``q = ...``."""
    if statement is None or not statement.body:
        return None
    small = statement.body[0]
    if (
        isinstance(small, cst.Assign)
        and len(small.targets) == 1
        and isinstance(small.targets[0].target, cst.Name)
    ):
        return small.targets[0].target.value
    return None


def runs_in(name: str, body: str) -> bool:
    """Whether code runs the query held in ``name``: a fetching method, iteration, ``list()``."""
    word = rf"\b{re.escape(name)}\b"
    return bool(
        re.search(word + RUN_CHAIN, body)
        or re.search(rf"\bin\s+{word}", body)
        or re.search(rf"\b(?:list|next|iter|tuple)\(\s*{word}", body)
    )


class _RebuiltFromItem(cst.CSTVisitor):
    """``q = helper(q, item.expression)``: a helper adds filters taken from the loop item."""

    def __init__(self, name: str, items: set[str]) -> None:
        super().__init__()
        self.name = name
        self.items = items
        self.helper: str | None = None

    def visit_Assign(self, node: cst.Assign) -> None:
        value = node.value
        target = node.targets[0].target if len(node.targets) == 1 else None
        if (
            not (isinstance(target, cst.Name) and target.value == self.name)
            or not isinstance(value, cst.Call)
            or isinstance(value.func, cst.Attribute)
        ):
            return
        args = [arg.value for arg in value.args]
        takes_query = any(isinstance(a, cst.Name) and a.value == self.name for a in args)
        from_item = any(_names_in(a) & self.items for a in args)
        if takes_query and from_item:
            self.helper = dotted(value.func)


class _LastBinding(cst.CSTVisitor):
    """The value last assigned to one name in a function."""

    def __init__(self, name: str) -> None:
        super().__init__()
        self.name = name
        self.value: cst.BaseExpression | None = None

    def visit_Assign(self, node: cst.Assign) -> None:
        for target in node.targets:
            if isinstance(target.target, cst.Name) and target.target.value == self.name:
                self.value = node.value


@dataclass(frozen=True)
class Region:
    """Source that runs once per iteration, in the function at ``depth``."""

    code: CodeRange
    depth: int

    def holds(self, other: CodeRange, depth: int) -> bool:
        """Whether ``other`` (in the function at ``depth``) lies inside this region."""
        start, end = self.code.start, self.code.end
        return (
            depth == self.depth
            and (start.line, start.column) <= (other.start.line, other.start.column)
            and (other.end.line, other.end.column) <= (end.line, end.column)
        )


class NPlusOne(ScopedCheck):
    """Queries awaited inside loops and comprehensions (N+1 queries).

    ## What it does
    Reports, in application code, ``session.execute/get/scalar/scalars/refresh/stream(...)``
    awaited inside the body of a ``for``/``async for`` loop or the element or condition of a
    comprehension, ``session.query(...)`` (and un-awaited calls on a sync ``Session``) there, and
    ``await <repository or service>.get(...)``/``.get_*()`` on receivers named like a repository,
    service or CRUD object. Receivers are sessions by type (``AsyncSession``/``Session``
    parameters and attributes, factory-made sessions) or by name (``session``, ``db``,
    ``self.session``; a call on a name alone must look like an ORM call: ``get(Model, key)``, not
    a string argument). Statements that write (``insert``/``update``/``delete``, also through a
    local), loops over a fixed set (a literal, an ``UPPER_CASE`` constant, an Enum class, the
    function's ``**kwargs``),
    queries already batched with ``.in_(...)``, a script's statements executed one by one,
    ``while`` loops (batching) and code in nested functions are not reported. A sync
    ``session.query(...)`` kept in a local counts only when the loop body fetches it (``.all()``,
    ``.first()``, iteration), not when the loop only builds ``Query`` objects for a ``UNION``;
    one whose filter a helper rebuilds from the loop item (``q = apply_filters(q, item.expr)``)
    is reported as advisory, since each item may bring its own filter expression.

    ## Why is this bad?
    One query per row turns a page of 50 items into 51 round trips; with ``AsyncSession`` an
    implicit lazy load also fails with ``MissingGreenlet``. Load related rows in the same statement
    with ``selectinload()``/``joinedload()`` or fetch them all with one ``IN (...)`` query.
    """

    id = "n-plus-one"
    summary = "query inside a loop (N+1 queries)"
    good: ClassVar[tuple[Case, ...]] = (
        Case.good(
            "class Base:\n"
            "    def __init__(self, session: Session, **kwargs: object) -> None:\n"
            "        for key, value in kwargs.items():\n"
            "            owner = session.execute(select(Owner).filter_by(id=value)).scalar()\n"
            "            setattr(self, key, owner)\n",
            path="app/db/models/base.py",
            note="a loop over the keyword arguments a caller passed walks fields, not rows",
        ),
        Case.good(
            "from sqlalchemy import insert, select\nfrom sqlalchemy.orm import selectinload\n\n\n"
            "class UserRepository:\n    async def authors(self, ids: list[int]) -> list[object]:\n"
            "        stmt = select(User).options(selectinload(User.posts))\n"
            "        users = (await self.session.scalars(stmt)).all()\n"
            "        for row in await self.session.execute(select(User.id)):\n"
            "            print(row)\n"
            "        for user in users:\n"
            "            await self.session.execute(insert(Audit).values(user_id=user.id))\n"
            "        return [user.name for user in users]\n",
            note="eager loading; a query in the loop header; writes in a loop",
        ),
        Case.good(
            "async def purge(session: AsyncSession) -> None:\n"
            "    for table in ('a', 'b'):\n"
            "        await session.execute(text(f'SELECT 1 FROM {table}'))\n"
            "    while True:\n"
            "        batch = (await session.scalars(select(Job).limit(100))).all()\n"
            "        if not batch:\n            break\n"
            "    for user in users:\n"
            "        async def load() -> None:\n"
            "            await session.get(User, user.id)\n"
            "        tasks.append(load)\n",
            note="a literal tuple, a batching while loop, a nested function",
        ),
        Case.good(
            "from enum import Enum\n\nfrom sqlalchemy import select, update\n\n"
            "AUDITED_TABLES = ['orders', 'invoices']\n\n\n"
            "class Tier(str, Enum):\n    free = 'free'\n    paid = 'paid'\n\n\n"
            "async def tier_counts(session: AsyncSession) -> dict[str, int]:\n"
            "    counts = {}\n"
            "    for tier in Tier:\n"
            "        stmt = select(Account.id).where(Account.tier == tier)\n"
            "        counts[tier] = await session.scalar(stmt)\n"
            "    for name in AUDITED_TABLES:\n"
            "        stmt = update(Base.metadata.tables[name]).values(owner_id=None)\n"
            "        await session.execute(stmt)\n"
            "    return counts\n\n\n"
            "async def hydrate(session: AsyncSession, hits: dict[type, list[int]]) -> list:\n"
            "    rows = []\n"
            "    for model, ids in hits.items():\n"
            "        stmt = select(model).where(model.id.in_(ids))\n"
            "        rows += (await session.scalars(stmt)).all()\n"
            "    for name, value in {}.items():\n        pass\n"
            "    for stmt in split_script(SCRIPT):\n"
            "        await session.execute(text(stmt))\n"
            "    return rows\n",
            path="app/repositories/accounts.py",
            note="loops over an Enum class and a constant list; an update in a local; one IN "
            "query per model; a script's statements",
        ),
        Case.good(
            "async def crawl(session, urls: list[str]) -> None:\n"
            "    for url in urls:\n        await session.get(url)\n"
            "        await session.get(f'{url}/next', timeout=5)\n",
            note="an untyped `session` used like an aiohttp session",
        ),
        Case.good(
            "async def send_all(client: object, cache: dict[str, int]) -> None:\n"
            "    for key in cache:\n        await client.get(key)\n        cache.get(key)\n",
            note="get() on an HTTP client and a dict",
        ),
        Case.good(
            "from sqlalchemy.orm import Session\n\n\n"
            "def feed(db: Session, kinds: list[type]) -> object:\n"
            "    merged = None\n"
            "    for kind in kinds:\n"
            "        part = db.query(kind.id, kind.created_at)\n"
            "        merged = part if merged is None else merged.union_all(part)\n"
            "    return merged.order_by('created_at').limit(20).all()\n",
            path="app/repositories/feed.py",
            note="the loop only builds Query objects for a UNION; it runs once, after the loop",
        ),
    )
    bad: ClassVar[tuple[Case, ...]] = (
        Case.bad(
            "def tag_documents(db: Session, documents: list[object]) -> None:\n"
            "    for document in documents:\n"
            "        words = extract_words(document.text)\n"
            "        tags = db.query(Tag).filter(Tag.name.in_(words)).all()\n"
            "        document.tags = tags\n",
            path="app/services/tagging.py",
            note="one query per document, even though each filters with IN",
        ),
        Case.bad(
            "class UserRepository:\n"
            "    async def list_authors(self, limit: int) -> list[object]:\n"
            "        users = (await self.session.scalars(select(User).limit(limit))).all()\n"
            "        authors = []\n        for user in users:\n"
            "            stmt = select(Post).where(Post.author_id == user.id)\n"
            "            posts = (await self.session.scalars(stmt)).all()\n"
            "            authors.append((user, posts))\n        return authors\n"
        ),
        Case.bad(
            "from sqlalchemy.ext.asyncio import AsyncSession\n\n\n"
            "async def owners(db: AsyncSession, items: list[object]) -> object:\n"
            "    names = [await db.get(User, item.owner_id) for item in items]\n"
            "    counts = {i.id: await db.scalar(count(i)) for i in items if i.active}\n"
            "    async for row in await db.stream(select(Item)):\n"
            "        await db.refresh(row)\n    return names, counts\n",
            hits=3,
            note="list and dict comprehensions, an async for",
        ),
        Case.bad(
            "from app.database import SessionLocal\n\n\ndef report(ids: list[int]) -> object:\n"
            "    db = SessionLocal()\n    out = []\n    for i in ids:\n"
            "        out.append(db.query(User).get(i))\n    return out\n\n\n"
            "class OrderService:\n    async def totals(self, orders: list[object]) -> object:\n"
            "        for order in orders:\n"
            "            order.user = await self.user_repository.get_by_id(order.user_id)\n",
            hits=2,
            path="app/services/report.py",
            note="a sync session's query(), a repository getter",
        ),
        Case.bad(
            "from sqlalchemy.orm import Session\n\n\n"
            "def matching_rules(db: Session, rules: list[object]) -> list[object]:\n"
            "    matched = []\n"
            "    for rule in rules:\n"
            "        found = db.query(Alert).filter(Alert.open)\n"
            "        found = narrow_by(found, rule.criteria)\n"
            "        if found.first():\n"
            "            matched.append(rule)\n"
            "    return matched\n",
            path="app/services/rules.py",
            note="each rule brings its own filter through a helper (reported as advisory)",
        ),
    )

    def __init__(self, context: ModuleContext) -> None:
        """Start outside any loop."""
        super().__init__(context)
        self.regions: list[list[Region]] = []
        self.awaited: set[int] = set()
        self.loop_targets: list[str] = []  # names bound by the enclosing ``for`` loops
        self.statements: list[cst.SimpleStatementLine] = []
        self.loops: list[cst.For] = []  # the enclosing ``for`` loops that walk data

    @classmethod
    def applies(cls, facts: ModuleFacts, project: ProjectFacts) -> bool:
        """Application modules that use the ORM or call repositories."""
        if not is_app_module(facts):
            return False
        return uses_database(facts, project) or bool(LAYER_WORDS.search(source(project, facts)))

    def _range(self, node: cst.CSTNode) -> CodeRange:
        return self.get_metadata(PositionProvider, node)

    def visit_For(self, node: cst.For) -> None:
        """The body of a loop runs per item (unless it iterates over a fixed set)."""
        bounded = is_fixed_iterable(node.iter) or self._over_keyword_arguments(node.iter)
        self.regions.append([] if bounded else [Region(self._range(node.body), len(self.frames))])
        self.loop_targets.append(" ".join(_target_names(node.target)))
        if not bounded:
            self.loops.append(node)

    def _over_keyword_arguments(self, iterable: cst.BaseExpression) -> bool:
        """``for key, value in kwargs.items()``: the fields a caller passed, not rows."""
        node = self.frames[-1].node if self.frames else None
        if not isinstance(node, cst.FunctionDef) or not isinstance(
            node.params.star_kwarg, cst.Param
        ):
            return False
        if isinstance(iterable, cst.Call) and isinstance(iterable.func, cst.Attribute):
            iterable = iterable.func.value  # ``kwargs.items()``
        return (
            isinstance(iterable, cst.Name) and iterable.value == node.params.star_kwarg.name.value
        )

    def leave_For(self, original_node: cst.For) -> None:
        """Leave the loop."""
        if self.loops and self.loops[-1] is original_node:
            self.loops.pop()
        self.regions.pop()
        self.loop_targets.pop()

    def visit_SimpleStatementLine(self, node: cst.SimpleStatementLine) -> None:
        """Enter a statement (a query's whole chain is read from it)."""
        self.statements.append(node)

    def leave_SimpleStatementLine(self, original_node: cst.SimpleStatementLine) -> None:
        """Leave the statement."""
        del original_node
        self.statements.pop()

    def _comprehension(self, node: Comprehension) -> None:
        parts: list[cst.CSTNode] = (
            [node.key, node.value] if isinstance(node, cst.DictComp) else [node.elt]
        )
        clause: cst.CompFor | None = node.for_in
        first = True
        while clause is not None:
            if not first:
                parts.append(clause.iter)
            parts.extend(clause.ifs)
            clause, first = clause.inner_for_in, False
        depth = len(self.frames)
        self.regions.append([Region(self._range(part), depth) for part in parts])

    def visit_ListComp(self, node: cst.ListComp) -> None:
        """The element and conditions run per item."""
        self._comprehension(node)

    def leave_ListComp(self, original_node: cst.ListComp) -> None:
        """Leave the comprehension."""
        self.regions.pop()

    def visit_SetComp(self, node: cst.SetComp) -> None:
        """The element and conditions run per item."""
        self._comprehension(node)

    def leave_SetComp(self, original_node: cst.SetComp) -> None:
        """Leave the comprehension."""
        self.regions.pop()

    def visit_DictComp(self, node: cst.DictComp) -> None:
        """The key, value and conditions run per item."""
        self._comprehension(node)

    def leave_DictComp(self, original_node: cst.DictComp) -> None:
        """Leave the comprehension."""
        self.regions.pop()

    def visit_GeneratorExp(self, node: cst.GeneratorExp) -> None:
        """The element and conditions run per item."""
        self._comprehension(node)

    def leave_GeneratorExp(self, original_node: cst.GeneratorExp) -> None:
        """Leave the generator."""
        self.regions.pop()

    def visit_Await(self, node: cst.Await) -> None:
        """Remember awaited calls."""
        self.awaited.add(id(node.expression))

    def _in_loop(self, node: cst.CSTNode) -> bool:
        if not self.regions:
            return False
        code, depth = self._range(node), len(self.frames)
        return any(region.holds(code, depth) for regions in self.regions for region in regions)

    def visit_Call(self, node: cst.Call) -> None:
        """Report queries that run once per iteration."""
        found = method_call(node)
        if found is None or not self._in_loop(node):
            return
        receiver, method = found
        awaited = id(node) in self.awaited
        kind = self.session_kind(receiver, by_name=True)
        if kind is not None and self.session_kind(receiver) is None and not looks_like_orm(node):
            kind = None  # a ``session`` or ``db`` of unknown type called like an HTTP client
        if self._batched(node):
            return
        if kind is not None and self._is_read(node, method, kind, awaited=awaited):
            what = f"`{dotted(node.func) or method}()`"
        elif awaited and self._is_layer_getter(receiver, method):
            what = f"`{dotted(node.func)}()`"
        else:
            return
        helper = None
        if method == "query" and not awaited:
            ran, helper = self._lazy_query(node)
            if not ran:
                return  # a Query object built per item (for a UNION), run after the loop
        if helper is not None:
            self.hits.append(
                Hit(
                    self.context.path,
                    Span.of(self._range(node)),
                    f"{what} runs once per loop iteration with filters `{helper}()` builds from "
                    "each item; if the items only differ by a key, load them in one `IN (...)` "
                    "query, if each brings its own filter expression this is not N+1",
                    advisory=True,
                )
            )
            return
        self.report(
            node,
            f"{what} runs once per loop iteration (N+1 queries); load the rows in one statement "
            "with `selectinload()`/`joinedload()` or a single `IN (...)` query",
        )

    def _lazy_query(self, node: cst.Call) -> tuple[bool, str | None]:
        """Whether a ``session.query(...)`` runs in its loop, and the helper filtering it.

        A ``Query`` runs when fetched (``.all()``, ``.first()``, iteration); one kept in a local
        that the loop body never fetches (``qs = qs.union(q)``) runs once, after the loop. A
        helper that rebuilds the local from the loop item (``q = apply_filters(q, f.expr)``)
        gives each iteration its own filter, which this check cannot judge.
        """
        code = cst.Module(body=[]).code_for_node
        statement = self.statements[-1] if self.statements else None
        name = _assigned_name(statement)
        if statement is None or name is None or not self.loops:
            return True, None
        loop = self.loops[-1]
        if re.search(RUN_CHAIN.removeprefix(r"(?:\.\w+\([^()]*\))*"), code(statement)):
            ran = True
        else:
            ran = runs_in(name, code(loop.body))
        items = set(_target_names(loop.target))
        finder = _RebuiltFromItem(name, items)
        loop.body.visit(finder)
        return ran, finder.helper

    def _is_read(self, node: cst.Call, method: str, kind: Kind, *, awaited: bool) -> bool:
        if method == "query":
            return True
        if method not in READS or not (awaited or kind is Kind.SYNC_SESSION):
            return False
        return not (
            method == "execute" and node.args and self._writes(self._bound(node.args[0].value))
        )

    def _batched(self, node: cst.Call) -> bool:
        """Whether a call in a loop is not a per-row lookup.

        A query filtered with ``.in_(...)`` already loads a whole group in one statement (one
        query per model class or chunk), and ``execute(text(stmt))`` of the loop variable runs a
        script's statements one by one rather than one query per row.
        """
        statement = self.statements[-1] if self.statements else node
        argument = node.args[0].value if node.args else None
        code = cst.Module(body=[]).code_for_node
        texts = [code(statement)]
        if argument is not None:
            texts.append(code(self._bound(argument)))
        if any(self._in_over_loop_item(text) for text in texts):
            return True
        found = method_call(node)
        if found is None or found[1] not in {"execute", "exec_driver_sql"}:
            return False
        if isinstance(argument, cst.Call) and argument.args:
            argument = argument.args[0].value  # ``text(stmt)``
        names = {name for targets in self.loop_targets for name in targets.split()}
        return isinstance(argument, cst.Name) and argument.value in names

    def _in_over_loop_item(self, text: str) -> bool:
        """``.in_(...)`` over what the loop yields (``for model, ids in groups``): one per group."""
        names = {name for targets in self.loop_targets for name in targets.split()}
        for part in text.split(".in_(")[1:]:
            if any(re.search(rf"\b{re.escape(name)}\b", part) for name in names):
                return True
        return False

    def _bound(self, statement: cst.BaseExpression) -> cst.BaseExpression:
        """The value a local name was last bound to in the current function, else ``statement``."""
        if not isinstance(statement, cst.Name) or not self.frames:
            return statement
        finder = _LastBinding(statement.value)
        self.frames[-1].node.visit(finder)
        return finder.value or statement

    @staticmethod
    def _writes(statement: cst.BaseExpression) -> bool:
        """Whether an executed statement is an ``insert``/``update``/``delete``."""
        while isinstance(statement, cst.Call):
            name = dotted(statement.func)
            if name is not None:
                last = name.rsplit(".", 1)[-1]
                if last == "text" and statement.args:
                    sql = statement.args[0].value
                    return isinstance(sql, cst.SimpleString) and bool(
                        WRITE_SQL.match(str(sql.evaluated_value))
                    )
                return last in WRITES
            func = statement.func
            statement = func.value if isinstance(func, cst.Attribute) else func
        return False

    @staticmethod
    def _is_layer_getter(receiver: cst.BaseExpression, method: str) -> bool:
        if method != "get" and not method.startswith(("get_", "find_")):
            return False
        name = dotted(receiver)
        return name is not None and bool(LAYER_NAME.search(name.rsplit(".", 1)[-1]))
