"""The security group's helpers and the checks' handling of the ``settings_module`` parameter."""

from __future__ import annotations

import libcst as cst
import pytest

from rulepack.evaluator.checks.common import is_test_path
from rulepack.evaluator.checks.runner import run_checks
from rulepack.evaluator.checks.security import CHECKS
from rulepack.evaluator.checks.security.env_outside_settings import EnvOutsideSettings
from rulepack.evaluator.checks.security.hardcoded_config import (
    HardcodedConfig,
    config_literal,
    mask,
)
from rulepack.evaluator.checks.security.hardcoded_secret import credential_url, is_secret_name
from rulepack.evaluator.checks.security.settings import settings_path
from rulepack.evaluator.checks.security.sql_text_interpolation import identifier_positions_only
from rulepack.evaluator.checks.security.support import interpolation_kind

SETTINGS = (
    "from pydantic_settings import BaseSettings\n\n\n"
    "class Settings(BaseSettings):\n    debug: bool = False\n"
)


def test_checks_are_sorted_by_id() -> None:
    ids = [check.id for check in CHECKS]
    assert ids == sorted(ids)


@pytest.mark.parametrize(
    ("source", "kind"),
    [
        ("f'a {b}'", "an f-string"),
        ("'a %s' % b", "`%` formatting"),
        ("'a ' + b", "`+` concatenation"),
        ("'a {}'.format(b)", "`.format()`"),
        ("'a ' 'b'", None),
        ("'a ' + 'b'", None),
        ("f'plain'", None),
        ("b", None),
    ],
)
def test_interpolation_kind(source: str, kind: str | None) -> None:
    assert interpolation_kind(cst.parse_expression(source)) == kind


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("tests/test_users.py", True),
        ("app/tests/helpers.py", True),
        ("conftest.py", True),
        ("app/users_test.py", True),
        ("app/testing_utils.py", False),
        ("app/services/contest.py", False),
    ],
)
def test_is_test_path(path: str, expected: bool) -> None:
    assert is_test_path(path) is expected


@pytest.mark.parametrize(
    ("value", "kind"),
    [
        ("postgresql+asyncpg://db.internal:5432/app", "DSN"),
        ("sqlite+aiosqlite://", "DSN"),
        ("redis://", None),
        ("https://api.vendor.io/v1", "URL"),
        ("https://example.com", None),
        ("https://shop.example.org/cart", None),
        ("https://cdn.example.net/app.js", None),
        ("https://json-schema.org/draft/2020-12/schema", None),
        ("http://testserver", None),
        ("localhost:9092", "host and port"),
        ("12:30", None),
        ("app.main:app", None),
        ("see https://api.example.com", None),
    ],
)
def test_config_literal(value: str, kind: str | None) -> None:
    assert config_literal(value) == kind


def test_mask_hides_credentials() -> None:
    assert mask("postgresql://admin:hunter2@db/app") == "postgresql://admin:***@db/app"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("postgresql://app:hunter2@db/app", True),
        ("redis://:s3cret@cache:6379/0", True),
        ("postgresql://{user}:{password}@db/app", False),
        ("postgresql://app:****@db/app", False),
        ("postgresql://db/app", False),
    ],
)
def test_credential_url(value: str, expected: bool) -> None:
    assert credential_url(value) is expected


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("STRIPE_API_KEY", True),
        ("jwt_secret", True),
        ("signingKey", True),
        ("TOKEN_URL", False),
        ("tokenUrl", False),
        ("API_KEY_HEADER", False),
        ("access_token_expire_minutes", False),
        ("database_url", False),
    ],
)
def test_is_secret_name(name: str, expected: bool) -> None:
    assert is_secret_name(name) is expected


def test_settings_path_defaults_and_normalizes() -> None:
    assert settings_path({}) == "app/core/config.py"
    assert settings_path({"settings_module": "/src/settings.py"}) == "src/settings.py"
    assert settings_path({"settings_module": 3}) == "app/core/config.py"


def test_settings_module_parameter_moves_the_exemption() -> None:
    sources = {
        "src/base.py": SETTINGS,
        "src/settings.py": "import os\n\nDEBUG = os.getenv('DEBUG')\n",
        "app/core/config.py": "import os\n\nDEBUG = os.getenv('DEBUG')\n",
    }
    params = {"env-outside-settings": {"settings_module": "src/settings.py"}}
    run = run_checks(sources, [EnvOutsideSettings], params)
    assert [hit.path for hit in run.hits["env-outside-settings"]] == ["app/core/config.py"]


def test_hardcoded_config_skips_the_settings_module_by_path() -> None:
    sources = {"src/settings.py": "REDIS_URL = 'redis://cache:6379/0'\n"}
    run = run_checks(sources, [HardcodedConfig], {"hardcoded-config": {}})
    assert len(run.hits["hardcoded-config"]) == 1
    params = {"hardcoded-config": {"settings_module": "src/settings.py"}}
    run = run_checks(sources, [HardcodedConfig], params)
    assert run.hits["hardcoded-config"] == []


@pytest.mark.parametrize(
    ("sql", "names_only"),
    [
        ('f"DELETE FROM {t} WHERE {t}.{c} = b.{c} AND {t}.{pk} > b.{pk}"', True),
        ('f"SELECT {t}.{c} FROM {t}"', True),
        ('f"UPDATE {t} SET {c} = {value}"', False),
        ('f"SELECT 1 FROM {t} WHERE {t}.id IN ({ids})"', False),
        ('f"SELECT COUNT(*) FROM orgs o WHERE {where}"', True),  # a whole condition: SQL code
        ('f"UPDATE orgs SET status = :s WHERE {cond} AND id > :after LIMIT 10"', True),
        ('f"SELECT * FROM orgs WHERE {name} = 1 AND id = {value}"', False),
        ('f"SELECT * FROM orgs WHERE id = 1 AND {value}"', True),
        ('f"GRANT {role} TO CURRENT_USER"', True),
        ('f"REVOKE {role} FROM CURRENT_USER"', True),
    ],
)
def test_names_and_whole_conditions_are_identifier_positions(sql: str, names_only: bool) -> None:
    node = cst.parse_expression(sql)
    assert identifier_positions_only(node, frozenset()) is names_only
