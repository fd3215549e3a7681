"""nested-callbacks: ``add_done_callback``, ``loop.call_soon`` and callback arguments."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

import libcst as cst

from rulepack.evaluator.checks.base import Case, ModuleCheck, ModuleContext

SCHEDULERS = frozenset({"call_soon", "call_later", "call_at"})
CALLBACK_KEYWORDS = frozenset(
    {
        "callback",
        "done_callback",
        "completion_callback",
        "on_done",
        "on_complete",
        "on_completion",
        "on_success",
        "on_error",
        "on_failure",
        "on_result",
    }
)
# ``task.add_done_callback(tasks.discard)``: the documented way to keep a reference to a task.
BOOKKEEPING = frozenset({"discard", "remove"})


def _ignores_parameters(node: cst.Lambda) -> bool:
    """Whether a lambda's body uses none of its parameters."""
    params = {param.name.value for param in node.params.params}
    return not params & set(_names(node.body))


def _names(node: cst.CSTNode) -> list[str]:
    found = [node.value] if isinstance(node, cst.Name) else []
    for child in node.children:
        found.extend(_names(child))
    return found


@dataclass
class _Function:
    """A function being visited: whether it is async and the functions defined in it."""

    is_async: bool
    local_functions: set[str] = field(default_factory=set)


class NestedCallbacks(ModuleCheck):
    """Callbacks where ``await`` would do.

    ## What it does
    Finds ``.add_done_callback(...)`` (except ``add_done_callback(tasks.discard)``, the
    documented idiom that keeps a strong reference to a background task, and a lambda that
    ignores the finished task, such as a progress tick), event-loop
    scheduling with ``.call_soon(...)``, ``.call_later(...)`` and ``.call_at(...)`` anywhere,
    and, inside ``async def`` functions, calls passing a lambda or a locally defined function as
    ``callback=``, ``on_done=``, ``on_complete=``, ``on_success=``, ``on_error=`` (and similar)
    keyword arguments. ``call_soon_threadsafe`` is not reported: it is how a thread hands a
    value to the event loop.

    ## Why is this bad?
    Callbacks split one flow across functions, lose exceptions raised inside them and make
    cancellation and timeouts hard to get right; ``await`` keeps the flow linear with ordinary
    ``try``/``except``.
    """

    id = "nested-callbacks"
    summary = "callback-style async code; await the result instead"
    good: ClassVar[tuple[Case, ...]] = (
        Case.good(
            "import asyncio\n\nbackground: set[asyncio.Task[None]] = set()\n\n\n"
            "async def refresh_profile(user_id: int) -> None:\n"
            "    profile = await fetch_profile(user_id)\n    await save_profile(profile)\n"
            "    task = asyncio.create_task(save_profile(profile))\n    background.add(task)\n"
            "    task.add_done_callback(background.discard)\n"
            "    task.add_done_callback(lambda _: progress.advance())\n\n\n"
            "def from_thread(loop: asyncio.AbstractEventLoop, queue: asyncio.Queue[int]) -> None:\n"
            "    loop.call_soon_threadsafe(queue.put_nowait, 1)\n\n\n"
            "def configure(register) -> None:\n    register(callback=lambda: None)\n\n\n"
            "async def upload(client, on_progress) -> None:\n"
            "    await client.upload(callback=on_progress)\n",
            note="the task-reference idiom, a progress tick that ignores the task, a thread "
            "handing over a value, callbacks in sync "
            "code and a callback received from the caller",
        ),
        Case.good(
            "import asyncio\n\nfrom fastapi import APIRouter, BackgroundTasks, Depends\n\n"
            "router = APIRouter()\n\n\n"
            "@router.post('/jobs', status_code=202, dependencies=[Depends(lambda: None)])\n"
            "async def start(tasks: BackgroundTasks) -> None:\n"
            "    async with asyncio.TaskGroup() as group:\n"
            "        group.create_task(asyncio.sleep(0))\n"
            "    await asyncio.gather(asyncio.sleep(0), asyncio.sleep(0))\n"
            "    tasks.add_task(print, 'done')\n"
            "    loop = asyncio.get_running_loop()\n"
            "    await loop.run_in_executor(None, print)\n",
            note="TaskGroup, gather, BackgroundTasks and run_in_executor in a route",
        ),
    )
    bad: ClassVar[tuple[Case, ...]] = (
        Case.bad(
            "import asyncio\n\n\ndef refresh_profile(user_id: int) -> None:\n"
            "    loop = asyncio.get_running_loop()\n"
            "    task = loop.create_task(fetch_profile(user_id))\n"
            "    task.add_done_callback(\n"
            "        lambda done: loop.call_soon(save_profile, done.result())\n    )\n",
            hits=2,
            note="add_done_callback and call_soon (the pack's example)",
        ),
        Case.bad(
            "import asyncio\n\n\nclass Poller:\n    async def start(self, client) -> None:\n"
            "        def handle(result) -> None:\n            print(result)\n\n"
            "        await client.fetch(on_success=handle, on_error=lambda exc: print(exc))\n"
            "        asyncio.get_running_loop().call_later(5, self.stop)\n\n"
            "    def stop(self) -> None:\n        pass\n",
            hits=3,
            note="a local function and a lambda as callbacks in an async method; call_later",
        ),
    )

    def __init__(self, context: ModuleContext) -> None:
        """Start outside any function."""
        super().__init__(context)
        self.functions: list[_Function] = []

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        """Enter a function; record it as a local function of the enclosing one."""
        if self.functions:
            self.functions[-1].local_functions.add(node.name.value)
        self.functions.append(_Function(is_async=node.asynchronous is not None))

    def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
        """Leave a function."""
        self.functions.pop()

    def visit_Call(self, node: cst.Call) -> None:
        """Report callback registration and callback arguments."""
        func = node.func
        if isinstance(func, cst.Attribute):
            method = func.attr.value
            if method == "add_done_callback" and not self._bookkeeping(node):
                self.report(
                    func.attr,
                    "`add_done_callback` continues the flow in a callback; await the task "
                    "(or use asyncio.gather/TaskGroup) and handle the result inline",
                )
            elif method in SCHEDULERS:
                self.report(
                    func.attr,
                    f"`{method}` schedules a callback on the event loop; await the step "
                    "directly (asyncio.sleep for delays, asyncio.timeout for deadlines)",
                )
        if self.functions and self.functions[-1].is_async:
            self._callback_arguments(node)

    def _bookkeeping(self, node: cst.Call) -> bool:
        """``add_done_callback(tasks.discard)`` or a lambda that ignores the finished task.

        ``lambda _: progress.advance()`` is a notification (a progress tick): the flow does
        not continue from the task's result, which the caller awaits.
        """
        values = [argument.value for argument in node.args]
        if len(values) != 1:
            return False
        value = values[0]
        if isinstance(value, cst.Attribute):
            return value.attr.value in BOOKKEEPING
        return isinstance(value, cst.Lambda) and _ignores_parameters(value)

    def _callback_arguments(self, node: cst.Call) -> None:
        local = self.functions[-1].local_functions
        for argument in node.args:
            if argument.keyword is None or argument.keyword.value not in CALLBACK_KEYWORDS:
                continue
            value = argument.value
            if isinstance(value, cst.Lambda) or (
                isinstance(value, cst.Name) and value.value in local
            ):
                self.report(
                    argument,
                    f"`{argument.keyword.value}=` passes a callback in async code; await the "
                    "call and continue with its result",
                )
