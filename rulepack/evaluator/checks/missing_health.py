"""missing-health: a FastAPI project without a health-check route (project check)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import ClassVar

from rulepack.evaluator.checks.base import Case, Hit, ProjectCheck
from rulepack.evaluator.checks.common import is_health_path
from rulepack.evaluator.checks.facts import Span

FIRST_LINE = Span(1, 1, 1, 1)
# Probe segments beyond the common ones: /healthcheck, /health-check, /liveness, /heartbeat ...
PROBE_SEGMENT = re.compile(
    r"^(health[-_]?(check|checks|z|status)?|live|livez|liveness|ready|readyz|readiness"
    r"|alive|ping|heartbeat|probe)$"
)
STATUS_SEGMENTS = frozenset({"status", "", "up"})
PROBE_HANDLER = re.compile(r"health|alive|liveness|readiness|ready|ping|heartbeat|probe")
MESSAGE = (
    "no health-check route (/health, /healthz, /healthcheck, /livez, /readyz, /ping, or "
    "/status served by a probe handler); add an "
    "unauthenticated GET /health that returns {'status': 'ok'}"
)


class MissingHealth(ProjectCheck):
    """A FastAPI project without a health-check route.

    ## What it does
    Reports a sample with a FastAPI app or routes but no route whose path (full path, own path
    or router prefix) has a health segment: ``/health``, ``/healthz``, ``/livez``, ``/readyz``,
    ``/ping``, also under a prefix (``/api/v1/health``) or as a sub-path (``/health/ready``). The
    finding is placed at the first FastAPI app, else at line 1 of the first file with routes.

    ## Why is this bad?
    Orchestrators and load balancers need a cheap probe to restart a dead process and to stop
    routing traffic to an instance whose dependencies are down.
    """

    id = "missing-health"
    summary = "no health-check endpoint"
    good: ClassVar[tuple[Case, ...]] = (
        Case(
            files={
                "app/main.py": (
                    "from fastapi import FastAPI\n\nfrom app.routers import health\n\n"
                    "app = FastAPI()\napp.include_router(health.router, prefix='/healthz')\n"
                ),
                "app/routers/health.py": (
                    "from fastapi import APIRouter\n\nrouter = APIRouter()\n\n\n"
                    "@router.get('')\nasync def live() -> dict[str, str]:\n"
                    "    return {'status': 'ok'}\n"
                ),
            },
            hits=0,
            note="the health path comes from the include_router prefix in another module",
        ),
        Case.good(
            "from fastapi import APIRouter\n\nrouter = APIRouter(prefix='/api/v1')\n\n\n"
            "@router.get('/health/ready')\nasync def ready() -> dict[str, str]:\n"
            "    return {'status': 'ok'}\n",
            note="a readiness sub-path under a versioned prefix",
        ),
        Case.good(
            "def helper() -> int:\n    return 1\n",
            note="no app and no routes: the rule does not apply",
        ),
        Case.good(
            "from fastapi import APIRouter, FastAPI\n\napp = FastAPI()\n"
            "tools = APIRouter(prefix='/tools')\n\n\n"
            "@tools.get('/health-check/')\nasync def probe() -> bool:\n    return True\n",
            note="a hyphenated health-check segment",
        ),
        Case.good(
            "from fastapi import FastAPI\n\napp = FastAPI()\n\n\n"
            "@app.get('/status')\nasync def liveness() -> dict[str, str]:\n"
            "    return {'status': 'ok'}\n",
            note="/status served by a handler named as a probe",
        ),
    )
    bad: ClassVar[tuple[Case, ...]] = (
        Case.bad(
            "from fastapi import FastAPI\n\napp = FastAPI()\n\n\n"
            "@app.get('/orders/{order_id}/status')\nasync def order_status(order_id: int) -> str:\n"
            "    return 'shipped'\n",
            note="a resource's status is no health probe",
        ),
        Case.bad(
            "from fastapi import FastAPI\n\napp = FastAPI(title='Users')\n"
            "app.include_router(users_router, prefix='/api/v1')\n"
        ),
        Case(
            files={
                "app/routers/items.py": (
                    "from fastapi import APIRouter\n\nrouter = APIRouter(prefix='/items')\n\n\n"
                    "@router.get('/healthy-items')\nasync def items() -> list[str]:\n"
                    "    return []\n"
                ),
                "app/routers/users.py": (
                    "from fastapi import APIRouter\n\nrouter = APIRouter()\n\n\n"
                    "@router.get(HEALTH_PATH)\nasync def users() -> list[str]:\n    return []\n"
                ),
            },
            hits=1,
            note="routes without an app; a segment that only starts with 'health' and a "
            "computed path do not count",
        ),
    )

    def applies(self) -> bool:
        """Samples with a FastAPI app or routes."""
        return any(module.apps or module.routes for module in self.project.modules)

    def run(self) -> Iterator[Hit]:
        """Report once when no route is a health probe."""
        if any(is_health_path(path) or probe_path(path) for path in self._paths()):
            return
        if self._status_probe():
            return
        for module in self.project.modules:
            if module.apps:
                yield Hit(module.path, module.apps[0].span, MESSAGE)
                return
        for module in self.project.modules:
            if module.routes:
                yield Hit(module.path, FIRST_LINE, MESSAGE)
                return

    def _status_probe(self) -> bool:
        """A ``GET /status`` (or ``/`` alike) route whose handler is named like a probe."""
        return any(
            route.method in {"get", "api_route", "head"}
            and route.path is not None
            and _last_segment(route.path) in STATUS_SEGMENTS
            and PROBE_HANDLER.search(route.function.lower()) is not None
            for module in self.project.modules
            for route in module.routes
        )

    def _paths(self) -> Iterator[str]:
        """Every known route path: composed full paths and the decorators' own paths."""
        for resolved in self.project.routes():
            if resolved.full_path is not None:
                yield resolved.full_path
        for module in self.project.modules:
            for route in module.routes:
                if route.path is not None:
                    yield route.path


def _last_segment(path: str) -> str:
    """The last segment of a path, lower case (``""`` for ``/``)."""
    return path.rstrip("/").rsplit("/", 1)[-1].lower()


def probe_path(path: str) -> bool:
    """Whether a segment of ``path`` names a health probe (``/utils/health-check/``)."""
    return any(PROBE_SEGMENT.match(segment.lower()) for segment in path.split("/"))
