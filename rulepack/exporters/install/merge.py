"""Add rulepack's entries to a list in a config file people also edit, and take them out again.

Two ways, chosen by what the file already holds:

* The key is absent (or the file is new): rulepack appends a marked block that defines the key.
  Removing the block restores the file exactly.
* The user already defines the key: rulepack adds its values to the user's list. The file's
  previous text is kept in the manifest, so uninstall restores it byte for byte when nothing else
  changed since, and removes just rulepack's values when something did.

In YAML only the key's own lines are edited (new items are inserted after the last one, with its
indentation and newline); every other line keeps its bytes, comments and line endings.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from io import StringIO

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import MarkedYAMLError, YAMLError

from rulepack.errors import RulepackError
from rulepack.exporters.install.blocks import find_block, newline_of, upsert_block
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
    edited = _insert_items(current, data, spec.key, missing)
    if edited is None:
        edited = _replace_value(current, data, spec.key, [*values, *missing])
    if edited is None:
        data[spec.key] = CommentedSeq([*values, *missing])
        edited = _dump_yaml(data)
    return MergeResult(edited, missing, edited_user_key=True)


def unmerge_yaml(text: str, spec: MergeSpec, added: tuple[str, ...]) -> str:
    """Remove the values rulepack added from the user's list (used when the file changed since)."""
    data = _load_yaml(text, spec.path)
    if not isinstance(data, CommentedMap) or spec.key not in data:
        return text
    existing = data[spec.key]
    if not isinstance(existing, list) or not any(value in added for value in existing):
        return text
    kept = [value for value in existing if value not in added]
    edited = _remove_items(text, data, spec.key, added)
    if edited is None:
        edited = _replace_value(text, data, spec.key, kept)
    if edited is not None:
        return edited
    data[spec.key] = kept[0] if len(kept) == 1 else CommentedSeq(kept)
    return _dump_yaml(data)


# The line breaks YAML recognises; ruamel's line numbers count these.
_YAML_LINE = re.compile(r"[^\r\n\x85\u2028\u2029]*(?:\r\n|[\r\n\x85\u2028\u2029]|$)")
_PLAIN_SCALAR = re.compile(r"[A-Za-z0-9_./][A-Za-z0-9_./*+@-]*")


def _yaml_lines(text: str) -> list[str]:
    return [line for line in _YAML_LINE.findall(text) if line]


def _scalar(value: str) -> str:
    return value if _PLAIN_SCALAR.fullmatch(value) else json.dumps(value)


def _same_except(text: str, data: CommentedMap, key: str, values: list[str]) -> bool:
    """Whether ``text`` parses to ``data`` with ``key`` holding exactly ``values``."""
    try:
        parsed = YAML(typ="rt").load(text)
    except YAMLError:
        return False
    if not isinstance(parsed, CommentedMap) or list(parsed) != list(data):
        return False
    others = all(parsed[name] == data[name] for name in data if name != key)
    return others and isinstance(parsed[key], list) and list(parsed[key]) == values


def _insert_items(text: str, data: CommentedMap, key: str, missing: tuple[str, ...]) -> str | None:
    """Add ``missing`` to the block list under ``key`` by inserting lines after its last item.

    Returns ``None`` when the value is not a block list of single-line strings (the caller then
    rewrites the mapping), or when the edit would not parse back as intended.
    """
    existing = data[key]
    if not isinstance(existing, CommentedSeq) or not existing or existing.fa.flow_style():
        return None
    lines = _yaml_lines(text)
    row, column = existing.lc.item(len(existing) - 1)
    last = lines[row]
    prefix = last[:column]
    if prefix.strip() != "-":
        return None
    content = last.rstrip("\r\n\x85\u2028\u2029")
    newline = last[len(content) :] or newline_of(text)
    added = [f"{prefix}{_scalar(value)}{newline}" for value in missing]
    if content == last:  # the item ended the file without a newline; so does the new last item
        added[-1] = added[-1].removesuffix(newline)
    edited = "".join([*lines[:row], content + newline, *added, *lines[row + 1 :]])
    return edited if _same_except(edited, data, key, [*existing, *missing]) else None


def _remove_items(text: str, data: CommentedMap, key: str, added: tuple[str, ...]) -> str | None:
    """Delete the lines of the block-list items under ``key`` whose values are in ``added``."""
    existing = data[key]
    if not isinstance(existing, CommentedSeq) or existing.fa.flow_style():
        return None
    kept = [value for value in existing if value not in added]
    if not kept:
        return None
    lines = _yaml_lines(text)
    rows = set()
    for index, value in enumerate(existing):
        if value in added:
            row, column = existing.lc.item(index)
            if lines[row][:column].strip() != "-":
                return None
            rows.add(row)
    edited = "".join(line for row, line in enumerate(lines) if row not in rows)
    if len(lines) - 1 in rows and lines[-1] == lines[-1].rstrip("\r\n\x85\u2028\u2029"):
        edited = edited.rstrip("\r\n")  # the removed item ended the file without a newline
    return edited if _same_except(edited, data, key, kept) else None


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


def _replace_value(text: str, data: CommentedMap, key: str, values: list[str]) -> str | None:
    """Rewrite only the lines of ``key`` and its value, as a block list of ``values``.

    The value ends where the next key starts, less the blank and comment lines before that key,
    which stay as they are.
    """
    lines = _yaml_lines(text)
    names = list(data)
    row, column = data.lc.key(key)
    following = names.index(key) + 1
    stop = data.lc.key(names[following])[0] if following < len(names) else len(lines)
    while stop > row + 1 and (not lines[stop - 1].strip() or lines[stop - 1].startswith("#")):
        stop -= 1
    first = lines[row]
    content = first.rstrip("\r\n\x85\u2028\u2029")
    newline = first[len(content) :] or newline_of(text)
    indent = " " * column
    if values:
        block = [f"{indent}{key}:{newline}"]
        block.extend(f"{indent}  - {_scalar(value)}{newline}" for value in values)
    else:
        block = [f"{indent}{key}: []{newline}"]
    if stop == len(lines) and not lines[-1].endswith(("\n", "\r")):
        block[-1] = block[-1].removesuffix(newline)
    edited = "".join([*lines[:row], *block, *lines[stop:]])
    return edited if _same_except(edited, data, key, values) else None
