"""``@app.on_event("startup"/"shutdown")`` handlers -> one lifespan (fixes ``on-event``).

Moving lifecycle code is not a blind rewrite, so this fix rewrites only the simple case and
otherwise prints a suggestion: the handlers it found and the lifespan that would replace them.

The simple case: every ``on-event`` finding of the sample is an ``@<app>.on_event("startup")`` or
``("shutdown")`` decorator on a module-level function without parameters, in the module that
creates ``<app> = FastAPI(...)`` (once, at module level, without ``lifespan=``/``on_startup=``/
``on_shutdown=``), no handler is referenced anywhere else in the sample, and the handlers' bodies
can share one function: no ``return``/``yield``, ``global`` only as a top-level statement, and no
name that one handler binds is used by another. Then the handler bodies move, in registration
order, into ``@asynccontextmanager async def lifespan(app: FastAPI) -> AsyncIterator[None]``
(startup before ``yield``, shutdown after), which is defined just before the app and passed as
``FastAPI(..., lifespan=lifespan)``; the handlers and their decorators go. Starlette runs sync
handlers on the event loop, so moving a sync body into the async lifespan keeps its behaviour.
Docstrings become comments; comments are kept. Once in the typed lifespan, the moved code is
type-checked like any typed function (mypy may report calls to untyped functions there).
"""

from __future__ import annotations

import ast
import symtable
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import libcst as cst

from rulepack.evaluator.checks.facts import FASTAPI_APP, positional, string_value
from rulepack.fixes.edits import (
    add_import,
    append_argument,
    bound_names,
    imported_as,
    is_docstring,
    is_free,
    keyword_argument,
    loaded_names,
)
from rulepack.fixes.finders import Found, ParsedModule
from rulepack.fixes.model import Outcome

EVENTS = ("startup", "shutdown")
LIFECYCLE_KEYWORDS = frozenset({"lifespan", "on_startup", "on_shutdown"})
ASYNC_ITERATORS = frozenset({"collections.abc.AsyncIterator", "typing.AsyncIterator"})
CONTEXT_MANAGERS = frozenset({"contextlib.asynccontextmanager"})
NESTED_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)


class NotRewrittenError(Exception):
    """Why the handlers of a module are suggested rather than rewritten."""


@dataclass(frozen=True)
class Handler:
    """A module-level function registered with ``@<owner>.on_event(<event>)``."""

    function: cst.FunctionDef
    owner: str | None  # the decorator's owner expression when it is a plain name
    event: str | None
    decorator: Found

    @property
    def line(self) -> int:
        """The line of the decorator."""
        return self.decorator.line


@dataclass(frozen=True)
class AppStatement:
    """The module-level ``<name> = FastAPI(...)`` statement."""

    index: int
    statement: cst.SimpleStatementLine
    assign: cst.Assign
    call: cst.Call
    name: str


def handlers_of(module: cst.Module, found: Sequence[Found]) -> list[Handler]:
    """The module-level functions whose decorators were reported, in source order."""
    reported = {id(item.node): item for item in found}
    handlers: list[Handler] = []
    for statement in module.body:
        if not isinstance(statement, cst.FunctionDef):
            continue
        for decorator in statement.decorators:
            if id(decorator) in reported:
                owner, event = _registration(decorator)
                handlers.append(Handler(statement, owner, event, reported[id(decorator)]))
    return handlers


def _registration(decorator: cst.Decorator) -> tuple[str | None, str | None]:
    call = decorator.decorator
    if not isinstance(call, cst.Call) or not isinstance(call.func, cst.Attribute):
        return None, None
    owner = call.func.value.value if isinstance(call.func.value, cst.Name) else None
    return owner, string_value(positional(call, 0))


def fix_lifespan(
    module: cst.Module,
    parsed: ParsedModule,
    found: Sequence[Found],
    *,
    shared: str | None = None,
    outside: frozenset[str] = frozenset(),
) -> Outcome:
    """Rewrite the module's ``on_event`` handlers into a lifespan, or note a suggestion.

    Args:
        module: The module, as the finder visited it.
        parsed: Its text, ``ast`` tree and check context.
        found: What the ``on-event`` finder reported in it.
        shared: Why the sample as a whole rules a rewrite out (handlers in several modules).
        outside: Every identifier used by the sample's other modules.
    """
    if not found:
        return Outcome(module.code)
    handlers = handlers_of(module, found)
    try:
        plan = LifespanPlan.make(module, parsed, found, handlers, outside, shared=shared)
    except NotRewrittenError as exc:
        return Outcome(module.code, notes=((found[0].line, suggestion(str(exc), found, handlers)),))
    return Outcome(plan.apply().code, 1)


@dataclass(frozen=True)
class LifespanPlan:
    """A checked rewrite of one module's handlers into a lifespan."""

    module: cst.Module
    app: AppStatement
    handlers: tuple[Handler, ...]
    hoisted: tuple[str, ...]  # names the handlers declare ``global``
    parameter: str
    context_manager: str
    async_iterator: str
    imports: tuple[tuple[str, str], ...]

    @classmethod
    def make(
        cls,
        module: cst.Module,
        parsed: ParsedModule,
        found: Sequence[Found],
        handlers: Sequence[Handler],
        outside: frozenset[str],
        *,
        shared: str | None = None,
    ) -> LifespanPlan:
        """Check every condition of the simple case (raises :class:`NotRewrittenError`)."""
        if shared is not None:
            raise NotRewrittenError(shared)
        tree = parsed.tree
        app = _app_statement(module, parsed)
        if len(handlers) != len(found):
            raise NotRewrittenError(
                "handlers are also registered with add_event_handler(), on_startup=/on_shutdown=, "
                "or on a function that is not module-level"
            )
        for handler in handlers:
            _check_handler(handler, app.name, tree, outside)
        functions = _ast_functions(tree, handlers)
        hoisted = _check_bodies(parsed, functions)
        parameter = _parameter(app.name, functions, hoisted)
        context_manager, first = _name_for(tree, CONTEXT_MANAGERS, "contextlib.asynccontextmanager")
        async_iterator, second = _name_for(tree, ASYNC_ITERATORS, "collections.abc.AsyncIterator")
        imports = tuple(item for item in (first, second) if item is not None)
        if not is_free("lifespan", tree):
            raise NotRewrittenError("the module already uses the name `lifespan`")
        return cls(
            module, app, tuple(handlers), hoisted, parameter,
            context_manager, async_iterator, imports,
        )  # fmt: skip

    def apply(self) -> cst.Module:
        """The module with the lifespan before the app and the handlers removed."""
        dropped = {id(handler.function) for handler in self.handlers}
        body: list[cst.BaseStatement] = []
        for index, statement in enumerate(self.module.body):
            if id(statement) in dropped:
                continue
            if index == self.app.index:
                body.append(self._lifespan(first=not body))
                body.append(self._app_with_lifespan())
            else:
                body.append(statement)
        fixed = self.module.with_changes(body=body)
        for source, name in self.imports:
            fixed = add_import(fixed, source, name)
        return fixed

    def _app_with_lifespan(self) -> cst.SimpleStatementLine:
        call = append_argument(self.app.call, keyword_argument("lifespan", cst.Name("lifespan")))
        statement = self.app.statement
        return statement.with_changes(
            body=[self.app.assign.with_changes(value=call)],
            leading_lines=_blank_lines_before(statement.leading_lines),
        )

    def _lifespan(self, *, first: bool) -> cst.FunctionDef:
        annotation = cst.Module([]).code_for_node(self.app.call.func)
        template = cst.parse_statement(
            f"@{self.context_manager}\n"
            f"async def lifespan({self.parameter}: {annotation}) -> "
            f"{self.async_iterator}[None]:\n    yield\n",
            config=self.module.config_for_parsing,
        )
        if not isinstance(template, cst.FunctionDef) or not isinstance(
            template.body, cst.IndentedBlock
        ):
            raise TypeError("lifespan template did not parse as a function")  # pragma: no cover
        body = _Body()
        if self.hoisted:
            body.add(cst.parse_statement(f"global {', '.join(self.hoisted)}"))
        for event in EVENTS:
            for handler in self.handlers:
                if handler.event == event:
                    body.add_handler(handler.function)
            if event == "startup":
                body.add(cst.SimpleStatementLine(body=[cst.Expr(cst.Yield())]))
        block = template.body.with_changes(body=body.statements, footer=body.pending)
        blank = [] if first else [cst.EmptyLine(), cst.EmptyLine()]
        return template.with_changes(body=block, leading_lines=blank)


class _Body:
    """Statements of the lifespan, with comments waiting for the next statement."""

    def __init__(self) -> None:
        self.statements: list[cst.BaseStatement] = []
        self.pending: list[cst.EmptyLine] = []

    def add(self, statement: cst.SimpleStatementLine | cst.BaseCompoundStatement) -> None:
        if self.pending:
            leading = [*self.pending, *statement.leading_lines]
            statement = statement.with_changes(leading_lines=leading)
            self.pending = []
        self.statements.append(statement)

    def comment(self, lines: Sequence[cst.EmptyLine]) -> None:
        self.pending.extend(line for line in lines if line.comment is not None)

    def add_handler(self, function: cst.FunctionDef) -> None:
        """The handler's comments, then its statements (docstring as comments, no ``global``)."""
        self.comment(function.leading_lines)
        for decorator in function.decorators:
            self.comment(decorator.leading_lines)
        self.comment(function.lines_after_decorators)
        body = function.body
        statements: Sequence[cst.BaseStatement] = ()
        if isinstance(body, cst.SimpleStatementSuite):
            self._comment_of(body.trailing_whitespace)
            statements = [cst.SimpleStatementLine(body=body.body)]
        elif isinstance(body, cst.IndentedBlock):
            self._comment_of(body.header)
            statements = body.body
        for index, statement in enumerate(statements):
            if not isinstance(statement, cst.SimpleStatementLine | cst.BaseCompoundStatement):
                continue  # pragma: no cover - every statement is one of the two
            if index == 0 and is_docstring(statement):
                self.comment(statement.leading_lines)
                self.comment(_docstring_comments(statement))
            elif _only_global_or_pass(statement):
                self.comment(statement.leading_lines)
            else:
                self.add(statement)
        if isinstance(body, cst.IndentedBlock):
            self.comment(body.footer)

    def _comment_of(self, trailing: cst.TrailingWhitespace) -> None:
        if trailing.comment is not None:
            self.comment([cst.EmptyLine(comment=trailing.comment)])


def _only_global_or_pass(statement: cst.BaseStatement) -> bool:
    if not isinstance(statement, cst.SimpleStatementLine):
        return False
    return all(isinstance(small, cst.Global | cst.Pass) for small in statement.body)


def _docstring_comments(statement: cst.BaseStatement) -> list[cst.EmptyLine]:
    if not isinstance(statement, cst.SimpleStatementLine):
        return []
    expression = statement.body[0]
    text = string_value(expression.value) if isinstance(expression, cst.Expr) else None
    lines = [line.strip() for line in (text or "").strip().splitlines()]
    return [cst.EmptyLine(comment=cst.Comment(f"# {line}".rstrip())) for line in lines]


def _blank_lines_before(lines: Sequence[cst.EmptyLine]) -> list[cst.EmptyLine]:
    """``lines`` starting with (at least) two blank lines."""
    blank = 0
    for line in lines:
        if line.comment is not None:
            break
        blank += 1
    return [*([cst.EmptyLine()] * max(0, 2 - blank)), *lines]


def _app_assignment(
    index: int, statement: cst.BaseStatement, parsed: ParsedModule
) -> AppStatement | None:
    """``statement`` as ``<name> = FastAPI(...)``, if it is one."""
    if not isinstance(statement, cst.SimpleStatementLine) or len(statement.body) != 1:
        return None
    assign = statement.body[0]
    if not isinstance(assign, cst.Assign) or len(assign.targets) != 1:
        return None
    target, call = assign.targets[0].target, assign.value
    if not isinstance(target, cst.Name) or not isinstance(call, cst.Call):
        return None
    if parsed.context.imports.resolve(call.func) not in FASTAPI_APP:
        return None
    return AppStatement(index, statement, assign, call, target.value)


def _app_statement(module: cst.Module, parsed: ParsedModule) -> AppStatement:
    found = [
        app
        for index, statement in enumerate(module.body)
        if (app := _app_assignment(index, statement, parsed)) is not None
    ]
    if len(found) != 1:
        raise NotRewrittenError("the module does not create exactly one `FastAPI()` app")
    app = found[0]
    if bound_names(parsed.tree)[app.name] != 1:
        raise NotRewrittenError(f"`{app.name}` is bound more than once in the module")
    for argument in app.call.args:
        if argument.star:
            raise NotRewrittenError("the app is created with `**` arguments")
        if argument.keyword is not None and argument.keyword.value in LIFECYCLE_KEYWORDS:
            raise NotRewrittenError(f"the app is created with `{argument.keyword.value}=`")
    return app


def _check_handler(handler: Handler, app: str, tree: ast.Module, outside: frozenset[str]) -> None:
    function = handler.function
    name = function.name.value
    if handler.owner != app or handler.event not in EVENTS:
        raise NotRewrittenError(f"`{name}` is not registered as `@{app}.on_event(...)`")
    if len(function.decorators) != 1:
        raise NotRewrittenError(f"`{name}` has other decorators")
    params = function.params
    if params.params or params.posonly_params or params.kwonly_params:
        raise NotRewrittenError(f"`{name}` takes parameters")
    if isinstance(params.star_arg, cst.Param) or params.star_kwarg is not None:
        raise NotRewrittenError(f"`{name}` takes parameters")
    if name in loaded_names(tree) or bound_names(tree)[name] != 1 or name in outside:
        raise NotRewrittenError(f"`{name}` is referenced elsewhere")
    if _in_dunder_all(tree, name):
        raise NotRewrittenError(f"`{name}` is exported in `__all__`")


def _in_dunder_all(tree: ast.Module, name: str) -> bool:
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign | ast.AugAssign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if any(isinstance(t, ast.Name) and t.id == "__all__" for t in targets):
                values = [n.value for n in ast.walk(node) if isinstance(n, ast.Constant)]
                if name in values:
                    return True
    return False


def _ast_functions(
    tree: ast.Module, handlers: Sequence[Handler]
) -> list[ast.FunctionDef | ast.AsyncFunctionDef]:
    names = {handler.function.name.value for handler in handlers}
    return [
        statement
        for statement in tree.body
        if isinstance(statement, ast.FunctionDef | ast.AsyncFunctionDef) and statement.name in names
    ]


def _own_scope(nodes: Sequence[ast.AST]) -> Iterator[ast.AST]:
    """Every node of ``nodes`` outside nested functions, lambdas and classes."""
    for node in nodes:
        yield node
        if not isinstance(node, NESTED_SCOPES):
            yield from _own_scope(list(ast.iter_child_nodes(node)))


def _check_bodies(
    parsed: ParsedModule, functions: Sequence[ast.FunctionDef | ast.AsyncFunctionDef]
) -> tuple[str, ...]:
    """Check that the bodies can share one function; return the names to declare ``global``."""
    hoisted: list[str] = []
    for function in functions:
        for node in _own_scope(function.body):
            if isinstance(node, ast.Return | ast.Yield | ast.YieldFrom | ast.Nonlocal):
                raise NotRewrittenError(f"`{function.name}` uses `{type(node).__name__.lower()}`")
            if isinstance(node, ast.Global) and node not in function.body:
                raise NotRewrittenError(f"`{function.name}` declares `global` inside a block")
            if isinstance(node, ast.Global):
                hoisted.extend(name for name in node.names if name not in hoisted)
    table = symtable.symtable(parsed.text, parsed.path, "exec")
    scopes = {child.get_name(): child for child in table.get_children()}
    local = {
        f.name: {s.get_name() for s in scopes[f.name].get_symbols() if s.is_local()}
        for f in functions
    }
    used = {f.name: {n.id for n in ast.walk(f) if isinstance(n, ast.Name)} for f in functions}
    for function in functions:
        clash = local[function.name] & set(hoisted)
        for other in functions:
            if other is not function:
                clash |= local[function.name] & used[other.name]
        if clash:
            names = ", ".join(f"`{name}`" for name in sorted(clash))
            raise NotRewrittenError(
                f"the handlers would share the local name(s) {names} in one function"
            )
    return tuple(hoisted)


def _parameter(
    app: str, functions: Sequence[ast.FunctionDef | ast.AsyncFunctionDef], hoisted: Sequence[str]
) -> str:
    """``app``, unless the bodies use a different ``app`` than the app itself."""
    used = {n.id for f in functions for n in ast.walk(f) if isinstance(n, ast.Name)}
    for name in ("app", "_app"):
        if name not in hoisted and (name == app or name not in used):
            return name
    raise NotRewrittenError("the handlers use both `app` and `_app`")


def _name_for(
    tree: ast.Module, accepted: frozenset[str], wanted: str
) -> tuple[str, tuple[str, str] | None]:
    """The local name of ``asynccontextmanager``/``AsyncIterator``, and the import it needs.

    An existing top-level import of one of ``accepted`` is reused; otherwise ``wanted`` (a
    qualified name) is imported under its own name, which must be free.
    """
    existing = imported_as(tree, accepted)
    if existing is not None:
        return existing, None
    source, _, name = wanted.rpartition(".")
    if not is_free(name, tree):
        raise NotRewrittenError(f"the module uses the name `{name}` for something else")
    return name, (source, name)


def suggestion(reason: str, found: Sequence[Found], handlers: Sequence[Handler]) -> str:
    """The note for handlers left in place: why, and the lifespan that would replace them."""
    lines = [
        f"`on_event` handlers left in place ({reason}); a lifespan would replace them:",
        "    @asynccontextmanager",
        "    async def lifespan(app: FastAPI) -> AsyncIterator[None]:",
    ]
    registered = {id(handler.function): handler for handler in handlers}
    known = {id(handler.decorator.node) for handler in handlers}
    for event in EVENTS:
        for handler in registered.values():
            if handler.event == event:
                call = handler.function.name.value + "()"
                awaited = "await " if handler.function.asynchronous else ""
                lines.append(f"        {awaited}{call}  # {event}, line {handler.line}")
        if event == "startup":
            lines.append("        yield")
    for item in found:
        if id(item.node) not in known:
            code = " ".join(cst.Module([]).code_for_node(item.node).split())
            lines.append(f"        # line {item.line}: {code[:70]}")
    lines.append("    app = FastAPI(lifespan=lifespan)")
    return "\n".join(lines)
