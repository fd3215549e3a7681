"""docstring-examples: public helpers without ``>>>`` examples in their docstring (metric)."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from typing import ClassVar

import libcst as cst

from rulepack.evaluator.checks.ast_facts import ast_dotted, walk
from rulepack.evaluator.checks.base import Case, ModuleCheck, ModuleContext, ProjectFacts
from rulepack.evaluator.checks.common import is_test_path
from rulepack.evaluator.checks.facts import ModuleFacts
from rulepack.evaluator.checks.imports import dotted
from rulepack.evaluator.checks.schemas.cst_types import call_name, metadata
from rulepack.evaluator.checks.schemas.model_index import (
    DEPENDENCY_MARKERS,
    is_migration_path,
    last_part,
)

CACHING_DECORATORS = frozenset({"cache", "lru_cache", "cached"})
SERVICE_PARAMETERS = frozenset(
    {"db", "session", "conn", "connection", "cursor", "engine", "client", "request", "settings"}
)
# Parts of an unannotated parameter's name that mark a service (``db_session``, ``http_client``).
SERVICE_NAME_PARTS = frozenset(
    {"db", "session", "conn", "connection", "cursor", "engine", "client"}
)
# Calls whose result depends on the outside world: the clock, randomness, the environment, files,
# processes and the network. A function making one cannot have a doctest with a fixed output.
WORLD_CALLS = frozenset(
    {
        "open",
        "input",
        "datetime.now",
        "datetime.utcnow",
        "datetime.today",
        "date.today",
        "datetime.datetime.now",
        "datetime.datetime.utcnow",
        "datetime.datetime.today",
        "datetime.date.today",
        "time.time",
        "time.monotonic",
        "time.perf_counter",
        "time.sleep",
        "uuid.uuid1",
        "uuid.uuid4",
        "os.getenv",
        "os.listdir",
        "os.remove",
        "os.makedirs",
        "subprocess.run",
        "subprocess.check_output",
        "shutil.copy",
        "shutil.rmtree",
        "urllib.request.urlopen",
        "socket.socket",
    }
)
WORLD_MODULES = frozenset(
    {"random", "secrets", "requests", "httpx", "aiohttp", "boto3", "smtplib", "tempfile", "pickle"}
)
# Methods of sessions, cursors, files and paths that do I/O.
IO_METHODS = frozenset(
    {
        "query",
        "execute",
        "executemany",
        "commit",
        "rollback",
        "flush",
        "scalar",
        "scalars",
        "refresh",
        "fetchone",
        "fetchall",
        "read_text",
        "write_text",
        "read_bytes",
        "write_bytes",
        "iterdir",
        "glob",
        "read_pickle",
        "read_csv",
        "read_json",
        "read_sql",
        "to_pickle",
        "to_csv",
        "exists",
        "is_dir",
        "is_file",
        "stat",
        "unlink",
        "mkdir",
    }
)
MIGRATION_HOOKS = frozenset({"upgrade", "downgrade"})
# Plain values a doctest can build inline; a parameter of another type (settings, a session,
# a request, a model) makes a function a service rather than a parser or calculation.
VALUE_TYPES = frozenset(
    {
        "str",
        "int",
        "float",
        "bool",
        "bytes",
        "complex",
        "None",
        "Any",
        "object",
        "Decimal",
        "Fraction",
        "date",
        "datetime",
        "time",
        "timedelta",
        "UUID",
        "Path",
        "Pattern",
        "Literal",
        "list",
        "List",
        "dict",
        "Dict",
        "set",
        "Set",
        "frozenset",
        "FrozenSet",
        "tuple",
        "Tuple",
        "Sequence",
        "Mapping",
        "Iterable",
        "Collection",
    }
)
NO_VALUE = frozenset({"None", "NoReturn", "Never", "Iterator", "Generator", "AsyncIterator"})


def _returns(node: cst.CSTNode) -> Iterator[cst.Return | cst.Yield]:
    """``return``/``yield`` nodes of a function body (not of nested functions or lambdas)."""
    for child in node.children:
        if isinstance(child, cst.Return | cst.Yield):
            yield child
        if not isinstance(child, cst.FunctionDef | cst.ClassDef | cst.Lambda):
            yield from _returns(child)


def _always_raises(node: cst.FunctionDef) -> bool:
    """Whether the body's last statement is a ``raise``."""
    body = node.body.body
    last = body[-1] if body else None
    if isinstance(last, cst.SimpleStatementLine):
        return isinstance(last.body[-1], cst.Raise)
    return isinstance(node.body, cst.SimpleStatementSuite) and isinstance(
        node.body.body[-1], cst.Raise
    )


def _returns_value(node: cst.FunctionDef) -> bool:
    """Whether a function returns a value (and is not a generator)."""
    exits = list(_returns(node.body))
    if any(isinstance(item, cst.Yield) for item in exits):
        return False
    if not exits and _always_raises(node):
        return False  # ``def drop(*args) -> Any: raise DropEvent``
    if node.returns is not None:
        annotation = node.returns.annotation
        base = annotation.value if isinstance(annotation, cst.Subscript) else annotation
        return last_part(dotted(base) or "") not in NO_VALUE
    return any(
        isinstance(item, cst.Return)
        and item.value is not None
        and not (isinstance(item.value, cst.Name) and item.value.value == "None")
        for item in exits
    )


def _returns_inner_function(node: cst.FunctionDef) -> bool:
    """Whether a function returns a function it defines: a decorator or a closure factory."""
    inner = {
        statement.name.value
        for statement in node.body.body
        if isinstance(statement, cst.FunctionDef)
    }
    return any(
        isinstance(item, cst.Return)
        and isinstance(item.value, cst.Name)
        and item.value.value in inner
        for item in _returns(node.body)
    )


def _value_annotation(node: cst.BaseExpression) -> bool:
    """Whether every type an annotation names is a plain value type (``list[str]``, ``X | None``).

    ``Literal[...]`` and string annotations are accepted as they come.
    """
    if isinstance(node, cst.BinaryOperation):
        return _value_annotation(node.left) and _value_annotation(node.right)
    if isinstance(node, cst.SimpleString | cst.ConcatenatedString | cst.Ellipsis):
        return True
    if not isinstance(node, cst.Subscript):
        return last_part(dotted(node) or "") in VALUE_TYPES
    name = last_part(dotted(node.value) or "")
    items = [element.slice.value for element in node.slice if isinstance(element.slice, cst.Index)]
    if name == "Literal":
        return True
    if name == "Annotated":
        items = items[:1]
    elif name not in VALUE_TYPES and name not in {"Optional", "Union"}:
        return False
    return all(_value_annotation(item) for item in items)


def _takes_dependencies(params: list[cst.Param]) -> bool:
    """Whether a parameter is injected with ``Depends``/``Security`` (a dependency provider)."""
    for param in params:
        items = [param.default]
        if param.annotation is not None:
            items.extend(metadata(param.annotation.annotation))
        if any(call_name(item) in DEPENDENCY_MARKERS for item in items):
            return True
    return False


def _is_service_name(name: str) -> bool:
    """``db``, ``db_session``, ``http_client``: the usual names of injected services."""
    return name in SERVICE_PARAMETERS or bool(set(name.split("_")) & SERVICE_NAME_PARTS)


def _calls(node: cst.CSTNode) -> Iterator[cst.Call]:
    """Calls in a function body (not in nested functions, classes or lambdas)."""
    for child in node.children:
        if isinstance(child, cst.Call):
            yield child
        if not isinstance(child, cst.FunctionDef | cst.ClassDef | cst.Lambda):
            yield from _calls(child)


def dependency_names(project: ProjectFacts) -> frozenset[str]:
    """Names of the functions the sample passes to ``Depends(...)``/``Security(...)``."""
    found: set[str] = set()
    for tree in project.trees.values():
        for node in walk(tree):
            if (
                isinstance(node, ast.Call)
                and last_part(ast_dotted(node.func) or "") in DEPENDENCY_MARKERS
                and node.args
            ):
                name = ast_dotted(node.args[0])
                if name is not None:
                    found.add(last_part(name))
    return frozenset(found)


def is_alembic_module(facts: ModuleFacts) -> bool:
    """Alembic's ``env.py`` and migration scripts: modules that import ``alembic``."""
    return any(name == "alembic" or name.startswith("alembic.") for name in facts.imported)


def has_doctest(docstring: str | None) -> bool:
    """Whether a docstring holds a ``>>>`` example line."""
    return docstring is not None and any(
        line.lstrip().startswith(">>>") for line in docstring.splitlines()
    )


class DocstringExamples(ModuleCheck):
    """Public helper functions without runnable examples in their docstring.

    ## What it does
    Measures public helper functions: module-level ``def`` functions (not methods, not
    ``async``) whose name does not start with ``_``, that take parameters and return a value
    (a return annotation other than ``None``/``NoReturn``/an iterator, or a ``return <value>``;
    generators are left out), without decorators other than caching ones (routes, fixtures,
    validators and context managers are not helpers), whose parameters are plain values
    (unannotated, or typed ``str``, numbers, dates, ``UUID``, ``Path`` and containers or
    ``Optional``/``Literal`` of them: the inputs of parsers, formatters and calculations; a
    parameter typed with settings, a session, a request or a model makes a service, and so
    does an unannotated ``db``/``session``/``client``/``request``/``settings`` parameter) and
    not injected with ``Depends``/``Security``. It reports those whose docstring has no ``>>>``
    line, since an ``Examples:`` section is only runnable with doctest lines. Left out, because
    a doctest cannot run them or show a fixed output: functions the sample passes to
    ``Depends()``/``Security()`` (dependencies), functions with an unannotated parameter named
    like a service (``db_session``, ``http_client``), functions whose body reads the clock,
    randomness, the environment, files, processes or the network (directly or through another
    function of the module), or calls a session/cursor
    method (``query``, ``execute``, ``commit`` ...), decorators and other functions that return
    a function they define, and test modules, Alembic migrations and
    other modules that import ``alembic`` (``env.py``).

    ## Why is this bad?
    An example shows the input and output format faster than prose, and running it as a doctest
    keeps it from going stale.
    """

    id = "docstring-examples"
    summary = "public helper without `>>>` examples in its docstring"
    good: ClassVar[tuple[Case, ...]] = (
        Case.good(
            '"""Money helpers."""\n\nimport functools\nfrom decimal import Decimal\n\n'
            "from typing import Annotated\n\nfrom fastapi import APIRouter, Depends\n\n"
            "router = APIRouter()\n"
            "SessionDep = Annotated[object, Depends(object)]\n\n\n"
            "@functools.lru_cache\ndef to_cents(amount: Decimal) -> int:\n"
            '    """Convert an amount to cents.\n\n    Examples:\n'
            '        >>> to_cents(Decimal("12.34"))\n        1234\n    """\n'
            "    return int(amount * 100)\n\n\n"
            "def _private(x: int) -> int:\n    return x\n\n\n"
            "def log(message: str) -> None:\n    print(message)\n\n\n"
            "def now() -> float:\n    return 0.0\n\n\n"
            "async def fetch(url: str) -> bytes:\n    return b''\n\n\n"
            "def chunks(items: list[int]):\n    yield items\n\n\n"
            "@router.get('/total')\ndef total(amount: int) -> int:\n    return amount\n\n\n"
            "def get_service(db=Depends(object)) -> object:\n    return db\n\n\n"
            "def get_repo(session: SessionDep) -> object:\n"
            "    return session\n\n\n"
            "class Money:\n    def cents(self, amount: int) -> int:\n        return amount\n",
            path="app/core/money.py",
            note="private, no value, no parameters, async, generators, routes, dependency "
            "providers and methods are not measured",
        ),
        Case.good(
            "def helper(x: int) -> int:\n    return x\n",
            path="tests/test_money.py",
            note="tests are not measured",
        ),
        Case(
            files={
                "app/deps.py": (
                    "from typing import Annotated\n\nfrom fastapi import Depends\n\n"
                    "SessionDep = Annotated[object, Depends(object)]\n"
                ),
                "app/providers.py": (
                    "from app import deps\nfrom app.deps import SessionDep as Session\n\n\n"
                    "def get_users(session: Session) -> list[str]:\n    return []\n\n\n"
                    "def get_items(session: deps.SessionDep) -> list[str]:\n    return []\n"
                ),
            },
            hits=0,
            note="dependency providers taking an alias defined in another module",
        ),
        Case.good(
            "from fastapi.responses import JSONResponse\n\nfrom app.config import Settings\n\n\n"
            "def create_access_token(subject: str, settings: Settings) -> str:\n"
            "    return subject + settings.key\n\n\n"
            "def error_response(status_code: int, exc: Exception) -> JSONResponse:\n"
            "    return JSONResponse({'detail': str(exc)}, status_code=status_code)\n\n\n"
            "def find_users(db, name):\n    return db.execute(name).fetchall()\n",
            path="app/core/security.py",
            note="functions taking settings or exceptions are services, not calculations",
        ),
        Case(
            files={
                "app/auth.py": (
                    "def current_tenant(header: str) -> str:\n    return header.split(':')[0]\n"
                ),
                "app/routes.py": (
                    "from fastapi import APIRouter, Depends\n\nfrom app import auth\n\n"
                    "router = APIRouter(dependencies=[Depends(auth.current_tenant)])\n"
                ),
            },
            hits=0,
            note="a function another module passes to Depends() is a dependency, not a helper",
        ),
        Case(
            files={
                "migrations/env.py": (
                    "from alembic import context\n\n\n"
                    "def include_name(name: str, kind: str) -> bool:\n"
                    "    return kind != 'table' or name != 'spatial_ref_sys'\n"
                ),
                "db/revisions/0001_init.py": (
                    "import sqlalchemy as sa\nfrom alembic import op\n\n\n"
                    "def upgrade(engine_name: str) -> None:\n"
                    "    op.add_column('t', sa.Column('x', sa.Integer()))\n"
                ),
            },
            hits=0,
            note="Alembic's env.py and migration scripts run only under alembic",
        ),
        Case.good(
            "import random\nfrom datetime import datetime, timedelta\nfrom pathlib import Path\n\n"
            "from app.models import Ticket\n\n\n"
            "def recent_tickets(db_session, hours: int = 24):\n"
            "    return db_session.query(Ticket).all()\n\n\n"
            "def is_expired(issued: datetime, days: int) -> bool:\n"
            "    return datetime.now() - issued > timedelta(days=days)\n\n\n"
            "def read_template(name: str) -> str:\n"
            "    return Path(name).read_text()\n\n\n"
            "def load(name: str) -> str:\n    with open(name) as handle:\n"
            "        return handle.read()\n\n\n"
            "def pick(items: list[str]) -> str:\n    return random.choice(items)\n\n\n"
            "def load_frame(name: str) -> object:\n    return frames.read_pickle(name)\n\n\n"
            "def stamp(label: str) -> str:\n    return f'{label}@{is_expired_now()}'\n\n\n"
            "def is_expired_now() -> bool:\n    return datetime.now().year > 2000\n\n\n"
            "def drop_all(*args: str) -> str:\n    raise RuntimeError(args)\n\n\n"
            "def timed(func):\n    def wrapper(*args, **kwargs):\n"
            "        return func(*args, **kwargs)\n\n    return wrapper\n",
            path="app/services/tickets.py",
            note="helpers that query a database, read the clock, files or randomness, and a "
            "decorator: a doctest cannot show a fixed output",
        ),
    )
    bad: ClassVar[tuple[Case, ...]] = (
        Case.bad(
            '"""Money helpers."""\n\nfrom decimal import Decimal\n'
            "from typing import Literal, Optional\n\n\n"
            "def to_cents(amount: Decimal) -> int:\n"
            '    """Convert an amount in major units to integer cents.\n\n'
            '    Examples:\n        to_cents(Decimal("1")) gives 100\n    """\n'
            "    return int(amount * 100)\n\n\n"
            "def slugify(title):\n    return title.lower()\n\n\n"
            "if True:\n    def parse(raw: str) -> list[str]:\n"
            '        """Split a line."""\n        return raw.split()\n\n\n'
            "def outer(x: int) -> int:\n    def inner(y: int) -> int:\n        return y\n\n"
            "    return inner(x)\n\n\n"
            "def render(values: Optional[dict[str, int]], mode: Literal['a'] = 'a') -> str:\n"
            "    return str(values) + mode\n",
            hits=5,
            path="app/core/money.py",
            note="an Examples section without >>>, no docstring, a conditional definition; "
            "a nested function is not measured",
        ),
    )

    def __init__(self, context: ModuleContext) -> None:
        """Start at module level."""
        super().__init__(context)
        self.depth = 0  # nesting in classes and functions
        self.dependencies = context.project.cached(
            "schemas.dependency_names", lambda: dependency_names(context.project)
        )
        self.worldly: set[str] = set()  # module functions that reach the outside world

    def visit_Module(self, node: cst.Module) -> None:
        """Find the module's functions that touch the world, directly or through each other.

        ``create_token()`` that calls this module's ``encode()``, which reads the clock, has no
        fixed output either.
        """
        functions = {
            statement.name.value: statement
            for statement in node.body
            if isinstance(statement, cst.FunctionDef)
        }
        self.worldly = {name for name, f in functions.items() if self._touches_world(f)}
        changed = True
        while changed:
            changed = False
            for name, function in functions.items():
                if name not in self.worldly and any(
                    isinstance(call.func, cst.Name) and call.func.value in self.worldly
                    for call in _calls(function.body)
                ):
                    self.worldly.add(name)
                    changed = True

    @classmethod
    def applies(cls, facts: ModuleFacts, project: ProjectFacts) -> bool:
        """Every module except tests and Alembic's migrations and ``env.py``."""
        del project
        return not (
            is_test_path(facts.path) or is_migration_path(facts.path) or is_alembic_module(facts)
        )

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        """Enter a class body (its methods are not measured)."""
        self.depth += 1

    def leave_ClassDef(self, original_node: cst.ClassDef) -> None:
        """Leave a class body."""
        self.depth -= 1

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        """Measure a module-level public helper."""
        if self.depth == 0 and self._is_helper(node):
            self.measured()
            if not has_doctest(node.get_docstring()):
                self.report(
                    node.name,
                    f"public helper `{node.name.value}` has no `>>>` example in its "
                    "docstring; add an `Examples:` section that doctest can run",
                )
        self.depth += 1

    def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
        """Leave a function."""
        self.depth -= 1

    def _is_helper(self, node: cst.FunctionDef) -> bool:
        """A public, undecorated, synchronous function of plain values with a pure result."""
        if node.name.value.startswith("_") or node.asynchronous is not None:
            return False
        if node.name.value in self.dependencies:
            return False  # a dependency provider: FastAPI calls it, not a reader of examples
        for decorator in node.decorators:
            target = decorator.decorator
            func = target.func if isinstance(target, cst.Call) else target
            if last_part(dotted(func) or "") not in CACHING_DECORATORS:
                return False
        return (
            self._takes_values(node)
            and _returns_value(node)
            and not _returns_inner_function(node)
            and node.name.value not in self.worldly
            and not self._touches_world(node)
        )

    @staticmethod
    def _takes_values(node: cst.FunctionDef) -> bool:
        """Whether the function takes parameters, all plain values (no services, no Depends)."""
        params = node.params
        every = [*params.posonly_params, *params.params, *params.kwonly_params]
        stars = [p for p in (params.star_arg, params.star_kwarg) if isinstance(p, cst.Param)]
        if not every and not stars:
            return False
        annotations = [p.annotation.annotation for p in every if p.annotation is not None]
        if not all(_value_annotation(annotation) for annotation in annotations):
            return False  # a service taking settings, a session or a model, not a calculation
        if any(p.annotation is None and _is_service_name(p.name.value) for p in every):
            return False  # ``def find_users(db_session, name)``: unannotated services
        return not _takes_dependencies(every)

    def _touches_world(self, node: cst.FunctionDef) -> bool:
        """Whether the body reads the clock, randomness, files, the network or a database."""
        for call in _calls(node.body):
            func = call.func
            if isinstance(func, cst.Attribute) and func.attr.value in IO_METHODS:
                return True
            name = self.qualified(func) if isinstance(func, cst.Name | cst.Attribute) else None
            if name is None:
                continue
            if name in WORLD_CALLS or name.split(".", 1)[0] in WORLD_MODULES:
                return True
            if dotted(func) in WORLD_CALLS:
                return True  # builtins (``open``) and fragments that leave out the import
        return False
