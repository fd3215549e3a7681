"""rate-limiter: login or token routes in a sample without any rate limiting (project check)."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from typing import ClassVar

from rulepack.evaluator.checks.ast_facts import walk
from rulepack.evaluator.checks.base import Case, Hit, ProjectCheck
from rulepack.evaluator.checks.common import is_test_path
from rulepack.evaluator.checks.facts import IncludeFact, ModuleFacts, RouteFact
from rulepack.evaluator.checks.sync_route_handler import is_route_owner

LIMITER_PACKAGES = (
    "slowapi",
    "fastapi_limiter",
    "limits",
    "ratelimit",
    "ratelimiter",
    "fastapi_throttle",
    "asgi_ratelimit",
    "starlette_ratelimit",
    "fastapi_ratelimiter",
    "pyrate_limiter",
)
LIMITER_NAME = re.compile(r"limiter|rate_?limit|throttl", re.IGNORECASE)
AUTH_SEGMENT = re.compile(
    r"^(login|logon|sign[-_]?in|token|access[-_]token|auth|authenticate|oauth2?|jwt"
    r"|password[-_]reset|reset[-_]password|forgot[-_]password)$",
    re.IGNORECASE,
)
AUTH_FUNCTION = re.compile(r"^(login|log_in|signin|sign_in|authenticate|issue_token|token)$")
AUTH_MODULES = frozenset({"auth", "login", "authentication", "oauth", "oauth2", "token"})


def _limiter_names(tree: ast.Module) -> bool:
    """Whether a module names a limiter (``limiter``, ``RateLimitMiddleware``, ``throttle``)."""
    for node in walk(tree):
        if isinstance(node, ast.Name):
            name = node.id
        elif isinstance(node, ast.Attribute):
            name = node.attr
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            name = node.name
        else:
            continue
        if LIMITER_NAME.search(name):
            return True
    return False


class RateLimiter(ProjectCheck):
    """Authentication routes in a sample without rate limiting.

    ## What it does
    Looks for authentication routes: a route whose path has a ``login``/``token``/``auth``/
    ``signin``/``password-reset`` segment or whose function is ``login``/``authenticate``, or
    a router included from an ``auth``/``login`` module. When the sample has one, it must
    configure a rate limiter somewhere: import slowapi, fastapi-limiter, limits or a similar
    package, or name one (``limiter``, ``@limiter.limit(...)``, a ``RateLimitMiddleware``, a
    ``throttle`` dependency). Otherwise the first authentication route is reported. Limits
    enforced by a gateway outside the code cannot be seen.

    ## Why is this bad?
    Without limits, credential stuffing and brute force can try passwords as fast as the server
    answers, and one noisy client can exhaust the service and the database behind it.
    """

    id = "rate-limiter"
    summary = "authentication routes but no rate limiter in the project"
    good: ClassVar[tuple[Case, ...]] = (
        Case.good(
            "from fastapi import FastAPI\nfrom slowapi import Limiter,"
            " _rate_limit_exceeded_handler\n"
            "from slowapi.errors import RateLimitExceeded\n"
            "from slowapi.middleware import SlowAPIMiddleware\n"
            "from slowapi.util import get_remote_address\n\n"
            "from app.routers import auth\n\n"
            "limiter = Limiter(key_func=get_remote_address, default_limits=['100/minute'])\n\n"
            "app = FastAPI()\napp.state.limiter = limiter\n"
            "app.add_exception_handler(RateLimitExceeded, _rate_limit_exceeded_handler)\n"
            "app.add_middleware(SlowAPIMiddleware)\n"
            "app.include_router(auth.router, prefix='/api/v1')\n",
            path="app/main.py",
        ),
        Case.good(
            "@router.post('/token')\n@limiter.limit('5/minute')\n"
            "async def login(request: Request, form: LoginFormDep, auth: AuthServiceDep) ->"
            " Token:\n"
            "    return await auth.issue_token(form.username, form.password)\n",
            path="app/routers/auth.py",
        ),
        Case(
            files={
                "app/core/throttling.py": (
                    "from starlette.middleware.base import BaseHTTPMiddleware\n\n\n"
                    "class RequestBudgetMiddleware(BaseHTTPMiddleware):\n"
                    "    async def dispatch(self, request, call_next):\n"
                    "        return await call_next(request)\n\n\n"
                    "def throttle_login() -> None:\n    pass\n"
                ),
                "app/main.py": (
                    "from fastapi import FastAPI\n\napp = FastAPI()\n\n\n"
                    "@app.post('/api/v1/auth/login')\nasync def login() -> None:\n    pass\n"
                ),
            },
            hits=0,
            note="a home-made throttle in another module",
        ),
        Case.good(
            "from fastapi import FastAPI\n\napp = FastAPI()\n\n\n"
            "@app.get('/items')\nasync def items() -> list[str]:\n    return []\n",
            path="app/main.py",
            note="no authentication routes",
        ),
    )
    bad: ClassVar[tuple[Case, ...]] = (
        Case.bad(
            "from fastapi import FastAPI\n\nfrom app.routers import auth, users\n\n"
            "app = FastAPI(lifespan=lifespan)\n"
            "app.include_router(auth.router, prefix='/api/v1')\n"
            "app.include_router(users.router, prefix='/api/v1')\n",
            path="app/main.py",
            note="an auth router included from another package",
        ),
        Case(
            files={
                "app/routers/users.py": (
                    "from fastapi import APIRouter\n\nrouter = APIRouter(prefix='/users')\n\n\n"
                    "@router.post('/signin')\nasync def sign_in() -> None:\n    pass\n"
                ),
                "app/main.py": (
                    "from fastapi import FastAPI\n\nfrom app.routers.users import router\n\n"
                    "app = FastAPI()\napp.include_router(router, prefix='/api/v1')\n"
                ),
            },
            hits=1,
            note="a sign-in route in a users router",
        ),
        Case.bad(
            "from fastapi import FastAPI, Request\n\napp = FastAPI()\n\n\n"
            "@app.post('/login')\nasync def login(request: Request) -> dict[str, str]:\n"
            "    return {}\n",
            path="main.py",
        ),
    )

    def applies(self) -> bool:
        """Samples with an app or routes."""
        return any(
            module.apps or any(is_route_owner(r.owner, self.project) for r in module.routes)
            for module in self.project.modules
        )

    def run(self) -> Iterator[Hit]:
        """Report the first authentication route when no limiter exists."""
        modules = [m for m in self.project.modules if not is_test_path(m.path)]
        found = next(self._auth_routes(modules), None)
        if found is None or self._has_limiter(modules):
            return
        path, fact, what = found
        yield Hit(
            path,
            fact.span,
            f"{what} authenticates users but no rate limiter is configured anywhere (slowapi "
            "`Limiter`, fastapi-limiter or a rate-limit middleware); limit login attempts",
        )

    def _auth_routes(
        self, modules: list[ModuleFacts]
    ) -> Iterator[tuple[str, RouteFact | IncludeFact, str]]:
        for module in modules:
            for route in module.routes:
                segments = (route.path or "").strip("/").split("/")
                if is_route_owner(route.owner, self.project) and (
                    any(AUTH_SEGMENT.match(segment) for segment in segments)
                    or AUTH_FUNCTION.match(route.function)
                ):
                    yield module.path, route, f"route `{route.function}` ({route.path})"
            for include in module.includes:
                parts = include.router.split(".")
                if include.via == "include_router" and AUTH_MODULES & set(parts[:-1]):
                    yield module.path, include, f"the included router `{include.router}`"

    def _has_limiter(self, modules: list[ModuleFacts]) -> bool:
        for module in modules:
            if any(
                name.split(".", 1)[0] in LIMITER_PACKAGES or LIMITER_NAME.search(name)
                for name in module.imported
            ):
                return True
            tree = self.project.trees.get(module.path)
            if tree is not None and _limiter_names(tree):
                return True
        return False
