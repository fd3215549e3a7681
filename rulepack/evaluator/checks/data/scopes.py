"""A module check that knows its enclosing functions and classes and what their names hold.

:class:`ScopedCheck` keeps a stack of :class:`Frame` objects (one per function or lambda) and of
:class:`ClassFrame` objects. A frame records whether the function is ``async`` and a route handler,
and the kind of value (:class:`~rulepack.evaluator.checks.data.kinds.Kind`) its parameters and
local names hold: ``session: AsyncSession``, ``db: Session = Depends(get_db)``,
``db = SessionLocal()``, ``async with httpx.AsyncClient() as client``. A class frame records the
attributes its methods bind (``self.session = session`` from a typed parameter).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TypeGuard

import libcst as cst

from rulepack.evaluator.checks.ast_facts import ast_dotted, import_map
from rulepack.evaluator.checks.base import ModuleCheck, ModuleContext, ProjectFacts
from rulepack.evaluator.checks.data.kinds import SESSION_FACTORIES, SESSIONS, Kind
from rulepack.evaluator.checks.data.resolve import Resolver
from rulepack.evaluator.checks.data.shapes import of_cst
from rulepack.evaluator.checks.facts import route_call
from rulepack.evaluator.checks.sync_route_handler import is_route_owner

WEB_FRAMEWORKS = frozenset({"fastapi", "starlette"})

# Variable names that hold a database session by convention (used only where a check says so).
SESSION_NAMES = frozenset({"session", "db", "db_session", "sess", "dbsession", "async_db"})
SESSION_ATTRIBUTES = frozenset(
    {"session", "_session", "db", "_db", "db_session", "_db_session", "async_session"}
)


@dataclass
class Frame:
    """One function (or lambda) being visited."""

    name: str
    is_async: bool
    is_route: bool
    node: cst.FunctionDef | cst.Lambda
    names: dict[str, Kind] = field(default_factory=dict)  # parameters and locals
    parameters: frozenset[str] = frozenset()


def foreign_app(owner: str, project: ProjectFacts) -> bool:
    """Whether ``owner`` (``pkg.bolt.app``) is built by another framework's class.

    Only the name tells a FastAPI app from a Slack Bolt ``App`` or a Flask app used the same
    way (``@app.action(...)``), so the module that defines ``owner`` is read: a module-level
    ``app = App(...)`` whose class comes from a third-party package other than FastAPI or
    Starlette makes its decorated functions listeners of that framework, not routes.
    """
    module_name, _, name = owner.rpartition(".")
    return project.cached(
        f"data.foreign-app.{owner}", lambda: _built_by_foreign_class(module_name, name, project)
    )


def _built_by_foreign_class(module_name: str, name: str, project: ProjectFacts) -> bool:
    facts = next((m for m in project.modules if m.module == module_name), None)
    tree = project.trees.get(facts.path) if facts is not None else None
    if facts is None or tree is None:
        return False
    first_party = {module.module.split(".", 1)[0] for module in project.modules}
    imports = import_map(tree, module_name)
    for statement in tree.body:
        if not (isinstance(statement, ast.Assign) and isinstance(statement.value, ast.Call)):
            continue
        if not any(isinstance(t, ast.Name) and t.id == name for t in statement.targets):
            continue
        callee = ast_dotted(statement.value.func)
        if callee is None or ("." not in callee and callee not in imports.names):
            return False  # a class of this module
        top = imports.resolve_dotted(callee).split(".", 1)[0]
        return top not in first_party and top not in WEB_FRAMEWORKS
    return False


@dataclass
class ClassFrame:
    """One class being visited, and the kinds of its attributes (read when first needed)."""

    name: str
    node: cst.ClassDef
    attributes: dict[str, Kind] | None = None


def parameters(node: cst.Parameters) -> list[cst.Param]:
    """Every named parameter of a function."""
    return [
        *node.posonly_params,
        *node.params,
        *node.kwonly_params,
        *([node.star_arg] if isinstance(node.star_arg, cst.Param) else []),
        *([node.star_kwarg] if node.star_kwarg is not None else []),
    ]


def _is_self_attribute(node: cst.BaseExpression) -> TypeGuard[cst.Attribute]:
    """Whether ``node`` is ``self.<name>`` or ``cls.<name>``."""
    return (
        isinstance(node, cst.Attribute)
        and isinstance(node.value, cst.Name)
        and node.value.value in {"self", "cls"}
    )


def _blocks(statement: cst.BaseCompoundStatement) -> Iterator[cst.BaseSuite]:
    """The blocks nested in a compound statement (not in nested functions or classes)."""
    if isinstance(statement, cst.If):
        yield statement.body
        if isinstance(statement.orelse, cst.If):
            yield from _blocks(statement.orelse)
        elif statement.orelse is not None:
            yield statement.orelse.body
    elif isinstance(statement, cst.For | cst.While | cst.With):
        yield statement.body
    elif isinstance(statement, cst.Try | cst.TryStar):
        yield statement.body
        yield from (handler.body for handler in statement.handlers)
        if statement.finalbody is not None:
            yield statement.finalbody.body


def _small_statements(suite: cst.BaseSuite) -> Iterator[cst.BaseSmallStatement]:
    """Simple statements of a block and of the blocks nested in it."""
    if isinstance(suite, cst.SimpleStatementSuite):
        yield from suite.body
        return
    if not isinstance(suite, cst.IndentedBlock):
        return
    for statement in suite.body:
        if isinstance(statement, cst.SimpleStatementLine):
            yield from statement.body
        elif isinstance(statement, cst.BaseCompoundStatement) and not isinstance(
            statement, cst.FunctionDef | cst.ClassDef
        ):
            for block in _blocks(statement):
                yield from _small_statements(block)


def self_assignments(
    node: cst.ClassDef,
) -> Iterator[tuple[str, cst.BaseExpression, cst.FunctionDef]]:
    """``(attribute, value, method)`` for each ``self.<attribute> = value`` in the methods."""
    if not isinstance(node.body, cst.IndentedBlock):
        return
    for method in node.body.body:
        if not isinstance(method, cst.FunctionDef):
            continue
        for small in _small_statements(method.body):
            if isinstance(small, cst.Assign):
                targets = [target.target for target in small.targets]
                value: cst.BaseExpression | None = small.value
            elif isinstance(small, cst.AnnAssign):
                targets, value = [small.target], small.value
            else:
                continue
            for target in targets:
                if value is not None and _is_self_attribute(target):
                    yield target.attr.value, value, method


class ScopedCheck(ModuleCheck):
    """A module check that tracks functions, classes and the kinds of their names."""

    def __init__(self, context: ModuleContext) -> None:
        """Start with no enclosing function or class."""
        super().__init__(context)
        self.resolver = Resolver.for_module(context.project, context.path, context.imports)
        self.frames: list[Frame] = []
        self.classes: list[ClassFrame] = []

    # -- scopes --------------------------------------------------------------------------------

    @property
    def frame(self) -> Frame | None:
        """The innermost enclosing function, if any."""
        return self.frames[-1] if self.frames else None

    @property
    def in_async(self) -> bool:
        """Whether the code being visited runs on the event loop (innermost function async)."""
        return self.frame is not None and self.frame.is_async

    def is_route(self, node: cst.FunctionDef) -> bool:
        """Whether ``node`` is decorated as a route of a FastAPI app or router."""
        for decorator in node.decorators:
            found = route_call(decorator)
            if found is None:
                continue
            owner = self.qualified(found[0])
            if (
                owner is not None
                and is_route_owner(owner, self.context.project)
                and not foreign_app(owner, self.context.project)
            ):
                return True
        return False

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        """Enter a class."""
        self.classes.append(ClassFrame(node.name.value, node))

    def attribute_kinds(self, frame: ClassFrame) -> dict[str, Kind]:
        """What a class's attributes hold: class-level annotations, ``self.x = ...`` in methods."""
        if frame.attributes is None:
            attributes: dict[str, Kind] = {}
            if isinstance(frame.node.body, cst.IndentedBlock):
                for statement in frame.node.body.body:
                    self._class_statement(statement, attributes)
            for attribute, value, method in self_assignments(frame.node):
                kind = self._attribute_value(value, method)
                if kind is not None:
                    attributes.setdefault(attribute, kind)
            frame.attributes = attributes
        return frame.attributes

    def leave_ClassDef(self, original_node: cst.ClassDef) -> None:
        """Leave the class."""
        self.classes.pop()

    def _class_statement(self, statement: cst.BaseStatement, attributes: dict[str, Kind]) -> None:
        if not isinstance(statement, cst.SimpleStatementLine):
            return
        for small in statement.body:
            if isinstance(small, cst.AnnAssign) and isinstance(small.target, cst.Name):
                kind = self.resolver.annotation_kind(of_cst(small.annotation.annotation))
                if kind is not None:
                    attributes[small.target.value] = kind

    def _attribute_value(
        self, value: cst.BaseExpression, method: cst.FunctionDef | None
    ) -> Kind | None:
        if isinstance(value, cst.Name) and method is not None:
            for param in parameters(method.params):
                if param.name.value == value.value:
                    return self.param_kind(param)
            return None
        return self.resolver.value_kind(of_cst(value))

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        """Enter a function: record whether it is async or a route, and its parameters."""
        frame = Frame(
            node.name.value,
            is_async=node.asynchronous is not None,
            is_route=self.is_route(node),
            node=node,
        )
        names: set[str] = set()
        for param in parameters(node.params):
            names.add(param.name.value)
            kind = self.param_kind(param)
            if kind is not None:
                frame.names[param.name.value] = kind
        frame.parameters = frozenset(names)
        self.frames.append(frame)

    def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
        """Leave the function."""
        self.frames.pop()

    def visit_Lambda(self, node: cst.Lambda) -> None:
        """A lambda's body does not run where it is written (``run_in_threadpool(lambda: ...)``)."""
        self.frames.append(Frame("<lambda>", is_async=False, is_route=False, node=node))

    def leave_Lambda(self, original_node: cst.Lambda) -> None:
        """Leave the lambda."""
        self.frames.pop()

    def param_kind(self, param: cst.Param) -> Kind | None:
        """What a parameter holds, by its annotation or its ``Depends(...)`` default."""
        kind = None
        if param.annotation is not None:
            kind = self.resolver.annotation_kind(of_cst(param.annotation.annotation))
        if kind is None and param.default is not None:
            kind = self.resolver.depends_kind(of_cst(param.default))
        return kind

    # -- local bindings ------------------------------------------------------------------------

    def visit_Assign(self, node: cst.Assign) -> None:
        """Record what a local name is bound to."""
        if self.frame is None:
            return
        kind = self.kind_of(node.value)
        for target in node.targets:
            if isinstance(target.target, cst.Name):
                self._bind(target.target.value, kind)

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        """Record what an annotated local name is bound to."""
        if self.frame is None or not isinstance(node.target, cst.Name):
            return
        kind = self.resolver.annotation_kind(of_cst(node.annotation.annotation))
        if kind is None and node.value is not None:
            kind = self.kind_of(node.value)
        self._bind(node.target.value, kind)

    def visit_WithItem(self, node: cst.WithItem) -> None:
        """Record ``with X() as name`` bindings."""
        if self.frame is None or node.asname is None:
            return
        target = node.asname.name
        if isinstance(target, cst.Name):
            self._bind(target.value, self.kind_of(node.item))

    def _bind(self, name: str, kind: Kind | None) -> None:
        if self.frame is None:
            return
        if kind is None:
            self.frame.names.pop(name, None)
        else:
            self.frame.names[name] = kind

    # -- what an expression holds --------------------------------------------------------------

    def kind_of(self, node: cst.BaseExpression) -> Kind | None:
        """The kind of value ``node`` holds or gives, when the checks track it."""
        if isinstance(node, cst.Await):
            return self.kind_of(node.expression)
        if isinstance(node, cst.Name):
            return self._name_kind(node.value)
        if _is_self_attribute(node):
            if not self.classes:
                return None
            return self.attribute_kinds(self.classes[-1]).get(node.attr.value)
        if isinstance(node, cst.Call) and isinstance(node.func, cst.Name):
            local = self._local(node.func.value)
            if local is not None:  # a local session factory called
                return SESSION_FACTORIES.get(local)
        return self.resolver.value_kind(of_cst(node))

    def _name_kind(self, name: str) -> Kind | None:
        """A local or parameter of an enclosing function, else a module-level name."""
        for frame in reversed(self.frames):
            if name in frame.names:
                return frame.names[name]
            if name in frame.parameters:
                return None
        return self.resolver.global_kind(name)

    def _local(self, name: str) -> Kind | None:
        for frame in reversed(self.frames):
            if name in frame.names:
                return frame.names[name]
        return None

    def session_kind(self, node: cst.BaseExpression, *, by_name: bool = False) -> Kind | None:
        """The session kind of ``node`` (``None`` when it is not known to be a session).

        With ``by_name``, conventional names (``session``, ``db``, ``self.session`` ...) count as
        database sessions of unknown kind.
        """
        kind = self.kind_of(node)
        if kind in SESSIONS:
            return kind
        if kind is not None or not by_name:
            return None
        if isinstance(node, cst.Name) and node.value in SESSION_NAMES:
            return Kind.SESSION
        if _is_self_attribute(node) and node.attr.value in SESSION_ATTRIBUTES:
            return Kind.SESSION
        return None
