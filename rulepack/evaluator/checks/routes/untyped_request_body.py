"""untyped-request-body: request bodies typed ``dict``/``Any`` or read raw from the request."""

from __future__ import annotations

import ast
import re
from typing import ClassVar

import libcst as cst

from rulepack.evaluator.checks.base import Case, ModuleContext
from rulepack.evaluator.checks.routes.handlers import Handler, RouteCheck, path_params
from rulepack.evaluator.checks.routes.kinds import SEQUENCES
from rulepack.evaluator.checks.routes.sample import (
    ParamInfo,
    subscript_args,
    type_name,
    unwrap,
)

BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})
UNTYPED = frozenset({"dict", "Mapping", "MutableMapping", "Any", "object"})
BODY_NAMES = frozenset(
    {
        "body",
        "payload",
        "data",
        "json",
        "json_data",
        "json_body",
        "request_body",
        "request_data",
        "body_data",
    }
)
READERS = frozenset({"json", "form", "body"})
REQUEST_TYPES = frozenset(
    {"fastapi.Request", "fastapi.requests.Request", "starlette.requests.Request"}
)
# Names and strings of a webhook's verification: the raw bytes are what the sender signed.
SIGNATURE = re.compile(
    r"signature|hmac|verify_webhook|webhook_secret|validate_event|construct_event|svix",
    re.IGNORECASE,
)
NOT_BODY = frozenset({"depends", "security", "query", "path", "header", "cookie", "form", "file"})


def untyped(expr: ast.expr, param: ParamInfo) -> str | None:
    """``dict``/``Any``/... when the type (or the item type of a list of it) is untyped."""
    inner = unwrap(expr, param.imports)
    name = type_name(inner, param.imports)
    if name in UNTYPED:
        return name
    if name in SEQUENCES:
        items = subscript_args(inner)
        if items and type_name(unwrap(items[0], param.imports), param.imports) in UNTYPED:
            return f"{name} of {type_name(unwrap(items[0], param.imports), param.imports)}"
    return None


class UntypedRequestBody(RouteCheck):
    """Request bodies that are not Pydantic models.

    ## What it does
    For ``POST``, ``PUT`` and ``PATCH`` routes, finds body parameters typed ``dict``,
    ``Dict[...]``, ``Mapping``, ``Any`` or ``object`` (or a list of those), with or without
    ``Body()``, and unannotated parameters named like a body (``payload``, ``body``, ``data`` ...),
    which FastAPI reads as a query string. In every route handler, finds ``request.json()``,
    ``request.form()`` and ``request.body()`` on a parameter typed ``Request``; ``body()`` is
    accepted in a handler that verifies a signature (a webhook needs the raw bytes for its HMAC:
    the handler mentions ``signature`` or ``hmac``). Dependencies,
    query, header and form parameters are not bodies and are skipped.

    ## Why is this bad?
    A model parameter makes FastAPI validate, coerce and document the body and answer bad input
    with a 422 before the handler runs; a raw dict carries unchecked data into business logic and
    leaves the OpenAPI schema empty.
    """

    id = "untyped-request-body"
    summary = "request body is a dict, `Any` or read raw; declare a Pydantic model"
    good: ClassVar[tuple[Case, ...]] = (
        Case.good(
            "from typing import Annotated, Any\n\nfrom fastapi import APIRouter, Depends, Form, "
            "Query, Request, status\n\n"
            "router = APIRouter(prefix='/api/v1/orders', tags=['orders'])\n\n\n"
            "@router.post('/', status_code=status.HTTP_201_CREATED)\nasync def create_order(\n"
            "    payload: OrderCreate,\n    request: Request,\n"
            "    settings: Annotated[dict[str, Any], Depends(get_settings)],\n"
            "    note: Annotated[str, Form()],\n    tags: Annotated[list[str], Query()] = [],\n"
            ") -> OrderRead:\n"
            "    response = await client.post('/x', json={})\n    data = response.json()\n"
            "    host = request.client.host\n"
            "    return await service.create_order(payload)\n\n\n"
            "@router.get('/{order_id}')\nasync def get_order(order_id: int, filters: dict = None)"
            " -> OrderRead:\n    return await service.get(order_id)\n",
            note="a model, a dict dependency, form and query values; a client response's json()",
        ),
        Case.good(
            "from fastapi import FastAPI, Request\n\napp = FastAPI()\n\n\n"
            "async def read_body(request: Request) -> dict:\n    return await request.json()\n\n\n"
            "@app.post('/webhooks/stripe')\nasync def stripe_webhook(request: Request) -> None:\n"
            "    payload = await request.body()\n"
            "    header = request.headers.get('stripe-signature', '')\n"
            "    event = construct_event(payload, header, SECRET)\n",
            note="a helper that is not a route; raw bytes read to verify a webhook signature",
        ),
        Case.good(
            "from fastapi import APIRouter, Request\n\nrouter = APIRouter()\n\n\n"
            "@router.post('/oauth/token')\nasync def token(request: Request) -> object:\n"
            "    await request.form()\n    return server.create_token_response(request)\n",
            note="the body is loaded for a library that parses the request it is handed",
        ),
        Case.good(
            "from fastapi import APIRouter, Request\n\nrouter = APIRouter()\n\n\n"
            "@router.post('/hooks/mail')\nasync def mail_hook(request: Request) -> None:\n"
            "    raw = await request.body()\n"
            "    event = _verify_webhook(raw, dict(request.headers))\n    handle(event)\n",
            note="raw bytes read for a webhook verification helper",
        ),
    )
    bad: ClassVar[tuple[Case, ...]] = (
        Case.bad(
            "from fastapi import APIRouter, Request\n\nrouter = APIRouter()\n\n\n"
            "@router.post('/notes/{note_id}')\n"
            "async def edit_note(note_id: int, request: Request) -> object:\n"
            "    data = await request.form()\n    save(note_id, data['text'])\n"
            "    return pages.render(request, 'note.html')\n",
            note="a form read and used by the handler, though the request also goes to a template",
        ),
        Case.bad(
            "from typing import Any\n\nfrom fastapi import APIRouter, Request\n\n"
            "router = APIRouter(prefix='/api/v1/orders', tags=['orders'])\n\n\n"
            "@router.post('/')\nasync def create_order(request: Request) -> OrderRead:\n"
            "    payload: dict[str, Any] = await request.json()\n"
            "    return await order_service.create_order(payload)\n"
        ),
        Case.bad(
            "import typing as t\nfrom typing import Annotated, Dict, Optional\n\n"
            "from fastapi import Body, FastAPI\nfrom starlette.requests import Request as Req\n\n"
            "app = FastAPI()\n\n\n"
            "@app.put('/products/{pid}')\nasync def update_product(\n"
            "    pid: int, data: Dict[str, t.Any], extra: Optional[dict] = None\n) -> None:\n"
            "    pass\n\n\n"
            "@app.patch('/products/{pid}')\nasync def patch_product(\n"
            "    pid: int, changes: Annotated[t.Any, Body()], rows: list[dict], payload=None\n"
            ") -> None:\n    pass\n\n\n"
            "@app.api_route('/upload', methods=['GET'])\nasync def upload(r: Req) -> None:\n"
            "    form = await r.form()\n    raw = await r.body()\n",
            hits=7,
            note="typing aliases, Optional, Annotated Body(), a list of dicts, an untyped body "
            "name, aliased Starlette Request read on any method",
        ),
    )

    def __init__(self, context: ModuleContext) -> None:
        """Start with no raw reads seen."""
        super().__init__(context)
        self._reads: dict[Handler, list[tuple[cst.Call, str]]] = {}
        self._signed: set[Handler] = set()
        self._handed: set[Handler] = set()  # handlers that pass their Request to a library
        self._discarded: set[cst.Call] = set()  # reads whose result is thrown away

    def visit_Expr(self, node: cst.Expr) -> None:
        """``await request.form()`` as a statement: the body is only loaded, not used here."""
        value = node.value.expression if isinstance(node.value, cst.Await) else node.value
        if isinstance(value, cst.Call):
            self._discarded.add(value)

    def enter_handler(self, handler: Handler) -> None:
        """Report untyped body parameters of POST, PUT and PATCH routes."""
        if not handler.methods & BODY_METHODS:
            return
        in_path = {name for path in handler.paths for name in path_params(path)}
        for node, param in zip(handler.cst_params(), self.handler_params(handler), strict=True):
            if node.star or param.name in in_path:
                continue
            if param.marker is not None and param.marker.kind in NOT_BODY:
                continue
            problem = self._problem(param)
            if problem is not None:
                self.report(
                    node.name,
                    f"route `{handler.name}`: body parameter `{param.name}` {problem}; declare "
                    "it with a Pydantic model so FastAPI validates and documents it",
                )

    def _problem(self, param: ParamInfo) -> str | None:
        if param.annotation is None:
            return "is not annotated" if param.name in BODY_NAMES else None
        found = untyped(param.annotation, param)
        return f"is typed `{found}`" if found is not None else None

    def visit_Call(self, node: cst.Call) -> None:
        """Remember ``request.json()``/``form()``/``body()`` on the handler's ``Request``."""
        handler = self.handler
        func = node.func
        if handler is not None and self._hands_request(node, handler):
            self._handed.add(handler)
        if handler is None or not isinstance(func, cst.Attribute):
            return
        if func.attr.value not in READERS or not isinstance(func.value, cst.Name):
            return
        receiver = func.value.value
        param = next((p for p in self.handler_params(handler) if p.name == receiver), None)
        if param is not None and param.type_name in REQUEST_TYPES:
            self._reads.setdefault(handler, []).append((node, f"{receiver}.{func.attr.value}"))

    def _hands_request(self, node: cst.Call, handler: Handler) -> bool:
        """Whether a call receives the handler's ``Request`` itself as an argument.

        An OAuth server, a Slack or payment SDK parses the request it is given: the handler's
        own ``await request.form()`` only loads the body for it.
        """
        requests = {p.name for p in self.handler_params(handler) if p.type_name in REQUEST_TYPES}
        return any(
            isinstance(arg.value, cst.Name) and arg.value.value in requests for arg in node.args
        )

    def visit_Name(self, node: cst.Name) -> None:
        """A name mentioning a signature: the raw body is needed to verify it."""
        self._signs(node.value)

    def visit_SimpleString(self, node: cst.SimpleString) -> None:
        """A string mentioning a signature (``"stripe-signature"``)."""
        self._signs(node.value)

    def _signs(self, text: str) -> None:
        handler = self.handler
        if handler is not None and SIGNATURE.search(text):
            self._signed.add(handler)

    def leave_handler(self, handler: Handler) -> None:
        """Report raw body reads; ``body()`` is allowed where a signature is verified."""
        handed = handler in self._handed
        self._handed.discard(handler)
        for node, read in self._reads.pop(handler, []):
            loaded = handed and node in self._discarded  # loaded for the library it is handed to
            self._discarded.discard(node)
            if (read.endswith(".body") and handler in self._signed) or loaded:
                continue
            self.report(
                node,
                f"route `{handler.name}` reads the raw body with `{read}()`; declare the body as "
                "a Pydantic model parameter instead",
            )
