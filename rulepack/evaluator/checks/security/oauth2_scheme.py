"""oauth2-scheme: authentication without a ``fastapi.security`` scheme (project check).

Reads the ``ast`` trees of the sample for signs of authentication (a ``get_current_user``-like
dependency, login or token routes, routes taking a token, a hand-parsed ``Authorization``
header) and the imports for a security scheme.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import ClassVar

from rulepack.evaluator.checks.ast_facts import ast_dotted, import_map
from rulepack.evaluator.checks.base import Case, Hit, ProjectCheck
from rulepack.evaluator.checks.common import FRAMEWORKS, imports_any, is_test_path
from rulepack.evaluator.checks.facts import ModuleFacts, Span
from rulepack.evaluator.checks.security.support import ast_span
from rulepack.evaluator.checks.sync_route_handler import is_route_owner

SCHEMES = frozenset(
    {"OAuth2PasswordBearer", "OAuth2AuthorizationCodeBearer", "OAuth2", "OpenIdConnect"}
    | {"HTTPBearer", "HTTPBasic", "HTTPDigest", "HTTPBase", "SecurityBase"}
    | {"APIKeyHeader", "APIKeyCookie", "APIKeyQuery"}
)
# Libraries that bring their own fastapi.security-based schemes or authentication middleware.
AUTH_LIBRARIES = (
    "fastapi_users",
    "fastapi_jwt_auth",
    "authx",
    "fastapi_login",
    "fastapi_azure_auth",
    "fastapi_keycloak",
    "fief_client",
    "supertokens_python",
    "starlette.authentication",
    "starlette.middleware.authentication",
)
CUSTOM_SCHEME_BASES = SCHEMES | {"AuthenticationBackend"}
# Libraries whose server classes authenticate OAuth2 clients and tokens by the RFCs themselves:
# a header their subclasses read is the protocol at work, not a route's hand-made auth.
OAUTH_SERVER_LIBRARIES = ("authlib.",)
CURRENT_USER = re.compile(
    r"^_?(get_)?(current|authenticated|logged_in)_(active_)?(super)?user$"
    r"|^_?(get_)?user_from_token$|^require_(user|auth|login|authentication)$"
)
TOKEN_PARAMS = frozenset({"token", "access_token", "auth_token", "api_key", "apikey"})
HEADER_PARAMS = frozenset({"authorization", "auth_header", "authorization_header"})
# One-time tokens in links (e-mail verification, password reset, invitations, webhooks).
ONE_TIME_TOKEN = re.compile(r"verif|confirm|reset|invit|unsubscribe|activat|webhook|callback")


def has_scheme(modules: tuple[ModuleFacts, ...]) -> bool:
    """Whether some module imports a ``fastapi.security`` scheme or an auth library."""
    for module in modules:
        for name in module.imported:
            if name == "fastapi.security" or (
                name.startswith("fastapi.security.") and name.rsplit(".", 1)[-1] in SCHEMES
            ):
                return True
            if any(name == lib or name.startswith(f"{lib}.") for lib in AUTH_LIBRARIES):
                return True
    return False


def _is_authorization(node: ast.expr | None) -> bool:
    return (
        isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and node.value.lower() == "authorization"
    )


def _headers_of(node: ast.expr) -> bool:
    return isinstance(node, ast.Attribute) and node.attr == "headers"


@dataclass(frozen=True)
class _Evidence:
    rank: int  # lower is stronger
    path: str
    span: Span
    text: str


@dataclass
class _Scanner(ast.NodeVisitor):
    """Finds signs of authentication and hand-parsed ``Authorization`` headers in one module."""

    facts: ModuleFacts
    routes: frozenset[tuple[str, int]]
    route_paths: tuple[tuple[str, int, str], ...] = ()  # (function, def line, literal path)
    evidence: list[_Evidence] = field(default_factory=list)
    manual: list[_Evidence] = field(default_factory=list)
    scheme_classes: int = 0  # depth inside classes that implement a scheme or backend
    bases: dict[str, str] = field(default_factory=dict)  # imported names -> qualified names

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        custom = any(
            (ast_dotted(base) or "").rsplit(".", 1)[-1] in CUSTOM_SCHEME_BASES
            or self.bases.get(ast_dotted(base) or "", "").startswith(OAUTH_SERVER_LIBRARIES)
            for base in node.bases
        )
        self.scheme_classes += custom
        self.generic_visit(node)
        self.scheme_classes -= custom

    def visit_FunctionDef(self, node: ast.FunctionDef) -> None:
        self._function(node)

    def visit_AsyncFunctionDef(self, node: ast.AsyncFunctionDef) -> None:
        self._function(node)

    def _function(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        if CURRENT_USER.match(node.name):
            self._evidence(0, node, f"dependency `{node.name}` authenticates callers")
        is_route = (node.name, node.lineno) in self.routes
        arguments = [*node.args.posonlyargs, *node.args.args, *node.args.kwonlyargs]
        defaults = dict(
            zip(
                [a.arg for a in [*node.args.posonlyargs, *node.args.args]][::-1],
                node.args.defaults[::-1],
                strict=False,
            )
        )
        defaults.update(
            (a.arg, d)
            for a, d in zip(node.args.kwonlyargs, node.args.kw_defaults, strict=True)
            if d is not None
        )
        for argument in arguments:
            name = argument.arg.lower()
            declared = [argument.annotation, defaults.get(argument.arg)]
            if name in HEADER_PARAMS and any(_mentions_header(part) for part in declared):
                self._manual(argument)
            elif is_route and name in TOKEN_PARAMS and not self._one_time(node):
                self._evidence(2, argument, f"route `{node.name}` takes a `{argument.arg}`")
        self.generic_visit(node)

    def _one_time(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
        """A route that takes a one-time token from a link, not a credential."""
        paths = [
            p for name, line, p in self.route_paths if (name, line) == (node.name, node.lineno)
        ]
        return bool(ONE_TIME_TOKEN.search(node.name)) or any(
            ONE_TIME_TOKEN.search(path) for path in paths
        )

    def visit_Subscript(self, node: ast.Subscript) -> None:
        if _headers_of(node.value) and _is_authorization(node.slice):
            self._manual(node)
        self.generic_visit(node)

    def visit_Call(self, node: ast.Call) -> None:
        func = node.func
        if (
            isinstance(func, ast.Attribute)
            and func.attr == "get"
            and _headers_of(func.value)
            and node.args
            and _is_authorization(node.args[0])
        ):
            self._manual(node)
            # ``headers.get("Authorization", headers.get("authorization"))`` is one read: its
            # fallback argument is not reported again.
            self.visit(func)
            return
        self.generic_visit(node)

    def _manual(self, node: ast.expr | ast.arg) -> None:
        if self.scheme_classes:
            return
        self._evidence(1, node, "the `Authorization` header is parsed by hand")
        self.manual.append(self.evidence[-1])

    def _evidence(self, rank: int, node: ast.expr | ast.stmt | ast.arg, text: str) -> None:
        if isinstance(node, ast.arg):
            span = Span(node.lineno, node.col_offset + 1, node.lineno, node.col_offset + 1)
        else:
            span = ast_span(node)
        self.evidence.append(_Evidence(rank, self.facts.path, span, text))


def _mentions_header(node: ast.expr | None) -> bool:
    """Whether an annotation or default uses ``Header`` (``Annotated[str, Header()]``)."""
    if node is None:
        return False
    return any(
        isinstance(sub, ast.Name | ast.Attribute)
        and (ast_dotted(sub) or "").rsplit(".", 1)[-1] == "Header"
        for sub in ast.walk(node)
    )


class Oauth2Scheme(ProjectCheck):
    """Authentication without a ``fastapi.security`` scheme.

    ## What it does
    Looks for signs that the sample authenticates callers: a ``get_current_user``-like
    dependency (``get_current_user``, ``current_active_user``, ``require_auth`` ...), a route
    taking a ``token``/``api_key`` parameter (not one-time tokens of verification, reset or
    invitation links), or an ``Authorization`` header read by hand
    (``request.headers["Authorization"]``, ``.headers.get(...)``, an ``authorization``
    parameter declared with ``Header()``). When the sample imports no
    ``fastapi.security`` scheme (``OAuth2PasswordBearer``, ``HTTPBearer``, ``APIKeyHeader`` ...)
    nor an auth library built on them (fastapi-users, authx ...), it reports the strongest
    sign once. A login route alone is no sign: the sample may not show where tokens are used.
    Hand-parsed headers are reported in any case, except inside classes that implement a
    scheme or a Starlette ``AuthenticationBackend``.

    ## Why is this bad?
    A security scheme extracts and rejects missing tokens consistently and documents
    authentication in OpenAPI, so ``/docs`` can authorize requests; hand-parsed headers each
    handle a missing or malformed token differently.
    """

    id = "oauth2-scheme"
    summary = "authentication without a `fastapi.security` scheme, or a hand-parsed header"
    good: ClassVar[tuple[Case, ...]] = (
        Case.good(
            "from typing import Annotated\n\nimport jwt\n"
            "from fastapi import Depends, HTTPException, status\n"
            "from fastapi.security import OAuth2PasswordBearer\n\n"
            "oauth2_scheme = OAuth2PasswordBearer(tokenUrl='/api/v1/auth/token')\n\n\n"
            "async def get_current_user(\n"
            "    token: Annotated[str, Depends(oauth2_scheme)],\n"
            "    users: Annotated[UserRepository, Depends(get_user_repository)],\n"
            ") -> User:\n"
            "    user = await users.get(int(decode_subject(token)))\n"
            "    if user is None:\n"
            "        raise HTTPException(status.HTTP_401_UNAUTHORIZED, detail='Invalid')\n"
            "    return user\n",
            path="app/dependencies.py",
        ),
        Case(
            files={
                "app/core/security.py": (
                    "from fastapi import Request\nfrom fastapi import security as sec\n\n\n"
                    "class CookieOrBearer(sec.HTTPBearer):\n"
                    "    async def __call__(self, request: Request) -> str | None:\n"
                    "        header = request.headers.get('Authorization')\n"
                    "        return header or request.cookies.get('token')\n\n\n"
                    "bearer = CookieOrBearer()\n"
                ),
                "app/routers/auth.py": (
                    "from fastapi import APIRouter\n\nrouter = APIRouter()\n\n\n"
                    "@router.post('/token')\nasync def login(form: LoginForm) -> Token:\n"
                    "    return await issue(form)\n"
                ),
                "tests/test_auth.py": (
                    "def test_me(client: object) -> None:\n"
                    "    client.headers['Authorization'] = 'Bearer x'\n"
                    "    assert client.headers.get('authorization')\n"
                ),
            },
            hits=0,
            note="a scheme module imported whole, a custom scheme class reading the header, tests",
        ),
        Case(
            files={
                "app/oauth/server.py": (
                    "from authlib.oauth2 import ResourceProtector as _Protector\n\n\n"
                    "class TokenProtector(_Protector):\n"
                    "    def bearer_of(self, request: object) -> str | None:\n"
                    "        value = request.headers.get('Authorization')\n"
                    "        return value.removeprefix('Bearer ') if value else None\n"
                ),
                "app/routers/me.py": (
                    "from fastapi import APIRouter\n\nrouter = APIRouter()\n\n\n"
                    "@router.get('/me')\nasync def me() -> dict[str, str]:\n    return {}\n"
                ),
            },
            hits=0,
            note="an OAuth2 server library's subclass reads the header as the RFCs say",
        ),
        Case(
            files={
                "app/main.py": (
                    "from fastapi import FastAPI\n\napp = FastAPI()\n\n\n"
                    "@app.get('/items')\nasync def items() -> list[str]:\n    return []\n\n\n"
                    "@app.post('/items', status_code=201)\n"
                    "async def create(name: str) -> str:\n    return name\n\n\n"
                    "@app.get('/newsletter/confirm')\n"
                    "async def confirm(token: str) -> None:\n    pass\n"
                ),
                "app/routers/auth.py": (
                    "@router.post('/token')\n@limiter.limit('5/minute')\n"
                    "async def login(request: Request, form: LoginFormDep) -> Token:\n"
                    "    return await auth.issue_token(form.username, form.password)\n"
                ),
            },
            hits=0,
            note="public routes, a confirmation link's token, a login route alone",
        ),
    )
    bad: ClassVar[tuple[Case, ...]] = (
        Case.bad(
            "from typing import Annotated\n\nfrom fastapi import Header\n\n\n"
            "async def get_current_user(authorization: Annotated[str, Header()]) -> User:\n"
            "    token = authorization.removeprefix('Bearer ')\n"
            "    return await load_user_from_token(token)\n",
            hits=2,
            path="app/dependencies.py",
            note="no scheme anywhere, and the header parsed by hand",
        ),
        Case(
            files={
                "main.py": (
                    "from fastapi import FastAPI, Request\n\napp = FastAPI()\n\n\n"
                    "@app.post('/login')\nasync def login(request: Request) -> dict[str, str]:\n"
                    "    return {'token': 't'}\n\n\n"
                    "@app.get('/cart/add')\n"
                    "async def add_to_cart(product_id: int, token: str = '') -> None:\n"
                    "    pass\n"
                ),
            },
            hits=1,
            note="a login route and a token query parameter, no scheme",
        ),
        Case(
            files={
                "app/core/security.py": (
                    "from fastapi.security import OAuth2PasswordBearer\n\n"
                    "oauth2_scheme = OAuth2PasswordBearer(tokenUrl='/token')\n"
                ),
                "app/dependencies.py": (
                    "from fastapi import Request\n\n\n"
                    "async def admin_only(request: Request) -> None:\n"
                    "    token = request.headers['Authorization'].split()[1]\n"
                    "    await check_admin(token)\n\n\n"
                    "async def auditor_only(request: Request) -> None:\n"
                    "    raw = request.headers.get(\n"
                    "        'Authorization', request.headers.get('authorization')\n    )\n"
                    "    await check_auditor(raw)\n\n\n"
                    "class ApiKeyGuard:\n"
                    "    async def __call__(self, request: Request) -> None:\n"
                    "        await check(request.headers.get('authorization'))\n"
                ),
            },
            hits=3,
            note="a scheme exists but three dependencies parse the header themselves (a "
            "fallback read counts once)",
        ),
    )

    def applies(self) -> bool:
        """Samples that use FastAPI or Starlette."""
        return any(
            module.apps or module.routes or imports_any(module, *FRAMEWORKS)
            for module in self.project.modules
        )

    def run(self) -> Iterator[Hit]:
        """Report the strongest sign of authentication without a scheme, and manual parsing."""
        evidence: list[_Evidence] = []
        manual: list[_Evidence] = []
        for module in self.project.modules:
            tree = self.project.trees.get(module.path)
            if tree is None or is_test_path(module.path):
                continue
            routes = frozenset(
                (route.function, route.span.line)
                for route in module.routes
                if is_route_owner(route.owner, self.project)
            )
            paths = tuple((r.function, r.span.line, r.path or "") for r in module.routes)
            imported = import_map(tree, module.module, module.path).names
            scanner = _Scanner(module, routes, paths, bases=dict(imported))
            scanner.visit(tree)
            evidence.extend(scanner.evidence)
            manual.extend(scanner.manual)
        if evidence and not has_scheme(self.project.modules):
            best = min(evidence, key=lambda item: item.rank)
            yield Hit(
                best.path,
                best.span,
                f"{best.text}, but the project declares no `fastapi.security` scheme; declare "
                "`OAuth2PasswordBearer(tokenUrl=...)` and depend on it in `get_current_user`",
            )
        for item in manual:
            yield Hit(
                item.path,
                item.span,
                "the `Authorization` header is parsed by hand; take the token from a "
                "`fastapi.security` scheme (`Depends(oauth2_scheme)`)",
            )
