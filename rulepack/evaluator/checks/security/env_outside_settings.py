"""env-outside-settings: the environment read outside the pydantic-settings module."""

from __future__ import annotations

from typing import ClassVar

import libcst as cst

from rulepack.evaluator.checks.base import Case, ModuleCheck, ModuleContext, ProjectFacts
from rulepack.evaluator.checks.common import imports_any, is_test_path
from rulepack.evaluator.checks.data.layout import is_script_path
from rulepack.evaluator.checks.facts import ModuleFacts
from rulepack.evaluator.checks.security.settings import (
    SETTINGS_MODULE_PARAM,
    is_settings_module,
    settings_classes,
)
from rulepack.evaluator.checks.security.support import iter_targets

ENV_CALLS = frozenset({"os.getenv", "os.getenvb", "os.environ.get", "os.environb.get"})
ENVIRON = frozenset({"os.environ", "os.environb"})
# Load-test and benchmark harnesses drive the app from outside, like tests.
HARNESS_DIRS = frozenset(
    {"load_tests", "loadtests", "load_test", "loadtest", "locust", "benchmarks", "perf_tests"}
)
HARNESS_PACKAGES = ("locust",)


def is_harness(facts: ModuleFacts) -> bool:
    """Whether a module belongs to a load-test or benchmark harness (``load_tests/``, locust)."""
    directories = facts.path.split("/")[:-1]
    return any(part in HARNESS_DIRS for part in directories) or imports_any(
        facts, *HARNESS_PACKAGES
    )


class EnvOutsideSettings(ModuleCheck):
    """The environment read outside the settings module.

    ## What it does
    Finds ``os.getenv(...)``, ``os.environ.get(...)``, ``os.environ[...]`` reads and
    ``"X" in os.environ`` (also through ``from os import environ, getenv`` and aliases) outside
    the settings module: a module that defines a pydantic-settings ``BaseSettings`` subclass, or
    the module at the ``settings_module`` parameter (default ``app/core/config.py``). When the
    project has no ``BaseSettings`` subclass at all, every read is reported, the settings path
    included. Writes (``os.environ["TZ"] = "UTC"``), passing the environment on
    (``env={**os.environ}``), tests, scripts and load-test harnesses (``load_tests/``, modules
    importing locust) are not reported.

    ## Why is this bad?
    One typed settings class validates every value at startup, documents what the app reads and
    can be overridden in tests; scattered ``os.getenv`` calls fail late, return untyped strings
    and hide configuration.
    """

    id = "env-outside-settings"
    summary = "environment read outside the pydantic-settings module"
    params = (SETTINGS_MODULE_PARAM,)
    good: ClassVar[tuple[Case, ...]] = (
        Case.good(
            "import os\nfrom functools import lru_cache\n\n"
            "from pydantic import Field, SecretStr\n"
            "from pydantic_settings import BaseSettings, SettingsConfigDict\n\n\n"
            "class Settings(BaseSettings):\n"
            "    model_config = SettingsConfigDict(env_file=os.getenv('ENV_FILE', '.env'))\n\n"
            "    database_url: str = Field(description='Async SQLAlchemy DSN.')\n"
            "    mailer_api_key: SecretStr = Field(description='API key of the mail"
            " provider.')\n\n\n"
            "@lru_cache\ndef get_settings() -> Settings:\n    return Settings()\n",
            path="app/core/config.py",
        ),
        Case(
            files={
                "app/settings/base.py": (
                    "from pydantic_settings import BaseSettings\n\n\n"
                    "class Settings(BaseSettings):\n    debug: bool = False\n"
                ),
                "app/core/config.py": (
                    "import os\n\nfrom app.settings.base import Settings\n\n"
                    "settings = Settings(_env_file=os.environ.get('ENV_FILE'))\n"
                ),
                "app/main.py": (
                    "import os\nimport subprocess\n\nos.environ['TZ'] = 'UTC'\n\n\n"
                    "def migrate() -> None:\n"
                    "    subprocess.run(['alembic', 'upgrade', 'head'], env={**os.environ})\n"
                ),
                "tests/conftest.py": "import os\n\nDB = os.getenv('TEST_DB', 'sqlite://')\n",
                "load_tests/settings.py": (
                    "import os\n\nTARGET = os.getenv('STRESS_TARGET', 'http://127.0.0.1:8000')\n"
                ),
                "perf/shoppers.py": (
                    "import os\n\nfrom locust import HttpUser\n\n\n"
                    "class Shopper(HttpUser):\n    host = os.environ['SHOP_URL']\n"
                ),
                "app/scripts/healthcheck.py": (
                    "import os\n\nimport httpx\n\n\ndef main() -> None:\n"
                    "    port = os.getenv('API_PORT', '8000')\n"
                    "    httpx.get(f'http://127.0.0.1:{port}/health')\n"
                ),
            },
            hits=0,
            note="settings path, writes, passing the environment on, tests, scripts, load tests",
        ),
        Case(
            files={
                "pantry/core/settings.py": (
                    "from pydantic_settings import BaseSettings\n\n\n"
                    "class PantrySettings(BaseSettings):\n    data_dir: str = '/data'\n"
                ),
                "pantry/core/config.py": (
                    "import os\n\nfrom pantry.core.settings import PantrySettings\n\n"
                    "PRODUCTION = os.getenv('PRODUCTION', 'true') == 'true'\n\n\n"
                    "def get_settings() -> PantrySettings:\n"
                    "    return PantrySettings(data_dir=os.getenv('DATA_DIR', '/data'))\n"
                ),
            },
            hits=0,
            note="the default settings path under a package not named app",
        ),
    )
    bad: ClassVar[tuple[Case, ...]] = (
        Case.bad(
            "import os\n\nimport httpx\n\n"
            "MAILER_URL = os.getenv('MAILER_URL', 'https://api.mailer.example/v1/send')\n\n\n"
            "async def send_welcome_email(client: httpx.AsyncClient, address: str) -> None:\n"
            "    api_key = os.environ['MAILER_API_KEY']\n"
            "    await client.post(MAILER_URL, json={'to': address}, headers={'X-Api-Key':"
            " api_key})\n",
            hits=2,
            path="app/services/email_service.py",
            note="no settings class in the project",
        ),
        Case(
            files={
                "app/core/config.py": (
                    "from pydantic_settings import BaseSettings\n\n\n"
                    "class Settings(BaseSettings):\n    debug: bool = False\n"
                ),
                "app/services/flags.py": (
                    "from os import environ\nfrom os import getenv as ge\n\n\n"
                    "class Flags:\n"
                    "    def beta(self) -> bool:\n"
                    "        return environ.get('BETA') == '1' or ge('BETA_ALL') == '1'\n\n"
                    "    def debug(self) -> bool:\n        return 'DEBUG' in environ\n"
                ),
            },
            hits=3,
            note="imported and aliased names, a membership test, settings elsewhere",
        ),
        Case.bad(
            "import os\n\nDEBUG = os.environ.get('DEBUG') == '1'\n",
            path="app/core/config.py",
            note="the settings path without any BaseSettings class in the project",
        ),
    )

    def __init__(self, context: ModuleContext) -> None:
        """Prepare; whether this is the settings module is decided at the first read."""
        super().__init__(context)
        self.verdict: tuple[bool, bool] | None = None  # (project has settings, module exempt)
        self.written: set[int] = set()  # ids of ``os.environ[...]`` nodes being assigned

    @classmethod
    def applies(cls, facts: ModuleFacts, project: ProjectFacts) -> bool:
        """Every module except tests, standalone scripts (``scripts/``, ``bin/``) and harnesses."""
        del project
        return not (is_test_path(facts.path) or is_script_path(facts.path) or is_harness(facts))

    def visit_Assign(self, node: cst.Assign) -> None:
        """Remember environment writes."""
        self.written.update(id(target) for target in iter_targets(node))

    def visit_Del(self, node: cst.Del) -> None:
        """``del os.environ[...]`` is a write."""
        self.written.add(id(node.target))

    def visit_Call(self, node: cst.Call) -> None:
        """``os.getenv(...)`` and ``os.environ.get(...)``."""
        name = self.qualified(node.func)
        if name in ENV_CALLS:
            self._report(node, f"`{name}(...)`")

    def visit_Subscript(self, node: cst.Subscript) -> None:
        """``os.environ[...]`` reads."""
        if id(node) not in self.written and self.qualified(node.value) in ENVIRON:
            self._report(node, "`os.environ[...]`")

    def visit_Comparison(self, node: cst.Comparison) -> None:
        """``"X" in os.environ``."""
        for target in node.comparisons:
            if isinstance(target.operator, cst.In | cst.NotIn) and (
                self.qualified(target.comparator) in ENVIRON
            ):
                self._report(node, "`... in os.environ`")

    def _settings(self) -> tuple[bool, bool]:
        """Whether the project has settings, and whether this module is exempt as their home."""
        if self.verdict is None:
            context = self.context
            exists = bool(settings_classes(context.project))
            exempt = exists and is_settings_module(context.facts, context.project, context.params)
            self.verdict = (exists, exempt)
        return self.verdict

    def _report(self, node: cst.CSTNode, what: str) -> None:
        has_settings, exempt = self._settings()
        if exempt:
            return
        if has_settings:
            message = (
                f"{what} reads the environment outside the settings module; add a field to "
                "the `BaseSettings` class and read it from `settings`"
            )
        else:
            message = (
                f"{what} reads the environment, and the project has no pydantic-settings "
                "`BaseSettings` class; declare one in the settings module and read it there"
            )
        self.report(node, message)
