"""Run ``rulepack fix`` on small projects written into a temporary directory."""

from __future__ import annotations

import ast
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from rulepack.evaluator.samples import discover
from rulepack.fixes import FixKind, FixOptions, FixPlan, plan_fixes, write_fixes
from rulepack.rules.loader import load, resolve_pack_dir
from rulepack.rules.model import Pack


@pytest.fixture(scope="session")
def pack() -> Pack:
    return load(resolve_pack_dir(None)).pack


@dataclass
class FixRun:
    """A fix run over a project: the texts after it (unchanged files too), notes, counts."""

    root: Path
    before: dict[str, str]
    plan: FixPlan
    select: Sequence[str] = ()
    after: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        changed = {
            str(change.path.relative_to(self.root)): change.after for change in self.plan.changes
        }
        self.after = {path: changed.get(path, text) for path, text in self.before.items()}

    @property
    def notes(self) -> list[str]:
        prefix = f"{self.root}/"
        return [str(note).replace(prefix, "") for note in self.plan.notes]

    def count(self, kind: FixKind) -> int:
        return self.plan.counts()[kind]

    def __getitem__(self, path: str) -> str:
        return self.after[path]


FixFiles = Callable[..., FixRun]


@pytest.fixture
def fix_files(tmp_path: Path, pack: Pack) -> FixFiles:
    """Write ``files`` below a fresh directory and plan the fixes (nothing is written)."""
    counter = iter(range(1000))

    def run(files: Mapping[str, str], select: Sequence[str] = ()) -> FixRun:
        root = tmp_path / f"project{next(counter)}"
        for relative, text in files.items():
            path = root / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(text.encode())
        plan = plan_fixes(pack, discover([root]), FixOptions(select=select))
        return FixRun(root, dict(files), plan, select)

    return run


def rerun(pack: Pack, run: FixRun) -> FixPlan:
    """Write ``run``'s fixes, check every file still parses, and plan the fixes again."""
    written, problems = write_fixes(run.plan)
    assert not problems
    assert len(written) == len(run.plan.changes)
    for path in run.root.rglob("*.py"):
        ast.parse(path.read_text(encoding="utf-8"))
    return plan_fixes(pack, discover([run.root]), FixOptions(select=run.select))


def assert_idempotent(pack: Pack, run: FixRun) -> None:
    """A second run over the fixed files changes nothing."""
    again = rerun(pack, run)
    assert not again.changes, "".join(change.diff() for change in again.changes)
