"""module-section-order: top-level sections out of the imports-to-entry-point order."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from enum import IntEnum
from typing import ClassVar

import libcst as cst
from libcst.metadata import PositionProvider

from rulepack.evaluator.checks.base import Case, ModuleCheck, ModuleContext, ProjectFacts
from rulepack.evaluator.checks.common import is_test_path
from rulepack.evaluator.checks.facts import ROUTE_METHODS, ModuleFacts, string_value
from rulepack.evaluator.checks.imports import dotted
from rulepack.evaluator.checks.schemas.cst_types import route_methods
from rulepack.evaluator.checks.schemas.model_check import model_roots
from rulepack.evaluator.checks.schemas.model_index import (
    ORM_BASE_CLASSES,
    SQLMODEL_ROOTS,
    is_migration_path,
)
from rulepack.evaluator.checks.sync_route_handler import is_route_owner

UPPER_SNAKE = re.compile(r"^_*[A-Z][A-Z0-9_]*$")
TYPING_FACTORIES = frozenset({"TypeVar", "ParamSpec", "TypeVarTuple", "NewType", "TypeAliasType"})
TABLE_NAMES = frozenset({"__tablename__", "__table__"})
LOGGER_NAMES = frozenset({"log", "logger", "_log", "_logger", "LOG", "LOGGER", "_LOGGER"})


class Section(IntEnum):
    """The sections of a module, in the order the rule asks for."""

    IMPORTS = 0
    CONSTANTS = 1
    CLASSES = 2
    HELPERS = 3
    ROUTES = 4
    MAIN = 5


LABELS = {
    Section.IMPORTS: "import",
    Section.CONSTANTS: "constant",
    Section.CLASSES: "model class",
    Section.HELPERS: "helper function",
    Section.ROUTES: "route",
    Section.MAIN: "`__main__` block",
}
ORDER = (
    'imports, constants, model classes, helper functions, routes, then `if __name__ == "__main__":`'
)


@dataclass(frozen=True)
class Placed:
    """A top-level statement, its section and a name to show."""

    node: cst.CSTNode
    section: Section
    label: str  # a name to show, or ""
    line: int

    def describe(self) -> str:
        """``route `list_items```, ``import of `app.schemas```, ```__main__` block``."""
        kind = LABELS[self.section]
        return f"{kind} {self.label}" if self.label else kind


def _names(node: cst.CSTNode) -> Iterator[str]:
    """Every ``Name`` inside ``node``."""
    if isinstance(node, cst.Name):
        yield node.value
    for child in node.children:
        yield from _names(child)


def _parts(node: cst.BaseExpression) -> list[cst.BaseExpression] | None:
    """The operands of an operation or the items of a tuple, ``None`` for other expressions."""
    if isinstance(node, cst.UnaryOperation):
        return [node.expression]
    if isinstance(node, cst.BinaryOperation):
        return [node.left, node.right]
    if isinstance(node, cst.Tuple):
        items = [e.value for e in node.elements if isinstance(e, cst.Element)]
        return items if len(items) == len(node.elements) else None
    return None


def _is_literal(node: cst.BaseExpression) -> bool:
    """Numbers, strings, ``True``/``None``, and tuples or arithmetic of them.

    Lists, dicts and sets bound to lower-case names are state or lookup tables, not constants.
    """
    if isinstance(node, cst.SimpleString | cst.ConcatenatedString | cst.Integer | cst.Float):
        return True
    if isinstance(node, cst.Name):
        return node.value in {"True", "False", "None"}
    parts = _parts(node)
    return parts is not None and all(_is_literal(part) for part in parts)


def _only_imports(body: cst.BaseSuite | None) -> bool:
    """Whether a block holds imports (and ``pass`` or fallbacks such as ``x = None``) only."""
    if body is None or not isinstance(body, cst.IndentedBlock):
        return body is None
    has_import = False
    for statement in body.body:
        if not isinstance(statement, cst.SimpleStatementLine):
            return False
        for small in statement.body:
            if isinstance(small, cst.Import | cst.ImportFrom):
                has_import = True
            elif not isinstance(small, cst.Pass | cst.Assign | cst.Expr):
                return False
    return has_import


def _is_main_guard(node: cst.If) -> bool:
    test = node.test
    if not isinstance(test, cst.Comparison) or len(test.comparisons) != 1:
        return False
    sides = [test.left, test.comparisons[0].comparator]
    return any(dotted(side) == "__name__" for side in sides) and any(
        string_value(side) == "__main__" for side in sides
    )


def _if_section(node: cst.If) -> Section | None:
    """``__main__`` guards, blocks of imports; ``TYPE_CHECKING`` and other blocks go anywhere."""
    if _is_main_guard(node):
        return Section.MAIN
    if dotted(node.test) in {"TYPE_CHECKING", "typing.TYPE_CHECKING"}:
        return None
    orelse = node.orelse.body if isinstance(node.orelse, cst.Else) else None
    if _only_imports(node.body) and (orelse is None or _only_imports(orelse)):
        return Section.IMPORTS
    return None


def _is_type_definition(small: cst.Assign | cst.AnnAssign) -> bool:
    """``T = TypeVar("T")``, ``UserId = NewType(...)``, ``Json: TypeAlias = ...``."""
    if isinstance(small, cst.AnnAssign):
        annotation = dotted(small.annotation.annotation) or ""
        if annotation.rsplit(".", 1)[-1] == "TypeAlias":
            return True
    value = small.value
    return (
        isinstance(value, cst.Call)
        and (dotted(value.func) or "").rsplit(".", 1)[-1] in TYPING_FACTORIES
    )


def _definition_time_names(body: Sequence[cst.BaseStatement]) -> set[str]:
    """Names top-level classes use while they are created (not inside their methods' bodies).

    Bases, decorators, class-body assignments (``Field(default_factory=make_id)``, a nested
    ``Config`` with ``json_encoders``) and method defaults run when the class statement runs,
    so a function they name must be defined above the class.
    """
    found: set[str] = set()
    for statement in body:
        if isinstance(statement, cst.ClassDef):
            found.update(_names_outside_bodies(statement))
    return found


def _names_outside_bodies(node: cst.CSTNode) -> Iterator[str]:
    """``Name`` values in ``node`` that are not inside a function body."""
    if isinstance(node, cst.Name):
        yield node.value
    for child in node.children:
        if isinstance(node, cst.FunctionDef) and child is node.body:
            continue
        yield from _names_outside_bodies(child)


def _registered_routes(node: cst.CSTNode) -> Iterator[str]:
    """Functions registered as routes by a call: ``router.post("/x")(handler)``.

    ``router.add_api_route("/x", handler)`` registers one too.
    """
    if isinstance(node, cst.Call) and isinstance(node.func, cst.Call):
        inner = node.func.func
        if isinstance(inner, cst.Attribute) and inner.attr.value in ROUTE_METHODS:
            yield from (arg.value.value for arg in node.args[:1] if isinstance(arg.value, cst.Name))
    if (
        isinstance(node, cst.Call)
        and isinstance(node.func, cst.Attribute)
        and node.func.attr.value == "add_api_route"
    ):
        yield from (arg.value.value for arg in node.args[1:2] if isinstance(arg.value, cst.Name))
    for child in node.children:
        yield from _registered_routes(child)


class ModuleSectionOrder(ModuleCheck):
    """Module sections out of order.

    ## What it does
    Sorts each top-level statement of a module into a section: imports (with ``try``/``if``
    blocks of imports), constants (assignments of strings, numbers and tuples of them, or
    ``UPPER_SNAKE`` names whose value does not use the module's own classes or functions),
    model classes (Pydantic models and settings, ORM models, resolved across modules),
    helper functions, routes (functions decorated by an app or router route method, and
    classes holding them) and the ``if __name__ == "__main__":`` block. It reports the first
    statement that comes after a later section, once per module. The module docstring,
    ``from __future__``, ``__all__`` and other dunders, ``if TYPE_CHECKING:`` blocks,
    loggers, apps and routers (``app = FastAPI()``), type variables and aliases, other classes
    (exceptions, services, middleware), other assignments and expression statements may stand
    anywhere.
    Test modules and Alembic migrations are not checked.

    ## Why is this bad?
    A fixed order lets readers and assistants find things without scanning the whole file; an
    import below other code hides a dependency and may run after the code that needs it.
    """

    id = "module-section-order"
    summary = "module sections out of order (imports, constants, models, helpers, routes, main)"
    good: ClassVar[tuple[Case, ...]] = (
        Case.good(
            '"""Items."""\n\nfrom __future__ import annotations\n\n'
            "import logging\nfrom typing import TYPE_CHECKING, Annotated\n\n"
            "from fastapi import APIRouter, Depends\n\n"
            "try:\n    import orjson\nexcept ImportError:\n    orjson = None\n\n"
            "if TYPE_CHECKING:\n    from app.models import Item\n\n"
            "MAX_PAGE_SIZE = 100\nlogger = logging.getLogger(__name__)\n\n\n"
            "class Page:\n    size: int = MAX_PAGE_SIZE\n\n\n"
            "def get_page() -> Page:\n    return Page()\n\n\n"
            "PageDep = Annotated[Page, Depends(get_page)]\n"
            "router = APIRouter(prefix='/items')\nLOGGER = logging.getLogger('x')\n\n\n"
            "@router.get('/')\nasync def list_items(page: PageDep) -> list[int]:\n"
            "    return []\n\n\n"
            "router.tags.append('items')\n__all__ = ['router']\n\n"
            "if __name__ == '__main__':\n    print(router)\n",
            path="app/routers/items.py",
            note="allowed anywhere: aliases built from helpers, loggers, routers, __all__",
        ),
        Case(
            files={
                "tests/test_items.py": (
                    "import pytest\n\n\ndef helper() -> int:\n    return 1\n\n\n"
                    "class TestItems:\n    pass\n\n\nLIMIT = 3\n"
                ),
                "alembic/versions/0001_init.py": (
                    "from alembic import op\n\n\ndef upgrade() -> None:\n    pass\n\n\n"
                    "revision = '0001'\n"
                ),
            },
            hits=0,
            note="tests and migrations are not checked",
        ),
        Case.good(
            "from fastapi import FastAPI\n\napp = FastAPI()\n\n\n"
            "@app.exception_handler(ValueError)\nasync def on_error(request, exc):\n"
            "    return None\n\n\n"
            "class Views:\n    @app.get('/v')\n"
            "    async def v(self) -> int:\n        return 1\n\n\n"
            "@app.get('/w')\nasync def w() -> int:\n    return 2\n\n\n"
            "app.add_middleware(object)\n",
            note="exception handlers anywhere; a class of routes is a route section",
        ),
        Case.good(
            "from typing import TypeVar\n\n\ndef build() -> int:\n    return 1\n\n\n"
            "class ItemNotFoundError(Exception):\n    pass\n\n\n"
            "class Repository:\n    pass\n\n\nT = TypeVar('T')\n",
            path="app/services/items.py",
            note="plain classes and type variables may stand anywhere; only models are a section",
        ),
        Case.good(
            "from datetime import datetime\n\nfrom pydantic import BaseModel, Field\n\n\n"
            "def utc_iso(moment: datetime) -> str:\n    return moment.isoformat()\n\n\n"
            "def new_tags() -> list[str]:\n    return []\n\n\n"
            "class Entry(BaseModel):\n    tags: list[str] = Field(default_factory=new_tags)\n\n"
            "    class Config:\n        json_encoders = {datetime: utc_iso}\n",
            path="app/schemas/entries.py",
            note="helpers a model uses while it is created must be defined above it",
        ),
        Case.good(
            "from fastapi import APIRouter\n\nrouter = APIRouter()\nSIGNUP_OPEN = True\n\n\n"
            "@router.get('/me')\nasync def me() -> dict[str, str]:\n    return {}\n\n\n"
            "async def sign_up() -> None:\n    pass\n\n\n"
            "if SIGNUP_OPEN:\n    router.post('/sign-up', status_code=201)(sign_up)\n",
            path="app/routers/auth.py",
            note="a handler registered as a route by a call is a route, not a helper",
        ),
        Case(
            files={
                "chat/bolt.py": "from slack_bolt import App\n\napp = App(token='x')\n",
                "chat/handlers.py": (
                    "from chat.bolt import app\n\n\n"
                    "@app.options('project-select')\ndef project_options(ack) -> None:\n"
                    "    ack()\n\n\n"
                    "def handle_list_command(ack) -> None:\n    ack()\n"
                ),
            },
            hits=0,
            note="`options` handlers of a Slack app are not FastAPI routes",
        ),
    )
    bad: ClassVar[tuple[Case, ...]] = (
        Case.bad(
            "from fastapi import APIRouter\n\n"
            "router = APIRouter(prefix='/items', tags=['items'])\n\n\n"
            "@router.get('/')\nasync def list_items(limit: int = 20) -> list[ItemRead]:\n"
            "    return await item_service.list_items(limit=limit)\n\n\n"
            "from app.schemas.item import ItemRead\nfrom app.services import item_service\n",
            path="app/routers/items.py",
            note="imports after routes: one report per module",
        ),
        Case.bad(
            "from fastapi import APIRouter as Router\n\napi = Router()\n\n\n"
            "@api.post('/x', status_code=201)\nasync def create() -> None:\n    pass\n\n\n"
            "def _helper() -> int:\n    return 1\n",
            note="a helper after the routes of a router with another name",
        ),
        Case.bad(
            "from pydantic import BaseModel\n\n\nclass ItemRead(BaseModel):\n    id: int\n\n\n"
            "DEFAULT_LIMIT = 20\n",
            note="a constant after a class",
        ),
        Case(
            files={
                "app/schemas/base.py": (
                    "from pydantic import BaseModel\n\n\nclass Schema(BaseModel):\n    pass\n"
                ),
                "app/schemas/items.py": (
                    "from app.schemas.base import Schema\n\n\n"
                    "def normalize(name: str) -> str:\n    return name.strip()\n\n\n"
                    "class ItemCreate(Schema):\n    name: str\n"
                ),
                "app/models.py": (
                    "from app.db import Base\n\n\ndef utcnow() -> int:\n    return 0\n\n\n"
                    "class Item(Base):\n    __tablename__ = 'items'\n"
                ),
            },
            hits=2,
            note="a schema (subclass of a base schema in another module) and an ORM model "
            "after helper functions",
        ),
        Case.bad(
            "def main() -> None:\n    pass\n\n\nif __name__ == '__main__':\n    main()\n\n\n"
            "def late() -> None:\n    pass\n",
            note="a function after the main block",
        ),
    )

    def __init__(self, context: ModuleContext) -> None:
        """Learn the sample's model classes; start with no section seen."""
        super().__init__(context)
        self.defined: set[str] = set()  # classes and functions defined so far
        self.needed_early: set[str] = set()  # functions classes call while being created
        self.registered: set[str] = set()  # functions made routes by ``router.get(...)(f)``
        roots = model_roots(context.project) | ORM_BASE_CLASSES | SQLMODEL_ROOTS
        self.models = context.project.subclasses_of(roots)

    @classmethod
    def applies(cls, facts: ModuleFacts, project: ProjectFacts) -> bool:
        """Every module except tests and migrations."""
        del project
        return not is_test_path(facts.path) and not is_migration_path(facts.path)

    def visit_Module(self, node: cst.Module) -> None:
        """Report the first top-level statement that comes after a later section."""
        self.needed_early = _definition_time_names(node.body)
        self.registered = set(_registered_routes(node))
        latest: Placed | None = None
        for statement in node.body:
            placed = self._place(statement)
            if isinstance(statement, cst.ClassDef | cst.FunctionDef):
                self.defined.add(statement.name.value)
            if placed is None:
                continue
            if latest is not None and placed.section < latest.section:
                self.report(
                    placed.node,
                    f"{placed.describe()} comes after the {latest.describe()} "
                    f"(line {latest.line}); order a module as {ORDER}",
                )
                return
            if latest is None or placed.section > latest.section:
                latest = placed

    def _place(self, statement: cst.BaseStatement) -> Placed | None:
        """The section of a top-level statement, or ``None`` when it may stand anywhere."""
        line = self._line(statement)
        section: Section | None = None
        if isinstance(statement, cst.FunctionDef | cst.ClassDef):
            section = self._definition_section(statement)
            label = f"`{statement.name.value}`"
            return Placed(statement.name, section, label, line) if section is not None else None
        if isinstance(statement, cst.If):
            section = _if_section(statement)
        elif isinstance(statement, cst.Try) and _only_imports(statement.body):
            section = Section.IMPORTS
        elif isinstance(statement, cst.SimpleStatementLine):
            return self._simple(statement, line)
        if section is None:
            return None
        return Placed(statement, section, "block" if section is Section.IMPORTS else "", line)

    def _definition_section(self, node: cst.FunctionDef | cst.ClassDef) -> Section | None:
        if isinstance(node, cst.FunctionDef):
            return self._function_section(node)
        if self._holds_routes(node):
            return Section.ROUTES
        return Section.CLASSES if self._is_model(node) else None

    def _is_model(self, node: cst.ClassDef) -> bool:
        """Pydantic models, settings and ORM models; other classes may stand anywhere."""
        module = self.context.facts.module
        if (f"{module}.{node.name.value}" if module else node.name.value) in self.models:
            return True
        return any(
            isinstance(small, cst.Assign)
            and any(dotted(target.target) in TABLE_NAMES for target in small.targets)
            for line in node.body.body
            if isinstance(line, cst.SimpleStatementLine)
            for small in line.body
        )

    def _simple(self, statement: cst.SimpleStatementLine, line: int) -> Placed | None:
        small = statement.body[0]
        if isinstance(small, cst.ImportFrom):
            module = dotted(small.module) if small.module is not None else None
            if module == "__future__":
                return None
            dots = "." * len(small.relative)
            return Placed(statement, Section.IMPORTS, f"of `{dots}{module or ''}`", line)
        if isinstance(small, cst.Import):
            module = dotted(small.names[0].name) or ""
            return Placed(statement, Section.IMPORTS, f"of `{module}`", line)
        name = self._constant_name(small)
        if name is not None:
            return Placed(statement, Section.CONSTANTS, f"`{name}`", line)
        return None

    def _constant_name(self, small: cst.BaseSmallStatement) -> str | None:
        """The name a constant assignment binds, if ``small`` is one.

        A constant binds names only, to a literal or (for ``UPPER_SNAKE`` names) to a value
        that does not use the module's own classes or functions; type variables and aliases,
        loggers and dunders are not constants.
        """
        if not isinstance(small, cst.Assign | cst.AnnAssign) or small.value is None:
            return None
        targets = (
            [target.target for target in small.targets]
            if isinstance(small, cst.Assign)
            else [small.target]
        )
        names = [t.value for t in targets if isinstance(t, cst.Name)]
        if not names or len(names) != len(targets) or _is_type_definition(small):
            return None
        if any(n.startswith("__") or n in LOGGER_NAMES for n in names):
            return None
        if any(name in self.defined for name in _names(small.value)):
            return None
        if _is_literal(small.value) or all(UPPER_SNAKE.match(n) for n in names):
            return names[0]
        return None

    def _function_section(self, node: cst.FunctionDef) -> Section | None:
        if node.name.value in self.registered:
            return Section.ROUTES
        if route_methods(node, self.context.imports, self.context.project) is not None:
            return Section.ROUTES
        if node.name.value in self.needed_early:
            return None  # a class below uses it while being created: it must come first
        for decorator in node.decorators:
            target = decorator.decorator
            func = target.func if isinstance(target, cst.Call) else target
            owner = func.value if isinstance(func, cst.Attribute) else None
            name = self.qualified(owner) if owner is not None else None
            if name is not None and is_route_owner(name, self.context.project):
                return None  # exception handlers, middleware: registered on the app
        return Section.HELPERS

    def _holds_routes(self, node: cst.ClassDef) -> bool:
        return any(
            isinstance(item, cst.FunctionDef)
            and route_methods(item, self.context.imports, self.context.project) is not None
            for item in node.body.body
        )

    def _line(self, statement: cst.CSTNode) -> int:
        return int(self.get_metadata(PositionProvider, statement).start.line)
