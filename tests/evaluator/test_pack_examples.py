"""``rulepack validate --examples`` over the whole built-in pack.

Every Python example of every checkable rule runs as a one-file sample at its ``path``: a bad
example must trigger one of its rule's own bindings (ruff codes, mypy codes, custom checks) and a
good example none. Rules whose only bindings are checks that do not exist yet are "unverified".
"""

from __future__ import annotations

from functools import cache

from rulepack.evaluator.checks import CHECKS_BY_ID
from rulepack.evaluator.examples import RuleExamples, Verdict, validate_examples
from rulepack.rules.loader import load_pack, resolve_pack_dir
from rulepack.rules.model import Pack


@cache
def builtin_pack() -> Pack:
    return load_pack(resolve_pack_dir(None))


@cache
def verdicts() -> tuple[RuleExamples, ...]:
    return tuple(validate_examples(builtin_pack()))


def test_no_example_of_the_pack_misbehaves() -> None:
    wrong = {v.rule_id: v.problems for v in verdicts() if v.verdict is Verdict.WRONG}
    assert wrong == {}


def test_every_checkable_rule_gets_a_verdict() -> None:
    checkable = {rule.id for rule in builtin_pack().rules() if rule.checkable}
    assert {v.rule_id for v in verdicts()} == checkable


def test_unverified_rules_are_exactly_those_waiting_for_a_check() -> None:
    for verdict in verdicts():
        rule = builtin_pack().rule(verdict.rule_id)
        missing = tuple(c for c in rule.custom_checks if c not in CHECKS_BY_ID)
        assert verdict.missing_checks == missing
        if verdict.verdict is Verdict.UNVERIFIED:
            assert missing, verdict.rule_id


def test_each_implemented_check_verifies_its_rule() -> None:
    by_rule = {v.rule_id: v for v in verdicts()}
    for rule in builtin_pack().rules():
        if rule.custom_checks and all(c in CHECKS_BY_ID for c in rule.custom_checks):
            assert by_rule[rule.id].verdict is Verdict.OK, rule.id
