"""domain-exceptions: services raising HTTP or builtin errors; exceptions not named ``...Error``."""

from __future__ import annotations

import builtins
import re
from typing import ClassVar

import libcst as cst

from rulepack.evaluator.checks.base import Case, ModuleCheck, ModuleContext, ProjectFacts
from rulepack.evaluator.checks.common import HttpClasses, is_test_path
from rulepack.evaluator.checks.facts import ModuleFacts
from rulepack.evaluator.checks.security.support import (
    builtin_name,
    exception_classes,
    is_http_function,
    is_route_function,
)

SERVICE_DIRS = frozenset(
    {"services", "service", "repositories", "repository", "repos", "crud", "domain"}
    | {"use_cases", "usecases", "interactors"}
)
SERVICE_STEM = re.compile(
    r"^(\w+_)?(services?|repository|repositories|repos?|crud|use_?cases?|interactors?)$"
)
# Builtin exceptions services raise for domain failures instead of their own classes
# (``Exception`` itself is ruff TRY002's).
GENERIC_ERRORS = frozenset({"ValueError", "RuntimeError", "LookupError", "KeyError"})
VALIDATOR_DECORATORS = frozenset({"validator", "field_validator", "model_validator"})
# Builtins an argument check uses on the parameter (``isinstance(x, int)``, ``len(x)``, None).
CHECK_BUILTINS = frozenset(dir(builtins))
CONSTANT = re.compile(r"^_*[A-Z][A-Z0-9_]*$")
# ``str`` methods a parsing helper applies to its argument (``raw.split("/")``).
TEXT_METHODS = frozenset(
    {"split", "rsplit", "strip", "lstrip", "rstrip", "lower", "upper", "partition", "casefold"}
)
# Attribute and name segments that hold configuration (``self.settings.SMTP_HOST``).
SETTINGS_SEGMENT = re.compile(r"^_*(settings|config|conf|cfg|env|options)$", re.IGNORECASE)


def _dotted(node: cst.BaseExpression) -> list[str] | None:
    """``["self", "settings", "HOST"]`` for ``self.settings.HOST``; None for anything else."""
    if isinstance(node, cst.Name):
        return [node.value]
    if isinstance(node, cst.Attribute):
        root = _dotted(node.value)
        return None if root is None else [*root, node.attr.value]
    return None


def _presence_operands(test: cst.BaseExpression) -> list[cst.BaseExpression] | None:
    """The operands of a test made only of ``not x``, ``x is None``, ``x is not None``, ``x``.

    ``a is None or not b`` gives ``[a, b]``; None when the test compares values or calls.
    """
    if isinstance(test, cst.BooleanOperation):
        left, right = _presence_operands(test.left), _presence_operands(test.right)
        return None if left is None or right is None else [*left, *right]
    if isinstance(test, cst.UnaryOperation) and isinstance(test.operator, cst.Not):
        return _presence_operands(test.expression)
    if (
        isinstance(test, cst.Comparison)
        and len(test.comparisons) == 1
        and isinstance(test.comparisons[0].operator, cst.Is | cst.IsNot)
        and isinstance(test.comparisons[0].comparator, cst.Name)
        and test.comparisons[0].comparator.value == "None"
    ):
        return [test.left]
    if isinstance(test, cst.Name | cst.Attribute):
        return [test]
    return None


def is_setup_check(test: cst.BaseExpression) -> bool:
    """Whether a condition tests that configuration or an injected collaborator is present.

    ``if self.settings.SMTP_HOST is None``, ``if not self.session``, ``if settings.KEY is None``:
    a missing setting or a dependency the caller forgot to wire is a deployment or programming
    error, not a domain failure a caller should handle.
    """
    operands = _presence_operands(test)
    if not operands:
        return False
    for operand in operands:
        parts = _dotted(operand)
        if parts is None:
            return False
        configured = any(SETTINGS_SEGMENT.match(part) for part in parts[:-1])
        if not configured and not (parts[0] in {"self", "cls"} and len(parts) == 2):
            return False
    return True


class _Calls(cst.CSTVisitor):
    """Whether an expression awaits, and the names of the functions it calls."""

    def __init__(self) -> None:
        super().__init__()
        self.awaits = False
        self.called: list[str | None] = []

    def visit_Await(self, node: cst.Await) -> None:
        del node
        self.awaits = True

    def visit_Call(self, node: cst.Call) -> None:
        func = node.func
        if isinstance(func, cst.Attribute) and func.attr.value in TEXT_METHODS:
            self.called.append(func.attr.value)  # ``text.split("/")``: parsing the argument
        else:
            self.called.append(func.value if isinstance(func, cst.Name) else None)


class _Derived(cst.CSTVisitor):
    """Locals computed from the parameters with module constants or builtins only.

    ``m = PATTERN.match(text)`` or ``n = int(text)`` with ``text`` a parameter: testing ``m``
    tests the argument. A call on a parameter alone (``repo.get(key)``) may be a lookup, so it
    does not count.
    """

    def __init__(self, parameters: frozenset[str]) -> None:
        super().__init__()
        self.parameters = parameters
        self.derived: set[str] = set()
        self.other: set[str] = set()  # locals also bound from something else

    @property
    def names(self) -> frozenset[str]:
        """The parameters and the locals every binding of which derives from them."""
        return self.parameters | frozenset(self.derived - self.other)

    def visit_Assign(self, node: cst.Assign) -> None:
        for target in node.targets:
            self.other |= _Names.of(target.target)
        if len(node.targets) != 1 or not isinstance(node.targets[0].target, cst.Name):
            return
        name = node.targets[0].target.value
        self.other.discard(name)
        names, calls = _Names(), _Calls()
        node.value.visit(names)
        node.value.visit(calls)
        read = names.names - CHECK_BUILTINS
        constants = {name for name in read if CONSTANT.match(name)}
        derived = read <= self.parameters | self.derived | constants and (
            bool(constants) or all(name in CHECK_BUILTINS | TEXT_METHODS for name in calls.called)
        )
        if derived and read and not calls.awaits:
            self.derived.add(name)
        else:
            self.other.add(name)

    def visit_For(self, node: cst.For) -> None:
        self.other |= _Names.of(node.target)

    def visit_AugAssign(self, node: cst.AugAssign) -> None:
        self.other |= _Names.of(node.target)

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        del node
        return False


class _Names(cst.CSTVisitor):
    """The root names a condition reads (``a`` of ``a.b``, ``f`` and ``x`` of ``f(x)``)."""

    def __init__(self) -> None:
        super().__init__()
        self.names: set[str] = set()

    def visit_Name(self, node: cst.Name) -> None:
        self.names.add(node.value)

    @classmethod
    def of(cls, node: cst.CSTNode) -> set[str]:
        """The root names ``node`` reads or binds."""
        collector = cls()
        node.visit(collector)
        return collector.names

    def visit_Attribute(self, node: cst.Attribute) -> bool:
        node.value.visit(self)
        return False


def is_service_path(path: str) -> bool:
    """Whether a module is in the service or repository layer, by its directory or file name."""
    parts = path.removesuffix(".py").split("/")
    return any(part in SERVICE_DIRS for part in parts[:-1]) or bool(SERVICE_STEM.match(parts[-1]))


class DomainExceptions(ModuleCheck):
    """Services that raise HTTP or builtin errors, and exception classes not named ``...Error``.

    ## What it does
    In service and repository modules (a ``services``/``repositories``/``crud``/``domain``
    directory, or a ``*_service.py``/``*_repository.py``/``service.py``/``crud.py`` file), finds
    ``raise HTTPException(...)`` (FastAPI's, Starlette's or a subclass of the sample) and
    ``raise ValueError/RuntimeError/LookupError/KeyError(...)`` in functions that are not route
    handlers, FastAPI dependencies (a parameter with ``Depends``/``Header``/... or a ``Request``),
    validators or dunder methods; a ``ValueError`` guarded by a test of the function's own
    parameters only (``if template is None``, or locals computed from them with constants and
    builtins: ``m = PATTERN.match(text)``) is an argument check, and a ``ValueError`` or
    ``RuntimeError`` under a presence test of a setting (``self.settings.HOST is None``) or of
    an injected collaborator (``if not self.session``) is a setup error; neither is a domain
    failure. In
    every non-test module it finds exception classes whose name
    does not end in ``Error`` when ruff N818 cannot see it: N818 only looks at classes whose
    direct base is named ``...Exception``, so ``class TaskLimitExceeded(AppError)`` or
    ``class Timeout(ConnectionError)`` are reported here. ``raise Exception(...)`` is TRY002's.

    ## Why is this bad?
    A service that raises ``HTTPException`` is tied to HTTP and cannot be reused by a CLI, a
    worker or a test without a web framework; builtin errors cannot be told apart from bugs, so
    callers cannot catch exactly the domain failure. One ``...Error`` hierarchy is mapped to
    responses in one place.
    """

    id = "domain-exceptions"
    summary = "service raises HTTPException or a builtin error, or exception name lacks `Error`"
    good: ClassVar[tuple[Case, ...]] = (
        Case.good(
            "class AppError(Exception):\n    pass\n\n\n"
            "class UserNotFoundError(AppError):\n"
            "    def __init__(self, user_id: int) -> None:\n"
            "        super().__init__(f'User {user_id} not found')\n\n\n"
            "class DeprecatedFieldWarning(UserWarning):\n    pass\n\n\n"
            "class TaskLimitExceeded(Exception):\n    pass\n",
            path="app/core/exceptions.py",
            note="...Error classes, a warning, and a name N818 reports (base named Exception)",
        ),
        Case.good(
            "from app.core.exceptions import EmailAlreadyRegisteredError\n\n\n"
            "async def register(repo: object, payload: object) -> object:\n"
            "    try:\n        return await repo.add(payload)\n"
            "    except IntegrityError as exc:\n"
            "        raise EmailAlreadyRegisteredError(payload.email) from exc\n",
            path="app/services/users.py",
        ),
        Case.good(
            "from fastapi import APIRouter, HTTPException, status\n\nrouter = APIRouter()\n\n\n"
            "def get_or_404(item: object | None) -> object:\n"
            "    if item is None:\n"
            "        raise HTTPException(status.HTTP_404_NOT_FOUND, detail='No item')\n"
            "    return item\n",
            path="app/routers/items.py",
            note="the HTTP layer may raise HTTPException",
        ),
        Case.good(
            "from typing import Annotated\n\n"
            "from fastapi import Depends, HTTPException, status\n"
            "from pydantic import BaseModel, field_validator\n\n\n"
            "async def get_current_user(token: Annotated[str, Depends(oauth2_scheme)]) -> User:\n"
            "    if not token:\n"
            "        raise HTTPException(status.HTTP_401_UNAUTHORIZED, detail='No token')\n"
            "    return await load(token)\n\n\n"
            "class Query(BaseModel):\n    term: str\n\n"
            "    @field_validator('term')\n    @classmethod\n"
            "    def strip(cls, value: str) -> str:\n"
            "        if not value.strip():\n            raise ValueError('empty term')\n"
            "        return value.strip()\n\n\n"
            "class Service:\n    def __init__(self, limit: int) -> None:\n"
            "        if limit < 1:\n            raise ValueError('limit must be positive')\n"
            "        self.limit = limit\n",
            path="app/services/auth_service.py",
            note="a dependency with an Annotated Depends parameter, a validator, a constructor",
        ),
        Case.good(
            "from fastapi import HTTPException\n\n\n"
            "class FakeTimeout(ConnectionError):\n    pass\n\n\n"
            "def fake() -> None:\n    raise HTTPException(500)\n",
            path="tests/services/test_users.py",
            note="tests are not checked",
        ),
        Case.good(
            "class ReportService:\n"
            "    def render(self, template: str | None = None, width: int = 80) -> str:\n"
            "        if template is None:\n"
            "            raise ValueError('render() needs a template')\n"
            "        if not isinstance(width, int) or width < 10:\n"
            "            raise ValueError('width must be an int of at least 10')\n"
            "        return self._fill(template, width)\n",
            path="app/services/report_service.py",
            note="ValueError guarding the function's own arguments (Python's contract)",
        ),
        Case.good(
            "import re\n\nSLUG = re.compile(r'^[a-z-]+$')\n\n\n"
            "class NotifierService:\n"
            "    def send(self, to: str, body: str) -> None:\n"
            "        if self.config.mail_relay is None or not self.config.mail_sender:\n"
            "            raise ValueError('mail_relay and mail_sender must be configured')\n"
            "        if not self.outbox:\n"
            "            raise RuntimeError('send() needs an outbox wired in')\n"
            "        self.outbox.put(to, body)\n\n\n"
            "def parse_slug(raw: str) -> str:\n"
            "    found = SLUG.match(raw.strip())\n"
            "    if found is None:\n"
            "        raise ValueError('not a slug')\n"
            "    return found.group(0)\n\n\n"
            "def parse_ratio(raw: str) -> float:\n"
            "    halves = raw.split(':')\n"
            "    if len(halves) != 2:\n"
            "        raise ValueError('not a ratio')\n"
            "    return float(halves[0]) / float(halves[1])\n",
            path="app/services/notifier_service.py",
            note="a missing setting, an unwired collaborator, a parse of the argument",
        ),
    )
    bad: ClassVar[tuple[Case, ...]] = (
        Case.bad(
            "from fastapi import HTTPException as HTTPError\nfrom fastapi import status as st\n\n\n"
            "async def register(repo: UserRepository, payload: UserCreate) -> User:\n"
            "    try:\n        return await repo.add(payload)\n"
            "    except IntegrityError:\n"
            "        raise HTTPError(status_code=st.HTTP_409_CONFLICT, detail='Email taken')\n",
            path="app/services/users.py",
            note="an aliased HTTPException in a service",
        ),
        Case.bad(
            "class OrderService:\n"
            "    async def cancel(self, order_id: int) -> None:\n"
            "        order = await self.repo.get(order_id)\n"
            "        if order is None:\n"
            "            raise LookupError(f'order {order_id}')\n"
            "        if order_id < 0 or order.locked:\n"
            "            raise ValueError('locked')\n\n"
            "        def check() -> None:\n"
            "            if order.shipped:\n"
            "                raise ValueError('already shipped')\n\n"
            "        check()\n",
            hits=3,
            path="app/orders/order_service.py",
            note="builtin errors in a class-based service and in a nested function",
        ),
        Case(
            files={
                "app/core/errors.py": (
                    "from starlette.exceptions import HTTPException\n\n\n"
                    "class ApiHTTPError(HTTPException):\n    pass\n\n\n"
                    "class AppError(Exception):\n    pass\n"
                ),
                "app/users/service.py": (
                    "from app.core.errors import ApiHTTPError\n\n\n"
                    "async def get_user(repo: object, user_id: int) -> object:\n"
                    "    user = await repo.get(user_id)\n"
                    "    if user is None:\n        raise ApiHTTPError(404, 'no user')\n"
                    "    return user\n"
                ),
            },
            hits=1,
            note="a subclass of Starlette's HTTPException from another module, by-domain layout",
        ),
        Case(
            files={
                "app/core/errors.py": "class AppError(Exception):\n    pass\n",
                "app/services/errors.py": (
                    "from app.core.errors import AppError\n\n\n"
                    "class TaskLimitExceeded(AppError):\n    pass\n\n\n"
                    "class Timeout(ConnectionError):\n    pass\n\n\n"
                    "class QuotaReached(TaskLimitExceeded):\n    pass\n"
                ),
            },
            hits=3,
            note="names N818 misses: bases named ...Error or defined in another module",
        ),
    )

    def __init__(self, context: ModuleContext) -> None:
        """Prepare the layer of the module and the sample's HTTP exception classes."""
        super().__init__(context)
        self.service = is_service_path(context.path)
        self.http = HttpClasses.of(context.project) if self.service else None
        self.exempt: list[bool] = []  # per enclosing function: may it raise HTTP errors?
        self.parameters: list[frozenset[str]] = []  # per enclosing function
        self.tests: list[cst.BaseExpression] = []  # conditions of the enclosing ``if``s
        self.exceptions: frozenset[str] | None = None  # the sample's exception classes, lazily
        self.class_depth = 0

    @classmethod
    def applies(cls, facts: ModuleFacts, project: ProjectFacts) -> bool:
        """Every module except tests."""
        del project
        return not is_test_path(facts.path)

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        """Note whether the function is HTTP code, a validator or a dunder method."""
        imports = self.context.imports
        exempt = (
            (node.name.value.startswith("__") and node.name.value.endswith("__"))
            or is_route_function(node, imports, self.context.project)
            or is_http_function(node, imports)
            or any(self._is_validator(decorator) for decorator in node.decorators)
        )
        self.exempt.append(exempt)
        params = node.params
        own = frozenset(
            param.name.value
            for param in (*params.posonly_params, *params.params, *params.kwonly_params)
        ) - {"self", "cls"}
        derived = _Derived(own)
        node.body.visit(derived)
        self.parameters.append(frozenset(derived.names))

    def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
        """Leave the function."""
        del original_node
        self.exempt.pop()
        self.parameters.pop()

    def visit_If(self, node: cst.If) -> None:
        """Enter a condition."""
        self.tests.append(node.test)

    def leave_If(self, original_node: cst.If) -> None:
        """Leave the condition."""
        del original_node
        self.tests.pop()

    def _checks_argument(self) -> bool:
        """Whether the innermost ``if`` tests only the function's own parameters.

        ``if template is None: raise ValueError(...)`` guards the function's contract; Python's
        convention for a bad argument is ``ValueError``/``TypeError``, a caller's bug rather
        than a domain failure.
        """
        if not self.tests or not self.parameters:
            return False
        collector = _Names()
        self.tests[-1].visit(collector)
        names = collector.names - CHECK_BUILTINS
        return bool(names) and names <= self.parameters[-1]

    @staticmethod
    def _is_validator(decorator: cst.Decorator) -> bool:
        target = decorator.decorator
        if isinstance(target, cst.Call):
            target = target.func
        name = target.attr.value if isinstance(target, cst.Attribute) else None
        if isinstance(target, cst.Name):
            name = target.value
        return name in VALIDATOR_DECORATORS

    def visit_Raise(self, node: cst.Raise) -> None:
        """Report HTTP and builtin errors raised by service functions."""
        if self.http is None or not self.exempt or any(self.exempt) or node.exc is None:
            return
        raised = node.exc.func if isinstance(node.exc, cst.Call) else node.exc
        imports = self.context.imports
        if self.http.kind_of(imports, raised) == "exception":
            self.report(
                node,
                "service raises an HTTP exception; raise a domain `...Error` here and map it "
                "to a response in an exception handler",
            )
            return
        builtin = builtin_name(raised, imports)
        if (
            builtin in {"ValueError", "RuntimeError"}
            and self.tests
            and is_setup_check(self.tests[-1])
        ):
            return
        if builtin == "ValueError" and self._checks_argument():
            return
        if builtin in GENERIC_ERRORS:
            self.report(
                node,
                f"service raises builtin `{builtin}` for what looks like a domain failure; "
                "raise a domain `...Error` subclass",
            )

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        """Report top-level exception classes whose name N818 does not check."""
        self.class_depth += 1
        if self.class_depth > 1 or self.exempt or node.name.value.endswith("Error"):
            return
        for base in node.bases:
            name = self.qualified(base.value)
            if name is not None and name.rsplit(".", 1)[-1].endswith("Exception"):
                return  # ruff N818 reports it
        if self.exceptions is None:
            self.exceptions = exception_classes(self.context.project)
        if f"{self.context.imports.module}.{node.name.value}" in self.exceptions:
            self.report(
                node.name,
                f"exception class `{node.name.value}` does not end in `Error`; name domain "
                "errors `...Error` under one base class",
            )

    def leave_ClassDef(self, original_node: cst.ClassDef) -> None:
        """Leave the class."""
        del original_node
        self.class_depth -= 1
