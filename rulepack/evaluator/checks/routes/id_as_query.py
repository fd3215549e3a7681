"""id-as-query: resource ids taken as query parameters instead of path parameters."""

from __future__ import annotations

import ast
import re
from typing import ClassVar

from rulepack.evaluator.checks.base import Case
from rulepack.evaluator.checks.routes.handlers import Handler, RouteCheck, path_params
from rulepack.evaluator.checks.routes.kinds import collection_name
from rulepack.evaluator.checks.routes.sample import ParamInfo, keyword_value, to_ast, unwrap

ID_NAME = re.compile(r"^(id|\w+_id|[a-z]\w*[a-z0-9]Id)$")
SCALAR_IDS = frozenset({"int", "str", "UUID", "UUID1", "UUID3", "UUID4", "UUID5", "ObjectId"})
SINGLE_RESOURCE = frozenset({"GET", "PUT", "PATCH", "DELETE"})
QUERY_KINDS = frozenset({"query"})


class IdAsQuery(RouteCheck):
    """Resource ids passed as query parameters.

    ## What it does
    Finds required parameters named ``id``, ``*_id`` or ``*Id`` of ``GET``, ``PUT``, ``PATCH``
    and ``DELETE`` routes that are neither in the path template (the decorator path and every
    router or include prefix above it) nor dependencies, bodies, headers or cookies, and are
    typed as an id (``int``, ``str``, ``UUID``) or not typed, and that name the route's resource
    (a bare ``id``, or an id whose stem appears in the path or the handler's name: ``order_id``
    of ``GET /orders/detail``; ``owner_id`` of ``GET /reports/summary`` is a filter). Optional
    ids (filters such as ``customer_id: int | None = None``) and routes that return a list (a
    collection filtered by a parent id) are not reported; neither are routes whose path is
    computed.

    ## Why is this bad?
    A resource's URL is its identity: ``/orders/42`` is cacheable, linkable and documented as
    required; ``/orders/detail?order_id=42`` is none of those.
    """

    id = "id-as-query"
    summary = "resource id taken as a query parameter; put it in the path"
    good: ClassVar[tuple[Case, ...]] = (
        Case.good(
            "from typing import Annotated\n\nfrom fastapi import APIRouter, Depends, Header\n\n"
            "router = APIRouter(prefix='/api/v1/orders', tags=['orders'])\n\n\n"
            "@router.get('/{order_id}')\n"
            "async def get_order(order_id: int, service: OrderServiceDep) -> OrderRead:\n"
            "    return await service.get_order(order_id)\n\n\n"
            "@router.get('')\nasync def list_orders(customer_id: int) -> list[OrderRead]:\n"
            "    return []\n\n\n"
            "@router.put('/{order_id}/status')\nasync def set_status(\n    order_id: int,\n"
            "    user_id: Annotated[int, Depends(current_user_id)],\n"
            "    request_id: Annotated[str, Header()],\n"
            "    tenant_id: int | None = None,\n) -> None:\n    pass\n\n\n"
            "@router.post('/imports')\nasync def import_orders(batch_id: int) -> None:\n"
            "    pass\n",
            note="path ids, a list filtered by a parent, dependencies, headers, optional, POST",
        ),
        Case(
            files={
                "app/routers/lines.py": (
                    "from fastapi import APIRouter\n\nrouter = APIRouter()\n\n\n"
                    "@router.delete('/{line_id}', status_code=204)\n"
                    "async def delete_line(order_id: int, line_id: int) -> None:\n    pass\n"
                ),
                "app/main.py": (
                    "from fastapi import FastAPI\n\nfrom app.routers import lines\n\n"
                    "app = FastAPI()\n"
                    "app.include_router(lines.router, prefix='/api/v1/orders/{order_id}/lines')\n"
                ),
            },
            hits=0,
            note="a path parameter declared by an include prefix in another module",
        ),
        Case.good(
            "from fastapi import APIRouter\n\nrouter = APIRouter(prefix='/items')\n\n\n"
            "class ItemView:\n"
            "    @router.get('/{item_id}', response_model=None)\n"
            "    @cache(expire=60)\n"
            "    async def get(self, item_id: int) -> None:\n        pass\n",
            note="a class-based view under a stacked decorator: `self` is not a parameter",
        ),
        Case.good(
            "from fastapi import APIRouter, Query\n\nrouter = APIRouter(prefix='/alerts')\n\n\n"
            "@router.get('/summary')\nasync def alert_summary(\n"
            "    source_kind_id: int = Query(...), days: int = 7\n) -> Summary:\n"
            "    return Summary()\n\n\n"
            "@router.get('/name-free')\n"
            "async def name_free(team_id: str, name: str) -> Availability:\n"
            "    return Availability()\n",
            note="ids of other resources that filter or scope a summary or a check",
        ),
    )
    bad: ClassVar[tuple[Case, ...]] = (
        Case.bad(
            "from typing import Annotated\n\nfrom fastapi import APIRouter, Depends\n\n"
            "router = APIRouter(prefix='/api/v1/orders', tags=['orders'])\n\n\n"
            "@router.get('/detail')\nasync def get_order(\n"
            "    order_id: int, service: Annotated[OrderService, Depends(get_order_service)]\n"
            ") -> OrderRead:\n    return await service.get_order(order_id)\n"
        ),
        Case.bad(
            "from typing import Annotated\nfrom uuid import UUID\n\n"
            "from fastapi import FastAPI, Query\n\napp = FastAPI()\n\n\n"
            "@app.delete('/users')\nasync def delete_user(id: Annotated[UUID, Query()]) -> None:\n"
            "    pass\n\n\n"
            "@app.get('/getUser')\nasync def getUser(userId):\n    pass\n",
            hits=2,
            note="an explicit Query() UUID on DELETE, an untyped camelCase id on GET",
        ),
    )

    def enter_handler(self, handler: Handler) -> None:
        """Report required id parameters that are not path parameters."""
        if not handler.methods & SINGLE_RESOURCE or self._returns_list(handler):
            return
        in_path = self._path_names(handler)
        if in_path is None:
            return
        named = _squash(" ".join([handler.name, *handler.paths, *self._prefixes(handler)]))
        for node, param in zip(handler.cst_params(), self.handler_params(handler), strict=True):
            if node.star or param.name in in_path or not self._is_query_id(param):
                continue
            if not _names_resource(param.name, named):
                continue  # the id of another resource: a filter or scope, not the one addressed
            methods = "/".join(sorted(handler.methods & SINGLE_RESOURCE))
            self.report(
                node.name,
                f"`{param.name}` of {methods} route `{handler.name}` looks like a resource id "
                f"passed as a query parameter; address the resource by a path parameter "
                f"(`/{{{param.name}}}`)",
            )

    def _returns_list(self, handler: Handler) -> bool:
        for route in handler.routes:
            model = route.keyword("response_model")
            if model is not None and collection_name(to_ast(model), self.context.imports):
                return True
        returns = handler.node.returns
        annotation = to_ast(returns.annotation) if returns is not None else None
        return collection_name(annotation, self.context.imports) is not None

    def _prefixes(self, handler: Handler) -> list[str]:
        """The literal prefixes of the handler's routers and of the includes mounting them."""
        found: list[str] = []
        for route in handler.routes:
            for _, call, _ in self.index.mount_calls(route.owner):
                prefix = keyword_value(call, "prefix")
                text = _literal(prefix) if prefix is not None else None
                if text is not None:
                    found.append(text)
        return found

    def _path_names(self, handler: Handler) -> set[str] | None:
        """Path parameter names from the decorators and every prefix; ``None`` if computed."""
        if len(handler.paths) != len(handler.routes):
            return None
        names = {name for path in handler.paths for name in path_params(path)}
        for route in handler.routes:
            for kind, call, _ in self.index.mount_calls(route.owner):
                prefix = keyword_value(call, "prefix")
                if kind == "include" and call.args and _is_mount(call):
                    prefix = call.args[0]
                if prefix is None:
                    continue
                text = _literal(prefix)
                if text is None:
                    return None
                names |= path_params(text)
        return names

    def _is_query_id(self, param: ParamInfo) -> bool:
        if not ID_NAME.match(param.name) or not _required(param):
            return False
        if param.marker is not None and param.marker.kind not in QUERY_KINDS:
            return False
        if param.annotation is None:
            return True
        if unwrap(param.annotation, param.imports) is not param.annotation:
            return False  # Optional: a filter
        name = param.type_name
        return name is not None and name.rsplit(".", 1)[-1] in SCALAR_IDS


def _required(param: ParamInfo) -> bool:
    """Whether a parameter has no default (``Query()`` and ``Query(...)`` defaults count)."""
    default = param.default
    if default is None:
        return True
    if param.marker is None or not isinstance(default, ast.Call):
        return False
    value = default.args[0] if default.args else keyword_value(default, "default")
    return value is None or (isinstance(value, ast.Constant) and value.value is Ellipsis)


def _is_mount(call: ast.Call) -> bool:
    return isinstance(call.func, ast.Attribute) and call.func.attr == "mount"


def _literal(node: ast.expr) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    return None


def _squash(text: str) -> str:
    """Lower case letters and digits only: ``/case-types`` and ``caseType`` both give casetype."""
    return re.sub(r"[^a-z0-9]", "", text.lower())


def _names_resource(name: str, named: str) -> bool:
    """Whether an id names the resource of the route: a bare ``id``, or its stem in the path.

    ``order_id`` of ``GET /orders/detail`` (or of ``get_order``) addresses an order;
    ``owner_id`` of ``GET /reports/stats`` filters reports by their owner.
    """
    stem = _squash(re.sub(r"(_id|Id)$", "", name))
    return name == "id" or not stem or stem in named
