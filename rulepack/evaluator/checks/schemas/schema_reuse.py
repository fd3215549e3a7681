"""schema-reuse: one schema for input and output, ORM models or password fields in responses."""

from __future__ import annotations

import ast
import builtins
import re
from typing import ClassVar

import libcst as cst

from rulepack.evaluator.checks.ast_facts import walk
from rulepack.evaluator.checks.base import Case, ModuleCheck, ModuleContext, ProjectFacts
from rulepack.evaluator.checks.facts import ModuleFacts, keyword
from rulepack.evaluator.checks.schemas.cst_types import (
    call_name,
    leaves,
    metadata,
    route_methods,
)
from rulepack.evaluator.checks.schemas.model_index import (
    DEPENDENCY_MARKERS,
    SchemaIndex,
    last_part,
)
from rulepack.evaluator.checks.sync_route_handler import is_route_owner

WRITE_METHODS = frozenset({"post", "put", "patch"})
PASSWORD_FIELD = re.compile(r"^(hashed_|encrypted_)?(password|passwd|pwd)(_hash(ed)?|_digest)?$")
# Names that say a class is a schema (not an entity), for classes the sample does not define.
SCHEMA_SUFFIXES = (
    "Read",
    "Out",
    "Response",
    "Schema",
    "Public",
    "Model",
    "DTO",
    "Dto",
    "Detail",
    "Summary",
    "List",
    "Page",
    "Create",
    "Update",
    "In",
    "Request",
    "Base",
    "Result",
    "Info",
    "View",
    "Data",
    "Payload",
)
TYPING_NAMES = frozenset({"Any", "None", "Self", "NoReturn", "Never", "Annotated", "Optional"})

_SCHEMAS = (
    "from pydantic import BaseModel, EmailStr\n\n\n"
    "class UserCreate(BaseModel):\n    email: EmailStr\n    password: str\n\n\n"
    "class UserRead(BaseModel):\n    id: int\n    email: EmailStr\n"
)
_MODELS = (
    "from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column\n\n\n"
    "class Base(DeclarativeBase):\n    pass\n\n\n"
    "class User(Base):\n    __tablename__ = 'users'\n\n"
    "    id: Mapped[int] = mapped_column(primary_key=True)\n"
    "    hashed_password: Mapped[str]\n"
)


class SchemaReuse(ModuleCheck):
    """One schema for request and response, ORM models or password fields in responses.

    ## What it does
    For every route, reads the response type (``response_model=``, else the return annotation,
    through ``Optional``, ``list[...]`` and ``Annotated``) and the parameters that are not
    dependencies, and reports:

    - a create/update route (POST, PUT, PATCH) whose request body class is also its response;
    - an ORM class as the response: a class with ``__tablename__``/``__table__``, a subclass of
      ``DeclarativeBase`` or of a ``declarative_base()`` base, or a SQLModel ``table=True`` class,
      resolved across the sample's modules;
    - a response model that has a ``password``/``hashed_password``-style field (inherited fields
      count; a field declared ``Field(exclude=True)`` is never serialised and does not).

    A bare response class name that is neither imported nor defined anywhere (a code fragment) is
    reported when it reads like an entity (``User``) rather than a schema (``UserRead``).

    ## Why is this bad?
    Input and output differ: one shared class accepts fields the client must not set (ids,
    timestamps) or returns fields it must not see, such as password hashes; returning an ORM
    object exposes every column.
    """

    id = "schema-reuse"
    summary = "request/response schema reused, ORM model or password field in a response"
    good: ClassVar[tuple[Case, ...]] = (
        Case(
            files={
                "app/schemas/users.py": _SCHEMAS,
                "app/models/user.py": _MODELS,
                "app/routers/users.py": (
                    "from typing import Annotated\n\n"
                    "from fastapi import APIRouter, Depends, status as st\n\n"
                    "from app.models.user import User\n"
                    "from app.schemas import users as s\n\n"
                    "router = APIRouter(prefix='/users')\n"
                    "CurrentUser = Annotated[User, Depends(lambda: None)]\n\n\n"
                    "@router.post('', status_code=st.HTTP_201_CREATED)\n"
                    "async def create(payload: s.UserCreate) -> s.UserRead:\n"
                    "    return s.UserRead(id=1, email=payload.email)\n\n\n"
                    "@router.get('/me', response_model=s.UserRead)\n"
                    "async def me(user: Annotated[User, Depends(lambda: None)]) -> User:\n"
                    "    return user\n\n\n"
                    "@router.put('/me', response_model=list[s.UserRead])\n"
                    "async def put(me: CurrentUser, body: s.UserCreate) -> list[User]:\n"
                    "    return [me]\n"
                ),
            },
            hits=0,
            note="separate schemas; an ORM return annotation overridden by response_model; "
            "ORM classes as dependencies",
        ),
        Case.good(
            "from fastapi import APIRouter\nfrom pydantic import BaseModel, Field\n\n"
            "router = APIRouter()\n\n\n"
            "class Item(BaseModel):\n    name: str\n\n\n"
            "class Account(BaseModel):\n    email: str\n"
            "    password: str = Field(exclude=True)\n"
            "    password_changed_at: str | None = None\n\n\n"
            "@router.get('/items/{name}')\nasync def read(name: str) -> Item:\n"
            "    return Item(name=name)\n\n\n"
            "@router.post('/items/search')\nasync def search(item: Item) -> list[str]:\n"
            "    return [item.name]\n\n\n"
            "@router.get('/account')\nasync def account() -> Account:\n"
            "    return Account(email='a', password='b')\n",
            note="a GET returning a model, a POST returning something else, an excluded "
            "password field and a field that only mentions passwords",
        ),
        Case.good(
            "from fastapi import FastAPI\nfrom fastapi.responses import JSONResponse\n\n"
            "app = FastAPI()\n\n\n"
            "class Service:\n    @app.post('/x', response_model=None)\n"
            "    async def x(self, body: dict[str, int]) -> JSONResponse:\n"
            "        return JSONResponse(body)\n\n\n"
            "@app.get('/y')\nasync def y() -> UserRead:\n    return UserRead()\n\n\n"
            "Account = dict[str, str]\n\n\n"
            "@app.get('/z')\nasync def z() -> Account:\n    return {}\n",
            note="response_model=None, an undefined name that reads as a schema, an alias",
        ),
    )
    bad: ClassVar[tuple[Case, ...]] = (
        Case(
            files={
                "app/schemas/users.py": (
                    "from pydantic import BaseModel as PydanticModel\n\n\n"
                    "class UserBase(PydanticModel):\n    email: str\n"
                    "    hashed_password: str\n\n\n"
                    "class UserRead(UserBase):\n    id: int\n"
                ),
                "app/models/user.py": _MODELS,
                "app/routers/users.py": (
                    "from typing import Annotated, Optional\n\n"
                    "from fastapi import APIRouter, Body\n\n"
                    "from app.models import user as models\n"
                    "from app.schemas.users import UserRead\n\n"
                    "users_router = APIRouter()\n\n\n"
                    "@users_router.get('/{user_id}', response_model=Optional[models.User])\n"
                    "async def read_user(user_id: int):\n    return None\n\n\n"
                    "@users_router.get('', tags=['users'])\n"
                    "async def list_users() -> list[UserRead]:\n    return []\n\n\n"
                    "@users_router.api_route('/{user_id}', methods=['PATCH'])\n"
                    "async def patch(body: Annotated[UserRead, Body()]) -> UserRead:\n"
                    "    return body\n"
                ),
            },
            hits=3,
            note="an ORM model behind Optional via a module alias, an inherited hashed_password, "
            "and an api_route PATCH reusing the body (with the password)",
        ),
        Case(
            files={
                "app/db.py": (
                    "from sqlalchemy.orm import declarative_base\n\nBase = declarative_base()\n"
                ),
                "app/models.py": (
                    "from sqlalchemy import Column, Integer\n\nfrom app.db import Base\n\n\n"
                    "class Task(Base):\n    __tablename__ = 'tasks'\n"
                    "    id = Column(Integer, primary_key=True)\n"
                ),
                "app/main.py": (
                    "from fastapi import FastAPI\n\nfrom app import models\n\napp = FastAPI()\n\n\n"
                    "@app.get('/tasks/{task_id}')\n"
                    "def read(task_id: int) -> 'models.Task':\n"
                    "    return models.Task()\n"
                ),
            },
            hits=1,
            note="a declarative_base() model in a string annotation",
        ),
        Case.bad(
            "from sqlmodel import Field, SQLModel\nfrom fastapi import APIRouter\n\n"
            "router = APIRouter()\n\n\n"
            "class Hero(SQLModel, table=True):\n    id: int | None = Field(default=None)\n"
            "    name: str\n\n\n"
            "@router.post('/heroes/')\nasync def create_hero(hero: Hero) -> Hero:\n"
            "    return hero\n",
            note="a SQLModel table class as body and response: one report for the class",
        ),
    )

    def __init__(self, context: ModuleContext) -> None:
        """Index the sample's classes."""
        super().__init__(context)
        self.index = SchemaIndex.of(context.project)
        self.last_names = frozenset(last_part(name) for name in self.index.classes)
        tree = context.project.trees.get(context.path)
        statements = list(walk(tree)) if tree is not None else []
        self.star_import = any(
            isinstance(statement, ast.ImportFrom) and any(a.name == "*" for a in statement.names)
            for statement in statements
        )
        self.module_names = {
            node.id
            for node in statements
            if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store)
        } | {
            node.name
            for node in statements
            if isinstance(node, ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
        }

    @classmethod
    def applies(cls, facts: ModuleFacts, project: ProjectFacts) -> bool:
        """Only modules with route handlers."""
        return any(is_route_owner(route.owner, project) for route in facts.routes)

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        """Check a route's response types against its inputs and the sample's classes."""
        found = route_methods(node, self.context.imports, self.context.project)
        if found is None:
            return
        call, methods = found
        response = keyword(call, "response_model")
        if response is None and node.returns is not None:
            response = node.returns.annotation
        if response is None or (isinstance(response, cst.Name) and response.value == "None"):
            return
        inputs = self._inputs(node) if methods & WRITE_METHODS else set()
        seen: set[str] = set()
        for leaf in leaves(response):
            name = self.qualified(leaf)
            if name is None or name in seen:
                continue
            seen.add(name)
            problem = self._problem(leaf, name, inputs)
            if problem is not None:
                self.report(response, problem)

    def _inputs(self, node: cst.FunctionDef) -> set[str]:
        """Qualified types of the parameters that are not dependencies."""
        params = node.params
        found: set[str] = set()
        for param in [*params.posonly_params, *params.params, *params.kwonly_params]:
            if param.annotation is None:
                continue
            annotation = param.annotation.annotation
            markers = {call_name(item) for item in [param.default, *metadata(annotation)]}
            if markers & DEPENDENCY_MARKERS:
                continue
            found.update(n for leaf in leaves(annotation) if (n := self.qualified(leaf)))
        return found

    def _problem(self, leaf: cst.BaseExpression, name: str, inputs: set[str]) -> str | None:
        short = last_part(name)
        if name in self.index.orm:
            return (
                f"route returns the ORM model `{short}`; return a response schema "
                f"(`{short}Read`) so only the fields clients may see are exposed"
            )
        if name not in self.index.models:
            return self._unknown(leaf, short)
        problems: list[str] = []
        if name in inputs:
            problems.append("is both the request body and the response")
        secrets = sorted(
            field.name
            for field in self.index.fields_of(name)
            if PASSWORD_FIELD.match(field.name) and not field.excluded
        )
        if secrets:
            problems.append("exposes " + ", ".join(f"`{secret}`" for secret in secrets))
        if not problems:
            return None
        return (
            f"response schema `{short}` {' and '.join(problems)}; use separate Create/Update "
            "and Read schemas, and keep password fields out of the Read schema"
        )

    def _unknown(self, leaf: cst.BaseExpression, short: str) -> str | None:
        """A bare name neither imported nor defined in the sample: judge it by its name."""
        if not isinstance(leaf, cst.Name) or leaf.value in self.context.imports.names:
            return None
        if short in self.last_names or short in self.module_names or self.star_import:
            return None  # defined somewhere: the index would know it if it were a class
        if hasattr(builtins, short) or short in TYPING_NAMES or len(short) < 2:
            return None
        if not short[:1].isupper() or short.endswith(SCHEMA_SUFFIXES):
            return None
        return (
            f"`{short}` is not defined or imported here and reads like an entity; if it is the "
            f"ORM model, return a response schema (`{short}Read`) instead"
        )
