"""Helpers the error-handling, security and configuration checks share.

Test modules, builtin and sample exception classes, logging calls, string interpolation,
route handlers and HTTP-layer functions (dependencies, handlers taking a ``Request``).
"""

from __future__ import annotations

import ast
import builtins
import re
from collections.abc import Iterator

import libcst as cst

from rulepack.evaluator.checks.ast_facts import ast_dotted, walk
from rulepack.evaluator.checks.base import ProjectFacts
from rulepack.evaluator.checks.facts import Span, route_call, string_value
from rulepack.evaluator.checks.imports import ImportMap, dotted
from rulepack.evaluator.checks.sync_route_handler import is_route_owner

TEST_DIRS = frozenset({"tests", "test", "testing"})
BUILTIN_EXCEPTIONS = frozenset(
    name
    for name, value in vars(builtins).items()
    if isinstance(value, type) and issubclass(value, BaseException)
)
BUILTIN_WARNINGS = frozenset(
    name
    for name, value in vars(builtins).items()
    if isinstance(value, type) and issubclass(value, Warning)
)
LOG_METHODS = frozenset(
    {"debug", "info", "warning", "warn", "error", "exception", "critical", "fatal", "log"}
    | {"trace", "success", "msg"}
)
LOGGING_PACKAGES = ("logging", "loguru", "structlog")
_LOGGER_NAME = re.compile(r"^_*(\w*_)?(log|logs|logger|loggers|logging)$|logger", re.IGNORECASE)
# FastAPI's parameter functions and request classes: their presence makes a function HTTP code.
HTTP_MARKERS = frozenset(
    {"Depends", "Security", "Header", "Cookie", "Query", "Path", "Body", "Form", "File"}
    | {"Request", "WebSocket", "HTTPConnection", "BackgroundTasks", "Response"}
)
HTTP_PACKAGES = ("fastapi", "starlette")


def builtin_name(node: cst.BaseExpression, imports: ImportMap) -> str | None:
    """The builtin (``ValueError``) that ``node`` names, unless an import shadows the name."""
    if isinstance(node, cst.Name) and node.value not in imports.names:
        return node.value if hasattr(builtins, node.value) else None
    return None


def exception_classes(project: ProjectFacts) -> frozenset[str]:
    """Qualified names of the sample's exception classes (warnings excluded), at any depth.

    A class is an exception when a base is a builtin exception, is named ``...Error`` or
    ``...Exception`` (library errors such as ``SQLAlchemyError``), or is one of the sample's
    exception classes.
    """
    classes = [fact for module in project.modules for fact in module.classes]
    known: set[str] = set()
    changed = True
    while changed:
        changed = False
        for fact in classes:
            if fact.name not in known and any(_exception_base(base, known) for base in fact.bases):
                known.add(fact.name)
                changed = True
    return frozenset(known)


def _exception_base(base: str, known: set[str]) -> bool:
    last = base.rsplit(".", 1)[-1]
    if last in BUILTIN_WARNINGS or last.endswith("Warning"):
        return False
    return base in known or last in BUILTIN_EXCEPTIONS or last.endswith(("Error", "Exception"))


def is_logger(node: cst.BaseExpression, imports: ImportMap) -> bool:
    """Whether ``node`` is a logger: ``logging``, ``logger``, ``self.log``, ``structlog...``.

    Calls are looked through: ``logging.getLogger(__name__)``, ``logger.bind(user=1)``.
    """
    while True:
        if isinstance(node, cst.Call):
            node = node.func
        elif isinstance(node, cst.Attribute) and isinstance(node.value, cst.Call):
            node = node.value
        else:
            break
    qualified = imports.resolve(node)
    if qualified is not None and qualified.split(".", 1)[0] in LOGGING_PACKAGES:
        return True
    name = dotted(node)
    return name is not None and any(_LOGGER_NAME.search(part) for part in name.split(".")[-2:])


def logging_call(call: cst.Call, imports: ImportMap) -> str | None:
    """The method name when ``call`` is ``<logger>.<level>(...)``, else ``None``."""
    func = call.func
    if not isinstance(func, cst.Attribute) or func.attr.value not in LOG_METHODS:
        return None
    return func.attr.value if is_logger(func.value, imports) else None


def log_message(call: cst.Call, method: str) -> cst.BaseExpression | None:
    """The message argument of a logging call (``log(level, msg)`` takes it second)."""
    for argument in call.args:
        if argument.keyword is not None and argument.keyword.value in {"msg", "event", "message"}:
            return argument.value
    values = [a.value for a in call.args if a.keyword is None and not a.star]
    index = 1 if method == "log" else 0
    return values[index] if index < len(values) else None


def is_string_literal(node: cst.BaseExpression) -> bool:
    """A plain string literal (or an implicit concatenation of them), f-strings excluded."""
    return string_value(node) is not None


def _is_stringish(node: cst.BaseExpression) -> bool:
    """A string literal, an f-string or a string built by ``+``, ``%`` or ``.format()``."""
    if is_string_literal(node) or isinstance(node, cst.FormattedString):
        return True
    if isinstance(node, cst.ConcatenatedString):
        return True
    if isinstance(node, cst.BinaryOperation):
        if isinstance(node.operator, cst.Add):
            return _is_stringish(node.left) or _is_stringish(node.right)
        if isinstance(node.operator, cst.Modulo):
            return _is_stringish(node.left)
    return _is_format_call(node)


def _is_format_call(node: cst.BaseExpression) -> bool:
    return (
        isinstance(node, cst.Call)
        and isinstance(node.func, cst.Attribute)
        and node.func.attr.value == "format"
        and _is_stringish(node.func.value)
    )


def interpolated_values(node: cst.BaseExpression) -> list[cst.BaseExpression]:
    """The values an f-string, ``%``, ``+`` or ``.format()`` string puts into its text.

    Empty when ``node`` is not such a string or only joins literals.
    """
    if isinstance(node, cst.FormattedString):
        return [
            part.expression
            for part in node.parts
            if isinstance(part, cst.FormattedStringExpression)
        ]
    if isinstance(node, cst.ConcatenatedString):
        return [*interpolated_values(node.left), *interpolated_values(node.right)]
    if isinstance(node, cst.BinaryOperation) and _is_stringish(node):
        if isinstance(node.operator, cst.Modulo):
            right = node.right
            items = right.elements if isinstance(right, cst.Tuple) else None
            values = [e.value for e in items] if items is not None else [right]
            return [*interpolated_values(node.left), *values]
        return [*_operand_values(node.left), *_operand_values(node.right)]
    if (
        isinstance(node, cst.Call)
        and isinstance(node.func, cst.Attribute)
        and _is_format_call(node)
    ):
        return [*interpolated_values(node.func.value), *(a.value for a in node.args)]
    return []


def _operand_values(node: cst.BaseExpression) -> list[cst.BaseExpression]:
    """An operand of ``+``: strings contribute their own values, anything else is a value."""
    if is_string_literal(node):
        return []
    if _is_stringish(node):
        return interpolated_values(node)
    return [node]


def interpolation_kind(node: cst.BaseExpression) -> str | None:
    """``"an f-string"``, ``"`%` formatting"``, ... when ``node`` interpolates values, else None."""
    if not interpolated_values(node):
        return None
    if isinstance(node, cst.FormattedString | cst.ConcatenatedString):
        return "an f-string"
    if isinstance(node, cst.Call):
        return "`.format()`"
    if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, cst.Modulo):
        return "`%` formatting"
    return "`+` concatenation"


def is_route_function(node: cst.FunctionDef, imports: ImportMap, project: ProjectFacts) -> bool:
    """Whether ``node`` is decorated as a route of an app or router."""
    for decorator in node.decorators:
        found = route_call(decorator)
        if found is None:
            continue
        owner = imports.resolve(found[0])
        if owner is not None and is_route_owner(owner, project):
            return True
    return False


class _NameCollector(cst.CSTVisitor):
    """The ``Name``/``Attribute`` chains of an expression, as dotted names."""

    def __init__(self) -> None:
        super().__init__()
        self.names: list[str] = []

    def visit_Name(self, node: cst.Name) -> None:
        self.names.append(node.value)

    def visit_Attribute(self, node: cst.Attribute) -> bool:
        name = dotted(node)
        if name is not None:
            self.names.append(name)
            return False
        return True


def names_in(node: cst.CSTNode) -> list[str]:
    """Every ``Name`` and ``a.b.c`` chain in ``node``."""
    collector = _NameCollector()
    node.visit(collector)
    return collector.names


def is_http_function(node: cst.FunctionDef, imports: ImportMap) -> bool:
    """Whether a function is HTTP-layer code: a parameter is a FastAPI dependency or a request.

    That is a parameter annotated or defaulted with ``Depends``/``Security``/``Header``/...,
    ``Annotated[..., Depends(...)]``, or typed ``Request``/``WebSocket``/``HTTPConnection``.
    """
    params = node.params
    for param in (*params.posonly_params, *params.params, *params.kwonly_params):
        parts: list[cst.CSTNode] = []
        if param.annotation is not None:
            parts.append(param.annotation)
        if param.default is not None:
            parts.append(param.default)
        for part in parts:
            for name in names_in(part):
                if _is_http_marker(name, imports):
                    return True
    return False


def _is_http_marker(name: str, imports: ImportMap) -> bool:
    last = name.rsplit(".", 1)[-1]
    if last not in HTTP_MARKERS:
        return False
    head = name.split(".", 1)[0]
    if head not in imports.names:
        return True  # a snippet without its imports
    qualified = imports.resolve_dotted(name)
    return qualified.split(".", 1)[0] in HTTP_PACKAGES


class ScopeVisitor(cst.CSTVisitor):
    """A visitor over one function or block body that does not enter nested scopes."""

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        """Skip nested functions."""
        del node
        return False

    def visit_ClassDef(self, node: cst.ClassDef) -> bool:
        """Skip nested classes."""
        del node
        return False

    def visit_Lambda(self, node: cst.Lambda) -> bool:
        """Skip lambdas."""
        del node
        return False


def iter_targets(node: cst.Assign | cst.AnnAssign | cst.AugAssign) -> Iterator[cst.BaseExpression]:
    """The targets an assignment binds (the elements of tuple targets too)."""
    targets = (
        [target.target for target in node.targets]
        if isinstance(node, cst.Assign)
        else [node.target]
    )
    for target in targets:
        if isinstance(target, cst.Tuple | cst.List):
            for element in target.elements:
                yield element.value
        else:
            yield target


def ast_span(node: ast.expr | ast.stmt) -> Span:
    """The 1-based span of an ``ast`` node (columns counted in bytes)."""
    end_line = node.end_lineno or node.lineno
    end_column = node.end_col_offset if node.end_col_offset is not None else node.col_offset
    return Span(node.lineno, node.col_offset + 1, end_line, end_column + 1)


def handler_registrations(tree: ast.Module) -> Iterator[tuple[ast.expr, str | None]]:
    """``(exception, handler function name)`` for each exception handler a module registers.

    ``@app.exception_handler(X)``, ``app.add_exception_handler(X, handler)`` and
    ``FastAPI(exception_handlers={X: handler})``; the name is ``None`` when not a plain name.
    """
    for node in walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            for decorator in node.decorator_list:
                if (
                    isinstance(decorator, ast.Call)
                    and decorator.args
                    and _is_method_call(decorator, "exception_handler")
                ):
                    yield decorator.args[0], node.name
        elif isinstance(node, ast.Call):
            yield from _call_registrations(node)


def _is_method_call(node: ast.Call, method: str) -> bool:
    return isinstance(node.func, ast.Attribute) and node.func.attr == method


def _call_registrations(node: ast.Call) -> Iterator[tuple[ast.expr, str | None]]:
    if _is_method_call(node, "add_exception_handler") and len(node.args) > 1:
        yield node.args[0], ast_dotted(node.args[1])
    for keyword in node.keywords:
        if keyword.arg == "exception_handlers" and isinstance(keyword.value, ast.Dict):
            for key, value in zip(keyword.value.keys, keyword.value.values, strict=True):
                if key is not None:
                    yield key, ast_dotted(value)
