"""get-with-body: ``GET`` routes that take a request body."""

from __future__ import annotations

from typing import ClassVar

from rulepack.evaluator.checks.base import Case, ModuleContext
from rulepack.evaluator.checks.pydantic_v1_api import MODEL_ROOTS
from rulepack.evaluator.checks.routes.handlers import Handler, RouteCheck, path_params
from rulepack.evaluator.checks.routes.kinds import MAPPINGS, SEQUENCES, is_model
from rulepack.evaluator.checks.routes.sample import ParamInfo

_CASES_HEAD = (
    "from typing import Annotated\n\nfrom fastapi import APIRouter, Body, Depends, Query\n"
)


class GetWithBody(RouteCheck):
    """``GET`` routes with a body parameter.

    ## What it does
    Finds parameters of ``GET`` routes that FastAPI reads from the request body: ``Body()``
    parameters, Pydantic models without ``Query()`` or ``Depends()``, and lists, sets or dicts
    without ``Query()``. A model counts when the sample defines it as a ``BaseModel`` subclass; a
    class the sample does not define counts only when its name reads like a request model
    (``OrderSearch``, ``ItemFilter``, ``UserIn``), so enums used as query parameters are not
    reported.

    ## Why is this bad?
    HTTP gives a ``GET`` body no meaning: proxies and clients may drop it, it cannot be cached or
    bookmarked, and browsers' ``fetch`` refuses to send it.
    """

    id = "get-with-body"
    summary = "`GET` route takes a request body; use query parameters"
    good: ClassVar[tuple[Case, ...]] = (
        Case.good(
            _CASES_HEAD + "from pydantic import BaseModel\n\n\n"
            "class OrderFilter(BaseModel):\n    status: str | None = None\n\n\n"
            "router = APIRouter()\n\n\n"
            "@router.get('/orders')\nasync def list_orders(\n"
            "    filters: Annotated[OrderFilter, Query()],\n"
            "    paging: Annotated[OrderFilter, Depends()],\n"
            "    ids: Annotated[list[int], Query()] = [],\n"
            "    sort: str = '-created_at',\n) -> list[str]:\n    return []\n\n\n"
            "@router.post('/orders/search')\nasync def search(criteria: OrderFilter) -> list[str]:"
            "\n    return []\n",
            note="query models, dependencies, list queries; a body on POST",
        ),
        Case.good(
            "from enum import Enum\nfrom uuid import UUID\n\nfrom fastapi import APIRouter\n\n"
            "from app.enums import OrderStatus\n\nrouter = APIRouter()\n\n\n"
            "class Color(Enum):\n    RED = 'red'\n\n\n"
            "@router.get('/orders/{order_id}')\n"
            "async def get_order(order_id: UUID, status: OrderStatus, color: Color) -> None:\n"
            "    pass\n",
            note="enums (own, or imported and not named like a model) and UUIDs are query values",
        ),
    )
    bad: ClassVar[tuple[Case, ...]] = (
        Case.bad(
            _CASES_HEAD + "\nrouter = APIRouter(prefix='/api/v1/orders', tags=['orders'])\n\n\n"
            "@router.get('/')\nasync def list_orders(\n    criteria: OrderSearch,\n"
            "    service: Annotated[OrderService, Depends(get_order_service)],\n"
            ") -> list[OrderRead]:\n    return await service.search(criteria)\n",
            note="a model the sample does not define, named like one",
        ),
        Case(
            files={
                "app/schemas.py": (
                    "from pydantic import BaseModel\n\n\nclass Base(BaseModel):\n    pass\n\n\n"
                    "class ProductQuery(Base):\n    name: str\n"
                ),
                "app/main.py": (
                    "from typing import Annotated\n\nimport fastapi\n\n"
                    "from app import schemas\n\napp = fastapi.FastAPI()\n\n\n"
                    "@app.get('/products/search')\n"
                    "async def search(query: schemas.ProductQuery, tags: list[str]) -> list[str]:\n"
                    "    return []\n\n\n"
                    "@app.api_route('/products', methods=['GET', 'POST'])\n"
                    "async def products(payload: Annotated[dict, fastapi.Body()]) -> None:\n"
                    "    pass\n"
                ),
            },
            hits=3,
            note="a model of the sample (indirect subclass), a list without Query(), Body()",
        ),
        Case.bad(
            "from fastapi import APIRouter\nfrom pydantic import BaseModel as Model\n\n"
            "router = APIRouter()\n\n\nclass Filters(Model):\n    q: str\n\n\n"
            "class Views:\n    @router.get('/things', tags=['things'])\n"
            "    async def things(self, filters: Filters) -> list[str]:\n        return []\n",
            note="a method of a class-based view; an aliased BaseModel",
        ),
    )

    def __init__(self, context: ModuleContext) -> None:
        """Learn the sample's Pydantic models."""
        super().__init__(context)
        self.models = context.project.subclasses_of(MODEL_ROOTS)

    def enter_handler(self, handler: Handler) -> None:
        """Report body parameters of ``GET`` routes."""
        if "GET" not in handler.methods:
            return
        in_path = {name for path in handler.paths for name in path_params(path)}
        for node, param in zip(handler.cst_params(), self.handler_params(handler), strict=True):
            if param.name in in_path or node.star:
                continue
            reason = self._body_reason(param)
            if reason is not None:
                self.report(
                    node.name,
                    f"GET route `{handler.name}`: `{param.name}` {reason}, so FastAPI reads it "
                    "from the request body; take filters as query parameters "
                    "(or `Annotated[Model, Query()]`)",
                )

    def _body_reason(self, param: ParamInfo) -> str | None:
        if param.marker is not None:
            return "is declared with `Body()`" if param.marker.kind == "body" else None
        name = param.type_name
        if name in SEQUENCES or name in MAPPINGS:
            return f"is a `{name}` without `Query()`"
        if is_model(param, self.index, self.models):
            return f"is the model `{name.rsplit('.', 1)[-1] if name else ''}` without `Query()`"
        return None
