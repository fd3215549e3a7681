"""status-code-semantics: creates without 201, deletes without 204, 204 routes with a body."""

from __future__ import annotations

import re
from typing import ClassVar

import libcst as cst

from rulepack.evaluator.checks.base import Case, ModuleContext
from rulepack.evaluator.checks.common import RESPONSE_CLASSES, defined_classes, refers_to
from rulepack.evaluator.checks.facts import keyword, positional
from rulepack.evaluator.checks.routes.handlers import Handler, RouteCheck, RouteDecorator
from rulepack.evaluator.checks.routes.naming import snake
from rulepack.evaluator.checks.routes.sample import status_of, to_ast

CREATE_NAME = re.compile(r"^(create|register|add|insert|new|signup|sign_up)(_|$)")
NOT_CREATE = re.compile(
    r"token|login|session|search|query|webhook|callback|verify|validate|check|parse|preview"
    r"|calculate|convert|render|estimate|analy[sz]e|suggest|translate|test|send|run|trigger"
    r"|^(get|fetch|list|read|update|set|replace|change|edit)_"
)
NOT_A_COLLECTION = re.compile(r"^(status|news|settings|stats|analytics|metrics|auth|access)$")
_BUILTIN_TYPES = frozenset({"dict", "list", "bool", "str", "int", "Dict", "List", "Any", "object"})
_BODY_LITERALS = (
    cst.Dict,
    cst.List,
    cst.Set,
    cst.Tuple,
    cst.SimpleString,
    cst.FormattedString,
    cst.ConcatenatedString,
    cst.Integer,
    cst.Float,
    cst.DictComp,
    cst.ListComp,
)


class StatusCodeSemantics(RouteCheck):
    """Status codes that do not match what a route does.

    ## What it does
    Finds ``POST`` routes that create (handler named ``create_*``, ``register*``, ``add_*``,
    ``insert_*``, ``new_*``, or a POST to a plural collection path such as ``/orders``) without
    ``status_code=201`` (202 and other explicit non-200 codes are accepted as deliberate);
    ``DELETE`` routes without an explicit ``status_code=`` (the default 200); and 204 routes that
    return a body (a literal, or a return annotation other than ``None`` or a response class).
    Handlers that set the status themselves (``response.status_code = ...``, a response class
    built with a status code) are skipped; an ``HTTPException(status_code=...)`` does not count.
    Token, login, search and webhook handlers are not creates.

    ## Why is this bad?
    Clients, generated SDKs and caches branch on the status code, not the body; a create that
    answers 200 or a 204 that carries a body breaks them and misdocuments the API.
    """

    id = "status-code-semantics"
    summary = "status code does not match the route (201 for creates, 204 for deletes)"
    good: ClassVar[tuple[Case, ...]] = (
        Case.good(
            "from fastapi import APIRouter, Response, status\nfrom fastapi import status as st\n\n"
            "router = APIRouter(prefix='/api/v1/projects', tags=['projects'])\n\n\n"
            "@router.post('', status_code=status.HTTP_201_CREATED)\n"
            "async def create_project() -> ProjectRead:\n    return ProjectRead()\n\n\n"
            "@router.delete('/{project_id}', status_code=st.HTTP_204_NO_CONTENT)\n"
            "async def delete_project(project_id: int) -> None:\n    await remove(project_id)\n"
            "    return None\n\n\n"
            "@router.delete('/{project_id}/members', status_code=204)\n"
            "async def clear(project_id: int) -> Response:\n"
            "    return Response(status_code=204)\n\n\n"
            "@router.post('/imports', status_code=status.HTTP_202_ACCEPTED)\n"
            "async def add_import() -> dict:\n    return {'queued': True}\n\n\n"
            "@router.post('/token')\nasync def create_access_token() -> dict:\n"
            "    return {}\n",
            note="201, 204 with None or a Response, an explicit 202, a token endpoint",
        ),
        Case.good(
            "from fastapi import FastAPI, Response\nfrom fastapi.responses import JSONResponse\n\n"
            "app = FastAPI()\n\n\n"
            "@app.post('/items')\nasync def create_item(response: Response) -> dict:\n"
            "    response.status_code = 201\n    return {}\n\n\n"
            "@app.delete('/items/{item_id}')\nasync def delete_item(item_id: int):\n"
            "    return JSONResponse({}, status_code=202)\n\n\n"
            "@app.post('/search')\nasync def search_items() -> list[str]:\n    return []\n\n\n"
            "@app.post('/ingredients')\nasync def parse_ingredients() -> list[str]:\n"
            "    return []\n\n\n"
            "@app.post('/items/{item_id}/tags')\nasync def update_tags(item_id: int) -> None:\n"
            "    pass\n\n\n"
            "@app.post('/events')\nasync def events(x_chat_signature: str = Header()) -> None:\n"
            "    pass\n\n\n"
            "def create_thing() -> None:\n    pass\n",
            note="status set in the body; a search POST; a parse POST; an update POST; a "
            "signed webhook; a plain function",
        ),
        Case.good(
            "from fastapi import APIRouter\n\n"
            "router = APIRouter(prefix='/api/v1/shelves', tags=['shelves'])\n\n\n"
            "@router.delete('/{shelf_id}', response_model=ShelfRead)\n"
            "def remove_shelf(shelf_id: int):\n    return shelves.pop(shelf_id)\n\n\n"
            "@router.delete('/{shelf_id}/books')\n"
            "async def empty_shelf(shelf_id: int) -> Receipt:\n"
            "    return await empty(shelf_id)\n\n\n"
            "@router.delete('/{shelf_id}/labels')\nasync def unlabel(shelf_id: int):\n"
            "    receipt = await unlabel_all(shelf_id)\n    return receipt\n",
            note="deletes that answer with a body (a response_model=, a return type, a returned "
            "value) rightly keep 200",
        ),
    )
    bad: ClassVar[tuple[Case, ...]] = (
        Case.bad(
            "from fastapi import APIRouter\n\n"
            "router = APIRouter(prefix='/api/v1/projects', tags=['projects'])\n\n\n"
            "@router.delete('/{project_id}', response_model=None)\nasync def delete_project(\n"
            "    project_id: int, service: ProjectServiceDep, current_user: CurrentUserDep\n"
            ") -> None:\n    await service.delete(current_user.id, project_id)\n"
        ),
        Case.bad(
            "import fastapi\nfrom fastapi import status\n\napp = fastapi.FastAPI()\n\n\n"
            "@app.post('/createUser')\nasync def createUser(u: UserIn):\n    return {}\n\n\n"
            "@app.post('/orders', status_code=200)\nasync def place_order() -> dict:\n"
            "    return {}\n\n\n"
            "@app.delete('/orders/{order_id}', status_code=status.HTTP_204_NO_CONTENT)\n"
            "async def cancel(order_id: int) -> dict:\n    return {'cancelled': order_id}\n",
            hits=3,
            note="a camelCase create, a collection POST with an explicit 200, 204 with a body",
        ),
        Case.bad(
            "import uuid\n\nfrom fastapi import APIRouter, HTTPException\n\n"
            "router = APIRouter(prefix='/items', tags=['items'])\n\n\n"
            "@router.delete('/{id}')\ndef delete_item(id: uuid.UUID):\n"
            "    if not load(id):\n"
            "        raise HTTPException(status_code=404, detail='Item not found')\n"
            "    drop(id)\n",
            note="an HTTPException's status_code does not set the route's status",
        ),
    )

    def __init__(self, context: ModuleContext) -> None:
        """Learn the sample's response classes."""
        super().__init__(context)
        self.responses = context.project.subclasses_of(RESPONSE_CLASSES)
        self.defined = defined_classes(context.project)
        self._dynamic: dict[Handler, bool] = {}
        self._bodies: dict[Handler, list[cst.Return]] = {}
        self._valued: set[Handler] = set()  # handlers that return some value

    def enter_handler(self, handler: Handler) -> None:
        """Start collecting the handler's returns and status assignments."""
        self._dynamic[handler] = False
        self._bodies[handler] = []

    def visit_AssignTarget(self, node: cst.AssignTarget) -> None:
        """``response.status_code = ...``: the handler sets its status itself."""
        handler = self.handler
        target = node.target
        is_status = isinstance(target, cst.Attribute) and target.attr.value == "status_code"
        if handler is not None and is_status:
            self._dynamic[handler] = True

    def visit_Call(self, node: cst.Call) -> None:
        """A response built with a status code: the handler sets its status itself."""
        handler = self.handler
        if handler is None:
            return
        if not refers_to(self.context.imports, node.func, self.responses, self.defined):
            return
        if keyword(node, "status_code") is not None or positional(node, 1) is not None:
            self._dynamic[handler] = True

    def visit_Return(self, node: cst.Return) -> None:
        """Remember returns that carry a literal body."""
        handler = self.handler
        if handler is not None and isinstance(node.value, _BODY_LITERALS):
            self._bodies[handler].append(node)
        value = node.value
        constant = isinstance(value, cst.Name) and value.value in {"None", "True", "False"}
        literal = isinstance(value, _BODY_LITERALS)
        if handler is not None and value is not None and not literal and not constant:
            self._valued.add(handler)

    def leave_handler(self, handler: Handler) -> None:
        """Judge the handler's status code once its body is known."""
        dynamic = self._dynamic.pop(handler, False)
        bodies = self._bodies.pop(handler, [])
        code, given = self._status(handler)
        valued = handler in self._valued
        self._valued.discard(handler)
        if code == 204:
            self._check_no_content(handler, bodies)
        elif not dynamic:
            self._check_defaults(handler, code, given=given, valued=valued)

    def _status(self, handler: Handler) -> tuple[int | None, bool]:
        """The decorator's status code (``None`` if computed) and whether one is given."""
        for route in handler.routes:
            value = route.keyword("status_code")
            if value is not None:
                expr = to_ast(value)
                return (status_of(expr) if expr is not None else None), True
        return None, False

    def _check_defaults(
        self, handler: Handler, code: int | None, *, given: bool, valued: bool
    ) -> None:
        methods = handler.methods
        if "POST" in methods and self._creates(handler) and given and code == 200:
            self._report(handler, "creates a resource but sets status 200; use 201 Created")
        elif "POST" in methods and self._creates(handler) and not given:
            self._report(
                handler,
                "looks like a create but answers the default 200; set "
                "`status_code=status.HTTP_201_CREATED`",
            )
        elif "DELETE" in methods and not given and not self._documents_body(handler, valued=valued):
            self._report(
                handler,
                "answers the default 200; set "
                "`status_code=status.HTTP_204_NO_CONTENT` and return `None`",
            )

    def _documents_body(self, handler: Handler, *, valued: bool) -> bool:
        """Whether a route answers with a body: a ``response_model=``, a return type or value.

        A delete that returns the deleted resource (or a receipt schema) rightly answers 200; a
        literal confirmation such as ``{"deleted": True}`` is no reason to.
        """
        for route in handler.routes:
            model = route.keyword("response_model")
            if model is not None and not (isinstance(model, cst.Name) and model.value == "None"):
                return True
        returns = handler.node.returns
        if returns is not None and self._names_schema(returns.annotation):
            return True
        return valued

    def _names_schema(self, annotation: cst.BaseExpression) -> bool:
        """Whether a return annotation names a response schema (a class, not a builtin)."""
        if self._no_body(annotation):
            return False
        head = annotation.value if isinstance(annotation, cst.Subscript) else annotation
        name = self.qualified(head) if isinstance(head, cst.Name | cst.Attribute) else None
        return name is not None and name.rsplit(".", 1)[-1] not in _BUILTIN_TYPES

    def _check_no_content(self, handler: Handler, bodies: list[cst.Return]) -> None:
        for node in bodies:
            self.report(
                node,
                f"route `{handler.name}` answers 204 No Content but returns a body; return `None`",
            )
        returns = handler.node.returns
        if not bodies and returns is not None and not self._no_body(returns.annotation):
            self.report(
                returns,
                f"route `{handler.name}` answers 204 No Content but declares a response body; "
                "annotate it `-> None`",
            )

    def _no_body(self, annotation: cst.BaseExpression) -> bool:
        if isinstance(annotation, cst.Name) and annotation.value in {"None", "NoReturn"}:
            return True
        return refers_to(self.context.imports, annotation, self.responses, self.defined)

    def _creates(self, handler: Handler) -> bool:
        name = snake(handler.name)
        if NOT_CREATE.search(name):
            return False
        if any("signature" in param.name.lower() for param in self.handler_params(handler)):
            return False  # a webhook that checks its caller's signature: it receives, not creates
        if CREATE_NAME.match(name):
            return True
        return any(_collection_path(self._full_path(route)) for route in handler.routes)

    def _full_path(self, route: RouteDecorator) -> str:
        """The decorator path behind its router's literal prefix (if the sample defines one)."""
        router = next(
            (r for m in self.context.project.modules for r in m.routers if r.name == route.owner),
            None,
        )
        prefix = router.prefix if router is not None and router.prefix != "?" else None
        return f"{prefix or ''}{route.path or ''}"

    def _report(self, handler: Handler, problem: str) -> None:
        methods = "/".join(sorted(handler.methods))
        self.report(handler.node.name, f"{methods} route `{handler.name}` {problem}")


def _collection_path(path: str) -> bool:
    """Whether a path ends in a plural noun segment (``/orders``), not a parameter or action."""
    segments = [s for s in path.split("/") if s]
    if not segments or "{" in segments[-1]:
        return False
    last = segments[-1].lower()
    return (
        last.endswith("s")
        and not last.endswith("ss")
        and re.fullmatch(r"[a-z][a-z-]*", last) is not None
        and NOT_A_COLLECTION.match(last) is None
    )
