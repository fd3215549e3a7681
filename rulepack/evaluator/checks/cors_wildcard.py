"""cors-wildcard: CORS or trusted-host middleware that accepts any origin or host."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import ClassVar

import libcst as cst

from rulepack.evaluator.checks.base import Case, ModuleCheck, ModuleContext, ProjectFacts
from rulepack.evaluator.checks.common import is_true, is_web_module
from rulepack.evaluator.checks.facts import ModuleFacts, keyword, positional, string_value

CORS = frozenset(
    {"fastapi.middleware.cors.CORSMiddleware", "starlette.middleware.cors.CORSMiddleware"}
)
TRUSTED_HOST = frozenset(
    {
        "fastapi.middleware.trustedhost.TrustedHostMiddleware",
        "starlette.middleware.trustedhost.TrustedHostMiddleware",
    }
)
MIDDLEWARE_SPEC = frozenset({"starlette.middleware.Middleware", "fastapi.middleware.Middleware"})
# Origins no allow-list should accept; a regex that fully matches both allows any origin.
FOREIGN_ORIGINS = ("https://attacker.invalid", "http://evil.example:8080")


def module_constants(module: cst.Module) -> dict[str, cst.BaseExpression]:
    """Module-level ``NAME = value`` and ``NAME: T = value`` bindings (the last one wins)."""
    constants: dict[str, cst.BaseExpression] = {}
    for statement in module.body:
        if not isinstance(statement, cst.SimpleStatementLine):
            continue
        for small in statement.body:
            if isinstance(small, cst.Assign) and len(small.targets) == 1:
                target = small.targets[0].target
                if isinstance(target, cst.Name):
                    constants[target.value] = small.value
            elif (
                isinstance(small, cst.AnnAssign)
                and small.value is not None
                and isinstance(small.target, cst.Name)
            ):
                constants[small.target.value] = small.value
    return constants


def has_wildcard(
    node: cst.BaseExpression | None, constants: Mapping[str, cst.BaseExpression]
) -> bool:
    """Whether a list, tuple or set literal (or a module constant bound to one) contains ``"*"``."""
    if isinstance(node, cst.Name) and node.value in constants:
        node = constants[node.value]
    if string_value(node) == "*":
        return True  # a string is iterated character by character: "*" is a wildcard list
    if isinstance(node, cst.List | cst.Tuple | cst.Set):
        return any(
            isinstance(element, cst.Element) and string_value(element.value) == "*"
            for element in node.elements
        )
    return False


def matches_any_origin(node: cst.BaseExpression | None) -> bool:
    """Whether an ``allow_origin_regex`` literal fully matches origins of arbitrary sites."""
    pattern = string_value(node)
    if pattern is None:
        return False
    try:
        compiled = re.compile(pattern)
    except re.error:
        return False
    return all(compiled.fullmatch(origin) for origin in FOREIGN_ORIGINS)


class CorsWildcard(ModuleCheck):
    """CORS or trusted-host middleware open to every origin or host.

    ## What it does
    Finds ``CORSMiddleware`` configured with ``allow_origins`` containing ``"*"`` (directly or
    through a module constant) or an ``allow_origin_regex`` that matches any origin, and
    ``TrustedHostMiddleware`` whose ``allowed_hosts`` contain ``"*"`` or are left at their default
    (which is ``["*"]``). It looks at ``add_middleware(...)``, ``Middleware(...)`` specs and direct
    construction.

    ## Why is this bad?
    A wildcard origin lets any website call the API from a user's browser; with
    ``allow_credentials=True`` it acts with the user's cookies.
    """

    id = "cors-wildcard"
    summary = "CORS allows any origin; list the allowed origins explicitly"
    good: ClassVar[tuple[Case, ...]] = (
        Case.good(
            "from fastapi import FastAPI\nfrom fastapi.middleware.cors import CORSMiddleware\n\n"
            "from app.core.config import settings\n\n"
            "app = FastAPI()\n"
            "app.add_middleware(\n    CORSMiddleware,\n    allow_origins=settings.cors_origins,\n"
            "    allow_credentials=True,\n    allow_methods=['*'],\n    allow_headers=['*'],\n)\n",
            note="wildcard methods and headers are fine; origins come from settings",
        ),
        Case.good(
            "from starlette.middleware import Middleware\n"
            "from starlette.middleware.cors import CORSMiddleware\n"
            "from starlette.middleware.trustedhost import TrustedHostMiddleware\n\n"
            "ORIGINS = ['https://app.example.com']\n"
            "middleware = [\n"
            "    Middleware(CORSMiddleware, allow_origins=ORIGINS),\n"
            "    Middleware(CORSMiddleware, allow_origin_regex=r'https://.*\\.example\\.com'),\n"
            "    Middleware(TrustedHostMiddleware, allowed_hosts=['*.example.com']),\n"
            "]\n",
            note="explicit origins, a scoped regex and a subdomain host pattern",
        ),
        Case.good(
            "from fastapi import FastAPI\n\nfrom app.middleware import CORSMiddleware\n\n"
            "app = FastAPI()\napp.add_middleware(CORSMiddleware, allow_origins=['*'])\n",
            note="a project class named CORSMiddleware is not Starlette's",
        ),
    )
    bad: ClassVar[tuple[Case, ...]] = (
        Case.bad(
            "from fastapi import FastAPI\nfrom fastapi.middleware.cors import CORSMiddleware\n\n"
            "app = FastAPI()\n"
            "app.add_middleware(CORSMiddleware, allow_origins=['*'], allow_credentials=True)\n"
        ),
        Case.bad(
            "import fastapi.middleware.cors as cors\nfrom fastapi import FastAPI\n\n"
            "ALLOWED: list[str] = ['https://app.example.com', '*']\n\n"
            "application = FastAPI()\n"
            "application.add_middleware(cors.CORSMiddleware, allow_origins=ALLOWED)\n",
            note="a module alias and a module-level constant list",
        ),
        Case.bad(
            "from fastapi import FastAPI\nfrom starlette.middleware import Middleware\n"
            "from starlette.middleware.cors import CORSMiddleware as Cors\n\n"
            "app = FastAPI(middleware=[Middleware(Cors, allow_origin_regex='.*')])\n",
            note="Middleware spec with a match-everything regex",
        ),
        Case.bad(
            "from fastapi import FastAPI\n"
            "from fastapi.middleware.trustedhost import TrustedHostMiddleware\n\n"
            "app = FastAPI()\n"
            "app.add_middleware(TrustedHostMiddleware, allowed_hosts=['*'])\n"
            "app.add_middleware(TrustedHostMiddleware)\n",
            hits=2,
            note="explicit and default wildcard hosts",
        ),
    )

    def __init__(self, context: ModuleContext) -> None:
        """Start with no module constants; they are read when the module is visited."""
        super().__init__(context)
        self.constants: dict[str, cst.BaseExpression] = {}

    @classmethod
    def applies(cls, facts: ModuleFacts, project: ProjectFacts) -> bool:
        """Modules that use FastAPI or Starlette."""
        return is_web_module(facts, project)

    def visit_Module(self, node: cst.Module) -> None:
        """Read the module's constants, for ``allow_origins=ORIGINS``."""
        self.constants = module_constants(node)

    def visit_Call(self, node: cst.Call) -> None:
        """Check middleware registered with ``add_middleware``, ``Middleware`` or built directly."""
        if isinstance(node.func, cst.Attribute) and node.func.attr.value == "add_middleware":
            middleware = positional(node, 0) or keyword(node, "middleware_class")
        elif self.qualified(node.func) in MIDDLEWARE_SPEC:
            middleware = positional(node, 0) or keyword(node, "cls")
        else:
            middleware = node.func
        kind = self.qualified(middleware) if middleware is not None else None
        if kind in CORS:
            self._check_cors(node)
        elif kind in TRUSTED_HOST:
            self._check_hosts(node)

    def _check_cors(self, call: cst.Call) -> None:
        credentials = is_true(keyword(call, "allow_credentials"))
        suffix = (
            " together with allow_credentials=True, so any site acts with users' cookies"
            if credentials
            else ""
        )
        origins = keyword(call, "allow_origins")
        if origins is not None and has_wildcard(origins, self.constants):
            self.report(
                origins,
                f"CORSMiddleware allows every origin (`*`){suffix}; "
                "list the allowed origins from settings",
            )
        regex = keyword(call, "allow_origin_regex")
        if regex is not None and matches_any_origin(regex):
            self.report(
                regex,
                f"allow_origin_regex matches every origin{suffix}; "
                "list the allowed origins from settings",
            )

    def _check_hosts(self, call: cst.Call) -> None:
        hosts = keyword(call, "allowed_hosts")
        if hosts is None:
            self.report(
                call,
                "TrustedHostMiddleware without allowed_hosts accepts every host (the default is "
                '["*"]); list the served host names',
            )
        elif has_wildcard(hosts, self.constants):
            self.report(hosts, "TrustedHostMiddleware allows every host (`*`); list the host names")
