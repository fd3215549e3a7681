"""Absolute imports of a project's own packages that name no module under its root.

When they do not resolve, the evaluation has the wrong root (or the code imports a module that
does not exist): router prefixes, include-level dependencies and model bases defined in the missing
module are lost, and the checks report false findings. The evaluator says so in one note per
sample instead of staying silent.
"""

from __future__ import annotations

import ast
import re
import warnings
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

IMPORT_BASES = ("", "src")  # where a project's top-level packages live, relative to its root
SRC_PREFIX = "src/"
_IMPORTS_SRC = re.compile(r"^[ \t]*(from[ \t]+src[. \t]|import[ \t]+src\b)", re.MULTILINE)


@dataclass(frozen=True)
class UnresolvedImport:
    """An import of an own package whose module is not in the project."""

    module: str
    path: str
    line: int


def own_packages(paths: frozenset[str]) -> dict[str, str]:
    """Top-level packages under the root or ``src/``: name -> their base (``""`` or ``src``)."""
    packages: dict[str, str] = {}
    for base in IMPORT_BASES:
        prefix = f"{base}/" if base else ""
        for path in paths:
            rest = path.removeprefix(prefix) if path.startswith(prefix) else None
            if rest is None:
                continue
            parts = rest.split("/")
            if parts[1:] == ["__init__.py"]:
                packages.setdefault(parts[0], base)
    return packages


def is_src_layout(sources: Mapping[str, str]) -> bool:
    """Whether the root keeps its packages in ``src/`` and imports them without ``src.``.

    That is a package directly under ``src/``, no ``src/__init__.py``, and no module importing
    ``src`` itself (code run from the root as ``src.main`` makes ``src`` part of the names).
    """
    paths = frozenset(sources)
    if f"{SRC_PREFIX}__init__.py" in paths:
        return False
    has_package = any(
        path.startswith(SRC_PREFIX) and path[len(SRC_PREFIX) :].split("/")[1:] == ["__init__.py"]
        for path in paths
    )
    return has_package and not any(_IMPORTS_SRC.search(text) for text in sources.values())


def _module_exists(module: str, base: str, paths: frozenset[str], dirs: frozenset[str]) -> bool:
    stem = "/".join(filter(None, (base, *module.split("."))))
    return f"{stem}.py" in paths or stem in dirs


def _imported_modules(tree: ast.Module) -> Iterator[tuple[str, int]]:
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from ((alias.name, node.lineno) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.module, node.lineno


def _parse(path: str, source: str) -> ast.Module | None:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return ast.parse(source, filename=path)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None


def unresolved_imports(
    sources: Mapping[str, str], root_name: str | None = None
) -> list[UnresolvedImport]:
    """Imports of the project's own top-level packages that name no module in ``sources``.

    ``sources`` maps every Python file of the project root (relative POSIX paths) to its text.
    ``from pkg.a import b`` needs module ``pkg.a``; ``import pkg.a.b`` needs ``pkg.a.b``. When the
    root is itself a package (``__init__.py``) named ``root_name``, no import of it resolves: the
    modules below the root are named without it.
    """
    paths = frozenset(sources)
    packages: dict[str, str | None] = dict(own_packages(paths))
    if root_name and "__init__.py" in paths:
        packages[root_name] = None
    if not packages:
        return []
    dirs = frozenset(
        "/".join(parts[:end])
        for parts in (path.split("/") for path in paths)
        for end in range(1, len(parts))
    )
    found: list[UnresolvedImport] = []
    for path, source in sorted(sources.items()):
        if not any(name in source for name in packages):
            continue
        tree = _parse(path, source)
        if tree is None:
            continue
        for module, line in _imported_modules(tree):
            top = module.split(".", 1)[0]
            if top not in packages:
                continue
            base = packages[top]
            if base is None or not _module_exists(module, base, paths, dirs):
                found.append(UnresolvedImport(module, path, line))
    return found


def unresolved_note(sources: Mapping[str, str], root: Path) -> str | None:
    """One line naming how many own imports do not resolve under ``root``, with an example."""
    found = unresolved_imports(sources, root.name)
    if not found:
        return None
    first = found[0]
    return (
        f"{len(found)} import(s) of the project's own packages do not resolve under {root}, "
        f"e.g. `{first.module}` ({first.path}:{first.line}); findings that depend on them "
        "(router prefixes, dependencies, model bases) may be wrong"
    )
