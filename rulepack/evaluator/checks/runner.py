"""Run custom checks over one sample: parse each file once, collect facts, then check.

Each file is parsed with libcst once. Its positions are computed once and shared by the fact pass
and by the single batched traversal that runs every module check. Project checks then run on the
merged facts. A file that does not parse is reported, not fatal: the checks that need it count it
as failed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import libcst as cst
from libcst.metadata import MetadataWrapper

from rulepack.evaluator.checks.base import (
    CheckClass,
    Hit,
    ModuleCheck,
    ModuleContext,
    ProjectCheck,
    ProjectFacts,
)
from rulepack.evaluator.checks.facts import FactCollector, ModuleFacts
from rulepack.evaluator.checks.imports import ImportMap
from rulepack.rules.model import ParamValue

PROJECT = "<project>"  # the "file" a project check applies to


def module_name_for(path: str) -> str:
    """``app/routers/users.py`` -> ``app.routers.users``; ``pkg/__init__.py`` -> ``pkg``."""
    parts = path.removesuffix(".py").split("/")
    if parts and parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(part for part in parts if part)


@dataclass(frozen=True)
class ParseFailure:
    """A file the checks could not read as Python."""

    path: str
    line: int | None
    message: str


@dataclass
class CheckRun:
    """Hits per check id, the files each check applied to, and files that failed to parse."""

    hits: dict[str, list[Hit]] = field(default_factory=dict)
    applied: dict[str, set[str]] = field(default_factory=dict)
    failures: list[ParseFailure] = field(default_factory=list)
    facts: tuple[ModuleFacts, ...] = ()


@dataclass(frozen=True)
class _Parsed:
    path: str
    wrapper: MetadataWrapper
    imports: ImportMap
    facts: ModuleFacts


def _parse(path: str, source: str) -> _Parsed | ParseFailure:
    try:
        module = cst.parse_module(source)
    except cst.ParserSyntaxError as exc:
        return ParseFailure(path, exc.raw_line, f"syntax error: {exc.message}")
    except (RecursionError, ValueError) as exc:
        return ParseFailure(path, None, f"cannot parse: {exc}")
    wrapper = MetadataWrapper(module, unsafe_skip_copy=True)
    imports = ImportMap.of(module, module_name_for(path))
    collector = FactCollector(path, imports)
    wrapper.visit(collector)
    return _Parsed(path, wrapper, imports, collector.facts())


def run_checks(
    sources: Mapping[str, str],
    checks: Sequence[CheckClass],
    params: Mapping[str, Mapping[str, ParamValue]],
    other_files: Sequence[str] = (),
    texts: Mapping[str, str] | None = None,
) -> CheckRun:
    """Run ``checks`` over the Python ``sources`` of one sample.

    Args:
        sources: Python files of the sample by relative path.
        checks: The check classes to run (module and project checks).
        params: Parameter values per check id.
        other_files: Relative paths of the sample's non-Python files (for project checks).
        texts: Contents of non-Python files project checks may read (``.env.example`` ...).
    """
    run = CheckRun()
    parsed: list[_Parsed] = []
    for path, source in sorted(sources.items()):
        result = _parse(path, source)
        if isinstance(result, ParseFailure):
            run.failures.append(result)
        else:
            parsed.append(result)
    project = ProjectFacts(
        modules=tuple(p.facts for p in parsed),
        files=tuple(sorted({*sources, *other_files})),
        texts=dict(texts or {}),
    )
    run.facts = project.modules
    module_checks = [c for c in checks if issubclass(c, ModuleCheck)]
    project_checks = [c for c in checks if issubclass(c, ProjectCheck)]
    for check in checks:
        run.hits[check.id] = []
        run.applied[check.id] = set()
    for item in parsed:
        _check_module(item, module_checks, params, project, run)
    for check in project_checks:
        instance = check(project, params.get(check.id, {}))
        if instance.applies():
            run.applied[check.id].add(PROJECT)
            run.hits[check.id].extend(instance.run())
    return run


def _check_module(
    item: _Parsed,
    checks: Sequence[type[ModuleCheck]],
    params: Mapping[str, Mapping[str, ParamValue]],
    project: ProjectFacts,
    run: CheckRun,
) -> None:
    visitors: list[ModuleCheck] = []
    for check in checks:
        if not check.applies(item.facts, project):
            continue
        context = ModuleContext(
            item.path, item.facts, item.imports, project, params.get(check.id, {})
        )
        visitors.append(check(context))
        run.applied[check.id].add(item.path)
    if visitors:
        item.wrapper.visit_batched(visitors)
    for visitor in visitors:
        run.hits[visitor.id].extend(visitor.hits)
