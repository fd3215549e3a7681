"""Integer status codes -> ``status.HTTP_*`` constants (fixes ``literal-status-code``).

The literals rewritten are exactly those the ``literal-status-code`` check reports (exceptions,
responses, route decorators' and ``add_api_route``'s ``status_code=``), so the fix and the check
never disagree. Constant names are read from the installed ``starlette.status`` (``fastapi.status``
is that same module): its public names minus those it lists as deprecated, so 422 becomes
``HTTP_422_UNPROCESSABLE_CONTENT`` where Starlette deprecates ``HTTP_422_UNPROCESSABLE_ENTITY``,
and stays ``..._ENTITY`` with a Starlette that has no other name.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Mapping, Sequence
from functools import cache

import libcst as cst

from rulepack.fixes.edits import add_import, bound_names, imported_as, is_free
from rulepack.fixes.finders import Found
from rulepack.fixes.model import Outcome

STATUS_MODULES = frozenset({"fastapi.status", "starlette.status"})
CONSTANT = re.compile(r"HTTP_(\d{3})_[A-Z0-9_]+")
ALIASES = ("status", "http_status")  # names a new ``from fastapi import status`` may bind


@cache
def status_constants() -> Mapping[int, str]:
    """Every standard HTTP status code and its current constant name in ``starlette.status``.

    Empty when Starlette is not installed.
    """
    try:
        from starlette import status  # noqa: PLC0415 - only when fixing
    except ImportError:
        return {}
    deprecated = set(getattr(status, "__deprecated__", ()))
    constants: dict[int, str] = {}
    for name in status.__all__:
        match = CONSTANT.fullmatch(name)
        if match is None or name in deprecated:
            continue
        if getattr(status, name, None) == int(match.group(1)):
            constants.setdefault(int(match.group(1)), name)
    return constants


def status_prefix(tree: ast.Module) -> tuple[str, str | None, str] | None:
    """How the module can name the status module: ``(expression, alias to import, source)``.

    An existing ``from fastapi import status [as st]`` (or Starlette's) is reused, then
    ``import fastapi``; otherwise ``status`` is imported (from ``starlette`` in a module that
    imports Starlette but not FastAPI), or ``http_status`` when the module already uses the name
    ``status`` (a parameter, a variable). ``None`` when neither name is free.
    """
    existing = imported_as(tree, STATUS_MODULES)
    if existing is not None:
        return existing, None, ""
    if _imports_fastapi_package(tree):
        return "fastapi.status", None, ""
    roots = _imported_roots(tree)
    source = "starlette" if "starlette" in roots and "fastapi" not in roots else "fastapi"
    for alias in ALIASES:
        if is_free(alias, tree):
            return alias, alias, source
    return None


def _imported_roots(tree: ast.Module) -> set[str]:
    """The top-level packages the module imports from."""
    roots: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            roots.update(alias.name.partition(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            roots.add(node.module.partition(".")[0])
    return roots


def _imports_fastapi_package(tree: ast.Module) -> bool:
    """A top-level ``import fastapi`` whose name nothing else rebinds."""
    if bound_names(tree)["fastapi"] != 1:
        return False
    return any(
        isinstance(statement, ast.Import)
        and any(alias.name == "fastapi" and alias.asname is None for alias in statement.names)
        for statement in tree.body
    )


class _ReplaceLiterals(cst.CSTTransformer):
    """Replace integer literals, found by identity, with constants."""

    def __init__(self, replacements: Mapping[int, cst.BaseExpression]) -> None:
        super().__init__()
        self.replacements = replacements  # id(literal) -> its constant

    def leave_Integer(
        self, original_node: cst.Integer, updated_node: cst.Integer
    ) -> cst.BaseExpression:
        return self.replacements.get(id(original_node), updated_node)


def fix_status_codes(module: cst.Module, tree: ast.Module, literals: Sequence[Found]) -> Outcome:
    """Replace each reported integer literal with its constant; note codes without one."""
    if not literals:
        return Outcome(module.code)
    prefix = status_prefix(tree)
    if prefix is None:
        return Outcome(
            module.code,
            notes=(
                (literals[0].line, "status codes left as integers: the names `status` and "
                 "`http_status` are both taken in this module"),
            ),
        )  # fmt: skip
    expression, alias, source = prefix
    constants = status_constants()
    if not constants:
        message = "status codes left as integers: starlette is not installed here"
        return Outcome(module.code, notes=((literals[0].line, message),))
    replacements: dict[int, cst.BaseExpression] = {}
    notes: list[tuple[int | None, str]] = []
    for item in literals:
        literal = item.node
        if not isinstance(literal, cst.Integer):
            continue
        name = constants.get(literal.evaluated_value)
        if name is None:
            message = f"status code {literal.value} has no constant in starlette.status"
            notes.append((item.line, message))
            continue
        constant = cst.parse_expression(f"{expression}.{name}")
        replacements[id(literal)] = constant.with_changes(lpar=literal.lpar, rpar=literal.rpar)
    if not replacements:
        return Outcome(module.code, notes=tuple(notes))
    fixed = module.visit(_ReplaceLiterals(replacements))
    if alias is not None:
        fixed = add_import(fixed, source, "status", None if alias == "status" else alias)
    return Outcome(fixed.code, len(replacements), tuple(notes))
