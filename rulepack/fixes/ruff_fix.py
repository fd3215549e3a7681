"""ruff's own fixer with rulepack's generated configuration: the pack's codes, safe fixes only.

The text goes through ``ruff check --fix-only`` on stdin (``--stdin-filename`` gives ruff the
file's path, for first-party import sorting), so a fix can be shown as a diff before anything is
written. ``--unsafe-fixes`` is never passed, and ``# noqa`` comments are respected: a fix is an
edit of the user's code, and ``noqa`` says they do not want that one.

ruff removes an unused import (F401) even when another module imports that name from this one.
Such re-exports are common in applications (``from app.db import Session``, ``from utils import
*``), so when ruff's result no longer binds a name other modules of the sample take from the
module, the module is fixed again without F401 (see :func:`reexported`).
"""

from __future__ import annotations

import ast
import re
import subprocess
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from rulepack.evaluator.checks.ast_facts import absolute_module, ast_dotted
from rulepack.evaluator.checks.runner import module_name_for
from rulepack.fixes.edits import bound_names
from rulepack.rules.tool_codes import ruff_binary

FIXED = re.compile(r"Fixed (\d+) error")


@dataclass(frozen=True)
class RuffResult:
    """ruff's output for one file: the fixed text, how many fixes, or why it failed."""

    text: str
    fixed: int = 0
    error: str | None = None


def ruff_fix(
    text: str, path: Path, config: Path, *, keep_imports: bool, timeout: float
) -> RuffResult:
    """Apply ruff's safe fixes to ``text`` (the contents of ``path``); F401 too unless told not."""
    command = [
        ruff_binary(), "check", "--fix-only", "--config", str(config), "--no-cache",
        "--stdin-filename", str(path), *(["--unfixable", "F401"] if keep_imports else []), "-",
    ]  # fmt: skip
    try:
        completed = subprocess.run(
            command, input=text.encode("utf-8"), capture_output=True, timeout=timeout, check=False
        )
    except subprocess.TimeoutExpired:
        return RuffResult(text, error=f"ruff timed out after {timeout:.0f} s")
    except OSError as exc:
        return RuffResult(text, error=f"ruff failed to start: {exc}")
    stderr = completed.stderr.decode("utf-8", "replace")
    if completed.returncode != 0:
        reason = stderr.strip().splitlines()[-1:] or ["no output"]
        return RuffResult(text, error=f"ruff exited {completed.returncode}: {reason[0]}")
    fixed = FIXED.search(stderr)
    result = completed.stdout.decode("utf-8")
    if not text[:1].isspace():
        result = result.lstrip("\r\n")  # isort then F401 can leave an empty first line
    return RuffResult(result, int(fixed.group(1)) if fixed else 0)


def reexported(trees: Mapping[str, ast.Module]) -> dict[str, frozenset[str]]:
    """Per module, the names it imports that other modules of the sample take from it.

    ``from m import *`` takes every name ``m`` imports; ``import m`` and ``from pkg import m`` take
    the attributes the importer reads on ``m``.
    """
    taken = list(_taken(trees))
    result: dict[str, frozenset[str]] = {}
    for path, tree in trees.items():
        module = module_name_for(path)
        names = {
            name for importer, target, name in taken if importer != path and _same(target, module)
        }
        imported = _imported_names(tree)
        kept = imported if "*" in names else imported & names
        if kept:
            result[path] = frozenset(kept)
    return result


def _taken(trees: Mapping[str, ast.Module]) -> Iterator[tuple[str, str, str]]:
    """``(importing path, module, name)`` for every name a module takes from another."""
    modules = {module_name_for(path) for path in trees}
    for path, tree in trees.items():
        own = module_name_for(path)
        package = own if path.endswith("__init__.py") else own.rpartition(".")[0]
        bound: dict[str, str] = {}  # local dotted name -> module, for modules used by attribute
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                bound.update({alias.asname or alias.name: alias.name for alias in node.names})
            elif isinstance(node, ast.ImportFrom):
                base = absolute_module(node.module, node.level, package)
                for alias in node.names:
                    yield path, base, alias.name
                    submodule = f"{base}.{alias.name}" if base else alias.name
                    if any(_same(submodule, module) for module in modules):
                        bound[alias.asname or alias.name] = submodule
        yield from _attributes_read(path, tree, bound)


def _attributes_read(
    path: str, tree: ast.Module, modules: Mapping[str, str]
) -> Iterator[tuple[str, str, str]]:
    """``(path, module, attribute)`` for every ``alias.attribute`` read on an imported module."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute):
            owner = ast_dotted(node.value)
            if owner is not None and owner in modules:
                yield path, modules[owner], node.attr


def _same(target: str, module: str) -> bool:
    """Whether an import of ``target`` may mean the sample's ``module`` (roots may differ)."""
    if not target or not module:
        return False
    return target == module or target.endswith(f".{module}") or module.endswith(f".{target}")


def _imported_names(tree: ast.Module) -> set[str]:
    """The names the module's imports bind (anywhere in it)."""
    return {
        name
        for node in ast.walk(tree)
        if isinstance(node, ast.Import | ast.ImportFrom)
        for alias in node.names
        for name in bound_names(alias)
    }
