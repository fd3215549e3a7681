"""no-response-schema: route handlers that declare no response schema."""

from __future__ import annotations

from typing import ClassVar

import libcst as cst

from rulepack.evaluator.checks.base import Case, ModuleCheck, ModuleContext, ProjectFacts
from rulepack.evaluator.checks.common import RESPONSE_MODULES, defined_classes, refers_to
from rulepack.evaluator.checks.facts import ModuleFacts, keyword, route_call
from rulepack.evaluator.checks.imports import dotted
from rulepack.evaluator.checks.sync_route_handler import is_route_owner

NON_JSON_NAMES = (
    "HTMLResponse",
    "PlainTextResponse",
    "RedirectResponse",
    "StreamingResponse",
    "FileResponse",
    "EventSourceResponse",
)
NON_JSON_RESPONSES = frozenset(
    f"{module}.{name}" for module in RESPONSE_MODULES for name in NON_JSON_NAMES
)


def is_no_content(status_code: cst.BaseExpression | None) -> bool:
    """Whether a route's ``status_code=`` is 204, as a literal or a ``status.HTTP_204_*`` name."""
    if isinstance(status_code, cst.Integer):
        return status_code.value == "204"
    name = dotted(status_code) if status_code is not None else None
    return name is not None and name.rsplit(".", 1)[-1].startswith("HTTP_204_")


def is_none(node: cst.BaseExpression | None) -> bool:
    """Whether ``node`` is the literal ``None``."""
    return isinstance(node, cst.Name) and node.value == "None"


class NoResponseSchema(ModuleCheck):
    """Route handlers without a declared response schema.

    ## What it does
    Finds route handlers with neither a return annotation nor ``response_model=``. A route whose
    ``response_class=`` is a non-JSON response (HTML, plain text, redirect, streaming, file or
    server-sent events, or a subclass of one) declares its response that way, and so does
    ``response_model=None`` on a 204 route. WebSocket routes have no response and are skipped.

    ## Why is this bad?
    The response schema validates and filters what the route returns, so fields such as
    ``hashed_password`` cannot leak, and documents it in OpenAPI.
    """

    id = "no-response-schema"
    summary = "route declares no response schema; annotate its return type"
    good: ClassVar[tuple[Case, ...]] = (
        Case.good(
            "from fastapi import APIRouter, status\n\nfrom app.schemas import ItemRead\n\n"
            "router = APIRouter()\n\n\n"
            "@router.get('/items/{item_id}')\nasync def read(item_id: int) -> ItemRead:\n"
            "    return await load(item_id)\n\n\n"
            "@router.delete('/items/{item_id}', status_code=status.HTTP_204_NO_CONTENT)\n"
            "async def delete(item_id: int) -> None:\n    await remove(item_id)\n\n\n"
            "@router.delete('/carts/{cart_id}', status_code=204, response_model=None)\n"
            "async def clear(cart_id: int):\n    await remove(cart_id)\n"
        ),
        Case.good(
            "from fastapi import FastAPI\nfrom fastapi.responses import HTMLResponse\n"
            "from starlette.responses import RedirectResponse as Redirect\n\n"
            "from app.schemas import ItemRead\n\napp = FastAPI()\n\n\n"
            "@app.get('/items', response_model=list[ItemRead])\nasync def items():\n"
            "    return await load_all()\n\n\n"
            "@app.get('/page', response_class=HTMLResponse)\nasync def page():\n"
            "    return '<p>hi</p>'\n\n\n"
            "@app.get('/old', response_class=Redirect)\nasync def old():\n    return '/new'\n\n\n"
            "@app.websocket('/ws')\nasync def socket(websocket):\n    await websocket.accept()\n"
        ),
        Case.good(
            "def helper(value):\n    return value\n",
            note="functions that are not routes",
        ),
    )
    bad: ClassVar[tuple[Case, ...]] = (
        Case.bad(
            "from fastapi import FastAPI\n\napp = FastAPI()\n\n\n"
            "@app.get('/items')\nasync def items():\n    return [{'id': 1}]\n"
        ),
        Case(
            files={
                "app/api.py": "from fastapi import APIRouter\n\nv1 = APIRouter(prefix='/v1')\n",
                "app/users.py": (
                    "from fastapi import status\nfrom fastapi.responses import JSONResponse\n\n"
                    "from app.api import v1 as api\n\n\n"
                    "@api.post('/users', status_code=status.HTTP_201_CREATED, "
                    "response_class=JSONResponse)\nasync def create(payload: dict):\n"
                    "    return payload\n\n\n"
                    "@api.delete('/users/{user_id}', status_code=status.HTTP_204_NO_CONTENT)\n"
                    "async def delete(user_id: int):\n    pass\n\n\n"
                    "@api.get('/users', response_model=None)\nasync def users():\n    return []\n"
                ),
            },
            hits=3,
            note="an imported router; JSON response_class, a 204 without `-> None`, "
            "response_model=None on a 200 route",
        ),
    )

    def __init__(self, context: ModuleContext) -> None:
        """Learn the sample's non-JSON response classes."""
        super().__init__(context)
        self.non_json = context.project.subclasses_of(NON_JSON_RESPONSES)
        self.defined = defined_classes(context.project)

    @classmethod
    def applies(cls, facts: ModuleFacts, project: ProjectFacts) -> bool:
        """Only modules with route handlers."""
        return any(is_route_owner(route.owner, project) for route in facts.routes)

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        """Report route handlers without a declared response."""
        if node.returns is not None:
            return
        calls = [self._route(decorator) for decorator in node.decorators]
        routes = [call for call in calls if call is not None]
        if routes and not any(self._declares_response(call) for call in routes):
            self.report(
                node.name,
                f"route handler `{node.name.value}` has no return annotation and no "
                "`response_model=`; annotate its return type with the response schema "
                "(`-> None` for a 204)",
            )

    def _route(self, decorator: cst.Decorator) -> cst.Call | None:
        found = route_call(decorator)
        if found is None or found[1] == "websocket":
            return None
        owner = self.qualified(found[0])
        if owner is None or not is_route_owner(owner, self.context.project):
            return None
        return found[2]

    def _declares_response(self, call: cst.Call) -> bool:
        model = keyword(call, "response_model")
        if model is not None and not is_none(model):
            return True
        if model is not None and is_no_content(keyword(call, "status_code")):
            return True
        response_class = keyword(call, "response_class")
        return response_class is not None and refers_to(
            self.context.imports, response_class, self.non_json, self.defined
        )
