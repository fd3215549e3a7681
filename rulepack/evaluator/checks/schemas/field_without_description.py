"""field-without-description: Pydantic model and settings fields without a description (metric)."""

from __future__ import annotations

from typing import ClassVar

import libcst as cst

from rulepack.evaluator.checks.base import Case
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
    """Pydantic model and settings fields without a description.

    ## What it does
    Measures every field of the sample's ``BaseModel``, ``BaseSettings`` and SQLModel classes
    (resolved through bases in other modules; ``ClassVar``, ``model_config`` and private
    attributes are not fields; private classes and SQLModel ``table=True`` classes, which are
    database models, are left out) and reports those without ``Field(description=...)`` as default
    or in ``Annotated[..., Field(description=...)]``. When the class or a base sets
    ``use_attribute_docstrings=True``, a string right below the field is its description.

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
    )
    bad: ClassVar[tuple[Case, ...]] = (
        Case.bad(
            "from pydantic import BaseModel\n\n\n"
            "class InvoiceRead(BaseModel):\n    id: int\n    amount_cents: int\n    due_on: date\n",
            hits=3,
        ),
        Case(
            files={
                "app/config.py": (
                    "from pydantic import Field\n"
                    "from pydantic_settings import BaseSettings as Settings\n\n\n"
                    "class AppSettings(Settings):\n"
                    "    database_url: str = Field(default='sqlite://', description='')\n"
                    "    debug: bool = False\n"
                ),
                "app/schemas.py": (
                    "from pydantic import BaseModel\n\nfrom app.config import AppSettings\n\n\n"
                    "class Documented(BaseModel, use_attribute_docstrings=False):\n"
                    "    name: str\n    '''Not read: attribute docstrings are off.'''\n\n\n"
                    "class Exposed(AppSettings):\n    token: str = 'x'\n"
                ),
            },
            hits=4,
            note="settings (aliased) and their subclass in another module, an empty description, "
            "a docstring that pydantic does not read",
        ),
    )

    def check_class(self, node: cst.ClassDef, name: str) -> None:
        """Measure every field of a model class."""
        if name not in self.index.models or name in self.index.orm:
            return  # SQLModel tables are database models; returning them is PYD001's concern
        if node.name.value.startswith("_"):
            return  # private models are internal: they never reach /docs
        docstrings = self.index.attribute_docstrings(name)
        body = node.body.body
        for statement, field, position in class_fields(node):
            self.measured()
            if any(_has_description(call) for call in field_calls(statement)):
                continue
            following = body[position + 1] if position + 1 < len(body) else None
            if docstrings and _is_docstring(following):
                continue
            self.report(
                statement.target,
                f"field `{field}` of `{last_part(name)}` has no description; add "
                "`Field(description=...)` so /docs and generated clients explain it",
            )
