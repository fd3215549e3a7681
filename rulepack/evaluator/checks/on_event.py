"""on-event: startup and shutdown code registered with ``on_event`` instead of a lifespan."""

from __future__ import annotations

from typing import ClassVar

import libcst as cst

from rulepack.evaluator.checks.base import Case, ModuleCheck, ProjectFacts
from rulepack.evaluator.checks.common import FRAMEWORK_APPS, FRAMEWORK_ROUTERS, is_web_module
from rulepack.evaluator.checks.facts import ModuleFacts, positional, string_value
from rulepack.evaluator.checks.sync_route_handler import is_route_owner

LIFECYCLE_EVENTS = frozenset({"startup", "shutdown"})
LIFECYCLE_KEYWORDS = frozenset({"on_startup", "on_shutdown"})
ADVICE = "use a lifespan context manager passed as FastAPI(lifespan=...)"


def is_empty(node: cst.BaseExpression) -> bool:
    """Whether ``node`` is ``None`` or an empty list or tuple literal."""
    if isinstance(node, cst.Name):
        return node.value == "None"
    return isinstance(node, cst.List | cst.Tuple) and not node.elements


class OnEvent(ModuleCheck):
    """Startup and shutdown handlers registered with ``on_event``.

    ## What it does
    Finds startup and shutdown handlers registered the deprecated way: ``@app.on_event(...)`` or
    ``@router.on_event(...)``, ``app.add_event_handler(...)``, and ``FastAPI(on_startup=...,
    on_shutdown=...)`` (also on ``APIRouter`` and ``Starlette``).

    ## Why is this bad?
    ``on_event`` handlers are deprecated in FastAPI and Starlette and are ignored once a lifespan
    is set; a lifespan keeps each resource's setup and teardown in one function.
    """

    id = "on-event"
    summary = "startup/shutdown via on_event; use a lifespan handler"
    good: ClassVar[tuple[Case, ...]] = (
        Case.good(
            "from collections.abc import AsyncIterator\n"
            "from contextlib import asynccontextmanager\n\nfrom fastapi import FastAPI\n\n\n"
            "@asynccontextmanager\nasync def lifespan(app: FastAPI) -> AsyncIterator[None]:\n"
            "    yield\n\n\napp = FastAPI(lifespan=lifespan, on_startup=None)\n"
        ),
        Case.good(
            "from fastapi import FastAPI\n\nfrom app.events import bus\n\n"
            "app = FastAPI()\n\n\n"
            "@bus.on_event('order_created')\nasync def notify() -> None:\n    pass\n\n\n"
            "bus.add_event_handler('order_paid', notify)\n",
            note="an event bus's on_event is not the app's",
        ),
    )
    bad: ClassVar[tuple[Case, ...]] = (
        Case.bad(
            "from fastapi import FastAPI\n\napp = FastAPI()\n\n\n"
            "@app.on_event('startup')\nasync def connect() -> None:\n    pass\n"
        ),
        Case(
            files={
                "app/main.py": "from fastapi import FastAPI\n\napplication = FastAPI()\n",
                "app/events.py": (
                    "from app.main import application as api\n\n\n"
                    "async def close() -> None:\n    pass\n\n\n"
                    "api.add_event_handler('shutdown', close)\n"
                ),
            },
            hits=1,
            note="an app imported under another name from another module",
        ),
        Case.bad(
            "from fastapi import APIRouter, FastAPI\n\n"
            "app = FastAPI(on_startup=[connect], on_shutdown=[disconnect])\n"
            "users_router = APIRouter(on_startup=[warm_cache])\n\n\n"
            "@users_router.on_event('shutdown')\nasync def flush() -> None:\n    pass\n",
            hits=4,
            note="constructor arguments on an app and a router, and router.on_event",
        ),
    )

    @classmethod
    def applies(cls, facts: ModuleFacts, project: ProjectFacts) -> bool:
        """Modules that use FastAPI or Starlette."""
        return is_web_module(facts, project)

    def visit_Decorator(self, node: cst.Decorator) -> None:
        """Report ``@app.on_event(...)`` and ``@router.on_event(...)``."""
        call = node.decorator
        if not isinstance(call, cst.Call) or not isinstance(call.func, cst.Attribute):
            return
        if call.func.attr.value == "on_event" and self._is_owner(call.func.value, call):
            self.report(node, f"`on_event` handlers are deprecated; {ADVICE}")

    def visit_Call(self, node: cst.Call) -> None:
        """Report ``add_event_handler(...)`` and ``on_startup=``/``on_shutdown=`` arguments."""
        if isinstance(node.func, cst.Attribute) and node.func.attr.value == "add_event_handler":
            if self._is_owner(node.func.value, node):
                self.report(node, f"`add_event_handler` is deprecated; {ADVICE}")
            return
        if self.qualified(node.func) not in FRAMEWORK_APPS | FRAMEWORK_ROUTERS:
            return
        for argument in node.args:
            name = argument.keyword.value if argument.keyword is not None else None
            if name in LIFECYCLE_KEYWORDS and not is_empty(argument.value):
                self.report(argument, f"`{name}=` is deprecated; {ADVICE}")

    def _is_owner(self, owner: cst.BaseExpression, call: cst.Call) -> bool:
        """An app or router, or any object given a ``"startup"``/``"shutdown"`` event."""
        if string_value(positional(call, 0)) in LIFECYCLE_EVENTS:
            return True
        name = self.qualified(owner)
        return name is not None and is_route_owner(name, self.context.project)
