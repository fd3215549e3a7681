"""non-upper-constant: module-level constants that are not named in UPPER_SNAKE_CASE."""

from __future__ import annotations

import re
from typing import ClassVar

import libcst as cst

from rulepack.evaluator.checks.base import Case, ModuleCheck, ModuleContext
from rulepack.evaluator.checks.imports import dotted
from rulepack.evaluator.checks.schemas.model_index import is_migration_path, last_part
from rulepack.evaluator.checks.schemas.module_bindings import binding_counts, target_names

UPPER_SNAKE = re.compile(r"^_*[A-Z][A-Z0-9_]*$")
ALEMBIC_NAMES = frozenset({"revision", "down_revision", "branch_labels", "depends_on"})
# Files whose tools read lower-case module variables: Sphinx, gunicorn, Celery, nox.
CONFIG_FILES = frozenset(
    {"conf.py", "gunicorn.conf.py", "gunicorn_conf.py", "celeryconfig.py", "noxfile.py"}
)
# Names tools read from ordinary modules.
TOOL_NAMES = frozenset({"pytest_plugins", "pytestmark", "default_app_config"})
NUMBER = cst.Integer | cst.Float | cst.Imaginary


def _items(node: cst.Tuple | cst.List | cst.Set) -> list[cst.BaseExpression] | None:
    """The items of a container display, ``None`` when one is starred."""
    items = [element.value for element in node.elements if isinstance(element, cst.Element)]
    return items if len(items) == len(node.elements) else None


def _parts(node: cst.BaseExpression) -> list[cst.BaseExpression] | None:
    """Operands of arithmetic, items of a tuple or of ``frozenset({...})``; else ``None``."""
    if isinstance(node, cst.UnaryOperation):
        return [node.expression] if isinstance(node.expression, NUMBER) else None
    if isinstance(node, cst.BinaryOperation):
        return [node.left, node.right]
    if isinstance(node, cst.Tuple):
        return _items(node)
    if isinstance(node, cst.Call) and dotted(node.func) == "frozenset" and len(node.args) <= 1:
        if not node.args:
            return []
        inner = node.args[0].value
        return _items(inner) if isinstance(inner, cst.Set | cst.List | cst.Tuple) else None
    return None


def _is_constant_literal(node: cst.BaseExpression) -> bool:
    """str, bytes, numbers, arithmetic of them, tuples of them, ``frozenset({...})``."""
    if isinstance(node, cst.SimpleString | cst.ConcatenatedString | NUMBER):
        return True
    parts = _parts(node)
    return parts is not None and all(_is_constant_literal(part) for part in parts)


class NonUpperConstant(ModuleCheck):
    """Module-level constants not named in UPPER_SNAKE_CASE.

    ## What it does
    Finds module-level names bound exactly once, to a literal (a string, bytes, a number or
    arithmetic of numbers, a tuple of such literals, ``frozenset({...})``), never rebound at
    module level, and never declared ``global`` in a function, whose name is not
    ``UPPER_SNAKE_CASE``. Private names are held to the same rule (``_DEFAULT_TIMEOUT``): the
    underscore marks visibility, capitals mark constancy. Skipped: dunders (``__version__``),
    ``TypeAlias`` annotations, names tools read (``pytest_plugins``, ``pytestmark``),
    Alembic's ``revision``/``down_revision``/``branch_labels``/``depends_on`` in
    ``versions/*.py``, and configuration modules read by tools (Sphinx ``conf.py``, gunicorn,
    Celery, nox). Booleans and ``None`` are not constants here (``bool-name-prefix`` covers
    booleans).

    ## Why is this bad?
    Capitals mark a value as fixed, so readers know it is never rebound.
    """

    id = "non-upper-constant"
    summary = "module-level constant not named in UPPER_SNAKE_CASE"
    good: ClassVar[tuple[Case, ...]] = (
        Case.good(
            "from typing import TypeAlias\n\n"
            "DEFAULT_PAGE_SIZE = 20\n_REQUEST_TIMEOUT = 10.0\n__version__ = '1.0.0'\n"
            "JsonText: TypeAlias = 'str'\ncounter = 0\nstate = 'idle'\n"
            "retries = 3\nretries = 4\npytest_plugins = ('x',)\n\n\n"
            "def bump() -> None:\n    global counter\n    counter += 1\n\n\n"
            "def set_state() -> None:\n    global state\n    state = 'busy'\n\n\n"
            "def local() -> int:\n    timeout = 5\n    return timeout\n\n\n"
            "class Config:\n    page_size = 20\n",
            note="rebound names, globals, locals and class attributes are not module constants",
        ),
        Case.good(
            '"""Create users.\n\nRevision ID: 0001\n"""\n\nfrom alembic import op\n\n'
            "revision = '0001'\ndown_revision = None\nbranch_labels = None\n"
            "depends_on = None\n",
            path="alembic/versions/0001_create_users.py",
        ),
        Case.good("project = 'app'\nversion = '1.0'\n", path="docs/conf.py"),
        Case.good(
            "import os\n\nfrom fastapi import APIRouter\n\n"
            "router = APIRouter()\ndatabase_url = os.getenv('DATABASE_URL')\ndebug = False\n"
            "items: list[str] = []\nname_map = {'a': 1}\nmessage = f'{router}'\n",
            note="calls, booleans, lists, dicts and f-strings are not literals of a constant",
        ),
    )
    bad: ClassVar[tuple[Case, ...]] = (
        Case.bad(
            "import os\n\ndefault_page_size = 20\nrequest_timeout_seconds = 10.0\n"
            'database_url = os.getenv("database_url")\n',
            hits=2,
        ),
        Case.bad(
            "from typing import Final\n\n"
            "_cache_ttl: Final = 60 * 60\nallowed_methods = ('GET', 'POST')\n"
            "blocked = frozenset({'root', 'admin'})\nMaxItems = -1\nsecret_key = b'x'\n\n\n"
            "def use() -> tuple[str, ...]:\n    return allowed_methods\n",
            hits=5,
            note="private, Final, tuple, frozenset, CamelCase and bytes constants",
        ),
        Case.bad(
            "revision = '0001'\nbatch_size = 100\n",
            hits=2,
            path="app/jobs.py",
            note="Alembic's names count outside migrations",
        ),
    )

    def __init__(self, context: ModuleContext) -> None:
        """Start with no ``global`` declarations seen."""
        super().__init__(context)
        self.globals: set[str] = set()
        self.candidates: list[cst.Name] = []

    def visit_Module(self, node: cst.Module) -> None:
        """Collect the names bound once, to a constant literal, at module level."""
        if self.context.path.rsplit("/", 1)[-1] in CONFIG_FILES:
            return
        counts = binding_counts(node)
        skipped = ALEMBIC_NAMES if is_migration_path(self.context.path) else frozenset()
        for statement in node.body:
            if not isinstance(statement, cst.SimpleStatementLine):
                continue
            for small in statement.body:
                for name in self._constant_names(small):
                    value = name.value
                    if counts[value] != 1 or value in skipped or value in TOOL_NAMES:
                        continue
                    if value.startswith("__") or UPPER_SNAKE.match(value):
                        continue
                    self.candidates.append(name)

    def _constant_names(self, small: cst.BaseSmallStatement) -> list[cst.Name]:
        if isinstance(small, cst.Assign) and _is_constant_literal(small.value):
            return [name for target in small.targets for name in target_names(target.target)]
        if (
            isinstance(small, cst.AnnAssign)
            and small.value is not None
            and _is_constant_literal(small.value)
            and last_part(dotted(small.annotation.annotation) or "") != "TypeAlias"
        ):
            return list(target_names(small.target))
        return []

    def visit_Global(self, node: cst.Global) -> None:
        """Names a function declares ``global`` are rebound: they are not constants."""
        self.globals.update(item.name.value for item in node.names)

    def leave_Module(self, original_node: cst.Module) -> None:
        """Report the candidates no function declares ``global``."""
        for name in self.candidates:
            if name.value in self.globals:
                continue
            self.report(
                name,
                f"module constant `{name.value}` is bound once to a literal; name it "
                f"`{_snake(name.value)}` (UPPER_SNAKE_CASE)",
            )


def _snake(name: str) -> str:
    """``MaxItems`` -> ``MAX_ITEMS``."""
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name).upper()
