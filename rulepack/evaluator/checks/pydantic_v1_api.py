"""pydantic-v1-api: Pydantic v1 configuration, validators and methods in Pydantic v2 code."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import ClassVar

import libcst as cst

from rulepack.evaluator.checks.base import Case, ModuleCheck, ModuleContext, ProjectFacts
from rulepack.evaluator.checks.common import imports_any, imports_one_of
from rulepack.evaluator.checks.facts import ModuleFacts, string_value
from rulepack.evaluator.checks.imports import dotted

MODEL_ROOTS = frozenset(
    {
        "pydantic.BaseModel",
        "pydantic.main.BaseModel",
        "pydantic.RootModel",
        "pydantic.root_model.RootModel",
        "pydantic.BaseSettings",
        "pydantic.generics.GenericModel",
        "pydantic.v1.BaseModel",
        "pydantic.v1.BaseSettings",
        "pydantic_settings.BaseSettings",
        "pydantic_settings.main.BaseSettings",
        "sqlmodel.SQLModel",
    }
)
V1_VALIDATORS = frozenset(
    f"{module}.{name}"
    for module in (
        "pydantic",
        "pydantic.class_validators",
        "pydantic.deprecated.class_validators",
        "pydantic.v1",
        "pydantic.v1.class_validators",
    )
    for name in ("validator", "root_validator")
)
CONFIG_FACTORIES = frozenset(
    {
        "pydantic.ConfigDict",
        "pydantic.config.ConfigDict",
        "pydantic_settings.SettingsConfigDict",
        "pydantic_settings.main.SettingsConfigDict",
    }
)
FIELD_FACTORIES = frozenset({"pydantic.Field", "pydantic.fields.Field"})
# v1 config keys: renamed ones map to their v2 name, removed ones to "".
V1_CONFIG_KEYS = {
    "allow_population_by_field_name": "validate_by_name",
    "anystr_lower": "str_to_lower",
    "anystr_strip_whitespace": "str_strip_whitespace",
    "anystr_upper": "str_to_upper",
    "keep_untouched": "ignored_types",
    "max_anystr_length": "str_max_length",
    "min_anystr_length": "str_min_length",
    "orm_mode": "from_attributes",
    "schema_extra": "json_schema_extra",
    "validate_all": "validate_default",
    "allow_mutation": "frozen",
    "error_msg_templates": "",
    "fields": "",
    "getter_dict": "",
    "smart_union": "",
    "underscore_attrs_are_private": "",
    "copy_on_model_validation": "",
}
V1_FIELD_ARGUMENTS = {
    "regex": "pattern",
    "min_items": "min_length",
    "max_items": "max_length",
    "allow_mutation": "frozen",
    "const": "a Literal type",
    "unique_items": "a set type",
}
INSTANCE_METHODS = {"dict": "model_dump", "json": "model_dump_json", "copy": "model_copy"}
CLASS_METHODS = {
    "parse_obj": "model_validate",
    "parse_raw": "model_validate_json",
    "parse_file": "model_validate_json",
    "from_orm": "model_validate(..., from_attributes=True)",
    "construct": "model_construct",
    "schema": "model_json_schema",
    "schema_json": "model_json_schema",
    "validate": "model_validate",
    "update_forward_refs": "model_rebuild",
}
# Class methods that return an instance of the class.
INSTANCE_FACTORIES = frozenset(
    {
        "parse_obj",
        "parse_raw",
        "parse_file",
        "from_orm",
        "construct",
        "validate",
        "model_validate",
        "model_validate_json",
        "model_validate_strings",
        "model_construct",
    }
)
CLASS_METHOD_DECORATORS = frozenset({"classmethod", "field_validator", "model_validator"})


class Kind(Enum):
    """What a name stands for: a model class or an instance of one."""

    CLASS = "class"
    INSTANCE = "instance"


@dataclass
class Scope:
    """Names bound in one function or class body to model classes or instances."""

    is_class: bool
    names: dict[str, Kind] = field(default_factory=dict)
    model: bool = False  # a class body of a model


def unwrap_annotation(node: cst.BaseExpression) -> list[cst.BaseExpression]:
    """The types an annotation may hold: ``X | None``, ``Optional[X]``, ``Annotated[X, ...]``."""
    if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, cst.BitOr):
        return [*unwrap_annotation(node.left), *unwrap_annotation(node.right)]
    if isinstance(node, cst.Subscript) and node.slice:
        first = node.slice[0].slice
        if last_name(node.value) in {"Optional", "Annotated"} and isinstance(first, cst.Index):
            return unwrap_annotation(first.value)
    return [node]


def decorator_target(decorator: cst.Decorator) -> cst.BaseExpression:
    """The decorator's callable: ``validator`` for both ``@validator`` and ``@validator("x")``."""
    target = decorator.decorator
    return target.func if isinstance(target, cst.Call) else target


def last_name(node: cst.BaseExpression) -> str:
    """The last component of a ``Name``/``Attribute`` chain (``""`` for other expressions)."""
    name = dotted(node)
    return name.rsplit(".", 1)[-1] if name is not None else ""


def v1_method_replacement(method: str, receiver: Kind | None, call: cst.Call) -> str | None:
    """The v2 name for a v1 method called on ``receiver``, or ``None`` when it is not one.

    ``.copy(update=...)`` counts on any receiver: no builtin ``copy`` takes ``update``.
    """
    if receiver is Kind.CLASS:
        return CLASS_METHODS.get(method)
    if receiver is Kind.INSTANCE:
        return INSTANCE_METHODS.get(method)
    updates = any(arg.keyword is not None and arg.keyword.value == "update" for arg in call.args)
    return INSTANCE_METHODS["copy"] if method == "copy" and updates else None


class PydanticV1Api(ModuleCheck):
    """Pydantic v1 API in Pydantic v2 code.

    ## What it does
    Finds Pydantic v1 API in code that runs on Pydantic v2: a nested ``class Config`` in a model
    (``BaseModel``/``BaseSettings`` subclasses, resolved through the sample's classes across
    modules), v1 configuration keys (``orm_mode``, ``allow_population_by_field_name`` ...) in
    ``model_config`` or class arguments, ``@validator``/``@root_validator`` from pydantic, v1
    ``Field`` arguments (``regex=``, ``min_items=`` ...), ``from pydantic import BaseSettings``,
    and v1 methods: ``Model.parse_obj()``/``parse_raw()``/``from_orm()``/``construct()``/
    ``schema()`` on a known model class, ``.dict()``/``.json()``/``.copy()`` on a value known to
    be a model instance (an annotated parameter or variable, ``self`` in a model, the result of
    ``Model(...)`` or ``Model.model_validate(...)``), and ``.copy(update=...)`` on anything.

    ## Why is this bad?
    The v1 names are deprecated in Pydantic v2, emit warnings and will be removed; mixing both APIs
    makes models behave inconsistently.
    """

    id = "pydantic-v1-api"
    summary = "Pydantic v1 API; use model_config, field_validator, model_dump, model_validate"
    good: ClassVar[tuple[Case, ...]] = (
        Case.good(
            "from pydantic import BaseModel, ConfigDict, Field, field_validator\n\n\n"
            "class UserRead(BaseModel):\n"
            "    model_config = ConfigDict(from_attributes=True, populate_by_name=True)\n\n"
            "    email: str = Field(pattern=r'.+@.+', max_length=254)\n\n"
            "    @field_validator('email')\n    @classmethod\n"
            "    def lower(cls, value: str) -> str:\n        return value.lower()\n\n\n"
            "def dump(user: UserRead) -> dict[str, object]:\n"
            "    return UserRead.model_validate(user).model_dump()\n"
        ),
        Case.good(
            "import json\n\n\nclass Config:\n    debug = True\n\n\n"
            "class Cache:\n    class Config:\n        orm_mode = True\n\n"
            "    def dict(self) -> dict[str, int]:\n        return {}\n\n\n"
            "def run(payload: dict[str, int], response: object, cache: Cache) -> str:\n"
            "    data = payload.copy()\n"
            "    data.update(cache.dict())\n"
            "    return json.dumps(data) + str(response.json())\n",
            note="plain classes, dict.copy(), json.dumps and unknown .json() receivers",
        ),
        Case.good(
            "from app.validation import validator\n\n\n"
            "@validator('x')\ndef check(x: int) -> int:\n    return x\n",
            note="a validator that is not pydantic's",
        ),
    )
    bad: ClassVar[tuple[Case, ...]] = (
        Case.bad(
            "from pydantic import BaseModel, validator\n\n\n"
            "class UserRead(BaseModel):\n    email: str\n\n"
            "    class Config:\n        orm_mode = True\n\n"
            "    @validator('email')\n    def lower(cls, value: str) -> str:\n"
            "        return value.lower()\n",
            hits=2,
            note="class Config and @validator",
        ),
        Case(
            files={
                "app/schemas/base.py": (
                    "from pydantic import BaseModel as PydanticModel\n\n\n"
                    "class Schema(PydanticModel):\n    pass\n"
                ),
                "app/schemas/users.py": (
                    "import pydantic\n\nfrom app.schemas.base import Schema\n\n\n"
                    "class UserRead(Schema):\n    name: str\n\n"
                    "    class Config:\n        allow_population_by_field_name = True\n\n"
                    "    @pydantic.root_validator(pre=True)\n"
                    "    def fill(cls, values: dict) -> dict:\n        return values\n"
                ),
                "app/services/users.py": (
                    "from app.schemas.users import UserRead\n\n\n"
                    "def load(raw: dict, user: UserRead | None) -> dict:\n"
                    "    parsed = UserRead.parse_obj(raw)\n"
                    "    if user is not None:\n"
                    "        return user.dict(exclude_unset=True)\n"
                    "    return parsed.json()\n"
                ),
            },
            hits=5,
            note="a subclass of a subclass across modules: Config, root_validator, parse_obj, "
            ".dict() on an annotated parameter, .json() on a parsed instance",
        ),
        Case.bad(
            "from typing import Annotated\n\n"
            "from pydantic import BaseModel, ConfigDict, Field\n\n\n"
            "class Item(BaseModel, anystr_strip_whitespace=True):\n"
            "    model_config = ConfigDict(orm_mode=True)\n"
            "    code: str = Field(regex='^[A-Z]+$')\n"
            "    tags: Annotated[list[str], Field(min_items=1)]\n\n"
            "    def summary(self) -> str:\n        return self.json()\n\n\n"
            "def clone(item: Annotated[Item, 'x'], patch: dict) -> Item:\n"
            "    fresh = Item(code='A', tags=['x'])\n"
            "    fresh.copy()\n"
            "    return item.copy(update=patch)\n",
            hits=7,
            note="config keys in ConfigDict and class arguments, v1 Field arguments, self.json(), "
            "copy() on a constructed instance and copy(update=) on an Annotated parameter",
        ),
        Case(
            files={
                "app/schemas.py": (
                    "from pydantic import BaseModel\n\n\nclass TaskCreate(BaseModel):\n"
                    "    title: str\n"
                ),
                "app/services/tasks.py": (
                    "from app import models, schemas\n\n\n"
                    "def create(task: schemas.TaskCreate) -> models.Task:\n"
                    "    return models.Task(**task.dict())\n"
                ),
            },
            hits=1,
            note="a model reached through its module (`from app import schemas`)",
        ),
        Case.bad(
            "from pydantic import BaseSettings\n\n\nclass Settings(BaseSettings):\n"
            "    debug: bool = False\n",
            note="BaseSettings moved to pydantic-settings",
        ),
    )

    def __init__(self, context: ModuleContext) -> None:
        """Learn the sample's model classes."""
        super().__init__(context)
        self.models = context.project.subclasses_of(MODEL_ROOTS)
        self.scopes: list[Scope] = [Scope(is_class=False)]

    @classmethod
    def applies(cls, facts: ModuleFacts, project: ProjectFacts) -> bool:
        """Modules that import pydantic (or SQLModel), a model of the sample or its module."""
        if imports_any(facts, "pydantic", "pydantic_settings", "sqlmodel"):
            return True
        return imports_one_of(facts, project.subclasses_of(MODEL_ROOTS))

    # -- classes -------------------------------------------------------------------------------

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        """Check nested ``class Config`` and class arguments; open the class scope."""
        enclosing = self.scopes[-1]
        if enclosing.is_class and enclosing.model and node.name.value == "Config":
            self._report_config_class(node)
        is_model = any(self.qualified(arg.value) in self.models for arg in node.bases)
        if is_model:
            for argument in node.keywords:
                if argument.keyword is not None:
                    self._check_config_key(argument.keyword.value, argument)
        self.scopes.append(Scope(is_class=True, model=is_model))

    def leave_ClassDef(self, original_node: cst.ClassDef) -> None:
        """Close the class scope."""
        self.scopes.pop()

    def _report_config_class(self, node: cst.ClassDef) -> None:
        keys = sorted(
            name
            for statement in node.body.body
            if isinstance(statement, cst.SimpleStatementLine)
            for small in statement.body
            if isinstance(small, cst.Assign)
            for target in small.targets
            if isinstance(target.target, cst.Name)
            and (name := target.target.value) in V1_CONFIG_KEYS
        )
        renamed = ", ".join(
            f"{key} -> {V1_CONFIG_KEYS[key]}" if V1_CONFIG_KEYS[key] else f"{key} (removed)"
            for key in keys
        )
        detail = f" ({renamed})" if renamed else ""
        self.report(
            node.name,
            f"nested `class Config` is Pydantic v1{detail}; use `model_config = ConfigDict(...)`",
        )

    def _check_config_key(self, key: str, node: cst.CSTNode) -> None:
        if key not in V1_CONFIG_KEYS:
            return
        replacement = V1_CONFIG_KEYS[key]
        advice = f"use `{replacement}`" if replacement else "it was removed in v2"
        self.report(node, f"config key `{key}` is Pydantic v1; {advice}")

    def _check_config_dict(self, value: cst.BaseExpression) -> None:
        """``model_config = ConfigDict(orm_mode=True)`` or ``= {"orm_mode": True}``."""
        if isinstance(value, cst.Call) and self.qualified(value.func) in CONFIG_FACTORIES:
            for argument in value.args:
                if argument.keyword is not None:
                    self._check_config_key(argument.keyword.value, argument)
        elif isinstance(value, cst.Dict):
            for element in value.elements:
                if isinstance(element, cst.DictElement):
                    key = string_value(element.key)
                    if key is not None:
                        self._check_config_key(key, element)

    # -- functions and bindings ----------------------------------------------------------------

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        """Check v1 validator decorators; bind annotated parameters and ``self``/``cls``."""
        decorators = [decorator_target(decorator) for decorator in node.decorators]
        for decorator, target in zip(node.decorators, decorators, strict=True):
            if self.qualified(target) in V1_VALIDATORS:
                name = dotted(target) or "validator"
                replacement = "model" if name.endswith("root_validator") else "field"
                self.report(decorator, f"`@{name}` is Pydantic v1; use `@{replacement}_validator`")
        scope = Scope(is_class=False)
        parameters = [*node.params.posonly_params, *node.params.params, *node.params.kwonly_params]
        for parameter in parameters:
            annotation = parameter.annotation
            if annotation is not None and self._is_model_type(annotation.annotation):
                scope.names[parameter.name.value] = Kind.INSTANCE
        enclosing = self.scopes[-1]
        if enclosing.is_class and enclosing.model and parameters:
            names = {last_name(target) for target in decorators}
            if "staticmethod" not in names:
                is_class_method = bool(names & CLASS_METHOD_DECORATORS)
                first = parameters[0].name.value
                scope.names[first] = Kind.CLASS if is_class_method else Kind.INSTANCE
        self.scopes.append(scope)

    def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
        """Close the function scope."""
        self.scopes.pop()

    def leave_AnnAssign(self, original_node: cst.AnnAssign) -> None:
        """Bind ``x: Model = ...``; check ``model_config: ConfigDict = ...``."""
        target = original_node.target
        if not isinstance(target, cst.Name):
            return
        if original_node.value is not None and target.value == "model_config":
            self._check_config_model(original_node.value)
        if self._is_model_type(original_node.annotation.annotation):
            self.scopes[-1].names[target.value] = Kind.INSTANCE
        else:
            self.scopes[-1].names.pop(target.value, None)

    def leave_Assign(self, original_node: cst.Assign) -> None:
        """Bind ``x = Model(...)``; forget names rebound to anything else."""
        kind = self._kind(original_node.value)
        for assign_target in original_node.targets:
            target = assign_target.target
            if not isinstance(target, cst.Name):
                continue
            if target.value == "model_config":
                self._check_config_model(original_node.value)
            if kind is Kind.INSTANCE:
                self.scopes[-1].names[target.value] = kind
            else:
                self.scopes[-1].names.pop(target.value, None)

    def _check_config_model(self, value: cst.BaseExpression) -> None:
        enclosing = self.scopes[-1]
        if enclosing.is_class and enclosing.model:
            self._check_config_dict(value)

    def _is_model_type(self, annotation: cst.BaseExpression) -> bool:
        return any(
            self.qualified(option) in self.models for option in unwrap_annotation(annotation)
        )

    def _lookup(self, name: str) -> Kind | None:
        """A name's binding: the innermost scope, then enclosing functions (not class bodies)."""
        for depth, scope in enumerate(reversed(self.scopes)):
            if scope.is_class and depth > 0:
                continue
            if name in scope.names:
                return scope.names[name]
        return None

    def _kind(self, node: cst.BaseExpression) -> Kind | None:
        """Whether ``node`` is known to be a model class or a model instance."""
        if isinstance(node, cst.Name):
            bound = self._lookup(node.value)
            if bound is not None:
                return bound
        if isinstance(node, cst.Name | cst.Attribute) and self.qualified(node) in self.models:
            return Kind.CLASS
        if isinstance(node, cst.Call):
            func = node.func
            if self._kind(func) is Kind.CLASS:
                return Kind.INSTANCE
            if isinstance(func, cst.Attribute):
                receiver = self._kind(func.value)
                method = func.attr.value
                if receiver is Kind.CLASS and method in INSTANCE_FACTORIES:
                    return Kind.INSTANCE
                if receiver is Kind.INSTANCE and method in {"copy", "model_copy"}:
                    return Kind.INSTANCE
        return None

    # -- calls and imports ---------------------------------------------------------------------

    def visit_Call(self, node: cst.Call) -> None:
        """Check v1 methods on models and v1 ``Field`` arguments."""
        if self.qualified(node.func) in FIELD_FACTORIES:
            self._check_field(node)
            return
        if not isinstance(node.func, cst.Attribute):
            return
        method = node.func.attr.value
        replacement = v1_method_replacement(method, self._kind(node.func.value), node)
        if replacement is not None:
            call = replacement if "(" in replacement else f"{replacement}()"
            self.report(node.func.attr, f"`.{method}()` is Pydantic v1; use `.{call}`")

    def _check_field(self, node: cst.Call) -> None:
        for argument in node.args:
            name = argument.keyword.value if argument.keyword is not None else None
            if name in V1_FIELD_ARGUMENTS:
                self.report(
                    argument,
                    f"`Field({name}=...)` is Pydantic v1; use {V1_FIELD_ARGUMENTS[name]}",
                )

    def visit_ImportFrom(self, node: cst.ImportFrom) -> None:
        """Report ``from pydantic import BaseSettings`` (moved to pydantic-settings in v2)."""
        if node.module is None or dotted(node.module) != "pydantic" or node.relative:
            return
        if isinstance(node.names, cst.ImportStar):
            return
        for alias in node.names:
            if isinstance(alias.name, cst.Name) and alias.name.value == "BaseSettings":
                self.report(
                    alias,
                    "`pydantic.BaseSettings` is Pydantic v1; import BaseSettings from "
                    "pydantic_settings",
                )
