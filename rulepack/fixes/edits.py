"""Shared pieces of the codemods: the names a module binds, its imports, adding an import or item.

Codemods add names to modules they did not write, so each one first asks whether the name is free:
bound nowhere in the module (in any scope) and never read. The ``ast`` helpers answer that; the
libcst helpers edit the tree while keeping its formatting and comments.
"""

from __future__ import annotations

import ast
from collections import Counter
from collections.abc import Collection, Sequence
from typing import TypeVar

import libcst as cst

from rulepack.evaluator.checks.imports import dotted

Item = TypeVar("Item", cst.Arg, cst.ImportAlias)


def bound_names(tree: ast.AST) -> Counter[str]:
    """How many times each name is bound anywhere in ``tree``, in any scope.

    Assignments and other stores, ``def``/``class`` names, parameters, import aliases, ``except``
    and ``match`` captures, and ``global``/``nonlocal`` declarations all count.
    """
    counts: Counter[str] = Counter()
    for node in ast.walk(tree):
        counts.update(_bound_by(node))
    return counts


def _bound_by(node: ast.AST) -> list[str]:
    names: list[str | None] = []
    if isinstance(node, ast.Name) and not isinstance(node.ctx, ast.Load):
        names = [node.id]
    elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
        names = [node.name]
    elif isinstance(node, ast.arg):
        names = [node.arg]
    elif isinstance(node, ast.alias) and node.name != "*":
        names = [node.asname or node.name.split(".")[0]]
    elif isinstance(node, ast.Global | ast.Nonlocal):
        names = list(node.names)
    elif isinstance(node, ast.ExceptHandler | ast.MatchAs | ast.MatchStar):
        names = [node.name]
    elif isinstance(node, ast.MatchMapping):
        names = [node.rest]
    return [name for name in names if name]


def loaded_names(tree: ast.AST) -> set[str]:
    """Every name read anywhere in ``tree``."""
    return {
        node.id
        for node in ast.walk(tree)
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load)
    }


def is_free(name: str, tree: ast.AST) -> bool:
    """Whether ``name`` is neither bound nor read anywhere in ``tree``."""
    return name not in bound_names(tree) and name not in loaded_names(tree)


def imported_as(tree: ast.Module, qualified: Collection[str]) -> str | None:
    """The local name a top-level ``from m import n [as a]`` binds to one of ``qualified``.

    Only a name bound once in the whole module counts, so that no function shadows it.
    """
    bindings = bound_names(tree)
    for statement in tree.body:
        if not isinstance(statement, ast.ImportFrom) or statement.level or not statement.module:
            continue
        for alias in statement.names:
            local = alias.asname or alias.name
            if f"{statement.module}.{alias.name}" in qualified and bindings[local] == 1:
                return local
    return None


def is_docstring(statement: cst.BaseStatement) -> bool:
    """Whether ``statement`` is a bare string expression (a docstring in first position)."""
    return (
        isinstance(statement, cst.SimpleStatementLine)
        and len(statement.body) == 1
        and isinstance(statement.body[0], cst.Expr)
        and isinstance(statement.body[0].value, cst.SimpleString | cst.ConcatenatedString)
    )


def _is_import_line(statement: cst.BaseStatement) -> bool:
    return isinstance(statement, cst.SimpleStatementLine) and all(
        isinstance(small, cst.Import | cst.ImportFrom) for small in statement.body
    )


def import_block_end(body: Sequence[cst.BaseStatement]) -> int:
    """The index just after the module's leading imports (and docstring)."""
    position = 0
    for index, statement in enumerate(body):
        if (index == 0 and is_docstring(statement)) or _is_import_line(statement):
            position = index + 1
            continue
        break
    return position


def add_import(module: cst.Module, source: str, name: str, alias: str | None = None) -> cst.Module:
    """Add ``from source import name [as alias]`` to the module's leading imports.

    The name is appended to an existing ``from source import ...`` of that block when there is one
    (and no alias is wanted); otherwise a new import line goes after the block.
    """
    body = list(module.body)
    end = import_block_end(body)
    if alias is None:
        for index, statement in enumerate(body[:end]):
            extended = _extend_from_import(statement, source, name)
            if extended is not None:
                body[index] = extended
                return module.with_changes(body=body)
    suffix = f" as {alias}" if alias else ""
    body.insert(end, cst.parse_statement(f"from {source} import {name}{suffix}"))
    return module.with_changes(body=body)


def _extend_from_import(
    statement: cst.BaseStatement, source: str, name: str
) -> cst.SimpleStatementLine | None:
    if not isinstance(statement, cst.SimpleStatementLine) or len(statement.body) != 1:
        return None
    node = statement.body[0]
    if not isinstance(node, cst.ImportFrom) or node.relative or node.module is None:
        return None
    if dotted(node.module) != source or isinstance(node.names, cst.ImportStar):
        return None
    opening = node.lpar.whitespace_after if node.lpar is not None else None
    names = append_item(node.names, cst.ImportAlias(name=cst.Name(name)), opening)
    return statement.with_changes(body=[node.with_changes(names=names)])


def append_item(
    items: Sequence[Item], new: Item, opening: cst.BaseParenthesizableWhitespace | None
) -> list[Item]:
    """``items`` with ``new`` appended, in the layout of the list (one line, or one per line).

    ``opening`` is the whitespace after the opening bracket: on a multi-line list it gives the
    indentation of the items. The last item keeps its trailing comment; a trailing comma (and
    the comments before the closing bracket) move to the new item.
    """
    if not items:
        return [new]
    last = items[-1]
    between = _between(items, opening)
    if isinstance(last.comma, cst.Comma):
        after = last.comma.whitespace_after
        if isinstance(after, cst.ParenthesizedWhitespace) and isinstance(
            between.whitespace_after, cst.ParenthesizedWhitespace
        ):
            kept = between.whitespace_after.with_changes(first_line=after.first_line)
            closing = after.with_changes(first_line=cst.TrailingWhitespace())
            return _replace_last(
                items,
                last.with_changes(comma=between.with_changes(whitespace_after=kept)),
                new.with_changes(comma=last.comma.with_changes(whitespace_after=closing)),
            )
    return _replace_last(
        items, last.with_changes(comma=between), new.with_changes(comma=last.comma)
    )


def _replace_last(items: Sequence[Item], last: Item, new: Item) -> list[Item]:
    result = list(items[:-1])
    result.extend((last, new))
    return result


def _between(items: Sequence[Item], opening: cst.BaseParenthesizableWhitespace | None) -> cst.Comma:
    """A comma to put between the last item and a new one, without anybody's comment."""
    if len(items) >= 2 and isinstance(items[-2].comma, cst.Comma):
        return _without_comment(items[-2].comma)
    if isinstance(opening, cst.ParenthesizedWhitespace):
        return _without_comment(cst.Comma(whitespace_after=opening))
    return cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))


def _without_comment(comma: cst.Comma) -> cst.Comma:
    after = comma.whitespace_after
    if isinstance(after, cst.ParenthesizedWhitespace):
        clean = after.with_changes(first_line=cst.TrailingWhitespace(), empty_lines=())
        return comma.with_changes(whitespace_after=clean)
    return comma


def append_argument(call: cst.Call, argument: cst.Arg) -> cst.Call:
    """``call`` with ``argument`` appended, keeping the call's layout."""
    args = list(call.args)
    if not args:
        return call.with_changes(args=[argument])
    last = args[-1]
    moved = argument.with_changes(whitespace_after_arg=last.whitespace_after_arg)
    args[-1] = last.with_changes(whitespace_after_arg=cst.SimpleWhitespace(""))
    return call.with_changes(args=append_item(args, moved, call.whitespace_before_args))


def keyword_argument(name: str, value: cst.BaseExpression) -> cst.Arg:
    """``name=value`` without spaces around ``=``."""
    return cst.Arg(
        keyword=cst.Name(name),
        value=value,
        equal=cst.AssignEqual(
            whitespace_before=cst.SimpleWhitespace(""), whitespace_after=cst.SimpleWhitespace("")
        ),
    )
