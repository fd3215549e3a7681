"""bool-name-prefix: boolean names without an ``is_``/``has_``-style prefix (metric)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

import libcst as cst

from rulepack.evaluator.checks.base import Case, ModuleCheck, ModuleContext
from rulepack.evaluator.checks.imports import dotted
from rulepack.evaluator.checks.schemas.cst_types import (
    field_calls,
    keywords,
    metadata,
    optional_leaves,
)
from rulepack.evaluator.checks.schemas.model_index import last_part
from rulepack.rules.model import ParamValue

PREFIXES_PARAM = "bool_prefixes"
DEFAULT_PREFIXES = ("is_", "has_", "can_", "should_", "was_", "needs_")
ALIAS_KEYWORDS = frozenset({"alias", "validation_alias", "serialization_alias"})
MODULE = "module"
CLASS = "class"
FUNCTION = "function"
CONFIG = "config"  # a nested ``class Config``/``Meta`` or a TypedDict: keys set by a library
CONFIG_CLASSES = frozenset({"Config", "Meta"})
KEYED_BASES = frozenset({"TypedDict"})


def prefixes_param(params: Mapping[str, ParamValue]) -> tuple[str, ...]:
    """The accepted prefixes: a list parameter, or a comma-separated string."""
    value = params.get(PREFIXES_PARAM)
    if isinstance(value, tuple) and value:
        return tuple(str(item) for item in value)
    if isinstance(value, str) and value.strip():
        return tuple(part.strip() for part in value.split(",") if part.strip())
    return DEFAULT_PREFIXES


def _is_bool_literal(node: cst.BaseExpression | None) -> bool:
    return isinstance(node, cst.Name) and node.value in {"True", "False"}


def _is_bool_annotation(annotation: cst.Annotation | None) -> bool:
    """``bool``, ``bool | None``, ``Optional[bool]``, ``Annotated[bool, ...]``."""
    if annotation is None:
        return False
    leaves = optional_leaves(annotation.annotation)
    return bool(leaves) and all(
        isinstance(leaf, cst.Name) and leaf.value == "bool" for leaf in leaves
    )


class BoolNamePrefix(ModuleCheck):
    """Boolean names that do not read as a yes/no question.

    ## What it does
    Measures every boolean name: parameters annotated ``bool`` (also ``bool | None``,
    ``Optional[bool]``, ``Annotated[bool, ...]``) or defaulting to ``True``/``False`` without
    an annotation, variables and attributes annotated ``bool`` (``self.x: bool`` included), and
    names assigned a ``True``/``False`` literal at module or class level. It reports those that
    do not start with one of ``bool_prefixes`` (default ``is_``, ``has_``, ``can_``,
    ``should_``, ``was_``, ``needs_``), compared without leading underscores and ignoring case
    (``_IS_READY`` passes). Dunder names and ``self``/``cls`` are skipped, and so are Pydantic
    fields with ``alias=``/``validation_alias=``/``serialization_alias=``: they mirror an
    external JSON contract.

    ## Why is this bad?
    The prefix shows the type and meaning at the point of use (``if user.is_active`` rather than
    ``if user.active``).
    """

    id = "bool-name-prefix"
    summary = "boolean name without an is_/has_/can_ prefix"
    params = (PREFIXES_PARAM,)
    good: ClassVar[tuple[Case, ...]] = (
        Case.good(
            "import typing\nfrom dataclasses import dataclass\n"
            "from typing import Annotated, Optional\n\n"
            "from fastapi import Query\nfrom pydantic import BaseModel, Field\n\n"
            "IS_PRODUCTION = False\n_has_cache = True\n__debug_mode__ = False\n\n\n"
            "@dataclass\nclass Account:\n    is_active: bool\n    is_locked: bool = False\n\n\n"
            "class Payload(BaseModel):\n"
            "    verified: bool = Field(alias='emailVerified')\n"
            "    public: Annotated[bool, Field(validation_alias='isPublic')] = False\n\n\n"
            "def can_log_in(account: Account, *, is_admin: Optional[bool] = None, "
            "has_mfa=False, archived: Annotated[bool, Query(alias='archived')] = False) -> bool:\n"
            "    should_retry: bool = False\n    done = True\n"
            "    return bool(is_admin) or account.is_active or should_retry or done\n\n\n"
            "class Service:\n    def __init__(self, needs_refresh: bool) -> None:\n"
            "        self._is_dirty: bool = needs_refresh\n\n"
            "    class Config:\n        orm_mode = True\n\n\n"
            "class Options(typing.TypedDict, total=False):\n    strict: bool\n"
        ),
        Case.good(
            "from typing import Annotated\n\nfrom fastapi import APIRouter, Depends, Query\n\n"
            "router = APIRouter()\n\n\n"
            "class Paging:\n    def __call__(self, has_next: bool = False) -> bool:\n"
            "        return has_next\n\n\n"
            "@router.get('/items', include_in_schema=False)\n"
            "async def list_items(\n"
            "    is_archived: Annotated[bool, Query()] = False,\n"
            "    can_page: Annotated[bool, Depends(Paging())] = True,\n) -> list[int]:\n"
            "    def keep(was_seen: bool) -> bool:\n        return not was_seen\n\n"
            "    return [n for n in range(3) if keep(is_archived and can_page)]\n",
            note="a callable dependency class, Annotated query and dependency parameters, a "
            "nested function",
        ),
    )
    bad: ClassVar[tuple[Case, ...]] = (
        Case.bad(
            "from dataclasses import dataclass\n\n\n@dataclass\nclass Account:\n"
            "    email: str\n    active: bool\n    locked: bool = False\n\n\n"
            "def can_log_in(account: Account, *, admin: bool) -> bool:\n"
            "    return admin or (account.active and not account.locked)\n",
            hits=3,
        ),
        Case.bad(
            "from typing import Annotated\n\nfrom fastapi import Query\n\nDEBUG = False\n\n\n"
            "async def list_items(archived: Annotated[bool | None, Query()] = None, "
            "verbose=True) -> list[int]:\n"
            "    async def inner(flag: bool) -> bool:\n        return flag\n\n"
            "    cached: bool = await inner(True)\n"
            "    return [] if cached or archived else [1]\n\n\n"
            "class Worker:\n    running = False\n\n"
            "    def start(self) -> None:\n        self.started: bool = True\n",
            hits=7,
            note="an upper-case constant, an Annotated query parameter, an unannotated default, "
            "a nested function, a local variable, class and instance attributes",
        ),
    )

    def __init__(self, context: ModuleContext) -> None:
        """Read the accepted prefixes."""
        super().__init__(context)
        self.prefixes = tuple(prefix.lower() for prefix in prefixes_param(context.params))
        self.scopes: list[str] = [MODULE]

    def _judge(self, node: cst.CSTNode, name: str, kind: str) -> None:
        """Measure one boolean name and report it when it lacks a prefix."""
        if name.startswith("__") and name.endswith("__"):
            return
        self.measured()
        if name.lstrip("_").lower().startswith(self.prefixes):
            return
        listed = ", ".join(f"`{prefix}`" for prefix in self.prefixes)
        self.report(node, f"boolean {kind} `{name}` does not start with one of {listed}; rename it")

    # -- scopes --------------------------------------------------------------------------------

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        """Enter a class body; configuration classes and TypedDicts are not judged."""
        nested_config = node.name.value in CONFIG_CLASSES and self.scopes[-1] == CLASS
        keyed = any(last_part(dotted(base.value) or "") in KEYED_BASES for base in node.bases)
        self.scopes.append(CONFIG if nested_config or keyed else CLASS)

    def leave_ClassDef(self, original_node: cst.ClassDef) -> None:
        """Leave a class body."""
        self.scopes.pop()

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        """Judge the function's parameters and enter its body."""
        params = node.params
        for param in [*params.posonly_params, *params.params, *params.kwonly_params]:
            name = param.name.value
            if name in {"self", "cls"}:
                continue
            unannotated_flag = param.annotation is None and _is_bool_literal(param.default)
            if _param_alias(param):
                continue
            if _is_bool_annotation(param.annotation) or unannotated_flag:
                self._judge(param.name, name, "parameter")
        self.scopes.append(FUNCTION)

    def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
        """Leave a function body."""
        self.scopes.pop()

    # -- bindings ------------------------------------------------------------------------------

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        """Judge ``name: bool`` and ``self.name: bool``."""
        if self.scopes[-1] == CONFIG or not _is_bool_annotation(node.annotation):
            return
        target = node.target
        if self.scopes[-1] == CLASS and _has_alias(node):
            return
        if isinstance(target, cst.Name):
            kind = "attribute" if self.scopes[-1] == CLASS else "variable"
            self._judge(target, target.value, kind)
        elif (
            isinstance(target, cst.Attribute)
            and isinstance(target.value, cst.Name)
            and target.value.value == "self"
        ):
            self._judge(target.attr, target.attr.value, "attribute")

    def visit_Assign(self, node: cst.Assign) -> None:
        """Judge ``name = True``/``False`` at module and class level."""
        if self.scopes[-1] in {FUNCTION, CONFIG} or not _is_bool_literal(node.value):
            return
        kind = "attribute" if self.scopes[-1] == CLASS else "variable"
        for target in node.targets:
            if isinstance(target.target, cst.Name):
                self._judge(target.target, target.target.value, kind)


def _param_alias(param: cst.Param) -> bool:
    """Whether a parameter declares ``Query(alias=...)``-style wire names."""
    items = [param.default]
    if param.annotation is not None:
        items.extend(metadata(param.annotation.annotation))
    return any(isinstance(item, cst.Call) and keywords(item) & ALIAS_KEYWORDS for item in items)


def _has_alias(node: cst.AnnAssign) -> bool:
    """Whether a class-body field declares an alias (it mirrors an external name)."""
    return any(keywords(call) & ALIAS_KEYWORDS for call in field_calls(node))
