"""error-shape: error bodies whose keys differ across the project (project check).

Reads the ``ast`` trees of the sample: the ``content`` of responses built by exception handlers
or with an error status, ``HTTPException`` details (FastAPI renders them ``{"detail": ...}``)
and dictionaries with an ``error`` key returned by routes.
"""

from __future__ import annotations

import ast
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import ClassVar

from rulepack.evaluator.checks.ast_facts import ast_dotted, import_map
from rulepack.evaluator.checks.base import Case, Hit, ProjectCheck
from rulepack.evaluator.checks.common import (
    FRAMEWORKS,
    HTTP_EXCEPTIONS,
    RESPONSE_CLASSES,
    RESPONSE_NAMES,
    defined_classes,
    imports_any,
    is_test_path,
)
from rulepack.evaluator.checks.facts import ModuleFacts, Span
from rulepack.evaluator.checks.imports import ImportMap
from rulepack.evaluator.checks.security.support import (
    ast_span,
    handler_registrations,
)
from rulepack.evaluator.checks.sync_route_handler import is_route_owner

Shape = frozenset[str]
ERROR_KEYS = frozenset({"error", "errors"})
APP_CLASSES = frozenset({"FastAPI", "Starlette"})
# Names of modules that serve probes and metrics rather than the API.
SIDE_APP_NAME = re.compile(r"(^|_)(health|healthz?|healthcheck|probes?|metrics|monitoring)($|_)")
STRING_BUILDERS = frozenset({"str", "repr", "format"})


def dict_shape(node: ast.expr | None, prefix: str = "") -> Shape | None:
    """The key paths of a dict literal with string keys, else ``None``.

    ``{"error": {"code": 1}}`` gives ``{"error.code"}``; computed keys give ``None``.
    """
    if not isinstance(node, ast.Dict):
        return None
    keys: set[str] = set()
    for key, value in zip(node.keys, node.values, strict=True):
        if not isinstance(key, ast.Constant) or not isinstance(key.value, str):
            return None
        inner = dict_shape(value, f"{prefix}{key.value}.")
        keys.update(inner if inner else {f"{prefix}{key.value}"})
    return frozenset(keys)


def detail_shape(call: ast.Call) -> Shape | None:
    """The body FastAPI renders for ``HTTPException(...)``: ``{"detail"}`` for text details."""
    detail = next((k.value for k in call.keywords if k.arg == "detail"), None)
    if detail is None and len(call.args) > 1:
        detail = call.args[1]
    if detail is None or _is_text(detail):
        return frozenset({"detail"})
    return dict_shape(detail, "detail.")


def _is_text(node: ast.expr) -> bool:
    if isinstance(node, ast.Constant | ast.JoinedStr):
        return True
    if isinstance(node, ast.BinOp):
        return _is_text(node.left) or _is_text(node.right)
    if isinstance(node, ast.Call):
        name = ast_dotted(node.func) or ""
        return name.rsplit(".", 1)[-1] in STRING_BUILDERS
    return False


def is_error_status(node: ast.expr | None) -> bool:
    """Whether a status argument is 4xx/5xx (a literal or a ``status.HTTP_4xx_...`` name)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, int):
        return node.value >= 400
    name = (ast_dotted(node) if node is not None else None) or ""
    return name.rsplit(".", 1)[-1].startswith(("HTTP_4", "HTTP_5"))


@dataclass(frozen=True)
class _Occurrence:
    shape: Shape
    path: str
    span: Span
    what: str


@dataclass(frozen=True)
class _Classes:
    """The sample's HTTP exception and response classes and its registered handlers."""

    exceptions: frozenset[str]
    responses: frozenset[str]
    defined: frozenset[str]
    handler_names: frozenset[str]  # functions registered as exception handlers
    reshapes_http: bool  # a handler for HTTPException replaces FastAPI's {"detail": ...}

    def kind(self, node: ast.expr, imports: ImportMap) -> str | None:
        """``"exception"``/``"response"`` when ``node`` names one (bare names in snippets)."""
        name = ast_dotted(node)
        if name is None:
            return None
        qualified = imports.resolve_dotted(name)
        bare = "." not in name and name not in imports.names and qualified not in self.defined
        if qualified in self.exceptions or (bare and name == "HTTPException"):
            return "exception"
        if qualified in self.responses or (bare and name in RESPONSE_NAMES):
            return "response"
        return None


@dataclass
class _Collector(ast.NodeVisitor):
    """Collects the error shapes of one module."""

    facts: ModuleFacts
    imports: ImportMap
    classes: _Classes
    routes: frozenset[tuple[str, int]]
    found: list[_Occurrence] = field(default_factory=list)
    functions: list[tuple[bool, bool]] = field(default_factory=list)  # (route, handler)

    def visit_FunctionDef(self, node: ast.FunctionDef) -> None:
        self._function(node)

    def visit_AsyncFunctionDef(self, node: ast.AsyncFunctionDef) -> None:
        self._function(node)

    def _function(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        handler = node.name in self.classes.handler_names or any(
            isinstance(d, ast.Call)
            and isinstance(d.func, ast.Attribute)
            and d.func.attr == "exception_handler"
            for d in node.decorator_list
        )
        self.functions.append(((node.name, node.lineno) in self.routes, handler))
        self.generic_visit(node)
        self.functions.pop()

    def visit_Call(self, node: ast.Call) -> None:
        kind = self.classes.kind(node.func, self.imports)
        if kind == "exception" and not self.classes.reshapes_http:
            self._add(detail_shape(node), node, "HTTPException detail")
        elif kind == "response":
            content = next((k.value for k in node.keywords if k.arg == "content"), None)
            if content is None and node.args:
                content = node.args[0]
            status = next((k.value for k in node.keywords if k.arg == "status_code"), None)
            if status is None and len(node.args) > 1:
                status = node.args[1]
            in_handler = any(handler for _, handler in self.functions)
            if in_handler or is_error_status(status):
                self._add(dict_shape(content), node, "error response")
        self.generic_visit(node)

    def visit_Return(self, node: ast.Return) -> None:
        in_route = bool(self.functions) and self.functions[-1][0]
        shape = dict_shape(node.value)
        if in_route and shape is not None and {key.split(".")[0] for key in shape} & ERROR_KEYS:
            self._add(shape, node, "error returned by a route")
        self.generic_visit(node)

    def _add(self, shape: Shape | None, node: ast.expr | ast.stmt, what: str) -> None:
        if shape:
            self.found.append(_Occurrence(shape, self.facts.path, ast_span(node), what))


class ErrorShape(ProjectCheck):
    """Error bodies whose keys differ across the project.

    ## What it does
    Collects the shape (key set) of every error body the sample builds: the dict literal given
    as ``content`` to a response in an exception handler or with a 4xx/5xx ``status_code``,
    ``HTTPException`` details (FastAPI renders ``{"detail": ...}``; a dict detail adds its keys,
    and a handler registered for ``HTTPException`` replaces this shape with its own), and dicts
    with an ``error``/``errors`` key returned by route handlers. Bodies that are not dict
    literals (``ErrorResponse(...).model_dump()``) have no known shape and are skipped. Two
    shapes agree when one's keys include the other's (``{"detail"}`` and ``{"detail",
    "code"}``); each body whose keys disagree with the most common shape is reported. A module
    that builds its own small app for health checks or metrics (``worker/_health.py`` with a
    ``Starlette(...)`` beside the API's ``FastAPI()``) is not part of the API and is skipped.

    ## Why is this bad?
    Clients parse errors with one code path only when every endpoint and handler returns the
    same keys; a second shape is usually discovered in production.
    """

    id = "error-shape"
    summary = "error response bodies use different keys across the project"
    good: ClassVar[tuple[Case, ...]] = (
        Case.good(
            "from fastapi import Request\nfrom fastapi.responses import JSONResponse\n"
            "from pydantic import BaseModel\n\n\n"
            "class ErrorResponse(BaseModel):\n    detail: str\n    code: str\n\n\n"
            "@app.exception_handler(AppError)\n"
            "async def app_error_handler(request: Request, exc: AppError) -> JSONResponse:\n"
            "    body = ErrorResponse(detail=str(exc), code=exc.code)\n"
            "    return JSONResponse(status_code=exc.status_code, content=body.model_dump())\n",
            path="app/main.py",
        ),
        Case(
            files={
                "app/main.py": (
                    "from fastapi import FastAPI, Request, status\n"
                    "from fastapi.responses import JSONResponse as JR\n\n"
                    "app = FastAPI()\n\n\n"
                    "async def on_conflict(request: Request, exc: Exception) -> JR:\n"
                    "    return JR({'detail': str(exc), 'code': 'conflict'},"
                    " status.HTTP_409_CONFLICT)\n\n\n"
                    "app.add_exception_handler(ConflictError, on_conflict)\n"
                ),
                "app/routers/items.py": (
                    "from fastapi import APIRouter, HTTPException, status\n\n"
                    "router = APIRouter()\n\n\n"
                    "@router.delete('/items/{item_id}')\n"
                    "async def delete(item_id: int) -> dict[str, str]:\n"
                    "    if item_id < 0:\n"
                    "        raise HTTPException(status.HTTP_404_NOT_FOUND, f'No item {item_id}')\n"
                    "    return {'message': 'deleted'}\n"
                ),
            },
            hits=0,
            note="{detail, code} extends FastAPI's {detail}; success messages are not errors",
        ),
        Case(
            files={
                "app/main.py": (
                    "from fastapi import FastAPI, HTTPException, Request\n"
                    "from fastapi.responses import JSONResponse\n\n"
                    "app = FastAPI()\n\n\n"
                    "@app.exception_handler(HTTPException)\n"
                    "async def http_error(request: Request, exc: HTTPException) -> JSONResponse:\n"
                    "    return JSONResponse(status_code=exc.status_code, content={'error':"
                    " exc.detail})\n\n\n"
                    "@app.exception_handler(AppError)\n"
                    "async def app_error(request: Request, exc: AppError) -> JSONResponse:\n"
                    "    return JSONResponse(status_code=400, content={'error': str(exc)})\n\n\n"
                    "@app.get('/items/{item_id}')\nasync def item(item_id: int) -> dict[str,"
                    " int]:\n"
                    "    if item_id < 0:\n        raise HTTPException(404, detail='No item')\n"
                    "    return {'id': item_id}\n"
                ),
            },
            hits=0,
            note="a handler for HTTPException reshapes its details",
        ),
        Case(
            files={
                "app/main.py": (
                    "from fastapi import FastAPI, HTTPException\n\napp = FastAPI()\n\n\n"
                    "@app.get('/orders/{order_id}')\nasync def order(order_id: int) -> dict[str,"
                    " int]:\n"
                    "    if order_id < 0:\n        raise HTTPException(404, detail='No order')\n"
                    "    return {'id': order_id}\n\n\n"
                    "@app.delete('/orders/{order_id}')\nasync def cancel(order_id: int) -> None:\n"
                    "    raise HTTPException(409, detail='Already shipped')\n"
                ),
                "app/jobs/_probes.py": (
                    "from starlette.applications import Starlette\n"
                    "from starlette.responses import JSONResponse\n"
                    "from starlette.routing import Route\n\n\n"
                    "async def queue_depth(request: object) -> JSONResponse:\n"
                    "    if await backlog() > 100:\n"
                    "        return JSONResponse({'status': 'error', 'backlog': 101},"
                    " status_code=503)\n"
                    "    return JSONResponse({'status': 'ok'})\n\n\n"
                    "def build_probe_app() -> Starlette:\n"
                    "    return Starlette(routes=[Route('/queue', queue_depth)])\n"
                ),
            },
            hits=0,
            note="a worker's own probe app answers load balancers, not API clients",
        ),
    )
    bad: ClassVar[tuple[Case, ...]] = (
        Case.bad(
            "@app.exception_handler(UserNotFoundError)\n"
            "async def user_not_found_handler(request: Request, exc: UserNotFoundError) ->"
            " JSONResponse:\n"
            "    return JSONResponse(status_code=status.HTTP_404_NOT_FOUND, content={'error':"
            " str(exc)})\n\n\n"
            "@app.exception_handler(PermissionDeniedError)\n"
            "async def permission_denied_handler(request: Request, exc: PermissionDeniedError) ->"
            " JSONResponse:\n"
            "    return JSONResponse(\n"
            "        status_code=status.HTTP_403_FORBIDDEN, content={'message': str(exc), 'ok':"
            " False}\n"
            "    )\n",
            path="app/main.py",
        ),
        Case(
            files={
                "app/main.py": (
                    "from fastapi import FastAPI, HTTPException\n\napp = FastAPI()\n\n\n"
                    "@app.post('/login')\nasync def login(body: dict[str, str]) -> dict[str,"
                    " str]:\n"
                    "    if not body:\n        raise HTTPException(401)\n"
                    "    if 'email' not in body:\n"
                    "        raise HTTPException(status_code=422, detail='Missing email')\n"
                    "    if body['email'] == 'x':\n        return {'error': 'blocked'}\n"
                    "    return {'token': 't'}\n"
                ),
                "app/routers/cart.py": (
                    "from fastapi import APIRouter\n\ncart_router = APIRouter()\n\n\n"
                    "@cart_router.get('/cart')\nasync def cart(token: str) -> dict[str, str]:\n"
                    "    if not token:\n        return {'error': 'login first'}\n"
                    "    return {}\n"
                ),
                "app/routers/orders.py": (
                    "from fastapi import APIRouter, HTTPException\n\nrouter = APIRouter()\n\n\n"
                    "@router.get('/orders/{order_id}')\nasync def order(order_id: int) -> None:\n"
                    "    raise HTTPException(404, detail='No order')\n"
                ),
            },
            hits=2,
            note="routes return {error} while HTTPExceptions render {detail}",
        ),
        Case.bad(
            "from fastapi import HTTPException\nfrom starlette.responses import JSONResponse\n\n\n"
            "def check(item: object) -> None:\n"
            "    if item is None:\n"
            "        raise HTTPException(404, detail={'code': 'not_found', 'msg': 'No item'})\n"
            "    if not item.ok:\n"
            "        raise HTTPException(400, detail={'code': 'bad', 'msg': 'Bad item'})\n\n\n"
            "def fail() -> JSONResponse:\n"
            "    return JSONResponse({'detail': 'Failed'}, status_code=500)\n",
            path="app/services/check.py",
            note="dict details differ in type from a plain {detail} error body",
        ),
    )

    def applies(self) -> bool:
        """Samples that use FastAPI or Starlette, or register exception handlers."""
        modules = self.project.modules
        if any(module.apps or imports_any(module, *FRAMEWORKS) for module in modules):
            return True
        if any(is_route_owner(r.owner, self.project) for m in modules for r in m.routes):
            return True
        return any("exception_handler" in source for source in self.project.sources.values())

    def run(self) -> Iterator[Hit]:
        """Report each body whose keys disagree with the most common error shape."""
        found = self._collect()
        counts = Counter(occurrence.shape for occurrence in found)
        if len(counts) < 2:
            return
        order = [occurrence.shape for occurrence in found]
        common = max(counts, key=lambda shape: (counts[shape], -order.index(shape)))
        for occurrence in found:
            shape = occurrence.shape
            if shape <= common or common <= shape:
                continue
            yield Hit(
                occurrence.path,
                occurrence.span,
                f"{occurrence.what} has keys {_keys(shape)} but most error bodies have "
                f"{_keys(common)}; return one error shape across the API",
            )

    def _collect(self) -> list[_Occurrence]:
        classes = self._classes()
        found: list[_Occurrence] = []
        side_apps = self._side_apps()
        for module in self.project.modules:
            tree = self.project.trees.get(module.path)
            if tree is None or is_test_path(module.path) or module.path in side_apps:
                continue
            routes = frozenset(
                (route.function, route.span.line)
                for route in module.routes
                if is_route_owner(route.owner, self.project)
            )
            collector = _Collector(module, import_map(tree, module.module), classes, routes)
            collector.visit(tree)
            found.extend(collector.found)
        return found

    def _side_apps(self) -> frozenset[str]:
        """Modules that build a health or metrics app of their own beside the API.

        A second small ``FastAPI``/``Starlette`` app for probes (``worker/health.py``) answers
        load balancers, not API clients, so its bodies are not part of the API's error shape.
        """
        building = [
            path
            for path, tree in self.project.trees.items()
            if any(
                isinstance(node, ast.Call)
                and (ast_dotted(node.func) or "").rsplit(".", 1)[-1] in APP_CLASSES
                for node in ast.walk(tree)
            )
        ]
        if len(building) < 2:
            return frozenset()
        return frozenset(
            path
            for path in building
            if any(
                SIDE_APP_NAME.search(part.removesuffix(".py").lstrip("_"))
                for part in path.split("/")
            )
        )

    def _classes(self) -> _Classes:
        """Index the HTTP classes and the registered exception handlers."""
        exceptions = self.project.subclasses_of(HTTP_EXCEPTIONS)
        handlers: set[str] = set()
        reshapes = False
        for module in self.project.modules:
            tree = self.project.trees.get(module.path)
            if tree is None:
                continue
            imports = import_map(tree, module.module)
            for handled, handler in handler_registrations(tree):
                name = ast_dotted(handled)
                if name is not None and (
                    imports.resolve_dotted(name) in exceptions or name == "HTTPException"
                ):
                    reshapes = True
                if handler is not None:
                    handlers.add(handler.rsplit(".", 1)[-1])
        return _Classes(
            exceptions,
            self.project.subclasses_of(RESPONSE_CLASSES),
            defined_classes(self.project),
            frozenset(handlers),
            reshapes,
        )


def _keys(shape: Shape) -> str:
    return "{" + ", ".join(sorted(shape)) + "}"
