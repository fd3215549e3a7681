"""literal-status-code: integer literals where a ``fastapi.status`` constant belongs."""

from __future__ import annotations

from typing import ClassVar

import libcst as cst

from rulepack.evaluator.checks.base import Case, ModuleCheck, ModuleContext, ProjectFacts
from rulepack.evaluator.checks.common import (
    HTTP_EXCEPTIONS,
    RESPONSE_CLASSES,
    HttpClasses,
    imports_one_of,
    is_web_module,
)
from rulepack.evaluator.checks.facts import ModuleFacts, keyword, positional, route_call
from rulepack.evaluator.checks.sync_route_handler import is_route_owner


def integer_literals(node: cst.BaseExpression | None) -> list[cst.Integer]:
    """The integer literals ``node`` evaluates to: itself, or both branches of ``a if c else b``."""
    if isinstance(node, cst.Integer):
        return [node]
    if isinstance(node, cst.IfExp):
        return [*integer_literals(node.body), *integer_literals(node.orelse)]
    return []


class LiteralStatusCode(ModuleCheck):
    """Integer literals used as HTTP status codes.

    ## What it does
    Finds integer literals passed as HTTP status codes: to ``HTTPException`` (FastAPI's or
    Starlette's, or a subclass of the sample), to response classes (``JSONResponse``,
    ``Response``, ``RedirectResponse`` ... and subclasses), to route decorators' and
    ``add_api_route``'s ``status_code=``.

    ## Why is this bad?
    ``status.HTTP_404_NOT_FOUND`` states the meaning at the call site and cannot be mistyped into
    a valid but wrong number; one spelling also makes status codes searchable.
    """

    id = "literal-status-code"
    summary = "status code given as an integer literal; use a `fastapi.status` constant"
    good: ClassVar[tuple[Case, ...]] = (
        Case.good(
            "from fastapi import HTTPException, status\n\n\n"
            "def find(item: object) -> object:\n"
            "    if item is None:\n"
            "        raise HTTPException(status_code=status.HTTP_404_NOT_FOUND, detail='No item')\n"
            "    return item\n"
        ),
        Case.good(
            "from fastapi import APIRouter\nfrom fastapi import status as st\n"
            "from fastapi.responses import JSONResponse\n\n"
            "router = APIRouter()\n\n\n"
            "@router.post('/items', status_code=st.HTTP_201_CREATED)\n"
            "async def create() -> JSONResponse:\n"
            "    if not ok():\n"
            "        return JSONResponse({}, status_code=st.HTTP_422_UNPROCESSABLE_ENTITY)\n"
            "    return JSONResponse({}, st.HTTP_422_UNPROCESSABLE_CONTENT)\n",
            note="an aliased status module, both 422 spellings",
        ),
        Case.good(
            "from starlette import status\nfrom starlette.exceptions import HTTPException\n\n"
            "raise HTTPException(status.HTTP_409_CONFLICT, 'Taken')\n",
            note="Starlette's exception with Starlette's status module",
        ),
        Case.good(
            "import httpx\n\n\nclass QuotaError(Exception):\n    pass\n\n\n"
            "def fake() -> httpx.Response:\n"
            "    settings = dict(status_code=500)\n"
            "    if settings:\n"
            "        raise QuotaError(429)\n"
            "    return httpx.Response(status_code=200)\n",
            note="integers given to other classes (httpx, own exceptions) are not status codes",
        ),
    )
    bad: ClassVar[tuple[Case, ...]] = (
        Case.bad(
            "from fastapi import HTTPException\n\n\n"
            "async def get(item_id: int) -> None:\n"
            "    raise HTTPException(404, f'Item {item_id} not found')\n",
            note="positional status code",
        ),
        Case.bad(
            "from fastapi import HTTPException as HTTPError\n"
            "from starlette.exceptions import HTTPException as StarletteHTTPException\n\n"
            "raise HTTPError(status_code=400, detail='Bad')\n"
            "raise StarletteHTTPException(status_code=500)\n",
            hits=2,
            note="aliased FastAPI and Starlette exceptions",
        ),
        Case(
            files={
                "app/api.py": "from fastapi import APIRouter\n\nv1 = APIRouter(prefix='/v1')\n",
                "app/users.py": (
                    "from fastapi import FastAPI\n\nfrom app.api import v1 as api\n\n"
                    "app = FastAPI()\n\n\n"
                    "@api.post('/users', status_code=201)\nasync def create() -> None:\n"
                    "    pass\n\n\n"
                    "app.add_api_route('/ping', create, status_code=202)\n"
                ),
            },
            hits=2,
            note="a router from another module under an alias, and add_api_route",
        ),
        Case.bad(
            "from fastapi import Response\n"
            "from fastapi.responses import JSONResponse, RedirectResponse\n\n\n"
            "def respond(created: bool) -> Response:\n"
            "    if created:\n"
            "        return JSONResponse(content={}, status_code=201 if created else 200)\n"
            "    if not created:\n"
            "        return RedirectResponse('/login', 303)\n"
            "    return Response(status_code=204)\n",
            hits=4,
            note="keyword, positional and conditional codes on response classes",
        ),
        Case(
            files={
                "app/errors.py": (
                    "from fastapi import HTTPException\n"
                    "from fastapi.responses import JSONResponse\n\n\n"
                    "class AppError(HTTPException):\n    pass\n\n\n"
                    "class NotFoundError(AppError):\n    pass\n\n\n"
                    "class OrjsonResponse(JSONResponse):\n    pass\n"
                ),
                "app/service.py": (
                    "from app.errors import NotFoundError, OrjsonResponse\n\n\n"
                    "def lookup() -> OrjsonResponse:\n"
                    "    if missing():\n"
                    "        raise NotFoundError(404, 'missing')\n"
                    "    return OrjsonResponse({}, status_code=200)\n"
                ),
                "app/other.py": (
                    "from app import errors\n\n\n"
                    "def fail() -> None:\n    raise errors.AppError(status_code=409)\n"
                ),
            },
            hits=3,
            note="subclasses of HTTPException and JSONResponse defined in another module",
        ),
    )

    def __init__(self, context: ModuleContext) -> None:
        """Learn the sample's exception and response classes."""
        super().__init__(context)
        self.classes = HttpClasses.of(context.project)

    @classmethod
    def applies(cls, facts: ModuleFacts, project: ProjectFacts) -> bool:
        """Modules that use FastAPI or Starlette, or the sample's own exceptions or responses."""
        if is_web_module(facts, project):
            return True
        return imports_one_of(facts, project.subclasses_of(HTTP_EXCEPTIONS | RESPONSE_CLASSES))

    def visit_Call(self, node: cst.Call) -> None:
        """Check exceptions, responses and ``add_api_route``."""
        kind = self.classes.kind_of(self.context.imports, node.func)
        if kind == "exception":
            self._check(keyword(node, "status_code") or positional(node, 0))
        elif kind == "response":
            self._check(keyword(node, "status_code") or positional(node, 1))
        elif isinstance(node.func, cst.Attribute) and node.func.attr.value == "add_api_route":
            owner = self.qualified(node.func.value)
            if owner is not None and is_route_owner(owner, self.context.project):
                self._check(keyword(node, "status_code"))

    def visit_Decorator(self, node: cst.Decorator) -> None:
        """Check a route decorator's ``status_code=``."""
        found = route_call(node)
        if found is None:
            return
        owner = self.qualified(found[0])
        if owner is not None and is_route_owner(owner, self.context.project):
            self._check(keyword(found[2], "status_code"))

    def _check(self, value: cst.BaseExpression | None) -> None:
        for literal in integer_literals(value):
            code = literal.value
            self.report(
                literal,
                f"status code `{code}` is an integer literal; "
                f"use the `fastapi.status` constant `status.HTTP_{code}_...`",
            )
