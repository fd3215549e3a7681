"""Read YAML safely, keeping line numbers, and map validation errors back to lines.

Pack files are data written by people, so reading them refuses what data never needs and what an
attacker would use: files over :data:`MAX_FILE_BYTES`, binary content, several documents in one
file, and anchors/aliases (the "billion laughs" expansion). Duplicate keys are errors.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from io import StringIO
from pathlib import Path

from pydantic import ValidationError
from pydantic_core import ErrorDetails
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.events import AliasEvent, DocumentStartEvent
from ruamel.yaml.scalarstring import FoldedScalarString, LiteralScalarString

from rulepack.errors import PackError, Problem

MAX_FILE_BYTES = 1024 * 1024

LocPart = str | int


@dataclass(frozen=True)
class YamlDocument:
    """A parsed YAML file: its path and its top-level mapping, with line information."""

    path: Path
    data: CommentedMap

    def line_of(self, loc: Sequence[LocPart]) -> int | None:
        """Return the 1-based line of the deepest node on ``loc`` that the file has."""
        return line_of(self.data, loc)

    def text_start_line(self, loc: Sequence[LocPart]) -> int | None:
        """Return the line where the string at ``loc`` starts (after ``|`` or ``>`` markers)."""
        *parent_loc, key = loc
        parent = _descend(self.data, parent_loc)
        if isinstance(parent, CommentedMap) and key in parent:
            line0 = int(parent.lc.value(key)[0])
            block = isinstance(parent[key], LiteralScalarString | FoldedScalarString)
            return line0 + (2 if block else 1)
        return self.line_of(loc)


def read_yaml(path: Path) -> YamlDocument:
    """Read one YAML file whose top level is a mapping.

    Raises:
        PackError: naming the file and line of whatever makes the file unusable.
    """
    text = _read_text(path)
    _refuse_aliases_and_streams(path, text)
    yaml = YAML(typ="rt")
    try:
        data = yaml.load(text)
    except MarkedYAMLError as exc:
        raise PackError([_marked_problem(path, exc)]) from exc
    except YAMLError as exc:
        raise PackError([Problem(path, None, f"invalid YAML: {exc}")]) from exc
    if not isinstance(data, CommentedMap):
        kind = "empty" if data is None else f"a {type(data).__name__}"
        raise PackError([Problem(path, 1, f"expected a mapping at the top level, found {kind}")])
    return YamlDocument(path, data)


def _read_text(path: Path) -> str:
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            message = f"file is {size} bytes; pack files are limited to {MAX_FILE_BYTES} bytes"
            raise PackError([Problem(path, None, message)])
        raw = path.read_bytes()
    except OSError as exc:
        raise PackError([Problem(path, None, f"cannot read file: {exc.strerror}")]) from exc
    if b"\x00" in raw:
        raise PackError([Problem(path, None, "binary file, not YAML text")])
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise PackError([Problem(path, line, "not valid UTF-8 text")]) from exc


def _refuse_aliases_and_streams(path: Path, text: str) -> None:
    documents = 0
    try:
        for event in YAML(typ="safe").parse(StringIO(text)):
            if isinstance(event, AliasEvent):
                line = event.start_mark.line + 1 if event.start_mark else None
                message = "YAML aliases (*name) are not allowed in pack files"
                raise PackError([Problem(path, line, message)])
            if isinstance(event, DocumentStartEvent):
                documents += 1
                if documents > 1:
                    line = event.start_mark.line + 1 if event.start_mark else None
                    message = "a pack file holds one YAML document, this one has several"
                    raise PackError([Problem(path, line, message)])
    except MarkedYAMLError as exc:
        raise PackError([_marked_problem(path, exc)]) from exc
    except YAMLError as exc:
        raise PackError([Problem(path, None, f"invalid YAML: {exc}")]) from exc


def _marked_problem(path: Path, exc: MarkedYAMLError) -> Problem:
    mark = exc.problem_mark or exc.context_mark
    line = mark.line + 1 if mark is not None else None
    what = " ".join(part for part in (exc.context, exc.problem) if part)
    first_line = what.strip().splitlines()[0] if what.strip() else "invalid YAML"
    return Problem(path, line, f"invalid YAML: {first_line}")


def _step(node: object, part: LocPart) -> tuple[object, int] | None:
    """Return the child of ``node`` at ``part`` and the child's 1-based line, if it has one."""
    if isinstance(node, CommentedMap) and part in node:
        return node[part], node.lc.key(part)[0] + 1
    if isinstance(node, CommentedSeq) and isinstance(part, int) and 0 <= part < len(node):
        return node[part], node.lc.item(part)[0] + 1
    return None


def _descend(node: object, loc: Sequence[LocPart]) -> object:
    for part in loc:
        step = _step(node, part)
        if step is not None:
            node = step[0]
    return node


def line_of(node: object, loc: Sequence[LocPart]) -> int | None:
    """Return the 1-based line of the deepest node on ``loc``; parts it lacks are skipped.

    Pydantic adds parts to a location that the YAML does not have (union tags, validator names),
    so a part that does not match is passed over rather than ending the walk.
    """
    line: int | None = None
    for part in loc:
        step = _step(node, part)
        if step is not None:
            node, line = step
    if line is None and isinstance(node, CommentedMap | CommentedSeq):
        return int(node.lc.line) + 1
    return line


def validation_problems(document: YamlDocument, error: ValidationError) -> list[Problem]:
    """Turn a pydantic error into one problem per failure, each at its line in ``document``."""
    details = _deepest_only(error.errors())
    problems = [
        Problem(document.path, document.line_of(detail["loc"]), _describe(document, detail))
        for detail in details
    ]
    return sorted(problems, key=lambda problem: problem.line or 0)


def _deepest_only(details: list[ErrorDetails]) -> list[ErrorDetails]:
    """Drop errors about a container when an error inside it explains the failure."""
    locs = [tuple(detail["loc"]) for detail in details]
    return [
        detail
        for detail, loc in zip(details, locs, strict=True)
        if not any(other != loc and other[: len(loc)] == loc for other in locs)
    ]


def _describe(document: YamlDocument, detail: ErrorDetails) -> str:
    loc = tuple(detail["loc"])
    context = _rule_context(document.data, loc)
    field = _field_name(loc)
    kind = detail["type"]
    message = detail["msg"].removeprefix("Value error, ")
    if kind == "extra_forbidden":
        message = f"unknown field {field!r}"
    elif kind == "missing":
        message = f"missing required field {field!r}"
    elif kind == "enum":
        expected = detail.get("ctx", {}).get("expected", "")
        message = f"{field}: {detail['input']!r} is not one of {expected}"
    elif kind == "string_pattern_mismatch":
        pattern = detail.get("ctx", {}).get("pattern", "")
        message = f"{field}: {detail['input']!r} does not match {pattern}"
    elif field:
        message = f"{field}: {message}"
    return f"{context}{message}"


def _field_name(loc: tuple[LocPart, ...]) -> str:
    names = [part for part in loc if isinstance(part, str) and part not in _UNION_TAGS]
    return names[-1] if names else ""


_UNION_TAGS = frozenset({"ruff", "mypy", "custom", "function-after", "function-before"})


def _rule_context(data: Mapping[str, object], loc: tuple[LocPart, ...]) -> str:
    if len(loc) >= 2 and loc[0] == "rules" and isinstance(loc[1], int):
        rules = data.get("rules")
        if isinstance(rules, CommentedSeq) and loc[1] < len(rules):
            rule = rules[loc[1]]
            if isinstance(rule, CommentedMap) and isinstance(rule.get("id"), str):
                return f"rule {rule['id']}: "
        return f"rules[{loc[1]}]: "
    return ""


def iter_yaml_files(directory: Path) -> Iterator[Path]:
    """Yield the ``*.yaml`` and ``*.yml`` files directly in ``directory``, sorted by name."""
    yield from sorted(
        path for path in directory.iterdir() if path.suffix in {".yaml", ".yml"} and path.is_file()
    )
