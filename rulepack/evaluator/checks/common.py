"""Names and helpers that several checks share: framework classes, health paths, parameters."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

import libcst as cst

from rulepack.evaluator.checks.base import ProjectFacts
from rulepack.evaluator.checks.facts import ModuleFacts
from rulepack.evaluator.checks.imports import ImportMap
from rulepack.rules.model import ParamValue

HTTP_EXCEPTIONS = frozenset(
    {
        "fastapi.HTTPException",
        "fastapi.exceptions.HTTPException",
        "starlette.exceptions.HTTPException",
    }
)
RESPONSE_NAMES = (
    "Response",
    "JSONResponse",
    "HTMLResponse",
    "PlainTextResponse",
    "RedirectResponse",
    "StreamingResponse",
    "FileResponse",
    "ORJSONResponse",
    "UJSONResponse",
    "EventSourceResponse",
)
RESPONSE_MODULES = ("fastapi", "fastapi.responses", "starlette.responses", "fastapi.sse")
RESPONSE_CLASSES = frozenset(
    f"{module}.{name}" for module in RESPONSE_MODULES for name in RESPONSE_NAMES
)
FRAMEWORK_APPS = frozenset(
    {
        "fastapi.FastAPI",
        "fastapi.applications.FastAPI",
        "starlette.applications.Starlette",
    }
)
FRAMEWORK_ROUTERS = frozenset(
    {"fastapi.APIRouter", "fastapi.routing.APIRouter", "starlette.routing.Router"}
)
FRAMEWORKS = ("fastapi", "starlette")
TEST_DIRS = frozenset({"tests", "test", "testing"})
HEALTH_SEGMENTS = frozenset({"health", "healthz", "livez", "readyz", "ping"})
DOCS_PATHS = frozenset({"/docs", "/redoc", "/openapi.json", "/docs/oauth2-redirect"})


def imports_any(facts: ModuleFacts, *packages: str) -> bool:
    """Whether the module imports from one of ``packages`` (top-level package names)."""
    return any(name.split(".", 1)[0] in packages for name in facts.imported)


def imports_one_of(facts: ModuleFacts, names: frozenset[str]) -> bool:
    """Whether the module imports one of ``names`` or a module that defines one."""
    modules = {name.rsplit(".", 1)[0] for name in names}
    return any(name in names or name in modules for name in facts.imported)


def is_web_module(facts: ModuleFacts, project: ProjectFacts) -> bool:
    """Whether a module is FastAPI code.

    It is when it imports FastAPI or Starlette, defines apps, routers or routes, or imports an app
    or router of the sample.
    """
    if facts.apps or facts.routers or facts.routes or facts.includes:
        return True
    if imports_any(facts, *FRAMEWORKS):
        return True
    owners = project.app_names | project.router_names
    return any(name in owners for name in facts.imported)


def is_health_path(path: str) -> bool:
    """Whether a route path is a health probe.

    It is when a segment is ``health``, ``healthz``, ``livez``, ``readyz`` or ``ping``
    (``/health``, ``/health/ready``, ``/api/v1/healthz``).
    """
    return any(segment in HEALTH_SEGMENTS for segment in path.split("/"))


def is_docs_path(path: str) -> bool:
    """Whether a route path serves the API docs (``/docs``, ``/redoc``, ``/openapi.json``)."""
    return path.rstrip("/") in DOCS_PATHS


def int_param(params: Mapping[str, ParamValue], name: str, default: int) -> int:
    """The integer parameter ``name``, or ``default`` when it is absent or not a whole number."""
    value = params.get(name)
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return default
    try:
        return int(value)
    except ValueError:
        return default


def regex_param(params: Mapping[str, ParamValue], name: str, default: str) -> re.Pattern[str]:
    """The regular-expression parameter ``name`` (``default`` when absent), compiled.

    Raises:
        ValueError: if the pattern does not compile; a pack with a broken pattern is a pack error.
    """
    value = params.get(name, default)
    pattern = value if isinstance(value, str) else default
    try:
        return re.compile(pattern)
    except re.error as exc:
        raise ValueError(
            f"parameter {name}: {pattern!r} is not a regular expression: {exc}"
        ) from exc


def is_true(node: cst.BaseExpression | None) -> bool:
    """Whether ``node`` is the literal ``True``."""
    return isinstance(node, cst.Name) and node.value == "True"


def refers_to(
    imports: ImportMap, node: cst.BaseExpression, targets: frozenset[str], defined: frozenset[str]
) -> bool:
    """Whether ``node`` names one of ``targets`` (qualified names).

    A bare name that is neither imported nor a class of the sample (``defined``) is matched by its
    last component, so snippets without their imports (``raise HTTPException(404)``) still count.
    """
    qualified = imports.resolve(node)
    if qualified is None:
        return False
    if qualified in targets:
        return True
    if not isinstance(node, cst.Name) or node.value in imports.names or qualified in defined:
        return False
    return any(target.rsplit(".", 1)[-1] == node.value for target in targets)


def defined_classes(project: ProjectFacts) -> frozenset[str]:
    """Qualified names of every class the sample defines."""
    return frozenset(fact.name for module in project.modules for fact in module.classes)


@dataclass(frozen=True)
class HttpClasses:
    """The sample's HTTP exception and response classes (framework ones and their subclasses)."""

    exceptions: frozenset[str]
    responses: frozenset[str]
    defined: frozenset[str]

    @classmethod
    def of(cls, project: ProjectFacts) -> HttpClasses:
        """Resolve the classes of ``project``."""
        return cls(
            exceptions=project.subclasses_of(HTTP_EXCEPTIONS),
            responses=project.subclasses_of(RESPONSE_CLASSES),
            defined=defined_classes(project),
        )

    def kind_of(self, imports: ImportMap, func: cst.BaseExpression) -> str | None:
        """``"exception"`` or ``"response"`` when ``func`` names one of those classes."""
        if refers_to(imports, func, self.exceptions, self.defined):
            return "exception"
        if refers_to(imports, func, self.responses, self.defined):
            return "response"
        return None


def is_test_path(path: str) -> bool:
    """Whether ``path`` is test code: under ``tests/``, ``test_*.py``, ``*_test.py``, conftest."""
    parts = path.split("/")
    name = parts[-1]
    return (
        any(part in TEST_DIRS for part in parts[:-1])
        or name.startswith("test_")
        or name.endswith("_test.py")
        or name == "conftest.py"
    )
