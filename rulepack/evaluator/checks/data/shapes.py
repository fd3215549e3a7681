"""A small neutral form of expressions, so libcst and ``ast`` nodes are classified alike.

The data checks visit modules with libcst but look up definitions in other modules (a
``SessionLocal = sessionmaker(...)`` in ``app/core/database.py``, a ``SessionDep = Annotated[...]``
alias) in their ``ast`` trees. Both are converted to a :class:`Shape`: dotted names, calls with
their arguments, subscripts, ``X | Y`` unions and strings; everything else is ``OTHER``.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from enum import Enum

import libcst as cst

from rulepack.evaluator.checks.ast_facts import ast_dotted
from rulepack.evaluator.checks.imports import dotted

MAX_DEPTH = 4


class Form(Enum):
    """What an expression is, as far as the checks care."""

    NAME = "name"  # a Name/Attribute chain: ``name`` holds the dotted text
    CALL = "call"  # ``func(args, keywords)``
    SUBSCRIPT = "subscript"  # ``base[args]``
    UNION = "union"  # ``a | b``: ``args`` holds both sides
    STRING = "string"  # a string literal: ``name`` holds its text
    NONE = "none"  # the literal ``None``
    OTHER = "other"


@dataclass(frozen=True)
class Shape:
    """The neutral form of one expression."""

    form: Form
    name: str | None = None
    func: Shape | None = None
    args: tuple[Shape, ...] = ()
    keywords: tuple[tuple[str, Shape], ...] = ()

    def keyword(self, name: str) -> Shape | None:
        """The value of keyword argument ``name`` of a call, if given."""
        return next((value for key, value in self.keywords if key == name), None)


OTHER = Shape(Form.OTHER)


def of_cst(node: cst.BaseExpression, depth: int = 0) -> Shape:
    """The shape of a libcst expression."""
    if depth > MAX_DEPTH:
        return OTHER
    name = dotted(node)
    if name is not None:
        return Shape(Form.NONE) if name == "None" else Shape(Form.NAME, name)
    if isinstance(node, cst.Call):
        args = tuple(of_cst(a.value, depth + 1) for a in node.args if not a.keyword and not a.star)
        keywords = tuple(
            (a.keyword.value, of_cst(a.value, depth + 1)) for a in node.args if a.keyword
        )
        return Shape(Form.CALL, dotted(node.func), of_cst(node.func, depth + 1), args, keywords)
    return _cst_compound(node, depth)


def _cst_compound(node: cst.BaseExpression, depth: int) -> Shape:
    """Subscripts, ``|`` unions and strings."""
    if isinstance(node, cst.Subscript):
        elements = tuple(
            of_cst(element.slice.value, depth + 1)
            for element in node.slice
            if isinstance(element.slice, cst.Index)
        )
        return Shape(Form.SUBSCRIPT, dotted(node.value), args=elements)
    if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, cst.BitOr):
        return Shape(Form.UNION, args=(of_cst(node.left, depth + 1), of_cst(node.right, depth + 1)))
    if isinstance(node, cst.SimpleString):
        value = node.evaluated_value
        return Shape(Form.STRING, value if isinstance(value, str) else None)
    return OTHER


def of_ast(node: ast.expr, depth: int = 0) -> Shape:
    """The shape of an ``ast`` expression."""
    if depth > MAX_DEPTH:
        return OTHER
    if isinstance(node, ast.Constant):
        if node.value is None:
            return Shape(Form.NONE)
        return Shape(Form.STRING, node.value) if isinstance(node.value, str) else OTHER
    name = ast_dotted(node)
    if name is not None:
        return Shape(Form.NAME, name)
    if isinstance(node, ast.Call):
        args = tuple(of_ast(a, depth + 1) for a in node.args if not isinstance(a, ast.Starred))
        keywords = tuple((k.arg, of_ast(k.value, depth + 1)) for k in node.keywords if k.arg)
        return Shape(Form.CALL, ast_dotted(node.func), of_ast(node.func, depth + 1), args, keywords)
    return _ast_compound(node, depth)


def _ast_compound(node: ast.expr, depth: int) -> Shape:
    """Subscripts and ``|`` unions."""
    if isinstance(node, ast.Subscript):
        inner = node.slice
        elements = inner.elts if isinstance(inner, ast.Tuple) else [inner]
        args = tuple(of_ast(element, depth + 1) for element in elements)
        return Shape(Form.SUBSCRIPT, ast_dotted(node.value), args=args)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
        return Shape(Form.UNION, args=(of_ast(node.left, depth + 1), of_ast(node.right, depth + 1)))
    return OTHER


def parse_string(text: str) -> Shape:
    """The shape of a string annotation such as ``"AsyncSession"`` or ``"Session | None"``."""
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except (SyntaxError, ValueError):
        return OTHER
    return of_ast(tree.body)
