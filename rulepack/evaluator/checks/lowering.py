"""Rewrite Python 3.12-3.14 syntax into text the running 3.11 ``ast`` parses, line for line.

rulepack runs on Python 3.11, but evaluated projects may target a newer Python. libcst's parser
reads every grammar up to 3.14, so a file that ``ast.parse`` rejects is parsed with libcst and
lowered: each newer construct is replaced by the nearest 3.11 form, and the result is handed to
``ast`` for the fact pass and the project checks. Module checks keep the libcst tree of the
original text, so their positions are exact.

The lowering keeps every line number: a construct that loses line breaks (a type-parameter list
written over several lines) gets them back inside the brackets that follow it. Columns may shift,
on rewritten lines only. What each construct becomes:

* ``except A, B:`` / ``except* A, B:`` (3.14, PEP 758) -> ``except (A, B):``
* ``def f[T](x: T)`` / ``class C[T]:`` (3.12, PEP 695; defaults 3.13, PEP 696) -> no type parameters
* ``type X[T] = list[T]`` (3.12, PEP 695) -> ``X = list[T]``
* ``t"..."`` (3.14, PEP 750) -> ``f"..."``
* f-strings that only 3.12 reads (PEP 701: nested quotes of the same kind, comments, backslashes
  or line breaks inside a replacement field) -> the same f-string in triple quotes, comments
  removed. A string literal inside a replacement field that needs a backslash escape cannot be
  written in 3.11 at all; its value is approximated (each escape becomes a space).
"""

from __future__ import annotations

import ast
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TypeVar

import libcst as cst
from libcst.metadata import PositionProvider

from rulepack.evaluator.pyversion import PythonVersion

PY312 = PythonVersion(3, 12)
PY313 = PythonVersion(3, 13)
PY314 = PythonVersion(3, 14)


@dataclass(frozen=True)
class Construct:
    """A piece of newer syntax found while lowering: what it is and the Python it needs."""

    name: str
    python: PythonVersion


EXCEPT_WITHOUT_PARENS = Construct("except A, B: without parentheses", PY314)
TEMPLATE_STRING = Construct('template string t"..."', PY314)
TYPE_PARAMETERS = Construct("type parameters def f[T]() / class C[T]", PY312)
TYPE_PARAMETER_DEFAULT = Construct("type parameter default [T = int]", PY313)
TYPE_STATEMENT = Construct("type statement type X = ...", PY312)
NEW_FSTRING = Construct("f-string that only Python 3.12+ reads", PY312)

_Handler = TypeVar("_Handler", cst.ExceptHandler, cst.ExceptStarHandler)


@dataclass(frozen=True)
class Lowered:
    """The 3.11 text of a module and the newer constructs that were rewritten.

    ``found`` holds each kind of construct once, in the order first met, with the original node.
    """

    text: str
    found: tuple[tuple[Construct, cst.CSTNode], ...]

    @property
    def constructs(self) -> tuple[Construct, ...]:
        """The kinds of newer syntax that were rewritten."""
        return tuple(construct for construct, _ in self.found)

    def newest(self) -> tuple[Construct, cst.CSTNode] | None:
        """The first construct that needs the newest Python of all found, with its node."""
        needs = max((construct.python for construct in self.constructs), default=None)
        return next(((c, node) for c, node in self.found if c.python == needs), None)


def lower(module: cst.Module) -> Lowered:
    """Rewrite ``module``'s 3.12-3.14 syntax to 3.11 syntax on the same lines."""
    lowering = _Lowering()
    text = module.visit(lowering).code
    return Lowered(text, tuple(lowering.found.items()))


def line_of(module: cst.Module, node: cst.CSTNode) -> int:
    """The line ``node`` of ``module`` starts on.

    Positions cost a pass over the whole module (seconds for a 5,000-line file), so they are
    computed only for a message, never while lowering.
    """
    wrapper = cst.MetadataWrapper(module, unsafe_skip_copy=True)
    return wrapper.resolve(PositionProvider)[node].start.line


class _Lowering(cst.CSTTransformer):
    """The transformer behind :func:`lower`; records what it rewrote in ``found``."""

    def __init__(self) -> None:
        super().__init__()
        self.found: dict[Construct, cst.CSTNode] = {}

    def _note(self, construct: Construct, node: cst.CSTNode) -> None:
        self.found.setdefault(construct, node)

    def _parenthesize(self, original: _Handler, updated: _Handler) -> _Handler:
        """An ``except``/``except*`` clause with its bare tuple of types put in parentheses."""
        if _bare_tuple(updated.type):
            self._note(EXCEPT_WITHOUT_PARENS, original)
            return updated.with_changes(type=_parenthesized(updated.type))
        return updated

    def leave_ExceptHandler(
        self, original_node: cst.ExceptHandler, updated_node: cst.ExceptHandler
    ) -> cst.ExceptHandler:
        """``except A, B:`` -> ``except (A, B):``."""
        return self._parenthesize(original_node, updated_node)

    def leave_ExceptStarHandler(
        self, original_node: cst.ExceptStarHandler, updated_node: cst.ExceptStarHandler
    ) -> cst.ExceptStarHandler:
        """``except* A, B:`` -> ``except* (A, B):``."""
        return self._parenthesize(original_node, updated_node)

    def leave_FunctionDef(
        self, original_node: cst.FunctionDef, updated_node: cst.FunctionDef
    ) -> cst.FunctionDef:
        """``def f[T](x)`` -> ``def f(x)``; lost line breaks move inside the parentheses."""
        params = updated_node.type_parameters
        if params is None:
            return updated_node
        self._note_type_parameters(params, original_node)
        breaks = _breaks(params) + _breaks(updated_node.whitespace_after_type_parameters)
        return updated_node.with_changes(
            type_parameters=None,
            whitespace_after_type_parameters=cst.SimpleWhitespace(""),
            whitespace_before_params=_with_breaks(updated_node.whitespace_before_params, breaks),
        )

    def leave_ClassDef(
        self, original_node: cst.ClassDef, updated_node: cst.ClassDef
    ) -> cst.ClassDef:
        """``class C[T](B):`` -> ``class C(B):``; lost line breaks move inside the parentheses."""
        params = updated_node.type_parameters
        if params is None:
            return updated_node
        self._note_type_parameters(params, original_node)
        breaks = _breaks(params) + _breaks(updated_node.whitespace_after_type_parameters)
        lowered = updated_node.with_changes(
            type_parameters=None, whitespace_after_type_parameters=cst.SimpleWhitespace("")
        )
        if not breaks:
            return lowered
        lpar = updated_node.lpar if isinstance(updated_node.lpar, cst.LeftParen) else None
        if lpar is None:
            return lowered.with_changes(
                lpar=cst.LeftParen(whitespace_after=_with_breaks(cst.SimpleWhitespace(""), breaks)),
                rpar=cst.RightParen(),
            )
        return lowered.with_changes(
            lpar=lpar.with_changes(whitespace_after=_with_breaks(lpar.whitespace_after, breaks))
        )

    def leave_TypeAlias(
        self, original_node: cst.TypeAlias, updated_node: cst.TypeAlias
    ) -> cst.Assign:
        """``type X[T] = V`` -> ``X = V``; lost line breaks go into parentheses around ``V``."""
        self._note(TYPE_STATEMENT, original_node)
        if updated_node.type_parameters is not None:
            self._note_type_parameters(updated_node.type_parameters, original_node)
        breaks = sum(
            _breaks(part) if isinstance(part, cst.CSTNode) else 0
            for part in (
                updated_node.whitespace_after_type,
                updated_node.type_parameters,
                updated_node.whitespace_after_name,
                updated_node.whitespace_after_type_parameters,
            )
        )
        value = updated_node.value
        if breaks:
            value = value.with_changes(
                lpar=[
                    cst.LeftParen(whitespace_after=_with_breaks(cst.SimpleWhitespace(""), breaks)),
                    *value.lpar,
                ],
                rpar=[*value.rpar, cst.RightParen()],
            )
        return cst.Assign(
            targets=[cst.AssignTarget(target=updated_node.name)],
            value=value,
            semicolon=updated_node.semicolon,
        )

    def leave_TemplatedString(
        self, original_node: cst.TemplatedString, updated_node: cst.TemplatedString
    ) -> cst.BaseExpression:
        """``t"..."`` -> ``f"..."`` (then quoted for 3.11 like any f-string)."""
        self._note(TEMPLATE_STRING, original_node)
        formatted = cst.FormattedString(
            parts=_formatted_parts(updated_node.parts),
            start=updated_node.start.replace("t", "f").replace("T", "F"),
            end=updated_node.end,
            lpar=updated_node.lpar,
            rpar=updated_node.rpar,
        )
        return self._fstring_for_311(formatted, original_node)

    def leave_FormattedString(
        self, original_node: cst.FormattedString, updated_node: cst.FormattedString
    ) -> cst.BaseExpression:
        """An f-string only 3.12 reads -> triple-quoted, without comments or escapes inside."""
        return self._fstring_for_311(updated_node, original_node)

    def _fstring_for_311(
        self, node: cst.FormattedString, original: cst.CSTNode
    ) -> cst.FormattedString:
        if _expression_parses(node):
            return node
        self._note(NEW_FSTRING, original)
        parts = [_part_for_311(part) for part in node.parts]
        quote = node.end[0]
        prefix = node.start[: len(node.start) - len(node.end)]
        lowered = node
        for delimiter in (quote * 3, ('"' if quote == "'" else "'") * 3):
            lowered = node.with_changes(parts=parts, start=prefix + delimiter, end=delimiter)
            if _expression_parses(lowered):
                break
        return lowered  # if nothing parses, the module's 3.11 parse reports it

    def _note_type_parameters(self, params: cst.TypeParameters, node: cst.CSTNode) -> None:
        self._note(TYPE_PARAMETERS, node)
        if any(param.default is not None for param in params.params):
            self._note(TYPE_PARAMETER_DEFAULT, node)


def _bare_tuple(node: cst.BaseExpression | None) -> bool:
    return isinstance(node, cst.Tuple) and not node.lpar


def _parenthesized(node: cst.BaseExpression | None) -> cst.BaseExpression:
    assert node is not None  # noqa: S101 - _bare_tuple checked it
    return node.with_changes(lpar=[cst.LeftParen()], rpar=[cst.RightParen()])


_EMPTY = cst.Module(body=[])


def _breaks(node: cst.CSTNode | None) -> int:
    """Line breaks in ``node``'s source text."""
    return 0 if node is None else _EMPTY.code_for_node(node).count("\n")


def _with_breaks(
    whitespace: cst.BaseParenthesizableWhitespace, breaks: int
) -> cst.BaseParenthesizableWhitespace:
    """``whitespace`` after an opening bracket, with ``breaks`` more line breaks."""
    if breaks == 0:
        return whitespace
    blank = [cst.EmptyLine(indent=False)] * breaks
    if isinstance(whitespace, cst.ParenthesizedWhitespace):
        return whitespace.with_changes(empty_lines=[*blank, *whitespace.empty_lines])
    return cst.ParenthesizedWhitespace(
        first_line=cst.TrailingWhitespace(),
        empty_lines=blank[1:],
        indent=False,
        last_line=whitespace
        if isinstance(whitespace, cst.SimpleWhitespace)
        else cst.SimpleWhitespace(""),
    )


def _formatted_parts(
    parts: Sequence[cst.BaseTemplatedStringContent],
) -> list[cst.BaseFormattedStringContent]:
    """The parts of a t-string as f-string parts."""
    converted: list[cst.BaseFormattedStringContent] = []
    for part in parts:
        if isinstance(part, cst.TemplatedStringText):
            converted.append(cst.FormattedStringText(part.value))
        elif isinstance(part, cst.TemplatedStringExpression):
            spec = part.format_spec
            converted.append(
                cst.FormattedStringExpression(
                    expression=part.expression,
                    conversion=part.conversion,
                    format_spec=None if spec is None else _formatted_parts(spec),
                    whitespace_before_expression=part.whitespace_before_expression,
                    whitespace_after_expression=part.whitespace_after_expression,
                    equal=part.equal,
                )
            )
    return converted


def _expression_parses(node: cst.BaseExpression) -> bool:
    text = _EMPTY.code_for_node(node)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ast.parse(f"(\n{text}\n)", mode="eval")
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    return True


def _part_for_311(part: cst.BaseFormattedStringContent) -> cst.BaseFormattedStringContent:
    if isinstance(part, cst.FormattedStringExpression):
        visited = part.visit(_ReplacementField())
        return visited if isinstance(visited, cst.FormattedStringExpression) else part
    return part


class _ReplacementField(cst.CSTTransformer):
    """Inside an f-string replacement field: drop comments, write literals without backslashes."""

    def leave_TrailingWhitespace(
        self, original_node: cst.TrailingWhitespace, updated_node: cst.TrailingWhitespace
    ) -> cst.TrailingWhitespace:
        """Comments may not appear inside a 3.11 replacement field."""
        return updated_node.with_changes(comment=None)

    def leave_EmptyLine(
        self, original_node: cst.EmptyLine, updated_node: cst.EmptyLine
    ) -> cst.EmptyLine:
        """Nor on a line of their own there."""
        return updated_node.with_changes(comment=None)

    def leave_SimpleString(
        self, original_node: cst.SimpleString, updated_node: cst.SimpleString
    ) -> cst.SimpleString:
        """A literal written with backslashes -> the same value without (approximated)."""
        if "\\" not in updated_node.value:
            return updated_node
        return cst.SimpleString(
            _without_backslashes(updated_node), updated_node.lpar, updated_node.rpar
        )


def _without_backslashes(node: cst.SimpleString) -> str:
    try:
        value = ast.literal_eval(node.value)
    except (SyntaxError, ValueError):
        return node.value.replace("\\", " ")
    prefix = "b" if isinstance(value, bytes) else ""
    text = value.decode("latin-1") if isinstance(value, bytes) else str(value)
    quote = "'" if "'" not in text else '"'
    plain = "".join(
        " "
        if char in {"\\", quote} or not char.isprintable() or (prefix and ord(char) > 127)
        else char
        for char in text
    )
    return f"{prefix}{quote}{plain}{quote}"
