"""Resolve what names stand for across the modules of a sample, for the data checks.

:class:`ModuleIndex` reads the top-level bindings of every module (from the ``ast`` trees the fact
pass parsed) on demand; :class:`Resolver` answers, for one module, what kind of value an
expression, an annotation or a ``Depends(...)`` gives: ``SessionLocal()`` where ``SessionLocal =
sessionmaker(...)`` is in another module is a sync session, ``session: SessionDep`` where
``SessionDep = Annotated[AsyncSession, Depends(get_session)]`` is an ``AsyncSession``.

Snippets (pack examples, generated fragments) often leave out their imports, so a name that the
module neither imports nor defines is matched by its trailing components (``create_async_engine``
matches ``sqlalchemy.ext.asyncio.create_async_engine``), and well-known variable names
(``SessionLocal``, ``get_db``) stand for what they usually hold.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from rulepack.evaluator.checks.ast_facts import import_map
from rulepack.evaluator.checks.base import ProjectFacts
from rulepack.evaluator.checks.data.kinds import (
    CONSTRUCTORS,
    DEPENDS,
    SESSION_FACTORIES,
    TRANSPARENT,
    TYPES,
    Kind,
)
from rulepack.evaluator.checks.data.shapes import Form, Shape, of_ast, parse_string
from rulepack.evaluator.checks.imports import ImportMap

T = TypeVar("T")
MAX_DEPTH = 6
# Callables whose call gives a database session, by their normalized (lower case, no "_") name.
SESSION_GIVERS = frozenset(
    {
        "sessionlocal",
        "asyncsessionlocal",
        "sessionfactory",
        "asyncsessionfactory",
        "dbsessionfactory",
        "asyncsessionmaker",
        "asyncsession",
        "getdb",
        "getsession",
        "getdbsession",
        "getasyncsession",
        "getasyncdb",
        "dbsession",
        "newsession",
        "createsession",
        "makesession",
        "sessionscope",
        "opensession",
    }
)
# Packages whose ``Session``/``session`` objects are HTTP or cloud sessions, not database ones.
NOT_DATABASE = ("requests", "aiohttp", "httpx", "boto3", "botocore", "niquests", "urllib3")
_DISTINCTIVE = re.compile(r"_|[A-Z].{7}")


def _distinctive(name: str) -> bool:
    """Whether a bare name is specific enough to stand for a library's function or class.

    ``create_engine`` and ``AsyncClient`` are; ``connect``, ``Client`` and ``Session`` are not.
    """
    return bool(_DISTINCTIVE.search(name))


def normalized(name: str) -> str:
    """The last component of a dotted name, lower case and without underscores."""
    return name.rsplit(".", 1)[-1].replace("_", "").lower()


@dataclass(frozen=True)
class Targets(Generic[T]):
    """Qualified names mapped to values, plus the tails a snippet may name them by."""

    exact: Mapping[str, T]
    tails: Mapping[str, T]

    @classmethod
    def of(cls, exact: Mapping[str, T], bare: Iterable[str] = ()) -> Targets[T]:
        """Index ``exact`` by every dotted tail whose names all have one value.

        A one-component tail counts only when it is distinctive (an underscore, or a capitalized
        name of eight letters or more: ``create_engine``, ``MongoClient``) or is listed in
        ``bare``.
        """
        allowed = set(bare)
        seen: dict[str, set[str]] = {}
        for name in exact:
            parts = name.split(".")
            for start in range(len(parts)):
                tail = ".".join(parts[start:])
                single = start == len(parts) - 1
                if single and not (_distinctive(tail) or tail in allowed):
                    continue
                seen.setdefault(tail, set()).add(name)
        tails = {
            tail: exact[next(iter(names))]
            for tail, names in seen.items()
            if len({exact[name] for name in names}) == 1  # one meaning, however many names
        }
        return cls(exact, tails)


CONSTRUCTOR_TARGETS = Targets.of(CONSTRUCTORS)
TYPE_TARGETS = Targets.of(TYPES, bare=("Session",))
DEPENDS_TARGETS = Targets.of(dict.fromkeys(DEPENDS, True), bare=("Depends", "Security"))


@dataclass(frozen=True)
class ModuleTable:
    """A module's imports and the values and definitions its top level binds."""

    module: str
    imports: ImportMap
    bindings: Mapping[str, ast.expr | ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef]
    local: frozenset[str]


def _top_level(body: list[ast.stmt]) -> Iterator[ast.stmt]:
    """Top-level statements, including those under ``if``/``try``/``with`` blocks."""
    for statement in body:
        yield statement
        if isinstance(statement, ast.If | ast.With | ast.AsyncWith):
            yield from _top_level(statement.body)
            if isinstance(statement, ast.If):
                yield from _top_level(statement.orelse)
        elif isinstance(statement, ast.Try):
            for block in (statement.body, statement.orelse, statement.finalbody):
                yield from _top_level(block)
            for handler in statement.handlers:
                yield from _top_level(handler.body)


def module_table(tree: ast.Module, module: str) -> ModuleTable:
    """Read a module's top-level bindings."""
    bindings: dict[str, ast.expr | ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef] = {}
    local: set[str] = set()
    for statement in _top_level(tree.body):
        if isinstance(statement, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            bindings[statement.name] = statement
        elif isinstance(statement, ast.Assign) and len(statement.targets) == 1:
            target = statement.targets[0]
            if isinstance(target, ast.Name):
                bindings[target.id] = statement.value
        elif isinstance(statement, ast.AnnAssign) and isinstance(statement.target, ast.Name):
            if statement.value is not None:
                bindings[statement.target.id] = statement.value
            local.add(statement.target.id)
        local.update(_assigned_names(statement))
    local.update(bindings)
    return ModuleTable(module, import_map(tree, module), bindings, frozenset(local))


def _assigned_names(statement: ast.stmt) -> Iterator[str]:
    if isinstance(statement, ast.Assign | ast.For | ast.AsyncFor):
        targets = statement.targets if isinstance(statement, ast.Assign) else [statement.target]
        for target in targets:
            for node in ast.walk(target):
                if isinstance(node, ast.Name):
                    yield node.id


@dataclass
class ModuleIndex:
    """The top-level bindings of a sample's modules, read when first asked for."""

    project: ProjectFacts
    _paths: dict[str, str] | None = None
    _tables: dict[str, ModuleTable | None] = field(default_factory=dict)

    def table(self, module: str) -> ModuleTable | None:
        """The table of ``module`` (a dotted module name), if the sample has it."""
        if module not in self._tables:
            if self._paths is None:
                self._paths = {facts.module: facts.path for facts in self.project.modules}
            path = self._paths.get(module)
            tree = self.project.trees.get(path) if path is not None else None
            self._tables[module] = module_table(tree, module) if tree is not None else None
        return self._tables[module]

    def find(
        self, qualified: str, depth: int = 0
    ) -> (
        tuple[ast.expr | ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef, ModuleTable] | None
    ):
        """The value or definition ``qualified`` names, following re-exports."""
        module, _, name = qualified.rpartition(".")
        table = self.table(module) if module else None
        if table is None or depth > MAX_DEPTH:
            return None
        if name in table.bindings:
            return table.bindings[name], table
        target = table.imports.names.get(name)
        return self.find(target, depth + 1) if target is not None else None

    def canonical(self, qualified: str, depth: int = 0) -> str:
        """``qualified`` with re-exports through the sample's modules followed.

        ``app.db.Session`` is ``sqlalchemy.orm.Session`` when ``app/db.py`` imports it from there.
        """
        module, _, name = qualified.rpartition(".")
        table = self.table(module) if module else None
        if table is None or name in table.bindings or depth > MAX_DEPTH:
            return qualified
        target = table.imports.names.get(name)
        return self.canonical(target, depth + 1) if target is not None else qualified


@dataclass
class Resolver:
    """What the names and expressions of one module stand for."""

    table: ModuleTable
    index: ModuleIndex

    @classmethod
    def for_module(cls, project: ProjectFacts, path: str, imports: ImportMap) -> Resolver:
        """The resolver of the module at ``path``."""
        index = project.cached("data.module-index", lambda: ModuleIndex(project))
        table = index.table(imports.module)
        if table is None:  # a module outside the facts (should not happen): imports only
            table = ModuleTable(imports.module, imports, {}, frozenset())
        return cls(table, index)

    def other(self, table: ModuleTable) -> Resolver:
        """The resolver of another module of the same sample."""
        return Resolver(table, self.index)

    def qualify(self, name: str) -> str:
        """The qualified name of a dotted name of this module."""
        return self.table.imports.resolve_dotted(name)

    def is_unbound(self, name: str) -> bool:
        """Whether the head of ``name`` is neither imported nor defined here (a snippet)."""
        head = name.split(".", 1)[0]
        return head not in self.table.imports.names and head not in self.table.local

    def match(self, name: str | None, targets: Targets[T]) -> T | None:
        """The value ``targets`` gives ``name``: by qualified name, else (unbound) by its tail."""
        if name is None:
            return None
        qualified = self.qualify(name)
        found = targets.exact.get(qualified)
        if found is None and self.is_unbound(name):
            found = targets.tails.get(name)
        if found is None and "." in qualified:
            found = targets.exact.get(self.index.canonical(qualified))
        return found

    def value_kind(self, shape: Shape, depth: int = 0) -> Kind | None:
        """The kind of value an expression gives, when it is one the checks track."""
        if depth > MAX_DEPTH:
            return None
        if shape.form is Form.CALL:
            return self._call_kind(shape, depth)
        if shape.form is Form.NAME and shape.name is not None:
            return self.global_kind(shape.name, depth)
        return None

    def _call_kind(self, call: Shape, depth: int) -> Kind | None:
        callee = call.name
        if callee is None:  # ``sessionmaker(...)()``
            inner = self.value_kind(call.func, depth + 1) if call.func is not None else None
            return SESSION_FACTORIES.get(inner) if inner is not None else None
        kind = self.match(callee, CONSTRUCTOR_TARGETS)
        if kind is Kind.SYNC_SESSION_FACTORY:
            return self._session_factory(call, depth)
        if kind is not None:
            return kind
        if callee == "next" and call.args:
            return self.value_kind(call.args[0], depth + 1)
        if self.qualify(callee).startswith(NOT_DATABASE):
            return None
        return self._called_kind(callee, depth)

    def _session_factory(self, call: Shape, depth: int) -> Kind:
        """``sessionmaker(...)``: sync, unless ``class_=AsyncSession``."""
        session_class = call.keyword("class_")
        made = self.annotation_kind(session_class, depth + 1) if session_class else None
        return (
            Kind.ASYNC_SESSION_FACTORY if made is Kind.ASYNC_SESSION else Kind.SYNC_SESSION_FACTORY
        )

    def _called_kind(self, callee: str, depth: int) -> Kind | None:
        """What calling a name of the sample gives: a factory's session, a declared return."""
        bound = self.global_kind(callee, depth + 1)
        if bound in SESSION_FACTORIES:
            return SESSION_FACTORIES[bound]
        returned = self.returns_kind(callee, depth + 1)
        if returned is not None:
            return returned
        return Kind.SESSION if normalized(callee) in SESSION_GIVERS else None

    def global_kind(self, name: str, depth: int = 0) -> Kind | None:
        """The kind of value a module-level name (here or imported) holds."""
        found = self.index.find(self.qualify(name))
        if found is None:
            if self.is_unbound(name) and normalized(name) in SESSION_GIVERS:
                return Kind.SESSION_FACTORY  # ``session_factory`` in a snippet
            return None
        node, table = found
        if isinstance(node, ast.expr):
            return self.other(table).value_kind(of_ast(node), depth + 1)
        return None

    def returns_kind(self, name: str, depth: int = 0) -> Kind | None:
        """The kind a function of the sample declares it returns (or yields)."""
        found = self.index.find(self.qualify(name))
        if found is None or depth > MAX_DEPTH:
            return None
        node, table = found
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.returns is not None:
            return self.other(table).annotation_kind(of_ast(node.returns), depth + 1)
        return None

    def annotation_kind(self, shape: Shape, depth: int = 0) -> Kind | None:
        """The kind an annotation declares (through ``Annotated``, ``| None`` and aliases)."""
        if depth > MAX_DEPTH:
            return None
        if shape.form is Form.STRING and shape.name is not None:
            return self.annotation_kind(parse_string(shape.name), depth + 1)
        if shape.form is Form.UNION:
            kinds = (self.annotation_kind(arg, depth + 1) for arg in shape.args)
            return next((kind for kind in kinds if kind is not None), None)
        if shape.form is Form.SUBSCRIPT and shape.name is not None and shape.args:
            return self._subscript_kind(shape, depth)
        if shape.form is Form.NAME and shape.name is not None:
            return self._named_type_kind(shape.name, depth)
        return None

    def _subscript_kind(self, shape: Shape, depth: int) -> Kind | None:
        """``Annotated[T, Depends(...)]``, ``Optional[T]``, ``AsyncIterator[T]`` ..."""
        if (shape.name or "").rsplit(".", 1)[-1] not in TRANSPARENT:
            return None
        kind = self.annotation_kind(shape.args[0], depth + 1)
        metadata = (self.depends_kind(arg, depth + 1) for arg in shape.args[1:])
        return kind or next((found for found in metadata if found is not None), None)

    def _named_type_kind(self, name: str, depth: int) -> Kind | None:
        """A class the tables know, or an alias (``SessionDep = Annotated[...]``)."""
        kind = self.match(name, TYPE_TARGETS)
        if kind is not None:
            return kind
        found = self.index.find(self.qualify(name))
        if found is not None and isinstance(found[0], ast.expr):
            return self.other(found[1]).annotation_kind(of_ast(found[0]), depth + 1)
        return None

    def depends_kind(self, shape: Shape, depth: int = 0) -> Kind | None:
        """The kind ``Depends(dependency)`` injects, from the dependency's return annotation."""
        if shape.form is not Form.CALL or self.match(shape.name, DEPENDS_TARGETS) is None:
            return None
        dependency = shape.args[0] if shape.args else shape.keyword("dependency")
        if dependency is None or dependency.form is not Form.NAME or dependency.name is None:
            return None
        kind = self.returns_kind(dependency.name, depth + 1)
        if kind is None and normalized(dependency.name) in SESSION_GIVERS:
            return Kind.SESSION
        return kind
