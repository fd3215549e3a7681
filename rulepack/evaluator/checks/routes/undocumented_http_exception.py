"""undocumented-http-exception: status codes a route raises but does not list in ``responses=``."""

from __future__ import annotations

import ast
from typing import ClassVar

import libcst as cst

from rulepack.evaluator.checks.base import Case, ModuleContext
from rulepack.evaluator.checks.common import HttpClasses
from rulepack.evaluator.checks.facts import keyword, positional
from rulepack.evaluator.checks.routes.handlers import Handler, RouteCheck
from rulepack.evaluator.checks.routes.sample import keyword_value, status_of, to_ast
from rulepack.evaluator.checks.routes.undocumented_route import NO_SCHEMA_APP

UNPROCESSABLE = 422


def documented_codes(responses: ast.expr | None) -> set[int] | None:
    """The status codes a ``responses=`` dict lists; ``None`` when it is not a plain dict."""
    if responses is None:
        return set()
    if not isinstance(responses, ast.Dict):
        return None
    codes: set[int] = set()
    for key in responses.keys:
        if key is None:  # ``**common_responses``
            return None
        code = status_of(key)
        if code is None:
            return None
        codes.add(code)
    return codes


class UndocumentedHttpException(RouteCheck):
    """Status codes a route raises that its OpenAPI ``responses`` do not list.

    ## What it does
    Collects the status codes of ``HTTPException`` (FastAPI's, Starlette's and the sample's
    subclasses) raised in a route handler's own body, given as literals or ``status.HTTP_*``
    names, and reports those missing from the ``responses=`` of the route decorator, of the
    ``APIRouter(...)`` it belongs to, of every ``include_router(...)`` mounting it and of the
    ``FastAPI(...)`` app. Codes raised by dependencies (typically 401/403) are not seen, and 422 is
    skipped on routes with parameters (FastAPI documents it). When some ``responses=`` is not a
    plain dict (``{**COMMON, ...}`` or a constant) the route is not judged.

    ## Why is this bad?
    OpenAPI then documents only the success response; generated clients and API consumers do not
    learn which errors to handle.
    """

    id = "undocumented-http-exception"
    summary = "route raises a status code its `responses=` does not document"
    good: ClassVar[tuple[Case, ...]] = (
        Case.good(
            "from fastapi import APIRouter, HTTPException, status\n\n"
            "router = APIRouter(prefix='/api/v1/orders', tags=['orders'])\n\n\n"
            "@router.get(\n    '/{order_id}', responses={status.HTTP_404_NOT_FOUND: "
            "{'model': ErrorResponse}}\n)\n"
            "async def get_order(order_id: int, service: OrderServiceDep) -> OrderRead:\n"
            "    if (order := await service.find_order(order_id)) is None:\n"
            "        raise HTTPException(status.HTTP_404_NOT_FOUND, detail='Order not found')\n"
            "    return order\n\n\n"
            "@router.put('/{order_id}', responses={'409': {'description': 'Conflict'}})\n"
            "async def put_order(order_id: int) -> None:\n"
            "    if order_id < 0:\n        raise HTTPException(422, 'negative id')\n"
            "    raise HTTPException(status_code=409, detail='Conflict')\n",
            note="status names, string keys, 422 on a route with parameters",
        ),
        Case(
            files={
                "app/routers/items.py": (
                    "from fastapi import APIRouter, HTTPException\nfrom fastapi import status as st"
                    "\n\nrouter = APIRouter(responses={st.HTTP_404_NOT_FOUND: {}})\n\n\n"
                    "@router.get('/items/{item_id}', responses=COMMON)\n"
                    "async def item(item_id: int) -> None:\n"
                    "    raise HTTPException(st.HTTP_409_CONFLICT, 'x')\n\n\n"
                    "@router.get('/other/{item_id}')\nasync def other(item_id: int) -> None:\n"
                    "    def check() -> None:\n"
                    "        raise HTTPException(st.HTTP_400_BAD_REQUEST, 'nested')\n\n"
                    "    raise HTTPException(st.HTTP_404_NOT_FOUND, 'x')\n"
                ),
                "app/main.py": (
                    "from fastapi import FastAPI\n\nfrom app.routers import items\n\n"
                    "app = FastAPI()\n"
                    "app.include_router(items.router, responses={409: {'description': 'x'}})\n"
                ),
            },
            hits=0,
            note="router and include responses in two modules, a constant, a nested function",
        ),
        NO_SCHEMA_APP,
    )
    bad: ClassVar[tuple[Case, ...]] = (
        Case.bad(
            "from fastapi import APIRouter, HTTPException, status\n\n"
            "router = APIRouter(prefix='/api/v1/orders', tags=['orders'])\n\n\n"
            "@router.get('/{order_id}')\n"
            "async def get_order(order_id: int, service: OrderServiceDep) -> OrderRead:\n"
            "    if (order := await service.find_order(order_id)) is None:\n"
            "        raise HTTPException(status.HTTP_404_NOT_FOUND, detail='Order not found')\n"
            "    return order\n"
        ),
        Case(
            files={
                "app/errors.py": (
                    "from fastapi import HTTPException\n\n\n"
                    "class ConflictError(HTTPException):\n    pass\n"
                ),
                "app/main.py": (
                    "from fastapi import FastAPI\nfrom fastapi import status as st\n"
                    "from starlette.exceptions import HTTPException as StarletteHTTPException\n\n"
                    "from app.errors import ConflictError\n\napp = FastAPI()\n\n\n"
                    "@app.post('/items', responses={404: {}})\nasync def create() -> None:\n"
                    "    if missing():\n"
                    "        raise StarletteHTTPException(status_code=st.HTTP_404_NOT_FOUND)\n"
                    "    if taken():\n        raise ConflictError(409, 'taken')\n"
                    "    if other():\n        raise ConflictError(status_code=409, detail='again')"
                    "\n    raise StarletteHTTPException(422, 'bad')\n"
                ),
            },
            hits=2,
            note="a subclass from another module (once per code), 422 without parameters",
        ),
    )

    def __init__(self, context: ModuleContext) -> None:
        """Learn the sample's HTTP exception classes."""
        super().__init__(context)
        self.classes = HttpClasses.of(context.project)
        self._raised: dict[Handler, dict[int, cst.Call]] = {}

    def enter_handler(self, handler: Handler) -> None:
        """Start collecting the codes the handler raises."""
        self._raised[handler] = {}

    def visit_Call(self, node: cst.Call) -> None:
        """Record an HTTP exception's status code raised in a handler's body."""
        handler = self.handler
        if handler is None or self.classes.kind_of(self.context.imports, node.func) != "exception":
            return
        value = keyword(node, "status_code") or positional(node, 0)
        expr = to_ast(value) if value is not None else None
        code = status_of(expr) if expr is not None else None
        if code is not None and code >= 400:
            self._raised[handler].setdefault(code, node)

    def leave_handler(self, handler: Handler) -> None:
        """Report raised codes the route's responses do not list."""
        raised = self._raised.pop(handler, {})
        if not any(self.in_schema(route) for route in handler.routes):
            return  # no OpenAPI entry to document the errors in
        if handler.cst_params():
            raised.pop(UNPROCESSABLE, None)
        if not raised:
            return
        documented = self._documented(handler)
        if documented is None:
            return
        for code, node in raised.items():
            if code not in documented:
                self.report(
                    node,
                    f"route `{handler.name}` raises {code} but no `responses=` lists it; add "
                    f"`responses={{{code}: {{'model': ErrorResponse}}}}` (with a status constant) "
                    "so OpenAPI documents the error",
                )

    def _documented(self, handler: Handler) -> set[int] | None:
        codes: set[int] = set()
        for route in handler.routes:
            value = route.keyword("responses")
            found = documented_codes(to_ast(value) if value is not None else None)
            if found is None:
                return None
            codes |= found
            for _, call, _ in self.index.mount_calls(route.owner):
                found = documented_codes(keyword_value(call, "responses"))
                if found is None:
                    return None
                codes |= found
        return codes
