"""request-id: a FastAPI app without a request-ID middleware (project check)."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from typing import ClassVar

from rulepack.evaluator.checks.ast_facts import walk
from rulepack.evaluator.checks.base import Case, Hit, ProjectCheck
from rulepack.evaluator.checks.project.support import (
    app_code,
    app_sites,
    is_test_path,
    string_constants,
)

REQUEST_ID_PACKAGES = (
    "asgi_correlation_id",
    "starlette_context",
    "fastapi_request_id",
    "opentelemetry.instrumentation.fastapi",
    "opentelemetry.instrumentation.asgi",
)
HEADER = re.compile(r"^x-(request|correlation|trace)-?id$", re.IGNORECASE)
# A correlation ID the project's own middleware sets and binds to its logs (``CorrelationID``,
# ``bind_contextvars(correlation_id=...)``): request tracking under its usual other name.
CORRELATION = re.compile(r"correlation_?id", re.IGNORECASE)

_MAIN = (
    "from fastapi import FastAPI\n\nfrom app.core.lifespan import lifespan\n"
    "from app.routers import health, users\n\napp = FastAPI(lifespan=lifespan)\n"
    "app.include_router(health.router)\napp.include_router(users.router, prefix='/api/v1')\n"
)


def _names_correlation_id(tree: ast.Module) -> bool:
    """Whether a module names a correlation ID (a class, variable, attribute or keyword)."""
    for node in walk(tree):
        if isinstance(node, ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            name: str | None = node.name
        elif isinstance(node, ast.Name):
            name = node.id
        elif isinstance(node, ast.Attribute):
            name = node.attr
        elif isinstance(node, ast.keyword):
            name = node.arg
        else:
            continue
        if name is not None and CORRELATION.search(name):
            return True
    return False


class RequestId(ProjectCheck):
    """A FastAPI app without request-ID tracking.

    ## What it does
    Reports an app (once, at the ``FastAPI()`` call) when no module outside the tests imports a
    request-ID package (``asgi_correlation_id``, ``starlette_context``, ``fastapi_request_id``,
    OpenTelemetry's FastAPI or ASGI instrumentation) and none names an ``X-Request-ID``,
    ``X-Correlation-ID`` or ``X-Trace-ID`` header in a string (as a middleware that reads or sets
    it does). It cannot tell whether such a middleware is registered, so it reports nothing when
    one exists anywhere.

    ## Why is this bad?
    A request ID ties together every log line of one request across services and lets a user
    report an error by an ID the logs can be searched for.
    """

    id = "request-id"
    summary = "no request-ID middleware"
    good: ClassVar[tuple[Case, ...]] = (
        Case.good(
            "from asgi_correlation_id import CorrelationIdMiddleware as Cid\n"
            + _MAIN
            + "app.add_middleware(Cid, header_name='X-Request-ID')\n",
            path="app/main.py",
        ),
        Case(
            files={
                "app/main.py": "from app.core.request_id import RequestIdMiddleware\n"
                + _MAIN
                + "app.add_middleware(RequestIdMiddleware)\n",
                "app/core/request_id.py": (
                    "import uuid\n\nfrom starlette.middleware.base import BaseHTTPMiddleware\n\n"
                    "HEADER = 'x-request-id'\n\n\nclass RequestIdMiddleware(BaseHTTPMiddleware):\n"
                    "    async def dispatch(self, request, call_next):\n"
                    "        request_id = request.headers.get(HEADER) or uuid.uuid4().hex\n"
                    "        response = await call_next(request)\n"
                    "        response.headers[HEADER] = request_id\n        return response\n"
                ),
            },
            hits=0,
            note="a middleware of the project's own in another module",
        ),
        Case(
            files={
                "app/main.py": "from app.core.tracking import TrackingMiddleware\n"
                + _MAIN
                + "app.add_middleware(TrackingMiddleware)\n",
                "app/core/tracking.py": (
                    "import uuid\n\nimport structlog\n\n\nclass TrackingMiddleware:\n"
                    "    def __init__(self, app):\n        self.app = app\n\n"
                    "    async def __call__(self, scope, receive, send):\n"
                    "        bind = structlog.contextvars.bind_contextvars\n"
                    "        bind(correlation_id=uuid.uuid4().hex)\n"
                    "        await self.app(scope, receive, send)\n"
                ),
            },
            hits=0,
            note="an own ASGI middleware that binds a correlation ID to every log line",
        ),
        Case.good(
            "from fastapi import APIRouter\n\nrouter = APIRouter()\n",
            path="app/routers/users.py",
            note="no app in the sample",
        ),
        Case.good(
            "from asgi_correlation_id import CorrelationIdMiddleware\nimport fastapi\n\n\n"
            "def create_app() -> fastapi.FastAPI:\n    application = fastapi.FastAPI()\n"
            "    application.add_middleware(CorrelationIdMiddleware)\n    return application\n",
            path="app/main.py",
            note="an app factory with the middleware",
        ),
    )
    bad: ClassVar[tuple[Case, ...]] = (
        Case.bad(_MAIN, path="app/main.py"),
        Case.bad(
            "from fastapi import FastAPI\n\n\ndef get_application() -> FastAPI:\n"
            "    application = FastAPI(title='API')\n    return application\n\n\n"
            "app = get_application()\n",
            path="app/main.py",
            note="an app built in a factory function",
        ),
        Case(
            files={
                "app/main.py": _MAIN,
                "tests/test_ids.py": "HEADER = 'X-Request-ID'\n",
                "app/core/logging.py": "FORMAT = '%(request_id)s %(message)s'\n",
            },
            hits=1,
            note="a header named only in the tests; a log format is not a middleware",
        ),
    )

    def applies(self) -> bool:
        """Samples with a FastAPI app outside the tests (module level or in a factory)."""
        return bool(app_sites(self.project))

    def run(self) -> Iterator[Hit]:
        """Report once, at the first app, when nothing tracks request IDs."""
        if self._tracked():
            return
        path, span = app_sites(self.project)[0]
        yield Hit(
            path,
            span,
            "no request-ID middleware: add asgi_correlation_id's CorrelationIdMiddleware or one "
            "that reuses an incoming X-Request-ID or generates one, logs it and returns it",
        )

    def _tracked(self) -> bool:
        for module in self.project.modules:
            if is_test_path(module.path):
                continue
            if any(name.startswith(REQUEST_ID_PACKAGES) for name in module.imported):
                return True
        return any(
            HEADER.match(value)
            for _, tree in app_code(self.project)
            for value in string_constants(tree)
        ) or any(_names_correlation_id(tree) for _, tree in app_code(self.project))
