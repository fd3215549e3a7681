"""verb-in-path: route paths and router prefixes with verbs or camelCase segments."""

from __future__ import annotations

import re
from typing import ClassVar

import libcst as cst

from rulepack.evaluator.checks.base import Case, ProjectFacts
from rulepack.evaluator.checks.common import FRAMEWORK_ROUTERS, is_docs_path
from rulepack.evaluator.checks.facts import ModuleFacts, keyword, string_value
from rulepack.evaluator.checks.routes.handlers import Handler, RouteCheck, has_routes
from rulepack.evaluator.checks.sync_route_handler import is_route_owner

# Verbs that restate an HTTP method or a CRUD operation.
VERBS = frozenset(
    {
        "get",
        "fetch",
        "retrieve",
        "list",
        "find",
        "create",
        "add",
        "insert",
        "make",
        "update",
        "edit",
        "modify",
        "change",
        "save",
        "delete",
        "remove",
        "destroy",
        "erase",
        "do",
        "set",
        "put",
        "post",
        "patch",
    }
)
# Verbs that are also common nouns: a segment of only this word is a resource (``/blog/post``).
NOUN_TOO = frozenset({"post", "patch", "set", "change"})
# Second words that turn a verb into a noun (``add-ons``, ``set-up``).
NOUN_PARTICLES = frozenset({"on", "ons", "up", "ups", "in", "ins", "out", "outs"})
_CAMEL = re.compile(r"[a-z0-9][A-Z]")
_WORD_SPLIT = re.compile(r"[-_.~]+|(?<=[a-z0-9])(?=[A-Z])")


def segment_problem(segment: str) -> str | None:
    """Why a static path segment is not a resource noun, or ``None`` when it is fine."""
    if not segment or "{" in segment:
        return None
    words = [word.lower() for word in _WORD_SPLIT.split(segment) if word]
    verb = bool(words) and words[0] in VERBS
    if verb and len(words) == 1 and words[0] in NOUN_TOO:
        verb = False
    if verb and len(words) > 1 and words[1] in NOUN_PARTICLES:
        verb = False
    camel = _CAMEL.search(segment) is not None
    if camel and verb:
        return f"`{segment}` is camelCase and starts with the verb `{words[0]}`"
    if camel:
        return f"`{segment}` is camelCase"
    if verb:
        return (
            f"`{segment}` is the verb `{words[0]}`"
            if len(words) == 1
            else (f"`{segment}` starts with the verb `{words[0]}`")
        )
    return None


def path_problems(path: str) -> list[str]:
    """Every problem of the segments of ``path``."""
    if is_docs_path(path):
        return []
    return [problem for s in path.split("/") if (problem := segment_problem(s)) is not None]


class VerbInPath(RouteCheck):
    """Verbs and camelCase in route paths.

    ## What it does
    Reads every literal route path, ``APIRouter(prefix=...)`` and ``include_router(prefix=...)``
    and reports static segments that are CRUD verbs (``/getOrder``, ``/orders/create``,
    ``/delete-user``) or camelCase (``/lineItems``). Path parameters are ignored, and so are verbs
    that double as nouns when they stand alone (``/blog/post``, ``/settings/set``). Action
    sub-resources that are not CRUD verbs (``/login``, ``/search``, ``/tasks/{id}/complete``) are
    left to review.

    ## Why is this bad?
    The HTTP method names the action; a verb in the path duplicates it, multiplies endpoints and
    hides which method is safe to retry. Lowercase, hyphenated nouns keep paths predictable.
    """

    id = "verb-in-path"
    summary = "route path contains a verb or camelCase; use plural resource nouns"
    good: ClassVar[tuple[Case, ...]] = (
        Case.good(
            "from fastapi import APIRouter, FastAPI\n\n"
            "router = APIRouter(prefix='/api/v1/orders', tags=['orders'])\napp = FastAPI()\n\n\n"
            "@router.get('/{order_id}/line-items')\nasync def list_line_items(order_id: int) -> "
            "list[str]:\n    return []\n\n\n"
            "@router.get('/{orderId}')\nasync def get_order(orderId: int) -> None:\n    pass\n\n\n"
            "@router.get('/posts/{post_id}/add-ons')\nasync def add_ons(post_id: int) -> None:\n"
            "    pass\n\n\n"
            "@router.post('/blog/post')\nasync def create_post() -> None:\n    pass\n\n\n"
            "@router.post('/auth/login')\nasync def login() -> None:\n    pass\n\n\n"
            "app.include_router(router, prefix='/updates')\n",
            note="nouns, path parameters, verbs that are nouns alone, auth actions",
        ),
        Case.good(
            "from fastapi import FastAPI\n\napp = FastAPI()\n\n\n"
            "@app.get('/openapi.json', include_in_schema=False)\nasync def spec() -> dict:\n"
            "    return {}\n\n\n"
            "def get(path: str) -> str:\n    return path\n\n\nget('/getUser')\n",
            note="docs paths; strings that are not route paths",
        ),
    )
    bad: ClassVar[tuple[Case, ...]] = (
        Case.bad(
            "from fastapi import APIRouter\n\n"
            "router = APIRouter(prefix='/api/v1/orders', tags=['orders'])\n\n\n"
            "@router.get('/getOrder/{order_id}')\nasync def get_order(order_id: int) -> None:\n"
            "    pass\n"
        ),
        Case(
            files={
                "app/main.py": (
                    "from fastapi import FastAPI\n\nfrom app.routers import users\n\n"
                    "app = FastAPI()\n"
                    "app.include_router(users.router, prefix='/api/v1/userAccounts')\n"
                ),
                "app/routers/users.py": (
                    "from fastapi import APIRouter\n\nrouter = APIRouter(prefix='/list')\n\n\n"
                    "@router.post('/create', status_code=201)\nasync def create() -> None:\n"
                    "    pass\n\n\n"
                    "@router.api_route('/delete-user/{user_id}', methods=['DELETE'])\n"
                    "async def remove(user_id: int) -> None:\n    pass\n"
                ),
            },
            hits=4,
            note="a camelCase include prefix, a verb prefix, verb paths, api_route",
        ),
    )

    @classmethod
    def applies(cls, facts: ModuleFacts, project: ProjectFacts) -> bool:
        """Modules that declare routes, routers or include routers."""
        return has_routes(facts, project) or bool(facts.routers or facts.includes)

    def enter_handler(self, handler: Handler) -> None:
        """Check each route decorator's literal path."""
        for route in handler.routes:
            path_node = route.call.args[0].value if route.call.args else None
            path_node = route.keyword("path") or path_node
            if path_node is not None and route.path is not None:
                self._check(path_node, route.path, "route path")

    def visit_Call(self, node: cst.Call) -> None:
        """Check ``APIRouter(prefix=...)`` and ``include_router(..., prefix=...)``."""
        prefix = keyword(node, "prefix")
        text = string_value(prefix)
        if prefix is None or text is None:
            return
        if self.qualified(node.func) in FRAMEWORK_ROUTERS:
            self._check(prefix, text, "router prefix")
        elif isinstance(node.func, cst.Attribute) and node.func.attr.value == "include_router":
            owner = self.qualified(node.func.value)
            if owner is not None and is_route_owner(owner, self.context.project):
                self._check(prefix, text, "include prefix")

    def _check(self, node: cst.BaseExpression, path: str, what: str) -> None:
        problems = path_problems(path)
        if problems:
            self.report(
                node,
                f"{what} `{path}`: {'; '.join(problems)}; name paths with plural, lowercase, "
                "hyphenated resource nouns and let the HTTP method say the action",
            )
