"""The fact pass on the standard library's ``ast``: imports, apps, routers, routes, includes.

The facts of every module must exist before any module check runs (a router may be defined in
another module), so they are collected in a pass of their own. ``ast`` parses and walks a file
about ten times faster than libcst (catalogue §5), so this pass costs little; libcst is kept for
the checks, which need its exact positions and comments.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass, field

from rulepack.evaluator.checks.facts import (
    FASTAPI_APP,
    FASTAPI_ROUTER,
    ROUTE_METHODS,
    AppFact,
    ClassFact,
    IncludeFact,
    ModuleFacts,
    RouteFact,
    RouterFact,
    Span,
)
from rulepack.evaluator.checks.imports import ImportMap

_NODES = "_rulepack_nodes"


def walk(tree: ast.AST) -> tuple[ast.AST, ...]:
    """``ast.walk(tree)`` as a tuple, computed once per tree object.

    Many project checks scan every module of a sample; the flattened node list is kept on the
    tree itself (trees live as long as their sample's facts), so each module is walked once.
    """
    found = getattr(tree, _NODES, None)
    if isinstance(found, tuple):
        return found
    nodes = tuple(ast.walk(tree))
    setattr(tree, _NODES, nodes)
    return nodes


def ast_dotted(node: ast.expr) -> str | None:
    """``a.b.c`` for a ``Name``/``Attribute`` chain, else ``None``."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        head = ast_dotted(node.value)
        return f"{head}.{node.attr}" if head is not None else None
    return None


def absolute_module(module: str | None, level: int, package: str) -> str:
    """The module ``from <dots><module> import ...`` names, seen from ``package``."""
    if level == 0:
        return module or ""
    parts = package.split(".") if package else []
    base = parts[: len(parts) - (level - 1)] if level - 1 <= len(parts) else []
    return ".".join([*base, *([module] if module else [])])


_BODIES = ("body", "orelse", "finalbody", "handlers", "cases")


def _statements(body: list[ast.stmt]) -> Iterator[ast.stmt]:
    """Every statement at any depth, without visiting expressions (imports are statements)."""
    for statement in body:
        yield statement
        for attribute in _BODIES:
            nested = getattr(statement, attribute, None)
            if isinstance(nested, list):
                yield from _statements([n for n in nested if isinstance(n, ast.stmt)])
                for child in nested:  # except handlers and match cases hold bodies themselves
                    if isinstance(child, ast.ExceptHandler | ast.match_case):
                        yield from _statements(child.body)


def import_map(tree: ast.Module, module_name: str, path: str = "") -> ImportMap:
    """Every ``import`` and ``from ... import`` of the module (at any depth), as an ImportMap.

    ``path`` tells a package's ``__init__.py``, whose ``from . import x`` names its own ``x``.
    """
    package = module_name.rsplit(".", 1)[0] if "." in module_name else ""
    if path.rsplit("/", 1)[-1] == "__init__.py":
        package = module_name
    names: dict[str, str] = {}
    for node in _statements(tree.body):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.asname:
                    names[alias.asname] = alias.name
                else:
                    head = alias.name.split(".")[0]
                    names[head] = head
        elif isinstance(node, ast.ImportFrom):
            base = absolute_module(node.module, node.level, package)
            for alias in node.names:
                if alias.name == "*":
                    continue
                names[alias.asname or alias.name] = f"{base}.{alias.name}" if base else alias.name
    return ImportMap(module=module_name, names=names)


@dataclass
class _Positions:
    """Convert ``ast`` byte offsets to 1-based character columns."""

    lines: list[str]

    def column(self, line: int, byte_offset: int) -> int:
        if not 1 <= line <= len(self.lines):
            return byte_offset + 1
        text = self.lines[line - 1]
        return len(text.encode("utf-8")[:byte_offset].decode("utf-8", errors="ignore")) + 1

    def span(self, node: ast.expr | ast.stmt) -> Span:
        end_line = node.end_lineno or node.lineno
        end_offset = node.end_col_offset if node.end_col_offset is not None else node.col_offset
        return Span(
            node.lineno,
            self.column(node.lineno, node.col_offset),
            end_line,
            self.column(end_line, end_offset),
        )


def _string(node: ast.expr | None) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    return None


def _keyword(call: ast.Call, name: str) -> ast.expr | None:
    return next((k.value for k in call.keywords if k.arg == name), None)


def _positional(call: ast.Call, index: int) -> ast.expr | None:
    values = [arg for arg in call.args if not isinstance(arg, ast.Starred)]
    return values[index] if index < len(values) else None


def _prefix(node: ast.expr | None) -> str | None:
    """A literal prefix, ``None`` when absent, ``"?"`` when computed."""
    if node is None:
        return None
    value = _string(node)
    return value if value is not None else "?"


@dataclass
class _Collector(ast.NodeVisitor):
    path: str
    imports: ImportMap
    positions: _Positions
    apps: list[AppFact] = field(default_factory=list)
    routers: list[RouterFact] = field(default_factory=list)
    routes: list[RouteFact] = field(default_factory=list)
    includes: list[IncludeFact] = field(default_factory=list)
    classes: list[ClassFact] = field(default_factory=list)
    depth: int = 0  # inside a function or class body

    def resolve(self, node: ast.expr) -> str | None:
        name = ast_dotted(node)
        return self.imports.resolve_dotted(name) if name is not None else None

    def visit_Assign(self, node: ast.Assign) -> None:
        if not self.depth and isinstance(node.value, ast.Call):
            for target in node.targets:
                if isinstance(target, ast.Name):
                    self._factory(target.id, node.value)
        self.generic_visit(node)

    def visit_AnnAssign(self, node: ast.AnnAssign) -> None:
        if (
            not self.depth
            and isinstance(node.value, ast.Call)
            and isinstance(node.target, ast.Name)
        ):
            self._factory(node.target.id, node.value)
        self.generic_visit(node)

    def _factory(self, name: str, call: ast.Call) -> None:
        factory = self.resolve(call.func)
        qualified = f"{self.imports.module}.{name}"
        if factory in FASTAPI_APP:
            keywords = tuple(k.arg for k in call.keywords if k.arg is not None)
            self.apps.append(AppFact(qualified, keywords, self.positions.span(call)))
        elif factory in FASTAPI_ROUTER:
            prefix = _prefix(_keyword(call, "prefix"))
            self.routers.append(RouterFact(qualified, prefix, self.positions.span(call)))

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        if not self.depth:
            bases = tuple(base for arg in node.bases if (base := self.resolve(arg)) is not None)
            name = f"{self.imports.module}.{node.name}"
            self.classes.append(ClassFact(name, bases, self.positions.span(node)))
        self._nested(node)

    def visit_FunctionDef(self, node: ast.FunctionDef) -> None:
        self._function(node, is_async=False)

    def visit_AsyncFunctionDef(self, node: ast.AsyncFunctionDef) -> None:
        self._function(node, is_async=True)

    def _function(self, node: ast.FunctionDef | ast.AsyncFunctionDef, *, is_async: bool) -> None:
        for decorator in node.decorator_list:
            if not isinstance(decorator, ast.Call) or not isinstance(decorator.func, ast.Attribute):
                continue
            method = decorator.func.attr
            owner = self.resolve(decorator.func.value)
            if method not in ROUTE_METHODS or owner is None:
                continue
            path = _positional(decorator, 0) or _keyword(decorator, "path")
            span = self.positions.span(node)
            self.routes.append(RouteFact(owner, method, _string(path), node.name, is_async, span))
        self._nested(node)

    def _nested(self, node: ast.AST) -> None:
        self.depth += 1
        self.generic_visit(node)
        self.depth -= 1

    def visit_Call(self, node: ast.Call) -> None:
        if isinstance(node.func, ast.Attribute) and node.func.attr in {"include_router", "mount"}:
            self._include(node, node.func)
        self.generic_visit(node)

    def _include(self, node: ast.Call, func: ast.Attribute) -> None:
        if func.attr == "include_router":
            router_node = _positional(node, 0) or _keyword(node, "router")
            prefix_node = _keyword(node, "prefix")
        else:
            router_node = _positional(node, 1) or _keyword(node, "app")
            prefix_node = _positional(node, 0) or _keyword(node, "path")
        owner = self.resolve(func.value)
        router = self.resolve(router_node) if router_node is not None else None
        if owner is not None and router is not None:
            span = self.positions.span(node)
            self.includes.append(IncludeFact(owner, router, _prefix(prefix_node), span, func.attr))


def collect_facts(tree: ast.Module, path: str, imports: ImportMap, source: str) -> ModuleFacts:
    """The facts of one parsed module."""
    collector = _Collector(path, imports, _Positions(source.splitlines()))
    collector.visit(tree)
    targets = set(imports.names.values())
    return ModuleFacts(
        path=path,
        module=imports.module,
        apps=tuple(collector.apps),
        routers=tuple(collector.routers),
        routes=tuple(collector.routes),
        includes=tuple(collector.includes),
        classes=tuple(collector.classes),
        imports_fastapi=any(t == "fastapi" or t.startswith("fastapi.") for t in targets),
        imported=tuple(sorted(targets)),
    )
