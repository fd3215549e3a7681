"""A sample-wide index of the classes the schema checks reason about, read from ``ast`` trees.

The schema checks need to know, for a class named in one module, things only other modules say:
whether it is a Pydantic model, an ORM model or a request schema, and which fields it declares.
The index reads the top-level statements of every module (imports, classes and their bodies, route
functions), never walking whole trees, so building it once per checked module stays cheap.

Bases that a fragment leaves unimported (``class UserCreate(BaseModel)`` without an import, as in
the pack's examples) resolve to the framework class of that name, like ``refers_to`` does.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, replace

from rulepack.evaluator.checks.ast_facts import ast_dotted, import_map, walk
from rulepack.evaluator.checks.base import ProjectFacts
from rulepack.evaluator.checks.facts import FASTAPI_APP, FASTAPI_ROUTER, ROUTE_METHODS
from rulepack.evaluator.checks.imports import ImportMap
from rulepack.evaluator.checks.pydantic_v1_api import MODEL_ROOTS
from rulepack.evaluator.checks.sync_route_handler import is_route_owner

SETTINGS_ROOTS = frozenset(
    {
        "pydantic.BaseSettings",
        "pydantic.v1.BaseSettings",
        "pydantic_settings.BaseSettings",
        "pydantic_settings.main.BaseSettings",
    }
)
ORM_BASE_CLASSES = frozenset(
    {
        "sqlalchemy.orm.DeclarativeBase",
        "sqlalchemy.orm.DeclarativeBaseNoMeta",
        "sqlalchemy.orm.decl_api.DeclarativeBase",
        "sqlalchemy.orm.decl_api.DeclarativeBaseNoMeta",
    }
)
DECLARATIVE_FACTORIES = frozenset(
    {
        "sqlalchemy.orm.declarative_base",
        "sqlalchemy.orm.decl_api.declarative_base",
        "sqlalchemy.ext.declarative.declarative_base",
    }
)
SQLMODEL_ROOTS = frozenset({"sqlmodel.SQLModel", "sqlmodel.main.SQLModel"})
# Names a fragment may use without importing them, and the class each stands for.
UNIMPORTED_ROOTS = {
    "BaseModel": "pydantic.BaseModel",
    "RootModel": "pydantic.RootModel",
    "BaseSettings": "pydantic_settings.BaseSettings",
    "SQLModel": "sqlmodel.SQLModel",
    "DeclarativeBase": "sqlalchemy.orm.DeclarativeBase",
}
DEPENDENCY_MARKERS = frozenset({"Depends", "Security"})
# Generic wrappers whose arguments are the types a value holds.
WRAPPERS = frozenset(
    {
        "Optional",
        "Union",
        "list",
        "List",
        "set",
        "Set",
        "frozenset",
        "FrozenSet",
        "tuple",
        "Tuple",
        "Sequence",
        "Iterable",
        "Collection",
        "dict",
        "Dict",
        "Mapping",
        "Page",
        "LimitOffsetPage",
    }
)
REQUEST_SUFFIXES = ("Create", "Update", "In", "Request", "Input", "Patch")


def last_part(name: str) -> str:
    """``c`` for ``a.b.c``."""
    return name.rsplit(".", 1)[-1]


def is_migration_path(path: str) -> bool:
    """Whether ``path`` is an Alembic migration script (``.../versions/*.py``)."""
    parts = path.split("/")
    return len(parts) >= 2 and parts[-2] == "versions"


def top_level_statements(body: Iterable[ast.stmt]) -> Iterator[ast.stmt]:
    """Statements at module level, including those inside ``if``/``try``/``with`` blocks."""
    for statement in body:
        yield statement
        if isinstance(statement, ast.If):
            yield from top_level_statements([*statement.body, *statement.orelse])
        elif isinstance(statement, ast.Try):
            handlers = [item for handler in statement.handlers for item in handler.body]
            yield from top_level_statements(
                [*statement.body, *handlers, *statement.orelse, *statement.finalbody]
            )
        elif isinstance(statement, ast.With):
            yield from top_level_statements(statement.body)


def top_level_imports(tree: ast.Module, module: str) -> ImportMap:
    """The names a module's imports bind."""
    return import_map(tree, module)


def annotation_leaves(node: ast.expr) -> list[ast.expr]:
    """The types an annotation may hold, through ``X | Y``, ``Optional``, ``Annotated``, ``list``.

    A string annotation (a forward reference) is parsed; an unparsable one gives nothing.
    """
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        try:
            parsed = ast.parse(node.value, mode="eval").body
        except SyntaxError:
            return []
        return annotation_leaves(parsed)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
        return [*annotation_leaves(node.left), *annotation_leaves(node.right)]
    if isinstance(node, ast.Subscript):
        wrapper = last_part(ast_dotted(node.value) or "")
        elements = node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]
        if wrapper == "Annotated" and elements:
            return annotation_leaves(elements[0])
        if wrapper in WRAPPERS:
            return [leaf for element in elements for leaf in annotation_leaves(element)]
    return [node]


def referenced_names(node: ast.expr | None) -> list[ast.expr]:
    """Every ``Name``/``Attribute`` chain an expression mentions, string annotations parsed.

    ``ResponseModel[list[UserRead]]`` gives ``ResponseModel``, ``list`` and ``UserRead``: every
    class a schema built from the expression can contain.
    """
    if node is None:
        return []
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        try:
            parsed = ast.parse(node.value, mode="eval").body
        except SyntaxError:
            return []
        return referenced_names(parsed)
    if isinstance(node, ast.Name | ast.Attribute) and ast_dotted(node) is not None:
        return [node]
    found: list[ast.expr] = []
    for child in ast.iter_child_nodes(node):
        if isinstance(child, ast.expr):
            found.extend(referenced_names(child))
    return found


def annotation_metadata(node: ast.expr) -> list[ast.expr]:
    """The ``Annotated[..., metadata]`` items of an annotation (through ``Optional``/``|``)."""
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
        return [*annotation_metadata(node.left), *annotation_metadata(node.right)]
    if isinstance(node, ast.Subscript):
        wrapper = last_part(ast_dotted(node.value) or "")
        elements = node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]
        if wrapper == "Annotated" and elements:
            return [*annotation_metadata(elements[0]), *elements[1:]]
        if wrapper in {"Optional", "Union"}:
            return [item for element in elements for item in annotation_metadata(element)]
    return []


def _call_name(node: ast.expr | None) -> str:
    """The last name of a call's function (``Depends`` for ``fastapi.Depends(...)``)."""
    if isinstance(node, ast.Call):
        return last_part(ast_dotted(node.func) or "")
    return ""


@dataclass(frozen=True)
class FieldDecl:
    """An annotated attribute declared in a class body."""

    name: str
    annotation: str  # normalised source text (``ast.unparse``)
    types: tuple[str, ...]  # qualified names of the types it holds
    line: int
    excluded: bool  # ``Field(exclude=True)``: never serialised
    refs: tuple[str, ...] = ()  # qualified names of every class the annotation mentions


@dataclass(frozen=True)
class ClassDecl:
    """A top-level class of the sample."""

    name: str  # qualified
    path: str
    line: int
    bases: tuple[str, ...]
    fields: tuple[FieldDecl, ...]
    has_table: bool  # declares ``__tablename__``/``__table__`` or ``table=True``
    attribute_docstrings: bool  # ``use_attribute_docstrings=True`` in its config


@dataclass(frozen=True)
class RouteParams:
    """A route function's model-typed inputs and its module."""

    path: str
    function: str
    inputs: tuple[str, ...]  # qualified names of non-dependency parameter types
    # Every class the route's request and response schemas mention (parameters that are not
    # dependencies, ``response_model``, ``responses={...: {"model": ...}}``, the return type).
    schema_refs: tuple[str, ...] = ()
    documented: bool = True  # whether the route appears in an OpenAPI document


class Resolver:
    """Qualified names of ``ast`` names in one module, with fragment fallbacks."""

    def __init__(self, imports: ImportMap, local_classes: frozenset[str]) -> None:
        """Resolve through ``imports``; ``local_classes`` are the module's own class names."""
        self.imports = imports
        self.local_classes = local_classes

    def resolve(self, node: ast.expr) -> str | None:
        """The qualified name of a ``Name``/``Attribute`` chain (subscripts resolve their base)."""
        if isinstance(node, ast.Subscript):
            node = node.value
        name = ast_dotted(node)
        if name is None:
            return None
        head = name.split(".", 1)[0]
        if (
            name in UNIMPORTED_ROOTS
            and head not in self.imports.names
            and name not in self.local_classes
        ):
            return UNIMPORTED_ROOTS[name]
        return self.imports.resolve_dotted(name)

    def types(self, annotation: ast.expr) -> tuple[str, ...]:
        """Qualified names of the types an annotation holds."""
        found = (self.resolve(leaf) for leaf in annotation_leaves(annotation))
        return tuple(name for name in found if name is not None)

    def refs(self, node: ast.expr | None) -> tuple[str, ...]:
        """Qualified names of every name an expression mentions."""
        found = (self.resolve(name) for name in referenced_names(node))
        return tuple(name for name in found if name is not None)


def _is_true(node: ast.expr | None) -> bool:
    return isinstance(node, ast.Constant) and node.value is True


def _field_decl(statement: ast.AnnAssign, resolver: Resolver) -> FieldDecl | None:
    target = statement.target
    if not isinstance(target, ast.Name) or target.id.startswith("_"):
        return None
    if target.id == "model_config" or "ClassVar" in ast.unparse(statement.annotation):
        return None
    value = statement.value
    excluded = any(
        _call_name(call) == "Field"
        and any(k.arg == "exclude" and _is_true(k.value) for k in call.keywords)
        for call in [value, *annotation_metadata(statement.annotation)]
        if isinstance(call, ast.Call)
    )
    return FieldDecl(
        name=target.id,
        annotation=ast.unparse(statement.annotation),
        types=resolver.types(statement.annotation),
        line=statement.lineno,
        excluded=excluded,
        refs=resolver.refs(statement.annotation),
    )


def _config_flag(value: ast.expr, key: str) -> bool:
    """Whether ``ConfigDict(key=True)`` or ``{"key": True}`` sets ``key``."""
    if isinstance(value, ast.Call):
        return any(k.arg == key and _is_true(k.value) for k in value.keywords)
    if isinstance(value, ast.Dict):
        return any(
            isinstance(k, ast.Constant) and k.value == key and _is_true(v)
            for k, v in zip(value.keys, value.values, strict=True)
        )
    return False


def _class_decl(node: ast.ClassDef, path: str, module: str, resolver: Resolver) -> ClassDecl:
    bases = tuple(name for base in node.bases if (name := resolver.resolve(base)) is not None)
    fields: list[FieldDecl] = []
    has_table = any(k.arg == "table" and _is_true(k.value) for k in node.keywords)
    docstrings = any(
        k.arg == "use_attribute_docstrings" and _is_true(k.value) for k in node.keywords
    )
    for statement in node.body:
        if isinstance(statement, ast.FunctionDef) and statement.name == "__tablename__":
            has_table = True  # a ``declared_attr`` names the table of every subclass
        if isinstance(statement, ast.AnnAssign):
            declared = _field_decl(statement, resolver)
            if declared is not None:
                fields.append(declared)
        targets = (
            statement.targets
            if isinstance(statement, ast.Assign)
            else [statement.target]
            if isinstance(statement, ast.AnnAssign)
            else []
        )
        names = {target.id for target in targets if isinstance(target, ast.Name)}
        if names & {"__tablename__", "__table__"}:
            has_table = True
        value = getattr(statement, "value", None)
        if "model_config" in names and isinstance(value, ast.expr):
            docstrings = docstrings or _config_flag(value, "use_attribute_docstrings")
    return ClassDecl(
        name=f"{module}.{node.name}" if module else node.name,
        path=path,
        line=node.lineno,
        bases=bases,
        fields=tuple(fields),
        has_table=has_table,
        attribute_docstrings=docstrings,
    )


def _assigned_names(statement: ast.Assign | ast.AnnAssign) -> list[str]:
    targets = statement.targets if isinstance(statement, ast.Assign) else [statement.target]
    return [target.id for target in targets if isinstance(target, ast.Name)]


def _assignment_kind(statement: ast.Assign | ast.AnnAssign, resolver: Resolver) -> str | None:
    """What a module-level assignment defines, if it matters to the schema checks.

    ``"declarative"`` for ``Base = declarative_base()``, ``"dependency"`` for
    ``SessionDep = Annotated[AsyncSession, Depends(get_session)]``.
    """
    value = statement.value
    if isinstance(value, ast.Call) and resolver.resolve(value.func) in DECLARATIVE_FACTORIES:
        return "declarative"
    if value is not None and any(
        _call_name(item) in DEPENDENCY_MARKERS for item in annotation_metadata(value)
    ):
        return "dependency"
    return None


def _route_functions(tree: ast.Module) -> Iterator[ast.FunctionDef | ast.AsyncFunctionDef]:
    """Top-level functions and methods of top-level classes (class-based views)."""
    for statement in top_level_statements(tree.body):
        if isinstance(statement, ast.FunctionDef | ast.AsyncFunctionDef):
            yield statement
        elif isinstance(statement, ast.ClassDef):
            for item in statement.body:
                if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef):
                    yield item


def _route_decorator(
    function: ast.FunctionDef | ast.AsyncFunctionDef, resolver: Resolver, project: ProjectFacts
) -> tuple[str, ast.Call] | None:
    """``(owner, decorator call)`` when ``function`` is a route of an app or router."""
    for decorator in function.decorator_list:
        if isinstance(decorator, ast.Call) and isinstance(decorator.func, ast.Attribute):
            owner = resolver.resolve(decorator.func.value)
            if decorator.func.attr in ROUTE_METHODS and owner and is_route_owner(owner, project):
                return owner, decorator
    return None


def _keyword(call: ast.Call, name: str) -> ast.expr | None:
    return next((k.value for k in call.keywords if k.arg == name), None)


def _is_false(node: ast.expr | None) -> bool:
    return isinstance(node, ast.Constant) and node.value is False


def _schema_refs(
    function: ast.FunctionDef | ast.AsyncFunctionDef, decorator: ast.Call, resolver: Resolver
) -> tuple[str, ...]:
    """Every class a route's OpenAPI request and response schemas may contain."""
    found = [
        *resolver.refs(_keyword(decorator, "response_model")),
        *resolver.refs(function.returns),
    ]
    responses = _keyword(decorator, "responses")
    if isinstance(responses, ast.Dict):
        for value in responses.values:
            if isinstance(value, ast.Dict):
                for key, item in zip(value.keys, value.values, strict=True):
                    if isinstance(key, ast.Constant) and key.value == "model":
                        found.extend(resolver.refs(item))
    for argument, default in _parameters(function):
        annotation = argument.annotation
        if annotation is None:
            continue
        markers = {_call_name(item) for item in [default, *annotation_metadata(annotation)]}
        if not markers & DEPENDENCY_MARKERS:
            found.extend(resolver.refs(annotation))
    return tuple(found)


def _parameters(
    function: ast.FunctionDef | ast.AsyncFunctionDef,
) -> list[tuple[ast.arg, ast.expr | None]]:
    """Each parameter with its default (``None`` when it has none)."""
    arguments = function.args
    positional = [*arguments.posonlyargs, *arguments.args]
    defaults: list[ast.expr | None] = [None] * (len(positional) - len(arguments.defaults))
    return [
        *zip(positional, [*defaults, *arguments.defaults], strict=True),
        *zip(arguments.kwonlyargs, arguments.kw_defaults, strict=True),
    ]


@dataclass(frozen=True)
class _Visibility:
    """What hides routes from OpenAPI: apps without a schema and hidden routers or includes."""

    apps: frozenset[str]  # every FastAPI() of the sample
    undocumented_apps: frozenset[str]  # ``FastAPI(openapi_url=None)`` (or ``""``)
    hidden_routers: frozenset[str]  # ``APIRouter(include_in_schema=False)``
    hidden_includes: frozenset[tuple[str, str]]  # ``(owner, router)`` included with it False
    includes: Mapping[str, tuple[str, ...]]  # router -> the apps/routers that include it

    def documented(self, owner: str) -> bool:
        """Whether routes on ``owner`` reach an app that publishes an OpenAPI document.

        A router that reaches no known app at all counts as documented (it may be included in
        a way the facts do not show).
        """
        reached = self._apps_reached(owner, visible_only=False)
        return not reached or bool(self._apps_reached(owner, visible_only=True))

    def _apps_reached(self, owner: str, *, visible_only: bool) -> set[str]:
        found: set[str] = set()
        pending, seen = [owner], set()
        while pending:
            current = pending.pop()
            if current in seen or (visible_only and current in self.hidden_routers):
                continue
            seen.add(current)
            if current in self.apps and (not visible_only or current not in self.undocumented_apps):
                found.add(current)
            pending.extend(
                parent
                for parent in self.includes.get(current, ())
                if not (visible_only and (parent, current) in self.hidden_includes)
            )
        return found


def _visibility(project: ProjectFacts) -> _Visibility:
    """Read which apps publish no OpenAPI document and which routers are hidden from it."""
    undocumented: set[str] = set()
    hidden_routers: set[str] = set()
    hidden_includes: set[tuple[str, str]] = set()
    for facts in project.modules:
        tree = project.trees.get(facts.path)
        if tree is None or not (facts.apps or facts.routers or facts.includes):
            continue
        resolver = Resolver(top_level_imports(tree, facts.module), frozenset())
        for node in walk(tree):
            if isinstance(node, ast.Assign) and isinstance(node.value, ast.Call):
                names = {f"{facts.module}.{name}" for name in _assigned_names(node)}
                kind = resolver.resolve(node.value.func)
                if kind in FASTAPI_APP and _is_blank(_keyword(node.value, "openapi_url")):
                    undocumented.update(names)
                if kind in FASTAPI_ROUTER and _is_false(_keyword(node.value, "include_in_schema")):
                    hidden_routers.update(names)
            elif isinstance(node, ast.Call):
                hidden_includes.update(_hidden_include(node, resolver))
    return _Visibility(
        apps=project.app_names,
        undocumented_apps=frozenset(undocumented),
        hidden_routers=frozenset(hidden_routers),
        hidden_includes=frozenset(hidden_includes),
        includes=_includers(project),
    )


def _includers(project: ProjectFacts) -> dict[str, tuple[str, ...]]:
    """For each router, the apps and routers that ``include_router`` it."""
    includes: dict[str, list[str]] = {}
    for facts in project.modules:
        for include in facts.includes:
            if include.via == "include_router":
                includes.setdefault(include.router, []).append(include.owner)
    return {router: tuple(owners) for router, owners in includes.items()}


def _is_blank(node: ast.expr | None) -> bool:
    """``None`` or ``""``: FastAPI publishes no OpenAPI document for ``openapi_url`` so set."""
    return isinstance(node, ast.Constant) and node.value in (None, "")


def _hidden_include(call: ast.Call, resolver: Resolver) -> list[tuple[str, str]]:
    """``[(owner, router)]`` for ``owner.include_router(router, include_in_schema=False)``."""
    func = call.func
    if not (isinstance(func, ast.Attribute) and func.attr == "include_router" and call.args):
        return []
    if not _is_false(_keyword(call, "include_in_schema")):
        return []
    owner, router = resolver.resolve(func.value), resolver.resolve(call.args[0])
    return [(owner, router)] if owner and router else []


def _route_inputs(
    function: ast.FunctionDef | ast.AsyncFunctionDef, resolver: Resolver
) -> tuple[str, ...]:
    """Types of the parameters that are not dependencies (``Depends``/``Security``)."""
    found: list[str] = []
    for argument, default in _parameters(function):
        annotation = argument.annotation
        if annotation is None:
            continue
        markers = {_call_name(item) for item in [default, *annotation_metadata(annotation)]}
        if markers & DEPENDENCY_MARKERS:
            continue
        found.extend(resolver.types(annotation))
    return tuple(found)


def _closure(classes: Mapping[str, ClassDecl], roots: Iterable[str]) -> frozenset[str]:
    """``roots`` and every class of the sample that inherits from one, at any depth."""
    known = set(roots)
    changed = True
    while changed:
        changed = False
        for decl in classes.values():
            if decl.name not in known and any(base in known for base in decl.bases):
                known.add(decl.name)
                changed = True
    return frozenset(known)


@dataclass(frozen=True)
class SchemaIndex:
    """Every top-level class of a sample, and which are models, settings and ORM classes."""

    classes: Mapping[str, ClassDecl]
    models: frozenset[str]  # Pydantic models and settings (and SQLModel classes)
    settings: frozenset[str]
    orm: frozenset[str]  # SQLAlchemy mapped classes and SQLModel tables
    orm_family: frozenset[str]  # those, their declarative bases and mixins on the bases
    routes: tuple[RouteParams, ...]

    @classmethod
    def of(cls, project: ProjectFacts) -> SchemaIndex:
        """The index of ``project``, built once per sample."""
        return project.cached("schemas.index", lambda: cls.build(project))

    @classmethod
    def build(cls, project: ProjectFacts) -> SchemaIndex:
        """Index ``project`` from its ``ast`` trees."""
        classes: dict[str, ClassDecl] = {}
        declarative: set[str] = set()
        routes: list[RouteParams] = []
        visibility = _visibility(project)
        reexports: dict[str, str] = {}
        for facts in project.modules:
            tree = project.trees.get(facts.path)
            if tree is None:
                continue
            local = frozenset(
                s.name for s in top_level_statements(tree.body) if isinstance(s, ast.ClassDef)
            )
            imports = top_level_imports(tree, facts.module)
            reexports.update(_reexports(tree, facts.module, facts.path))
            resolver = Resolver(imports, local)
            for statement in top_level_statements(tree.body):
                if isinstance(statement, ast.ClassDef):
                    decl = _class_decl(statement, facts.path, facts.module, resolver)
                    classes[decl.name] = decl
                elif (
                    isinstance(statement, ast.Assign | ast.AnnAssign)
                    and _assignment_kind(statement, resolver) == "declarative"
                ):
                    declarative.update(
                        f"{facts.module}.{name}" for name in _assigned_names(statement)
                    )
            for function in _route_functions(tree):
                found = _route_decorator(function, resolver, project)
                if found is None:
                    continue
                owner, decorator = found
                routes.append(
                    RouteParams(
                        facts.path,
                        function.name,
                        _route_inputs(function, resolver),
                        _schema_refs(function, decorator, resolver),
                        documented=not _is_false(_keyword(decorator, "include_in_schema"))
                        and visibility.documented(owner),
                    )
                )
        canonical = _Canonical(reexports, frozenset(classes))
        classes = {name: canonical.decl(decl) for name, decl in classes.items()}
        routes = [canonical.route(route) for route in routes]
        models = _closure(classes, MODEL_ROOTS)
        tables = {decl.name for decl in classes.values() if decl.has_table}
        orm_roots = {*ORM_BASE_CLASSES, *declarative, *tables}
        orm = _closure(classes, orm_roots) - ORM_BASE_CLASSES - declarative
        mapped = frozenset(
            name for name in orm if name in tables or _has_mapped_base(name, classes)
        )
        return cls(
            classes=classes,
            models=models - set(MODEL_ROOTS),
            settings=_closure(classes, SETTINGS_ROOTS) - SETTINGS_ROOTS,
            orm=mapped,
            orm_family=orm,
            routes=tuple(routes),
        )

    def ancestors(self, name: str) -> list[str]:
        """The sample's classes ``name`` inherits from, nearest first (without ``name``)."""
        seen: list[str] = []
        pending = list(self.classes[name].bases) if name in self.classes else []
        while pending:
            base = pending.pop(0)
            if base in self.classes and base not in seen and base != name:
                seen.append(base)
                pending.extend(self.classes[base].bases)
        return seen

    def fields_of(self, name: str) -> list[FieldDecl]:
        """Fields of a class with those it inherits from the sample's classes (own ones win)."""
        merged: dict[str, FieldDecl] = {}
        for owner in [*reversed(self.ancestors(name)), name]:
            decl = self.classes.get(owner)
            if decl is not None:
                merged.update((field.name, field) for field in decl.fields)
        return list(merged.values())

    def attribute_docstrings(self, name: str) -> bool:
        """Whether ``name`` or a base enables ``use_attribute_docstrings``."""
        return any(
            self.classes[owner].attribute_docstrings
            for owner in [name, *self.ancestors(name)]
            if owner in self.classes
        )

    def request_schemas(self) -> frozenset[str]:
        """Models a client sends: route inputs, ``*Create``-style names, their parts and bases.

        A model is a request schema when a route takes it as a parameter that is not a
        dependency, when its name ends with ``Create``, ``Update``, ``In``, ``Request``,
        ``Input`` or ``Patch``, or when a request schema holds it in a field. The bases of
        request schemas count too, since their field declarations are what clients fill in.
        In a sample with routes, a name alone makes a request schema only when the model
        reaches the OpenAPI schema (:meth:`openapi_schemas`): an unused ``ShoppingListIn``
        is sent by no client.
        """
        seeds = {name for route in self.routes for name in route.inputs if name in self.models}
        published = self.openapi_schemas()
        seeds |= {
            name
            for name in self.models
            if last_part(name).endswith(REQUEST_SUFFIXES)
            and name not in self.settings
            and (published is None or name in published)
        }
        found: set[str] = set()
        pending = list(seeds)
        while pending:
            name = pending.pop()
            if name in found:
                continue
            found.add(name)
            for owner in [name, *self.ancestors(name)]:
                if owner in self.models:
                    found.add(owner)
            for field in self.fields_of(name):
                pending.extend(t for t in field.types if t in self.models and t not in found)
        return frozenset(found)

    def openapi_schemas(self) -> frozenset[str] | None:
        """Models that appear in a published OpenAPI document; ``None`` without routes.

        A model reaches OpenAPI when a documented route (not ``include_in_schema=False``, not
        only on apps created with ``openapi_url=None``) takes it as a body or query model,
        declares it as ``response_model``, in ``responses`` or as its return type, at any depth
        of generics (``Page[UserRead]``); then so do the models its fields hold, and the bases
        whose fields it inherits. A name that does not resolve to a class of the sample (a
        re-export through a package ``__init__``) matches the models of that short name.
        """
        if not self.routes:
            return None
        short = _by_short_name(self.models)
        pending: list[str] = []
        for route in self.routes:
            if route.documented:
                pending.extend(route.schema_refs)
        found: set[str] = set()
        while pending:
            ref = pending.pop()
            for name in [ref] if ref in self.models else short.get(last_part(ref), []):
                if name in found:
                    continue
                found.add(name)
                pending.extend(self.ancestors(name))
                for field in self.fields_of(name):
                    if not field.excluded:
                        pending.extend(field.refs)
        return frozenset(found & self.models)


def _reexports(tree: ast.Module, module: str, path: str) -> dict[str, str]:
    """``<module>.<name>`` -> the qualified name the module's imports bind to ``name``.

    Relative imports of a package's ``__init__.py`` are read from the package itself.
    """
    package_module = f"{module}.__init__" if path.endswith("__init__.py") else module
    names = top_level_imports(tree, package_module).names
    return {f"{module}.{name}": target for name, target in names.items()}


@dataclass(frozen=True)
class _Canonical:
    """Names followed through re-exports.

    ``app.schemas.User`` is ``app.schemas.user.User`` when ``app/schemas/__init__.py`` imports
    it from there.
    """

    reexports: Mapping[str, str]  # ``<module>.<name>`` -> what the module's import binds
    classes: frozenset[str]

    def name(self, name: str) -> str:
        """The class a name stands for, following re-exports (a few hops at most)."""
        for _ in range(5):
            if name in self.classes or name not in self.reexports:
                return name
            name = self.reexports[name]
        return name

    def names(self, names: tuple[str, ...]) -> tuple[str, ...]:
        """:meth:`name` of each."""
        return tuple(self.name(name) for name in names)

    def decl(self, decl: ClassDecl) -> ClassDecl:
        """A class with its bases and field types followed through re-exports."""
        fields = tuple(
            replace(field, types=self.names(field.types), refs=self.names(field.refs))
            for field in decl.fields
        )
        return replace(decl, bases=self.names(decl.bases), fields=fields)

    def route(self, route: RouteParams) -> RouteParams:
        """A route with its model names followed through re-exports."""
        return replace(
            route, inputs=self.names(route.inputs), schema_refs=self.names(route.schema_refs)
        )


def _by_short_name(names: Iterable[str]) -> dict[str, list[str]]:
    grouped: dict[str, list[str]] = {}
    for name in names:
        grouped.setdefault(last_part(name), []).append(name)
    return grouped


def _has_mapped_base(name: str, classes: Mapping[str, ClassDecl]) -> bool:
    """Whether a class of the ORM closure is mapped: it or an ancestor declares a table.

    Subclasses of the declarative base without a table (abstract bases, mixins on the base) are
    not models a route could return.
    """
    pending = [name]
    seen: set[str] = set()
    while pending:
        current = pending.pop()
        if current in seen or current not in classes:
            continue
        seen.add(current)
        decl = classes[current]
        if decl.has_table:
            return True
        pending.extend(decl.bases)
    return False
