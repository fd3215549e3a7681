"""list-without-pagination: ``GET`` routes that return a list and take no page parameters."""

from __future__ import annotations

import ast
import re
from typing import ClassVar

import libcst as cst
from libcst.metadata import PositionProvider

from rulepack.evaluator.checks.base import Case, Hit, ModuleContext
from rulepack.evaluator.checks.common import int_param, is_docs_path, is_health_path
from rulepack.evaluator.checks.facts import Span
from rulepack.evaluator.checks.routes.handlers import Handler, RouteCheck
from rulepack.evaluator.checks.routes.kinds import collection_name
from rulepack.evaluator.checks.routes.naming import snake
from rulepack.evaluator.checks.routes.sample import ParamInfo, last_name, to_ast

PAGE_NAMES = frozenset(
    {
        "limit",
        "offset",
        "skip",
        "take",
        "page",
        "size",
        "per_page",
        "cursor",
        "after",
        "before",
        "start",
        "first",
        "last",
        "starting_after",
        "ending_before",
    }
)
PAGE_WORDS = re.compile(r"page|paginat|cursor|limit|offset")


class ListWithoutPagination(RouteCheck):
    """List endpoints without pagination.

    ## What it does
    Finds ``GET`` routes whose ``response_model=`` (or, without one, return annotation) is a
    ``list``, ``Sequence``, ``Iterable`` or set, and that take no pagination parameter: none named
    ``limit``, ``offset``, ``skip``, ``page``, ``size``, ``cursor``, ``after``/``before`` (or
    containing ``page``/``cursor``), no alias such as ``PageLimit``, no dependency or ``Query()``
    model named like pagination, and no pagination model of the sample with such fields. A
    ``Page[T]`` response (fastapi-pagination) is not a list. Health and docs routes are skipped.

    ## Why is this bad?
    An unpaginated list grows with the table: response time, memory and payload grow without
    bound, and one request can exhaust the database.
    """

    id = "list-without-pagination"
    summary = "list endpoint without pagination parameters"
    params = ("max_page_size", "default_page_size")
    good: ClassVar[tuple[Case, ...]] = (
        Case.good(
            "from fastapi import APIRouter, Query\n\nrouter = APIRouter(prefix='/teams')\n\n\n"
            "@router.get('/by-codes', response_model=list[TeamRead])\n"
            "async def teams_by_codes(team_ids: list[str] = Query(...)):\n    return []\n",
            note="a look-up of the ids the client lists: the answer is as long as the request",
        ),
        Case.good(
            "from typing import Annotated\n\nfrom fastapi import APIRouter, Depends, Query\n\n"
            "router = APIRouter(prefix='/api/v1/orders', tags=['orders'])\n\n\n"
            "@router.get('/')\nasync def list_orders(\n"
            "    limit: Annotated[int, Query(ge=1, le=100)] = 20,\n"
            "    offset: Annotated[int, Query(ge=0)] = 0,\n) -> list[OrderRead]:\n"
            "    return []\n\n\n"
            "@router.get('/by-cursor')\nasync def scroll(next_cursor: str | None = None) -> "
            "list[OrderRead]:\n    return []\n\n\n"
            "@router.get('/paged')\nasync def paged(params: Annotated[Params, Depends()]) -> "
            "Page[OrderRead]:\n    return paginate([])\n\n\n"
            "@router.get('/one/{order_id}')\nasync def one(order_id: int) -> OrderRead:\n"
            "    return OrderRead()\n\n\n"
            "@router.post('/bulk')\nasync def bulk(items: list[OrderIn]) -> list[OrderRead]:\n"
            "    return []\n",
            note="limit/offset, a cursor, Page[T], a single item, a POST",
        ),
        Case(
            files={
                "app/deps.py": (
                    "from typing import Annotated\n\nfrom fastapi import Depends, Query\n"
                    "from pydantic import BaseModel\n\n"
                    "PageLimit = Annotated[int, Query(ge=1, le=100)]\n\n\n"
                    "class Window(BaseModel):\n    skip: int = 0\n    take: int = 20\n\n\n"
                    "def pagination(skip: int = 0) -> int:\n    return skip\n\n\n"
                    "Paging = Annotated[int, Depends(pagination)]\n"
                ),
                "app/routers/items.py": (
                    "from typing import Annotated, Sequence\n\nfrom fastapi import APIRouter, Query"
                    "\n\nfrom app.deps import PageLimit, Paging, Window\n\n"
                    "router = APIRouter()\n\n\n"
                    "@router.get('/items')\nasync def items(n: PageLimit = 20) -> list[str]:\n"
                    "    return []\n\n\n"
                    "@router.get('/tags', response_model=Sequence[str])\n"
                    "async def tags(paging: Paging):\n    return []\n\n\n"
                    "@router.get('/labels')\n"
                    "async def labels(window: Annotated[Window, Query()]) -> list[str]:\n"
                    "    return []\n\n\n"
                    "@router.get('/health/checks')\nasync def checks() -> list[str]:\n"
                    "    return []\n"
                ),
            },
            hits=0,
            note="aliases and models of another module; a health route",
        ),
    )
    bad: ClassVar[tuple[Case, ...]] = (
        Case.bad(
            "from typing import Annotated\n\nfrom fastapi import APIRouter, Depends\n\n"
            "router = APIRouter(prefix='/api/v1/orders', tags=['orders'])\n\n\n"
            "@router.get('/')\nasync def list_orders(\n"
            "    service: Annotated[OrderService, Depends(get_order_service)],\n"
            ") -> list[OrderRead]:\n    return await service.list_orders()\n"
        ),
        Case.bad(
            "from typing import List, Optional\nimport typing as t\n\nimport fastapi\n\n"
            "from app import schemas\n\napp = fastapi.FastAPI()\n\n\n"
            "@app.get('/tasks', response_model=List[schemas.Task])\n"
            "async def read_tasks(q: Optional[str] = None):\n    return []\n\n\n"
            "@app.api_route('/tags', methods=['GET'])\n"
            "async def tags(sort: str = 'name') -> t.Optional[t.Sequence[str]]:\n    return []\n",
            hits=2,
            note="typing.List response_model, an Optional Sequence return type, api_route",
        ),
    )

    def __init__(self, context: ModuleContext) -> None:
        """Start with no handler pending."""
        super().__init__(context)
        self._pending: dict[Handler, tuple[bool, str]] = {}
        self._awaits: set[Handler] = set()

    def enter_handler(self, handler: Handler) -> None:
        """Note list-returning ``GET`` routes without pagination parameters."""
        if "GET" not in handler.methods:
            return
        if any(is_health_path(p) or is_docs_path(p) for p in handler.paths):
            return
        kind = self._collection(handler)
        params = self.handler_params(handler)
        if kind is None or any(self._paginates(p) or _id_list(p) for p in params):
            return
        store = any(_store_like(p) for p in [*params, *self.class_params(handler)])
        limit = int_param(self.context.params, "max_page_size", 100)
        default = int_param(self.context.params, "default_page_size", 20)
        self._pending[handler] = (
            store,
            f"GET route `{handler.name}` returns a `{kind}` without pagination parameters; add "
            f"`limit: Annotated[int, Query(ge=1, le={limit})] = {default}` and `offset` "
            "(or a cursor) and apply them in the query",
        )

    def visit_Await(self, node: cst.Await) -> None:
        """An ``await`` in the handler: it does I/O, so its list may come from a store."""
        del node
        if self.handler is not None:
            self._awaits.add(self.handler)

    def leave_handler(self, handler: Handler) -> None:
        """Report; a list built without a store or any I/O is advisory (it may be bounded)."""
        pending = self._pending.pop(handler, None)
        # a ``def`` handler can do I/O without awaiting: only an async one shows it does none
        awaited = handler in self._awaits or handler.node.asynchronous is None
        self._awaits.discard(handler)
        if pending is None:
            return
        store, message = pending
        if store or awaited:
            self.report(handler.node.name, message)
            return
        span = Span.of(self.get_metadata(PositionProvider, handler.node.name))
        message += (
            "; it takes no session or service and awaits nothing: if the list is a fixed, small "
            "set, pagination is not needed"
        )
        self.hits.append(Hit(self.context.path, span, message, advisory=True))

    def _collection(self, handler: Handler) -> str | None:
        for route in handler.routes:
            model = route.keyword("response_model")
            if model is not None:
                return collection_name(to_ast(model), self.context.imports)
        returns = handler.node.returns
        annotation = to_ast(returns.annotation) if returns is not None else None
        return collection_name(annotation, self.context.imports)

    def _paginates(self, param: ParamInfo) -> bool:
        names = [param.name, param.written_name, param.alias, param.type_name]
        if param.marker is not None:
            names.append(param.marker.target)
        words = [snake(n.rsplit(".", 1)[-1]) for n in names if n]
        if param.name in PAGE_NAMES or any(PAGE_WORDS.search(word) for word in words):
            return True
        marker = param.marker
        if marker is not None and marker.kind == "depends" and marker.target != param.type_name:
            return False  # a function dependency: its name was the evidence
        return marker is not None and self._model_paginates(param)

    def _model_paginates(self, param: ParamInfo) -> bool:
        """A ``Query()``/``Depends()`` model: its fields decide; unknown classes are trusted."""
        name = param.type_name
        if name is None or "." not in name:
            return False
        found = self.index.class_def(name)
        if found is None:
            return self.index.lookup(name) is None and self.index.function(name) is None
        fields = {
            last_name(stmt.target)
            for stmt in found[0].body
            if isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name)
        }
        return bool(fields & PAGE_NAMES)


def _id_list(param: ParamInfo) -> bool:
    """A list of ids the client sends (``ids: list[str] = Query()``): it bounds the answer."""
    name = snake(param.name)
    is_ids = name == "ids" or name.endswith("_ids")
    return is_ids and param.type_name in {"list", "set", "tuple", "Sequence"}


STORE_WORDS = re.compile(r"session|db|database|repo|service|crud|dao|store|client|conn|uow|manager")


def _store_like(param: ParamInfo) -> bool:
    """A parameter that reads from a store: a session, repository, service or client."""
    names = [param.name, param.written_name, param.alias, param.type_name]
    if param.marker is not None:
        names.append(param.marker.target)
    return any(STORE_WORDS.search(snake(n.rsplit(".", 1)[-1])) for n in names if n)
