"""sync-route-handler: route handlers declared ``def`` instead of ``async def``."""

from __future__ import annotations

from typing import ClassVar

import libcst as cst

from rulepack.evaluator.checks.base import Case, ModuleCheck, ProjectFacts
from rulepack.evaluator.checks.facts import ModuleFacts, route_call


def is_route_owner(name: str, project: ProjectFacts) -> bool:
    """Whether ``name`` is a FastAPI app or router: known from facts, else by its usual names."""
    if name in project.app_names or name in project.router_names:
        return True
    last = name.rsplit(".", 1)[-1]
    return last in {"app", "router", "api_router"} or last.endswith(("_router", "_app"))


class SyncRouteHandler(ModuleCheck):
    """Route handlers declared ``def`` instead of ``async def``.

    ## What it does
    Finds route handlers declared with ``def`` on a FastAPI app or ``APIRouter``.

    ## Why is this bad?
    FastAPI runs ``def`` handlers in a thread pool of limited size; the pack asks for ``async def``
    handlers that await non-blocking I/O, with blocking work moved off the event loop explicitly.
    """

    id = "sync-route-handler"
    summary = "route handler is declared `def`; declare it `async def`"
    good: ClassVar[tuple[Case, ...]] = (
        Case.good(
            "from fastapi import APIRouter\n\nrouter = APIRouter()\n\n\n"
            "@router.get('/items')\nasync def list_items() -> list[str]:\n    return []\n"
        ),
        Case.good(
            "def helper() -> int:\n    return 1\n",
            note="a plain function is not a route",
        ),
        Case.good(
            "import functools\n\n\n@functools.lru_cache\ndef settings() -> int:\n    return 1\n",
            note="other decorators are not routes",
        ),
    )
    bad: ClassVar[tuple[Case, ...]] = (
        Case.bad(
            "from fastapi import FastAPI\n\napp = FastAPI()\n\n\n"
            "@app.get('/health')\ndef health() -> dict[str, str]:\n    return {}\n"
        ),
        Case(
            files={
                "app/api.py": "from fastapi import APIRouter\n\nv1 = APIRouter(prefix='/v1')\n",
                "app/users.py": (
                    "from app.api import v1 as api\n\n\n"
                    "@api.post('/users', status_code=201)\ndef create() -> None:\n    pass\n"
                ),
            },
            hits=1,
            note="a router imported under another name from another module",
        ),
    )

    @classmethod
    def applies(cls, facts: ModuleFacts, project: ProjectFacts) -> bool:
        """Only modules with route handlers."""
        return any(is_route_owner(route.owner, project) for route in facts.routes)

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        """Report ``def`` functions decorated as routes."""
        if node.asynchronous is not None:
            return
        for decorator in node.decorators:
            found = route_call(decorator)
            if found is None:
                continue
            owner = self.qualified(found[0])
            if owner is not None and is_route_owner(owner, self.context.project):
                self.report(
                    node.name, f"route handler `{node.name.value}` is `def`; make it `async def`"
                )
                return
