"""The custom-check framework: module checks on libcst, project checks on merged facts.

A **module check** is a libcst ``BatchableCSTVisitor``: every module check bound by the pack runs
in one traversal of each file, with positions from ``PositionProvider`` and names resolved by the
module's :class:`~rulepack.evaluator.checks.imports.ImportMap`. A **project check** reads the
facts of every module of a sample (and its file listing) and runs once per sample.

Each check declares its id (the ``custom:`` binding in the pack), the rule parameters it reads,
and its own good and bad cases, which the test harness runs beside the pack's examples.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import ClassVar, TypeVar, cast

import libcst as cst
from libcst.metadata import PositionProvider

from rulepack.evaluator.checks.facts import ModuleFacts, ResolvedRoute, Span, resolve_routes
from rulepack.evaluator.checks.imports import ImportMap
from rulepack.rules.model import ParamValue


@dataclass(frozen=True)
class Hit:
    """A violation found by a check: where and what."""

    path: str
    span: Span
    message: str
    advisory: bool = False  # a heuristic that cannot prove the violation: info, not scored


@dataclass(frozen=True)
class Case:
    """A check's own test case: files of a small sample and how many hits the check must find.

    ``files`` maps relative paths to source; a module check's case usually has one file.
    ``hits`` is the exact number of hits expected (0 for a good case).
    """

    files: Mapping[str, str]
    hits: int
    note: str = ""

    @classmethod
    def good(cls, source: str, path: str = "app/example.py", note: str = "") -> Case:
        """A one-file case on which the check must report nothing."""
        return cls({path: source}, 0, note)

    @classmethod
    def bad(cls, source: str, hits: int = 1, path: str = "app/example.py", note: str = "") -> Case:
        """A one-file case on which the check must report ``hits`` times."""
        return cls({path: source}, hits, note)


@dataclass(frozen=True)
class ModuleContext:
    """What a module check knows about the file it visits."""

    path: str
    facts: ModuleFacts
    imports: ImportMap
    project: ProjectFacts
    params: Mapping[str, ParamValue] = field(default_factory=dict)


_T = TypeVar("_T")


@dataclass(frozen=True)
class Surroundings:
    """What lies around the files a check run visits.

    ``scope`` names the sources module checks visit (``None``: all); the other sources of the
    project only resolve imports and feed the project checks. ``files`` and ``texts`` are the
    files above the sample's root (see :attr:`ProjectFacts.context_files`).
    """

    scope: frozenset[str] | None = None
    files: tuple[str, ...] = ()
    texts: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class ProjectFacts:
    """The facts of every module of a sample, and its files."""

    modules: tuple[ModuleFacts, ...]
    files: tuple[str, ...]  # every file of the sample, relative POSIX paths
    texts: Mapping[str, str] = field(default_factory=dict)  # non-Python files checks may read
    sources: Mapping[str, str] = field(default_factory=dict)  # Python files that parse
    trees: Mapping[str, ast.Module] = field(default_factory=dict)  # their ``ast`` trees
    # Files above the sample's root, up to its repository or workspace root (lock files,
    # manifests, ``.env.example``, ``tests/``), as paths relative to the root (``../../uv.lock``).
    # Context for deciding that something is absent; checks do not report at them.
    context_files: tuple[str, ...] = ()
    context_texts: Mapping[str, str] = field(default_factory=dict)
    # Results derived from the facts that several checks (or one check on every module) need;
    # computed once per sample by :meth:`cached`.
    _memo: dict[str, object] = field(default_factory=dict, compare=False, repr=False)

    def cached(self, key: str, compute: Callable[[], _T]) -> _T:
        """``compute()``, evaluated once per sample for ``key`` (use a unique, dotted key)."""
        if key not in self._memo:
            self._memo[key] = compute()
        return cast("_T", self._memo[key])

    def module(self, path: str) -> ModuleFacts | None:
        """The facts of the module at ``path``, if it parsed."""
        return next((module for module in self.modules if module.path == path), None)

    @property
    def app_names(self) -> frozenset[str]:
        """Qualified names of every ``FastAPI()`` instance."""
        return frozenset(app.name for module in self.modules for app in module.apps)

    @property
    def router_names(self) -> frozenset[str]:
        """Qualified names of every ``APIRouter()`` instance."""
        return frozenset(router.name for module in self.modules for router in module.routers)

    def routes(self) -> list[ResolvedRoute]:
        """Every route with its full path, composed across modules."""
        return resolve_routes(self.modules)

    def subclasses_of(self, roots: Iterable[str]) -> frozenset[str]:
        """``roots`` and every class of the sample that inherits from one, at any depth.

        Bases are the qualified names the defining module's imports give them, so a subclass of a
        subclass defined in another module counts when that module imports it by its own path.
        """
        known = set(roots)
        classes = [fact for module in self.modules for fact in module.classes]
        changed = True
        while changed:
            changed = False
            for fact in classes:
                if fact.name not in known and any(base in known for base in fact.bases):
                    known.add(fact.name)
                    changed = True
        return frozenset(known)


@cache
def _visitor_names(cls: type[cst.BatchableCSTVisitor]) -> tuple[str, ...]:
    """Names of the non-stub visitor methods of a check class."""
    names: list[str] = []
    for name in dir(cls):
        if name.startswith(("visit_", "leave_")):
            method = getattr(cls, name)
            if callable(method) and not getattr(method, "_is_no_op", False):
                names.append(name)
    return tuple(names)


class ModuleCheck(cst.BatchableCSTVisitor):
    """Base of checks that visit one module. Subclasses set the class attributes and visit."""

    id: ClassVar[str]
    summary: ClassVar[str]
    params: ClassVar[tuple[str, ...]] = ()
    good: ClassVar[tuple[Case, ...]] = ()
    bad: ClassVar[tuple[Case, ...]] = ()
    METADATA_DEPENDENCIES = (PositionProvider,)

    def __init__(self, context: ModuleContext) -> None:
        """Start a visit of the module in ``context``."""
        super().__init__()
        self.context = context
        self.hits: list[Hit] = []
        self.opportunities = 0  # metric checks: how many items were measured

    def measured(self, count: int = 1) -> None:
        """Count items a metric check measured (fields, functions ...), violations or not.

        For a rule with ``scoring: metric`` the compliance is ``1 - hits / measured`` over the
        sample, instead of the share of files without hits.
        """
        self.opportunities += count

    @classmethod
    def applies(cls, facts: ModuleFacts, project: ProjectFacts) -> bool:
        """Whether the check's rule applies to this module at all (default: every module)."""
        del facts, project
        return True

    def get_visitors(self) -> Mapping[str, Callable[[cst.CSTNode], None]]:
        """The ``visit_*``/``leave_*`` methods, found once per class.

        libcst's default runs ``inspect.getmembers`` on every instance, which took a fifth of a
        check run (one instance per file and check).
        """
        return {name: getattr(self, name) for name in _visitor_names(type(self))}

    def qualified(self, node: cst.BaseExpression) -> str | None:
        """The qualified name of a ``Name``/``Attribute`` chain (``resolve`` is libcst's)."""
        return self.context.imports.resolve(node)

    def report(self, node: cst.CSTNode, message: str) -> None:
        """Record a hit at ``node``."""
        span = Span.of(self.get_metadata(PositionProvider, node))
        self.hits.append(Hit(self.context.path, span, message))


class ProjectCheck:
    """Base of checks that look at a whole sample."""

    id: ClassVar[str]
    summary: ClassVar[str]
    params: ClassVar[tuple[str, ...]] = ()
    good: ClassVar[tuple[Case, ...]] = ()
    bad: ClassVar[tuple[Case, ...]] = ()

    def __init__(self, project: ProjectFacts, params: Mapping[str, ParamValue]) -> None:
        """Prepare to check ``project`` with the rule's parameter values ``params``.

        The values are kept as ``param_values``: the class attribute ``params`` names the
        parameters the check reads.
        """
        self.project = project
        self.param_values = params
        self.opportunities = 0  # metric checks: how many items were measured

    def measured(self, count: int = 1) -> None:
        """Count items a metric check measured (see :meth:`ModuleCheck.measured`)."""
        self.opportunities += count

    def applies(self) -> bool:
        """Whether the check's rule applies to this sample (default: always)."""
        return True

    def run(self) -> Iterator[Hit]:
        """Yield every violation in the sample."""
        raise NotImplementedError


CheckClass = type[ModuleCheck] | type[ProjectCheck]


def check_index(checks: Sequence[CheckClass]) -> dict[str, CheckClass]:
    """Checks by id; ids must be unique."""
    index: dict[str, CheckClass] = {}
    for check in checks:
        if check.id in index:
            raise ValueError(f"check id {check.id} is defined twice")
        index[check.id] = check
    return index
