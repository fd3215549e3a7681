"""duplicated-fields: sibling schemas that copy the same field declarations (project check)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import ClassVar

from rulepack.evaluator.checks.base import Case, Hit, ProjectCheck, ProjectFacts
from rulepack.evaluator.checks.common import int_param, is_test_path
from rulepack.evaluator.checks.facts import Span
from rulepack.evaluator.checks.schemas.model_index import (
    ClassDecl,
    SchemaIndex,
    last_part,
)
from rulepack.rules.model import ParamValue

MIN_SHARED_PARAM = "min_shared_fields"
DEFAULT_MIN_SHARED = 3

_COPIED = (
    "from pydantic import BaseModel, EmailStr\n\n\n"
    "class UserCreate(BaseModel):\n    email: EmailStr\n    full_name: str\n"
    "    phone: str | None = None\n    password: str\n\n\n"
    "class UserRead(BaseModel):\n    id: int\n    email: EmailStr\n    full_name: str\n"
    "    phone: str | None = None\n"
)


class _Groups:
    """Union-find over class names: models that share fields end up in one group."""

    def __init__(self) -> None:
        self.parent: dict[str, str] = {}

    def find(self, name: str) -> str:
        root = self.parent.setdefault(name, name)
        while root != self.parent[root]:
            root = self.parent[root]
        self.parent[name] = root
        return root

    def join(self, first: str, second: str) -> None:
        self.parent[self.find(first)] = self.find(second)


class DuplicatedFields(ProjectCheck):
    """Sibling schemas that copy field declarations instead of sharing a base.

    ## What it does
    Compares the fields each Pydantic model of the sample declares itself (name and annotation,
    normalised). Two models that declare at least ``min_shared_fields`` (default 3) identical
    fields and have no common base class in the sample (only ``BaseModel``) are copies; models
    linked by such pairs form a group, reported once at its first class. Settings classes and
    test modules are left out, and so are models no documented route takes or returns
    (directly or nested, see ``SchemaIndex.openapi_schemas``) when the sample has routes: a
    model of an outside contract (a parser's output, an LLM's structured output) may mirror an
    API schema without being its sibling.

    ## Why is this bad?
    Copied declarations drift apart: a constraint or description changed in one schema is
    silently missing from the others. A shared base (``UserBase``) declares them once.
    """

    id = "duplicated-fields"
    summary = "schemas repeat the same fields; move them to a shared base schema"
    params = (MIN_SHARED_PARAM,)
    good: ClassVar[tuple[Case, ...]] = (
        Case.good(
            "from pydantic import BaseModel, EmailStr\n\n\n"
            "class UserBase(BaseModel):\n    email: EmailStr\n    full_name: str\n"
            "    phone: str | None = None\n\n\n"
            "class UserCreate(UserBase):\n    password: str\n\n\n"
            "class UserRead(UserBase):\n    id: int\n    email: EmailStr\n",
            note="fields shared through a base; one redeclared field is not a copy",
        ),
        Case(
            files={
                "app/schemas/base.py": (
                    "from pydantic import BaseModel\n\n\nclass Timestamped(BaseModel):\n"
                    "    created_at: str\n"
                ),
                "app/schemas/items.py": (
                    "from app.schemas.base import Timestamped\n\n\n"
                    "class ItemRead(Timestamped):\n    id: int\n    name: str\n    price: int\n\n\n"
                    "class ItemDetail(Timestamped):\n    id: int\n    name: str\n    price: int\n"
                ),
                "app/schemas/orders.py": (
                    "from pydantic import BaseModel\n\n\nclass OrderRead(BaseModel):\n"
                    "    id: int\n    name: str\n    price: float\n"
                ),
                "app/config.py": (
                    "from pydantic_settings import BaseSettings\n\n\n"
                    "class Settings(BaseSettings):\n    host: str\n    port: int\n"
                    "    debug: bool\n\n\n"
                    "class TestSettings(BaseSettings):\n    host: str\n    port: int\n"
                    "    debug: bool\n"
                ),
            },
            hits=0,
            note="models with a common base in another module, a differing annotation, settings",
        ),
        Case(
            files={
                "app/schemas.py": (
                    "from pydantic import BaseModel\n\n\nclass A(BaseModel):\n    x: int\n"
                    "    y: int\n    z: int\n"
                ),
                "tests/test_schemas.py": (
                    "from pydantic import BaseModel\n\n\nclass B(BaseModel):\n    x: int\n"
                    "    y: int\n    z: int\n"
                ),
            },
            hits=0,
            note="models in tests are not compared",
        ),
        Case(
            files={
                "app/schemas.py": (
                    "from pydantic import BaseModel\n\n\nclass DishOut(BaseModel):\n"
                    "    title: str\n    servings: int\n    minutes: int\n"
                ),
                "app/llm.py": (
                    "from pydantic import BaseModel\n\n\nclass DishExtraction(BaseModel):\n"
                    "    title: str\n    servings: int\n    minutes: int\n"
                ),
                "app/routes.py": (
                    "from fastapi import APIRouter\n\nfrom app.schemas import DishOut\n\n"
                    "router = APIRouter()\n\n\n"
                    "@router.get('/dishes/{dish_id}')\n"
                    "async def dish(dish_id: int) -> DishOut:\n    raise NotImplementedError\n"
                ),
            },
            hits=0,
            note="a model of an outside contract (an LLM's structured output) that no route "
            "uses mirrors an API schema",
        ),
    )
    bad: ClassVar[tuple[Case, ...]] = (
        Case.bad(_COPIED),
        Case(
            files={
                "app/schemas/items.py": (
                    "from typing import Optional\n\nimport pydantic\n\n\n"
                    "class ItemCreate(pydantic.BaseModel):\n    name: str\n"
                    "    price: Optional[int]\n    tags: list[str] = []\n\n\n"
                    "class ItemUpdate(pydantic.BaseModel):\n    name: str\n"
                    "    price: Optional[int]\n    tags: list[str] = []\n"
                ),
                "app/schemas/read.py": (
                    "from typing import Optional\n\nfrom pydantic import BaseModel\n\n\n"
                    "class Base(BaseModel):\n    id: int\n\n\n"
                    "class ItemRead(Base):\n    name: str\n    price: Optional[int]\n"
                    "    tags: list[str]\n"
                ),
                "app/schemas/users.py": _COPIED,
            },
            hits=2,
            note="a group of three models across modules (one through a base of its own), "
            "and a second group",
        ),
    )

    def __init__(self, project: ProjectFacts, params: Mapping[str, ParamValue]) -> None:
        """Index the sample's models (outside tests, settings left out)."""
        super().__init__(project, params)
        self.index = SchemaIndex.of(project)
        published = project.cached("schemas.openapi_schemas", self.index.openapi_schemas)
        self.models = [
            self.index.classes[name]
            for name in sorted(self.index.models - self.index.settings)
            if name in self.index.classes
            and not is_test_path(self.index.classes[name].path)
            and (published is None or name in published)
        ]

    def applies(self) -> bool:
        """Samples with at least two Pydantic models outside tests."""
        return len(self.models) > 1

    def run(self) -> Iterator[Hit]:
        """Report each group of models that copy fields from one another."""
        minimum = int_param(self.param_values, MIN_SHARED_PARAM, DEFAULT_MIN_SHARED)
        index, models = self.index, self.models
        lineage = {decl.name: {decl.name, *index.ancestors(decl.name)} for decl in models}
        declared = {
            decl.name: {(field.name, field.annotation) for field in decl.fields} for decl in models
        }
        groups = _Groups()
        shared: dict[str, set[str]] = {}
        for position, first in enumerate(models):
            for second in models[position + 1 :]:
                if lineage[first.name] & lineage[second.name]:
                    continue
                common = declared[first.name] & declared[second.name]
                if len(common) >= minimum:
                    groups.join(first.name, second.name)
                    for name in (first.name, second.name):
                        shared.setdefault(name, set()).update(f for f, _ in common)
        members: dict[str, list[ClassDecl]] = {}
        for decl in models:
            if decl.name in shared:
                members.setdefault(groups.find(decl.name), []).append(decl)
        for group in members.values():
            yield _hit(group, shared)


def _hit(group: list[ClassDecl], shared: dict[str, set[str]]) -> Hit:
    first = min(group, key=lambda decl: (decl.path, decl.line))
    names = ", ".join(f"`{last_part(decl.name)}`" for decl in group)
    fields = sorted({field for decl in group for field in shared[decl.name]})
    listed = ", ".join(f"`{field}`" for field in fields)
    return Hit(
        first.path,
        Span(first.line, 1, first.line, 1),
        f"schemas {names} repeat the same field declarations ({listed}); declare them once in "
        "a shared base schema and inherit from it",
    )
