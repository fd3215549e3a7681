"""A base for module checks of pytest test files: which functions pytest collects as tests."""

from __future__ import annotations

from dataclasses import dataclass

import libcst as cst

from rulepack.evaluator.checks.base import ModuleCheck, ModuleContext, ProjectFacts
from rulepack.evaluator.checks.facts import ModuleFacts
from rulepack.evaluator.checks.project.support import is_test_module

UNITTEST_CASES = frozenset(
    {
        "unittest.TestCase",
        "unittest.case.TestCase",
        "unittest.IsolatedAsyncioTestCase",
        "unittest.async_case.IsolatedAsyncioTestCase",
    }
)
FIXTURES = frozenset({"pytest.fixture", "pytest_asyncio.fixture", "_pytest.fixtures.fixture"})


def unittest_cases(project: ProjectFacts) -> frozenset[str]:
    """The unittest case classes and the sample's subclasses of them, at any depth."""
    return project.subclasses_of(UNITTEST_CASES)


@dataclass(frozen=True)
class Scope:
    """A class or function around the node being visited."""

    is_class: bool
    collected: bool = False  # a class pytest collects (``Test*`` or a unittest case)
    unittest: bool = False  # a unittest case (unittest runs its methods, not pytest)
    node: cst.ClassDef | None = None


class TestModuleCheck(ModuleCheck):
    """Visit a test module and call :meth:`check_test` on each function pytest collects.

    pytest collects ``test*`` functions at module level and ``test*`` methods of ``Test*``
    classes (and of unittest cases); nested functions and fixtures are not tests.
    """

    __test__ = False  # not a pytest test class

    def __init__(self, context: ModuleContext) -> None:
        """Start with no enclosing scope."""
        super().__init__(context)
        self.scopes: list[Scope] = []
        self.unittest_cases = unittest_cases(context.project)

    @classmethod
    def applies(cls, facts: ModuleFacts, project: ProjectFacts) -> bool:
        """Test modules (``test_*.py``, ``*_test.py``)."""
        del project
        return is_test_module(facts.path)

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        """Open a class scope."""
        bases = {self.qualified(arg.value) for arg in node.bases}
        unittest = bool(bases & self.unittest_cases)
        collected = unittest or node.name.value.startswith("Test")
        self.scopes.append(Scope(is_class=True, collected=collected, unittest=unittest, node=node))

    def leave_ClassDef(self, original_node: cst.ClassDef) -> None:
        """Close the class scope."""
        del original_node
        self.scopes.pop()

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        """Check collected tests, then open a function scope."""
        if self._is_test(node):
            self.check_test(node)
        self.scopes.append(Scope(is_class=False))

    def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
        """Close the function scope."""
        del original_node
        self.scopes.pop()

    def _is_test(self, node: cst.FunctionDef) -> bool:
        if not node.name.value.startswith("test"):
            return False
        if any(not scope.is_class or not scope.collected for scope in self.scopes):
            return False
        return not any(self.decorator_name(d) in FIXTURES for d in node.decorators)

    def decorator_name(self, decorator: cst.Decorator) -> str | None:
        """The qualified name of a decorator, without its call (``pytest.mark.asyncio``)."""
        target = decorator.decorator
        if isinstance(target, cst.Call):
            target = target.func
        return self.qualified(target)

    def check_test(self, node: cst.FunctionDef) -> None:
        """Check one collected test function (subclasses report here)."""
        raise NotImplementedError
