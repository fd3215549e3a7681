"""mutable-global-state: module-level containers mutated inside functions."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import ClassVar

import libcst as cst

from rulepack.evaluator.checks.ast_facts import ast_dotted, walk
from rulepack.evaluator.checks.base import Case, ModuleCheck, ModuleContext, ProjectFacts
from rulepack.evaluator.checks.facts import string_value
from rulepack.evaluator.checks.imports import dotted
from rulepack.evaluator.checks.schemas.module_bindings import module_bindings, target_names

UPPER_SNAKE = re.compile(r"^_*[A-Z][A-Z0-9_]*$")
CONTAINER_FACTORIES = frozenset(
    {
        "dict",
        "list",
        "set",
        "collections.defaultdict",
        "collections.deque",
        "collections.OrderedDict",
        "collections.Counter",
        "collections.ChainMap",
    }
)
MUTATORS = frozenset(
    {
        "append",
        "appendleft",
        "extend",
        "extendleft",
        "insert",
        "update",
        "pop",
        "popleft",
        "popitem",
        "add",
        "discard",
        "setdefault",
        "clear",
        "remove",
        "sort",
        "reverse",
        "rotate",
    }
)


def _container_kind(value: cst.BaseExpression, resolved: str | None) -> str | None:
    """``"a dict"``/``"a list"``/... when ``value`` builds a mutable container."""
    if isinstance(value, cst.Dict | cst.DictComp):
        return "a dict"
    if isinstance(value, cst.List | cst.ListComp):
        return "a list"
    if isinstance(value, cst.Set | cst.SetComp):
        return "a set"
    if isinstance(value, cst.Call) and resolved in CONTAINER_FACTORIES:
        return f"a {resolved.rsplit('.', 1)[-1]}"
    return None


def _root(node: cst.BaseExpression) -> cst.Name | None:
    """The name under subscripts: ``carts`` for ``carts[user_id][0]``."""
    while isinstance(node, cst.Subscript):
        node = node.value
    return node if isinstance(node, cst.Name) else None


def _local_names(node: cst.CSTNode) -> Iterator[str]:
    """Names bound in a function body (not in nested functions, classes or comprehensions)."""
    for child in node.children:
        if isinstance(child, cst.FunctionDef | cst.ClassDef):
            yield child.name.value
            continue
        if isinstance(child, cst.Lambda | cst.ListComp | cst.SetComp | cst.DictComp):
            continue
        if isinstance(child, cst.GeneratorExp):
            continue
        yield from _bound_by(child)
        yield from _local_names(child)


def _bound_by(node: cst.CSTNode) -> Iterator[str]:
    if isinstance(node, cst.AssignTarget | cst.AnnAssign | cst.AugAssign | cst.For):
        yield from (name.value for name in target_names(node.target))
    elif isinstance(node, cst.AsName):
        yield from (name.value for name in target_names(node.name))
    elif isinstance(node, cst.NamedExpr):
        yield from (name.value for name in target_names(node.target))
    elif isinstance(node, cst.Import | cst.ImportFrom) and not isinstance(
        node.names, cst.ImportStar
    ):
        for alias in node.names:
            if alias.asname is None:
                yield (dotted(alias.name) or "").split(".")[0]


@dataclass
class _Scope:
    """A function being visited; its local names are read on first need (mutations are rare)."""

    node: cst.FunctionDef
    local_names: frozenset[str] | None = None

    @property
    def name(self) -> str:
        """The function's name."""
        return self.node.name.value

    @property
    def local(self) -> frozenset[str]:
        """Names bound in the function (parameters included), minus ``global`` ones."""
        if self.local_names is None:
            params = self.node.params
            every = [*params.posonly_params, *params.params, *params.kwonly_params]
            stars = [p for p in (params.star_arg, params.star_kwarg) if isinstance(p, cst.Param)]
            local = {param.name.value for param in [*every, *stars]}
            local.update(_local_names(self.node.body))
            declared = {item.name.value for g in _globals(self.node.body) for item in g.names}
            self.local_names = frozenset(local - declared)
        return self.local_names


class MutableGlobalState(ModuleCheck):
    """Module-level containers mutated inside functions.

    ## What it does
    Finds module-level names bound to a dict, list or set (a literal, a comprehension, or
    ``dict()``/``list()``/``set()``/``defaultdict()``/``deque()``/``OrderedDict()``/
    ``Counter()``) whose name is not ``UPPER_SNAKE_CASE``, and that a function mutates: item
    assignment or deletion (``carts[user_id] = ...``, ``del cache[key]``) or a mutating method
    (``.append``, ``.update``, ``.pop``, ``.add``, ``.setdefault``, ``.extend``, ``.clear``,
    ``.remove`` ...), also on an item (``carts[user_id].append(...)``). A function that binds
    the name locally (a parameter, an assignment) mutates its own object and is not reported;
    mutation at module level (filling a table at import time) is not reported either, nor is a
    mutation in a function that runs at import time (one called by module-level code, or used
    as a decorator anywhere in the sample: a registry filled while modules load and only read
    afterwards, or a SQLAlchemy ``mapper_configured`` listener), nor in a function that first
    looks the name up by key (``key in cache``,
    ``cache.get(key)``: a memo cache of computed values). Each name is reported once, at its
    first mutation. Rebinding with ``global`` is ruff's
    PLW0603.

    ## Why is this bad?
    Module globals are shared by all concurrent requests, differ between worker processes, leak
    between tests and vanish on restart.
    """

    id = "mutable-global-state"
    summary = "module-level container mutated in a function; keep state in a database or cache"
    good: ClassVar[tuple[Case, ...]] = (
        Case.good(
            "from fastapi import APIRouter\n\nrouter = APIRouter()\n"
            "ALLOWED: set[str] = set()\nitems: list[int] = []\nlookup = {'a': 1}\n"
            "items.append(1)\nlookup.update(b=2)\n\n\n"
            "@router.get('/items')\nasync def list_items(items: list[int]) -> list[int]:\n"
            "    items.append(2)\n    return items\n\n\n"
            "def build() -> dict[str, int]:\n    lookup = {}\n    lookup['x'] = 1\n"
            "    result = [n for n in range(3)]\n    result.append(3)\n    return lookup\n\n\n"
            "def reads() -> int:\n    return lookup['a'] + len(items)\n\n\n"
            "class Cache:\n    items: list[int] = []\n\n"
            "    def add(self, value: int) -> None:\n        self.items.append(value)\n",
            note="parameters and locals that shadow the globals, reads, module-level "
            "mutation, attributes",
        ),
        Case.good(
            "from fastapi import FastAPI, Request\n\nREGISTRY: dict[str, object] = {}\n"
            "counter = 0\n\n\n"
            "def register(name: str):\n    def wrap(fn):\n        REGISTRY[name] = fn\n"
            "        return fn\n\n    return wrap\n\n\n"
            "def outer() -> dict[str, int]:\n    cache: dict[str, int] = {}\n\n"
            "    def fill() -> None:\n        cache['x'] = 1\n\n    fill()\n    return cache\n\n\n"
            "async def handler(request: Request) -> None:\n    global counter\n    counter += 1\n"
            "    request.app.state.items.append(1)\n",
            note="an UPPER_SNAKE registry, a closure over a local, `global` rebinding (ruff's "
            "PLW0603), state on app.state",
        ),
        Case(
            files={
                "app/hooks.py": (
                    "handlers: dict[str, object] = {}\nexporters = []\n\n\n"
                    "def on(event: str):\n    def wrap(fn):\n        handlers[event] = fn\n"
                    "        return fn\n\n    return wrap\n\n\n"
                    "def add_exporter(exporter: object) -> None:\n"
                    "    exporters.append(exporter)\n\n\n"
                    "add_exporter('csv')\n"
                ),
                "app/listeners.py": (
                    "from app import hooks\n\n\n@hooks.on('signup')\n"
                    "def welcome(user: str) -> None:\n    pass\n"
                ),
            },
            hits=0,
            note="registries filled at import time by a decorator used in another module and "
            "by a module-level call",
        ),
        Case.good(
            "import re\n\n_patterns: dict[str, re.Pattern[str]] = {}\n\n\n"
            "def compiled(expression: str) -> re.Pattern[str]:\n"
            "    if expression not in _patterns:\n"
            "        _patterns[expression] = re.compile(expression)\n"
            "    return _patterns[expression]\n\n\n"
            "slugs = {}\n\n\n"
            "def slug_of(title: str) -> str:\n    found = slugs.get(title)\n"
            "    if found is None:\n        found = slugs[title] = title.lower()\n"
            "    return found\n",
            note="memo caches looked up by key before they are filled",
        ),
        Case.good(
            "from sqlalchemy import event\nfrom sqlalchemy.orm import Mapper\n\n"
            "tagged_models: set[type] = set()\n\n\n"
            "@event.listens_for(Mapper, 'mapper_configured')\n"
            "def remember(mapper: Mapper, class_: type) -> None:\n"
            "    tagged_models.add(class_)\n",
            note="a registry of model classes filled while SQLAlchemy configures its mappers",
        ),
    )
    bad: ClassVar[tuple[Case, ...]] = (
        Case.bad(
            "from fastapi import APIRouter\n\nrouter = APIRouter(prefix='/carts', tags=['carts'])\n"
            "carts: dict[int, list[int]] = {}\nrequest_count = 0\n\n\n"
            "@router.post('/{user_id}/items/{item_id}')\n"
            "async def add_item(user_id: int, item_id: int) -> list[int]:\n"
            "    global request_count\n    request_count += 1\n"
            "    carts.setdefault(user_id, []).append(item_id)\n    return carts[user_id]\n",
        ),
        Case.bad(
            "import collections\nfrom collections import defaultdict as dd\n\n"
            "_sessions = dd(list)\nhistory = collections.deque(maxlen=10)\n"
            "seen = {n for n in range(3)}\ncache = dict()\n\n\n"
            "class Service:\n    def remember(self, key: str, value: int) -> None:\n"
            "        _sessions[key].append(value)\n        history.append(key)\n"
            "        cache[key] = value\n        cache[key] = value\n\n"
            "    async def forget(self, key: str) -> None:\n        def inner() -> None:\n"
            "            seen.discard(key)\n        inner()\n        del cache[key]\n",
            hits=4,
            note="aliased factories, a method, an item's method, a nested function: one report "
            "per name",
        ),
    )

    def __init__(self, context: ModuleContext) -> None:
        """Start with no candidates and no scopes."""
        super().__init__(context)
        self.containers: dict[str, str] = {}  # name -> kind
        self.scopes: list[_Scope] = []
        self.reported: set[str] = set()
        self.import_time: set[str] | frozenset[str] = frozenset()

    def visit_Module(self, node: cst.Module) -> None:
        """Collect module-level names bound to mutable containers.

        Also learn which functions run at import time: those called in module-level code and
        those used as decorators anywhere in the sample.
        """
        self.import_time = set(_import_time_calls(node)) | self.context.project.cached(
            "schemas.decorator_names", lambda: decorator_names(self.context.project)
        )
        for name, statement in module_bindings(node.body):
            value = getattr(statement, "value", None)
            if not isinstance(value, cst.BaseExpression) or isinstance(statement, cst.AugAssign):
                continue
            kind = _container_kind(value, self._factory(value))
            if kind is None or name.value.startswith("__") or UPPER_SNAKE.match(name.value):
                continue
            self.containers.setdefault(name.value, kind)

    def _factory(self, value: cst.BaseExpression) -> str | None:
        """The qualified name of a call's function; builtins keep their bare name."""
        if not isinstance(value, cst.Call):
            return None
        func = value.func
        if isinstance(func, cst.Name) and func.value not in self.context.imports.names:
            return func.value
        return self.qualified(func)

    # -- scopes --------------------------------------------------------------------------------

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        """Enter a function."""
        self.scopes.append(_Scope(node))

    def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
        """Leave a function."""
        self.scopes.pop()

    def _global_container(self, name: cst.Name | None) -> str | None:
        """The kind of a module container that ``name`` refers to in the current function."""
        if name is None or not self.scopes or name.value not in self.containers:
            return None
        if any(name.value in scope.local for scope in self.scopes):
            return None
        return self.containers[name.value]

    def _mutated(self, node: cst.CSTNode, name: cst.Name | None) -> None:
        kind = self._global_container(name)
        if kind is None or name is None or name.value in self.reported:
            return
        if self.scopes[0].name in self.import_time or _configuration_hook(self.scopes[0].node):
            return  # a registry filled while modules are imported, read afterwards
        if _is_memo(name.value, self.scopes[-1].node):
            return  # a memo cache: looked up by key before it is filled
        self.reported.add(name.value)
        self.report(
            node,
            f"module-level `{name.value}` ({kind}) is mutated in `{self.scopes[-1].name}`; "
            "it is shared by all requests and differs between workers: keep the data in a "
            "database or cache, or create it in the lifespan and pass it with Depends()",
        )

    # -- mutations -----------------------------------------------------------------------------

    def visit_Call(self, node: cst.Call) -> None:
        """``name.append(...)``, ``name[key].add(...)``."""
        func = node.func
        if isinstance(func, cst.Attribute) and func.attr.value in MUTATORS:
            self._mutated(node, _root(func.value))

    def visit_AssignTarget(self, node: cst.AssignTarget) -> None:
        """``name[key] = value``."""
        if isinstance(node.target, cst.Subscript):
            self._mutated(node.target, _root(node.target))

    def visit_AugAssign(self, node: cst.AugAssign) -> None:
        """``name[key] += 1``."""
        if isinstance(node.target, cst.Subscript):
            self._mutated(node.target, _root(node.target))

    def visit_Del(self, node: cst.Del) -> None:
        """``del name[key]``."""
        targets = node.target.elements if isinstance(node.target, cst.Tuple) else None
        for target in [e.value for e in targets] if targets else [node.target]:
            if isinstance(target, cst.Subscript):
                self._mutated(target, _root(target))


def decorator_names(project: ProjectFacts) -> frozenset[str]:
    """Last names of every decorator of the sample (``register`` for ``@hooks.register()``)."""
    found: set[str] = set()
    for tree in project.trees.values():
        for item in walk(tree):
            if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                for decorator in item.decorator_list:
                    func = decorator.func if isinstance(decorator, ast.Call) else decorator
                    name = ast_dotted(func)
                    if name is not None:
                        found.add(name.rsplit(".", 1)[-1])
    return frozenset(found)


def _import_time_calls(node: cst.CSTNode) -> Iterator[str]:
    """Names of functions called by module-level code (outside every function body)."""
    if isinstance(node, cst.Call):
        func = node.func
        if isinstance(func, cst.Name):
            yield func.value
        elif isinstance(func, cst.Attribute):
            yield func.attr.value
    for child in node.children:
        if isinstance(node, cst.FunctionDef) and child is node.body:
            continue
        yield from _import_time_calls(child)


CONFIGURATION_EVENTS = frozenset(
    {"mapper_configured", "before_configured", "after_configured", "instrument_class"}
)


def _configuration_hook(function: cst.FunctionDef) -> bool:
    """``@event.listens_for(Mapper, "mapper_configured")``: runs while models are configured."""
    for decorator in function.decorators:
        call = decorator.decorator
        if not isinstance(call, cst.Call) or (dotted(call.func) or "").rsplit(".", 1)[-1] != (
            "listens_for"
        ):
            continue
        if any(string_value(argument.value) in CONFIGURATION_EVENTS for argument in call.args):
            return True
    return False


def _is_memo(name: str, function: cst.FunctionDef) -> bool:
    """Whether ``function`` looks ``name`` up by key (``key in name``, ``name.get(key)``)."""
    return any(_key_lookups(function.body, name))


def _key_lookups(node: cst.CSTNode, name: str) -> Iterator[bool]:
    if isinstance(node, cst.ComparisonTarget) and isinstance(node.operator, cst.In | cst.NotIn):
        comparator = node.comparator
        if isinstance(comparator, cst.Name) and comparator.value == name:
            yield True
    if isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute):
        owner = node.func.value
        if node.func.attr.value == "get" and isinstance(owner, cst.Name) and owner.value == name:
            yield True
    for child in node.children:
        yield from _key_lookups(child, name)


def _globals(node: cst.CSTNode) -> Iterator[cst.Global]:
    """``global`` statements of a function body (not of nested functions)."""
    for child in node.children:
        if isinstance(child, cst.Global):
            yield child
        elif not isinstance(child, cst.FunctionDef | cst.ClassDef):
            yield from _globals(child)
