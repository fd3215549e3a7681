"""field-constraints: request-schema ``str``/``int``/``float`` fields unconstrained (metric)."""

from __future__ import annotations

from typing import ClassVar

import libcst as cst

from rulepack.evaluator.checks.base import Case, ModuleContext
from rulepack.evaluator.checks.facts import string_value
from rulepack.evaluator.checks.imports import dotted
from rulepack.evaluator.checks.schemas.cst_types import (
    call_name,
    class_fields,
    field_calls,
    keywords,
    metadata,
    optional_leaves,
)
from rulepack.evaluator.checks.schemas.model_check import ModelClassCheck
from rulepack.evaluator.checks.schemas.model_index import last_part

PRIMITIVES = frozenset({"str", "int", "float"})
# Types measured like ``str``/``int``: they take the same Field() constraints.
MEASURED_TYPES = frozenset({"Decimal", "SecretStr", "StrictStr", "StrictInt", "StrictFloat"})
CONSTRAINT_KEYWORDS = frozenset(
    {
        "min_length",
        "max_length",
        "pattern",
        "regex",
        "ge",
        "gt",
        "le",
        "lt",
        "multiple_of",
        "max_digits",
        "decimal_places",
    }
)
# Metadata that constrains or validates the value: annotated-types, pydantic validators.
CONSTRAINT_CALLS = frozenset(
    {
        "StringConstraints",
        "MinLen",
        "MaxLen",
        "Len",
        "Gt",
        "Ge",
        "Lt",
        "Le",
        "Interval",
        "MultipleOf",
        "Predicate",
        "AfterValidator",
        "BeforeValidator",
        "PlainValidator",
        "WrapValidator",
    }
)
# Specific types that constrain the value by themselves.
CONSTRAINED_TYPES = frozenset(
    {
        "EmailStr",
        "NameEmail",
        "AnyUrl",
        "AnyHttpUrl",
        "HttpUrl",
        "FileUrl",
        "WebsocketUrl",
        "PostgresDsn",
        "MySQLDsn",
        "MariaDBDsn",
        "RedisDsn",
        "MongoDsn",
        "AmqpDsn",
        "KafkaDsn",
        "UUID",
        "UUID1",
        "UUID3",
        "UUID4",
        "UUID5",
        "UUID6",
        "UUID7",
        "UUID8",
        "PositiveInt",
        "NegativeInt",
        "NonNegativeInt",
        "NonPositiveInt",
        "PositiveFloat",
        "NegativeFloat",
        "NonNegativeFloat",
        "NonPositiveFloat",
        "FiniteFloat",
        "IPvAnyAddress",
        "IPvAnyInterface",
        "IPvAnyNetwork",
        "IPv4Address",
        "IPv6Address",
        "PaymentCardNumber",
        "PhoneNumber",
        "Color",
        "Base64Str",
        "Base64UrlStr",
    }
)
CONSTRAINED_FACTORIES = frozenset({"constr", "conint", "confloat", "condecimal", "conbytes"})
STR_CONFIG_KEYS = frozenset({"str_max_length", "str_min_length"})
VALIDATORS = frozenset({"field_validator", "validator"})
MAX_ALIAS_DEPTH = 5
ADVICE = {
    "str": "add `Field(max_length=...)` (and `pattern` for formats) or use a specific type "
    "such as `EmailStr` or `HttpUrl`",
    "number": "add `Field(ge=..., le=...)` or use a specific type such as `PositiveInt`",
}


def _constrains(call: cst.BaseExpression) -> bool:
    """Whether one ``Field()``/metadata item constrains the value."""
    if not isinstance(call, cst.Call):
        return False
    return call_name(call) in CONSTRAINT_CALLS or bool(keywords(call) & CONSTRAINT_KEYWORDS)


def _validated_fields(node: cst.ClassDef) -> set[str]:
    """Fields named by ``@field_validator(...)``/``@validator(...)`` in the class body."""
    names: set[str] = set()
    for statement in node.body.body:
        if not isinstance(statement, cst.FunctionDef):
            continue
        for decorator in statement.decorators:
            call = decorator.decorator
            if call_name(call) in VALIDATORS and isinstance(call, cst.Call):
                names.update(
                    value
                    for argument in call.args
                    if argument.keyword is None and (value := string_value(argument.value))
                )
    return names


def _config_limits_strings(node: cst.ClassDef) -> bool:
    """Whether ``model_config`` (or a class keyword) sets ``str_max_length``/``str_min_length``."""
    if any(
        arg.keyword is not None and arg.keyword.value in STR_CONFIG_KEYS for arg in node.keywords
    ):
        return True
    for line in node.body.body:
        if not isinstance(line, cst.SimpleStatementLine):
            continue
        for small in line.body:
            if isinstance(small, cst.Assign | cst.AnnAssign) and isinstance(small.value, cst.Call):
                targets = small.targets if isinstance(small, cst.Assign) else []
                names = {dotted(t.target) for t in targets}
                if isinstance(small, cst.AnnAssign):
                    names.add(dotted(small.target))
                if "model_config" in names and keywords(small.value) & STR_CONFIG_KEYS:
                    return True
    return False


_PRODUCT_CREATE = (
    "from pydantic import BaseModel\n\n\n"
    "class ProductCreate(BaseModel):\n    name: str\n    price: float\n    quantity: int\n"
    "    homepage: str\n"
)


class FieldConstraints(ModelClassCheck):
    """Request-schema fields of type ``str``, ``int`` or ``float`` without constraints.

    ## What it does
    Measures the fields of request schemas: Pydantic models that routes take as parameters
    other than dependencies (resolved across modules), models whose name ends with ``Create``,
    ``Update``, ``In``, ``Request``, ``Input`` or ``Patch``, models held by their fields, and
    their bases. Every field typed ``str``, ``int``, ``float``, ``Decimal`` or ``SecretStr``
    (also behind ``Optional`` or ``| None``) is measured and reported unless it is
    constrained: ``Field(max_length=..., ge=..., pattern=...)`` as default or in
    ``Annotated[...]``, annotated-types or ``StringConstraints`` metadata, a validator
    (``AfterValidator``, ``@field_validator("name")``), a ``constr()``-style type, a type alias
    of the module that carries such metadata, or ``str_max_length`` in ``model_config`` for
    strings. Fields of specific types (``EmailStr``, ``HttpUrl``, ``UUID``, ``PositiveInt`` ...)
    count as constrained; other fields (``bool``, dates, enums, nested models, lists) are not
    measured.

    ## Why is this bad?
    Constraints reject oversized or malformed input with a 422 before it reaches business code
    or the database, and they document the accepted values in the OpenAPI schema.
    """

    id = "field-constraints"
    summary = "request-schema field without constraints (max_length, ge/le, pattern, type)"
    good: ClassVar[tuple[Case, ...]] = (
        Case.good(
            "from decimal import Decimal\nfrom typing import Annotated\n\n"
            "from pydantic import BaseModel, ConfigDict, EmailStr, Field, HttpUrl, "
            "StringConstraints, field_validator\nfrom annotated_types import MaxLen\n\n"
            "Code = Annotated[str, StringConstraints(pattern=r'^[A-Z]{3}$')]\n\n\n"
            "class ProductCreate(BaseModel):\n"
            "    name: str = Field(min_length=1, max_length=200)\n"
            "    price: Decimal = Field(gt=0, decimal_places=2)\n"
            "    quantity: Annotated[int, Field(ge=0, le=10_000)]\n"
            "    homepage: HttpUrl | None = None\n"
            "    email: EmailStr\n    sku: Annotated[str, MaxLen(20)] | None = None\n"
            "    code: Code\n    slug: str\n    active: bool = True\n    tags: list[str] = []\n\n"
            "    @field_validator('slug')\n    @classmethod\n"
            "    def check_slug(cls, value: str) -> str:\n        return value\n\n\n"
            "class ProductRead(BaseModel):\n    id: int\n    name: str\n\n\n"
            "class NoteIn(BaseModel):\n    model_config = ConfigDict(str_max_length=500)\n\n"
            "    text: str\n",
            note="constraints in Field, Annotated, annotated-types, a validator, an alias, "
            "config; a response schema is not measured",
        ),
        Case(
            files={
                "app/schemas.py": (
                    "from pydantic import BaseModel, Field\n\n\n"
                    "class Filters(BaseModel):\n    q: str = Field(max_length=50)\n\n\n"
                    "class Stats(BaseModel):\n    total: int\n"
                ),
                "app/routers.py": (
                    "from typing import Annotated\n\n"
                    "from fastapi import APIRouter, Depends, Query\n\n"
                    "from app import schemas\n\nrouter = APIRouter()\n\n\n"
                    "@router.get('/stats')\n"
                    "async def stats(f: Annotated[schemas.Filters, Query()], "
                    "s: Annotated[schemas.Stats, Depends()]) -> schemas.Stats:\n"
                    "    return s\n"
                ),
            },
            hits=0,
            note="a query model is measured, a model used as a dependency is not",
        ),
        Case.good(
            "import sqlalchemy as sa\nfrom alembic import op\nfrom pydantic import BaseModel\n\n\n"
            "class PriorityCreate(BaseModel):\n    label: str\n    rank: int\n\n\n"
            "def upgrade() -> None:\n"
            "    op.add_column('priority', sa.Column('rank', sa.Integer()))\n",
            path="db/migrations/versions/2024_01_02_add_rank.py",
            note="a schema snapshot inside an Alembic migration is never sent by a client",
        ),
        Case(
            files={
                "app/schemas.py": (
                    "from pydantic import BaseModel, Field\n\n\n"
                    "class BasketIn(BaseModel):\n    label: str\n\n\n"
                    "class BasketOut(BaseModel):\n    label: str = Field(max_length=40)\n"
                ),
                "app/routes.py": (
                    "from fastapi import APIRouter\n\nfrom app.schemas import BasketOut\n\n"
                    "router = APIRouter()\n\n\n"
                    "@router.get('/baskets/{basket_id}')\n"
                    "async def basket(basket_id: int) -> BasketOut:\n"
                    "    raise NotImplementedError\n"
                ),
            },
            hits=0,
            note="a model named like an input that no route takes or returns",
        ),
    )
    bad: ClassVar[tuple[Case, ...]] = (
        Case.bad(_PRODUCT_CREATE, hits=4),
        Case(
            files={
                "app/schemas/base.py": (
                    "from typing import Optional\n\n"
                    "from pydantic import BaseModel as Model, Field\n\n\n"
                    "class TaskBase(Model):\n    title: str = Field(..., description='Title')\n"
                    "    priority: Optional[int] = None\n\n\n"
                    "class Tag(Model):\n    label: str\n"
                ),
                "app/schemas/tasks.py": (
                    "from app.schemas.base import Tag, TaskBase\n\n\n"
                    "class TaskPayload(TaskBase):\n    tags: list[Tag] = []\n"
                ),
                "app/routers/tasks.py": (
                    "from fastapi import APIRouter\n\nfrom app.schemas.tasks import TaskPayload\n\n"
                    "tasks_router = APIRouter()\n\n\n"
                    "class Views:\n    @tasks_router.post('/tasks', status_code=201)\n"
                    "    async def create(self, payload: TaskPayload) -> None:\n        pass\n"
                ),
            },
            hits=3,
            note="a body model of a class-based view, its base in another module and a nested "
            "model; a description is not a constraint",
        ),
    )

    def __init__(self, context: ModuleContext) -> None:
        """Learn which of the sample's models are request schemas, and the module's aliases."""
        super().__init__(context)
        self.requests = context.project.cached(
            "schemas.request_schemas", self.index.request_schemas
        )
        self.aliases: dict[str, cst.BaseExpression] = {}

    def visit_Module(self, node: cst.Module) -> None:
        """Collect module-level type aliases (``Name = Annotated[str, ...]``)."""
        for line in node.body:
            if not isinstance(line, cst.SimpleStatementLine):
                continue
            for small in line.body:
                if isinstance(small, cst.Assign) and len(small.targets) == 1:
                    target, value = small.targets[0].target, small.value
                elif isinstance(small, cst.AnnAssign) and small.value is not None:
                    target, value = small.target, small.value
                else:
                    continue
                if isinstance(target, cst.Name) and isinstance(value, cst.Subscript):
                    self.aliases[target.value] = value

    def check_class(self, node: cst.ClassDef, name: str) -> None:
        """Measure the fields of a request schema."""
        if name not in self.requests:
            return
        validated = _validated_fields(node)
        config_strings = _config_limits_strings(node)
        for statement, field, _ in class_fields(node):
            kind = self._kind(statement.annotation.annotation)
            if kind is None:
                continue
            self.measured()
            if kind == "constrained" or field in validated:
                continue
            if kind == "str" and config_strings:
                continue
            if any(_constrains(call) for call in field_calls(statement)):
                continue
            annotation = cst.Module([]).code_for_node(statement.annotation.annotation)
            self.report(
                statement.target,
                f"request field `{field}: {annotation}` has no constraint; {ADVICE[kind]}",
            )

    def _kind(self, annotation: cst.BaseExpression, depth: int = 0) -> str | None:
        """``"str"``/``"number"`` for measured types, ``"constrained"``, or ``None``.

        ``depth`` counts the module aliases followed so far (an alias may name another).
        """
        leaves = optional_leaves(annotation)
        if not leaves or depth > MAX_ALIAS_DEPTH:
            return None
        if any(_constrains(item) for item in metadata(annotation)):
            return "constrained"
        kinds = {self._leaf_kind(leaf, depth) for leaf in leaves}
        if "constrained" in kinds:
            return "constrained"
        if None in kinds:
            return None
        return "str" if kinds == {"str"} else "number"

    def _leaf_kind(self, leaf: cst.BaseExpression, depth: int) -> str | None:
        if isinstance(leaf, cst.Call):
            return "constrained" if call_name(leaf) in CONSTRAINED_FACTORIES else None
        if isinstance(leaf, cst.Name) and leaf.value in self.aliases:
            return self._kind(self.aliases[leaf.value], depth + 1)
        return _type_kind(dotted(leaf), bare=isinstance(leaf, cst.Name))


def _type_kind(name: str | None, *, bare: bool) -> str | None:
    """The kind of a named type; ``bare`` names (not ``x.str``) may be builtins."""
    short = last_part(name or "")
    if short in CONSTRAINED_TYPES:
        return "constrained"
    if (bare and short in PRIMITIVES) or short in MEASURED_TYPES:
        return "str" if short == "str" or "Str" in short else "number"
    return None
