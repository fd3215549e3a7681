"""unversioned-routes: routes whose full path is not under a versioned prefix (project check)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

from rulepack.evaluator.checks.base import Case, Hit, ProjectCheck
from rulepack.evaluator.checks.common import (
    is_docs_path,
    is_health_path,
    is_test_path,
    regex_param,
)
from rulepack.evaluator.checks.facts import RouteFact

PATTERN_PARAM = "api_prefix_pattern"
DEFAULT_PATTERN = "^/api/v[0-9]+(/|$)"

_ROUTERS = (
    "from fastapi import APIRouter\n\n"
    "users = APIRouter(prefix='/users')\norders = APIRouter(prefix='/orders')\n\n\n"
    "@users.get('/{user_id}')\nasync def get_user(user_id: int) -> None:\n    pass\n\n\n"
    "@orders.get('')\nasync def list_orders() -> None:\n    pass\n"
)


class UnversionedRoutes(ProjectCheck):
    """Routes outside the versioned API prefix.

    ## What it does
    Composes every route's full path across modules (the ``APIRouter(prefix=...)``, each
    ``include_router(prefix=...)`` and ``mount(path, sub_app)`` on the way to an app, and the
    decorator path) and reports routes whose path does not match ``api_prefix_pattern`` (default
    ``^/api/v[0-9]+(/|$)``). Health probes (``/health``, ``/healthz``, ``/livez``, ``/readyz``,
    ``/ping`` and their sub-paths) and documentation paths are exempt; paths that are not literals
    are skipped, and so are routers never included anywhere when the sample includes routers the
    check cannot name.

    ## Why is this bad?
    A version in the path lets a breaking change ship as a new version while existing clients
    keep calling the old one; adding it later breaks every client at once.
    """

    id = "unversioned-routes"
    summary = "route is not under a versioned API prefix"
    params = (PATTERN_PARAM,)
    good: ClassVar[tuple[Case, ...]] = (
        Case.good(
            "from fastapi import FastAPI\n\napp = FastAPI()\n\n\n"
            "@app.get('/boom/{value}')\nasync def boom(value: int) -> int:\n    return value\n",
            path="tests/api/test_errors.py",
            note="a route a test declares to exercise error handling",
        ),
        Case(
            files={
                "app/routers/users.py": _ROUTERS,
                "app/routers/api.py": (
                    "from fastapi import APIRouter\n\nfrom app.routers import users as u\n\n"
                    "api_router = APIRouter(prefix='/api/v1')\n"
                    "api_router.include_router(u.users)\napi_router.include_router(u.orders)\n"
                ),
                "app/main.py": (
                    "from fastapi import FastAPI\n\nfrom app.routers.api import api_router\n\n"
                    "app = FastAPI()\napp.include_router(api_router)\n\n\n"
                    "@app.get('/health/ready')\nasync def ready() -> dict[str, str]:\n"
                    "    return {}\n\n\n"
                    "@app.get('/docs', include_in_schema=False)\nasync def docs() -> str:\n"
                    "    return ''\n"
                ),
            },
            hits=0,
            note="feature routers versioned by a parent router in another module",
        ),
        Case(
            files={
                "app/routers/users.py": _ROUTERS,
                "app/main.py": (
                    "from fastapi import FastAPI\n\nfrom app.routers.users import orders, users\n\n"
                    "app = FastAPI()\nv2 = FastAPI()\napp.mount('/api/v2', v2)\n"
                    "app.include_router(users, prefix='/api/v1')\n"
                    "v2.include_router(orders)\n\n\n"
                    "@app.get(PATHS['x'])\nasync def computed() -> None:\n    pass\n"
                ),
            },
            hits=0,
            note="include_router prefixes, a mounted sub-application, a computed path",
        ),
        Case(
            files={
                "app/routers/users.py": _ROUTERS,
                "app/main.py": (
                    "from fastapi import FastAPI\n\nfrom app.routers import users\n\n"
                    "app = FastAPI()\n"
                    "for router in (users.users, users.orders):\n"
                    "    app.include_router(router, prefix='/api/v1')\n"
                ),
            },
            hits=0,
            note="routers included in a loop cannot be followed; their routes are not judged",
        ),
    )
    bad: ClassVar[tuple[Case, ...]] = (
        Case(
            files={
                "app/routers/users.py": _ROUTERS,
                "app/main.py": (
                    "from fastapi import FastAPI\n\nfrom app.routers import users as u\n\n"
                    "app = FastAPI()\napp.include_router(u.users)\n"
                    "app.include_router(u.orders, prefix='/api/v1')\n\n\n"
                    "@app.get('/')\nasync def root() -> dict[str, str]:\n    return {}\n"
                ),
            },
            hits=2,
            note="a router included without a version, and a root route",
        ),
        Case(
            files={
                "app/routers/users.py": _ROUTERS,
                "app/main.py": (
                    "from fastapi import FastAPI\n\nfrom app.routers.users import orders, users\n\n"
                    "app = FastAPI()\nv1 = FastAPI()\napp.mount('/v1', v1)\n"
                    "v1.include_router(users)\napp.include_router(orders, prefix='/api/v1')\n"
                    "app.include_router(orders, prefix='/legacy')\n"
                ),
            },
            hits=2,
            note="a sub-application under a prefix the pattern rejects; a router included twice",
        ),
        Case.bad(
            "from fastapi import APIRouter\n\nrouter = APIRouter(prefix='/orders')\n\n\n"
            "@router.get('/{order_id}')\nasync def get_order(order_id: int) -> None:\n    pass\n",
            path="app/routers/orders.py",
            note="a router that is not included anywhere in the sample is judged by its own path",
        ),
    )

    def applies(self) -> bool:
        """Only samples with routes."""
        return bool(self.project.routes())

    def run(self) -> Iterator[Hit]:
        """Report each route once, with every unversioned full path it is served at."""
        pattern = regex_param(self.param_values, PATTERN_PARAM, DEFAULT_PATTERN)
        unknown_includes = self._has_unknown_includes()
        unversioned: dict[tuple[str, RouteFact], list[str]] = {}
        for resolved in self.project.routes():
            path = resolved.full_path
            if path is None or (unknown_includes and not resolved.mounted):
                continue
            if is_test_path(resolved.module_path):
                continue  # a throwaway route a test declares is not the API
            path = path or "/"
            if is_health_path(path) or is_docs_path(path) or pattern.search(path):
                continue
            paths = unversioned.setdefault((resolved.module_path, resolved.route), [])
            if path not in paths:
                paths.append(path)
        for (module_path, route), paths in unversioned.items():
            served = ", ".join(f"`{path}`" for path in paths)
            yield Hit(
                module_path,
                route.span,
                f"route `{route.function}` is served at {served}, outside a versioned prefix "
                f"matching `{pattern.pattern}`; mount its router under the API version prefix",
            )

    def _has_unknown_includes(self) -> bool:
        """Whether some ``include_router`` names a router the sample does not define."""
        known = self.project.app_names | self.project.router_names
        return any(
            include.via == "include_router" and include.router not in known
            for module in self.project.modules
            for include in module.includes
        )
