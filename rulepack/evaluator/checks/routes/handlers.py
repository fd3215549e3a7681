"""Route handlers as the route checks see them, and the visitor base that tracks them.

A **route handler** is a function decorated with ``<owner>.<method>(...)`` where the owner is a
FastAPI app or ``APIRouter`` (known from the sample's facts, else by its usual names, as in
``sync-route-handler``). Plain functions, dependencies and helpers are never route handlers, so
checks built on :class:`RouteCheck` cannot report them.

:class:`RouteCheck` keeps a stack of the functions being visited: ``self.handler`` is the route
handler whose *body* the visitor is in, and is ``None`` in decorators, signatures, nested
functions, lambdas and classes, so a call is attributed to a handler only when the handler runs it.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field

import libcst as cst

from rulepack.evaluator.checks.base import ModuleCheck, ModuleContext, ProjectFacts
from rulepack.evaluator.checks.facts import (
    ModuleFacts,
    keyword,
    positional,
    route_call,
    string_value,
)
from rulepack.evaluator.checks.route_owner import is_route_owner
from rulepack.evaluator.checks.routes.sample import ParamInfo, SampleIndex, to_ast

HTTP_VERBS = frozenset({"get", "post", "put", "patch", "delete", "head", "options", "trace"})
MUTATING = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_PATH_PARAM = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)(?::[^}]*)?\}")


def path_params(path: str) -> set[str]:
    """The parameter names of a path template (``/items/{item_id}`` -> ``{"item_id"}``)."""
    return set(_PATH_PARAM.findall(path))


def has_routes(facts: ModuleFacts, project: ProjectFacts) -> bool:
    """Whether the module declares routes on a FastAPI app or router."""
    return any(is_route_owner(route.owner, project) for route in facts.routes)


@dataclass(frozen=True)
class RouteDecorator:
    """``@owner.method(path, ...)`` on a handler."""

    owner: str
    method: str
    call: cst.Call
    path: str | None  # None when not a literal

    @property
    def http_methods(self) -> frozenset[str]:
        """The HTTP methods of the route, upper case (``api_route`` reads ``methods=``).

        ``api_route`` without ``methods=`` serves ``GET``; a computed list gives no method.
        """
        if self.method in HTTP_VERBS:
            return frozenset({self.method.upper()})
        if self.method != "api_route":
            return frozenset()
        methods = keyword(self.call, "methods")
        if methods is None:
            return frozenset({"GET"})
        if not isinstance(methods, cst.List | cst.Tuple | cst.Set):
            return frozenset()
        names = (string_value(element.value) for element in methods.elements)
        return frozenset(name.upper() for name in names if name is not None)

    def keyword(self, name: str) -> cst.BaseExpression | None:
        """The decorator's keyword argument ``name``."""
        return keyword(self.call, name)


@dataclass(eq=False)
class Handler:
    """A route handler: its function, route decorators and whether it is a method.

    Handlers compare by identity, so checks can key their per-handler state by the handler.
    """

    node: cst.FunctionDef
    routes: tuple[RouteDecorator, ...]
    in_class: bool
    param_cache: list[ParamInfo] | None = field(default=None, repr=False)
    class_name: str | None = None  # the enclosing class of a method (a class-based view)

    @property
    def name(self) -> str:
        """The function's name."""
        return self.node.name.value

    @property
    def methods(self) -> frozenset[str]:
        """Every HTTP method the handler serves."""
        return frozenset(method for route in self.routes for method in route.http_methods)

    @property
    def paths(self) -> tuple[str, ...]:
        """The literal decorator paths."""
        return tuple(route.path for route in self.routes if route.path is not None)

    def cst_params(self) -> list[cst.Param]:
        """The declared parameters (``self``/``cls`` of a method and ``*args`` left out)."""
        params = [
            *self.node.params.posonly_params,
            *self.node.params.params,
            *self.node.params.kwonly_params,
        ]
        if self.in_class and params and not self._is_static():
            params = params[1:]
        return params

    def _is_static(self) -> bool:
        return any(
            isinstance(d.decorator, cst.Name) and d.decorator.value == "staticmethod"
            for d in self.node.decorators
        )

    def has_docstring(self) -> bool:
        """Whether the function body starts with a string."""
        return self.node.get_docstring(clean=False) is not None


@dataclass
class _Frame:
    """A function, class or lambda being visited; ``in_body`` once its body is reached."""

    handler: Handler | None
    in_body: bool = False
    is_class: bool = False
    name: str | None = None  # a class's name


class RouteCheck(ModuleCheck):
    """Base of checks about route handlers: finds them and tracks whose body is visited.

    Subclasses override :meth:`enter_handler`/:meth:`leave_handler` and read ``self.handler`` in
    their own ``visit_*`` methods.
    """

    def __init__(self, context: ModuleContext) -> None:
        """Start with no handler and a lazy index of the sample."""
        super().__init__(context)
        self.index = SampleIndex(context)
        self._frames: list[_Frame] = []

    @classmethod
    def applies(cls, facts: ModuleFacts, project: ProjectFacts) -> bool:
        """Only modules with route handlers."""
        return has_routes(facts, project)

    @property
    def handler(self) -> Handler | None:
        """The route handler whose own body is being visited, if any."""
        if not self._frames or not self._frames[-1].in_body:
            return None
        return self._frames[-1].handler

    def route_decorator(self, decorator: cst.Decorator) -> RouteDecorator | None:
        """The route a decorator declares, if it is ``@<app or router>.<method>(...)``."""
        found = route_call(decorator)
        if found is None:
            return None
        owner = self.qualified(found[0])
        if owner is None or not is_route_owner(owner, self.context.project):
            return None
        call = found[2]
        path = string_value(positional(call, 0) or keyword(call, "path"))
        return RouteDecorator(owner, found[1], call, path)

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        """Push the function; call :meth:`enter_handler` for route handlers."""
        parent = self._frames[-1] if self._frames else None
        in_class = parent is not None and parent.is_class and parent.in_body
        routes = tuple(r for d in node.decorators if (r := self.route_decorator(d)) is not None)
        class_name = parent.name if in_class and parent is not None else None
        handler = Handler(node, routes, in_class, class_name=class_name) if routes else None
        self._frames.append(_Frame(handler))
        if handler is not None:
            self.enter_handler(handler)

    def visit_FunctionDef_body(self, node: cst.FunctionDef) -> None:
        """From here on, nodes belong to the function's body."""
        del node
        self._frames[-1].in_body = True

    def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
        """Pop the function; call :meth:`leave_handler` for route handlers."""
        del original_node
        frame = self._frames.pop()
        if frame.handler is not None:
            self.leave_handler(frame.handler)

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        """A class: nothing in it belongs to a handler; its functions are methods."""
        top_level = not self._frames
        self._frames.append(
            _Frame(None, is_class=True, name=node.name.value if top_level else None)
        )

    def visit_ClassDef_body(self, node: cst.ClassDef) -> None:
        """Functions defined from here on are methods."""
        del node
        self._frames[-1].in_body = True

    def leave_ClassDef(self, original_node: cst.ClassDef) -> None:
        """Leave the class."""
        del original_node
        self._frames.pop()

    def visit_Lambda(self, node: cst.Lambda) -> None:
        """A lambda's body runs when it is called, not when the handler runs."""
        del node
        self._frames.append(_Frame(None))

    def leave_Lambda(self, original_node: cst.Lambda) -> None:
        """Leave the lambda."""
        del original_node
        self._frames.pop()

    def enter_handler(self, handler: Handler) -> None:
        """Called when a route handler starts (its decorators and signature are known)."""

    def leave_handler(self, handler: Handler) -> None:
        """Called when a route handler's body has been visited."""

    def handler_params(self, handler: Handler) -> list[ParamInfo]:
        """The handler's analysed parameters (markers, aliases, types), computed once."""
        if handler.param_cache is None:
            handler.param_cache = [self._analyse(p) for p in handler.cst_params()]
        return handler.param_cache

    def in_schema(self, route: RouteDecorator) -> bool:
        """Whether the route has an OpenAPI entry anyone can read.

        It has none with ``include_in_schema=False`` (on the route, its router or an include),
        as a WebSocket, or when every app it is
        mounted on was created with ``openapi_url=None`` (an HTML back office, say).
        """
        flag = route.keyword("include_in_schema")
        if route.method == "websocket" or (isinstance(flag, cst.Name) and flag.value == "False"):
            return False
        chain = self.index.mount_calls(route.owner)
        hidden = (
            next((k.value for k in call.keywords if k.arg == "include_in_schema"), None)
            for _, call, _ in chain
        )
        if any(isinstance(flag, ast.Constant) and flag.value is False for flag in hidden):
            return False  # ``APIRouter(include_in_schema=False)`` or its include
        apps = [call for kind, call, _ in chain if kind == "app"]
        urls = [
            next((k.value for k in call.keywords if k.arg == "openapi_url"), None) for call in apps
        ]
        no_schema = [isinstance(url, ast.Constant) and url.value is None for url in urls]
        return not (no_schema and all(no_schema))

    def class_params(self, handler: Handler) -> list[ParamInfo]:
        """The class attributes of a class-based view's handler, inherited ones included.

        A class-based view (``fastapi-utils``' ``cbv`` and its look-alikes) declares dependencies
        as class attributes (``user: User = Depends(get_current_user)``) that every route method
        of the class (and of its subclasses) receives.
        """
        if handler.class_name is None:
            return []
        qualified = f"{self.context.facts.module}.{handler.class_name}"
        return self.index.class_attributes(qualified)

    def _analyse(self, param: cst.Param) -> ParamInfo:
        annotation = to_ast(param.annotation.annotation) if param.annotation else None
        default = to_ast(param.default) if param.default is not None else None
        arg = ast.arg(arg=param.name.value, annotation=annotation)
        return self.index.param_info(arg, default, self.context.imports)

    def source(self, node: cst.CSTNode) -> str:
        """The source text of ``node``."""
        return cst.Module([]).code_for_node(node)
