"""Helpers the project checks share: test paths, spans, anchors, TOML and module constants."""

from __future__ import annotations

import ast
import warnings
from collections.abc import Iterator, Mapping

from rulepack.evaluator.checks.ast_facts import ast_dotted, import_map, walk
from rulepack.evaluator.checks.base import ProjectFacts
from rulepack.evaluator.checks.facts import FASTAPI_APP, Span
from rulepack.evaluator.checks.imports import ImportMap
from rulepack.evaluator.checks.runner import module_name_for
from rulepack.toml import toml_reader

FIRST_LINE = Span(1, 1, 1, 1)
MIN_PROJECT_FILES = 2
TEST_DIRS = frozenset({"tests", "test"})
MIGRATION_DIRS = frozenset({"alembic", "migrations", "versions"})

TomlTable = Mapping[str, object]


def basename(path: str) -> str:
    """The last component of a relative POSIX path."""
    return path.rsplit("/", 1)[-1]


def dirname(path: str) -> str:
    """The directory of a relative POSIX path (``""`` at the sample root)."""
    return path.rsplit("/", 1)[0] if "/" in path else ""


def depth(path: str) -> int:
    """How many directories deep ``path`` is."""
    return path.count("/")


def is_test_module(path: str) -> bool:
    """Whether pytest collects tests from ``path`` (``test_*.py`` or ``*_test.py``)."""
    name = basename(path)
    return name.endswith(".py") and (name.startswith("test_") or name.endswith("_test.py"))


def is_test_path(path: str) -> bool:
    """Whether ``path`` is test code: a test module, a ``conftest.py`` or a file under tests/."""
    parts = path.split("/")
    return is_test_module(path) or parts[-1] == "conftest.py" or any(p in TEST_DIRS for p in parts)


def context_test_trees(project: ProjectFacts) -> tuple[tuple[str, ast.Module], ...]:
    """``(path, tree)`` of the test modules above the root that parse (``../tests/test_x.py``).

    A workspace or repository often keeps the tests of a member package in its own ``tests/``;
    they count when deciding whether the project is tested, but are never reported on.
    """
    return project.cached("project.context-test-trees", lambda: tuple(_context_tests(project)))


def _context_tests(project: ProjectFacts) -> Iterator[tuple[str, ast.Module]]:
    for path, text in sorted(project.context_texts.items()):
        if not (path.endswith(".py") and is_test_path(path)):
            continue
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                yield path, ast.parse(text, filename=path)
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            continue


def is_migration_path(path: str) -> bool:
    """Whether ``path`` is in an Alembic or migrations directory."""
    return any(part in MIGRATION_DIRS for part in path.split("/")[:-1])


def imports_of(path: str, tree: ast.Module) -> ImportMap:
    """The import map of a parsed module."""
    return import_map(tree, module_name_for(path))


def qualified(imports: ImportMap, node: ast.expr) -> str | None:
    """The qualified name of an ``ast`` ``Name``/``Attribute`` chain."""
    name = ast_dotted(node)
    return imports.resolve_dotted(name) if name is not None else None


def ast_span(node: ast.expr | ast.stmt) -> Span:
    """The 1-based span of an ``ast`` node (columns in characters for ASCII lines)."""
    end_line = node.end_lineno or node.lineno
    end_column = node.end_col_offset if node.end_col_offset is not None else node.col_offset
    return Span(node.lineno, node.col_offset + 1, end_line, end_column + 1)


def line_span(line: int) -> Span:
    """A span covering the start of ``line``."""
    return Span(line, 1, line, 1)


def root_first(paths: list[str]) -> list[str]:
    """``paths`` sorted shallowest first, then by name."""
    return sorted(paths, key=lambda path: (depth(path), path))


def python_paths(project: ProjectFacts) -> list[str]:
    """Every Python file of the sample."""
    return [path for path in project.files if path.endswith(".py")]


def app_code(project: ProjectFacts) -> Iterator[tuple[str, ast.Module]]:
    """``(path, tree)`` of every parsed module that is neither a test nor a migration."""
    for path, tree in sorted(project.trees.items()):
        if not is_test_path(path) and not is_migration_path(path):
            yield path, tree


def is_project(project: ProjectFacts) -> bool:
    """Whether the sample is a project rather than a lone snippet.

    It is when it has two Python files or more, or any non-Python file (a manifest, a README).
    """
    python = python_paths(project)
    return len(python) >= MIN_PROJECT_FILES or len(project.files) > len(python)


def app_sites(project: ProjectFacts) -> list[tuple[str, Span]]:
    """``(path, span)`` of every ``FastAPI()`` call outside the tests, shallowest module first.

    Module-level apps come from the facts; an app built inside a factory function
    (``def create_app() -> FastAPI``) is found in the module's tree.
    """
    return list(project.cached("project.app-sites", lambda: tuple(_app_sites(project))))


def _app_sites(project: ProjectFacts) -> list[tuple[str, Span]]:
    sites: list[tuple[str, Span]] = []
    for module in project.modules:
        if is_test_path(module.path):
            continue
        if module.apps:
            sites.append((module.path, module.apps[0].span))
            continue
        tree = project.trees.get(module.path)
        if tree is None or not module.imports_fastapi:
            continue
        imports = imports_of(module.path, tree)
        for node in walk(tree):
            if isinstance(node, ast.Call) and qualified(imports, node.func) in FASTAPI_APP:
                sites.append((module.path, ast_span(node)))
                break
    return sorted(sites, key=lambda site: (depth(site[0]), site[0]))


def is_application(project: ProjectFacts) -> bool:
    """Whether the sample is a web application project, not a snippet or an installed library.

    It is a project (see :func:`is_project`) that creates a FastAPI app or router or declares
    routes outside its tests.
    """
    return is_project(project) and (
        bool(app_sites(project))
        or any(
            (module.routers or module.routes) and not is_test_path(module.path)
            for module in project.modules
        )
    )


def anchor(project: ProjectFacts, *preferred: str) -> str:
    """The file to report a project-level absence at.

    The first of ``preferred`` that exists, else the module defining the FastAPI app, else the
    shallowest Python file, else the first file of the sample.
    """
    files = set(project.files)
    for path in preferred:
        if path in files:
            return path
    apps = app_sites(project)
    if apps:
        return apps[0][0]
    python = root_first(python_paths(project))
    return python[0] if python else (project.files[0] if project.files else "")


def text_files(project: ProjectFacts, *names: str) -> list[tuple[str, str]]:
    """``(path, text)`` of readable files whose base name is one of ``names``, root first."""
    wanted = set(names)
    paths = [path for path in project.texts if basename(path) in wanted]
    return [(path, project.texts[path]) for path in root_first(paths)]


def parse_toml(text: str) -> TomlTable | None:
    """A TOML document, or ``None`` when it does not parse."""
    try:
        document: object = toml_reader.loads(text)
    except ValueError:  # TOMLDecodeError
        return None
    return document if isinstance(document, dict) else None


def table(document: TomlTable, *keys: str) -> TomlTable | None:
    """The sub-table at ``keys`` (``table(doc, "tool", "poetry")``), if every level is a table."""
    current: object = document
    for key in keys:
        if not isinstance(current, Mapping):
            return None
        current = current.get(key)
    return current if isinstance(current, Mapping) else None


def string_list(value: object) -> list[str]:
    """The strings of a TOML array (non-strings dropped); ``[]`` for anything else."""
    return [item for item in value if isinstance(item, str)] if isinstance(value, list) else []


def pyprojects(project: ProjectFacts) -> list[tuple[str, str, TomlTable]]:
    """``(path, text, document)`` of every ``pyproject.toml`` that parses, root first."""
    found: list[tuple[str, str, TomlTable]] = []
    for path, text in text_files(project, "pyproject.toml"):
        document = parse_toml(text)
        if document is not None:
            found.append((path, text, document))
    return found


def find_line(text: str, needle: str, after: int = 0) -> int:
    """The 1-based number of the first line after line ``after`` containing ``needle`` (else 0)."""
    for number, line in enumerate(text.splitlines(), start=1):
        if number > after and needle in line:
            return number
    return 0


def section_line(text: str, header: str) -> int:
    """The line of the TOML table header ``[header]`` (0 when absent)."""
    for number, line in enumerate(text.splitlines(), start=1):
        if line.strip().replace(" ", "") == f"[{header}]":
            return number
    return 0


def module_constants(tree: ast.Module) -> dict[str, str]:
    """Module-level names bound to a string literal (``BASE = "/api/v1"``)."""
    constants: dict[str, str] = {}
    for statement in tree.body:
        if isinstance(statement, ast.Assign):
            targets, value = statement.targets, statement.value
        elif isinstance(statement, ast.AnnAssign) and statement.value is not None:
            targets, value = [statement.target], statement.value
        else:
            continue
        if isinstance(value, ast.Constant) and isinstance(value.value, str):
            for target in targets:
                if isinstance(target, ast.Name):
                    constants[target.id] = value.value
    return constants


def functions(tree: ast.AST) -> Iterator[ast.FunctionDef | ast.AsyncFunctionDef]:
    """Every function and method in ``tree``, at any depth."""
    for node in walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            yield node


def string_constants(tree: ast.AST) -> Iterator[str]:
    """Every string literal in ``tree``."""
    for node in walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            yield node.value
