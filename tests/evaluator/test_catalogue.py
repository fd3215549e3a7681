"""The check catalogue is complete: every custom check the pack binds exists and is verified."""

from __future__ import annotations

from rulepack.evaluator.checks import ALL_CHECKS, CHECKS_BY_ID
from rulepack.rules.loader import load_pack, resolve_pack_dir


def test_every_custom_check_the_pack_binds_exists() -> None:
    pack = load_pack(resolve_pack_dir(None))
    missing = sorted(
        f"{rule.id}: {check_id}"
        for rule in pack.rules()
        for check_id in rule.custom_checks
        if check_id not in CHECKS_BY_ID
    )
    assert missing == []


def test_every_check_is_bound_by_the_pack() -> None:
    pack = load_pack(resolve_pack_dir(None))
    bound = {check_id for rule in pack.rules() for check_id in rule.custom_checks}
    assert sorted(check.id for check in ALL_CHECKS if check.id not in bound) == []
