"""Pydantic schema, style and code-quality checks, registered in ``CHECKS``."""

from __future__ import annotations

from rulepack.evaluator.checks.base import CheckClass
from rulepack.evaluator.checks.schemas.bool_name_prefix import BoolNamePrefix
from rulepack.evaluator.checks.schemas.code_duplication import CodeDuplication
from rulepack.evaluator.checks.schemas.docstring_examples import DocstringExamples
from rulepack.evaluator.checks.schemas.duplicated_fields import DuplicatedFields
from rulepack.evaluator.checks.schemas.field_constraints import FieldConstraints
from rulepack.evaluator.checks.schemas.field_without_description import FieldWithoutDescription
from rulepack.evaluator.checks.schemas.module_section_order import ModuleSectionOrder
from rulepack.evaluator.checks.schemas.mutable_global_state import MutableGlobalState
from rulepack.evaluator.checks.schemas.nested_callbacks import NestedCallbacks
from rulepack.evaluator.checks.schemas.non_upper_constant import NonUpperConstant
from rulepack.evaluator.checks.schemas.ruff_format import RuffFormat
from rulepack.evaluator.checks.schemas.schema_reuse import SchemaReuse

CHECKS: tuple[CheckClass, ...] = (
    BoolNamePrefix,
    CodeDuplication,
    DocstringExamples,
    DuplicatedFields,
    FieldConstraints,
    FieldWithoutDescription,
    ModuleSectionOrder,
    MutableGlobalState,
    NestedCallbacks,
    NonUpperConstant,
    RuffFormat,
    SchemaReuse,
)
