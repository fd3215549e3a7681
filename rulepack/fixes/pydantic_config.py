"""Pydantic v1 ``class Config:`` -> ``model_config = ConfigDict(...)`` (fixes ``pydantic-v1-api``).

Only the ``class Config`` nodes the ``pydantic-v1-api`` check reports are rewritten, and only when
every key has a known v2 equivalent: renamed keys get their v2 name (``orm_mode`` ->
``from_attributes``, ``allow_population_by_field_name`` -> ``populate_by_name``, which every
Pydantic 2 release accepts), ``allow_mutation = False`` becomes ``frozen=True``, ``Extra.forbid``
becomes ``"forbid"``, and keys that v2 still spells the same are kept. A class with any other key,
a method, a base class, or a ``model_config`` already, is left as it is and reported. Settings
classes get ``SettingsConfigDict`` from pydantic-settings (``BaseSettings.model_config`` is typed
with it); models on ``pydantic.v1`` keep their ``class Config``, as they must.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import PurePosixPath

import libcst as cst

from rulepack.evaluator.checks.base import ModuleContext
from rulepack.evaluator.checks.facts import string_value
from rulepack.fixes.edits import add_import, imported_as, is_docstring, is_free
from rulepack.fixes.finders import Found
from rulepack.fixes.model import Outcome

RENAMED = {
    "allow_population_by_field_name": "populate_by_name",
    "anystr_lower": "str_to_lower",
    "anystr_strip_whitespace": "str_strip_whitespace",
    "anystr_upper": "str_to_upper",
    "keep_untouched": "ignored_types",
    "max_anystr_length": "str_max_length",
    "min_anystr_length": "str_min_length",
    "orm_mode": "from_attributes",
    "validate_all": "validate_default",
}
DROPPED_WHEN_TRUE = frozenset({"smart_union", "underscore_attrs_are_private"})  # v2 behaviour
V1_ONLY = frozenset(
    {"copy_on_model_validation", "error_msg_templates", "fields", "getter_dict", "json_dumps"}
    | {"json_loads", "post_init_call", "prepare_field"}
)
EXTRA_ENUMS = frozenset({"pydantic.Extra", "pydantic.config.Extra", "pydantic.main.Extra"})
SETTINGS_ROOTS = frozenset(
    {
        "pydantic.BaseSettings",
        "pydantic.env_settings.BaseSettings",
        "pydantic_settings.BaseSettings",
        "pydantic_settings.main.BaseSettings",
    }
)
V1_ROOTS = frozenset(
    {
        "pydantic.v1.BaseModel",
        "pydantic.v1.main.BaseModel",
        "pydantic.v1.BaseSettings",
        "pydantic.v1.env_settings.BaseSettings",
    }
)
CONFIG_DICT = ("pydantic", "ConfigDict")
SETTINGS_CONFIG_DICT = ("pydantic_settings", "SettingsConfigDict")
LINE_LENGTH = 88
REQUIREMENT_FILES = re.compile(
    r"(requirements[^/]*\.(txt|in)|pyproject\.toml|setup\.(cfg|py)|Pipfile|environment\.ya?ml)"
)
PINS_V1 = re.compile(
    r"""\bpydantic\b(\[[^\]]*\])?\s*(
        (==|~=)\s*1\.                     # pydantic==1.10.2, ~=1.10
      | [^\n;"'\]]*<\s*2(\.0)*(?![\d.])  # pydantic>=1.8,<2 or <2.0
      | =\s*["'][\^~=]*\s*1\.             # poetry: pydantic = "^1.10"
    )""",
    re.VERBOSE | re.IGNORECASE,
)


@cache
def v2_keys(*, settings: bool) -> frozenset[str]:
    """The keys ``ConfigDict`` (or ``SettingsConfigDict``) of the installed packages accept."""
    if settings:
        try:
            from pydantic_settings import SettingsConfigDict  # noqa: PLC0415 - only when fixing
        except ImportError:
            return frozenset()

        return frozenset(
            SettingsConfigDict.__optional_keys__ | SettingsConfigDict.__required_keys__
        )
    from pydantic import ConfigDict  # noqa: PLC0415

    return frozenset(ConfigDict.__optional_keys__ | ConfigDict.__required_keys__)


def pydantic_v1_pin(texts: Mapping[str, str]) -> str | None:
    """The requirements file that pins Pydantic to v1, if any (then nothing is converted)."""
    for path, text in sorted(texts.items()):
        pure = PurePosixPath(path)
        named = REQUIREMENT_FILES.fullmatch(pure.name) or (
            pure.parent.name == "requirements" and pure.suffix in {".txt", ".in"}
        )
        if named and PINS_V1.search(text):
            return path
    return None


class UnsafeConfigError(Exception):
    """A ``class Config`` that cannot be converted without changing what it means."""


@dataclass(frozen=True)
class Entry:
    """One ``key=value`` of the new ``ConfigDict(...)`` and the comments that go with it."""

    key: str
    value: str
    comments: tuple[str, ...] = ()
    trailing: str | None = None


@dataclass
class _Reader:
    """Reads a ``class Config`` body into entries, or raises :class:`UnsafeConfigError`."""

    module: cst.Module
    context: ModuleContext
    settings: bool
    entries: list[Entry] = field(default_factory=list)
    pending: list[str] = field(default_factory=list)  # comments waiting for the next entry
    unit: str = "    "  # the indentation of the ``class Config`` body, relative to the class

    def read(self, config: cst.ClassDef) -> list[Entry]:
        """The entries of ``config``, in order, with their comments."""
        if config.bases or config.keywords or config.decorators:
            raise UnsafeConfigError("`class Config` has base classes or decorators")
        names = _Names()
        config.body.visit(names)
        if names.stored & names.loaded:
            raise UnsafeConfigError("a value refers to another name of `class Config`")
        body = config.body
        if not isinstance(body, cst.IndentedBlock):
            if isinstance(body, cst.SimpleStatementSuite):
                self._line(body.body, (), body.trailing_whitespace.comment, first=True)
            return self.entries
        self.unit = body.indent if body.indent is not None else self.module.default_indent
        for index, statement in enumerate(body.body):
            if not isinstance(statement, cst.SimpleStatementLine):
                kind = type(statement).__name__.removesuffix("Def").lower()
                raise UnsafeConfigError(f"`class Config` holds a {kind} statement")
            comments = tuple(line.comment.value for line in statement.leading_lines if line.comment)
            trailing = statement.trailing_whitespace.comment
            self._line(statement.body, comments, trailing, first=index == 0)
        self.pending.extend(line.comment.value for line in body.footer if line.comment)
        return self.entries

    def _line(
        self,
        smalls: Sequence[cst.BaseSmallStatement],
        comments: tuple[str, ...],
        trailing: cst.Comment | None,
        *,
        first: bool,
    ) -> None:
        self.pending.extend(comments)
        added = False
        for small in smalls:
            if isinstance(small, cst.Pass):
                continue
            if (
                first
                and isinstance(small, cst.Expr)
                and is_docstring(cst.SimpleStatementLine([small]))
            ):
                self.pending.extend(_doc_comments(small.value))
                continue
            key, value = _assignment(small)
            entry = self._entry(key, value)
            if entry is not None:
                self.entries.append(Entry(entry.key, entry.value, tuple(self.pending)))
                self.pending = []
                added = True
        if trailing is not None:
            if added:
                last = self.entries[-1]
                self.entries[-1] = Entry(last.key, last.value, last.comments, trailing.value)
            else:
                self.pending.append(trailing.value)

    def _entry(self, key: str, value: cst.BaseExpression) -> Entry | None:
        """The v2 entry for ``key = value`` (``None``: drop it), or raise if there is none."""
        if key in DROPPED_WHEN_TRUE:
            if _literal_bool(value) is True:
                return None
            raise UnsafeConfigError(f"`{key}` other than True has no v2 equivalent")
        if key in {"allow_mutation", "schema_extra", "extra"}:
            return self._changed_value(key, value)
        if key in RENAMED:
            return Entry(RENAMED[key], self._code(value))
        known = v2_keys(settings=self.settings)
        if self.settings and not known:
            raise UnsafeConfigError("pydantic-settings is not installed here")
        if key in V1_ONLY or key not in known:
            raise UnsafeConfigError(f"`{key}` has no ConfigDict equivalent")
        return Entry(key, self._code(value))

    def _changed_value(self, key: str, value: cst.BaseExpression) -> Entry:
        """Keys whose value changes too: ``allow_mutation``, ``schema_extra``, ``extra``."""
        if key == "allow_mutation":
            allowed = _literal_bool(value)
            if allowed is None:
                raise UnsafeConfigError("`allow_mutation` is not a literal True/False")
            return Entry("frozen", str(not allowed))
        if key == "schema_extra":
            if not isinstance(value, cst.Dict):
                raise UnsafeConfigError("`schema_extra` is not a dict literal")
            return Entry("json_schema_extra", self._code(value))
        return Entry("extra", self._extra(value))

    def _extra(self, value: cst.BaseExpression) -> str:
        if string_value(value) is not None:
            return self._code(value)
        name = self.context.imports.resolve(value)
        if name is not None:
            enum, _, member = name.rpartition(".")
            if enum in EXTRA_ENUMS and member in {"allow", "ignore", "forbid"}:
                return f'"{member}"'
        raise UnsafeConfigError("`extra` is neither a string nor an `Extra` member")

    def _code(self, value: cst.BaseExpression) -> str:
        """The value's source; its continuation lines keep their column one block further out."""
        moved = value.visit(_Reindent(self.unit))
        return self.module.code_for_node(moved if isinstance(moved, cst.CSTNode) else value)


class _Names(cst.CSTVisitor):
    """Names assigned at the top of a ``class Config`` body, and every name its values read."""

    def __init__(self) -> None:
        super().__init__()
        self.stored: set[str] = set()
        self.loaded: set[str] = set()

    def visit_AssignTarget(self, node: cst.AssignTarget) -> bool:
        if isinstance(node.target, cst.Name):
            self.stored.add(node.target.value)
        return False

    def visit_AnnAssign(self, node: cst.AnnAssign) -> bool:
        if isinstance(node.target, cst.Name):
            self.stored.add(node.target.value)
        if node.value is not None:
            node.value.visit(self)
        return False

    def visit_Attribute(self, node: cst.Attribute) -> bool:
        node.value.visit(self)  # ``Extra.forbid`` reads ``Extra``, not ``forbid``
        return False

    def visit_Arg(self, node: cst.Arg) -> bool:
        node.value.visit(self)  # keyword names are not reads
        return False

    def visit_Name(self, node: cst.Name) -> None:
        self.loaded.add(node.value)


class _Reindent(cst.CSTTransformer):
    """Indent the continuation lines of an expression by ``unit`` (strings are not touched)."""

    def __init__(self, unit: str) -> None:
        super().__init__()
        self.unit = unit

    def leave_ParenthesizedWhitespace(
        self, original_node: cst.ParenthesizedWhitespace, updated_node: cst.ParenthesizedWhitespace
    ) -> cst.ParenthesizedWhitespace:
        if not updated_node.indent:
            return updated_node
        last_line = cst.SimpleWhitespace(self.unit + updated_node.last_line.value)
        return updated_node.with_changes(last_line=last_line)

    def leave_EmptyLine(
        self, original_node: cst.EmptyLine, updated_node: cst.EmptyLine
    ) -> cst.EmptyLine:
        if not updated_node.indent:
            return updated_node
        whitespace = cst.SimpleWhitespace(self.unit + updated_node.whitespace.value)
        return updated_node.with_changes(whitespace=whitespace)


def _assignment(small: cst.BaseSmallStatement) -> tuple[str, cst.BaseExpression]:
    if isinstance(small, cst.Assign) and len(small.targets) == 1:
        target = small.targets[0].target
        if isinstance(target, cst.Name):
            return target.value, small.value
    if (
        isinstance(small, cst.AnnAssign)
        and small.value is not None
        and isinstance(small.target, cst.Name)
    ):
        return small.target.value, small.value
    raise UnsafeConfigError(f"`class Config` holds `{cst.Module([]).code_for_node(small)}`")


def _literal_bool(value: cst.BaseExpression) -> bool | None:
    if isinstance(value, cst.Name) and value.value in {"True", "False"}:
        return value.value == "True"
    return None


def _doc_comments(value: cst.BaseExpression) -> list[str]:
    text = string_value(value) or ""
    return [f"# {line.strip()}" for line in text.strip().splitlines() if line.strip()]


def render(
    factory: str, entries: Sequence[Entry], indent: str, unit: str, footer: Sequence[str] = ()
) -> str:
    """``model_config = factory(...)``: on one line when it fits and has no comments.

    ``footer`` holds comments that follow the last entry (or a body with no entries).
    """
    one_line = f"model_config = {factory}({', '.join(f'{e.key}={e.value}' for e in entries)})"
    commented = bool(footer) or any(entry.comments or entry.trailing for entry in entries)
    multi_line_value = any("\n" in entry.value for entry in entries)
    if not commented and not multi_line_value and len(indent) + len(one_line) <= LINE_LENGTH:
        return one_line
    lines = [f"model_config = {factory}("]
    for entry in entries:
        lines.extend(f"{unit}{comment}" for comment in entry.comments)
        trailing = f"  {entry.trailing}" if entry.trailing else ""
        lines.append(f"{unit}{entry.key}={entry.value},{trailing}")
    lines.extend(f"{unit}{comment}" for comment in footer)
    lines.append(")")
    return "\n".join(lines)


class _ConfigRewriter(cst.CSTTransformer):
    """Replace each reported ``class Config`` with a ``model_config`` assignment."""

    def __init__(self, fixer: ConfigFixer, targets: Mapping[int, Found]) -> None:
        super().__init__()
        self.fixer = fixer
        self.targets = targets  # id(name node of a reported Config) -> the finding
        self.classes: list[cst.ClassDef] = []
        self.indents: list[str] = []  # the indentation of each block we are in

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        self.classes.append(node)

    def visit_IndentedBlock(self, node: cst.IndentedBlock) -> None:
        self.indents.append(
            node.indent if node.indent is not None else self.fixer.module.default_indent
        )

    def leave_IndentedBlock(
        self, original_node: cst.IndentedBlock, updated_node: cst.IndentedBlock
    ) -> cst.IndentedBlock:
        self.indents.pop()
        return updated_node

    def leave_ClassDef(
        self, original_node: cst.ClassDef, updated_node: cst.ClassDef
    ) -> cst.BaseStatement:
        self.classes.pop()
        found = self.targets.get(id(original_node.name))
        if found is None or not self.classes:
            return updated_node
        try:
            return self.fixer.convert(original_node, self.classes[-1], "".join(self.indents))
        except UnsafeConfigError as exc:
            self.fixer.notes.append((found.line, f"`class Config` kept: {exc}"))
            return updated_node


@dataclass
class ConfigFixer:
    """Converts the ``class Config`` bodies of one module."""

    module: cst.Module
    tree: ast.Module
    context: ModuleContext
    fixed: int = 0
    notes: list[tuple[int | None, str]] = field(default_factory=list)
    imports: set[tuple[str, str]] = field(default_factory=set)

    def convert(self, config: cst.ClassDef, model: cst.ClassDef, indent: str) -> cst.BaseStatement:
        """The ``model_config`` statement that replaces ``config`` inside ``model``."""
        project = self.context.project
        bases = {self.context.imports.resolve(argument.value) for argument in model.bases}
        if bases & project.subclasses_of(V1_ROOTS):
            raise UnsafeConfigError("a `pydantic.v1` model needs its `class Config`")
        if _assigns_model_config(model):
            raise UnsafeConfigError("the class also sets `model_config`")
        settings = bool(bases & project.subclasses_of(SETTINGS_ROOTS))
        reader = _Reader(self.module, self.context, settings)
        entries = reader.read(config)
        factory = self._factory(SETTINGS_CONFIG_DICT if settings else CONFIG_DICT)
        text = render(factory, entries, indent, self.module.default_indent, reader.pending)
        statement = cst.parse_statement(text, config=self.module.config_for_parsing)
        header = config.body.header.comment if isinstance(config.body, cst.IndentedBlock) else None
        extra = [cst.EmptyLine(comment=header)] if header is not None else []
        self.fixed += 1
        return statement.with_changes(leading_lines=[*config.leading_lines, *extra])

    def _factory(self, source: tuple[str, str]) -> str:
        module, name = source
        existing = imported_as(self.tree, {f"{module}.{name}", f"{module}.config.{name}"})
        if existing is not None:
            return existing
        if (module, name) in self.imports or is_free(name, self.tree):
            self.imports.add((module, name))
            return name
        raise UnsafeConfigError(f"the name `{name}` is already used for something else")


def _assigns_model_config(model: cst.ClassDef) -> bool:
    statements = model.body.body if isinstance(model.body, cst.IndentedBlock) else ()
    for statement in statements:
        if not isinstance(statement, cst.SimpleStatementLine):
            continue
        for small in statement.body:
            targets = (
                [target.target for target in small.targets]
                if isinstance(small, cst.Assign)
                else [small.target]
                if isinstance(small, cst.AnnAssign)
                else []
            )
            if any(isinstance(t, cst.Name) and t.value == "model_config" for t in targets):
                return True
    return False


def fix_model_configs(
    module: cst.Module, tree: ast.Module, context: ModuleContext, names: Mapping[int, Found]
) -> Outcome:
    """Rewrite the ``class Config`` whose name nodes are in ``names`` (by ``id``)."""
    if not names:
        return Outcome(module.code)
    fixer = ConfigFixer(module, tree, context)
    fixed = module.visit(_ConfigRewriter(fixer, names))
    for source, name in sorted(fixer.imports):
        fixed = add_import(fixed, source, name)
    return Outcome(fixed.code, fixer.fixed, tuple(fixer.notes))
