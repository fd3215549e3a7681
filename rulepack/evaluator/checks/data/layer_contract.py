"""layer-contract: imports that break the router → service → repository layers (project check)."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from typing import ClassVar

from rulepack.evaluator.checks.ast_facts import ast_dotted, walk
from rulepack.evaluator.checks.base import Case, Hit, ProjectCheck
from rulepack.evaluator.checks.data.layout import Layer, layer_of
from rulepack.evaluator.checks.data.orm_models import span_of
from rulepack.evaluator.checks.data.resolve import ModuleIndex, ModuleTable

QUERY_NAMES = frozenset(
    {
        "select",
        "insert",
        "update",
        "delete",
        "text",
        "func",
        "and_",
        "or_",
        "not_",
        "exists",
        "union",
        "union_all",
        "join",
        "outerjoin",
        "selectinload",
        "joinedload",
        "subqueryload",
        "contains_eager",
        "load_only",
        "aliased",
    }
)
SESSION_NAMES = frozenset({"Session", "AsyncSession", "sessionmaker", "async_sessionmaker"})
ORM_PACKAGES = ("sqlalchemy", "sqlmodel")
WEB_PACKAGES = ("fastapi", "starlette")
WEB_ALLOWED = frozenset({"fastapi.concurrency", "starlette.concurrency"})
# What each layer must not import from ORM packages, and which layers it must not import.
ORM_BANNED = {Layer.ROUTER: QUERY_NAMES | SESSION_NAMES, Layer.SERVICE: QUERY_NAMES}
LAYERS_BANNED = {
    Layer.SERVICE: frozenset({Layer.ROUTER}),
    Layer.REPOSITORY: frozenset({Layer.ROUTER, Layer.SERVICE}),
}
ADVICE = {
    Layer.ROUTER: "routers parse HTTP input and call services; build queries in repositories",
    Layer.SERVICE: "services hold business rules; raise domain errors and leave HTTP (and SQL) "
    "to routers (and repositories)",
    Layer.REPOSITORY: "repositories only persist; leave HTTP to routers",
}


def _package(module: str) -> str:
    return module.split(".", 1)[0]


class LayerContract(ProjectCheck):
    """Imports that break the router → service → repository layering.

    ## What it does
    Classifies modules by path (``routers/``, ``router.py``, ``*_router.py``; ``services/``,
    ``service.py``, ``*_service.py``; ``repositories/``, ``repository.py``, ``crud/`` ...) and
    reports, at the import statement: routers importing SQLAlchemy or SQLModel query constructs
    (``select``, ``insert``, ``text``, ``func``, loader options ...) or sessions (``Session``,
    ``AsyncSession``); services importing query constructs; services and repositories importing
    FastAPI or Starlette (``fastapi.concurrency``'s ``run_in_threadpool`` is allowed); and imports
    that point backwards: services importing routers, repositories importing services or routers.
    ``import sqlalchemy as sa`` counts when the module uses a banned name through it.

    ## Why is this bad?
    One-way layers keep HTTP handling, business rules and persistence separately testable and
    replaceable; a router that queries, or a service that raises ``HTTPException``, ties the
    layers together so none can change alone.
    """

    id = "layer-contract"
    summary = "import breaks the router/service/repository layers"
    good: ClassVar[tuple[Case, ...]] = (
        Case(
            files={
                "app/routers/orders.py": (
                    "from typing import Annotated\n\nfrom fastapi import APIRouter, Depends\n\n"
                    "from app.services.orders import OrderService\n\nrouter = APIRouter()\n"
                ),
                "app/services/orders.py": (
                    "from fastapi.concurrency import run_in_threadpool\n"
                    "from sqlalchemy.ext.asyncio import AsyncSession\n\n"
                    "from app.repositories.orders import OrderRepository\n"
                ),
                "app/repositories/orders.py": (
                    "import sqlalchemy as sa\nfrom sqlalchemy import select\n"
                    "from sqlalchemy.ext.asyncio import AsyncSession\n"
                    "\nfrom app.models import Order\n"
                ),
                "app/dependencies.py": (
                    "from fastapi import Depends\nfrom sqlalchemy.ext.asyncio import AsyncSession\n"
                ),
            },
            hits=0,
            note="each layer imports what it may; the dependency module is no layer",
        ),
        Case(
            files={
                "src/orders/router.py": (
                    "import sqlalchemy as sa\nfrom sqlalchemy.exc import IntegrityError\n\n"
                    "from src.orders import service\n\n\n"
                    "def code(e: sa.exc.SQLAlchemyError) -> int:\n"
                    "    return 1\n"
                ),
                "src/orders/service.py": "from src.orders import repository\n",
                "src/orders/repository.py": "from sqlmodel import Session, select\n",
            },
            hits=0,
            note="a by-domain layout; sqlalchemy exceptions are not query constructs",
        ),
        Case(
            files={
                "app/routes/billing/controller_invoice_service.py": (
                    "from fastapi import APIRouter, Depends, HTTPException\n\n"
                    "from app.routes.shared.routers import AdminRouter\n"
                    "from app.services.invoices import InvoiceService\n\n"
                    "router = AdminRouter(prefix='/invoice-service')\n"
                ),
                "app/routes/shared/routers.py": (
                    "from fastapi import APIRouter\n\n\nclass AdminRouter(APIRouter):\n    pass\n"
                ),
                "app/services/invoices.py": "class InvoiceService:\n    pass\n",
            },
            hits=0,
            note="a controller under routes/ named after the service it exposes is a router",
        ),
    )
    bad: ClassVar[tuple[Case, ...]] = (
        Case.bad(
            "from typing import Annotated\n\nfrom fastapi import APIRouter, Depends\n"
            "from sqlalchemy import select\nfrom sqlalchemy.ext.asyncio import AsyncSession\n\n"
            "router = APIRouter(prefix='/api/v1/orders')\n",
            hits=2,
            path="app/routers/orders.py",
            note="a router importing select and AsyncSession",
        ),
        Case(
            files={
                "app/routers/orders.py": "from fastapi import APIRouter\n\nrouter = APIRouter()\n",
                "app/services/order_service.py": (
                    "import sqlalchemy as sa\nfrom fastapi import HTTPException, status\n\n"
                    "from app.routers import orders\n\n\ndef q() -> object:\n"
                    "    return sa.select(Order)\n"
                ),
                "app/orders/repository.py": (
                    "from starlette.requests import Request\n\n"
                    "from app.services.order_service import q\n"
                ),
            },
            hits=5,
            note="a service importing fastapi, a router and sa.select; a repository importing "
            "starlette and a service",
        ),
    )

    def applies(self) -> bool:
        """Samples with at least one module in a layer."""
        return any(layer_of(module.path) is not None for module in self.project.modules)

    def run(self) -> Iterator[Hit]:
        """Check every import of every layered module."""
        index = ModuleIndex(self.project)
        layers = {module.module: layer_of(module.path) for module in self.project.modules}
        for module in self.project.modules:
            layer = layer_of(module.path)
            tree = self.project.trees.get(module.path)
            table = index.table(module.module)
            if layer is None or tree is None or table is None:
                continue
            for node in walk(tree):
                if isinstance(node, ast.Import | ast.ImportFrom):
                    problem = self._problem(node, layer, table, tree, layers)
                    if problem is not None:
                        yield Hit(module.path, span_of(node), problem)

    def _problem(
        self,
        node: ast.Import | ast.ImportFrom,
        layer: Layer,
        table: ModuleTable,
        tree: ast.Module,
        layers: dict[str, Layer | None],
    ) -> str | None:
        imported = _imported(node, table)
        web = sorted(
            name
            for name in imported
            if _package(name) in WEB_PACKAGES
            and not any(name.startswith(allowed) for allowed in WEB_ALLOWED)
        )
        if web and layer is not Layer.ROUTER:
            return f"a {layer.value} imports `{web[0]}` from the web framework; {ADVICE[layer]}"
        banned = ORM_BANNED.get(layer, frozenset())
        orm = sorted(name for name in imported if _orm_name(name, banned))
        if isinstance(node, ast.Import):
            orm += _used_through_module(node, tree, banned)
        if orm and layer is Layer.ROUTER and all(_last(name) in SESSION_NAMES for name in orm):
            return (
                f"a router imports `{orm[0]}`; inject a service built in a dependency "
                "(`Annotated[UserService, Depends(get_user_service)]`) instead of the session"
            )
        if orm:
            return f"a {layer.value} imports `{orm[0]}`; {ADVICE[layer]}"
        for name in imported:
            other = layers.get(name) or layers.get(name.rsplit(".", 1)[0])
            if other is not None and other in LAYERS_BANNED.get(layer, frozenset()):
                return (
                    f"a {layer.value} imports the {other.value} layer (`{name}`); imports point "
                    "one way: routers -> services -> repositories"
                )
        return None


def _imported(node: ast.Import | ast.ImportFrom, table: ModuleTable) -> list[str]:
    """The qualified names an import statement binds."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    names = [alias.asname or alias.name for alias in node.names if alias.name != "*"]
    return [table.imports.names[name] for name in names if name in table.imports.names]


def _last(name: str) -> str:
    return name.rsplit(".", 1)[-1]


def _orm_name(name: str, banned: frozenset[str]) -> bool:
    return _package(name) in ORM_PACKAGES and _last(name) in banned


def _used_through_module(node: ast.Import, tree: ast.Module, banned: frozenset[str]) -> list[str]:
    """``sa.select`` used in the module for ``import sqlalchemy as sa``."""
    heads = {
        alias.asname or alias.name.split(".", 1)[0]
        for alias in node.names
        if _package(alias.name) in ORM_PACKAGES
    }
    if not heads:
        return []
    used = set()
    for inner in walk(tree):
        if isinstance(inner, ast.Attribute) and inner.attr in banned:
            head = ast_dotted(inner.value)
            if head is not None and head.split(".", 1)[0] in heads:
                used.add(f"{head}.{inner.attr}")
    return sorted(used)
