"""Load a pack directory (``pack.yaml`` plus one YAML file per section) into a :class:`Pack`.

Every problem is reported as a :class:`~rulepack.errors.Problem` at its file and line, and all
problems of a pack are collected before :class:`~rulepack.errors.PackError` is raised, so that one
run of ``rulepack validate`` lists everything to fix.

Beyond the model's own validation, the loader checks what needs the files or the installed tools:
section files listed and present, rule ids unique across files, ``${param}`` references known,
Python examples that parse, ruff and mypy codes that the installed tools know, and ``source:``
entries that quote the source document verbatim.

A team configuration can later lay another directory of section files over a pack: the reading
(:func:`read_section`) and the cross-checks (:func:`check_sections`) work on any list of sections,
so an overlay adds, replaces or drops :class:`Section` objects before the checks run, with no change
to the model.
"""

from __future__ import annotations

import ast
import warnings
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from pydantic import ValidationError

from rulepack.errors import PackError, Problem, UsageError
from rulepack.rules.model import (
    MypyBinding,
    Pack,
    PackFile,
    Parameter,
    RuffBinding,
    Section,
    SectionFile,
    referenced_params,
)
from rulepack.rules.source_doc import SourceItem, parse_source_document, uncovered_items
from rulepack.rules.tool_codes import MypyCatalogue, RuffCatalogue
from rulepack.rules.yaml_source import YamlDocument, read_yaml, validation_problems

PACKS_DIR = Path(__file__).parent / "packs"
_Model = TypeVar("_Model", PackFile, SectionFile)
PACK_FILE = "pack.yaml"
DEFAULT_PACK = "fastapi"


@dataclass(frozen=True)
class ToolCatalogues:
    """What the installed tools know; ``None`` skips that tool's checks."""

    ruff: RuffCatalogue | None
    mypy: MypyCatalogue | None

    @classmethod
    def installed(cls) -> ToolCatalogues:
        """Read both catalogues from the installed ruff and mypy."""
        return cls(ruff=RuffCatalogue.installed(), mypy=MypyCatalogue.installed())


@dataclass(frozen=True)
class LoadedSection:
    """A validated section and the document it came from, for locating later problems."""

    section: Section
    document: YamlDocument


@dataclass(frozen=True)
class LoadResult:
    """A loaded pack with what validation reports beside it."""

    pack: Pack
    directory: Path
    source_path: Path | None = None
    source_items: tuple[SourceItem, ...] = ()
    uncovered: tuple[SourceItem, ...] = field(default_factory=tuple)

    def coverage_problems(self) -> list[Problem]:
        """One problem per source item that no rule cites, at its line in the source document."""
        if self.source_path is None:
            return []
        return [
            Problem(self.source_path, item.line, f"not cited by any rule: {item.text!r}")
            for item in self.uncovered
        ]


def resolve_pack_dir(name_or_path: str | None) -> Path:
    """Return the directory of a built-in pack by name, or of a pack at a path.

    Raises:
        UsageError: if neither a built-in pack nor a directory with ``pack.yaml`` matches.
    """
    candidate = name_or_path or DEFAULT_PACK
    builtin = PACKS_DIR / candidate
    if "/" not in candidate and (builtin / PACK_FILE).is_file():
        return builtin
    path = Path(candidate)
    if (path / PACK_FILE).is_file():
        return path
    if path.is_file() and path.name == PACK_FILE:
        return path.parent
    builtins = ", ".join(sorted(p.name for p in PACKS_DIR.iterdir() if (p / PACK_FILE).is_file()))
    raise UsageError(
        f"{candidate}: not a pack directory (no {PACK_FILE}) and not a built-in pack ({builtins})"
    )


def load_pack(directory: Path, tools: ToolCatalogues | None = None) -> Pack:
    """Load and fully check the pack in ``directory``.

    Args:
        directory: A directory holding ``pack.yaml`` and the section files it lists.
        tools: The tool catalogues to check codes against; ``None`` skips those checks.

    Raises:
        PackError: listing every problem found, each at its file and line.
    """
    return load(directory, tools).pack


def load(directory: Path, tools: ToolCatalogues | None = None) -> LoadResult:
    """Like :func:`load_pack`, and also report source items that no rule cites."""
    pack_doc = read_yaml(directory / PACK_FILE)
    pack_file = _validate(pack_doc, PackFile)
    problems: list[Problem] = []
    loaded = _read_sections(directory, pack_doc, pack_file, problems)
    source_path, source_items = _read_source_items(directory, pack_doc, pack_file, problems)
    problems.extend(check_sections(loaded, pack_file.params, tools, source_items))
    if problems:
        raise PackError(sorted(problems, key=lambda p: (str(p.path), p.line or 0)))
    pack = Pack(
        id=pack_file.id,
        version=pack_file.version,
        title=pack_file.title,
        description=pack_file.description,
        requires=pack_file.requires,
        params=pack_file.params,
        sections=tuple(item.section for item in loaded),
    )
    cited = (entry for rule in pack.rules() for entry in rule.source)
    uncovered = tuple(uncovered_items(source_items, cited))
    return LoadResult(pack, directory, source_path, source_items, uncovered)


def read_section(path: Path, section_id: str) -> LoadedSection:
    """Read and validate one section file.

    Raises:
        PackError: if the file cannot be read or does not match the section schema.
    """
    document = read_yaml(path)
    content = _validate(document, SectionFile)
    section = Section(id=section_id, **dict(content))
    return LoadedSection(section, document)


def _validate(document: YamlDocument, model: type[_Model]) -> _Model:
    try:
        return model.model_validate(document.data)
    except ValidationError as exc:
        raise PackError(validation_problems(document, exc)) from exc


def _read_sections(
    directory: Path, pack_doc: YamlDocument, pack_file: PackFile, problems: list[Problem]
) -> list[LoadedSection]:
    loaded: list[LoadedSection] = []
    listed = set(pack_file.sections)
    for index, section_id in enumerate(pack_file.sections):
        path = directory / f"{section_id}.yaml"
        if not path.is_file():
            line = pack_doc.line_of(("sections", index))
            problems.append(Problem(pack_doc.path, line, f"section file {path.name} is missing"))
            continue
        try:
            loaded.append(read_section(path, section_id))
        except PackError as exc:
            problems.extend(exc.problems)
    for path in sorted(directory.glob("*.y*ml")):
        if path.name != PACK_FILE and path.stem not in listed:
            message = f"section file {path.name} is not listed in {PACK_FILE} 'sections'"
            problems.append(Problem(path, None, message))
    return loaded


def _read_source_items(
    directory: Path, pack_doc: YamlDocument, pack_file: PackFile, problems: list[Problem]
) -> tuple[Path | None, tuple[SourceItem, ...]]:
    if pack_file.source_document is None:
        return None, ()
    path = directory / pack_file.source_document
    line = pack_doc.line_of(("source_document",))
    if not path.resolve().is_relative_to(directory.resolve()):
        problems.append(Problem(pack_doc.path, line, "source_document must be inside the pack"))
        return None, ()
    try:
        return path, parse_source_document(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        problems.append(Problem(pack_doc.path, line, f"cannot read source_document: {exc}"))
        return None, ()


def check_sections(
    sections: Sequence[LoadedSection],
    pack_params: Mapping[str, Parameter],
    tools: ToolCatalogues | None,
    source_items: Sequence[SourceItem] = (),
) -> list[Problem]:
    """Check what no single section file can: unique ids and prefixes, params, examples, codes."""
    known_params = set(pack_params)
    problems = _duplicate_ids(sections)
    source_texts = {item.text for item in source_items}
    for item in sections:
        for index, rule in enumerate(item.section.rules):
            where = ("rules", index)
            problems.extend(_param_problems(item, index, known_params | set(rule.params)))
            problems.extend(_example_problems(item, index))
            if tools is not None:
                problems.extend(_tool_problems(item, index, tools))
            if source_texts:
                for number, entry in enumerate(rule.source):
                    if entry not in source_texts:
                        line = item.document.line_of((*where, "source", number))
                        message = f"rule {rule.id}: source entry is not in the source document"
                        problems.append(Problem(item.document.path, line, f"{message}: {entry!r}"))
    return problems


def _duplicate_ids(sections: Iterable[LoadedSection]) -> list[Problem]:
    problems: list[Problem] = []
    first_rule: dict[str, str] = {}
    first_prefix: dict[str, str] = {}
    for item in sections:
        path = item.document.path
        prefix = item.section.prefix
        if prefix in first_prefix:
            line = item.document.line_of(("prefix",))
            message = f"prefix {prefix} is already used by {first_prefix[prefix]}"
            problems.append(Problem(path, line, message))
        first_prefix.setdefault(prefix, path.name)
        for index, rule in enumerate(item.section.rules):
            place = f"{path.name}:{item.document.line_of(('rules', index, 'id'))}"
            if rule.id in first_rule:
                line = item.document.line_of(("rules", index, "id"))
                message = f"rule id {rule.id} is already defined at {first_rule[rule.id]}"
                problems.append(Problem(path, line, message))
            first_rule.setdefault(rule.id, place)
    return problems


def _param_problems(item: LoadedSection, index: int, known: set[str]) -> list[Problem]:
    rule = item.section.rules[index]
    problems: list[Problem] = []
    for field_name, text in rule.texts():
        for name in referenced_params(text):
            if name not in known:
                line = item.document.line_of(("rules", index, field_name))
                message = f"rule {rule.id}: {field_name} uses unknown parameter '${{{name}}}'"
                problems.append(Problem(item.document.path, line, message))
    return problems


def _example_problems(item: LoadedSection, index: int) -> list[Problem]:
    rule = item.section.rules[index]
    problems: list[Problem] = []
    for number, example in enumerate(rule.examples):
        for context_path, context_code in example.context.items():
            if context_path.endswith(".py") and _syntax_error(context_code, context_path):
                line = item.document.line_of(("rules", index, "examples", number, "context"))
                message = f"rule {rule.id}: example context {context_path} is not valid Python"
                problems.append(Problem(item.document.path, line, message))
        if not example.is_python:
            continue
        try:
            with warnings.catch_warnings():
                # Bad examples may show invalid escapes on purpose; only syntax errors matter.
                warnings.simplefilter("ignore", category=DeprecationWarning)
                warnings.simplefilter("ignore", category=SyntaxWarning)
                ast.parse(example.code, filename=example.path)
        except SyntaxError as exc:
            start = item.document.text_start_line(
                ("rules", index, "examples", number, example.kind)
            )
            line = start + (exc.lineno or 1) - 1 if start is not None else None
            message = f"rule {rule.id}: {example.kind} example is not valid Python: {exc.msg}"
            problems.append(Problem(item.document.path, line, message))
    return problems


def _syntax_error(code: str, path: str) -> bool:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ast.parse(code, filename=path)
    except SyntaxError:
        return True
    return False


def _tool_problems(item: LoadedSection, index: int, tools: ToolCatalogues) -> list[Problem]:
    rule = item.section.rules[index]
    problems: list[Problem] = []
    for number, binding in enumerate(rule.checks):
        loc = ("rules", index, "checks", number)
        messages: list[str | None] = []
        if isinstance(binding, RuffBinding) and tools.ruff is not None:
            messages = [tools.ruff.problem_with(code) for code in binding.ruff]
        elif isinstance(binding, MypyBinding) and tools.mypy is not None:
            messages = [tools.mypy.problem_with_code(code) for code in binding.mypy]
            messages += [tools.mypy.problem_with_flag(flag) for flag in binding.flags]
        line = item.document.line_of(loc)
        problems.extend(
            Problem(item.document.path, line, f"rule {rule.id}: {message}")
            for message in messages
            if message is not None
        )
    return problems
