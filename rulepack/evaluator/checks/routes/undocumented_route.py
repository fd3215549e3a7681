"""undocumented-route: route handlers with no docstring and no ``summary=``/``description=``."""

from __future__ import annotations

from typing import ClassVar

import libcst as cst

from rulepack.evaluator.checks.base import Case
from rulepack.evaluator.checks.routes.handlers import Handler, RouteCheck, RouteDecorator

# A back-office app whose routes raise errors but publish no OpenAPI schema (both route
# documentation checks must stay silent on it).
NO_SCHEMA_APP = Case(
    files={
        "admin/pages.py": (
            "from fastapi import APIRouter, HTTPException\n\nrouter = APIRouter()\n\n\n"
            "@router.get('/{page_id}')\nasync def page(page_id: int) -> str:\n"
            "    raise HTTPException(status_code=404, detail='no such page')\n"
        ),
        "admin/__init__.py": (
            "from fastapi import FastAPI\n\nfrom admin.pages import router as pages\n\n"
            "app = FastAPI(openapi_url=None, docs_url=None)\n"
            "app.include_router(pages, prefix='/pages', tags=['pages'])\n"
        ),
    },
    hits=0,
    note="a back-office app created with openapi_url=None publishes no schema",
)


def hidden(route: RouteDecorator) -> bool:
    """Whether the route is left out of the OpenAPI schema (or is a WebSocket)."""
    flag = route.keyword("include_in_schema")
    return route.method == "websocket" or (isinstance(flag, cst.Name) and flag.value == "False")


class UndocumentedRoute(RouteCheck):
    """Route handlers without a docstring or an OpenAPI description.

    ## What it does
    Finds route handlers whose function has no docstring and whose decorator sets neither
    ``description=`` nor ``summary=``. Routes excluded from the schema
    (``include_in_schema=False``), WebSocket routes and routes of apps created with
    ``openapi_url=None`` are skipped: they have no OpenAPI entry.

    ## Why is this bad?
    FastAPI publishes the docstring as the operation's description; without one, API consumers
    see only the function name turned into a summary.
    """

    id = "undocumented-route"
    summary = "route handler without a docstring or `description=`"
    good: ClassVar[tuple[Case, ...]] = (
        Case.good(
            "from fastapi import APIRouter\n\nrouter = APIRouter()\n\n\n"
            "@router.get('/orders/{order_id}')\nasync def get_order(order_id: int) -> dict:\n"
            "    '''Return one order with its line items.'''\n    return {}\n\n\n"
            "@router.get('/ping', summary='Liveness probe', tags=['ops'])\n"
            "async def ping() -> str:\n    return 'pong'\n\n\n"
            "@router.post(\n    '/orders',\n    status_code=201,\n"
            "    description='Create an order for the caller.',\n)\n"
            "async def create_order() -> None:\n    pass\n"
        ),
        Case.good(
            "from fastapi import FastAPI, WebSocket\n\napp = FastAPI()\n\n\n"
            "@app.get('/internal', include_in_schema=False)\nasync def internal() -> None:\n"
            "    pass\n\n\n"
            "@app.websocket('/ws')\nasync def socket(ws: WebSocket) -> None:\n"
            "    await ws.accept()\n\n\n"
            "def helper() -> None:\n    pass\n",
            note="hidden routes, WebSockets and plain functions",
        ),
        NO_SCHEMA_APP,
    )
    bad: ClassVar[tuple[Case, ...]] = (
        Case.bad(
            "from fastapi import APIRouter\n\nrouter = APIRouter()\n\n\n"
            "@router.get('/orders/{order_id}')\nasync def get_order(order_id: int) -> dict:\n"
            "    # Returns the order.\n    return {}\n"
        ),
        Case(
            files={
                "app/api.py": "from fastapi import APIRouter\n\nv1 = APIRouter(prefix='/v1')\n",
                "app/views.py": (
                    "from app.api import v1 as api\n\n\n"
                    "class ItemViews:\n"
                    "    @api.get('/items', tags=['items'])\n"
                    "    async def list_items(self) -> list[str]:\n"
                    "        return []\n\n\n"
                    "def make() -> None:\n"
                    "    @api.delete('/items/{item_id}', status_code=204)\n"
                    "    async def delete_item(item_id: int) -> None:\n"
                    "        '''Not a docstring of make: nested handlers are checked too.'''\n\n"
                    "    @api.put('/items/{item_id}')\n"
                    "    async def put_item(item_id: int) -> None:\n"
                    "        pass\n"
                ),
            },
            hits=2,
            note="a method of a class-based view and a nested handler on an imported router",
        ),
    )

    def enter_handler(self, handler: Handler) -> None:
        """Report a handler without docstring, summary or description."""
        routes = [r for r in handler.routes if not hidden(r) and self.in_schema(r)]
        if not routes or handler.has_docstring():
            return
        if any(r.keyword("description") or r.keyword("summary") for r in routes):
            return
        self.report(
            handler.node.name,
            f"route handler `{handler.name}` has no docstring and no `description=`/`summary=`; "
            "document what it returns and when it fails",
        )
