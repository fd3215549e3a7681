"""fire-and-forget-in-route: tasks and threads a route starts and never waits for."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

import libcst as cst

from rulepack.evaluator.checks.base import Case, ModuleContext
from rulepack.evaluator.checks.imports import dotted
from rulepack.evaluator.checks.routes.handlers import Handler, RouteCheck

TASK_FUNCTIONS = frozenset({"asyncio.create_task", "asyncio.ensure_future"})
LOOP_GETTERS = frozenset({"asyncio.get_event_loop", "asyncio.get_running_loop"})
THREADS = frozenset({"threading.Thread", "threading.Timer"})
LOOP_METHODS = frozenset({"create_task", "run_in_executor"})


@dataclass
class _Started:
    """A task or thread started in a handler, and the name it was bound to."""

    node: cst.Call
    what: str
    name: str | None


@dataclass
class _HandlerState:
    started: list[_Started] = field(default_factory=list)
    awaited: set[str] = field(default_factory=set)  # names used inside ``await``
    joined: set[str] = field(default_factory=set)  # names whose ``.join()`` is called


class FireAndForgetInRoute(RouteCheck):
    """Tasks and threads started by a route and left running after it returns.

    ## What it does
    In a route handler's body, finds ``asyncio.create_task()``/``ensure_future()``,
    ``loop.create_task()`` and ``loop.run_in_executor()`` whose result is not awaited (directly,
    through ``asyncio.gather``/``wait``, or later through the name it was bound to), and
    ``threading.Thread``/``Timer`` objects started and never joined. ``TaskGroup.create_task`` is
    structured concurrency and is not reported.

    ## Why is this bad?
    Work left running after the response can be garbage-collected mid-flight, loses its errors
    and dies with the worker; ``BackgroundTasks`` runs it after the response under FastAPI's
    control, and a task queue (arq, Celery) keeps long or must-not-lose jobs.
    """

    id = "fire-and-forget-in-route"
    summary = "route starts a task or thread it never awaits; use BackgroundTasks"
    good: ClassVar[tuple[Case, ...]] = (
        Case.good(
            "from fastapi import APIRouter, BackgroundTasks, status\n\n"
            "router = APIRouter(prefix='/api/v1/users', tags=['users'])\n\n\n"
            "@router.post('/', status_code=status.HTTP_201_CREATED)\n"
            "async def register_user(\n    payload: UserCreate, background_tasks: BackgroundTasks,"
            " service: UserServiceDep\n) -> UserRead:\n"
            "    user = await service.register(payload)\n"
            "    background_tasks.add_task(send_welcome_email, user.email)\n    return user\n"
        ),
        Case.good(
            "import asyncio\nimport threading\n\nfrom fastapi import FastAPI\n\napp = FastAPI()\n"
            "\n\n@app.get('/report')\nasync def report() -> list[int]:\n"
            "    first = asyncio.create_task(load(1))\n"
            "    rest = [asyncio.ensure_future(load(n)) for n in range(3)]\n"
            "    loop = asyncio.get_running_loop()\n"
            "    value = await loop.run_in_executor(None, compute)\n"
            "    both = await asyncio.gather(asyncio.create_task(load(2)), first, *rest)\n"
            "    worker = threading.Thread(target=compute)\n    worker.start()\n    worker.join()\n"
            "    async with asyncio.TaskGroup() as tg:\n        tg.create_task(load(4))\n"
            "    return [value, *both]\n\n\n"
            "def schedule() -> None:\n    asyncio.create_task(load(5))\n",
            note="awaited tasks, gathered lists, a joined thread, a TaskGroup, a plain function",
        ),
    )
    bad: ClassVar[tuple[Case, ...]] = (
        Case.bad(
            "import asyncio\n\nfrom fastapi import APIRouter, status\n\n"
            "router = APIRouter(prefix='/api/v1/users', tags=['users'])\n\n\n"
            "@router.post('/', status_code=status.HTTP_201_CREATED)\n"
            "async def register_user(payload: UserCreate, service: UserServiceDep) -> UserRead:\n"
            "    user = await service.register(payload)\n"
            "    asyncio.create_task(send_welcome_email(user.email))\n    return user\n"
        ),
        Case.bad(
            "import asyncio as aio\nfrom asyncio import ensure_future\n"
            "from threading import Thread\n\nfrom fastapi import FastAPI\n\napp = FastAPI()\n\n\n"
            "class Views:\n    @app.post('/checkout')\n    async def checkout(self) -> None:\n"
            "        task = aio.create_task(notify())\n        pending.add(task)\n"
            "        ensure_future(audit())\n"
            "        Thread(target=send_email, args=('ops',)).start()\n"
            "        aio.get_running_loop().run_in_executor(None, slow)\n",
            hits=4,
            note="aliases, a stored task, a started thread, an unawaited executor job in a view",
        ),
    )

    def __init__(self, context: ModuleContext) -> None:
        """Start with no handler state."""
        super().__init__(context)
        self._states: dict[Handler, _HandlerState] = {}
        self._await_depth = 0
        self._targets: list[str | None] = []

    def enter_handler(self, handler: Handler) -> None:
        """Start tracking the handler's tasks."""
        self._states[handler] = _HandlerState()

    def visit_Await(self, node: cst.Await) -> None:
        """Inside ``await``: tasks are waited for."""
        del node
        self._await_depth += 1

    def leave_Await(self, original_node: cst.Await) -> None:
        """Leave the ``await``."""
        del original_node
        self._await_depth -= 1

    def visit_Assign(self, node: cst.Assign) -> None:
        """Remember the name a value is bound to."""
        target = node.targets[0].target if len(node.targets) == 1 else None
        self._targets.append(target.value if isinstance(target, cst.Name) else None)

    def leave_Assign(self, original_node: cst.Assign) -> None:
        """Forget the bound name."""
        del original_node
        self._targets.pop()

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        """Remember the name an annotated value is bound to."""
        self._targets.append(node.target.value if isinstance(node.target, cst.Name) else None)

    def leave_AnnAssign(self, original_node: cst.AnnAssign) -> None:
        """Forget the bound name."""
        del original_node
        self._targets.pop()

    def visit_Name(self, node: cst.Name) -> None:
        """Names used inside ``await`` count as awaited."""
        state = self._state()
        if state is not None and self._await_depth:
            state.awaited.add(node.value)

    def visit_Call(self, node: cst.Call) -> None:
        """Record task and thread starts, and ``.join()`` calls."""
        state = self._state()
        if state is None:
            return
        func = node.func
        if isinstance(func, cst.Attribute) and func.attr.value == "join":
            name = dotted(func.value)
            if name is not None:
                state.joined.add(name)
        what = self._starts(func)
        if what is not None and not self._await_depth:
            name = self._targets[-1] if self._targets else None
            state.started.append(_Started(node, what, name))

    def leave_handler(self, handler: Handler) -> None:
        """Report starts whose result is never awaited or joined."""
        state = self._states.pop(handler)
        for started in state.started:
            if started.name is not None and started.name in state.awaited | state.joined:
                continue
            self.report(
                started.node,
                f"route `{handler.name}` starts {started.what} and does not wait for it; use a "
                "`BackgroundTasks` parameter (`background_tasks.add_task(...)`) or a task queue",
            )

    def _state(self) -> _HandlerState | None:
        handler = self.handler
        return self._states.get(handler) if handler is not None else None

    def _starts(self, func: cst.BaseExpression) -> str | None:
        qualified = self.qualified(func)
        if qualified in TASK_FUNCTIONS:
            return f"a task with `{qualified.rsplit('.', 1)[-1]}()`"
        if qualified in THREADS:
            return "a thread"
        method = func.attr.value if isinstance(func, cst.Attribute) else None
        if isinstance(func, cst.Attribute) and method in LOOP_METHODS and self._is_loop(func.value):
            return f"`loop.{method}()`"
        return None

    def _is_loop(self, receiver: cst.BaseExpression) -> bool:
        if isinstance(receiver, cst.Call):
            return self.qualified(receiver.func) in LOOP_GETTERS
        name = dotted(receiver)
        return name is not None and name.rsplit(".", 1)[-1].endswith("loop")
