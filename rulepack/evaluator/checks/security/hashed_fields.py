"""Which password fields a sample stores hashed, found over its whole ``ast``.

A model may keep its hash in a column named ``password``: what matters is that only a hash is
written there. The evidence is a hash call whose result reaches the field: ``user.password =
hash_password(...)``, ``User(password=get_hash_password(...))``, ``{"password": hashed}``, a
property setter or SQLAlchemy ``@validates("password")`` that hashes, or a Pydantic
``@field_validator("password")`` that hashes the value before any model sees it.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass

from rulepack.evaluator.checks.base import ProjectFacts

HASH_HINTS = ("hash", "encrypt", "crypt", "make_password")
VALIDATOR_DECORATORS = frozenset({"validates", "field_validator", "validator"})


@dataclass(frozen=True)
class HashedFields:
    """Field names a hash is stored in, and those a validator hashes on input."""

    stored: frozenset[str]
    validated: frozenset[str]


def hashed_fields(project: ProjectFacts) -> HashedFields:
    """The sample's hashed password fields (computed once per sample)."""
    return project.cached("security.hashed-fields", lambda: _collect(project))


def _collect(project: ProjectFacts) -> HashedFields:
    stored: set[str] = set()
    validated: set[str] = set()
    for tree in project.trees.values():
        stored.update(_stored_fields(tree, frozenset()))
        for function in ast.walk(tree):
            if not isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            stored.update(_stored_fields(function, _hashed_locals(function)))
            if _calls_hash(function):
                fields = set(_decorated_fields(function))
                validated.update(fields)
                stored.update(fields)
    return HashedFields(frozenset(stored), frozenset(validated))


def _is_hash_call(node: ast.AST) -> bool:
    if not isinstance(node, ast.Call):
        return False
    func = node.func
    name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
    return any(hint in name.lower() for hint in HASH_HINTS)


def _calls_hash(node: ast.AST) -> bool:
    return any(_is_hash_call(child) for child in ast.walk(node))


def _hashed_locals(scope: ast.AST) -> frozenset[str]:
    """Names a scope binds to a hash call's result (``digest = bcrypt.hashpw(...)``)."""
    names: set[str] = set()
    for node in ast.walk(scope):
        if isinstance(node, ast.Assign) and _calls_hash(node.value):
            names.update(t.id for t in node.targets if isinstance(t, ast.Name))
        elif (
            isinstance(node, ast.AnnAssign)
            and node.value is not None
            and isinstance(node.target, ast.Name)
            and _calls_hash(node.value)
        ):
            names.add(node.target.id)
    return frozenset(names)


def _is_hashed(value: ast.AST | None, hashed: frozenset[str]) -> bool:
    if value is None:
        return False
    if isinstance(value, ast.Name):
        return value.id in hashed
    return _calls_hash(value)


def _stored_fields(scope: ast.AST, hashed: frozenset[str]) -> Iterator[str]:
    """Attributes, keyword arguments and dict keys given a hashed value in ``scope``."""
    for node in ast.walk(scope):
        if isinstance(node, ast.Assign) and _is_hashed(node.value, hashed):
            yield from (t.attr for t in node.targets if isinstance(t, ast.Attribute))
        elif isinstance(node, ast.Call):
            yield from (k.arg for k in node.keywords if k.arg and _is_hashed(k.value, hashed))
        elif isinstance(node, ast.Dict):
            for key, value in zip(node.keys, node.values, strict=True):
                if (
                    isinstance(key, ast.Constant)
                    and isinstance(key.value, str)
                    and _is_hashed(value, hashed)
                ):
                    yield key.value


def _decorated_fields(function: ast.FunctionDef | ast.AsyncFunctionDef) -> Iterator[str]:
    """Fields a hashing function guards: ``@validates("password")``, ``@password.setter``."""
    for decorator in function.decorator_list:
        if isinstance(decorator, ast.Attribute) and decorator.attr == "setter":
            if isinstance(decorator.value, ast.Name):
                yield decorator.value.id
            continue
        if not isinstance(decorator, ast.Call):
            continue
        func = decorator.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        if name in VALIDATOR_DECORATORS:
            yield from (
                arg.value
                for arg in decorator.args
                if isinstance(arg, ast.Constant) and isinstance(arg.value, str)
            )
