"""What a parameter's or response's type means to FastAPI: a collection, a model, a scalar."""

from __future__ import annotations

import ast

from rulepack.evaluator.checks.imports import ImportMap
from rulepack.evaluator.checks.routes.sample import ParamInfo, SampleIndex, type_name, unwrap

SEQUENCES = frozenset(
    {"list", "set", "frozenset", "Sequence", "MutableSequence", "Iterable", "Collection"}
)
MAPPINGS = frozenset({"dict", "Mapping", "MutableMapping"})
# Packages whose classes are never request-body models.
NOT_MODELS = frozenset(
    {
        "fastapi",
        "starlette",
        "typing",
        "uuid",
        "datetime",
        "decimal",
        "enum",
        "pathlib",
        "ipaddress",
        "sqlalchemy",
        "sqlmodel",
        "bson",
    }
)
# Name endings of request-body models, for classes the sample does not define.
MODEL_SUFFIXES = (
    "Search",
    "Filter",
    "Filters",
    "Criteria",
    "Params",
    "Parameters",
    "In",
    "Input",
    "Create",
    "Update",
    "Request",
    "Body",
    "Payload",
    "Schema",
    "Model",
    "Data",
    "DTO",
)


def collection_name(expr: ast.expr | None, imports: ImportMap) -> str | None:
    """``list``/``Sequence``/... when ``expr`` (Optional and Annotated removed) is a sequence."""
    if expr is None:
        return None
    name = type_name(unwrap(expr, imports), imports)
    return name if name in SEQUENCES else None


def is_model(param: ParamInfo, index: SampleIndex, models: frozenset[str]) -> bool:
    """Whether the parameter's type is a Pydantic model, so that FastAPI reads it from the body.

    A class of the sample counts when it inherits from ``BaseModel``; a class the sample does not
    define counts when its name reads like a request model (``OrderSearch``, ``UserIn``,
    ``ItemCreate``), unless it comes from the standard library or a framework.
    """
    name = param.type_name
    if name is None or "." not in name:
        return False
    if name in models:
        return True
    if index.lookup(name) is not None:
        return False
    if name.split(".", 1)[0] in NOT_MODELS:
        return False
    return name.rsplit(".", 1)[-1].endswith(MODEL_SUFFIXES)
