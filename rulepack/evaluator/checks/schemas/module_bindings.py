"""Module-level bindings: which names a module binds at top level, and how often (libcst)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Sequence

import libcst as cst

from rulepack.evaluator.checks.imports import dotted


def target_names(node: cst.BaseExpression) -> Iterator[cst.Name]:
    """The names an assignment target binds (``a``, ``a, b``, ``[a, *b]``)."""
    if isinstance(node, cst.Name):
        yield node
    elif isinstance(node, cst.Tuple | cst.List):
        for element in node.elements:
            yield from target_names(element.value)
    elif isinstance(node, cst.StarredElement):
        yield from target_names(node.value)


def _small_bindings(small: cst.BaseSmallStatement) -> Iterator[cst.Name]:
    if isinstance(small, cst.Assign):
        for target in small.targets:
            yield from target_names(target.target)
    elif isinstance(small, cst.AnnAssign | cst.AugAssign):
        if not isinstance(small, cst.AnnAssign) or small.value is not None:
            yield from target_names(small.target)
    elif isinstance(small, cst.Del):
        yield from target_names(small.target)
    elif isinstance(small, cst.Import | cst.ImportFrom) and not isinstance(
        small.names, cst.ImportStar
    ):
        for alias in small.names:
            bound = alias.asname.name if alias.asname is not None else alias.name
            if isinstance(bound, cst.Name):
                yield bound
            else:
                head = (dotted(bound) or "").split(".")[0]
                if head:
                    yield cst.Name(head)


def _blocks(statement: cst.BaseCompoundStatement) -> Iterator[cst.BaseSuite]:
    """The blocks of a compound statement that run in the module's scope."""
    yield statement.body
    for attribute in ("orelse", "finalbody"):
        extra = getattr(statement, attribute, None)
        if isinstance(extra, cst.Else | cst.Finally):
            yield extra.body
        elif isinstance(extra, cst.If):
            yield from _blocks(extra)
    for handler in getattr(statement, "handlers", ()):
        yield handler.body


def _header_bindings(statement: cst.BaseCompoundStatement) -> Iterator[cst.Name]:
    """Names a compound statement's header binds: ``for x in``, ``with ... as x``."""
    if isinstance(statement, cst.For):
        yield from target_names(statement.target)
    elif isinstance(statement, cst.With):
        for item in statement.items:
            if item.asname is not None:
                yield from target_names(item.asname.name)


def _suite_bindings(block: cst.BaseSuite) -> Iterator[tuple[cst.Name, cst.CSTNode]]:
    if isinstance(block, cst.IndentedBlock):
        yield from module_bindings(block.body)
    elif isinstance(block, cst.SimpleStatementSuite):
        for small in block.body:
            for name in _small_bindings(small):
                yield name, small


def module_bindings(
    body: Sequence[cst.BaseStatement],
) -> Iterator[tuple[cst.Name, cst.CSTNode]]:
    """``(name, statement)`` for every binding in the module scope (not in defs or classes)."""
    for statement in body:
        if isinstance(statement, cst.SimpleStatementLine):
            for small in statement.body:
                for name in _small_bindings(small):
                    yield name, small
        elif isinstance(statement, cst.FunctionDef | cst.ClassDef):
            yield statement.name, statement
        elif isinstance(statement, cst.BaseCompoundStatement):
            for name in _header_bindings(statement):
                yield name, statement
            for block in _blocks(statement):
                yield from _suite_bindings(block)


def binding_counts(module: cst.Module) -> Counter[str]:
    """How many times each name is bound in the module scope."""
    return Counter(name.value for name, _ in module_bindings(module.body))
