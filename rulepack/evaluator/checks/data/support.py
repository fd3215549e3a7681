"""Small helpers the data checks share: what a module mentions, method calls, literal flags."""

from __future__ import annotations

import ast
import re

import libcst as cst

from rulepack.evaluator.checks.base import ProjectFacts
from rulepack.evaluator.checks.common import imports_any
from rulepack.evaluator.checks.facts import ModuleFacts

DB_PACKAGES = ("sqlalchemy", "sqlmodel", "flask_sqlalchemy")
# Snippets without imports still name the ORM vocabulary.
ORM_WORDS = re.compile(
    r"\b(?:AsyncSession|Session|mapped_column|Column|declarative_base|DeclarativeBase|"
    r"sessionmaker|async_sessionmaker|create_engine|create_async_engine|SessionDep)\b"
)

STRINGS = (cst.SimpleString, cst.FormattedString, cst.ConcatenatedString)
SESSION_QUERY = re.compile(r"\b(?:session|db|db_session)\.query\(")


def source(project: ProjectFacts, facts: ModuleFacts) -> str:
    """The source text of a module."""
    return project.sources.get(facts.path, "")


def uses_database(facts: ModuleFacts, project: ProjectFacts) -> bool:
    """Whether a module imports an ORM, or (a snippet) names ORM classes and functions."""
    if imports_any(facts, *DB_PACKAGES):
        return True
    text = source(project, facts)
    return bool(ORM_WORDS.search(text) or SESSION_QUERY.search(text))


def method_call(node: cst.Call) -> tuple[cst.BaseExpression, str] | None:
    """``(receiver, method)`` for ``receiver.method(...)``."""
    if isinstance(node.func, cst.Attribute):
        return node.func.value, node.func.attr.value
    return None


def is_true_literal(node: cst.BaseExpression | None) -> bool:
    """Whether ``node`` is the literal ``True``."""
    return isinstance(node, cst.Name) and node.value == "True"


def ast_true(node: ast.expr | None) -> bool:
    """Whether an ``ast`` expression is the literal ``True``."""
    return isinstance(node, ast.Constant) and node.value is True


def ast_keyword(call: ast.Call, name: str) -> ast.expr | None:
    """The value of keyword ``name`` of an ``ast`` call."""
    return next((k.value for k in call.keywords if k.arg == name), None)


def last_name(name: str | None) -> str:
    """The last component of a dotted name (``""`` for ``None``)."""
    return name.rsplit(".", 1)[-1] if name else ""


def looks_like_orm(node: cst.Call) -> bool:
    """Whether a call is shaped like an ORM session call, not like an HTTP or cache client's.

    ``session.get(User, user_id)`` takes a model and a key; ``session.get(url)`` and
    ``db.execute("...")`` (a string) belong to other libraries.
    """
    positional = [arg.value for arg in node.args if arg.keyword is None and not arg.star]
    if positional and isinstance(positional[0], STRINGS):
        return False
    found = method_call(node)
    return found is None or found[1] != "get" or len(positional) >= 2
