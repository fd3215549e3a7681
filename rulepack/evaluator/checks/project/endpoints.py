"""Endpoints the tests call, the routes they match, and which tests exercise error cases.

Tests are read with ``ast``. A call ``<client>.<method>(<path>, ...)`` in a test file counts when
its path evaluates to text that starts with ``/`` or ``http``: string literals, f-strings (a
formatted part becomes a wildcard segment, a leading one an unknown prefix), ``+``
concatenation, ``"...".format()``, module constants and names assigned in the same function.
A path the check cannot evaluate falls back to every path-like literal of the enclosing function
and its decorators (``parametrize`` lists, loops over literal paths). ``url_path_for("name")``
matches routes by name: the handler's function name or the ``name=`` of its decorator.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from http import HTTPStatus

from rulepack.evaluator.checks.ast_facts import walk
from rulepack.evaluator.checks.base import ProjectFacts
from rulepack.evaluator.checks.facts import ResolvedRoute, RouteFact, RouterFact, Span
from rulepack.evaluator.checks.imports import ImportMap
from rulepack.evaluator.checks.project.support import (
    ast_span,
    context_test_trees,
    imports_of,
    is_test_path,
    module_constants,
    qualified,
    string_constants,
)
from rulepack.evaluator.checks.runner import module_name_for

HTTP_METHODS = frozenset({"get", "post", "put", "patch", "delete", "head", "options"})
CLIENT_METHODS = HTTP_METHODS | {"request", "stream", "websocket_connect"}
WILDCARD = "\x00"
MAX_DEPTH = 4
ERROR_RANGE = range(400, 600)  # client and server errors
ERROR_NAMES = frozenset(s.name for s in HTTPStatus if s.value in ERROR_RANGE)
ERROR_CONSTANT = re.compile(r"^HTTP_[45]\d\d")
# Test names that say the test exercises a failure or an edge case.
EDGE_CASE_NAME = re.compile(
    r"empty|past_end|beyond|boundary|limit|exceed|too_(many|long|large|short|big|small)|invalid"
    r"|missing|without|unauthori[sz]ed|unauthenticated|forbidden|not_found|nonexist|not_exist"
    r"|does_not|duplicate|conflict|error|fail|reject|negative|zero|expired|wrong|malformed"
)
STATUS_WORDS = ("status", "code", "expect", "assert")
FunctionNode = ast.FunctionDef | ast.AsyncFunctionDef


@dataclass(frozen=True)
class PathPattern:
    """A path a test calls: segments (``None`` = any one segment), maybe after an unknown prefix."""

    segments: tuple[str | None, ...]
    open_prefix: bool


@dataclass(frozen=True)
class EndpointCall:
    """One call of an endpoint in a test file."""

    path: str
    span: Span
    method: str | None  # lower case; ``None`` when unknown
    patterns: tuple[PathPattern, ...]  # several when the path fell back to the function's literals
    route_names: tuple[str, ...]  # ``url_path_for("name")``: the route names it may stand for
    function: str | None  # ``module:Class.function`` of the enclosing function, if any
    text: str  # the path as written, for messages


@dataclass(frozen=True)
class RouteTarget:
    """A route of the sample and the path the tests must call."""

    route: RouteFact
    module_path: str
    segments: tuple[str, ...]  # ``{param}`` segments kept as written
    open_prefix: bool  # only the tail of the path is known (a computed prefix above it)
    display: str
    names: frozenset[str] = frozenset()  # the handler's name and any ``name=`` of its decorator

    def matches(self, call: EndpointCall) -> bool:
        """Whether ``call`` calls this route."""
        if call.route_names:
            return not self.names.isdisjoint(call.route_names)
        if not _method_matches(self.route.method, call.method):
            return False
        return any(self._path_matches(pattern) for pattern in call.patterns)

    def _path_matches(self, pattern: PathPattern) -> bool:
        route, called = self.segments, pattern.segments
        if pattern.open_prefix and any(
            _sequence_matches(route[k:], called, strict=True) for k in range(len(route) + 1)
        ):
            return True
        if self.open_prefix and any(
            _sequence_matches(route, called[k:], strict=True) for k in range(len(called) + 1)
        ):
            return True
        return _sequence_matches(route, called, strict=self.open_prefix or pattern.open_prefix)


def _method_matches(route_method: str, called: str | None) -> bool:
    if called is None or route_method == "api_route":
        return True
    if route_method == "websocket":
        return called == "websocket_connect"
    return route_method == called


def _sequence_matches(
    route: tuple[str, ...], called: tuple[str | None, ...], *, strict: bool = False
) -> bool:
    """Segment-wise match; ``{name:path}`` takes the rest, ``{name}`` any one segment.

    A formatted part of the call (``None``) matches any segment, or, when ``strict`` (only the
    tail of one side is aligned with the other), only a path parameter: otherwise the last
    segments of ``f"{prefix}/groups/{group_id}"`` would match every route ending ``/x/y``.
    """
    if not route:
        return not called
    head = route[0]
    if head.startswith("{") and head.endswith(":path}"):
        return True
    if not called:
        return False
    segment = called[0]
    literal = "{" not in head
    if literal and (head != segment if segment is not None else strict):
        return False
    return _sequence_matches(route[1:], called[1:], strict=strict)


def split_path(path: str) -> tuple[str, ...]:
    """Non-empty segments of a route path (a trailing slash does not matter)."""
    return tuple(part for part in path.split("/") if part)


def route_targets(project: ProjectFacts) -> list[RouteTarget]:
    """Every route outside the tests, once per distinct full path it is served at."""
    routers = {router.name: router for module in project.modules for router in module.routers}
    names = _route_names(project)
    own = project.cached("endpoints.own-router-prefixes", lambda: _own_router_prefixes(project))
    targets: dict[tuple[str, RouteFact, str], RouteTarget] = {}
    for resolved in project.routes():
        if is_test_path(resolved.module_path):
            continue
        target = _target(_with_own_prefix(resolved, routers, own), routers)
        if target is not None:
            route = resolved.route
            extra = names.get((resolved.module_path, route.span.line), frozenset())
            target = replace(target, names=frozenset({route.function, *extra}))
            targets.setdefault((resolved.module_path, route, target.display), target)
    return list(targets.values())


def _route_names(project: ProjectFacts) -> dict[tuple[str, int], frozenset[str]]:
    """``name=`` values of route decorators, by module and ``def`` line."""
    found: dict[tuple[str, int], frozenset[str]] = {}
    for module in project.modules:
        tree = project.trees.get(module.path)
        lines = {route.span.line for route in module.routes}
        if tree is None or not lines:
            continue
        for node in walk(tree):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.lineno in lines:
                values = {
                    keyword.value.value
                    for decorator in node.decorator_list
                    if isinstance(decorator, ast.Call)
                    for keyword in decorator.keywords
                    if keyword.arg == "name"
                    and isinstance(keyword.value, ast.Constant)
                    and isinstance(keyword.value.value, str)
                }
                found[(module.path, node.lineno)] = frozenset(values)
    return found


def _own_router_prefixes(project: ProjectFacts) -> dict[str, str]:
    """Literal prefixes of routers built by a class the facts do not know as ``APIRouter``.

    A project's own router class (``router = APIRouter(prefix="/grants")`` where ``APIRouter``
    is ``polar.routing.APIRouter``, or a ``UserAPIRouter`` subclass) is still mounted by
    ``include_router``, but its own prefix would be lost: ``{qualified name: prefix}``.
    """
    found: dict[str, str] = {}
    for module in project.modules:
        tree = project.trees.get(module.path)
        if tree is None or is_test_path(module.path):
            continue
        for statement in tree.body:
            if not (
                isinstance(statement, ast.Assign)
                and len(statement.targets) == 1
                and isinstance(statement.targets[0], ast.Name)
                and isinstance(statement.value, ast.Call)
            ):
                continue
            func = statement.value.func
            called = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
            prefix = next(
                (
                    k.value.value
                    for k in statement.value.keywords
                    if k.arg == "prefix"
                    and isinstance(k.value, ast.Constant)
                    and isinstance(k.value.value, str)
                ),
                None,
            )
            if called.endswith("Router") and prefix is not None:
                found[f"{module.module}.{statement.targets[0].id}"] = prefix
    return found


def _with_own_prefix(
    resolved: ResolvedRoute, routers: dict[str, RouterFact], own: dict[str, str]
) -> ResolvedRoute:
    """The route with its router's own prefix put back when the facts did not know the router."""
    route, full = resolved.route, resolved.full_path
    prefix = own.get(route.owner)
    if prefix is None or route.owner in routers or full is None or route.path is None:
        return resolved
    if not full.endswith(route.path):
        return resolved
    composed = f"{full[: len(full) - len(route.path)]}{prefix}{route.path}"
    return replace(resolved, full_path=composed)


def _target(resolved: ResolvedRoute, routers: dict[str, RouterFact]) -> RouteTarget | None:
    """The path of a route; only its tail when a prefix is computed or the router not mounted."""
    route = resolved.route
    if resolved.full_path is not None:
        path = resolved.full_path or "/"
        shown = path if resolved.mounted else f"…{path}"
        return RouteTarget(
            route, resolved.module_path, split_path(path), not resolved.mounted, shown
        )
    if route.path is None:
        return None
    router = routers.get(route.owner)
    prefix = router.prefix if router is not None and router.prefix not in {None, "?"} else ""
    tail = f"{prefix}{route.path}"
    return RouteTarget(
        route, resolved.module_path, split_path(tail), open_prefix=True, display=f"…{tail}"
    )


def _pattern(text: str) -> PathPattern | None:
    """The pattern of an evaluated path (``WILDCARD`` marks formatted parts)."""
    text = re.sub(r"^https?://[^/]*", "", text)
    open_prefix = text.startswith(WILDCARD)
    if open_prefix:
        text = text.lstrip(WILDCARD)
    if not text.startswith("/") and not (open_prefix and (not text or text[0] in "/?")):
        return None
    text = re.split(r"[?#]", text, maxsplit=1)[0]
    segments = tuple(None if WILDCARD in part else part for part in text.split("/") if part)
    if open_prefix and not any(segment is not None for segment in segments):
        return None  # ``f"{url}"``: nothing known about the path
    return PathPattern(segments, open_prefix)


@dataclass(frozen=True)
class PathHelpers:
    """Paths that test helper modules define for other tests to import.

    ``constants`` maps qualified names of module-level strings (``tests.utils.routes.users =
    "/api/users"``) to their text; ``builders`` maps qualified names of functions that return
    a path (``def user_item(user_id): return f"{prefix}/users/{user_id}"``) to that path, with
    ``WILDCARD`` for their parameters.
    """

    constants: Mapping[str, str] = field(default_factory=dict)
    builders: Mapping[str, str] = field(default_factory=dict)


NO_HELPERS = PathHelpers()


class PathEvaluator:
    """Evaluate path expressions of one function to text with wildcards."""

    def __init__(
        self,
        constants: dict[str, str],
        local: dict[str, ast.expr],
        imports: ImportMap | None = None,
        helpers: PathHelpers = NO_HELPERS,
        members: Mapping[str, str] | None = None,
        functions: Mapping[str, FunctionNode] | None = None,
    ) -> None:
        """Evaluate with module ``constants`` and a function's ``local`` single assignments.

        With ``imports``, a name or attribute imported from a test helper module, and a call of
        a helper function that builds a path, evaluate to the path ``helpers`` hold for them.
        ``members`` are the paths ``cls.<name>``/``self.<name>`` hold in a class's method, and
        ``functions`` the module's own one-line path builders (``def v1(route): return ...``).
        """
        self.constants = constants
        self.local = local
        self.imports = imports
        self.helpers = helpers
        self.members: Mapping[str, str] = members or {}
        self.functions: Mapping[str, FunctionNode] = functions or {}

    def _imported(self, node: ast.expr, table: Mapping[str, str]) -> str | None:
        """The helper path of an imported ``Name``/``Attribute`` chain, if any."""
        if self.imports is None or not table:
            return None
        name = qualified(self.imports, node)
        return table.get(name) if name is not None else None

    def text(self, node: ast.expr, depth: int = 0) -> str | None:
        """The text of ``node`` with ``WILDCARD`` for unknown parts, or ``None``."""
        result: str | None = None
        if depth > MAX_DEPTH:
            return result
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            result = node.value
        elif isinstance(node, ast.JoinedStr):
            result = "".join(self._part(value, depth) for value in node.values)
        elif isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
            left, right = self.text(node.left, depth + 1), self.text(node.right, depth + 1)
            result = None if left is None else left + (right if right is not None else WILDCARD)
        elif isinstance(node, ast.Name):
            local = self.local.get(node.id)
            result = self.constants.get(node.id) if local is None else self.text(local, depth + 1)
            if result is None and local is None:
                result = self._imported(node, self.helpers.constants)
        elif isinstance(node, ast.Attribute):
            owner = node.value
            if isinstance(owner, ast.Name) and owner.id in {"cls", "self"}:
                result = self.members.get(node.attr)
            else:
                result = self._imported(node, self.helpers.constants)
        elif isinstance(node, ast.Call):
            result = self._call_text(node, depth)
        return result

    def _call_text(self, node: ast.Call, depth: int) -> str | None:
        """``"/users/{}".format(x)`` or a helper function that builds a path."""
        if isinstance(node.func, ast.Attribute) and node.func.attr == "format":
            template = self.text(node.func.value, depth + 1)
            return re.sub(r"\{[^{}]*\}", WILDCARD, template) if template is not None else None
        if isinstance(node.func, ast.Name) and node.func.id in self.functions:
            return self._local_call(self.functions[node.func.id], node, depth)
        return self._imported(node.func, self.helpers.builders)

    def _local_call(self, function: FunctionNode, call: ast.Call, depth: int) -> str | None:
        """The path a module's own one-line builder returns for the call's arguments."""
        body = returned(function)
        if body is None:
            return None
        bound = dict(self.constants)
        for parameter, argument in zip(function.args.args, call.args, strict=False):
            value = self.text(argument, depth + 1)
            if value is None:
                bound.pop(parameter.arg, None)
            else:
                bound[parameter.arg] = value
        inner = PathEvaluator(bound, {}, self.imports, self.helpers, self.members, self.functions)
        return inner.text(body, depth + 1)

    def _part(self, value: ast.expr, depth: int) -> str:
        if isinstance(value, ast.Constant) and isinstance(value.value, str):
            return value.value
        if isinstance(value, ast.FormattedValue):
            inner = self.text(value.value, depth + 1)
            return inner if inner is not None else WILDCARD
        return WILDCARD


def _parameter_member(argument: ast.expr, function: FunctionNode | None) -> str | None:
    """``item`` for ``route.item(...)`` or ``route.item`` when ``route`` is a test parameter."""
    node = argument.func if isinstance(argument, ast.Call) else argument
    if function is None or not isinstance(node, ast.Attribute):
        return None
    parameters = {a.arg for a in [*function.args.args, *function.args.kwonlyargs]}
    owner = node.value
    return node.attr if isinstance(owner, ast.Name) and owner.id in parameters else None


def _evaluated(text: str | None) -> PathPattern | None:
    """The pattern of an evaluated path argument, when it looks like a path or URL."""
    return _pattern(text) if text is not None and text.startswith(("/", "http", WILDCARD)) else None


def _local_assignments(function: ast.AST) -> dict[str, ast.expr]:
    """Names assigned exactly once in a function, and the expressions they hold."""
    return {name: values[0] for name, values in _assignments(function).items() if len(values) == 1}


def _assignments(function: ast.AST) -> dict[str, list[ast.expr]]:
    """Every expression each name of a function is assigned (``if``/``else`` branches ...)."""
    seen: dict[str, list[ast.expr]] = {}
    for node in ast.walk(function):
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target = node.targets[0]
            if isinstance(target, ast.Name):
                seen.setdefault(target.id, []).append(node.value)
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.value:
            seen.setdefault(node.target.id, []).append(node.value)
    return seen


def _path_literals(function: ast.AST, evaluator: PathEvaluator) -> tuple[PathPattern, ...]:
    """Path-like literals of a function and its decorators (the fallback for unknown paths).

    Paths imported from a helper module count too (``for route in (paths.a, paths.b):``).
    """
    found: list[PathPattern] = []
    for node in ast.walk(function):
        if isinstance(node, ast.Constant | ast.JoinedStr | ast.Attribute):
            text = evaluator.text(node)
            pattern = _pattern(text) if text and text.startswith(("/", "http")) else None
            if pattern is not None and pattern not in found:
                found.append(pattern)
    return tuple(found)


@dataclass
class _TestModule:
    """The endpoint calls and error-case tests of one test file."""

    path: str
    tree: ast.Module
    imports: ImportMap
    calls: list[EndpointCall]
    error_tests: set[str]  # functions that test an error or an edge case
    helpers: PathHelpers = NO_HELPERS  # paths imported from test helper modules
    functions: Mapping[str, FunctionNode] = field(default_factory=dict)  # module-level builders
    class_paths: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # route classes

    @classmethod
    def read(cls, path: str, tree: ast.Module, helpers: PathHelpers = NO_HELPERS) -> _TestModule:
        module = cls(path, tree, imports_of(path, tree), [], set())
        module.helpers = helpers
        module.functions = {
            node.name: node for node in tree.body if isinstance(node, ast.FunctionDef)
        }
        constants = module_constants(tree)
        evaluator = PathEvaluator(constants, {}, module.imports, helpers, None, module.functions)
        module.class_paths = route_class_paths(tree, evaluator)
        module._scan(tree, None, evaluator, constants, "")
        return module

    def _scan(
        self,
        scope: ast.AST,
        function: ast.FunctionDef | ast.AsyncFunctionDef | None,
        evaluator: PathEvaluator,
        constants: dict[str, str],
        owner: str,
    ) -> None:
        for node in ast.iter_child_nodes(scope):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                name = f"{owner}{node.name}"
                inner = PathEvaluator(
                    constants,
                    _local_assignments(node),
                    self.imports,
                    self.helpers,
                    None,
                    self.functions,
                )
                self._scan(node, node, inner, constants, f"{name}.")
                if tests_error_case(node, self.imports):
                    self.error_tests.add(self._key(name))
                continue
            if isinstance(node, ast.ClassDef):
                self._scan(node, function, evaluator, constants, f"{owner}{node.name}.")
                continue
            if isinstance(node, ast.Call):
                call = self._call(node, function, evaluator, owner.rstrip("."))
                if call is not None:
                    self.calls.append(call)
            self._scan(node, function, evaluator, constants, owner)

    def _key(self, name: str) -> str:
        return f"{self.path}:{name}"

    def _call(
        self,
        node: ast.Call,
        function: ast.FunctionDef | ast.AsyncFunctionDef | None,
        evaluator: PathEvaluator,
        owner: str,
    ) -> EndpointCall | None:
        func = node.func
        if not isinstance(func, ast.Attribute):
            return None
        key = self._key(owner) if function is not None else None
        if func.attr in {"url_path_for", "url_for"} and node.args:
            names = self._route_names(node.args[0], function, evaluator)
            shown = ast.unparse(node)
            return (
                EndpointCall(self.path, ast_span(node), None, (), names, key, shown)
                if names
                else None
            )
        if func.attr not in CLIENT_METHODS:
            return None
        method, argument = self._method_and_path(node, func.attr, evaluator)
        patterns = self._patterns(argument, function, evaluator) if argument is not None else ()
        if argument is None or not patterns:
            return None
        shown = ast.unparse(argument)
        return EndpointCall(self.path, ast_span(node), method, patterns, (), key, shown)

    @staticmethod
    def _route_names(
        argument: ast.expr,
        function: ast.FunctionDef | ast.AsyncFunctionDef | None,
        evaluator: PathEvaluator,
    ) -> tuple[str, ...]:
        """The route names a ``url_path_for`` argument may stand for.

        A name held in a variable (a ``parametrize`` argument) may be any string literal of the
        test and its decorators.
        """
        name = evaluator.text(argument)
        if name is not None:
            return (name,)
        if function is None or not isinstance(argument, ast.Name):
            return ()
        return tuple(dict.fromkeys(string_constants(function)))

    def _patterns(
        self,
        argument: ast.expr,
        function: ast.FunctionDef | ast.AsyncFunctionDef | None,
        evaluator: PathEvaluator,
    ) -> tuple[PathPattern, ...]:
        """The path patterns a call's path argument may stand for."""
        text = evaluator.text(argument)
        if text is None:
            member = _parameter_member(argument, function)
            if member is not None:  # ``route.item(1)`` with ``route`` a parametrized class
                found = [_evaluated(text) for text in self.class_paths.get(member, ())]
                return tuple(dict.fromkeys(pattern for pattern in found if pattern is not None))
            if function is None or not isinstance(argument, ast.Name):
                return ()
            branches = _assignments(function).get(argument.id, [])
            found = [_evaluated(evaluator.text(value)) for value in branches]
            known = tuple(dict.fromkeys(pattern for pattern in found if pattern is not None))
            return known + _path_literals(function, evaluator)
        pattern = _evaluated(text)
        return (pattern,) if pattern is not None else ()

    @staticmethod
    def _method_and_path(
        node: ast.Call, attr: str, evaluator: PathEvaluator
    ) -> tuple[str | None, ast.expr | None]:
        keyword = next((k.value for k in node.keywords if k.arg in {"url", "path"}), None)
        if attr in {"request", "stream"}:
            method_node = node.args[0] if node.args else None
            method = evaluator.text(method_node) if method_node is not None else None
            path = node.args[1] if len(node.args) > 1 else keyword
            return (method.lower() if method else None), path
        return attr, (node.args[0] if node.args else keyword)


def tests_error_case(function: ast.FunctionDef | ast.AsyncFunctionDef, imports: ImportMap) -> bool:
    """Whether a test exercises an error or an edge case.

    It does when its name says so (``..._when_offset_is_past_end``, ``..._invalid_...``) or it
    expects an error status: ``status.HTTP_4xx_*``/``HTTP_5xx_*``, ``HTTPStatus``/``httpx.codes``
    error members, ``.is_client_error``/``.is_server_error``, ``pytest.raises``, or a 4xx/5xx
    integer in a comparison, in a status helper's arguments or in a ``parametrize`` decorator.
    """
    if EDGE_CASE_NAME.search(function.name.lower()):
        return True
    for decorator in function.decorator_list:
        if "parametrize" in ast.unparse(decorator) and any(
            _is_error_int(node) for node in ast.walk(decorator)
        ):
            return True
    return any(_expects_error(node, imports) for node in ast.walk(function))


def _expects_error(node: ast.AST, imports: ImportMap) -> bool:
    """Whether one node of a test names or compares against an error status."""
    if isinstance(node, ast.Attribute):
        return _is_error_name(node)
    if isinstance(node, ast.Name):
        return bool(ERROR_CONSTANT.match(node.id))
    if isinstance(node, ast.Call):
        return qualified(imports, node.func) == "pytest.raises" or _status_argument(node)
    if isinstance(node, ast.Compare):
        sides = [node.left, *node.comparators]
        items = [
            item
            for side in sides
            if isinstance(side, ast.Tuple | ast.List | ast.Set)
            for item in side.elts
        ]
        return any(_is_error_int(side) for side in [*sides, *items])
    return False


def _is_error_int(node: ast.AST) -> bool:
    return (
        isinstance(node, ast.Constant)
        and isinstance(node.value, int)
        and not isinstance(node.value, bool)
        and node.value in ERROR_RANGE
    )


def _is_error_name(node: ast.Attribute) -> bool:
    if ERROR_CONSTANT.match(node.attr) or node.attr in {"is_client_error", "is_server_error"}:
        return True
    owner = ast.unparse(node.value).rsplit(".", 1)[-1]
    return owner in {"HTTPStatus", "codes", "status_codes"} and node.attr.upper() in ERROR_NAMES


def _status_argument(call: ast.Call) -> bool:
    """An error status passed to a helper (``assert_status(r, 404)``, ``expected=404``)."""
    name = ast.unparse(call.func).lower()
    if any(word in name for word in STATUS_WORDS) and any(_is_error_int(arg) for arg in call.args):
        return True
    return any(
        keyword.arg is not None
        and any(word in keyword.arg.lower() for word in STATUS_WORDS)
        and _is_error_int(keyword.value)
        for keyword in call.keywords
    )


def path_helpers(project: ProjectFacts) -> PathHelpers:
    """The path constants and path-building functions test modules define at module level."""
    constants: dict[str, str] = {}
    builders: dict[str, str] = {}
    for path, tree in sorted(project.trees.items()):
        if not is_test_path(path):
            continue
        module = module_name_for(path)
        local = module_constants(tree)
        evaluator = PathEvaluator(local, {})
        for name, text in local.items():
            if text.startswith("/"):
                constants[f"{module}.{name}"] = text
        for statement in tree.body:
            built = _built_path(statement, evaluator)
            if built is not None and isinstance(statement, ast.FunctionDef | ast.AsyncFunctionDef):
                builders[f"{module}.{statement.name}"] = built
    return PathHelpers(constants, builders)


def returned(function: FunctionNode) -> ast.expr | None:
    """The expression a function returns, when its body (docstring aside) is one ``return``."""
    body = [
        node
        for node in function.body
        if not (isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant))
    ]
    if len(body) != 1 or not isinstance(body[0], ast.Return):
        return None
    return body[0].value


def _built_path(statement: ast.stmt, evaluator: PathEvaluator) -> str | None:
    """The path a module-level function returns, when its body is one ``return <path>``."""
    if not isinstance(statement, ast.FunctionDef | ast.AsyncFunctionDef):
        return None
    body = returned(statement)
    text = evaluator.text(body) if body is not None else None
    return text if text is not None and text.startswith("/") else None


def route_class_paths(tree: ast.Module, evaluator: PathEvaluator) -> dict[str, tuple[str, ...]]:
    """Paths that a test module's route classes hold, by member name.

    Parametrized tests often take a class per resource (``class Tags(RoutesBase): base =
    v1("/tags")`` with ``def item(cls, item_id): return f"{cls.base}/{item_id}"``) and call
    ``client.get(route.item(1))``: each class's attributes and one-line methods are evaluated
    with its own (and inherited) attributes.
    """
    classes = {node.name: node for node in tree.body if isinstance(node, ast.ClassDef)}
    bases = {
        base.id for node in classes.values() for base in node.bases if isinstance(base, ast.Name)
    }
    found: dict[str, list[str]] = {}
    for name in classes.keys() - bases:  # the concrete classes, not their shared bases
        for member, text in _class_texts(_lineage(name, classes), evaluator).items():
            if text.startswith(("/", "http", WILDCARD)):
                found.setdefault(member, []).append(text)
    return {member: tuple(texts) for member, texts in found.items()}


def _class_texts(lineage: list[ast.ClassDef], evaluator: PathEvaluator) -> dict[str, str]:
    """The text of each attribute and one-line method of a class, inherited ones included."""
    attributes: dict[str, ast.expr] = {}
    methods: dict[str, FunctionNode] = {}
    for owner in lineage:
        for statement in owner.body:
            if isinstance(statement, ast.FunctionDef | ast.AsyncFunctionDef):
                methods[statement.name] = statement
            elif (
                isinstance(statement, ast.Assign)
                and len(statement.targets) == 1
                and isinstance(statement.targets[0], ast.Name)
            ):
                attributes[statement.targets[0].id] = statement.value
    members: dict[str, str] = {}
    for attribute, value in attributes.items():
        scope = PathEvaluator(
            {**evaluator.constants, **members}, {}, evaluator.imports, evaluator.helpers,
            members, evaluator.functions,
        )  # fmt: skip
        text = scope.text(value)
        if text is not None:
            members[attribute] = text
    inner = PathEvaluator(
        evaluator.constants, {}, evaluator.imports, evaluator.helpers, members,
        evaluator.functions,
    )  # fmt: skip
    texts = dict(members)
    for method, function in methods.items():
        body = returned(function)
        text = inner.text(body) if body is not None else None
        if text is not None:
            texts[method] = text
    return texts


def _lineage(name: str, classes: Mapping[str, ast.ClassDef]) -> list[ast.ClassDef]:
    """A module's class and its bases defined in the same module, the farthest base first."""
    chain: list[ast.ClassDef] = []
    current: str | None = name
    while current is not None and current in classes and len(chain) <= MAX_DEPTH:
        node = classes[current]
        chain.insert(0, node)
        base = node.bases[0] if node.bases else None
        current = base.id if isinstance(base, ast.Name) and base.id != current else None
    return chain


def _base_url_with_path(tree: ast.Module) -> bool:
    """Whether a client is built with a ``base_url`` that has a path (``http://test/api``)."""
    return any(
        isinstance(node, ast.keyword)
        and node.arg == "base_url"
        and isinstance(node.value, ast.Constant)
        and isinstance(node.value.value, str)
        and re.sub(r"^[a-z]+://[^/]*", "", node.value.value).strip("/") != ""
        for node in walk(tree)
    )


def _open(call: EndpointCall) -> EndpointCall:
    """The call with every path pattern after an unknown prefix."""
    patterns = tuple(PathPattern(p.segments, open_prefix=True) for p in call.patterns)
    return replace(call, patterns=patterns)


@dataclass(frozen=True)
class TestSuite:
    """The endpoint calls of every test file of a sample."""

    __test__ = False  # not a pytest test class

    calls: tuple[EndpointCall, ...]
    error_tests: frozenset[str]  # ``path:function`` keys of tests of errors or edge cases
    test_files: tuple[str, ...]

    @classmethod
    def of(cls, project: ProjectFacts) -> TestSuite:
        """Read every test file of ``project``."""
        calls: list[EndpointCall] = []
        errors: set[str] = set()
        prefixed = False
        helpers = path_helpers(project)
        above = context_test_trees(project)  # a workspace's tests/ above the root
        for path, tree in (*sorted(project.trees.items()), *above):
            if not is_test_path(path):
                continue
            module = _TestModule.read(path, tree, helpers)
            calls.extend(module.calls)
            errors |= module.error_tests
            prefixed = prefixed or _base_url_with_path(tree)
        if prefixed:  # ``AsyncClient(base_url="http://test/api/v1")``: paths are relative to it
            calls = [_open(call) for call in calls]
        files = tuple(path for path in project.files if is_test_path(path) and path.endswith(".py"))
        return cls(tuple(calls), frozenset(errors), files + tuple(path for path, _ in above))

    def calls_of(self, target: RouteTarget) -> Iterator[EndpointCall]:
        """The calls that reach ``target``."""
        return (call for call in self.calls if target.matches(call))

    def tests_error_case(self, target: RouteTarget) -> bool:
        """Whether a test that calls ``target`` tests an error or an edge case."""
        return any(
            call.function is not None and call.function in self.error_tests
            for call in self.calls_of(target)
        )


def called_endpoints(suite: TestSuite) -> dict[tuple[str | None, PathPattern], list[EndpointCall]]:
    """The distinct ``(method, path)`` endpoints the tests call with a known path."""
    endpoints: dict[tuple[str | None, PathPattern], list[EndpointCall]] = {}
    for call in suite.calls:
        if not call.route_names and len(call.patterns) == 1:
            endpoints.setdefault((call.method, call.patterns[0]), []).append(call)
    return endpoints
