"""internal-error-leak: exception text or tracebacks sent to clients, and ``debug=True`` apps."""

from __future__ import annotations

from typing import ClassVar

import libcst as cst

from rulepack.evaluator.checks.base import Case, ModuleCheck, ModuleContext, ProjectFacts
from rulepack.evaluator.checks.common import (
    FRAMEWORK_APPS,
    HTTP_EXCEPTIONS,
    RESPONSE_CLASSES,
    HttpClasses,
    imports_one_of,
    is_true,
    is_web_module,
)
from rulepack.evaluator.checks.facts import ModuleFacts, keyword, positional, route_call
from rulepack.evaluator.checks.imports import ImportMap, dotted
from rulepack.evaluator.checks.sync_route_handler import is_route_owner

TRACEBACK_CALLS = frozenset(
    {
        "traceback.format_exc",
        "traceback.format_exception",
        "traceback.format_exception_only",
        "traceback.format_tb",
        "traceback.format_stack",
        "sys.exc_info",
    }
)
# Attributes of a caught exception that are meant for clients (HTTPException, ValidationError).
SAFE_ATTRIBUTES = frozenset({"detail", "status_code", "headers", "errors"})
CATCH_ALL = frozenset({"Exception", "BaseException"})
# Response classes whose first positional argument is not the body.
NOT_BODY_FIRST = frozenset({"RedirectResponse", "FileResponse"})


class LeakFinder(cst.CSTVisitor):
    """Finds uses of caught exceptions and traceback calls inside one expression."""

    def __init__(self, names: frozenset[str], imports: ImportMap) -> None:
        """Look for the exception variables ``names``."""
        super().__init__()
        self.names = names
        self.imports = imports
        self.leaks: list[str] = []

    def visit_Name(self, node: cst.Name) -> None:
        """A caught exception used as a value (``str(e)``, ``f"{e}"``, ``e``)."""
        if node.value in self.names:
            self.leaks.append(node.value)

    def visit_Attribute(self, node: cst.Attribute) -> bool:
        """``e.args``/``e.orig`` leak, ``e.detail``/``e.errors()`` do not; never visit ``.attr``."""
        if isinstance(node.value, cst.Name) and node.value.value in self.names:
            if node.attr.value not in SAFE_ATTRIBUTES:
                self.leaks.append(f"{node.value.value}.{node.attr.value}")
            return False
        node.value.visit(self)
        return False

    def visit_Arg(self, node: cst.Arg) -> bool:
        """Visit an argument's value, not its keyword."""
        node.value.visit(self)
        return False

    def visit_Call(self, node: cst.Call) -> None:
        """``traceback.format_exc()`` and friends."""
        if self.imports.resolve(node.func) in TRACEBACK_CALLS:
            self.leaks.append(f"{dotted(node.func)}()")


class InternalErrorLeak(ModuleCheck):
    """Exception text or tracebacks returned to clients.

    ## What it does
    Finds exception text sent to clients: inside ``except ... as e`` (and in handlers registered
    for ``Exception``), ``e``, ``str(e)``, ``repr(e)``, ``f"{e}"``, ``e.args`` ... given as an
    ``HTTPException`` ``detail``, as a response body (``JSONResponse(content=...)`` and the other
    response classes), or returned from a route handler; ``traceback.format_exc()`` in any of
    these; and ``FastAPI(debug=True)``. ``e.detail``, ``e.status_code`` and ``e.errors()`` are
    meant for clients and are allowed.

    ## Why is this bad?
    Exception texts and tracebacks reveal SQL, table names, file paths and library versions, which
    help an attacker and mean nothing to a client.
    """

    id = "internal-error-leak"
    summary = "internal error details returned to the client"
    good: ClassVar[tuple[Case, ...]] = (
        Case.good(
            "import logging\n\nfrom fastapi import HTTPException, status\n\n"
            "logger = logging.getLogger(__name__)\n\n\n"
            "async def create(repo: object) -> object:\n"
            "    try:\n        return await repo.add()\n"
            "    except ValueError as exc:\n"
            "        logger.exception('Failed: %s', exc)\n"
            "        raise HTTPException(\n"
            "            status_code=status.HTTP_500_INTERNAL_SERVER_ERROR,\n"
            "            detail='Could not create',\n"
            "        ) from exc\n"
        ),
        Case.good(
            "from fastapi import FastAPI, HTTPException\n"
            "from fastapi.responses import JSONResponse\n"
            "from pydantic import ValidationError\n\nfrom app.core.config import settings\n\n"
            "app = FastAPI(debug=settings.debug)\n\n\n"
            "def parse(raw: str) -> object:\n"
            "    try:\n        return load(raw)\n"
            "    except ValidationError as e:\n"
            "        return JSONResponse(status_code=422, content={'detail': e.errors()})\n"
            "    except HTTPException as e:\n"
            "        raise HTTPException(e.status_code, detail=e.detail) from e\n\n\n"
            "def later(e: str) -> HTTPException:\n"
            "    return HTTPException(400, detail=e)\n",
            note="client-facing attributes, and a parameter that shares the name after the except",
        ),
        Case.good(
            "from fastapi import FastAPI, Request\nfrom fastapi.responses import JSONResponse\n\n"
            "app = FastAPI()\n\n\n"
            "@app.exception_handler(UserNotFoundError)\n"
            "async def not_found(request: Request, exc: UserNotFoundError) -> JSONResponse:\n"
            "    return JSONResponse(status_code=404, content={'detail': str(exc)})\n",
            note="a handler for a domain exception shows its message on purpose",
        ),
    )
    bad: ClassVar[tuple[Case, ...]] = (
        Case.bad(
            "from fastapi import HTTPException\n\n\n"
            "async def create(repo: object) -> object:\n"
            "    try:\n        return await repo.add()\n"
            "    except Exception as e:\n"
            "        raise HTTPException(status_code=500, detail=str(e)) from e\n"
        ),
        Case.bad(
            "import traceback as tb\n\n"
            "from fastapi import HTTPException as HTTPError\n"
            "from starlette.responses import JSONResponse\n\n\n"
            "def run(job: object) -> JSONResponse:\n"
            "    try:\n        job.run()\n"
            "    except KeyError as err:\n"
            "        raise HTTPError(400, f'Missing key {err}')\n"
            "    except (OSError, RuntimeError) as err:\n"
            "        return JSONResponse({'error': repr(err), 'args': err.args})\n"
            "    except Exception:\n"
            "        return JSONResponse(content={'trace': tb.format_exc()})\n"
            "    return JSONResponse({})\n",
            hits=3,
            note="positional detail, positional and keyword content, an aliased traceback module",
        ),
        Case(
            files={
                "app/main.py": "from fastapi import FastAPI\n\napp = FastAPI(debug=True)\n",
                "app/routes.py": (
                    "from fastapi import APIRouter, FastAPI, Request\n"
                    "from fastapi.responses import PlainTextResponse\n\n"
                    "from app.main import app\n\nrouter = APIRouter()\n\n\n"
                    "@router.get('/items')\nasync def items() -> dict[str, str]:\n"
                    "    try:\n        return await load()\n"
                    "    except LookupError as exc:\n"
                    "        return {'error': f'lookup failed: {exc}'}\n\n\n"
                    "@app.exception_handler(Exception)\n"
                    "async def crash(request: Request, exc: Exception) -> PlainTextResponse:\n"
                    "    return PlainTextResponse(str(exc), status_code=500)\n"
                ),
            },
            hits=3,
            note="debug=True, a route returning the error, a catch-all handler on an imported app",
        ),
    )

    def __init__(self, context: ModuleContext) -> None:
        """Learn the sample's exception and response classes."""
        super().__init__(context)
        self.classes = HttpClasses.of(context.project)
        self.caught: list[str] = []  # exception variables in scope, innermost last
        self.functions: list[bool] = []  # per enclosing function: whether it is a route handler

    @classmethod
    def applies(cls, facts: ModuleFacts, project: ProjectFacts) -> bool:
        """Modules that use FastAPI or Starlette, or the sample's own exceptions or responses."""
        if is_web_module(facts, project):
            return True
        return imports_one_of(facts, project.subclasses_of(HTTP_EXCEPTIONS | RESPONSE_CLASSES))

    def visit_ExceptHandler(self, node: cst.ExceptHandler) -> None:
        """Bring ``except ... as e`` into scope."""
        self.caught.append(self._bound_name(node.name))

    def leave_ExceptHandler(self, original_node: cst.ExceptHandler) -> None:
        """Leave the handler."""
        self.caught.pop()

    def visit_ExceptStarHandler(self, node: cst.ExceptStarHandler) -> None:
        """Bring ``except* ... as e`` into scope."""
        self.caught.append(self._bound_name(node.name))

    def leave_ExceptStarHandler(self, original_node: cst.ExceptStarHandler) -> None:
        """Leave the handler."""
        self.caught.pop()

    @staticmethod
    def _bound_name(name: cst.AsName | None) -> str:
        return name.name.value if name is not None and isinstance(name.name, cst.Name) else ""

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        """Track route handlers, and catch-all exception handlers' exception parameter."""
        is_route = False
        exception_parameter = ""
        for decorator in node.decorators:
            found = route_call(decorator)
            if found is not None:
                owner = self.qualified(found[0])
                is_route = is_route or (
                    owner is not None and is_route_owner(owner, self.context.project)
                )
            elif self._is_catch_all_handler(decorator):
                parameters = node.params.params
                exception_parameter = parameters[1].name.value if len(parameters) > 1 else ""
        self.functions.append(is_route)
        self.caught.append(exception_parameter)

    def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
        """Leave the function."""
        self.functions.pop()
        self.caught.pop()

    def _is_catch_all_handler(self, decorator: cst.Decorator) -> bool:
        """``@app.exception_handler(Exception)``."""
        call = decorator.decorator
        if not isinstance(call, cst.Call) or not isinstance(call.func, cst.Attribute):
            return False
        if call.func.attr.value != "exception_handler":
            return False
        handled = positional(call, 0)
        return isinstance(handled, cst.Name) and handled.value in CATCH_ALL

    def visit_Call(self, node: cst.Call) -> None:
        """Check exceptions' ``detail``, responses' bodies and ``FastAPI(debug=True)``."""
        kind = self.classes.kind_of(self.context.imports, node.func)
        if kind == "exception":
            self._check(keyword(node, "detail") or positional(node, 1), "HTTPException detail")
        elif kind == "response":
            body = keyword(node, "content")
            name = (self.qualified(node.func) or "").rsplit(".", 1)[-1]
            if body is None and name not in NOT_BODY_FIRST:
                body = positional(node, 0)
            self._check(body, "response body")
        elif self.qualified(node.func) in FRAMEWORK_APPS:
            debug = keyword(node, "debug")
            if debug is not None and is_true(debug):
                self.report(
                    debug,
                    "`debug=True` sends tracebacks to clients; read it from settings and keep "
                    "it off outside local development",
                )

    def visit_Return(self, node: cst.Return) -> None:
        """Check values a route handler returns from an ``except`` block (not calls)."""
        if not self.functions or not self.functions[-1]:
            return
        if node.value is not None and not isinstance(node.value, cst.Call):
            self._check(node.value, "route response")

    def _check(self, value: cst.BaseExpression | None, where: str) -> None:
        if value is None:
            return
        finder = LeakFinder(frozenset(name for name in self.caught if name), self.context.imports)
        value.visit(finder)
        if finder.leaks:
            self.report(
                value,
                f"{where} exposes internal error details (`{finder.leaks[0]}`); log the "
                "exception and return a generic message",
            )
