"""Parse one file for the Python version its project targets, on whatever Python rulepack runs.

``ast`` parses first (fast, and right for almost every file). When it refuses a file, libcst,
whose parser knows every grammar up to 3.14, decides: a file libcst cannot read either is a
syntax error; a file that uses syntax newer than the project's target needs that newer Python;
otherwise the file is valid for its target and is lowered (:mod:`lowering`) to text the running
``ast`` accepts, with the same line numbers. Either way a file gets exactly one outcome: a tree,
or one :class:`ParseFailure` with a short reason.
"""

from __future__ import annotations

import ast
import re
import sys
import warnings
from dataclasses import dataclass

import libcst as cst

from rulepack.evaluator.checks.lowering import line_of, lower
from rulepack.evaluator.pyversion import PythonVersion

RUNNING = PythonVersion(*sys.version_info[:2])  # the grammar ``ast`` parses here
_ADDED_IN = re.compile(r"only supported in Python 3\.(\d+) and greater")


@dataclass(frozen=True)
class ParseFailure:
    """A file the checks could not read as Python for the project's target version.

    ``reason`` is short and groups failures (``needs Python 3.14``, ``syntax error``);
    ``message`` is the whole one-line explanation (``syntax error at line 3: invalid syntax``).
    """

    path: str
    line: int | None
    reason: str
    message: str


@dataclass(frozen=True)
class ParsedSource:
    """A file's ``ast`` tree and, when newer syntax was lowered, libcst's tree of the original."""

    tree: ast.Module
    module: cst.Module | None = None


def parse_source(path: str, source: str, target: PythonVersion) -> ParsedSource | ParseFailure:
    """Parse ``source`` as Python ``target`` (any version up to 3.14).

    Args:
        path: The file's path, for messages.
        source: The file's text.
        target: The Python version the file's project is written for.
    """
    try:
        tree = _ast_parse(source, path)
    except SyntaxError as exc:
        return _newer_or_broken(path, source, target, exc)
    except (RecursionError, ValueError, MemoryError) as exc:
        return _unreadable(path, exc)
    if target < RUNNING:
        older = _older_grammar_error(source, path, target)
        if older is not None:
            added = _ADDED_IN.search(older.msg)
            needs = PythonVersion(3, int(added.group(1))) if added else RUNNING
            return _needs(path, needs, target, older.lineno, older.msg)
    return ParsedSource(tree)


def _ast_parse(source: str, path: str, feature: tuple[int, int] | None = None) -> ast.Module:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # invalid escapes in evaluated code are not ours
        return ast.parse(source, filename=path, feature_version=feature)


def _older_grammar_error(source: str, path: str, target: PythonVersion) -> SyntaxError | None:
    """The error of the older ``target`` grammar (``except*`` for 3.10), if it refuses."""
    try:
        _ast_parse(source, path, (target.major, target.minor))
    except SyntaxError as exc:
        return exc
    return None


def _newer_or_broken(
    path: str, source: str, target: PythonVersion, error: SyntaxError
) -> ParsedSource | ParseFailure:
    """``ast`` refused ``source``: newer syntax (lowered, or too new for ``target``) or an error."""
    try:
        module = cst.parse_module(source)
        lowered = lower(module)
    except (cst.ParserSyntaxError, RecursionError, ValueError, MemoryError):
        return _syntax_error(path, error)
    first = lowered.newest()
    if first is None:
        return _syntax_error(path, error)  # libcst is more lenient than CPython
    construct, node = first
    if construct.python > target:
        line = line_of(module, node)
        return _needs(path, construct.python, target, line, construct.name)
    return _lowered_tree(path, lowered.text, module)


def _lowered_tree(path: str, text: str, module: cst.Module) -> ParsedSource | ParseFailure:
    try:
        return ParsedSource(_ast_parse(text, path), module)
    except SyntaxError as exc:  # lines are kept, so its line is the original's
        return _syntax_error(path, exc)
    except (RecursionError, ValueError, MemoryError) as exc:
        return _unreadable(path, exc)


def _needs(
    path: str, needs: PythonVersion, target: PythonVersion, line: int | None, what: str
) -> ParseFailure:
    reason = f"needs Python {needs}"
    return ParseFailure(path, line, reason, f"{reason} (the project targets {target}): {what}")


def _syntax_error(path: str, error: SyntaxError) -> ParseFailure:
    where = f"syntax error at line {error.lineno}" if error.lineno else "syntax error"
    return ParseFailure(path, error.lineno, "syntax error", f"{where}: {error.msg}")


def _unreadable(path: str, error: BaseException) -> ParseFailure:
    detail = str(error) or type(error).__name__
    return ParseFailure(path, None, "cannot parse", f"cannot parse: {detail}")
