"""router-organization: routes on an app outside its module; routers without prefix or tags."""

from __future__ import annotations

import ast
from dataclasses import dataclass
from typing import ClassVar

import libcst as cst
from libcst.metadata import PositionProvider

from rulepack.evaluator.checks.base import Case, Hit, ModuleContext
from rulepack.evaluator.checks.common import is_docs_path, is_health_path
from rulepack.evaluator.checks.facts import FASTAPI_ROUTER, Span, keyword
from rulepack.evaluator.checks.imports import ImportMap
from rulepack.evaluator.checks.missing_health import probe_path
from rulepack.evaluator.checks.routes.handlers import Handler, RouteCheck
from rulepack.evaluator.checks.routes.sample import keyword_value

APP_NAMES = frozenset({"app", "application", "api_app"})


@dataclass
class _Router:
    """An ``APIRouter(...)`` assigned at module level."""

    name: str
    call: cst.Call
    routes: int = 0
    tagged: int = 0
    service: int = 0  # health and docs routes


class RouterOrganization(RouteCheck):
    """Routes not grouped in prefixed, tagged routers.

    ## What it does
    Finds route decorators on a FastAPI app in a module other than the one that creates the app
    (an app of the sample, or an imported name such as ``app`` when the sample does not define
    it), and ``APIRouter(...)`` calls in a module that declares routes on them without
    ``prefix=`` or ``tags=``. A prefix or tags given where the router is mounted
    (``include_router(router, prefix=..., tags=...)``) count, tags on every route count, and
    routers serving only health or docs paths need no prefix.

    ## Why is this bad?
    A prefix and tags set on the router keep a feature's paths and OpenAPI grouping beside its
    routes, and ``main.py`` stays a short list of ``include_router`` calls instead of growing with
    every feature.
    """

    id = "router-organization"
    summary = "routes not organised in a prefixed, tagged `APIRouter` per feature"
    good: ClassVar[tuple[Case, ...]] = (
        Case.good(
            "from fastapi import APIRouter\n\n"
            "router = APIRouter(prefix='/api/v1/orders', tags=['orders'])\n\n\n"
            "@router.get('/{order_id}')\nasync def get_order(order_id: int) -> OrderRead:\n"
            "    return await service.get_order(order_id)\n",
            path="app/routers/orders.py",
        ),
        Case(
            files={
                "app/main.py": (
                    "from fastapi import FastAPI\n\nfrom app.routers import health, items, users\n"
                    "\napp = FastAPI()\n"
                    "app.include_router(users.router, prefix='/api/v1/users', tags=['users'])\n"
                    "app.include_router(items.router, prefix='/api/v1/items')\n"
                    "app.include_router(health.router)\n\n\n"
                    "@app.get('/')\nasync def root() -> dict:\n    return {}\n"
                ),
                "app/routers/users.py": (
                    "from fastapi import APIRouter\n\nrouter = APIRouter()\n\n\n"
                    "@router.get('/{user_id}')\nasync def user(user_id: int) -> None:\n    pass\n"
                ),
                "app/routers/items.py": (
                    "from fastapi import APIRouter\n\nrouter = APIRouter()\n\n\n"
                    "@router.get('', tags=['items'])\nasync def items() -> None:\n    pass\n"
                ),
                "app/routers/health.py": (
                    "from fastapi import APIRouter\n\nrouter = APIRouter()\n\n\n"
                    "@router.get('/health')\nasync def health() -> None:\n    pass\n"
                ),
                "app/routers/api.py": (
                    "from fastapi import APIRouter\n\napi_router = APIRouter(prefix='/api/v1')\n"
                ),
            },
            hits=0,
            note="prefix and tags at include time, tags per route, a health router, an "
            "aggregating router without routes, a root route in the app's own module",
        ),
        Case(
            files={
                "shop/routes/__init__.py": (
                    "from fastapi import APIRouter\n\nfrom . import carts, wishes\n\n"
                    "router = APIRouter(prefix='/shop')\n"
                    "router.include_router(carts.router, tags=['carts'])\n"
                    "router.include_router(wishes.router, prefix='/wishes', tags=['wishes'])\n\n\n"
                    "@router.get('/healthcheck')\nasync def alive() -> bool:\n    return True\n"
                ),
                "shop/routes/carts.py": (
                    "from fastapi import APIRouter\n\nrouter = APIRouter(prefix='/carts')\n\n\n"
                    "@router.get('')\nasync def carts() -> list[str]:\n    return []\n"
                ),
                "shop/routes/wishes.py": (
                    "from fastapi import APIRouter\n\nrouter = APIRouter()\n\n\n"
                    "@router.get('')\nasync def wishes() -> list[str]:\n    return []\n"
                ),
                "shop/chat.py": (
                    "from slack_bolt import App\n\napp = App()\n\n\n"
                    "@app.options('pick')\ndef pick(ack: object) -> None:\n    pass\n"
                ),
                "shop/listeners.py": (
                    "from shop.chat import app\n\n\n"
                    "@app.options('team')\ndef team(ack: object) -> None:\n    pass\n"
                ),
            },
            hits=0,
            note="prefix and tags given where a package's __init__ includes its routers "
            "(`from . import ...`), an aggregator router with only a health check, and another "
            "library's `app`",
        ),
        Case(
            files={
                "web/auth/login.py": (
                    "from fastapi import APIRouter\n\nrouter = APIRouter()\n\n\n"
                    "@router.post('/login')\nasync def login() -> None:\n    pass\n"
                ),
                "web/auth/__init__.py": (
                    "from fastapi import APIRouter\n\nfrom web.auth.login import router as login\n"
                    "\n"
                    "router = APIRouter(prefix='/auth')\nrouter.include_router(login)\n"
                ),
                "web/api.py": (
                    "from fastapi import APIRouter\n\nfrom web import auth\n\n"
                    "api = APIRouter(prefix='/api/v1')\n"
                    "api.include_router(auth.router, tags=['auth'])\n"
                ),
            },
            hits=0,
            note="the prefix on the package's aggregator router, the tags where that one is "
            "included",
        ),
        Case(
            files={
                "admin/pages.py": (
                    "from fastapi import APIRouter\n\nrouter = APIRouter()\n\n\n"
                    "@router.get('/')\nasync def home() -> str:\n    return ''\n"
                ),
                "admin/__init__.py": (
                    "from fastapi import FastAPI\n\nfrom admin.pages import router as pages\n\n"
                    "app = FastAPI(openapi_url=None, docs_url=None)\n"
                    "app.include_router(pages, prefix='/pages')\n"
                ),
            },
            hits=0,
            note="an app without an OpenAPI schema: tags would document nothing",
        ),
    )
    bad: ClassVar[tuple[Case, ...]] = (
        Case.bad(
            "from typing import Annotated\n\nfrom fastapi import Depends\n\n"
            "from app.main import app\n\n\n"
            "@app.get('/api/v1/orders/{order_id}')\n"
            "async def get_order(order_id: int) -> OrderRead:\n"
            "    return await service.get_order(order_id)\n",
            path="app/routers/orders.py",
            note="an app imported from a module outside the sample",
        ),
        Case(
            files={
                "app/main.py": "import fastapi\n\napplication = fastapi.FastAPI()\n",
                "app/routers/orders.py": (
                    "from fastapi import APIRouter\n\nfrom app import main\n\n"
                    "router = APIRouter(tags=['orders'])\n"
                    "admin = APIRouter(prefix='/admin/orders')\n\n\n"
                    "@router.get('/orders')\nasync def orders() -> None:\n    pass\n\n\n"
                    "@admin.delete('/{order_id}', status_code=204)\n"
                    "async def purge(order_id: int) -> None:\n    pass\n\n\n"
                    "@main.application.post('/orders', status_code=201)\n"
                    "async def create() -> None:\n    pass\n"
                ),
            },
            hits=3,
            note="a router without prefix, one without tags, the sample's app used elsewhere",
        ),
    )

    def __init__(self, context: ModuleContext) -> None:
        """Start with no routers seen."""
        super().__init__(context)
        self._routers: dict[str, _Router] = {}

    def visit_Assign(self, node: cst.Assign) -> None:
        """Remember module-level ``APIRouter(...)`` assignments."""
        if self._frames or not isinstance(node.value, cst.Call) or len(node.targets) != 1:
            return
        target = node.targets[0].target
        if isinstance(target, cst.Name) and self.qualified(node.value.func) in FASTAPI_ROUTER:
            name = f"{self.context.imports.module}.{target.value}"
            self._routers[name] = _Router(name, node.value)

    def enter_handler(self, handler: Handler) -> None:
        """Report routes on a foreign app; count each router's routes and tags."""
        for route in handler.routes:
            router = self._routers.get(route.owner)
            if router is not None:
                router.routes += 1
                router.tagged += route.keyword("tags") is not None
                router.service += route.path is not None and (
                    is_health_path(route.path) or probe_path(route.path) or is_docs_path(route.path)
                )
            elif self._foreign_app(route.owner):
                self.report(
                    route.call,
                    f"route `{handler.name}` is declared on the app `{route.owner}` outside the "
                    "module that creates it; declare it on the feature's `APIRouter` and mount "
                    "that with `app.include_router(...)`",
                )

    def leave_Module(self, original_node: cst.Module) -> None:
        """Report routers with routes but no prefix or tags."""
        del original_node
        for router in self._routers.values():
            if router.routes and router.service < router.routes:
                self._check_router(router)

    def _foreign_app(self, owner: str) -> bool:
        module = owner.rpartition(".")[0]
        if module == self.context.imports.module:
            return False
        if owner in self.context.project.app_names:
            return True
        known = self.context.project.router_names
        return owner not in known and owner.rsplit(".", 1)[-1] in APP_NAMES

    @staticmethod
    def _no_openapi(chain: list[tuple[str, ast.Call, ImportMap]]) -> bool:
        """Whether the router reaches only apps with ``openapi_url=None``: tags have no effect."""
        apps = [call for kind, call, _ in chain if kind == "app"]
        return bool(apps) and all(
            isinstance(url := keyword_value(call, "openapi_url"), ast.Constant)
            and url.value is None
            for call in apps
        )

    def _aggregator_prefix(self, owner: str) -> bool:
        """Whether ``owner`` is a router with a prefix and no routes of its own.

        A package's ``__init__.py`` often creates ``router = APIRouter(prefix="/auth")`` that only
        includes the package's routers: its prefix is theirs.
        """
        if any(route.owner == owner for m in self.context.project.modules for route in m.routes):
            return False
        found = self.index.assigned_call(owner)
        return found is not None and keyword_value(found[0], "prefix") is not None

    def _check_router(self, router: _Router) -> None:
        direct = self.index.includes_of(router.name)
        includes = [c for f, p in direct if (c := self.index.include_call(f, p)) is not None]
        prefix = (
            keyword(router.call, "prefix") is not None
            or any(keyword_value(call, "prefix") is not None for call in includes)
            or any(self._aggregator_prefix(include.owner) for include, _ in direct)
        )
        chain = self.index.mount_calls(router.name)
        tags = (
            self._no_openapi(chain)
            or keyword(router.call, "tags") is not None
            or router.tagged == router.routes
            or any(
                kind != "app" and keyword_value(call, "tags") is not None for kind, call, _ in chain
            )
        )
        missing = [word for word, given in (("prefix=", prefix), ("tags=", tags)) if not given]
        if not missing:
            return
        message = (
            f"`{router.name.rsplit('.', 1)[-1]} = APIRouter(...)` has routes but no "
            f"{' or '.join(f'`{m}`' for m in missing)} (here or where it is included); give "
            "each feature router its path prefix and OpenAPI tags"
        )
        if not direct and self._dynamic_includes():
            # Mounted by code the check cannot follow (a plugin loader's computed include).
            span = Span.of(self.get_metadata(PositionProvider, router.call))
            message += "; it is never included by name: check where it is mounted"
            self.hits.append(Hit(self.context.path, span, message, advisory=True))
            return
        self.report(router.call, message)

    def _dynamic_includes(self) -> bool:
        """Whether some ``include_router`` of the sample names a router it does not define."""
        project = self.context.project
        known = project.app_names | project.router_names
        return any(
            include.via == "include_router" and include.router not in known
            for module in project.modules
            for include in module.includes
        )
