"""httpexception-without-detail: ``HTTPException`` raised with a status code but no ``detail``."""

from __future__ import annotations

from typing import ClassVar

import libcst as cst

from rulepack.evaluator.checks.base import Case, ModuleCheck, ModuleContext, ProjectFacts
from rulepack.evaluator.checks.common import (
    HTTP_EXCEPTIONS,
    defined_classes,
    imports_one_of,
    is_web_module,
    refers_to,
)
from rulepack.evaluator.checks.facts import ModuleFacts, keyword, positional


def is_none_literal(node: cst.BaseExpression | None) -> bool:
    """Whether ``node`` is the literal ``None``."""
    return isinstance(node, cst.Name) and node.value == "None"


class HttpExceptionWithoutDetail(ModuleCheck):
    """``HTTPException`` constructed without a ``detail`` message.

    ## What it does
    Finds calls of FastAPI's or Starlette's ``HTTPException`` (under any import alias) that pass
    no ``detail``: neither the keyword nor a second positional argument (or ``detail=None``).
    Calls that forward ``*args``/``**kwargs`` are skipped, and so are the sample's own subclasses,
    whose constructors usually supply the detail.

    ## Why is this bad?
    Without ``detail`` the client only receives the reason phrase of the status ("Not Found"),
    which does not say which resource or input was wrong.
    """

    id = "httpexception-without-detail"
    summary = "`HTTPException` without `detail`; say what failed"
    good: ClassVar[tuple[Case, ...]] = (
        Case.good(
            "from fastapi import HTTPException, status\n\n\n"
            "def find(order_id: int) -> None:\n"
            "    raise HTTPException(\n"
            "        status_code=status.HTTP_404_NOT_FOUND, detail=f'Order {order_id} not found'\n"
            "    )\n"
        ),
        Case.good(
            "from starlette.exceptions import HTTPException as StarletteError\n\n\n"
            "def fail(reason: str) -> None:\n"
            "    raise StarletteError(409, reason)\n",
            note="detail as the second positional argument of an aliased Starlette exception",
        ),
        Case.good(
            "from fastapi import HTTPException\n\n\n"
            "class NotFoundError(HTTPException):\n"
            "    def __init__(self) -> None:\n"
            "        super().__init__(404, 'Not found')\n\n\n"
            "def fail(**kwargs: object) -> None:\n"
            "    raise NotFoundError()\n\n\n"
            "def forward(*args: object, **kwargs: object) -> None:\n"
            "    raise HTTPException(*args, **kwargs)\n",
            note="own subclasses supply their detail; forwarded arguments are unknown",
        ),
        Case.good(
            "class HTTPException(Exception):\n    pass\n\n\nraise HTTPException(500)\n",
            note="a class of the module's own that is not FastAPI's",
        ),
    )
    bad: ClassVar[tuple[Case, ...]] = (
        Case.bad(
            "from fastapi import HTTPException, status\n\n"
            "if order.status == OrderStatus.SHIPPED:\n"
            "    raise HTTPException(status_code=status.HTTP_409_CONFLICT)\n"
        ),
        Case.bad(
            "import fastapi\nfrom fastapi import HTTPException as HTTPError\n"
            "from starlette.exceptions import HTTPException\n\n\n"
            "async def read(item: object) -> object:\n"
            "    if item is None:\n"
            "        raise HTTPError(404)\n"
            "    if not item:\n"
            "        raise fastapi.HTTPException(status_code=410, detail=None)\n"
            "    error = HTTPException(status_code=403, headers={'X-Reason': 'owner'})\n"
            "    raise error\n",
            hits=3,
            note="aliased, module-qualified, detail=None, Starlette's, assigned before raising",
        ),
    )

    def __init__(self, context: ModuleContext) -> None:
        """Learn which classes of the sample are defined here (they shadow FastAPI's names)."""
        super().__init__(context)
        self.defined = defined_classes(context.project)

    @classmethod
    def applies(cls, facts: ModuleFacts, project: ProjectFacts) -> bool:
        """Web modules and modules that import an ``HTTPException``."""
        return is_web_module(facts, project) or imports_one_of(facts, HTTP_EXCEPTIONS)

    def visit_Call(self, node: cst.Call) -> None:
        """Report framework ``HTTPException`` calls without a detail."""
        if not refers_to(self.context.imports, node.func, HTTP_EXCEPTIONS, self.defined):
            return
        if any(argument.star for argument in node.args):
            return
        detail = keyword(node, "detail") or positional(node, 1)
        if detail is not None and not is_none_literal(detail):
            return
        self.report(
            node,
            "`HTTPException` without `detail`: the client gets only the reason phrase; "
            "pass `detail=` saying what failed (e.g. which resource was not found)",
        )
