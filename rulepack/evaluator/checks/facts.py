"""Per-module facts that checks across modules need: apps, routers, routes, includes, classes.

A first pass over every module of a sample collects these facts; project checks then read the
merged facts (for example to compose a route's full path from ``APIRouter(prefix=...)``, every
``include_router(prefix=...)`` and the decorator path, across modules). Facts are plain frozen
dataclasses, so they cross process boundaries and can be cached.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import libcst as cst
from libcst.metadata import CodeRange

ROUTE_METHODS = frozenset(
    {"get", "post", "put", "patch", "delete", "head", "options", "trace", "api_route", "websocket"}
)
FASTAPI_APP = frozenset({"fastapi.FastAPI", "fastapi.applications.FastAPI"})
FASTAPI_ROUTER = frozenset({"fastapi.APIRouter", "fastapi.routing.APIRouter"})


@dataclass(frozen=True)
class Span:
    """A 1-based source range."""

    line: int
    column: int
    end_line: int
    end_column: int

    @classmethod
    def of(cls, code_range: CodeRange) -> Span:
        """Convert libcst's range (1-based lines, 0-based columns)."""
        return cls(
            code_range.start.line,
            code_range.start.column + 1,
            code_range.end.line,
            code_range.end.column + 1,
        )


@dataclass(frozen=True)
class AppFact:
    """``name = FastAPI(...)``: the qualified variable and the keyword arguments given."""

    name: str
    keywords: tuple[str, ...]
    span: Span


@dataclass(frozen=True)
class RouterFact:
    """``name = APIRouter(prefix=...)``.

    ``prefix`` is ``None`` when absent, ``"?"`` when computed.
    """

    name: str
    prefix: str | None
    span: Span


@dataclass(frozen=True)
class RouteFact:
    """A function decorated with ``<owner>.<method>(path, ...)``."""

    owner: str
    method: str
    path: str | None  # None when the path is not a string literal
    function: str
    is_async: bool
    span: Span  # the ``def`` line to the end of the function


@dataclass(frozen=True)
class IncludeFact:
    """``<owner>.include_router(<router>, prefix=...)`` or ``<owner>.mount(<path>, <app>)``.

    ``via`` is the method: ``include_router`` or ``mount`` (a sub-application under a path).
    """

    owner: str
    router: str
    prefix: str | None
    span: Span
    via: str = "include_router"


@dataclass(frozen=True)
class ClassFact:
    """A class and the qualified names of its bases."""

    name: str
    bases: tuple[str, ...]
    span: Span


@dataclass(frozen=True)
class ModuleFacts:
    """Everything the first pass learned about one module."""

    path: str
    module: str
    apps: tuple[AppFact, ...] = ()
    routers: tuple[RouterFact, ...] = ()
    routes: tuple[RouteFact, ...] = ()
    includes: tuple[IncludeFact, ...] = ()
    classes: tuple[ClassFact, ...] = ()
    imports_fastapi: bool = False
    imported: tuple[str, ...] = ()  # the qualified names the module's imports bind, sorted


def string_value(node: cst.BaseExpression | None) -> str | None:
    """The value of a plain string literal (or implicit concatenation of them), else ``None``."""
    if isinstance(node, cst.SimpleString | cst.ConcatenatedString):
        value = node.evaluated_value
        return value if isinstance(value, str) else None
    return None


def keyword(call: cst.Call, name: str) -> cst.BaseExpression | None:
    """The value passed to ``call`` for keyword ``name``, if any."""
    for argument in call.args:
        if argument.keyword is not None and argument.keyword.value == name:
            return argument.value
    return None


def positional(call: cst.Call, index: int) -> cst.BaseExpression | None:
    """The ``index``-th positional argument of ``call``, if any."""
    values = [a.value for a in call.args if a.keyword is None and not a.star]
    return values[index] if index < len(values) else None


def route_call(decorator: cst.Decorator) -> tuple[cst.BaseExpression, str, cst.Call] | None:
    """``(owner expression, method, call)`` for ``@owner.method(...)`` decorators."""
    call = decorator.decorator
    if not isinstance(call, cst.Call) or not isinstance(call.func, cst.Attribute):
        return None
    method = call.func.attr.value
    if method not in ROUTE_METHODS:
        return None
    return call.func.value, method, call


@dataclass(frozen=True)
class ResolvedRoute:
    """A route with its full path composed from every prefix on the way to an app."""

    route: RouteFact
    module_path: str
    full_path: str | None  # None when some part is not a literal
    mounted: bool  # whether a chain of include_router calls reaches an app


def _join(*parts: str | None) -> str | None:
    """Concatenate path parts; ``None`` (not a literal) or ``"?"`` (computed) make it unknown."""
    if any(part is None or part == "?" for part in parts):
        return None
    return "".join(part for part in parts if part)


def _is_router_like(name: str) -> bool:
    last = name.rsplit(".", 1)[-1]
    return last in {"app", "router", "api", "api_router"} or last.endswith(("_router", "_app"))


def resolve_routes(facts: Sequence[ModuleFacts]) -> list[ResolvedRoute]:
    """Every route of the sample with its full path, following include chains across modules."""
    apps = {app.name for fact in facts for app in fact.apps}
    routers = {router.name: router for fact in facts for router in fact.routers}
    includes: dict[str, list[IncludeFact]] = {}
    for fact in facts:
        for include in fact.includes:
            includes.setdefault(include.router, []).append(include)
    resolved: list[ResolvedRoute] = []
    for fact in facts:
        for route in fact.routes:
            known = route.owner in apps or route.owner in routers
            if not known and not _is_router_like(route.owner):
                continue
            for prefix, mounted in _mount_prefixes(route.owner, apps, routers, includes, ()):
                resolved.append(ResolvedRoute(route, fact.path, _join(prefix, route.path), mounted))
    return resolved


def _mount_prefixes(
    owner: str,
    apps: set[str],
    routers: dict[str, RouterFact],
    includes: dict[str, list[IncludeFact]],
    seen: tuple[str, ...],
) -> Iterator[tuple[str | None, bool]]:
    """Yield ``(prefix, mounted)`` for each way ``owner``'s routes reach an app.

    An app mounted in another app (``app.mount("/v1", sub_app)``) is followed to its parent.
    """
    parents = [include for include in includes.get(owner, []) if include.owner not in seen]
    if owner in apps and not parents:
        yield "", True
        return
    own_prefix = routers[owner].prefix if owner in routers else None
    own = own_prefix if own_prefix is not None else ""
    if not parents:
        yield own, False
        return
    for include in parents:
        for prefix, mounted in _mount_prefixes(
            include.owner, apps, routers, includes, (*seen, owner)
        ):
            include_prefix = include.prefix if include.prefix is not None else ""
            yield _join(prefix, include_prefix, own), mounted
