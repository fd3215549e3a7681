"""The checks whose findings the codemods rewrite, run so that they hand back the nodes they report.

Each finder is its check with ``report`` overridden: instead of a hit with a position, it keeps
the libcst node. A codemod then rewrites exactly those nodes of the same tree, so a fix never
touches code its check does not report. The finders run without metadata (the three checks read
positions only to report), and a line is computed only when a note needs one: positions cost
about two thirds of a check pass on a large module.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import libcst as cst
from libcst.metadata import CodeRange, MetadataWrapper, PositionProvider

from rulepack.evaluator.checks.ast_facts import collect_facts, import_map
from rulepack.evaluator.checks.base import ModuleCheck, ModuleContext, ProjectFacts
from rulepack.evaluator.checks.literal_status_code import LiteralStatusCode
from rulepack.evaluator.checks.on_event import OnEvent
from rulepack.evaluator.checks.pydantic_v1_api import PydanticV1Api
from rulepack.evaluator.checks.runner import module_name_for
from rulepack.rules.model import ParamValue


class Lines:
    """The lines of a module's nodes, computed on first use."""

    def __init__(self, module: cst.Module) -> None:
        """Prepare to locate nodes of ``module`` (the very tree, not a copy)."""
        self.module = module
        self.positions: Mapping[cst.CSTNode, CodeRange] | None = None

    def of(self, node: cst.CSTNode) -> int:
        """The first line of ``node``."""
        if self.positions is None:
            wrapper = MetadataWrapper(self.module, unsafe_skip_copy=True)
            self.positions = wrapper.resolve(PositionProvider)
        return self.positions[node].start.line


@dataclass(frozen=True)
class Found:
    """A node a check reported, and the check's message."""

    node: cst.CSTNode
    message: str
    lines: Lines

    @property
    def line(self) -> int:
        """The node's first line."""
        return self.lines.of(self.node)


class Collector(ModuleCheck):
    """Mixed in before a check: keep each reported node instead of recording a hit."""

    def __init__(self, context: ModuleContext) -> None:
        """Start with nothing found."""
        super().__init__(context)
        self.reported: list[tuple[cst.CSTNode, str]] = []

    def report(self, node: cst.CSTNode, message: str) -> None:
        """Keep ``node``."""
        self.reported.append((node, message))


class StatusCodeFinder(Collector, LiteralStatusCode):
    """``literal-status-code``, keeping the integer literals it reports."""


class ConfigFinder(Collector, PydanticV1Api):
    """``pydantic-v1-api``, keeping what it reports (the names of ``class Config`` among them)."""


class OnEventFinder(Collector, OnEvent):
    """``on-event``, keeping the decorators, calls and arguments it reports."""


@dataclass(frozen=True)
class ParsedModule:
    """One module's text with its ``ast`` tree, imports and facts (for the check contexts)."""

    path: str
    text: str
    tree: ast.Module
    context: ModuleContext


def parse_module(
    path: str, text: str, project: ProjectFacts | None, params: Mapping[str, ParamValue]
) -> ParsedModule:
    """Parse ``text`` with ``ast`` and build a check context (raises ``SyntaxError``).

    Without ``project`` (the fact pass itself) the context sees only this module.
    """
    tree = ast.parse(text, filename=path)
    imports = import_map(tree, module_name_for(path))
    facts = collect_facts(tree, path, imports, text)
    known = project or ProjectFacts(modules=(facts,), files=(path,))
    return ParsedModule(path, text, tree, ModuleContext(path, facts, imports, known, params))


def project_facts(
    parsed: Mapping[str, ParsedModule], files: Iterable[str], texts: Mapping[str, str]
) -> ProjectFacts:
    """The facts of a sample whose Python files that parse are ``parsed``.

    ``files`` are all the sample's files (Python or not), ``texts`` its readable non-Python files.
    """
    return ProjectFacts(
        modules=tuple(module.context.facts for module in parsed.values()),
        files=tuple(sorted({*parsed, *files})),
        texts=dict(texts),
        sources={path: module.text for path, module in parsed.items()},
        trees={path: module.tree for path, module in parsed.items()},
    )


def find(
    finder: type[Collector], module: cst.Module, parsed: ParsedModule
) -> Sequence[Found] | None:
    """What ``finder`` reports in ``module``; ``None`` when its rule does not apply there.

    ``module`` is visited in place (no copy), so the nodes found are nodes of ``module``.
    """
    context = parsed.context
    if not finder.applies(context.facts, context.project):
        return None
    visitor = finder(context)
    cst.visit_batched(module, [visitor])  # no metadata: the checks only need it to report
    lines = Lines(module)
    return [Found(node, message, lines) for node, message in visitor.reported]
