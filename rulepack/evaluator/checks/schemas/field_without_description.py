"""field-without-description: OpenAPI schema fields without a description (metric)."""

from __future__ import annotations

from typing import ClassVar

import libcst as cst

from rulepack.evaluator.checks.base import Case, ModuleContext
from rulepack.evaluator.checks.facts import string_value
from rulepack.evaluator.checks.schemas.cst_types import class_fields, field_calls
from rulepack.evaluator.checks.schemas.model_check import ModelClassCheck
from rulepack.evaluator.checks.schemas.model_index import last_part


def _is_docstring(line: cst.BaseStatement | cst.BaseSmallStatement | None) -> bool:
    """Whether a class-body statement is a bare string (an attribute docstring)."""
    if not isinstance(line, cst.SimpleStatementLine) or len(line.body) != 1:
        return False
    small = line.body[0]
    return isinstance(small, cst.Expr) and string_value(small.value) is not None


def _has_description(call: cst.Call) -> bool:
    """Whether a ``Field()`` call passes a non-empty ``description``."""
    for argument in call.args:
        if argument.keyword is not None and argument.keyword.value == "description":
            return string_value(argument.value) != ""
    return False


class FieldWithoutDescription(ModelClassCheck):
    """Fields of Pydantic models in the OpenAPI schema without a description.

    ## What it does
    Measures every field of the sample's ``BaseModel`` and SQLModel classes that reach an
    OpenAPI document (resolved through bases in other modules; ``ClassVar``, ``model_config`` and
    private attributes are not fields) and reports those without ``Field(description=...)`` as
    default or in ``Annotated[..., Field(description=...)]``. When the class or a base sets
    ``use_attribute_docstrings=True``, a string right below the field is its description.

    A model reaches OpenAPI when a documented route takes it or returns it (``response_model``,
    ``responses``, the return type), at any depth of generics and nested fields, or when it is a
    base of such a model (see :meth:`SchemaIndex.openapi_schemas`). Routes with
    ``include_in_schema=False`` and routes only on apps created with ``openapi_url=None`` publish
    nothing. Settings classes, private classes and SQLModel ``table=True`` classes are left out.
    In a sample without routes (a fragment, a schema package) every model is measured.

    ## Why is this bad?
    Descriptions are the only per-field documentation clients see in ``/docs`` and in generated
    SDKs; a field name alone rarely says units, format or meaning.
    """

    id = "field-without-description"
    summary = "schema field without `Field(description=...)`"
    good: ClassVar[tuple[Case, ...]] = (
        Case.good(
            "from datetime import date\nfrom typing import Annotated, ClassVar\n\n"
            "from pydantic import BaseModel, ConfigDict, Field, PrivateAttr\n"
            "from sqlmodel import SQLModel\n\n\n"
            "class InvoiceRead(BaseModel):\n"
            "    model_config = ConfigDict(from_attributes=True)\n"
            "    kind: ClassVar[str] = 'invoice'\n    _cache: dict[str, int] = PrivateAttr()\n\n"
            "    id: Annotated[int, Field(description='Invoice id')]\n"
            "    amount_cents: int = Field(ge=0, description='Total in cents')\n"
            "    due_on: Annotated[date, Field(examples=['2025-01-31'])] = Field(\n"
            "        description='Payment due date'\n    )\n\n\n"
            "class Plain:\n    name: str\n\n\n"
            "class _Internal(BaseModel):\n    name: str\n\n\n"
            "class Hero(SQLModel, table=True):\n    name: str\n\n\n"
            "def build() -> None:\n    class Local(BaseModel):\n        x: int\n"
        ),
        Case(
            files={
                "app/schemas/base.py": (
                    "import pydantic\n\n\nclass Documented(pydantic.BaseModel):\n"
                    "    model_config = pydantic.ConfigDict(use_attribute_docstrings=True)\n"
                ),
                "app/schemas/notes.py": (
                    "from app.schemas.base import Documented\n\n\n"
                    "class Note(Documented):\n    text: str\n    '''The note.'''\n"
                ),
            },
            hits=0,
            note="attribute docstrings enabled in a base class of another module",
        ),
        Case(
            files={
                "app/config.py": (
                    "from pydantic_settings import BaseSettings as Settings\n\n\n"
                    "class AppSettings(Settings):\n    database_url: str = 'sqlite://'\n"
                    "    debug: bool = False\n"
                ),
                "app/emails.py": (
                    "from pydantic import BaseModel\n\n\n"
                    "class WelcomeMail(BaseModel):\n    recipient: str\n    link: str\n"
                ),
                "app/api.py": (
                    "from fastapi import APIRouter\nfrom pydantic import BaseModel, Field\n\n"
                    "router = APIRouter()\n\n\n"
                    "class Ping(BaseModel):\n    ok: bool = Field(description='Always true')\n\n\n"
                    "class Audit(BaseModel):\n    actor: str\n\n\n"
                    "@router.get('/ping', response_model=Ping)\n"
                    "async def ping() -> dict[str, bool]:\n    return {'ok': True}\n"
                ),
            },
            hits=0,
            note="settings, an e-mail template's props and an internal record: no route takes "
            "or returns them, so they never reach /docs",
        ),
        Case(
            files={
                "app/main.py": (
                    "from fastapi import FastAPI\n\nfrom app.routes import router\n\n"
                    "app = FastAPI(openapi_url=None)\napp.include_router(router)\n"
                ),
                "app/routes.py": (
                    "from fastapi import APIRouter\nfrom pydantic import BaseModel\n\n"
                    "router = APIRouter()\n\n\n"
                    "class Hook(BaseModel):\n    event: str\n\n\n"
                    "@router.post('/hooks')\nasync def receive(hook: Hook) -> None:\n"
                    "    del hook\n"
                ),
            },
            hits=0,
            note="routes of an app created with openapi_url=None publish no schema",
        ),
        Case(
            files={
                "app/routes.py": (
                    "from fastapi import APIRouter\nfrom pydantic import BaseModel\n\n"
                    "router = APIRouter()\n\n\n"
                    "class Callback(BaseModel):\n    state: str\n\n\n"
                    "@router.get('/callback', include_in_schema=False)\n"
                    "async def callback() -> Callback:\n    return Callback(state='x')\n"
                ),
            },
            hits=0,
            note="a route left out of the schema",
        ),
    )
    bad: ClassVar[tuple[Case, ...]] = (
        Case.bad(
            "from pydantic import BaseModel\n\n\n"
            "class InvoiceRead(BaseModel):\n    id: int\n    amount_cents: int\n    due_on: date\n",
            hits=3,
        ),
        Case(
            files={
                "app/schemas.py": (
                    "from typing import Generic, TypeVar\n\n"
                    "from pydantic import BaseModel, Field\n\n"
                    "T = TypeVar('T')\n\n\n"
                    "class Envelope(BaseModel, Generic[T]):\n"
                    "    data: T = Field(description='The payload')\n\n\n"
                    "class Money(BaseModel):\n    cents: int\n\n\n"
                    "class Documented(BaseModel, use_attribute_docstrings=False):\n"
                    "    title: str = Field(default='', description='')\n"
                    "    price: Money = Field(description='Unit price')\n"
                    "    name: str\n    '''Not read: attribute docstrings are off.'''\n"
                ),
                "app/api.py": (
                    "from fastapi import FastAPI\n\n"
                    "from app.schemas import Documented, Envelope\n\n"
                    "app = FastAPI()\n\n\n"
                    "@app.get('/items/{item_id}')\n"
                    "async def read_item(item_id: int) -> Envelope[Documented]:\n"
                    "    raise NotImplementedError\n"
                ),
            },
            hits=3,
            note="a model returned inside a generic envelope and the model one of its fields "
            "holds; an empty description, a docstring that pydantic does not read",
        ),
        Case(
            files={
                "app/schemas/__init__.py": "from .base import Schema\n",
                "app/schemas/base.py": (
                    "from pydantic import BaseModel\n\n\nclass Schema(BaseModel):\n    pass\n"
                ),
                "app/schemas/notes.py": (
                    "from app.schemas import Schema\n\n\nclass NoteOut(Schema):\n    text: str\n"
                ),
                "app/routes.py": (
                    "from fastapi import APIRouter\n\nfrom app.schemas.notes import NoteOut\n\n"
                    "router = APIRouter()\n\n\n"
                    "@router.get('/notes', response_model=list[NoteOut])\n"
                    "async def notes() -> list[dict[str, str]]:\n    return []\n"
                ),
            },
            hits=1,
            note="a model whose base is imported through the package's re-export",
        ),
    )

    def __init__(self, context: ModuleContext) -> None:
        """Find the models that reach the sample's OpenAPI documents (once per sample)."""
        super().__init__(context)
        self.published = context.project.cached(
            "schemas.openapi_schemas", self.index.openapi_schemas
        )

    def check_class(self, node: cst.ClassDef, name: str) -> None:
        """Measure every field of a model class."""
        if name not in self.index.models or name in self.index.orm:
            return  # SQLModel tables are database models; returning them is PYD001's concern
        if name in self.index.settings:
            return  # settings are read from the environment; they never reach /docs
        if node.name.value.startswith("_"):
            return  # private models are internal: they never reach /docs
        if self.published is not None and name not in self.published:
            return  # no documented route takes or returns it, directly or nested
        docstrings = self.index.attribute_docstrings(name)
        body = node.body.body
        for statement, field, position in class_fields(node):
            self.measured()
            if any(_has_description(call) for call in field_calls(statement)):
                continue
            following = body[position + 1] if position + 1 < len(body) else None
            if docstrings and _is_docstring(following):
                continue
            self.report(statement.target, self._message(field, last_part(name)))

    def _message(self, field: str, model: str) -> str:
        """Why the description matters: the model is in /docs, or would be if a route used it."""
        if self.published is None:
            return (
                f"field `{field}` of `{model}` has no description; add "
                "`Field(description=...)` so /docs and generated clients explain it when a "
                "route takes or returns the model"
            )
        return (
            f"field `{field}` of `{model}` has no description, and `{model}` is in the OpenAPI "
            "schema; add `Field(description=...)` so /docs and generated clients explain it"
        )
