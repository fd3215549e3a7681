"""Plan the fixes of a set of samples, show them as a diff, or write them.

Each file goes through the codemods whose checks the selected rules bind (lifespan, status codes,
``model_config``, in that order), then through ruff's fixer. After every step the new text must
compile (``compile()``: syntax and scopes, nothing is run); a step whose result does not is
dropped and reported. Files that cannot be read or do not parse are reported and left alone.
Only the Python files of the given samples are ever written, through an atomic replace, and a file
that changed on disk since it was read is not overwritten.
"""

from __future__ import annotations

import ast
import codecs
import re
import tempfile
import warnings
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import libcst as cst

from rulepack.errors import display_path
from rulepack.evaluator.bindings import Bindings, bindings_for, ruff_config, select_rules
from rulepack.evaluator.checks.base import ProjectFacts
from rulepack.evaluator.samples import Sample
from rulepack.evaluator.tool_settings import sample_tool_settings
from rulepack.exporters.install.fs import atomic_write
from rulepack.fixes.edits import bound_names
from rulepack.fixes.finders import (
    ConfigFinder,
    Found,
    OnEventFinder,
    ParsedModule,
    StatusCodeFinder,
    find,
    parse_module,
    project_facts,
)
from rulepack.fixes.lifespan import fix_lifespan
from rulepack.fixes.model import FileFix, FixKind, FixPlan, Note, Outcome
from rulepack.fixes.pydantic_config import fix_model_configs, pydantic_v1_pin
from rulepack.fixes.ruff_fix import RuffResult, reexported, ruff_fix
from rulepack.fixes.status_codes import fix_status_codes
from rulepack.rules.model import Pack
from rulepack.rules.tool_codes import RuffCatalogue

ON_EVENT = "on-event"
LITERAL_STATUS_CODE = "literal-status-code"
PYDANTIC_V1_API = "pydantic-v1-api"
# Text each check needs before it can report anything: a cheap filter before the libcst passes.
TOKENS = {
    ON_EVENT: re.compile(r"on_event|add_event_handler|on_startup|on_shutdown"),
    LITERAL_STATUS_CODE: re.compile(r"\b[1-5][0-9][0-9]\b|\b0[xXoObB]"),
    PYDANTIC_V1_API: re.compile(r"\bclass\s+Config\b"),
}


@dataclass(frozen=True)
class FixOptions:
    """Which rules to fix (ids or prefixes, as for ``eval``) and the ruff time limit per file."""

    select: Sequence[str] = ()
    ignore: Sequence[str] = ()
    timeout: float = 60.0


def plan_fixes(pack: Pack, samples: Sequence[Sample], options: FixOptions) -> FixPlan:
    """Compute the fixes of every Python file of ``samples`` without writing anything."""
    bindings = bindings_for(pack, select_rules(pack, options.select, options.ignore))
    catalogue = RuffCatalogue.installed() if bindings.ruff else None
    changes: list[FileFix] = []
    notes: list[Note] = []
    seen: set[Path] = set()
    with tempfile.TemporaryDirectory(prefix="rulepack-fix-") as scratch:
        for number, sample in enumerate(samples):
            config = None
            if catalogue is not None:
                config = Path(scratch) / f"ruff-{number}.toml"
                text = ruff_config(
                    bindings,
                    catalogue,
                    [sample.root],
                    sample.python,
                    sample_tool_settings(sample.texts, sample.context_texts),
                )
                config.write_text(text, encoding="utf-8")
            fixer = SampleFixer(sample, bindings, config, options, seen)
            fixer.run()
            changes.extend(fixer.changes)
            notes.extend(fixer.notes)
    return FixPlan(tuple(changes), tuple(notes))


def write_fixes(plan: FixPlan) -> tuple[list[FileFix], list[Note]]:
    """Write every change of ``plan``; return the files written and those left alone (why)."""
    written: list[FileFix] = []
    problems: list[Note] = []
    for change in plan.changes:
        try:
            raw = change.path.read_bytes()
            current = raw.decode("utf-8-sig")
        except (OSError, UnicodeDecodeError) as exc:
            problems.append(Note(change.shown, None, f"not written: cannot read it again: {exc}"))
            continue
        if current != change.before:
            problems.append(Note(change.shown, None, "not written: it changed since it was read"))
            continue
        bom = "\ufeff" if raw.startswith(codecs.BOM_UTF8) else ""
        atomic_write(change.path, bom + change.after)
        written.append(change)
    return written, problems


def compile_error(text: str, path: str) -> str | None:
    """Why ``text`` does not compile (syntax or scope errors), or ``None``; nothing is run."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # invalid escapes and the like are not ours to report
            compile(text, path, "exec", dont_inherit=True)
    except SyntaxError as exc:
        return f"line {exc.lineno}: {exc.msg}"
    except (ValueError, RecursionError, MemoryError) as exc:
        return str(exc)
    return None


def identifiers(tree: ast.AST) -> set[str]:
    """Every name, attribute, imported name and identifier-like string of ``tree``."""
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            found.add(node.id)
        elif isinstance(node, ast.Attribute):
            found.add(node.attr)
        elif isinstance(node, ast.alias):
            found.update({node.name.rpartition(".")[2], node.asname or ""})
        elif (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and node.value.isidentifier()
        ):
            found.add(node.value)
    return found


Step = Callable[[cst.Module, ParsedModule], Outcome]


@dataclass
class SampleFixer:
    """Fixes the Python files of one sample."""

    sample: Sample
    bindings: Bindings
    ruff_config: Path | None
    options: FixOptions
    seen: set[Path]
    changes: list[FileFix] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)
    project: ProjectFacts = field(init=False)
    shown: dict[str, str] = field(default_factory=dict)

    def run(self) -> None:
        """Read, parse, fix and check every file of the sample."""
        parsed = self._parse_all()
        if not parsed:
            return
        files = [*(source.path for source in self.sample.sources), *self.sample.other_files]
        self.project = project_facts(parsed, files, self.sample.texts)
        shared, on_event_paths = self._on_event_modules(parsed)
        taken = reexported(self.project.trees)
        pin = pydantic_v1_pin({**self.sample.texts, **self.project.sources})
        for path, module in parsed.items():
            steps = self._steps(path, shared, on_event_paths, pin)
            self._fix_file(path, module.text, steps, taken.get(path, frozenset()))

    def _parse_all(self) -> dict[str, ParsedModule]:
        parsed: dict[str, ParsedModule] = {}
        for source in self.sample.sources:
            absolute = self.sample.root / source.path
            shown = display_path(absolute)
            self.shown[source.path] = shown
            if absolute.resolve() in self.seen:
                continue
            self.seen.add(absolute.resolve())
            if source.text is None:
                self.notes.append(Note(shown, None, f"not fixed: {source.problem}"))
            elif absolute.is_symlink():
                self.notes.append(Note(shown, None, "not fixed: a symbolic link"))
            else:
                try:
                    parsed[source.path] = parse_module(source.path, source.text, None, {})
                except SyntaxError as exc:
                    self.notes.append(Note(shown, exc.lineno, f"not fixed: {exc.msg}"))
                except (ValueError, RecursionError, MemoryError) as exc:
                    self.notes.append(Note(shown, None, f"not fixed: cannot parse: {exc}"))
        return parsed

    def _enabled(self, check_id: str) -> bool:
        return check_id in self.bindings.custom

    def _reparse(self, path: str, text: str, check_id: str) -> ParsedModule:
        return parse_module(path, text, self.project, self.bindings.params.get(check_id, {}))

    def _on_event_modules(self, parsed: Mapping[str, ParsedModule]) -> tuple[str | None, set[str]]:
        """The modules with ``on-event`` findings, and why they cannot be rewritten together."""
        if not self._enabled(ON_EVENT):
            return None, set()
        paths: set[str] = set()
        for path, module in parsed.items():
            if not TOKENS[ON_EVENT].search(module.text):
                continue
            try:
                tree = cst.parse_module(module.text)
            except cst.ParserSyntaxError:
                continue
            if find(OnEventFinder, tree, self._reparse(path, module.text, ON_EVENT)):
                paths.add(path)
        if len(paths) < 2:
            return None, paths
        names = ", ".join(sorted(paths))
        return f"lifecycle handlers are registered in several modules: {names}", paths

    def _steps(
        self, path: str, shared: str | None, on_event_paths: set[str], pin: str | None
    ) -> list[tuple[FixKind, str, Step]]:
        steps: list[tuple[FixKind, str, Step]] = []
        if path in on_event_paths:
            outside = frozenset(
                name
                for other, tree in self.project.trees.items()
                if other != path
                for name in identifiers(tree)
            )

            def lifespan(module: cst.Module, parsed: ParsedModule) -> Outcome:
                found = find(OnEventFinder, module, parsed) or ()
                return fix_lifespan(module, parsed, found, shared=shared, outside=outside)

            steps.append((FixKind.LIFESPAN, ON_EVENT, lifespan))
        if self._enabled(LITERAL_STATUS_CODE):
            steps.append((FixKind.STATUS_CODE, LITERAL_STATUS_CODE, _status_step))
        if self._enabled(PYDANTIC_V1_API):
            steps.append((FixKind.MODEL_CONFIG, PYDANTIC_V1_API, _config_step(pin)))
        return steps

    def _fix_file(
        self,
        path: str,
        original: str,
        steps: Sequence[tuple[FixKind, str, Step]],
        taken: frozenset[str],
    ) -> None:
        shown = self.shown[path]
        text = original
        counts: Counter[FixKind] = Counter()
        for kind, check_id, step in steps:
            if not TOKENS[check_id].search(text):
                continue
            try:
                parsed = self._reparse(path, text, check_id)
                outcome = step(cst.parse_module(text), parsed)
            except (SyntaxError, cst.ParserSyntaxError) as exc:
                self.notes.append(Note(shown, None, f"{kind.value}: not fixed: {exc}"))
                break
            self.notes.extend(Note(shown, line, message) for line, message in outcome.notes)
            text = self._accept(shown, kind, text, outcome.text, outcome.fixed, counts)
        if self.ruff_config is not None:
            result = self._ruff(path, text, taken, self.ruff_config)
            if result.error is not None:
                self.notes.append(Note(shown, None, f"ruff fixes not applied: {result.error}"))
            text = self._accept(shown, FixKind.RUFF, text, result.text, result.fixed, counts)
        if text != original:
            self.changes.append(
                FileFix(self.sample.root / path, shown, original, text, dict(counts))
            )

    def _ruff(self, path: str, text: str, taken: frozenset[str], config: Path) -> RuffResult:
        """Ruff's fixes; again without F401 if they drop an import other modules take."""
        absolute = (self.sample.root / path).resolve()
        timeout = self.options.timeout
        result = ruff_fix(text, absolute, config, keep_imports=False, timeout=timeout)
        if not taken or result.error is not None or taken <= _bound(result.text):
            return result
        lost = ", ".join(sorted(taken - _bound(result.text)))
        message = f"unused imports kept: other modules import {lost} from this module"
        self.notes.append(Note(self.shown[path], None, message))
        return ruff_fix(text, absolute, config, keep_imports=True, timeout=timeout)

    def _accept(
        self,
        shown: str,
        kind: FixKind,
        before: str,
        after: str,
        fixed: int,
        counts: Counter[FixKind],
    ) -> str:
        """``after`` if it compiles (and count its fixes), else ``before`` with a note."""
        if after == before:
            return before
        problem = compile_error(after, shown)
        if problem is not None:
            message = f"{kind.value} fixes dropped: the result would not compile ({problem})"
            self.notes.append(Note(shown, None, message))
            return before
        counts[kind] += max(fixed, 1)
        return after


def _bound(text: str) -> set[str]:
    """Names bound in ``text`` (empty when it does not parse: the compile check rejects it)."""
    try:
        return set(bound_names(ast.parse(text)))
    except (SyntaxError, ValueError, RecursionError):
        return set()


def _status_step(module: cst.Module, parsed: ParsedModule) -> Outcome:
    found = find(StatusCodeFinder, module, parsed) or ()
    literals = [item for item in found if isinstance(item.node, cst.Integer)]
    return fix_status_codes(module, parsed.tree, literals)


def _config_step(pin: str | None) -> Step:
    def step(module: cst.Module, parsed: ParsedModule) -> Outcome:
        found = find(ConfigFinder, module, parsed) or ()
        names = _config_names(found)
        if pin is not None and names:
            line = min(item.line for item in names.values())
            message = f"`class Config` kept: {pin} pins Pydantic 1"
            return Outcome(module.code, notes=((line, message),))
        return fix_model_configs(module, parsed.tree, parsed.context, names)

    return step


def _config_names(found: Sequence[Found]) -> dict[int, Found]:
    """The reported ``class Config`` names, by ``id``."""
    return {
        id(item.node): item
        for item in found
        if isinstance(item.node, cst.Name) and item.node.value == "Config"
    }
