"""The ORM models of a sample, read from the ``ast`` trees: tables, columns and their indexes.

Used by project checks (``unindexed-filter-column``, ``migrations``). A class is a model (or a
mixin or base of models) when its body declares ``__tablename__``, ``Mapped[...]`` attributes,
``Column``/``mapped_column`` attributes, or it is a SQLModel class with ``table=True``.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass, field

from rulepack.evaluator.checks.ast_facts import ast_dotted, walk
from rulepack.evaluator.checks.base import ProjectFacts
from rulepack.evaluator.checks.common import is_test_path
from rulepack.evaluator.checks.data.layout import is_alembic_module
from rulepack.evaluator.checks.data.resolve import ModuleIndex, ModuleTable
from rulepack.evaluator.checks.data.support import ast_keyword, ast_true, last_name
from rulepack.evaluator.checks.facts import Span

COLUMN_FACTORIES = frozenset({"mapped_column", "Column", "Field"})
NOT_COLUMNS = frozenset(
    {
        "relationship",
        "relation",
        "Relationship",
        "association_proxy",
        "column_property",
        "synonym",
        "composite",
        "query_expression",
        "deferred",
        "hybrid_property",
    }
)
INDEX_FLAGS = ("index", "unique", "primary_key")
INDEX_CLASSES = frozenset({"Index", "UniqueConstraint", "PrimaryKeyConstraint"})


def span_of(node: ast.expr | ast.stmt) -> Span:
    """An approximate 1-based span of an ``ast`` node (columns counted in bytes)."""
    end_line = node.end_lineno or node.lineno
    end_column = node.end_col_offset if node.end_col_offset is not None else node.col_offset
    return Span(node.lineno, node.col_offset + 1, end_line, end_column + 1)


@dataclass(frozen=True)
class Column:
    """A mapped column: whether a flag indexes it and whether it is a boolean."""

    name: str
    indexed: bool
    boolean: bool
    span: Span


@dataclass
class Model:
    """A mapped class (or mixin) with its table, columns and indexed column names."""

    key: str  # module.Class
    path: str
    table: str | None
    bases: tuple[str, ...]
    columns: dict[str, Column] = field(default_factory=dict)
    indexed: set[str] = field(default_factory=set)  # from __table_args__ and Index(...) calls
    span: Span | None = None
    mapped: bool = False  # declares a table (``__tablename__`` or SQLModel ``table=True``)


def _is_mapped(annotation: ast.expr) -> bool:
    if isinstance(annotation, ast.Constant) and isinstance(annotation.value, str):
        return "Mapped[" in annotation.value
    return isinstance(annotation, ast.Subscript) and last_name(ast_dotted(annotation.value)) in {
        "Mapped",
        "WriteOnlyMapped",
        "DynamicMapped",
    }


def _is_boolean(annotation: ast.expr | None, call: ast.Call | None) -> bool:
    if annotation is not None and any(
        isinstance(node, ast.Name) and node.id == "bool" for node in ast.walk(annotation)
    ):
        return True
    if call is None:
        return False
    return any(
        last_name(ast_dotted(arg.func if isinstance(arg, ast.Call) else arg)) == "Boolean"
        for arg in call.args
    )


def _indexed(call: ast.Call | None) -> bool:
    if call is None:
        return False
    if any(ast_true(ast_keyword(call, flag)) for flag in INDEX_FLAGS):
        return True
    inner = ast_keyword(call, "sa_column")  # SQLModel Field(sa_column=Column(..., index=True))
    return isinstance(inner, ast.Call) and _indexed(inner)


def _column(statement: ast.stmt, *, sqlmodel: bool) -> Column | None:
    """The column a class-body statement declares, if any."""
    if isinstance(statement, ast.AnnAssign) and isinstance(statement.target, ast.Name):
        name, annotation, value = statement.target.id, statement.annotation, statement.value
    elif (
        isinstance(statement, ast.Assign)
        and len(statement.targets) == 1
        and isinstance(statement.targets[0], ast.Name)
    ):
        name, annotation, value = statement.targets[0].id, None, statement.value
    else:
        return None
    call = value if isinstance(value, ast.Call) else None
    factory = last_name(ast_dotted(call.func)) if call is not None else ""
    if name.startswith("__") or factory in NOT_COLUMNS:
        return None
    mapped = annotation is not None and _is_mapped(annotation)
    typed_field = sqlmodel and annotation is not None and "ClassVar" not in ast.unparse(annotation)
    if factory in COLUMN_FACTORIES and (factory != "Field" or sqlmodel):
        return Column(name, _indexed(call), _is_boolean(annotation, call), span_of(statement))
    if (mapped or typed_field) and (value is None or isinstance(value, ast.Constant)):
        return Column(
            name, indexed=False, boolean=_is_boolean(annotation, None), span=span_of(statement)
        )
    return None


def _index_names(node: ast.AST) -> Iterator[str]:
    """Column names inside ``Index``/``UniqueConstraint``/``PrimaryKeyConstraint`` calls."""
    for call in ast.walk(node):
        if isinstance(call, ast.Call) and last_name(ast_dotted(call.func)) in INDEX_CLASSES:
            for arg in call.args:
                if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                    yield arg.value
                elif isinstance(arg, ast.Attribute):
                    yield arg.attr


def _read_class(node: ast.ClassDef, table: ModuleTable, path: str) -> Model | None:
    sqlmodel = any(k.arg == "table" and ast_true(k.value) for k in node.keywords)
    bases = tuple(
        table.imports.resolve_dotted(name)
        for base in node.bases
        if (name := ast_dotted(base)) is not None
    )
    model = Model(f"{table.module}.{node.name}", path, None, bases, span=span_of(node))
    is_model = sqlmodel
    for statement in node.body:
        if isinstance(statement, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "__tablename__" for t in statement.targets
        ):
            is_model = True
            if isinstance(statement.value, ast.Constant) and isinstance(statement.value.value, str):
                model.table = statement.value.value
        elif _names_table_args(statement):
            model.indexed.update(_index_names(statement))
        column = _column(statement, sqlmodel=sqlmodel)
        if column is not None:
            model.columns[column.name] = column
    model.mapped = is_model
    return model if is_model or model.columns else None


def _names_table_args(statement: ast.stmt) -> bool:
    if isinstance(statement, ast.Assign):
        return any(isinstance(t, ast.Name) and t.id == "__table_args__" for t in statement.targets)
    return isinstance(statement, ast.FunctionDef) and statement.name == "__table_args__"


@dataclass
class Models:
    """Every model of a sample, and the columns migrations index."""

    index: ModuleIndex
    by_key: dict[str, Model] = field(default_factory=dict)
    migrated: set[tuple[str, str]] = field(default_factory=set)  # (table, column)

    @classmethod
    def of(cls, project: ProjectFacts) -> Models:
        """Read the models of the sample's non-test modules and its Alembic migrations."""
        models = cls(ModuleIndex(project))
        for facts in project.modules:
            if is_test_path(facts.path):
                continue
            tree = project.trees.get(facts.path)
            if tree is None:
                continue
            if is_alembic_module(facts):
                models.migrated.update(_migration_indexes(tree))
                continue
            table = models.index.table(facts.module)
            if table is not None:
                models._read_module(tree, table, facts.path)
        return models

    def _read_module(self, tree: ast.Module, table: ModuleTable, path: str) -> None:
        for node in tree.body:
            if isinstance(node, ast.ClassDef):
                model = _read_class(node, table, path)
                if model is not None:
                    self.by_key[model.key] = model
        for node in tree.body:  # module-level Index("ix", User.email)
            value = node.value if isinstance(node, ast.Expr | ast.Assign) else None
            if isinstance(value, ast.Call) and last_name(ast_dotted(value.func)) in INDEX_CLASSES:
                for arg in value.args:
                    if isinstance(arg, ast.Attribute) and (owner := ast_dotted(arg.value)):
                        model = self.by_key.get(table.imports.resolve_dotted(owner))
                        if model is not None:
                            model.indexed.add(arg.attr)

    def model(self, table: ModuleTable, name: str) -> Model | None:
        """The model a dotted name of a module refers to."""
        found = self.index.find(table.imports.resolve_dotted(name))
        if found is None or not isinstance(found[0], ast.ClassDef):
            return None
        return self.by_key.get(f"{found[1].module}.{found[0].name}")

    def lineage(self, model: Model) -> Iterator[Model]:
        """A model and its mapped bases and mixins."""
        seen: set[str] = set()
        stack = [model]
        while stack:
            current = stack.pop()
            if current.key in seen:
                continue
            seen.add(current.key)
            yield current
            stack.extend(self.by_key[base] for base in current.bases if base in self.by_key)

    def column(self, model: Model, name: str) -> tuple[Column, bool] | None:
        """The column ``name`` of ``model`` (or a base) and whether anything indexes it."""
        found: Column | None = None
        indexed = False
        for current in self.lineage(model):
            column = current.columns.get(name)
            if column is not None:
                found = found or column
                indexed = indexed or column.indexed
            indexed = indexed or name in current.indexed
        if found is None:
            return None
        tables = {current.table for current in self.lineage(model) if current.table}
        indexed = indexed or any((table, name) in self.migrated for table in tables)
        return found, indexed


def _migration_indexes(tree: ast.Module) -> Iterator[tuple[str, str]]:
    """``(table, column)`` pairs that Alembic operations index."""
    for call in walk(tree):
        if not isinstance(call, ast.Call):
            continue
        name = last_name(ast_dotted(call.func))
        if name in {"create_index", "create_unique_constraint"}:
            yield from _index_operation(call)
        elif name == "create_table" and call.args:
            yield from _created_table(call)


def _strings(node: ast.expr | None) -> list[str]:
    if isinstance(node, ast.List | ast.Tuple):
        return [
            e.value for e in node.elts if isinstance(e, ast.Constant) and isinstance(e.value, str)
        ]
    return []


def _index_operation(call: ast.Call) -> Iterator[tuple[str, str]]:
    table = call.args[1] if len(call.args) > 1 else ast_keyword(call, "table_name")
    columns = call.args[2] if len(call.args) > 2 else ast_keyword(call, "columns")
    if isinstance(table, ast.Constant) and isinstance(table.value, str):
        for column in _strings(columns):
            yield table.value, column


def _created_table(call: ast.Call) -> Iterator[tuple[str, str]]:
    first = call.args[0]
    if not isinstance(first, ast.Constant) or not isinstance(first.value, str):
        return
    for arg in call.args[1:]:
        if not isinstance(arg, ast.Call):
            continue
        name = last_name(ast_dotted(arg.func))
        if name == "Column" and arg.args and _indexed(arg):
            label = arg.args[0]
            if isinstance(label, ast.Constant) and isinstance(label.value, str):
                yield first.value, label.value
        elif name in INDEX_CLASSES:
            for column in _index_names(arg):
                yield first.value, column
