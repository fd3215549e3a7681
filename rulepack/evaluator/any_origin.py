"""Which mypy errors follow from an import mypy could not resolve, traced through the code's names.

mypy types everything from an unresolved module as ``Any``. In strict mode that alone causes
errors with no fault in the code: returning such a value (``no-any-return``), decorating with it
(``untyped-decorator``), subclassing it (``misc``, "Class cannot subclass ... (has type "Any")").
Those errors depend on the environment mypy ran in, so they are shown apart and not scored, but
only when the error's own expression uses a name that holds such an ``Any``: a name imported from
an unresolved module, or assigned, annotated or imported (from another file of the sample) from one.
The tracing reads the syntax tree only and errs towards "follows" (it ignores scopes and order).
"""

from __future__ import annotations

import ast
import warnings
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass

from rulepack.evaluator.checks.runner import module_name_for
from rulepack.evaluator.runners.mypy import MypyHit

_DERIVED = frozenset({"no-any-return", "untyped-decorator"})
_MAX_ROUNDS = 20  # names only ever get added; this bounds the fixed point on huge samples


def follows_from_any(hit: MypyHit) -> bool:
    """Whether an error is of a kind an ``Any`` from an unresolved import can cause."""
    return hit.code in _DERIVED or (hit.code == "misc" and 'has type "Any"' in hit.message)


@dataclass(frozen=True)
class AnyOrigins:
    """Names bound to an ``Any`` from an unresolved import, per file of one sample."""

    unresolved: tuple[str, ...]
    tainted: Mapping[str, frozenset[str]]  # relative path -> names
    trees: Mapping[str, ast.Module]

    @classmethod
    def trace(cls, sources: Mapping[str, str], unresolved: Sequence[str]) -> AnyOrigins:
        """Follow the unresolved modules' names through ``sources`` (relative path -> text)."""
        if not unresolved:
            return cls((), {}, {})
        trees = {path: tree for path, text in sources.items() if (tree := _parse(text))}
        return cls(tuple(unresolved), _tainted(trees, tuple(unresolved)), trees)

    def reason(self, hit: MypyHit) -> str | None:
        """Why ``hit`` is not scored (an unresolved import, or what follows from one), else None."""
        if hit.unresolved_module is not None:
            return f"mypy could not resolve {hit.unresolved_module!r} in the environment it ran in"
        if hit.code == "no-any-unimported":
            return "a type from an unresolved import"
        tree = self.trees.get(hit.path)
        if not follows_from_any(hit) or tree is None:
            return None
        names = sorted(_names_in_span(tree, hit) & self.tainted.get(hit.path, frozenset()))
        if not names:
            return None
        shown = ", ".join(repr(name) for name in names[:3])
        return f"{shown} comes from an unresolved import and is typed as Any"


def _parse(text: str) -> ast.Module | None:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return ast.parse(text)
    except (SyntaxError, ValueError):
        return None


def _is_unresolved(module: str, unresolved: Sequence[str]) -> bool:
    return any(module == name or module.startswith(f"{name}.") for name in unresolved)


def _tainted(
    trees: Mapping[str, ast.Module], unresolved: tuple[str, ...]
) -> dict[str, frozenset[str]]:
    tainted: dict[str, set[str]] = {path: set() for path in trees}
    for _ in range(_MAX_ROUNDS):
        exported = {module_name_for(path): names for path, names in tainted.items()}
        before = sum(len(names) for names in tainted.values())
        for path, tree in trees.items():
            tainted[path] |= _imported(tree, unresolved, exported)
            _propagate(tree, tainted[path])
        if sum(len(names) for names in tainted.values()) == before:
            break
    return {path: frozenset(names) for path, names in tainted.items()}


def _imported(
    tree: ast.Module, unresolved: tuple[str, ...], exported: Mapping[str, set[str]]
) -> set[str]:
    """Names bound by imports from unresolved modules, or of tainted names of sample modules."""
    bound: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            bound |= {
                alias.asname or alias.name.split(".")[0]
                for alias in node.names
                if _is_unresolved(alias.name, unresolved)
            }
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            module = node.module
            bound |= {
                alias.asname or alias.name
                for alias in node.names
                if _is_unresolved(f"{module}.{alias.name}", unresolved)
                or alias.name in exported.get(module, set())
            }
    return bound


def _names(node: ast.AST | None) -> set[str]:
    if node is None:
        return set()
    return {child.id for child in ast.walk(node) if isinstance(child, ast.Name)}


def _flows(node: ast.AST) -> Iterator[tuple[ast.AST | None, list[ast.AST]]]:
    """(source, targets) pairs: a target holds an Any when its source mentions a tainted name."""
    if isinstance(node, ast.Assign):
        yield node.value, list(node.targets)
    elif isinstance(node, ast.AnnAssign):
        yield node.annotation, [node.target]
        yield node.value, [node.target]
    elif isinstance(node, ast.AugAssign | ast.NamedExpr):
        yield node.value, [node.target]
    elif isinstance(node, ast.For | ast.AsyncFor | ast.comprehension):
        yield node.iter, [node.target]
    elif isinstance(node, ast.withitem) and node.optional_vars is not None:
        yield node.context_expr, [node.optional_vars]
    elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
        yield node.returns, [ast.Name(id=node.name)]
        arguments = node.args
        for arg in (*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs):
            yield arg.annotation, [ast.Name(id=arg.arg)]
    elif isinstance(node, ast.ClassDef):
        yield ast.Tuple(elts=list(node.bases)), [ast.Name(id=node.name)]


def _propagate(tree: ast.Module, tainted: set[str]) -> None:
    """Add every name that takes its value or type from a tainted name (flow-insensitive)."""
    changed = True
    while changed:
        changed = False
        for node in ast.walk(tree):
            for source, targets in _flows(node):
                if source is None or not (_names(source) & tainted):
                    continue
                new = set().union(*(_target_names(target) for target in targets)) - tainted
                if new:
                    tainted |= new
                    changed = True


def _target_names(target: ast.AST) -> set[str]:
    """Plain names a target binds (``a``, ``a, *b``); never ``self`` of ``self.x``."""
    if isinstance(target, ast.Name):
        return {target.id}
    if isinstance(target, ast.Tuple | ast.List):
        return set().union(*(_target_names(element) for element in target.elts))
    if isinstance(target, ast.Starred):
        return _target_names(target.value)
    return set()


def _names_in_span(tree: ast.Module, hit: MypyHit) -> set[str]:
    """The names used in the expression mypy reported (its start line/column to its end line)."""
    return {
        node.id
        for node in ast.walk(tree)
        if isinstance(node, ast.Name)
        and hit.line <= node.lineno <= hit.end_line
        and (node.lineno > hit.line or node.col_offset + 1 >= hit.column)
    }
