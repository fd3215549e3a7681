"""The evaluated project's own formatting and import-sorting settings, read as plain data.

Rules such as "format at the project's line length" (QLT002) and "sort imports" (QLT003) are judged
by the project's own conventions: its line length, indent width, quote style and isort sections.
Only a whitelist of keys whose values are pure data is read, and each is validated; anything else
in the project's configuration (``extend``, which can point anywhere, ``select``/``ignore``,
``include``/``exclude``, ``per-file-ignores``, ``src``, ``builtins``, cache paths, ...) is never
read, so the evaluated tree cannot change what is checked or where files come from.

Where settings come from, as ruff itself looks: ``.ruff.toml``, else ``ruff.toml``, else the
``[tool.ruff]`` table of ``pyproject.toml``. A project formatted with Black and sorted with isort
states the same conventions in ``[tool.black]`` (``line-length``, ``skip-magic-trailing-comma``,
``skip-string-normalization``) and ``[tool.isort]`` (the ruff-equivalent keys), which count when
ruff's configuration does not say. isort's own ``line_length`` is not used: ruff has one line length
for linting and formatting, and the formatter's is the one Black's or ruff's configuration sets.
A value that is missing, of the wrong type or out of range is left at ruff's default; text that is
not TOML gives the defaults.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Annotated, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StringConstraints, ValidationError

from rulepack.toml import toml_reader

CONFIG_FILES = (".ruff.toml", "ruff.toml")  # ruff's precedence, before pyproject.toml
PYPROJECT = "pyproject.toml"

LineLength = Annotated[int, Field(strict=True, ge=1, le=320)]
ModulePattern = Annotated[
    str, StringConstraints(pattern=r"^[A-Za-z0-9_.*?\[\]-]{1,200}$")
]  # a module name or glob, nothing that could be a path or a TOML escape
Section = Literal["future", "standard-library", "third-party", "first-party", "local-folder"]
Modules = tuple[ModulePattern, ...]

_Settings = TypeVar("_Settings", bound=BaseModel)


class _Table(BaseModel):
    """A TOML table of whitelisted keys, spelt as in ruff's configuration."""

    model_config = ConfigDict(frozen=True, extra="ignore", populate_by_name=True)

    def toml_lines(self) -> list[str]:
        """``key = value`` lines for the keys that are set (values as JSON, valid TOML)."""
        values = self.model_dump(mode="json", by_alias=True, exclude_none=True)
        return [f"{key} = {json.dumps(value)}" for key, value in sorted(values.items())]


class IsortSettings(_Table):
    """ruff's ``[lint.isort]`` keys that only say how imports are grouped and ordered."""

    known_first_party: Modules | None = Field(None, alias="known-first-party")
    known_third_party: Modules | None = Field(None, alias="known-third-party")
    known_local_folder: Modules | None = Field(None, alias="known-local-folder")
    extra_standard_library: Modules | None = Field(None, alias="extra-standard-library")
    force_to_top: Modules | None = Field(None, alias="force-to-top")
    forced_separate: Modules | None = Field(None, alias="forced-separate")
    single_line_exclusions: Modules | None = Field(None, alias="single-line-exclusions")
    combine_as_imports: StrictBool | None = Field(None, alias="combine-as-imports")
    force_single_line: StrictBool | None = Field(None, alias="force-single-line")
    force_sort_within_sections: StrictBool | None = Field(None, alias="force-sort-within-sections")
    force_wrap_aliases: StrictBool | None = Field(None, alias="force-wrap-aliases")
    split_on_trailing_comma: StrictBool | None = Field(None, alias="split-on-trailing-comma")
    order_by_type: StrictBool | None = Field(None, alias="order-by-type")
    case_sensitive: StrictBool | None = Field(None, alias="case-sensitive")
    from_first: StrictBool | None = Field(None, alias="from-first")
    length_sort: StrictBool | None = Field(None, alias="length-sort")
    lines_after_imports: Annotated[int, Field(strict=True, ge=-1, le=3)] | None = Field(
        None, alias="lines-after-imports"
    )
    lines_between_types: Annotated[int, Field(strict=True, ge=0, le=3)] | None = Field(
        None, alias="lines-between-types"
    )
    section_order: tuple[Section, ...] | None = Field(None, alias="section-order")
    no_lines_before: tuple[Section, ...] | None = Field(None, alias="no-lines-before")
    relative_imports_order: Literal["furthest-to-closest", "closest-to-furthest"] | None = Field(
        None, alias="relative-imports-order"
    )


class FormatSettings(_Table):
    """ruff's ``[format]`` keys that only say how code is laid out."""

    quote_style: Literal["double", "single", "preserve"] | None = Field(None, alias="quote-style")
    indent_style: Literal["space", "tab"] | None = Field(None, alias="indent-style")
    line_ending: Literal["auto", "lf", "cr-lf", "native"] | None = Field(None, alias="line-ending")
    skip_magic_trailing_comma: StrictBool | None = Field(None, alias="skip-magic-trailing-comma")
    docstring_code_format: StrictBool | None = Field(None, alias="docstring-code-format")
    docstring_code_line_length: LineLength | Literal["dynamic"] | None = Field(
        None, alias="docstring-code-line-length"
    )


class RuffSettings(_Table):
    """The project's own settings rulepack honours in ruff's linting and formatting."""

    line_length: LineLength | None = Field(None, alias="line-length")
    indent_width: Annotated[int, Field(strict=True, ge=1, le=16)] | None = Field(
        None, alias="indent-width"
    )
    isort: IsortSettings = IsortSettings()
    format: FormatSettings = FormatSettings()

    def toml_lines(self) -> list[str]:
        """The top-level ``key = value`` lines (the tables are rendered where they belong)."""
        values = self.model_dump(
            mode="json", by_alias=True, exclude_none=True, include={"line_length", "indent_width"}
        )
        return [f"{key} = {json.dumps(value)}" for key, value in sorted(values.items())]


DEFAULT_SETTINGS = RuffSettings()  # ruff's defaults: nothing of the project's to honour


def project_tool_settings(pyproject_text: str | None, ruff_toml_text: str | None) -> RuffSettings:
    """The whitelisted settings of a project's ``ruff.toml`` (if any) or ``pyproject.toml``.

    ``ruff_toml_text`` is the text of ``.ruff.toml`` or ``ruff.toml``; like ruff, a ruff file
    wins over ``pyproject.toml`` as a whole. ``[tool.black]`` and ``[tool.isort]`` of the
    pyproject fill in what ruff's configuration leaves unsaid.
    """
    pyproject = _toml(pyproject_text)
    tool = _table(pyproject, "tool")
    ruff = _toml(ruff_toml_text) if ruff_toml_text is not None else _table(tool, "ruff")
    lint = _table(ruff, "lint")
    isort_raw = _table(lint, "isort") or _table(ruff, "isort")  # `[isort]`: the older spelling
    black = _table(tool, "black")
    return RuffSettings(
        line_length=_first_valid("line-length", ruff, black),
        indent_width=_first_valid("indent-width", ruff),
        isort=_lenient(IsortSettings, isort_raw or _isort_keys(_table(tool, "isort"))),
        format=_lenient(FormatSettings, {**_black_format(black), **_table(ruff, "format")}),
    )


def sample_tool_settings(
    texts: Mapping[str, str], above: Mapping[str, str] | None = None
) -> RuffSettings:
    """The settings of the project whose root files are ``texts`` (relative path -> text).

    Like ruff, the nearest configuration wins: the root's ``.ruff.toml``, ``ruff.toml`` or a
    ``pyproject.toml`` with a ``[tool.ruff]`` table; else the nearest ``pyproject.toml`` above the
    root that has one (``above``: files up to the repository root, ``../pyproject.toml`` ...).
    """
    ruff_file = next((texts[name] for name in CONFIG_FILES if name in texts), None)
    pyproject = texts.get(PYPROJECT)
    if ruff_file is None and "ruff" not in _table(_toml(pyproject), "tool"):
        ancestors = sorted(
            (path for path in (above or {}) if path.rsplit("/", 1)[-1] == PYPROJECT), key=len
        )
        for path in ancestors:
            text = (above or {})[path]
            if "ruff" in _table(_toml(text), "tool"):
                return project_tool_settings(text, None)
    return project_tool_settings(pyproject, ruff_file)


def _toml(text: str | None) -> dict[str, object]:
    if text is None:
        return {}
    try:
        data: dict[str, object] = toml_reader.loads(text)
    except toml_reader.TOMLDecodeError:
        return {}
    return data


def _table(data: Mapping[str, object], key: str) -> dict[str, object]:
    value = data.get(key)
    return dict(value) if isinstance(value, dict) else {}


def _first_valid(key: str, *tables: Mapping[str, object]) -> int | None:
    """The first valid value of the top-level ``key`` among ``tables``."""
    for table in tables:
        value = _lenient(RuffSettings, {key: table.get(key)}).model_dump(by_alias=True)[key]
        if isinstance(value, int):
            return value
    return None


def _lenient(model: type[_Settings], raw: Mapping[str, object]) -> _Settings:
    """``model`` from the whitelisted keys of ``raw``, dropping every key with a bad value."""
    names = {field.alias or name for name, field in model.model_fields.items()}
    valid = {
        key: value for key, value in raw.items() if key in names and _accepts(model, key, value)
    }
    return model.model_validate(valid)


def _accepts(model: type[BaseModel], key: str, value: object) -> bool:
    try:
        model.model_validate({key: value})
    except ValidationError:
        return False
    return True


_ISORT_KEYS = {
    "known_first_party": "known-first-party",
    "known_third_party": "known-third-party",
    "known_local_folder": "known-local-folder",
    "extra_standard_library": "extra-standard-library",
    "force_to_top": "force-to-top",
    "combine_as_imports": "combine-as-imports",
    "force_single_line": "force-single-line",
    "force_sort_within_sections": "force-sort-within-sections",
    "lines_after_imports": "lines-after-imports",
    "lines_between_types": "lines-between-types",
    "order_by_type": "order-by-type",
    "case_sensitive": "case-sensitive",
}  # isort's name -> ruff's, for the keys that mean the same in both


def _isort_keys(isort: Mapping[str, object]) -> dict[str, object]:
    """``[tool.isort]`` keys with their ruff names (``profile = "black"`` is ruff's default)."""
    return {_ISORT_KEYS[key]: value for key, value in isort.items() if key in _ISORT_KEYS}


def _black_format(black: Mapping[str, object]) -> dict[str, object]:
    """``[tool.black]`` format keys with their ruff names."""
    found: dict[str, object] = {}
    if "skip-magic-trailing-comma" in black:
        found["skip-magic-trailing-comma"] = black["skip-magic-trailing-comma"]
    if black.get("skip-string-normalization") is True:
        found["quote-style"] = "preserve"
    return found
