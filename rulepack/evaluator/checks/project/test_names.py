"""test-names: test functions whose names do not match the ``test_name_pattern`` parameter."""

from __future__ import annotations

from typing import ClassVar

import libcst as cst

from rulepack.evaluator.checks.base import Case
from rulepack.evaluator.checks.common import regex_param
from rulepack.evaluator.checks.project.test_modules import TestModuleCheck

PATTERN_PARAM = "test_name_pattern"
DEFAULT_PATTERN = "^test_should_.+_when_.+$"

_HEAD = "from fastapi import status\nfrom fastapi.testclient import TestClient\n\n\n"


class TestNames(TestModuleCheck):
    """Test functions not named by the ``test_name_pattern`` parameter.

    ## What it does
    Reports every test pytest collects (``test*`` functions, ``test*`` methods of ``Test*``
    classes and of unittest cases) whose name does not match ``test_name_pattern`` (default
    ``^test_should_.+_when_.+$``). Fixtures, helpers, nested functions and functions in modules
    pytest does not collect (``conftest.py``, ``helpers.py``) are not tests.

    ## Why is this bad?
    A name that states the expected outcome and the condition documents the behaviour and makes a
    failure report readable without opening the test.
    """

    id = "test-names"
    summary = "test name does not match `test_name_pattern`"
    params = (PATTERN_PARAM,)
    good: ClassVar[tuple[Case, ...]] = (
        Case.good(
            _HEAD + "def test_should_return_404_when_user_does_not_exist(client: TestClient)"
            " -> None:\n    response = client.get('/api/v1/users/999')\n"
            "    assert response.status_code == status.HTTP_404_NOT_FOUND\n",
            path="tests/test_users.py",
        ),
        Case.good(
            "import pytest\n\n\n@pytest.fixture\ndef test_user() -> dict[str, int]:\n"
            "    return {'id': 1}\n\n\ndef make_user() -> None:\n"
            "    def test_inner() -> None:\n        pass\n\n\n"
            "class Helper:\n    def test_like(self) -> None:\n        pass\n\n\n"
            "class TestUsers:\n    async def test_should_list_users_when_logged_in(self) -> None:"
            "\n        pass\n",
            path="tests/test_users.py",
            note="fixtures, helpers, nested functions, methods of non-test classes",
        ),
        Case.good(
            "def test_get_user() -> None:\n    pass\n",
            path="tests/conftest.py",
            note="conftest.py is not a test module",
        ),
    )
    bad: ClassVar[tuple[Case, ...]] = (
        Case.bad(
            _HEAD + "def test_get_user(client: TestClient) -> None:\n"
            "    response = client.get('/api/v1/users/999')\n"
            "    assert response.status_code == status.HTTP_404_NOT_FOUND\n",
            path="tests/test_users.py",
        ),
        Case.bad(
            "import unittest\n\n\nclass UsersCase(unittest.TestCase):\n"
            "    def test_create(self) -> None:\n        pass\n\n\n"
            "class TestOrders:\n    async def testList(self) -> None:\n        pass\n\n"
            "    def test_should_fail(self) -> None:\n        pass\n",
            hits=3,
            path="tests/api/orders_test.py",
            note="a unittest case, a camelCase method, a name without a condition",
        ),
    )

    def check_test(self, node: cst.FunctionDef) -> None:
        """Report a test whose name does not match the pattern."""
        pattern = regex_param(self.context.params, PATTERN_PARAM, DEFAULT_PATTERN)
        name = node.name.value
        if not pattern.search(name):
            self.report(
                node.name,
                f"test `{name}` does not match `{pattern.pattern}`; name it after the expected "
                "outcome and the condition (test_should_<outcome>_when_<condition>)",
            )
