"""The base of module checks that judge the fields of the sample's Pydantic models."""

from __future__ import annotations

import libcst as cst

from rulepack.evaluator.checks.base import ModuleCheck, ModuleContext, ProjectFacts
from rulepack.evaluator.checks.facts import ModuleFacts
from rulepack.evaluator.checks.pydantic_v1_api import MODEL_ROOTS
from rulepack.evaluator.checks.schemas.model_index import (
    UNIMPORTED_ROOTS,
    SchemaIndex,
    is_migration_path,
)


def model_roots(project: ProjectFacts) -> frozenset[str]:
    """Pydantic's model classes, and the names a fragment uses for them without importing them.

    A base that a module does not import resolves to ``<module>.BaseModel`` in the facts.
    """
    fallbacks = {f"{m.module}.{name}" for m in project.modules for name in UNIMPORTED_ROOTS}
    return MODEL_ROOTS | fallbacks


def defines_model(facts: ModuleFacts, project: ProjectFacts) -> bool:
    """Whether a module defines a Pydantic model (for ``applies``).

    The sample's index follows bases through re-exports (``from app.schemas import Schema``
    where ``app/schemas/__init__.py`` imports it from ``.base``); the facts alone do not.
    """
    models = SchemaIndex.of(project).models
    return any(fact.name in models for fact in facts.classes)


class ModelClassCheck(ModuleCheck):
    """Calls :meth:`check_class` for every top-level class of the module the index knows.

    Classes nested in functions or other classes are not in the index and are skipped.
    """

    def __init__(self, context: ModuleContext) -> None:
        """Index the sample's classes."""
        super().__init__(context)
        self.index = SchemaIndex.of(context.project)
        self.depth = 0  # nesting in classes and functions

    @classmethod
    def applies(cls, facts: ModuleFacts, project: ProjectFacts) -> bool:
        """Modules that define a Pydantic model, except Alembic migration scripts.

        A migration may declare a snapshot of a schema to move data; no client sends it and
        no route returns it.
        """
        return not is_migration_path(facts.path) and defines_model(facts, project)

    def qualified_class(self, node: cst.ClassDef) -> str:
        """The qualified name of a top-level class of this module."""
        module = self.context.facts.module
        return f"{module}.{node.name.value}" if module else node.name.value

    def check_class(self, node: cst.ClassDef, name: str) -> None:
        """Judge one top-level class (``name`` is its qualified name)."""
        raise NotImplementedError

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        """Hand top-level classes to :meth:`check_class`."""
        if self.depth == 0:
            self.check_class(node, self.qualified_class(node))
        self.depth += 1

    def leave_ClassDef(self, original_node: cst.ClassDef) -> None:
        """Leave a class body."""
        self.depth -= 1

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        """Enter a function body (classes inside are not top-level)."""
        self.depth += 1

    def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
        """Leave a function body."""
        self.depth -= 1
