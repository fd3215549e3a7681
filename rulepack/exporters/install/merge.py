"""Add rulepack's entries to a list in a config file people also edit, and take them out again.

Two ways, chosen by what the file already holds:

* The key is absent (or the file is new): rulepack appends a marked block that defines the key.
  Removing the block restores the file exactly.
* The user already defines the key: rulepack adds its values to the user's list. The file's
  previous text is kept in the manifest, so uninstall restores it byte for byte when nothing else
  changed since, and removes just rulepack's values when something did.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from io import StringIO

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import MarkedYAMLError, YAMLError

from rulepack.errors import RulepackError
from rulepack.exporters.install.blocks import find_block, upsert_block
from rulepack.exporters.targets import MergeSpec

JSON_SCHEMAS = {"opencode.json": "https://opencode.ai/config.json"}


class ConfigFileError(RulepackError):
    """A config file rulepack must edit is not valid YAML or JSON, or has an unexpected shape."""


@dataclass(frozen=True)
class MergeResult:
    """The new text of a config file, and how rulepack changed it."""

    text: str
    added: tuple[str, ...]
    separator: str = ""
    edited_user_key: bool = False


def yaml_markers(pack_id: str) -> tuple[str, str]:
    """Begin and end lines of the block rulepack appends to a YAML file."""
    return f"# rulepack:begin {pack_id}", f"# rulepack:end {pack_id}"


def _yaml_block(spec: MergeSpec) -> str:
    return "\n".join([f"{spec.key}:", *(f"  - {json.dumps(v)}" for v in spec.values)]) + "\n"


def _load_yaml(text: str, path: str) -> object:
    try:
        return YAML(typ="rt").load(text)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = f":{mark.line + 1}" if mark is not None else ""
        raise ConfigFileError(f"{path}{line}: not valid YAML ({exc.problem})") from exc
    except YAMLError as exc:
        raise ConfigFileError(f"{path}: not valid YAML ({exc})") from exc


def merge_yaml(text: str | None, spec: MergeSpec, pack_id: str) -> MergeResult:
    """Make ``spec.key`` in a YAML mapping list every value of ``spec.values``."""
    begin, end = yaml_markers(pack_id)
    current = text or ""
    if find_block(current, begin, end, spec.path) is not None or not current.strip():
        result = upsert_block(current, _yaml_block(spec), begin, end, spec.path)
        return MergeResult(result.text, spec.values, separator=result.separator)
    data = _load_yaml(current, spec.path)
    if data is None:
        data = CommentedMap()
    if not isinstance(data, CommentedMap):
        raise ConfigFileError(f"{spec.path}: expected a mapping at the top level")
    if spec.key not in data:
        result = upsert_block(current, _yaml_block(spec), begin, end, spec.path)
        return MergeResult(result.text, spec.values, separator=result.separator)
    existing = data[spec.key]
    values = [existing] if isinstance(existing, str) else existing
    if not isinstance(values, list):
        raise ConfigFileError(f"{spec.path}: '{spec.key}' is neither a string nor a list")
    missing = tuple(value for value in spec.values if value not in values)
    if not missing:
        return MergeResult(current, ())
    merged = CommentedSeq([*values, *missing])
    data[spec.key] = merged
    return MergeResult(_dump_yaml(data), missing, edited_user_key=True)


def unmerge_yaml(text: str, spec: MergeSpec, added: tuple[str, ...]) -> str:
    """Remove the values rulepack added from the user's list (used when the file changed since)."""
    data = _load_yaml(text, spec.path)
    if not isinstance(data, CommentedMap) or spec.key not in data:
        return text
    existing = data[spec.key]
    if isinstance(existing, list):
        kept = [value for value in existing if value not in added]
        data[spec.key] = kept[0] if len(kept) == 1 else CommentedSeq(kept)
    return _dump_yaml(data)


def _dump_yaml(data: object) -> str:
    stream = StringIO()
    yaml = YAML(typ="rt")
    yaml.indent(mapping=2, sequence=4, offset=2)
    yaml.dump(data, stream)
    return stream.getvalue()


def _load_json(text: str, path: str) -> dict[str, object]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConfigFileError(f"{path}:{exc.lineno}: not valid JSON ({exc.msg})") from exc
    if not isinstance(data, dict):
        raise ConfigFileError(f"{path}: expected a JSON object at the top level")
    return data


def _dump_json(data: dict[str, object]) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def merge_json(text: str | None, spec: MergeSpec) -> MergeResult:
    """Make ``spec.key`` in a JSON object list every value of ``spec.values``."""
    if text is None:
        data: dict[str, object] = {}
        schema = JSON_SCHEMAS.get(spec.path)
        if schema is not None:
            data["$schema"] = schema
        data[spec.key] = list(spec.values)
        return MergeResult(_dump_json(data), spec.values)
    data = _load_json(text, spec.path)
    existing = data.get(spec.key, [])
    if not isinstance(existing, list):
        raise ConfigFileError(f"{spec.path}: '{spec.key}' is not a list")
    missing = tuple(value for value in spec.values if value not in existing)
    if not missing:
        return MergeResult(text, ())
    data[spec.key] = [*existing, *missing]
    return MergeResult(_dump_json(data), missing, edited_user_key=True)


def unmerge_json(text: str, spec: MergeSpec, added: tuple[str, ...]) -> str:
    """Remove the values rulepack added from the JSON list (used when the file changed since)."""
    data = _load_json(text, spec.path)
    existing = data.get(spec.key)
    if isinstance(existing, list):
        data[spec.key] = [value for value in existing if value not in added]
    return _dump_json(data)


def merge(text: str | None, spec: MergeSpec, pack_id: str) -> MergeResult:
    """Merge ``spec`` into a YAML or JSON file."""
    if spec.format == "yaml":
        return merge_yaml(text, spec, pack_id)
    return merge_json(text, spec)


def unmerge(text: str, spec: MergeSpec, added: tuple[str, ...]) -> str:
    """Take rulepack's values out of a file whose user key rulepack had edited."""
    if spec.format == "yaml":
        return unmerge_yaml(text, spec, added)
    return unmerge_json(text, spec, added)
