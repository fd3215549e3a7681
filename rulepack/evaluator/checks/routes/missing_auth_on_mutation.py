"""missing-auth-on-mutation: POST/PUT/PATCH/DELETE routes with no visible auth dependency."""

from __future__ import annotations

import ast
import re
from typing import ClassVar

import libcst as cst
from libcst.metadata import PositionProvider

from rulepack.evaluator.checks.base import Case, Hit, ModuleContext
from rulepack.evaluator.checks.common import is_health_path
from rulepack.evaluator.checks.facts import Span
from rulepack.evaluator.checks.imports import dotted
from rulepack.evaluator.checks.routes.handlers import MUTATING, Handler, RouteCheck
from rulepack.evaluator.checks.routes.naming import snake
from rulepack.evaluator.checks.routes.sample import ParamInfo, keyword_value

PUBLIC_PARAM = "public_paths"
DEFAULT_PUBLIC = ("/login", "/token", "/register", "/health")
AUTH_WORDS = re.compile(
    r"current_?user|auth|require|verify|oauth|scheme|token|permission|role|admin|superuser"
    r"|guard|api_?key|bearer|jwt|credential|scope|principal|logged_?in|signed_?in|caller|owner"
)
SECURITY_TYPES = re.compile(r"^fastapi\.security\.|^fastapi\.security$")
AUTH_HEADERS = re.compile(r"authorization|api_?key|token")
# Path segments of flows that cannot require a logged-in user: sign-up, password recovery,
# e-mail verification, and webhooks (which authenticate by signature).
AUTH_FLOW = re.compile(
    r"^(sign-?up|sign_up|register|registration|password-(recovery|reset)"
    r"|(reset|forgot|recover)-password|(verify|confirm)-email|email-(verification|confirmation)"
    r"|(refresh|renew)([-_]?(access[-_]?)?tokens?)?|tokens?[-_](refresh|renew))$|webhook"
)
# Handlers of the same flows, by name (``POST /users`` handled by ``register``).
AUTH_FLOW_NAME = re.compile(r"^(register|sign_?up|refresh(_access)?(_tokens?)?|renew_tokens?)(_|$)")
DEV_SWITCH = re.compile(r"(?i)environment|\benv\b|debug|local|develop|\bdev\b|testing")
SECRET_NAME = re.compile(r"secret|(^|_)token$|^(license_)?key$|invitation_token|claim_token")
RAW_BODY = frozenset({"body", "form", "json", "stream"})
# A handler that checks a request signature (an HMAC of the body, a signed webhook payload)
# authenticates its caller by that signature, not by a user dependency.
SIGNATURE_CALL = re.compile(r"signature|compare_digest|construct_event|verify_webhook|hmac")
# POST routes that only read: searches and look-ups with a body.
READ_ONLY_NAME = re.compile(r"(^|_)(search|query|lookup)(_|$)")
READ_ONLY_SEGMENTS = frozenset({"search", "query", "lookup"})
_MAX_DEPTH = 2


def public_paths(value: object) -> tuple[str, ...]:
    """The ``public_paths`` parameter as a tuple of path endings."""
    if isinstance(value, str):
        return tuple(part.strip() for part in value.split(",") if part.strip())
    if isinstance(value, tuple | list):
        return tuple(str(part) for part in value)
    return DEFAULT_PUBLIC


def ends_with(path: str, ending: str) -> bool:
    """Whether ``path`` ends in the segments of ``ending`` (``/auth/login`` ends in ``/login``)."""
    path, ending = path.rstrip("/"), "/" + ending.strip("/")
    return ending != "/" and (path == ending or path.endswith(ending))


def _auth_flow(path: str) -> bool:
    """Whether a path belongs to sign-up, password recovery, e-mail checks or a webhook."""
    return any(AUTH_FLOW.search(segment.lower()) for segment in path.split("/") if segment)


def _visibly_auth(param: ParamInfo) -> bool:
    """A ``Security()`` parameter, an alias named like auth, or a ``fastapi.security`` type."""
    if param.marker is not None and param.marker.kind == "security":
        return True
    if auth_like(param.alias) or auth_like(param.written_name):
        return True
    type_name = param.type_name or ""
    return SECURITY_TYPES.match(type_name) is not None and "Form" not in type_name


def _signature_header(param: ParamInfo) -> bool:
    """A ``Header()`` parameter carrying a request signature (``x_hub_signature_256``)."""
    marker = param.marker
    return marker is not None and marker.kind == "header" and "signature" in param.name.lower()


def auth_like(name: str | None) -> bool:
    """Whether a dependency, alias or type name reads like authentication."""
    return name is not None and AUTH_WORDS.search(snake(name.rsplit(".", 1)[-1])) is not None


class MissingAuthOnMutation(RouteCheck):
    """Mutating routes without an authentication dependency.

    ## What it does
    Finds ``POST``, ``PUT``, ``PATCH`` and ``DELETE`` routes with no sign of authentication: no
    ``Security(...)`` parameter; no ``Depends(...)`` parameter whose dependency, alias or type is
    named like auth (``get_current_user``, ``CurrentUser``, ``require_admin``, ``verify_token``,
    ``oauth2_scheme``, ``RoleChecker`` ...) or, within two levels, itself depends on one; no
    ``fastapi.security`` credential parameter or auth header; and no ``dependencies=[...]`` on the
    decorator, on its ``APIRouter``, on any ``include_router(...)`` mounting it or on the app.
    Routes whose path ends in one of the rule's ``public_paths`` (``/login``, ``/token``,
    ``/register``, ``/health``) are public by design, and so are the flows that cannot require a
    logged-in user: sign-up (``/signup``), password recovery and reset, e-mail verification, and
    webhooks (which authenticate by signature). ``POST`` searches (``POST /search``, a handler
    named ``search_*``) read rather than write and are skipped.

    ## Why is this bad?
    A single unguarded write endpoint lets anyone change or delete data. The check sees only
    dependencies; a route that authenticates by hand in its body is reported too, and should move
    that code into a dependency.
    """

    id = "missing-auth-on-mutation"
    summary = "mutating route without an auth dependency"
    params = (PUBLIC_PARAM,)
    good: ClassVar[tuple[Case, ...]] = (
        Case.good(
            "from typing import Annotated\n\nfrom fastapi import APIRouter, Depends, status\n\n"
            "router = APIRouter(prefix='/users', tags=['users'])\n\n\n"
            "@router.delete('/{user_id}', status_code=status.HTTP_204_NO_CONTENT)\n"
            "async def delete_user(\n    user_id: int,\n"
            "    admin: Annotated[User, Depends(require_admin)],\n    service: UserServiceDep,\n"
            ") -> None:\n    await service.delete(user_id, deleted_by=admin.id)\n\n\n"
            "@router.post('/auth/login')\nasync def login(form: LoginForm) -> Token:\n"
            "    return await service.login(form)\n\n\n"
            "@router.patch('/{user_id}')\n"
            "async def patch(user_id: int, me: CurrentUserDep) -> None:\n    pass\n\n\n"
            "@router.put('/{user_id}', dependencies=[Depends(rate_limit)])\n"
            "async def put(user_id: int) -> None:\n    pass\n\n\n"
            "@router.post('/signup')\nasync def signup(payload: UserIn) -> None:\n    pass\n\n\n"
            "@router.post('/password-recovery/{email}')\nasync def recover(email: str) -> None:\n"
            "    pass\n\n\n"
            "@router.post('/webhooks/stripe')\nasync def stripe(request: Request) -> None:\n"
            "    pass\n\n\n"
            "@router.post('/search')\nasync def search_users(body: UserSearch) -> list[str]:\n"
            "    return []\n",
            note="an auth dependency, a public path, an alias named like auth, route "
            "dependencies, sign-up, password recovery, a webhook and a POST search",
        ),
        Case(
            files={
                "app/security.py": (
                    "from typing import Annotated\n\nfrom fastapi import Depends, Security\n"
                    "from fastapi.security import OAuth2PasswordBearer\n\n"
                    "scheme = OAuth2PasswordBearer(tokenUrl='/token')\n\n\n"
                    "async def resolve_user(token: Annotated[str, Depends(scheme)]) -> str:\n"
                    "    return token\n\n\n"
                    "Who = Annotated[str, Depends(resolve_user)]\nCaller = Who\n\n\n"
                    "def get_order_service(user: Who) -> object:\n    return object()\n"
                ),
                "app/routers/orders.py": (
                    "from typing import Annotated\n\nfrom fastapi import APIRouter, Depends\n\n"
                    "from app.security import Caller, get_order_service\n\n"
                    "router = APIRouter(prefix='/orders')\n"
                    "admin = APIRouter(prefix='/admin', dependencies=[Depends(object)])\n\n\n"
                    "@router.post('', status_code=201)\nasync def create(user: Caller) -> None:\n"
                    "    pass\n\n\n"
                    "@router.delete('/{order_id}', status_code=204)\n"
                    "async def delete(order_id: int, svc=Depends(get_order_service)) -> None:\n"
                    "    pass\n\n\n"
                    "@admin.put('/flags')\nasync def flags() -> None:\n    pass\n"
                ),
                "app/main.py": (
                    "from fastapi import Depends, FastAPI\n\nfrom app.routers import orders\n\n"
                    "app = FastAPI()\napp.include_router(orders.router, dependencies=[Depends("
                    "orders.Caller)])\n\n\n@app.post('/health/restart')\n"
                    "async def restart() -> None:\n    pass\n"
                ),
            },
            hits=0,
            note="an alias of another module, a dependency that depends on auth, router and "
            "include dependencies, a health path",
        ),
        Case(
            files={
                "app/views/base.py": (
                    "from fastapi import Depends\n\nfrom app.security import current_user\n\n\n"
                    "class MemberView:\n    member: object = Depends(current_user)\n"
                ),
                "app/views/notes.py": (
                    "from fastapi import APIRouter\n\nfrom app.views.base import MemberView\n"
                    "from app.views.cbv import view\n\n"
                    "router = APIRouter(prefix='/notes', tags=['notes'])\n\n\n"
                    "@view(router)\nclass NotesView(MemberView):\n"
                    "    @router.delete('/{note_id}', status_code=204)\n"
                    "    def drop(self, note_id: int) -> None:\n        pass\n"
                ),
            },
            hits=0,
            note="a class-based view whose base class declares the auth dependency",
        ),
        Case(
            files={
                "src/shop/hooks.py": (
                    "import hmac\n\nfrom fastapi import APIRouter, Header, Request\n\n"
                    "router = APIRouter(tags=['hooks'])\n\n\n"
                    "@router.post('/events/payments')\n"
                    "async def payment_event(request: Request) -> None:\n"
                    "    body = await request.body()\n"
                    "    if not hmac.compare_digest(sign(body), request.headers['x-sig']):\n"
                    "        raise ValueError\n\n\n"
                    "@router.post('/events/repo')\nasync def repo_event(\n"
                    "    x_hub_signature_256: str = Header(),\n) -> None:\n    pass\n\n\n"
                    "@router.post('/session/refresh')\nasync def renew() -> None:\n    pass\n\n\n"
                    "@router.post('/members')\nasync def register(body: dict) -> None:\n"
                    "    pass\n\n\n"
                    "class Redeem(BaseModel):\n    voucher: str\n    invitation_token: str\n\n\n"
                    "@router.post('/vouchers/redeem')\nasync def redeem(body: Redeem) -> None:\n"
                    "    pass\n\n\n"
                    "@router.post('/carts/{cart_secret}/seen')\n"
                    "async def seen(cart_secret: str) -> None:\n    pass\n"
                ),
                "src/shop/api.py": (
                    "from fastapi import APIRouter, Depends\n\n"
                    "from shop.hooks import router as hooks_router\n"
                    "from shop.orders import router as orders_router\n\n"
                    "api = APIRouter()\n"
                    "api.include_router(orders_router, dependencies=[Depends(object)])\n"
                ),
                "src/shop/orders.py": (
                    "from fastapi import APIRouter\n\nrouter = APIRouter(tags=['orders'])\n\n\n"
                    "@router.post('/orders')\nasync def place() -> None:\n    pass\n"
                ),
            },
            hits=0,
            note="signature-verified webhooks, a token refresh, a registration handler, "
            "capabilities (a secret in the path, a token in the body model), and "
            "include dependencies in a "
            "src/ layout (the including module imports `shop.orders`, not `src.shop.orders`)",
        ),
        Case(
            files={
                "app/routes/seed.py": (
                    "from fastapi import APIRouter\n\nrouter = APIRouter(prefix='/seed')\n\n\n"
                    "@router.post('/users')\nasync def seed_user() -> None:\n    pass\n"
                ),
                "app/main.py": (
                    "from fastapi import FastAPI\n\nfrom app.config import settings\n"
                    "from app.routes import seed\n\napp = FastAPI()\n"
                    "if settings.ENVIRONMENT == 'local':\n    app.include_router(seed.router)\n"
                ),
            },
            hits=1,
            note="a route mounted only in the local environment is advisory, not scored",
        ),
    )
    bad: ClassVar[tuple[Case, ...]] = (
        Case(
            files={
                "app/views/base.py": (
                    "from fastapi import Depends\n\nfrom app.db import get_session\n\n\n"
                    "class BaseView:\n    session: object = Depends(get_session)\n"
                ),
                "app/views/notes.py": (
                    "from fastapi import APIRouter\n\nfrom app.views.base import BaseView\n\n"
                    "router = APIRouter(prefix='/notes', tags=['notes'])\n\n\n"
                    "class NotesView(BaseView):\n"
                    "    @router.delete('/{note_id}', status_code=204)\n"
                    "    def drop(self, note_id: int) -> None:\n        pass\n"
                ),
            },
            hits=1,
            note="a class-based view whose class dependencies include no auth",
        ),
        Case.bad(
            "@router.delete('/{user_id}', status_code=status.HTTP_204_NO_CONTENT)\n"
            "async def delete_user(user_id: int, service: UserServiceDep) -> None:\n"
            "    await service.delete(user_id)\n",
            path="app/routers/users.py",
        ),
        Case(
            files={
                "app/deps.py": (
                    "from typing import Annotated\n\nfrom fastapi import Depends\n\n\n"
                    "def get_db() -> object:\n    return object()\n\n\n"
                    "def get_service(db: Annotated[object, Depends(get_db)]) -> object:\n"
                    "    return object()\n\n\n"
                    "ServiceDep = Annotated[object, Depends(get_service)]\n"
                ),
                "app/main.py": (
                    "from fastapi import Depends, FastAPI, Request\n\nfrom app.deps import "
                    "ServiceDep\n\napp = FastAPI()\n\n\n"
                    "@app.post('/checkout')\nasync def checkout(request: Request) -> None:\n"
                    "    token = request.headers.get('Authorization')\n\n\n"
                    "@app.api_route('/items/{item_id}', methods=['GET', 'PATCH'])\n"
                    "async def item(item_id: int, svc: ServiceDep, db=Depends(get_db)) -> None:\n"
                    "    pass\n\n\n"
                    "@app.post('/registration-check')\nasync def check() -> None:\n    pass\n"
                ),
            },
            hits=3,
            note="auth by hand in the body, dependencies that lead to no auth, a path that only "
            "contains a public word",
        ),
    )

    def __init__(self, context: ModuleContext) -> None:
        """Start with no handler awaiting its body."""
        super().__init__(context)
        self._unguarded: dict[Handler, str] = {}
        self._signed: set[Handler] = set()
        self._raw: set[Handler] = set()  # handlers that read the raw request body

    def visit_Call(self, node: cst.Call) -> None:
        """A call in a handler's body that verifies a request signature."""
        handler = self.handler
        if handler is None or handler not in self._unguarded:
            return
        name = dotted(node.func) if isinstance(node.func, cst.Name | cst.Attribute) else None
        if name is not None and SIGNATURE_CALL.search(snake(name.rsplit(".", 1)[-1])):
            self._signed.add(handler)
        receiver, _, method = (name or "").rpartition(".")
        if method in RAW_BODY and receiver in self._request_params(handler):
            self._raw.add(handler)

    def leave_handler(self, handler: Handler) -> None:
        """Report the handler unless its body verified a request signature."""
        message = self._unguarded.pop(handler, None)
        condition = self._dev_only(handler) if message is not None else None
        if message is not None and condition is not None:
            # Mounted only under a development switch: not exposed where it would matter.
            span = Span.of(self.get_metadata(PositionProvider, handler.node.name))
            message += f"; its router is mounted only when `{condition}`: if that is a "
            message += "development-only switch, it is not exposed in production"
            self.hits.append(Hit(self.context.path, span, message, advisory=True))
            message = None
        raw = handler in self._raw
        if message is not None and handler not in self._signed and raw:
            # A webhook reads its raw body and may check its signature in a library we
            # cannot see (Slack's bolt, a provider SDK): the check cannot decide.
            span = Span.of(self.get_metadata(PositionProvider, handler.node.name))
            message += (
                "; it reads the raw request body, or a body model that could not be read: if a "
                "library verifies its signature, or the body carries a key or token, it is "
                "public by design"
            )
            self.hits.append(Hit(self.context.path, span, message, advisory=True))
        elif message is not None and handler not in self._signed:
            self.report(handler.node.name, message)
        self._signed.discard(handler)
        self._raw.discard(handler)

    def _carries_secret(self, param: ParamInfo) -> bool:
        """A parameter, or a field of a body model, that is a secret the caller must present.

        A checkout's client secret in the path, a license key or an invitation token in the
        body: whoever holds it may act, which is how these public flows authenticate.
        """
        if SECRET_NAME.search(param.name):
            return True
        name = param.type_name
        found = self.index.class_def(name) if name is not None and "." in name else None
        if found is None:
            return False
        return any(
            isinstance(stmt, ast.AnnAssign)
            and isinstance(stmt.target, ast.Name)
            and SECRET_NAME.search(stmt.target.id) is not None
            for stmt in found[0].body
        )

    def _dev_only(self, handler: Handler) -> str | None:
        """The condition of a module-level ``if`` around each include mounting the router.

        ``if settings.ENVIRONMENT == "local": api.include_router(private.router)`` mounts a
        seeding route only in development.
        """
        conditions: list[str] = []
        for route in handler.routes:
            includes = self.index.includes_of(route.owner)
            if not includes:
                return None
            for include, path in includes:
                call = self.index.include_call(include, path)
                tree = self.context.project.trees.get(path)
                test = _guard_of(call, tree) if call is not None and tree is not None else None
                if test is None or DEV_SWITCH.search(test) is None:
                    return None
                conditions.append(test)
        return conditions[0] if conditions else None

    def _unreadable_model(self, param: ParamInfo) -> bool:
        """A parameter typed with a class from a sample file that did not parse.

        Its fields (a license key, an invitation token) cannot be read, so whether the caller
        presents a secret cannot be decided.
        """
        name = param.type_name
        if name is None or "." not in name:
            return False
        module = name.rpartition(".")[0]
        if self.index.module_path(module) is not None:
            return False
        stem = module.replace(".", "/")
        files = self.context.project.files
        return any(f.endswith((f"{stem}.py", f"{stem}/__init__.py")) for f in files)

    def _request_params(self, handler: Handler) -> set[str]:
        """Names of the handler's parameters typed as a Starlette/FastAPI ``Request``."""
        return {
            p.name
            for p in self.handler_params(handler)
            if (p.type_name or "").rsplit(".", 1)[-1] == "Request"
        }

    def enter_handler(self, handler: Handler) -> None:
        """Note a mutating route with no auth dependency (reported when its body is seen)."""
        methods = handler.methods & MUTATING
        paths = [*handler.paths, *self._full_paths(handler)]
        if not methods or self._public(paths) or self._read_only(handler, paths):
            return
        if AUTH_FLOW_NAME.match(snake(handler.name)) or self._guarded(handler):
            return
        if any(p.type_name == "bytes" for p in self.handler_params(handler)):
            self._raw.add(handler)  # the raw body, from a dependency such as ``get_body``
        if any(self._unreadable_model(p) for p in self.handler_params(handler)):
            self._raw.add(handler)  # a body model in a file that did not parse: may hold a key
        path = paths[-1] if paths else "..."
        self._unguarded[handler] = (
            f"{'/'.join(sorted(methods))} `{path}` (`{handler.name}`) declares no auth "
            "dependency; unless it is meant to be public, require one "
            "(`current_user: Annotated[User, Depends(get_current_user)]` or router "
            "`dependencies=[...]`)"
        )

    def _guarded(self, handler: Handler) -> bool:
        """An auth, signature or secret parameter, class attribute, or route/router dependencies.

        A secret the caller must hold (a capability) authenticates it, too.
        """
        params = self.handler_params(handler)
        if any(self._auth_param(p, 0) or _signature_header(p) for p in params):
            return True
        if any(self._carries_secret(p) for p in params):
            return True
        if any(self._auth_param(p, 0) for p in self.class_params(handler)):
            return True
        if any(route.keyword("dependencies") is not None for route in handler.routes):
            return True
        return any(self._guarded_owner(route.owner) for route in handler.routes)

    def _public(self, paths: list[str]) -> bool:
        endings = public_paths(self.context.params.get(PUBLIC_PARAM, DEFAULT_PUBLIC))
        if any(is_health_path(path) or _auth_flow(path) for path in paths):
            return True
        return any(ends_with(path, ending) for path in paths for ending in endings)

    @staticmethod
    def _read_only(handler: Handler, paths: list[str]) -> bool:
        """A POST search (``POST /search``, ``search_orders``): it reads, it does not write."""
        if handler.methods & MUTATING != {"POST"}:
            return False
        segments = {segment.lower() for path in paths for segment in path.split("/")}
        return bool(segments & READ_ONLY_SEGMENTS) or bool(READ_ONLY_NAME.search(handler.name))

    def _full_paths(self, handler: Handler) -> list[str]:
        """Decorator paths behind their router's literal prefix."""
        full: list[str] = []
        for route in handler.routes:
            found = self.index.assigned_call(route.owner)
            prefix = keyword_value(found[0], "prefix") if found is not None else None
            if isinstance(prefix, ast.Constant) and isinstance(prefix.value, str):
                full.append(prefix.value + (route.path or ""))
        return full

    def _auth_param(self, param: ParamInfo, depth: int) -> bool:
        marker = param.marker
        if marker is not None and marker.kind == "header":
            return AUTH_HEADERS.search(param.name.lower()) is not None
        if _visibly_auth(param):
            return True
        if marker is None or marker.kind != "depends":
            return False
        if auth_like(marker.target) or auth_like(param.name):
            return True
        return self._depends_on_auth(marker.target, depth)

    def _depends_on_auth(self, target: str | None, depth: int) -> bool:
        """Whether a dependency function of the sample takes an auth dependency itself."""
        if target is None or depth >= _MAX_DEPTH:
            return False
        found = self.index.function(target)
        if found is None:
            return False
        params = self.index.function_params(found[0], found[1])
        return any(self._auth_param(p, depth + 1) for p in params)

    def _guarded_owner(self, owner: str) -> bool:
        """``dependencies=`` on the router, an include mounting it, or the app."""
        return any(
            keyword_value(call, "dependencies") is not None
            for _, call, _ in self.index.mount_calls(owner)
        )


def _guard_of(call: ast.Call, tree: ast.Module) -> str | None:
    """The test of the module-level ``if`` whose body holds ``call``, as source."""
    for stmt in tree.body:
        if isinstance(stmt, ast.If) and any(
            node is call for body in stmt.body for node in ast.walk(body)
        ):
            return ast.unparse(stmt.test)
    return None
