"""What route checks need to know about the rest of the sample, read from the ``ast`` trees.

Route handlers lean on definitions elsewhere: ``CurrentUser = Annotated[User, Depends(...)]`` in
``app/dependencies.py``, the ``APIRouter(prefix=..., dependencies=...)`` call of a router defined in
another module, the ``include_router(router, prefix=..., responses=...)`` calls that mount it, the
dependency functions a handler depends on. :class:`SampleIndex` finds these lazily, from the
top-level statements of the sample's modules, and remembers what it found for one module's visit.

Types and FastAPI parameter markers are read from ``ast`` expressions (a libcst annotation is
converted with :func:`to_ast`), so definitions found in other modules and the handler's own
signature are analysed by the same code.
"""

from __future__ import annotations

import ast
import builtins
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

import libcst as cst

from rulepack.evaluator.checks.ast_facts import absolute_module, ast_dotted, import_map, walk
from rulepack.evaluator.checks.base import ModuleContext, ProjectFacts
from rulepack.evaluator.checks.facts import IncludeFact
from rulepack.evaluator.checks.imports import ImportMap

PARAM_MODULES = ("fastapi", "fastapi.params", "fastapi.param_functions")
MARKER_KINDS: Mapping[str, str] = MappingProxyType(
    {
        "Depends": "depends",
        "Security": "security",
        "Query": "query",
        "Path": "path",
        "Body": "body",
        "Header": "header",
        "Cookie": "cookie",
        "Form": "form",
        "File": "file",
    }
)
TYPING_MODULES = frozenset({"typing", "typing_extensions", "collections.abc", "builtins"})
CANONICAL: Mapping[str, str] = MappingProxyType(
    {
        "Dict": "dict",
        "List": "list",
        "Set": "set",
        "FrozenSet": "frozenset",
        "Tuple": "tuple",
        "Type": "type",
        "DefaultDict": "dict",
        "OrderedDict": "dict",
    }
)
BUILTIN_NAMES = frozenset(dir(builtins))
# ``typing`` names that snippets use without importing them.
TYPING_NAMES = frozenset(
    {
        "Annotated",
        "Optional",
        "Union",
        "Any",
        "Dict",
        "List",
        "Set",
        "Tuple",
        "Sequence",
        "Mapping",
        "Iterable",
    }
)
_MAX_HOPS = 3


def to_ast(node: cst.BaseExpression) -> ast.expr | None:
    """The ``ast`` expression of a libcst expression (``None`` if it does not re-parse)."""
    code = cst.Module([]).code_for_node(node)
    try:
        return ast.parse(f"(\n{code}\n)", mode="eval").body
    except (SyntaxError, ValueError, RecursionError):
        return None


def resolve(expr: ast.expr, imports: ImportMap) -> str | None:
    """The qualified name of a ``Name``/``Attribute`` chain through ``imports``."""
    name = ast_dotted(expr)
    return imports.resolve_dotted(name) if name is not None else None


def is_bare(expr: ast.expr, imports: ImportMap) -> bool:
    """Whether ``expr`` is a plain name the module does not import (defined here or unknown)."""
    return isinstance(expr, ast.Name) and expr.id not in imports.names


def last_name(expr: ast.expr) -> str | None:
    """The last component of a ``Name``/``Attribute`` chain, or the called name of a call."""
    if isinstance(expr, ast.Call):
        return last_name(expr.func)
    name = ast_dotted(expr)
    return name.rsplit(".", 1)[-1] if name is not None else None


def type_name(expr: ast.expr, imports: ImportMap) -> str | None:
    """The canonical name of a type: ``dict``, ``list``, ``Any``, ``Sequence`` or a qualified name.

    ``typing.Dict`` and ``typing.List`` become ``dict`` and ``list``; names from ``typing`` and
    ``collections.abc`` lose their module; builtins keep their bare name; other names are
    qualified through the module's imports. The head of a subscript (``dict[str, Any]``) counts.
    """
    if isinstance(expr, ast.Subscript):
        return type_name(expr.value, imports)
    if isinstance(expr, ast.Constant) and expr.value is None:
        return "None"
    bare = expr.id if isinstance(expr, ast.Name) and is_bare(expr, imports) else None
    if bare is not None and (bare in BUILTIN_NAMES or bare in TYPING_NAMES):
        return CANONICAL.get(bare, bare)
    qualified = resolve(expr, imports)
    if qualified is None:
        return None
    module, _, last = qualified.rpartition(".")
    if module in TYPING_MODULES:
        return CANONICAL.get(last, last)
    return qualified


def subscript_args(expr: ast.expr) -> list[ast.expr]:
    """The arguments of a subscripted type (``dict[str, Any]`` -> ``[str, Any]``)."""
    if not isinstance(expr, ast.Subscript):
        return []
    inner = expr.slice
    return list(inner.elts) if isinstance(inner, ast.Tuple) else [inner]


def unwrap(expr: ast.expr, imports: ImportMap) -> ast.expr:
    """Strip ``Annotated[X, ...]``, ``Optional[X]``, ``Union[X, None]``, ``X | None`` to ``X``."""
    for _ in range(_MAX_HOPS * 2):
        inner = _unwrap_once(expr, imports)
        if inner is None:
            return expr
        expr = inner
    return expr


def _unwrap_once(expr: ast.expr, imports: ImportMap) -> ast.expr | None:
    if isinstance(expr, ast.BinOp) and isinstance(expr.op, ast.BitOr):
        members = [expr.left, expr.right]
    elif isinstance(expr, ast.Subscript):
        name = type_name(expr, imports)
        if name == "Annotated":
            return subscript_args(expr)[0]
        if name == "Optional":
            return subscript_args(expr)[0]
        if name != "Union":
            return None
        members = subscript_args(expr)
    else:
        return None
    real = [m for m in members if type_name(m, imports) != "None"]
    return real[0] if len(real) == 1 else None


@dataclass(frozen=True)
class Marker:
    """A FastAPI parameter marker: ``Depends(get_user)``, ``Query(ge=1)``, ``Body()`` ...

    ``target`` is the qualified name of a dependency's callable (``None`` for other markers, and
    for ``Depends()`` without one, where the annotation's class is the dependency).
    """

    kind: str
    target: str | None


def marker_of(expr: ast.expr, imports: ImportMap) -> Marker | None:
    """The marker ``expr`` calls, if it is ``Depends(...)``, ``Query(...)`` and so on."""
    if not isinstance(expr, ast.Call):
        return None
    kind = _marker_kind(expr.func, imports)
    if kind is None:
        return None
    target = None
    if kind in {"depends", "security"}:
        dependency = expr.args[0] if expr.args else None
        dependency = next((k.value for k in expr.keywords if k.arg == "dependency"), dependency)
        if isinstance(dependency, ast.Call):
            dependency = dependency.func
        target = resolve(dependency, imports) if dependency is not None else None
    return Marker(kind, target)


def _marker_kind(func: ast.expr, imports: ImportMap) -> str | None:
    qualified = resolve(func, imports)
    if qualified is None:
        return None
    module, _, name = qualified.rpartition(".")
    if name not in MARKER_KINDS:
        return None
    if module in PARAM_MODULES or is_bare(func, imports):
        return MARKER_KINDS[name]
    return None


def annotated_marker(expr: ast.expr, imports: ImportMap) -> Marker | None:
    """The marker in the metadata of ``Annotated[X, Depends(...)]`` (possibly inside Optional)."""
    if isinstance(expr, ast.Subscript) and type_name(expr, imports) == "Annotated":
        metadata = (marker_of(meta, imports) for meta in subscript_args(expr)[1:])
        return next((found for found in metadata if found is not None), None)
    inner = _unwrap_once(expr, imports)
    return annotated_marker(inner, imports) if inner is not None else None


@dataclass(frozen=True)
class AliasDef:
    """``Name = Annotated[Base, Marker(...)]`` at module level, with its module's imports."""

    name: str
    base: ast.expr
    marker: Marker | None
    imports: ImportMap


@dataclass(frozen=True)
class ParamInfo:
    """One handler or dependency parameter: its type, marker and default.

    ``annotation`` is the declared type with ``Annotated`` metadata removed (and, for an alias
    such as ``CurrentUser``, the alias's base type); ``imports`` resolves names inside it.
    ``alias`` is the qualified name of the alias the parameter was annotated with, if any;
    ``written`` is the annotation as written (an unresolved alias such as ``CurrentUserDep``).
    """

    name: str
    annotation: ast.expr | None
    marker: Marker | None
    has_default: bool
    imports: ImportMap
    written: ast.expr | None = None
    alias: str | None = None
    default: ast.expr | None = None

    @property
    def type_name(self) -> str | None:
        """The canonical name of the parameter's type, Optional and Annotated removed."""
        if self.annotation is None:
            return None
        return type_name(unwrap(self.annotation, self.imports), self.imports)

    @property
    def written_name(self) -> str | None:
        """The last component of the annotation as written (``CurrentUserDep``)."""
        if not isinstance(self.written, ast.Name | ast.Attribute):
            return None
        return last_name(self.written)


@dataclass
class SampleIndex:
    """Lazy look-ups of module-level definitions across the sample, for one module's visit."""

    context: ModuleContext
    _paths: dict[str, str] | None = None
    _maps: dict[str, ImportMap] = field(default_factory=dict)
    _includes: dict[str, list[tuple[IncludeFact, str]]] | None = None
    _found: dict[str, tuple[ast.stmt, ImportMap] | None] = field(default_factory=dict)
    _mounts: dict[str, list[tuple[str, ast.Call, ImportMap]]] = field(default_factory=dict)

    @property
    def project(self) -> ProjectFacts:
        """The sample's facts."""
        return self.context.project

    def module_path(self, module: str) -> str | None:
        """The path of the sample's module named ``module``.

        When no module has exactly that name, a module whose name ends with it counts if it is the
        only one: a ``src/`` layout names ``src/pkg/api.py`` ``src.pkg.api`` while its imports say
        ``pkg.api``.
        """
        if self._paths is None:
            self._paths = {facts.module: facts.path for facts in self.project.modules}
        found = self._paths.get(module)
        if found is None and module:
            tails = [path for name, path in self._paths.items() if name.endswith("." + module)]
            found = tails[0] if len(tails) == 1 else None
        return found

    def imports_of(self, path: str) -> ImportMap:
        """The import map of the module at ``path``."""
        if path == self.context.path:
            return self.context.imports
        if path not in self._maps:
            facts = self.project.module(path)
            module = facts.module if facts is not None else ""
            self._maps[path] = import_map(self.project.trees[path], module, path)
        return self._maps[path]

    def lookup(self, qualified: str) -> tuple[ast.stmt, ImportMap] | None:
        """The module-level statement defining ``qualified`` in the sample, following re-exports."""
        if qualified not in self._found:
            self._found[qualified] = self._lookup(qualified)
        return self._found[qualified]

    def _lookup(self, qualified: str, hops: int = 0) -> tuple[ast.stmt, ImportMap] | None:
        for hop in range(hops, _MAX_HOPS):
            module, _, name = qualified.rpartition(".")
            path = self.module_path(module)
            if path is None or path not in self.project.trees:
                return None
            imports = self.imports_of(path)
            for stmt in self.project.trees[path].body:
                if name in _defined_names(stmt):
                    return stmt, imports
            if name not in imports.names:
                # ``from .models import *`` in a package's ``__init__.py``
                starred = (self._lookup(f"{star}.{name}", hop + 1) for star in self._stars(path))
                return next((found for found in starred if found is not None), None)
            qualified = imports.names[name]
        return None

    def _stars(self, path: str) -> list[str]:
        """The modules a module imports ``*`` from, at module level."""
        module = self.imports_of(path).module
        package = module if path.endswith("__init__.py") else module.rpartition(".")[0]
        return [
            absolute_module(stmt.module, stmt.level, package)
            for stmt in self.project.trees[path].body
            if isinstance(stmt, ast.ImportFrom) and any(a.name == "*" for a in stmt.names)
        ]

    def alias(self, qualified: str) -> AliasDef | None:
        """The ``Annotated`` alias ``qualified`` names, if the sample defines one."""
        found = self.lookup(qualified)
        if found is None:
            return None
        stmt, imports = found
        value = stmt.value if isinstance(stmt, ast.Assign | ast.AnnAssign) else None
        if value is None or type_name(value, imports) != "Annotated":
            return None
        args = subscript_args(value)
        return AliasDef(qualified, args[0], annotated_marker(value, imports), imports)

    def function(
        self, qualified: str
    ) -> tuple[ast.FunctionDef | ast.AsyncFunctionDef, ImportMap] | None:
        """The module-level function ``qualified`` names, if the sample defines it."""
        found = self.lookup(qualified)
        if found is None or not isinstance(found[0], ast.FunctionDef | ast.AsyncFunctionDef):
            return None
        return found[0], found[1]

    def class_def(self, qualified: str) -> tuple[ast.ClassDef, ImportMap] | None:
        """The module-level class ``qualified`` names, if the sample defines it."""
        found = self.lookup(qualified)
        if found is None or not isinstance(found[0], ast.ClassDef):
            return None
        return found[0], found[1]

    def class_attributes(self, qualified: str, depth: int = 0) -> list[ParamInfo]:
        """The annotated or assigned attributes of a sample class and of its sample bases."""
        found = self.class_def(qualified) if depth <= _MAX_HOPS else None
        if found is None:
            return []
        node, imports = found
        attributes: list[ParamInfo] = []
        for stmt in node.body:
            if isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name):
                arg = ast.arg(arg=stmt.target.id, annotation=stmt.annotation)
                attributes.append(self.param_info(arg, stmt.value, imports))
            elif isinstance(stmt, ast.Assign) and len(stmt.targets) == 1:
                target = stmt.targets[0]
                if isinstance(target, ast.Name):
                    attributes.append(self.param_info(ast.arg(arg=target.id), stmt.value, imports))
        for base in node.bases:
            name = resolve(base, imports)
            if name is not None:
                attributes.extend(self.class_attributes(name, depth + 1))
        return attributes

    def assigned_call(self, qualified: str) -> tuple[ast.Call, ImportMap] | None:
        """``qualified = Factory(...)``: the call, if the sample assigns one at module level."""
        found = self.lookup(qualified)
        if found is None:
            return None
        stmt, imports = found
        value = stmt.value if isinstance(stmt, ast.Assign | ast.AnnAssign) else None
        return (value, imports) if isinstance(value, ast.Call) else None

    def param_info(self, param: ast.arg, default: ast.expr | None, imports: ImportMap) -> ParamInfo:
        """Analyse one parameter: its marker (default or ``Annotated``), alias and type."""
        written = param.annotation
        marker = marker_of(default, imports) if default is not None else None
        annotation, own, alias = written, imports, None
        if written is not None and type_name(written, imports) == "Annotated":
            annotation = subscript_args(written)[0]
            marker = annotated_marker(written, imports) or marker
        elif written is not None:
            qualified = resolve(written, imports)
            found = self.alias(qualified) if qualified is not None else None
            if found is not None:
                annotation, own, alias = found.base, found.imports, found.name
                marker = found.marker or marker
        if marker is not None and marker.kind in {"depends", "security"} and not marker.target:
            target = resolve(unwrap(annotation, own), own) if annotation is not None else None
            marker = Marker(marker.kind, target)
        return ParamInfo(
            param.arg, annotation, marker, default is not None, own, written, alias, default
        )

    def function_params(
        self, function: ast.FunctionDef | ast.AsyncFunctionDef, imports: ImportMap
    ) -> list[ParamInfo]:
        """The analysed parameters of a function (``self`` and ``cls`` included, ``*args`` not)."""
        args = function.args
        positional = [*args.posonlyargs, *args.args]
        defaults: list[ast.expr | None] = [None] * (len(positional) - len(args.defaults))
        defaults += list(args.defaults)
        keyword_only = zip(args.kwonlyargs, args.kw_defaults, strict=True)
        pairs = [*zip(positional, defaults, strict=True), *keyword_only]
        return [self.param_info(arg, default, imports) for arg, default in pairs]

    def includes_of(self, router: str) -> list[tuple[IncludeFact, str]]:
        """Every ``include_router``/``mount`` call mounting ``router``, with its module's path."""
        if self._includes is None:
            self._includes = {}
            for facts in self.project.modules:
                for include in facts.includes:
                    self._includes.setdefault(include.router, []).append((include, facts.path))
        found = self._includes.get(router)
        if found is not None:
            return found
        # A ``src/`` layout: the router is ``src.pkg.views.router`` where it is defined and
        # ``pkg.views.router`` where another module imports it to include it.
        return [
            pair
            for name, pairs in self._includes.items()
            if router.endswith("." + name) or name.endswith("." + router)
            for pair in pairs
        ]

    def include_call(self, include: IncludeFact, path: str) -> ast.Call | None:
        """The ``ast`` call of an include fact."""
        tree = self.project.trees.get(path)
        if tree is None:
            return None
        for node in walk(tree):
            if (
                isinstance(node, ast.Call)
                and node.lineno == include.span.line
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == include.via
            ):
                return node
        return None

    def mount_calls(self, owner: str) -> list[tuple[str, ast.Call, ImportMap]]:
        """The calls that configure ``owner``'s routes: its factory, then each mount up to an app.

        Gives ``(kind, call, imports)`` with kind ``router`` or ``app`` (the ``APIRouter(...)`` or
        ``FastAPI(...)`` call assigning an owner) or ``include`` (an ``include_router(...)``).
        """
        if owner not in self._mounts:
            self._mounts[owner] = list(self._mount_calls(owner))
        return self._mounts[owner]

    def _mount_calls(self, owner: str) -> Iterator[tuple[str, ast.Call, ImportMap]]:
        seen: set[str] = set()
        pending = [owner]
        while pending:
            name = pending.pop()
            if name in seen:
                continue
            seen.add(name)
            factory = self.assigned_call(name)
            if factory is not None:
                kind = "app" if name in self.project.app_names else "router"
                yield kind, factory[0], factory[1]
            for include, path in self.includes_of(name):
                call = self.include_call(include, path)
                if call is not None:
                    yield "include", call, self.imports_of(path)
                pending.append(include.owner)


def _defined_names(stmt: ast.stmt) -> set[str]:
    """The names a module-level statement binds."""
    if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
        return {stmt.name}
    if isinstance(stmt, ast.Assign):
        return {target.id for target in stmt.targets if isinstance(target, ast.Name)}
    if isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name):
        return {stmt.target.id}
    return set()


def keyword_value(call: ast.Call, name: str) -> ast.expr | None:
    """The value passed to an ``ast`` call for keyword ``name``."""
    return next((k.value for k in call.keywords if k.arg == name), None)


STATUS_NAME = re.compile(r"^HTTP_(\d{3})(_|$)")


def status_of(expr: ast.expr | None) -> int | None:
    """The status code an expression names: ``404``, ``"404"`` or ``status.HTTP_404_NOT_FOUND``."""
    if isinstance(expr, ast.Constant) and isinstance(expr.value, int | str):
        text = str(expr.value)
        return int(text) if text.isdigit() and len(text) == 3 else None
    name = last_name(expr) if isinstance(expr, ast.Name | ast.Attribute) else None
    match = STATUS_NAME.match(name) if name is not None else None
    return int(match.group(1)) if match is not None else None
