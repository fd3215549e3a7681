"""libcst helpers of the schema checks: annotations, ``Field()`` calls and routes."""

from __future__ import annotations

import ast
from collections.abc import Iterator

import libcst as cst

from rulepack.evaluator.checks.ast_facts import ast_dotted, import_map
from rulepack.evaluator.checks.base import ProjectFacts
from rulepack.evaluator.checks.facts import keyword, route_call, string_value
from rulepack.evaluator.checks.imports import ImportMap, dotted
from rulepack.evaluator.checks.schemas.model_index import WRAPPERS, last_part
from rulepack.evaluator.checks.sync_route_handler import is_route_owner

FIELD_NAMES = frozenset({"Field"})


def _elements(node: cst.Subscript) -> list[cst.BaseExpression]:
    return [item.slice.value for item in node.slice if isinstance(item.slice, cst.Index)]


def _parsed_string(node: cst.BaseExpression) -> cst.BaseExpression | None:
    """The expression inside a string annotation (a forward reference)."""
    value = string_value(node)
    if value is None:
        return None
    try:
        return cst.parse_expression(value)
    except cst.ParserSyntaxError:
        return None


def leaves(node: cst.BaseExpression) -> list[cst.BaseExpression]:
    """The types an annotation may hold, through ``X | Y``, ``Optional``, ``Annotated``, lists."""
    parsed = _parsed_string(node)
    if parsed is not None:
        return leaves(parsed)
    if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, cst.BitOr):
        return [*leaves(node.left), *leaves(node.right)]
    if isinstance(node, cst.Subscript):
        wrapper = last_part(dotted(node.value) or "")
        elements = _elements(node)
        if wrapper == "Annotated" and elements:
            return leaves(elements[0])
        if wrapper in WRAPPERS:
            return [leaf for element in elements for leaf in leaves(element)]
    return [node]


def optional_leaves(node: cst.BaseExpression) -> list[cst.BaseExpression]:
    """Like :func:`leaves`, but only through ``Optional``/``Union``/``|``/``Annotated``.

    ``str | None`` gives ``str``; ``list[str]`` stays ``list[str]``; ``None`` is dropped.
    """
    parsed = _parsed_string(node)
    if parsed is not None:
        return optional_leaves(parsed)
    if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, cst.BitOr):
        return [*optional_leaves(node.left), *optional_leaves(node.right)]
    if isinstance(node, cst.Subscript):
        wrapper = last_part(dotted(node.value) or "")
        elements = _elements(node)
        if wrapper == "Annotated" and elements:
            return optional_leaves(elements[0])
        if wrapper in {"Optional", "Union"}:
            return [leaf for element in elements for leaf in optional_leaves(element)]
    if isinstance(node, cst.Name) and node.value == "None":
        return []
    return [node]


def metadata(node: cst.BaseExpression) -> list[cst.BaseExpression]:
    """The ``Annotated[..., metadata]`` items of an annotation (through ``Optional``/``|``)."""
    if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, cst.BitOr):
        return [*metadata(node.left), *metadata(node.right)]
    if isinstance(node, cst.Subscript):
        wrapper = last_part(dotted(node.value) or "")
        elements = _elements(node)
        if wrapper == "Annotated" and elements:
            return [*metadata(elements[0]), *elements[1:]]
        if wrapper in {"Optional", "Union"}:
            return [item for element in elements for item in metadata(element)]
    return []


def call_name(node: cst.BaseExpression | None) -> str:
    """The last name of a call's function (``Field`` for ``pydantic.Field(...)``), else ``""``."""
    if isinstance(node, cst.Call):
        return last_part(dotted(node.func) or "")
    return ""


def keywords(call: cst.Call) -> set[str]:
    """The keyword arguments a call passes."""
    return {arg.keyword.value for arg in call.args if arg.keyword is not None}


def field_calls(statement: cst.AnnAssign) -> list[cst.Call]:
    """The ``Field(...)`` calls of a field: its default and its ``Annotated`` metadata."""
    candidates = [statement.value, *metadata(statement.annotation.annotation)]
    return [c for c in candidates if isinstance(c, cst.Call) and call_name(c) in FIELD_NAMES]


def field_name(statement: cst.AnnAssign) -> str | None:
    """The name a class-body ``AnnAssign`` declares, if it is a model field.

    ``ClassVar`` attributes, ``model_config`` and private attributes are not fields.
    """
    target = statement.target
    if not isinstance(target, cst.Name) or target.value.startswith("_"):
        return None
    if target.value == "model_config":
        return None
    annotation = statement.annotation.annotation
    base = annotation.value if isinstance(annotation, cst.Subscript) else annotation
    if last_part(dotted(base) or "") == "ClassVar":
        return None
    return target.value


def class_fields(node: cst.ClassDef) -> Iterator[tuple[cst.AnnAssign, str, int]]:
    """``(statement, name, index in the body)`` for every field a class body declares."""
    body = node.body.body
    for index, line in enumerate(body):
        if not isinstance(line, cst.SimpleStatementLine):
            continue
        for small in line.body:
            if isinstance(small, cst.AnnAssign) and (name := field_name(small)) is not None:
                yield small, name, index


WEB_PACKAGES = frozenset({"fastapi", "starlette"})


def foreign_owners(project: ProjectFacts) -> frozenset[str]:
    """Module-level names bound to an object of another framework (``app = slack_bolt.App()``).

    Their ``.options(...)``/``.get(...)`` decorators register handlers of that framework, not
    FastAPI routes. An object built by the sample's own code (``UserAPIRouter()``, a factory) or
    by FastAPI/Starlette is not foreign.
    """
    return project.cached("schemas.foreign_owners", lambda: _foreign_owners(project))


def _foreign_owners(project: ProjectFacts) -> frozenset[str]:
    own = {facts.module.split(".", 1)[0] for facts in project.modules if facts.module}
    found: set[str] = set()
    for facts in project.modules:
        tree = project.trees.get(facts.path)
        if tree is None:
            continue
        imports = import_map(tree, facts.module)
        for statement in tree.body:
            if not isinstance(statement, ast.Assign) or not isinstance(statement.value, ast.Call):
                continue
            callee = ast_dotted(statement.value.func)
            head = callee.split(".", 1)[0] if callee else ""
            if callee is None or head not in imports.names:
                continue  # a builtin or a name of this module
            package = imports.resolve_dotted(callee).split(".", 1)[0]
            if package in WEB_PACKAGES or package in own:
                continue
            for target in statement.targets:
                if isinstance(target, ast.Name):
                    found.update(_spellings(facts.module, target.id))
    return frozenset(found)


def _spellings(module: str, name: str) -> Iterator[str]:
    """``a.b.c.name`` and its tails ``b.c.name``, ``c.name``.

    A sample evaluated from above its import root (``src/pkg/...``) names its modules with a
    prefix its imports do not use.
    """
    parts = module.split(".") if module else []
    for start in range(len(parts)):
        yield ".".join([*parts[start:], name])


def route_methods(
    node: cst.FunctionDef, imports: ImportMap, project: ProjectFacts
) -> tuple[cst.Call, set[str]] | None:
    """The route decorator call of a function and its HTTP methods, if it is a route.

    ``api_route(methods=[...])`` gives the listed methods (``GET`` when absent).
    """
    for decorator in node.decorators:
        found = route_call(decorator)
        if found is None:
            continue
        owner = imports.resolve(found[0])
        if owner is None or not is_route_owner(owner, project):
            continue
        if owner in foreign_owners(project):
            continue  # a handler of another framework (a Slack app's ``options``)
        method, call = found[1], found[2]
        if method != "api_route":
            return call, {method}
        listed = keyword(call, "methods")
        names: set[str] = set()
        if isinstance(listed, cst.List | cst.Tuple | cst.Set):
            for element in listed.elements:
                value = string_value(element.value)
                if value is not None:
                    names.add(value.lower())
        return call, names or {"get"}
    return None
