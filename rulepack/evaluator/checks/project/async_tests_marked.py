"""async-tests-marked: ``async def`` tests that no marker or plugin mode makes pytest await."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import ClassVar

import libcst as cst

from rulepack.evaluator.checks.base import Case, ModuleContext, ProjectFacts
from rulepack.evaluator.checks.project.support import basename
from rulepack.evaluator.checks.project.test_modules import Scope, TestModuleCheck

MARKERS = frozenset({"pytest.mark.asyncio", "pytest.mark.anyio", "pytest.mark.trio"})
CONFIG_FILES = frozenset({"pyproject.toml", "pytest.ini", ".pytest.ini", "setup.cfg", "tox.ini"})
AUTO_MODE = re.compile(
    r"^\s*asyncio_mode\s*=\s*[\"']?auto\b|--asyncio-mode[= ]auto\b|^\s*trio_mode\s*=\s*(true|1)\b",
    re.MULTILINE | re.IGNORECASE,
)
HOOK_MARKER = re.compile(r"add_marker\([^)]*\b(asyncio|anyio|trio)\b")

_TEST = (
    "async def test_should_return_user_when_id_exists(client) -> None:\n"
    "    response = await client.get('/api/v1/users/1')\n    assert response.status_code == 200\n"
)


def auto_mode(project: ProjectFacts) -> bool:
    """Whether pytest-asyncio (or pytest-trio) runs every async test without a marker.

    ``asyncio_mode = auto`` (or ``--asyncio-mode=auto`` in ``addopts``) in ``pyproject.toml``,
    ``pytest.ini``, ``setup.cfg`` or ``tox.ini``, ``trio_mode = true``, or a ``conftest.py`` hook
    that adds the marker to every item.
    """
    for path, text in project.texts.items():
        if basename(path) in CONFIG_FILES and AUTO_MODE.search(text):
            return True
    return any(
        basename(path) == "conftest.py" and HOOK_MARKER.search(source)
        for path, source in project.sources.items()
    )


class AsyncTestsMarked(TestModuleCheck):
    """``async def`` tests that pytest would not await.

    ## What it does
    Reports ``async def test_*`` functions and methods of ``Test*`` classes that carry no
    ``@pytest.mark.asyncio``, ``@pytest.mark.anyio`` or ``@pytest.mark.trio`` marker (on the
    function, its class, or a ``pytestmark`` of the class or module), when the project does not set
    ``asyncio_mode = "auto"`` (``[tool.pytest.ini_options]``, ``pytest.ini``, ``setup.cfg``,
    ``tox.ini`` or ``--asyncio-mode=auto`` in ``addopts``) or ``trio_mode``, and no ``conftest.py``
    adds the marker in a hook. Methods of unittest cases are run by unittest and skipped.

    ## Why is this bad?
    Without a plugin mode or a marker pytest never awaits the coroutine: depending on the pytest
    version the test is skipped with a warning or fails, so the code under test never runs.
    """

    id = "async-tests-marked"
    summary = "async test without an asyncio/anyio marker or asyncio_mode = auto"
    good: ClassVar[tuple[Case, ...]] = (
        Case.good("import pytest\n\n\n@pytest.mark.asyncio\n" + _TEST, path="tests/test_users.py"),
        Case.good(
            "from pytest import mark\n\npytestmark = [mark.anyio, mark.usefixtures('db')]\n\n\n"
            + _TEST,
            path="tests/test_users.py",
            note="a module-level pytestmark list with an aliased import",
        ),
        Case.good(
            "import pytest\n\n\n@pytest.mark.asyncio(loop_scope='module')\nclass TestUsers:\n"
            "    async def test_get(self) -> None:\n        pass\n\n\n"
            "class TestOrders:\n    pytestmark = pytest.mark.anyio\n\n"
            "    async def test_list(self) -> None:\n        pass\n",
            path="tests/test_classes.py",
            note="markers on classes, called or as a class pytestmark",
        ),
        Case(
            files={
                "tests/test_users.py": _TEST,
                "pyproject.toml": '[tool.pytest.ini_options]\nasyncio_mode = "auto"\n',
            },
            hits=0,
            note="asyncio_mode = auto",
        ),
        Case(
            files={
                "tests/test_users.py": _TEST,
                "pytest.ini": "[pytest]\naddopts = -ra --asyncio-mode=auto\n",
            },
            hits=0,
            note="--asyncio-mode=auto in addopts",
        ),
        Case.good(
            "import unittest\n\nimport pytest\n\n\n"
            "class TestApi(unittest.IsolatedAsyncioTestCase):\n"
            "    async def test_get(self) -> None:\n        pass\n\n\n"
            "@pytest.fixture\nasync def test_data():\n    return 1\n\n\n"
            "async def helper() -> None:\n    async def test_inner() -> None:\n        pass\n",
            path="tests/test_misc.py",
            note="unittest async cases, async fixtures, helpers and nested functions",
        ),
        Case.good(_TEST, path="app/services/users.py", note="not a test module"),
    )
    bad: ClassVar[tuple[Case, ...]] = (
        Case.bad(
            "from fastapi import status\nfrom httpx import ASGITransport, AsyncClient\n\n"
            "from app.main import app\n\n\n" + _TEST,
            path="tests/test_users.py",
        ),
        Case.bad(
            "import pytest\n\npytestmark = pytest.mark.usefixtures('db')\n\n\n"
            "@pytest.mark.parametrize('user_id', [1, 2])\n" + _TEST + "\n\nclass TestUsers:\n"
            "    async def test_list(self) -> None:\n        pass\n",
            hits=2,
            path="tests/test_users.py",
            note="other markers do not count; a method of a test class",
        ),
        Case(
            files={
                "tests/test_users.py": _TEST,
                "pyproject.toml": '[tool.pytest.ini_options]\nasyncio_mode = "strict"\n',
            },
            hits=1,
            note="strict mode",
        ),
    )

    def __init__(self, context: ModuleContext) -> None:
        """Read the project's pytest configuration once per module."""
        super().__init__(context)
        self.auto = auto_mode(context.project)
        self.module_marked = False
        self.marked_classes: list[bool] = []

    def visit_Module(self, node: cst.Module) -> None:
        """Read a module-level ``pytestmark``."""
        self.module_marked = self._pytestmark(node.body)

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        """Note whether the class carries a marker."""
        super().visit_ClassDef(node)
        marked = any(self.decorator_name(d) in MARKERS for d in node.decorators)
        body = node.body.body if isinstance(node.body, cst.IndentedBlock) else ()
        self.marked_classes.append(marked or self._pytestmark(body))

    def leave_ClassDef(self, original_node: cst.ClassDef) -> None:
        """Forget the class's marker."""
        super().leave_ClassDef(original_node)
        self.marked_classes.pop()

    def check_test(self, node: cst.FunctionDef) -> None:
        """Report an async test without a marker."""
        if node.asynchronous is None or self.auto or self.module_marked:
            return
        if any(self.marked_classes) or any(scope.unittest for scope in self._classes()):
            return
        if any(self.decorator_name(d) in MARKERS for d in node.decorators):
            return
        self.report(
            node.name,
            f"async test `{node.name.value}` has no @pytest.mark.asyncio (or anyio) marker and "
            'the project does not set asyncio_mode = "auto"; pytest will not await it',
        )

    def _classes(self) -> list[Scope]:
        return [scope for scope in self.scopes if scope.is_class]

    def _pytestmark(self, body: Sequence[cst.CSTNode]) -> bool:
        """Whether a block assigns ``pytestmark`` a marker (alone or in a list)."""
        for statement in body:
            if not isinstance(statement, cst.SimpleStatementLine):
                continue
            for small in statement.body:
                if isinstance(small, cst.Assign) and any(
                    isinstance(t.target, cst.Name) and t.target.value == "pytestmark"
                    for t in small.targets
                ):
                    return self._has_marker(small.value)
        return False

    def _has_marker(self, value: cst.BaseExpression) -> bool:
        items = (
            [element.value for element in value.elements]
            if isinstance(value, cst.List | cst.Tuple)
            else [value]
        )
        for item in items:
            target = item.func if isinstance(item, cst.Call) else item
            if self.qualified(target) in MARKERS:
                return True
        return False
