"""no-unittest-setup: unittest classes, xunit setup/teardown methods and unittest assertions."""

from __future__ import annotations

from typing import ClassVar

import libcst as cst

from rulepack.evaluator.checks.base import Case, ModuleCheck, ModuleContext, ProjectFacts
from rulepack.evaluator.checks.facts import ModuleFacts
from rulepack.evaluator.checks.project.support import is_test_path
from rulepack.evaluator.checks.project.test_modules import unittest_cases

SETUP_METHODS = frozenset(
    {
        "setUp", "tearDown", "setUpClass", "tearDownClass", "asyncSetUp", "asyncTearDown",
        "setup_method", "teardown_method", "setup_class", "teardown_class",
    }
)  # fmt: skip
SETUP_FUNCTIONS = frozenset(
    {
        "setup_module", "teardown_module", "setup_function", "teardown_function", "setUpModule",
        "tearDownModule",
    }
)  # fmt: skip
# unittest assertions that ruff's PT009 and PT027 do not report
CONTEXT_ASSERTIONS = {
    "assertWarns": "pytest.warns",
    "assertWarnsRegex": "pytest.warns(match=...)",
    "assertLogs": "the caplog fixture",
    "assertNoLogs": "the caplog fixture",
}


class NoUnittestSetup(ModuleCheck):
    """unittest-style setup in tests instead of pytest fixtures.

    ## What it does
    In test code (``tests/``, ``test_*.py``, ``conftest.py``) it reports classes that subclass
    ``unittest.TestCase`` or ``IsolatedAsyncioTestCase``, xunit-style setup and teardown methods
    (``setUp``, ``tearDown``, ``setUpClass``, ``asyncSetUp``, ``setup_method``,
    ``teardown_class`` ...) and module functions (``setup_module``, ``teardown_function`` ...),
    and the unittest assertions ruff's PT009/PT027 do not cover: ``self.assertWarns``,
    ``assertWarnsRegex``, ``assertLogs`` and ``assertNoLogs``.

    ## Why is this bad?
    Fixtures compose, are injected by name and scope cleanly; plain asserts get pytest's
    introspected failure messages. Mixing in unittest style splits setup across two mechanisms.
    """

    id = "no-unittest-setup"
    summary = "unittest-style setup or assertion in tests"
    good: ClassVar[tuple[Case, ...]] = (
        Case.good(
            "from collections.abc import Iterator\n\nimport pytest\n"
            "from fastapi.testclient import TestClient\n\nfrom app.main import app\n\n\n"
            "@pytest.fixture\ndef client() -> Iterator[TestClient]:\n"
            "    with TestClient(app) as test_client:\n        yield test_client\n",
            path="tests/conftest.py",
        ),
        Case.good(
            "import logging\n\nimport pytest\n\n\nclass TestUsers:\n"
            "    def test_should_warn_when_deprecated(self, caplog) -> None:\n"
            "        with pytest.warns(DeprecationWarning):\n            pass\n"
            "        with caplog.at_level(logging.INFO):\n            pass\n\n"
            "    def setup(self) -> None:\n        pass\n",
            path="tests/test_users.py",
            note="pytest.warns and caplog; a helper named setup",
        ),
        Case.good(
            "import unittest\n\n\nclass Base(unittest.TestCase):\n"
            "    def setUp(self) -> None:\n        pass\n",
            path="app/testing.py",
            note="not test code",
        ),
    )
    bad: ClassVar[tuple[Case, ...]] = (
        Case.bad(
            "import unittest\n\nfrom fastapi.testclient import TestClient\n\n"
            "from app.main import app\n\n\nclass TestUsers(unittest.TestCase):\n"
            "    def setUp(self) -> None:\n        self.client = TestClient(app)\n\n"
            "    def test_should_return_user_when_id_exists(self) -> None:\n"
            "        response = self.client.get('/api/v1/users/1')\n"
            "        self.assertEqual(response.status_code, 200)\n",
            hits=2,
            path="tests/test_users.py",
            note="a TestCase subclass and its setUp (assertEqual is PT009's)",
        ),
        Case.bad(
            "from unittest import IsolatedAsyncioTestCase as AsyncCase\n\n\n"
            "class UsersTest(AsyncCase):\n    async def asyncSetUp(self) -> None:\n        pass\n\n"
            "    def test_logs(self) -> None:\n"
            "        with self.assertLogs('app', level='INFO'):\n            pass\n",
            hits=3,
            path="tests/users_test.py",
            note="an aliased async case, asyncSetUp, assertLogs",
        ),
        Case(
            files={
                "tests/base.py": "from unittest import TestCase\n\n\nclass ApiTest(TestCase):\n"
                "    pass\n",
                "tests/test_api.py": "from tests.base import ApiTest\n\n\n"
                "class UsersTest(ApiTest):\n    def test_list(self) -> None:\n        pass\n",
            },
            hits=2,
            note="a TestCase subclass of the sample's own base class in another module",
        ),
        Case.bad(
            "def setup_module() -> None:\n    pass\n\n\nclass TestOrders:\n"
            "    def setup_method(self) -> None:\n        self.orders = []\n\n"
            "    def teardown_method(self) -> None:\n        self.orders.clear()\n",
            hits=3,
            path="tests/test_orders.py",
            note="xunit-style module and method setup",
        ),
    )

    def __init__(self, context: ModuleContext) -> None:
        """Start outside any class or function."""
        super().__init__(context)
        self.depth: list[str] = []  # "class" / "function" scopes around the node
        self.unittest_cases = unittest_cases(context.project)

    @classmethod
    def applies(cls, facts: ModuleFacts, project: ProjectFacts) -> bool:
        """Test code: test modules, conftest.py and files under tests/."""
        del project
        return is_test_path(facts.path)

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        """Report unittest case classes."""
        if any(self.qualified(arg.value) in self.unittest_cases for arg in node.bases):
            self.report(
                node.name,
                f"`{node.name.value}` subclasses unittest's TestCase; write plain pytest test "
                "functions with fixtures and assert",
            )
        self.depth.append("class")

    def leave_ClassDef(self, original_node: cst.ClassDef) -> None:
        """Leave the class."""
        del original_node
        self.depth.pop()

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        """Report setup and teardown methods and module functions."""
        name = node.name.value
        in_class = bool(self.depth) and self.depth[-1] == "class"
        if (in_class and name in SETUP_METHODS) or (not self.depth and name in SETUP_FUNCTIONS):
            self.report(
                node.name,
                f"`{name}` is xunit-style setup; use a @pytest.fixture (teardown after yield) "
                "in tests/conftest.py",
            )
        self.depth.append("function")

    def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
        """Leave the function."""
        del original_node
        self.depth.pop()

    def visit_Call(self, node: cst.Call) -> None:
        """Report ``self.assertWarns``/``assertLogs`` and their variants."""
        func = node.func
        if (
            isinstance(func, cst.Attribute)
            and isinstance(func.value, cst.Name)
            and func.value.value == "self"
            and func.attr.value in CONTEXT_ASSERTIONS
        ):
            self.report(
                node,
                f"`self.{func.attr.value}` is a unittest assertion; use "
                f"{CONTEXT_ASSERTIONS[func.attr.value]}",
            )
