"""code-duplication: blocks of consecutive statements repeated across the sample (project check)."""

from __future__ import annotations

import ast
import hashlib
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import ClassVar

from rulepack.evaluator.checks.ast_facts import ast_dotted, import_map, walk
from rulepack.evaluator.checks.base import Case, Hit, ProjectCheck, ProjectFacts
from rulepack.evaluator.checks.common import int_param, is_test_path
from rulepack.evaluator.checks.facts import Span
from rulepack.evaluator.checks.schemas.model_index import is_migration_path
from rulepack.rules.model import ParamValue

MIN_STATEMENTS_PARAM = "min_clone_statements"
DEFAULT_MIN_STATEMENTS = 6
BODY_FIELDS = ("body", "orelse", "finalbody")
_IMPORTS = "import os\nimport sys\nimport json\nimport re\nimport time\nimport abc\n"


@dataclass(frozen=True)
class Block:
    """One statement list of a file: its statements' hashes and line ranges."""

    path: str
    hashes: tuple[str, ...]
    lines: tuple[tuple[int, int], ...]  # (first, last) line per statement


@dataclass(frozen=True)
class Window:
    """``size`` consecutive statements of a block, from ``start``."""

    block: int
    start: int


def _is_docstring(statement: ast.stmt) -> bool:
    return (
        isinstance(statement, ast.Expr)
        and isinstance(statement.value, ast.Constant)
        and isinstance(statement.value.value, str)
    )


def _runs(statements: Sequence[ast.stmt]) -> Iterator[list[ast.stmt]]:
    """Runs of statements between imports and docstrings (which never form clones)."""
    run: list[ast.stmt] = []
    for statement in statements:
        if isinstance(statement, ast.Import | ast.ImportFrom) or _is_docstring(statement):
            if run:
                yield run
            run = []
        else:
            run.append(statement)
    if run:
        yield run


def _statement_lists(tree: ast.Module) -> Iterator[list[ast.stmt]]:
    """Every statement list of a module, outer lists first."""
    pending: list[ast.AST] = [tree]
    while pending:
        node = pending.pop(0)
        for name in BODY_FIELDS:
            body = getattr(node, name, None)
            if isinstance(body, list) and body and isinstance(body[0], ast.stmt):
                yield body
                pending.extend(body)
        for handler in getattr(node, "handlers", ()):
            yield handler.body
            pending.extend(handler.body)
        for case in getattr(node, "cases", ()):
            yield case.body
            pending.extend(case.body)


DEFINITIONS = ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef
ENUM_ROOTS = frozenset(
    {"enum.Enum", "enum.IntEnum", "enum.StrEnum", "enum.Flag", "enum.IntFlag", "enum.ReprEnum"}
)


def _enum_bodies(tree: ast.Module, module: str, enums: frozenset[str]) -> set[int]:
    """The ``id`` of the body of every ``Enum`` class of a module.

    Bases are resolved by import through the sample's classes; a base whose name ends with
    ``Enum`` (a project's own ``StrEnum``) counts too, as its module may not resolve.
    """
    imports = import_map(tree, module)
    found: set[int] = set()
    for node in walk(tree):
        if isinstance(node, ast.ClassDef):
            bases = {imports.resolve_dotted(name) for b in node.bases if (name := ast_dotted(b))}
            if bases & enums or any(base.endswith("Enum") for base in bases):
                found.add(id(node.body))
    return found


class Fingerprints:
    """Hashes of the structure of ``ast`` nodes, without positions or docstrings.

    Hashes are built bottom-up and remembered per node, so each node of the sample is hashed
    once however deeply it is nested in the statement lists that contain it.
    """

    def __init__(self) -> None:
        """Start with no hashes."""
        self.memo: dict[int, str] = {}

    def of(self, node: ast.AST) -> str:
        """The hash of ``node``: its type and fields, recursively."""
        known = self.memo.get(id(node))
        if known is not None:
            return known
        parts = [type(node).__name__]
        for name, value in ast.iter_fields(node):
            kept = value
            if name == "body" and isinstance(node, DEFINITIONS) and _has_docstring(node.body):
                kept = node.body[1:]
            parts.append(f"{name}={self._value(kept)}")
        digest = hashlib.blake2b("\0".join(parts).encode(), digest_size=16).hexdigest()
        self.memo[id(node)] = digest
        return digest

    def _value(self, value: object) -> str:
        if isinstance(value, ast.AST):
            return self.of(value)
        if isinstance(value, list):
            return "[" + ",".join(self._value(item) for item in value) + "]"
        return repr(value)


def _has_docstring(body: Sequence[ast.stmt]) -> bool:
    return len(body) > 1 and _is_docstring(body[0])


class CodeDuplication(ProjectCheck):
    """Blocks of statements repeated in the sample.

    ## What it does
    Hashes the structure of every statement (``ast.dump`` without positions, docstrings of
    nested functions and classes dropped) and finds runs of at least ``min_clone_statements``
    (default 6) consecutive statements of one block (a module, function, class, loop or branch
    body) that appear again elsewhere, in the same file or another. Imports and docstrings
    never form part of a clone. Each repeated block is reported once, extended to its full
    length, with the other location in the message; blocks nested inside a reported clone are
    not reported again. Test modules, Alembic migrations and the members of ``Enum`` classes
    (data: two enums may share values, and members cannot be moved into a function) are left
    out. Names are not
    normalised: only exact copies count.

    ## Why is this bad?
    Copies drift apart: a fix applied to one copy leaves the bug in the other.
    """

    id = "code-duplication"
    summary = "block of statements copied; extract it into a function"
    params = (MIN_STATEMENTS_PARAM,)
    good: ClassVar[tuple[Case, ...]] = (
        Case.good(
            "def invoice_total(items):\n    subtotal = sum(items)\n    discount = subtotal * 0.1\n"
            "    net = subtotal - discount\n    taxed = net * 1.2\n    rounded = round(taxed, 2)\n"
            "    return rounded\n\n\n"
            "def quote_total(items):\n    subtotal = sum(items)\n    discount = subtotal * 0.2\n"
            "    net = subtotal - discount\n    taxed = net * 1.2\n    rounded = round(taxed, 2)\n"
            "    return rounded\n",
            note="one statement differs in every window of six",
        ),
        Case(
            files={
                "app/a.py": _IMPORTS,
                "app/b.py": _IMPORTS,
                "tests/test_a.py": "x = 1\ny = 2\nz = 3\nw = 4\nv = 5\nu = 6\n",
                "tests/test_b.py": "x = 1\ny = 2\nz = 3\nw = 4\nv = 5\nu = 6\n",
            },
            hits=0,
            note="imports do not count; tests are left out",
        ),
        Case.good(
            "def pad() -> list[int]:\n    out = []\n"
            + "    out.append(0)\n" * 8
            + "    return out\n",
            note="a run of identical statements overlapping itself is not a copy",
        ),
        Case(
            files={
                "app/enums.py": "import enum\n\n\nclass LabelledEnum(str, enum.Enum):\n    pass\n",
                "app/ids.py": (
                    "from enum import StrEnum\n\nfrom app.enums import LabelledEnum\n\n\n"
                    "class BlockId(LabelledEnum):\n"
                    + "".join(f"    field_{n} = 'field-{n}'\n" for n in range(7))
                    + "\n\nclass ActionId(StrEnum):\n"
                    + "".join(f"    field_{n} = 'field-{n}'\n" for n in range(7))
                ),
            },
            hits=0,
            note="two enums (one through a base in another module) that share members",
        ),
    )
    bad: ClassVar[tuple[Case, ...]] = (
        Case.bad(
            "from decimal import Decimal\n\n\n"
            "def invoice_total(items):\n    subtotal = sum(items)\n"
            "    discount = subtotal * DISCOUNT_RATE\n    net = subtotal - discount\n"
            "    taxed = net * (1 + VAT_RATE)\n    rounded = taxed.quantize(Decimal('0.01'))\n"
            "    return rounded\n\n\n"
            "def quote_total(items):\n    subtotal = sum(items)\n"
            "    discount = subtotal * DISCOUNT_RATE\n    net = subtotal - discount\n"
            "    taxed = net * (1 + VAT_RATE)\n    rounded = taxed.quantize(Decimal('0.01'))\n"
            "    return rounded\n",
            path="app/services/billing_service.py",
        ),
        Case(
            files={
                "app/routers/users.py": (
                    "async def create_user(payload, session):\n"
                    '    """Create a user."""\n'
                    "    user = User(**payload.model_dump())\n    session.add(user)\n"
                    "    await session.commit()\n    await session.refresh(user)\n"
                    "    log.info('created %s', user.id)\n    audit(user)\n    notify(user)\n"
                    "    return user\n"
                ),
                "app/routers/admin.py": (
                    "async def create_admin(payload, session):\n"
                    "    if payload.is_admin:\n"
                    "        user = User(**payload.model_dump())\n        session.add(user)\n"
                    "        await session.commit()\n        await session.refresh(user)\n"
                    "        log.info('created %s', user.id)\n        audit(user)\n"
                    "        notify(user)\n        return user\n    return None\n"
                ),
            },
            hits=1,
            note="a copy nested in a branch of another module: one report for eight statements",
        ),
    )

    def __init__(self, project: ProjectFacts, params: Mapping[str, ParamValue]) -> None:
        """Cut the sample's files into blocks of statement hashes."""
        super().__init__(project, params)
        self.size = max(2, int_param(params, MIN_STATEMENTS_PARAM, DEFAULT_MIN_STATEMENTS))
        self.blocks: list[Block] = []
        fingerprints = Fingerprints()
        enums = project.subclasses_of(ENUM_ROOTS)
        modules = {facts.path: facts.module for facts in project.modules}
        for path, tree in sorted(project.trees.items()):
            if is_test_path(path) or is_migration_path(path):
                continue
            members = _enum_bodies(tree, modules.get(path, ""), enums)
            for statements in _statement_lists(tree):
                if id(statements) in members:
                    continue  # enum members are data: two enums may share values
                for run in _runs(statements):
                    if len(run) >= self.size:
                        self.blocks.append(
                            Block(
                                path,
                                tuple(fingerprints.of(s) for s in run),
                                tuple((s.lineno, s.end_lineno or s.lineno) for s in run),
                            )
                        )

    def applies(self) -> bool:
        """Samples with Python files outside tests and migrations."""
        return any(
            not is_test_path(path) and not is_migration_path(path) for path in self.project.trees
        )

    def run(self) -> Iterator[Hit]:
        """Report each repeated block once, at its first copy."""
        windows: dict[tuple[str, ...], list[Window]] = {}
        for number, block in enumerate(self.blocks):
            for start in range(len(block.hashes) - self.size + 1):
                key = block.hashes[start : start + self.size]
                windows.setdefault(key, []).append(Window(number, start))
        covered: dict[str, list[tuple[int, int]]] = {}
        for number, block in enumerate(self.blocks):
            for start in range(len(block.hashes) - self.size + 1):
                here = Window(number, start)
                first, last = block.lines[start][0], block.lines[start + self.size - 1][1]
                if _inside(covered.get(block.path, []), first, last):
                    continue
                key = block.hashes[start : start + self.size]
                others: list[Window] = []
                for window in windows[key]:
                    if not any(self._overlaps(window, seen) for seen in [here, *others]):
                        others.append(window)
                if others:
                    yield self._report(here, others, covered)

    def _overlaps(self, first: Window, second: Window) -> bool:
        return first.block == second.block and abs(first.start - second.start) < self.size

    def _length(self, here: Window, other: Window) -> int:
        """How many statements the copy spans from ``here`` (at least the window size)."""
        mine, theirs = self.blocks[here.block], self.blocks[other.block]
        length = self.size
        while (
            here.start + length < len(mine.hashes)
            and other.start + length < len(theirs.hashes)
            and mine.hashes[here.start + length] == theirs.hashes[other.start + length]
            and not (here.block == other.block and here.start + length >= other.start)
        ):
            length += 1
        return length

    def _report(
        self, here: Window, others: list[Window], covered: dict[str, list[tuple[int, int]]]
    ) -> Hit:
        """A hit at ``here``; every copy is marked covered so that it is not reported again."""
        length = self._length(here, others[0])
        for window in [here, *others]:
            block = self.blocks[window.block]
            extent = length if window in (here, others[0]) else self._length(here, window)
            span = (block.lines[window.start][0], block.lines[window.start + extent - 1][1])
            covered.setdefault(block.path, []).append(span)
        mine, theirs = self.blocks[here.block], self.blocks[others[0].block]
        first, last = mine.lines[here.start][0], mine.lines[here.start + length - 1][1]
        where = theirs.path if theirs.path != mine.path else "this file"
        more = f" (and {len(others) - 1} more places)" if len(others) > 1 else ""
        return Hit(
            mine.path,
            Span(first, 1, last, 1),
            f"these {length} statements (lines {first}-{last}) are repeated in {where} at line "
            f"{theirs.lines[others[0].start][0]}{more}; extract them into one function and "
            "call it from every place",
        )


def _inside(spans: list[tuple[int, int]], first: int, last: int) -> bool:
    return any(start <= first and last <= end for start, end in spans)
