"""Run custom checks over one sample: collect facts with ``ast``, then check with libcst.

Every file is parsed for the sample's target Python (:mod:`parsing`): with ``ast`` for the fact
pass (fast), through libcst and a line-preserving lowering when it uses syntax newer than the
running interpreter's. Files that some module check applies to are then parsed with libcst once
(or keep the tree the lowering made), and every applicable module check runs in one batched
traversal with shared positions. Project checks run last, on the merged facts. A file that does
not parse is reported once, with its reason, and not checked.
"""

from __future__ import annotations

import ast
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import libcst as cst
from libcst.metadata import MetadataWrapper

from rulepack.evaluator.checks.ast_facts import collect_facts, import_map
from rulepack.evaluator.checks.base import (
    CheckClass,
    Hit,
    ModuleCheck,
    ModuleContext,
    ProjectCheck,
    ProjectFacts,
    Surroundings,
)
from rulepack.evaluator.checks.facts import ModuleFacts
from rulepack.evaluator.checks.imports import ImportMap
from rulepack.evaluator.checks.parsing import ParseFailure, parse_source
from rulepack.evaluator.pyversion import PythonVersion
from rulepack.rules.model import ParamValue

PROJECT = "<project>"  # the "file" a project check applies to


def module_name_for(path: str) -> str:
    """``app/routers/users.py`` -> ``app.routers.users``; ``pkg/__init__.py`` -> ``pkg``."""
    parts = path.removesuffix(".py").split("/")
    if parts and parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(part for part in parts if part)


@dataclass
class CheckRun:
    """Hits per check id, the files each check applied to, and files that failed to parse."""

    hits: dict[str, list[Hit]] = field(default_factory=dict)
    applied: dict[str, set[str]] = field(default_factory=dict)
    failures: list[ParseFailure] = field(default_factory=list)
    facts: tuple[ModuleFacts, ...] = ()
    measured: dict[str, int] = field(default_factory=dict)  # metric checks: items measured


@dataclass(frozen=True)
class _Parsed:
    path: str
    source: str
    tree: ast.Module
    imports: ImportMap
    facts: ModuleFacts
    module: cst.Module | None  # libcst's tree, when parsing already made one


def _parse(path: str, source: str, python: PythonVersion) -> _Parsed | ParseFailure:
    """Parse for ``python`` and collect facts; libcst parses later, only for module checks."""
    result = parse_source(path, source, python)
    if isinstance(result, ParseFailure):
        return result
    tree = result.tree
    imports = import_map(tree, module_name_for(path), path)
    facts = collect_facts(tree, path, imports, source)
    return _Parsed(path, source, tree, imports, facts, result.module)


def run_checks(
    sources: Mapping[str, str],
    checks: Sequence[CheckClass],
    params: Mapping[str, Mapping[str, ParamValue]],
    other_files: Sequence[str] = (),
    texts: Mapping[str, str] | None = None,
    around: Surroundings | None = None,
    *,
    python: PythonVersion | None = None,
) -> CheckRun:
    """Run ``checks`` over the Python ``sources`` of one sample.

    Args:
        sources: Python files of the sample by relative path.
        checks: The check classes to run (module and project checks).
        params: Parameter values per check id.
        other_files: Relative paths of the sample's non-Python files (for project checks).
        texts: Contents of non-Python files project checks may read (``.env.example`` ...).
        around: Which sources module checks visit (the rest only resolve imports and feed the
            project checks), and the files above the sample's root.
        python: The Python version the sample targets (default: the newest supported).
    """
    run = CheckRun()
    parsed: list[_Parsed] = []
    target = python or PythonVersion.newest()
    for path, source in sorted(sources.items()):
        result = _parse(path, source, target)
        if isinstance(result, ParseFailure):
            run.failures.append(result)
        else:
            parsed.append(result)
    project = ProjectFacts(
        modules=tuple(p.facts for p in parsed),
        files=tuple(sorted({*sources, *other_files})),
        texts=dict(texts or {}),
        sources={p.path: p.source for p in parsed},
        trees={p.path: p.tree for p in parsed},
        context_files=around.files if around else (),
        context_texts=dict(around.texts) if around else {},
    )
    run.facts = project.modules
    module_checks = [c for c in checks if issubclass(c, ModuleCheck)]
    project_checks = [c for c in checks if issubclass(c, ProjectCheck)]
    for check in checks:
        run.hits[check.id] = []
        run.applied[check.id] = set()
        run.measured[check.id] = 0
    for item in parsed:
        if around is not None and around.scope is not None and item.path not in around.scope:
            continue
        _check_module(item, module_checks, params, project, run)
    for check in project_checks:
        instance = check(project, params.get(check.id, {}))
        if instance.applies():
            run.applied[check.id].add(PROJECT)
            run.hits[check.id].extend(instance.run())
            run.measured[check.id] += instance.opportunities
    return run


def _check_module(
    item: _Parsed,
    checks: Sequence[type[ModuleCheck]],
    params: Mapping[str, Mapping[str, ParamValue]],
    project: ProjectFacts,
    run: CheckRun,
) -> None:
    applicable = [check for check in checks if check.applies(item.facts, project)]
    if not applicable:
        return
    try:
        module = item.module or cst.parse_module(item.source)
    except (cst.ParserSyntaxError, RecursionError, ValueError) as exc:
        message = exc.message if isinstance(exc, cst.ParserSyntaxError) else str(exc)
        line = exc.raw_line if isinstance(exc, cst.ParserSyntaxError) else None
        where = f"syntax error at line {line}" if line else "syntax error"
        failure = ParseFailure(item.path, line, "syntax error", f"{where} (libcst): {message}")
        run.failures.append(failure)
        return
    visitors = [
        check(ModuleContext(item.path, item.facts, item.imports, project, params.get(check.id, {})))
        for check in applicable
    ]
    MetadataWrapper(module, unsafe_skip_copy=True).visit_batched(visitors)
    for visitor in visitors:
        run.applied[visitor.id].add(item.path)
        run.hits[visitor.id].extend(visitor.hits)
        run.measured[visitor.id] += visitor.opportunities
