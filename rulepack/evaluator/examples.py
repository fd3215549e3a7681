"""``rulepack validate --examples``: every bad example triggers its rule, no good example does.

Each Python example of a checkable rule becomes a one-file sample at the example's ``path`` (with
its ``context`` files), written only inside a temporary directory: the pack model refuses a ``path``
or ``context`` key that is absolute or climbs out with ``..``. ruff runs once over all of them, the
custom checks per example, and mypy, only for rules bound to mypy, on a staged copy from a neutral
working directory like every evaluated sample (:mod:`rulepack.evaluator.runners.mypy`).
Only the rule's own bindings count, so an example may be a fragment that other rules would flag.
"""

from __future__ import annotations

import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import Enum
from pathlib import Path

from rulepack.evaluator.analysis import mypy_cache_slot
from rulepack.evaluator.bindings import bindings_for, mypy_config, ruff_config
from rulepack.evaluator.cache import default_cache_dir
from rulepack.evaluator.checks import CHECKS_BY_ID
from rulepack.evaluator.checks.runner import run_checks
from rulepack.evaluator.pyversion import PythonVersion, from_requires_python
from rulepack.evaluator.runners.mypy import MypyRun, run_mypy
from rulepack.evaluator.runners.ruff import run_ruff
from rulepack.exporters.install.fs import project_path
from rulepack.rules.model import Example, Pack, ParamValue, Rule
from rulepack.rules.tool_codes import RuffCatalogue


class Verdict(str, Enum):
    """What validating a rule's examples showed."""

    OK = "ok"
    WRONG = "wrong"  # an example misbehaves
    UNVERIFIED = "unverified"  # no implemented check can verify the rule


@dataclass(frozen=True)
class RuleExamples:
    """The verdict on one rule, with the examples that misbehaved."""

    rule_id: str
    verdict: Verdict
    problems: tuple[str, ...] = ()
    missing_checks: tuple[str, ...] = ()


@dataclass(frozen=True)
class _Case:
    rule: Rule
    number: int
    example: Example
    name: str  # sample directory name


def _verifiable(rule: Rule) -> tuple[bool, tuple[str, ...]]:
    missing = tuple(c for c in rule.custom_checks if c not in CHECKS_BY_ID)
    tool_bound = bool(rule.ruff_codes or rule.mypy_codes)
    return tool_bound or len(missing) < len(rule.custom_checks), missing


def validate_examples(pack: Pack, rules: Sequence[Rule] | None = None) -> list[RuleExamples]:
    """Check the examples of every checkable rule (or of ``rules``)."""
    chosen = [rule for rule in (rules or list(pack.rules())) if rule.checkable]
    bindings = bindings_for(pack, chosen)
    cases = [
        _Case(rule, number, example, f"{rule.id}-{number}")
        for rule in chosen
        if _verifiable(rule)[0]
        for number, example in enumerate(rule.examples)
        if example.is_python
    ]
    hits: dict[str, set[str]] = {case.name: set() for case in cases}
    failures: dict[str, str] = {}  # case name -> why mypy could not check it
    python = _pack_python(pack)
    with tempfile.TemporaryDirectory(prefix="rulepack-examples-") as scratch:
        root = Path(scratch)
        for case in cases:
            for relative, text in _files(case).items():
                target = project_path(root / case.name, relative)
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_text(text, encoding="utf-8")
        config = root / "ruff.toml"
        config.write_text(ruff_config(bindings, RuffCatalogue.installed()))
        files = {c.name: [(root / c.name / c.example.path, c.example.path)] for c in cases}
        ruff_hits, _ = run_ruff(files, config, timeout=300)
        for hit in ruff_hits:
            hits[hit.sample].add(hit.code)
        mypy_ini = root / "mypy.ini"
        mypy_ini.write_text(mypy_config(bindings, ()))
        for case in cases:
            hits[case.name] |= _custom_codes(case, bindings.params)
            if case.rule.mypy_codes:
                codes, failure = _mypy_codes(case, mypy_ini, python)
                hits[case.name] |= codes
                failures.update({case.name: failure} if failure else {})
    return [
        _verdict(rule, [c for c in cases if c.rule.id == rule.id], hits, failures)
        for rule in chosen
    ]


def _files(case: _Case) -> dict[str, str]:
    """The example and its context files, by path inside the example's directory."""
    return {**case.example.context, case.example.path: case.example.code}


def _pack_python(pack: Pack) -> PythonVersion:
    """The oldest Python the pack supports (``requires: python``), else the newest known."""
    spec = pack.requires.get("python")
    return (from_requires_python(spec) if spec else None) or PythonVersion.newest()


def _custom_codes(case: _Case, params: Mapping[str, Mapping[str, ParamValue]]) -> set[str]:
    checks = [CHECKS_BY_ID[c] for c in case.rule.custom_checks if c in CHECKS_BY_ID]
    if not checks:
        return set()
    files = _files(case)
    sources = {path: text for path, text in files.items() if path.endswith(".py")}
    others = {path: text for path, text in files.items() if not path.endswith(".py")}
    run = run_checks(sources, checks, params, list(others), others)
    return {check_id for check_id, found in run.hits.items() if found}


def _mypy_codes(case: _Case, config: Path, python: PythonVersion) -> tuple[set[str], str | None]:
    """The mypy codes on the example (staged like every sample), and why mypy failed if it did."""
    sources = {path: text for path, text in _files(case).items() if path.endswith(".py")}
    with mypy_cache_slot(default_cache_dir() / "mypy", 1) as cache_dir:
        run = MypyRun(sources, config, cache_dir, python, None, timeout=300)
        found, error = run_mypy(run)
    codes = {hit.code for hit in found if hit.path == case.example.path}
    return codes, error.message if error is not None else None


def _verdict(
    rule: Rule, cases: Sequence[_Case], hits: dict[str, set[str]], failures: Mapping[str, str]
) -> RuleExamples:
    verifiable, missing = _verifiable(rule)
    if not verifiable:
        return RuleExamples(rule.id, Verdict.UNVERIFIED, missing_checks=missing)
    own = {*rule.ruff_codes, *rule.mypy_codes, *rule.custom_checks} - set(missing)
    problems: list[str] = []
    partly = False
    for case in cases:
        fired = sorted(hits[case.name] & own)
        label = f"{case.example.kind} example {case.number + 1} ({case.example.path})"
        if case.name in failures:
            problems.append(f"{label} could not be type-checked: {failures[case.name]}")
        elif case.example.kind == "bad" and not fired:
            if missing:
                partly = True  # a check that is not implemented yet may be the one it shows
            else:
                problems.append(f"{label} triggers none of {', '.join(sorted(own))}")
        elif case.example.kind == "good" and fired:
            problems.append(f"{label} triggers {', '.join(fired)}")
    if problems:
        return RuleExamples(rule.id, Verdict.WRONG, tuple(problems), missing)
    return RuleExamples(rule.id, Verdict.UNVERIFIED if partly else Verdict.OK, (), missing)
