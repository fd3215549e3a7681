"""env-example: environment variables the code reads that ``.env.example`` does not list."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import ClassVar

from rulepack.evaluator.checks.ast_facts import walk
from rulepack.evaluator.checks.base import Case, Hit, ProjectCheck, ProjectFacts
from rulepack.evaluator.checks.facts import Span
from rulepack.evaluator.checks.imports import ImportMap
from rulepack.evaluator.checks.project.support import (
    ast_span,
    basename,
    imports_of,
    is_application,
    is_test_path,
    module_constants,
    qualified,
)
from rulepack.evaluator.checks.runner import module_name_for

SETTINGS_ROOTS = frozenset(
    {
        "pydantic_settings.BaseSettings",
        "pydantic_settings.main.BaseSettings",
        "pydantic.BaseSettings",
        "pydantic.env_settings.BaseSettings",
    }
)
ENV_EXAMPLE = re.compile(
    r"^(\.?env(\.[\w-]+)?\.(example|sample|template|dist|defaults)|"
    r"(example|sample|template)\.env|\.env\.(example|sample|template)\.[\w.-]+)$",
    re.IGNORECASE,
)
ENV_KEY = re.compile(r"^\s*#?\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=")
ENV_READERS = frozenset(
    {"os.getenv", "os.environ.get", "os.environ.setdefault", "os.getenvb", "decouple.config"}
)
CONFIG_CLASSES = frozenset({"starlette.config.Config", "decouple.AutoConfig"})
SYSTEM_VARIABLES = frozenset(
    {
        "PATH", "HOME", "USER", "USERNAME", "LOGNAME", "PWD", "SHELL", "LANG", "TERM", "TMPDIR",
        "TEMP", "TMP", "CI", "PYTHONPATH", "VIRTUAL_ENV", "HOSTNAME",
    }
)  # fmt: skip
SYSTEM_PREFIXES = ("PYTEST_", "GITHUB_", "RUNNER_", "LC_")
# Set by hosting platforms on every deployment (platform detection, deployment URLs and
# revisions); nobody writes them into an environment file.
PLATFORM_VARIABLES = frozenset(
    {
        "VERCEL", "RENDER", "DYNO", "NETLIFY", "CF_PAGES", "K_SERVICE", "K_REVISION",
        "K_CONFIGURATION", "AWS_EXECUTION_ENV", "KUBERNETES_SERVICE_HOST",
        "KUBERNETES_SERVICE_PORT", "GOOGLE_CLOUD_RUN_JOB",
    }
)  # fmt: skip
PLATFORM_PREFIXES = ("VERCEL_", "RENDER_", "FLY_", "RAILWAY_", "AWS_LAMBDA_", "GAE_", "CF_PAGES_")
ALIAS_KEYWORDS = ("validation_alias", "alias", "env")
MISSING_SHOWN = 6

_SETTINGS = (
    "from pydantic import Field\nfrom pydantic_settings import BaseSettings, SettingsConfigDict\n"
    "\n\nclass Settings(BaseSettings):\n"
    "    model_config = SettingsConfigDict(env_file='.env')\n\n"
    "    database_url: str\n    jwt_secret_key: str\n    cors_origins: list[str] = []\n"
)
_EXAMPLE = (
    "# Async SQLAlchemy DSN.\nDATABASE_URL=postgresql+asyncpg://app:app@localhost:5432/app\n"
    "# Secret used to sign access tokens.\nJWT_SECRET_KEY=change-me\n"
    'CORS_ORIGINS=["http://localhost:3000"]\n'
)
_MAIN = "from fastapi import FastAPI\n\napp = FastAPI()\n"


@dataclass(frozen=True)
class EnvVariable:
    """A variable the code reads: the keys that would satisfy it, and where it is read."""

    key: str  # as the message shows it
    accepted: frozenset[str]  # upper-case keys; empty with ``suffix`` set: any key ending so
    suffix: str | None
    path: str
    span: Span
    origin: str

    def listed_in(self, keys: frozenset[str]) -> bool:
        """Whether one of ``keys`` (upper case) provides the variable."""
        if self.suffix is not None:
            return any(key.endswith(self.suffix) for key in keys)
        return any(
            key in self.accepted or any(key.startswith(f"{a}__") for a in self.accepted)
            for key in keys
        )


def _string(node: ast.expr | None, constants: dict[str, str]) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.Name):
        return constants.get(node.id)
    return None


def _keyword(call: ast.Call, name: str) -> ast.expr | None:
    return next((k.value for k in call.keywords if k.arg == name), None)


class _SettingsReader:
    """Fields and prefixes of the settings classes of one module."""

    def __init__(self, path: str, tree: ast.Module, imports: ImportMap) -> None:
        self.path = path
        self.tree = tree
        self.imports = imports
        self.constants = module_constants(tree)

    def prefix(self, node: ast.ClassDef) -> str | None:
        """The ``env_prefix`` the class sets (``""`` when none, ``None`` when not a literal)."""
        value: ast.expr | None = _keyword_of_class(node, "env_prefix")
        for statement in node.body:
            if isinstance(statement, ast.Assign | ast.AnnAssign) and _targets(statement) == [
                "model_config"
            ]:
                value = _config_entry(statement.value, "env_prefix") or value
            elif isinstance(statement, ast.ClassDef) and statement.name == "Config":
                for inner in statement.body:
                    if isinstance(inner, ast.Assign) and _targets(inner) == ["env_prefix"]:
                        value = inner.value
        if value is None:
            return ""
        return _string(value, self.constants)

    def fields(self, node: ast.ClassDef) -> Iterator[tuple[str, frozenset[str] | None, Span]]:
        """``(name, aliases, span)`` of each field; aliases ``None`` when not literal."""
        for statement in node.body:
            if not isinstance(statement, ast.AnnAssign) or not isinstance(
                statement.target, ast.Name
            ):
                continue
            name = statement.target.id
            if name.startswith("_") or name == "model_config" or _is_classvar(statement):
                continue
            yield name, self._aliases(statement.value), ast_span(statement)

    def _aliases(self, value: ast.expr | None) -> frozenset[str] | None:
        if not isinstance(value, ast.Call):
            return frozenset()
        for keyword in ALIAS_KEYWORDS:
            node = _keyword(value, keyword)
            if node is None:
                continue
            names = [_string(n, self.constants) for n in _alias_nodes(node)]
            if not names or any(n is None for n in names):
                return None
            return frozenset(n.upper() for n in names if n is not None)
        return frozenset()


def _alias_nodes(node: ast.expr) -> list[ast.expr]:
    """The strings of ``"X"``, ``["X", "Y"]`` or ``AliasChoices("X", "Y")``."""
    if isinstance(node, ast.List | ast.Tuple | ast.Set):
        return list(node.elts)
    if isinstance(node, ast.Call):
        return list(node.args[:1]) if _call_name(node) == "AliasPath" else list(node.args)
    return [node]


def _call_name(node: ast.Call) -> str:
    func = node.func
    return func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")


def _targets(statement: ast.Assign | ast.AnnAssign) -> list[str]:
    targets = statement.targets if isinstance(statement, ast.Assign) else [statement.target]
    return [t.id for t in targets if isinstance(t, ast.Name)]


def _keyword_of_class(node: ast.ClassDef, name: str) -> ast.expr | None:
    return next((k.value for k in node.keywords if k.arg == name), None)


def _config_entry(value: ast.expr | None, name: str) -> ast.expr | None:
    """``name`` in ``SettingsConfigDict(...)``, ``ConfigDict(...)``, ``dict(...)`` or ``{...}``."""
    if isinstance(value, ast.Call):
        return _keyword(value, name)
    if isinstance(value, ast.Dict):
        for key, item in zip(value.keys, value.values, strict=True):
            if isinstance(key, ast.Constant) and key.value == name:
                return item
    return None


def _is_classvar(statement: ast.AnnAssign) -> bool:
    annotation = statement.annotation
    if isinstance(annotation, ast.Subscript):
        annotation = annotation.value
    return (isinstance(annotation, ast.Name) and annotation.id == "ClassVar") or (
        isinstance(annotation, ast.Attribute) and annotation.attr == "ClassVar"
    )


def settings_variables(project: ProjectFacts) -> Iterator[EnvVariable]:
    """The variables every ``BaseSettings`` subclass of the sample reads."""
    settings = project.subclasses_of(SETTINGS_ROOTS) - SETTINGS_ROOTS
    bases = {c.name: c.bases for m in project.modules for c in m.classes if c.name in settings}
    classes: dict[str, tuple[ast.ClassDef, _SettingsReader]] = {}
    for path, tree in sorted(project.trees.items()):
        if is_test_path(path):
            continue
        reader = _SettingsReader(path, tree, imports_of(path, tree))
        module = module_name_for(path)
        for node in tree.body:
            if isinstance(node, ast.ClassDef) and f"{module}.{node.name}" in settings:
                classes[f"{module}.{node.name}"] = (node, reader)
    own = {name: reader.prefix(node) for name, (node, reader) in classes.items()}
    for name, (node, reader) in classes.items():
        prefixes = _prefixes(name, own, bases)
        for field, aliases, span in reader.fields(node):
            origin = f"field `{field}` of `{node.name}`"
            if aliases is None:
                continue  # an alias the check cannot read
            if aliases:
                key = sorted(aliases)[0]
                yield EnvVariable(key, aliases, None, reader.path, span, origin)
            elif None in prefixes:
                upper = field.upper()
                yield EnvVariable(upper, frozenset(), upper, reader.path, span, origin)
            else:
                keys = frozenset(f"{p}{field}".upper() for p in prefixes if p is not None)
                yield EnvVariable(sorted(keys)[0], keys, None, reader.path, span, origin)


def _prefixes(
    name: str, own: dict[str, str | None], bases: dict[str, tuple[str, ...]]
) -> set[str | None]:
    """Prefixes a class's fields are read under: its own (or inherited) and its subclasses'."""

    def effective(current: str, seen: frozenset[str]) -> str | None:
        prefix = own.get(current, "")
        if prefix != "" or current in seen:
            return prefix
        for base in bases.get(current, ()):
            if base in own:
                return effective(base, seen | {current})
        return ""

    found = {effective(name, frozenset())}
    for other, other_bases in bases.items():
        if name in other_bases:
            found.add(effective(other, frozenset()))
    return found


def is_ambient(key: str) -> bool:
    """A variable the system or the hosting platform sets (``PATH``, ``VERCEL_ENV``)."""
    return (
        key in SYSTEM_VARIABLES
        or key in PLATFORM_VARIABLES
        or key.startswith(SYSTEM_PREFIXES + PLATFORM_PREFIXES)
    )


def getenv_variables(project: ProjectFacts) -> Iterator[EnvVariable]:
    """Literal keys of environment reads outside the tests.

    ``os.getenv("X")``, ``os.environ.get("X")``, ``os.environ["X"]``, python-decouple's
    ``config("X")`` and calls of a starlette ``Config(".env")`` instance (``config("X")``).
    """
    for path, tree in sorted(project.trees.items()):
        if is_test_path(path):
            continue
        imports = imports_of(path, tree)
        constants = module_constants(tree)
        readers = ENV_READERS | _config_instances(tree, imports)
        for node in walk(tree):
            if not isinstance(node, ast.Call | ast.Subscript):
                continue
            key = _read_key(node, imports, constants, readers)
            if key is None or is_ambient(key):
                continue
            origin = f"`{ast.unparse(node)}`"
            yield EnvVariable(key, frozenset({key.upper()}), None, path, ast_span(node), origin)


def _config_instances(tree: ast.Module, imports: ImportMap) -> frozenset[str]:
    """Qualified names of module-level ``starlette.config.Config(...)`` instances."""
    found: set[str] = set()
    for statement in tree.body:
        if (
            isinstance(statement, ast.Assign)
            and isinstance(statement.value, ast.Call)
            and qualified(imports, statement.value.func) in CONFIG_CLASSES
        ):
            found.update(
                imports.resolve_dotted(target.id)
                for target in statement.targets
                if isinstance(target, ast.Name)
            )
    return frozenset(found)


def _read_key(
    node: ast.Call | ast.Subscript,
    imports: ImportMap,
    constants: dict[str, str],
    readers: frozenset[str],
) -> str | None:
    """The key an environment read names, when it is a literal."""
    if isinstance(node, ast.Call):
        if qualified(imports, node.func) not in readers:
            return None
        return _string(node.args[0] if node.args else None, constants)
    if isinstance(node.ctx, ast.Load) and qualified(imports, node.value) == "os.environ":
        return _string(node.slice, constants)
    return None


def example_files(project: ProjectFacts) -> list[str]:
    """Paths of the sample's ``.env.example`` files (any spelling, any depth).

    The project's own come first, then those above its root up to the repository root
    (``../docker/.env.example``).
    """
    own = sorted(path for path in project.files if ENV_EXAMPLE.match(basename(path)))
    above = [path for path in project.context_files if ENV_EXAMPLE.match(basename(path))]
    return own + above


def example_keys(project: ProjectFacts, paths: list[str]) -> frozenset[str]:
    """Upper-case keys listed (or commented out) in the example files."""
    keys: set[str] = set()
    for path in paths:
        text = project.texts.get(path) or project.context_texts.get(path, "")
        for line in text.splitlines():
            match = ENV_KEY.match(line)
            if match:
                keys.add(match.group(1).upper())
    return frozenset(keys)


class EnvExample(ProjectCheck):
    """Environment variables the code reads that ``.env.example`` does not list.

    ## What it does
    Collects the variables the project reads: the fields of every pydantic-settings
    ``BaseSettings`` subclass (upper-cased, with the ``env_prefix`` of ``model_config``,
    ``SettingsConfigDict``, a ``class Config`` or the class keywords, inherited or set by a
    subclass; ``alias``/``validation_alias``/``AliasChoices`` names instead when given) and the
    literal keys of ``os.getenv``, ``os.environ.get``, ``os.environ[...]``, python-decouple's
    ``config(...)`` and starlette ``Config`` instances outside the tests
    (system variables such as ``PATH`` or ``HOME``, and those hosting platforms inject such as
    ``VERCEL_ENV``, ``RENDER`` or ``AWS_LAMBDA_FUNCTION_NAME``, are skipped). It reports each
    variable that no ``.env.example`` (also ``.env.sample``, ``.env.template``, ``example.env``
    ...) lists, even commented out; ``X__NESTED`` keys satisfy a nested field ``x``. With no
    example file at all it reports once, at the first variable. It applies to application
    projects (a FastAPI app, router or routes), not to one-file snippets or installed libraries.

    ## Why is this bad?
    The example file is how a new developer or a deployment learns which variables to set; a
    variable it omits surfaces as a validation error at startup, or silently as a default.
    """

    id = "env-example"
    summary = "environment variable missing from .env.example"
    good: ClassVar[tuple[Case, ...]] = (
        Case({"app/core/config.py": _SETTINGS, ".env.example": _EXAMPLE, "app/main.py": _MAIN}, 0),
        Case(
            {
                "app/core/config.py": (
                    "from pydantic import AliasChoices, Field\n"
                    "from pydantic_settings import BaseSettings, SettingsConfigDict\n\n"
                    "PREFIX = 'APP_'\n\n\nclass Base(BaseSettings):\n"
                    "    model_config = SettingsConfigDict(env_prefix=PREFIX)\n\n"
                    "    debug: bool = False\n"
                    "    redis: str = Field('', validation_alias=AliasChoices('REDIS_URL', 'R'))\n"
                    "\n\nclass Settings(Base):\n    class Config:\n        env_prefix = 'APP_'\n\n"
                    "    db: dict[str, str] = {}\n    _cache: int = 0\n"
                ),
                "app/worker.py": "import os\n\nHOME = os.environ['HOME']\n"
                "LEVEL = os.getenv('LOG_LEVEL', 'INFO')\n",
                "app/hosting.py": "import os\n\n\ndef where() -> str | None:\n"
                "    if os.getenv('RENDER') or os.getenv('RENDER_INSTANCE_ID'):\n"
                "        return 'render'\n"
                "    if os.environ.get('VERCEL_ENV') == 'preview':\n        return 'vercel'\n"
                "    return 'lambda' if 'AWS_LAMBDA_FUNCTION_NAME' in os.environ else None\n",
                "tests/test_config.py": "import os\n\nURL = os.environ['TEST_DATABASE_URL']\n",
                "app/main.py": _MAIN,
                ".env.sample": "APP_DEBUG=false\nREDIS_URL=redis://localhost\n"
                "# APP_DB__HOST=localhost\nexport LOG_LEVEL=INFO\n",
            },
            0,
            note="prefixes from a constant and a class Config, aliases, nested keys, commented "
            "keys, system variables, variables hosting platforms inject, tests",
        ),
        Case.good(_SETTINGS, path="config.py", note="a one-file snippet is not a project"),
        Case(
            {"mylib/config.py": _SETTINGS, "mylib/__init__.py": ""},
            0,
            note="a library without an app or routes is not an application",
        ),
    )
    bad: ClassVar[tuple[Case, ...]] = (
        Case(
            {
                "app/core/config.py": _SETTINGS,
                "app/main.py": _MAIN,
                ".env.example": "DATABASE_URL=postgresql+asyncpg://app:app@localhost:5432/app\n",
            },
            2,
            note="two settings fields missing",
        ),
        Case(
            {
                "app/core/config.py": _SETTINGS.replace(
                    "env_file='.env'", "env_file='.env', env_prefix='USERS_'"
                ),
                "app/services/mail.py": "from os import environ, getenv\n\n"
                "SMTP = getenv('SMTP_HOST')\nKEY = environ['MAIL_API_KEY']\n",
                "app/main.py": _MAIN,
                ".env.example": _EXAMPLE + "SMTP_HOST=localhost\n",
            },
            4,
            note="keys without the env_prefix; an os.environ read not listed",
        ),
        Case(
            {
                "app/core/config.py": "from starlette.config import Config\n\n"
                "config = Config('.env')\nDEBUG = config('DEBUG', cast=bool, default=False)\n"
                "SECRET_KEY = config('SECRET_KEY')\n",
                "app/main.py": _MAIN,
                ".env.example": "DEBUG=false\n",
            },
            1,
            note="a starlette Config instance",
        ),
        Case(
            {"app/core/config.py": _SETTINGS, "app/main.py": _MAIN},
            1,
            note="settings but no .env.example",
        ),
    )

    def applies(self) -> bool:
        """Projects whose code reads environment variables."""
        return is_application(self.project) and any(self._variables())

    def _variables(self) -> Iterator[EnvVariable]:
        yield from settings_variables(self.project)
        yield from getenv_variables(self.project)

    def run(self) -> Iterator[Hit]:
        """Report each unlisted variable, or once when there is no example file."""
        variables = list(self._variables())
        files = example_files(self.project)
        if not files:
            names = ", ".join(f"`{v.key}`" for v in variables[:MISSING_SHOWN])
            more = (
                ""
                if len(variables) <= MISSING_SHOWN
                else f" and {len(variables) - MISSING_SHOWN} more"
            )
            first = variables[0]
            yield Hit(
                first.path,
                first.span,
                f"the project reads {names}{more} from the environment but has no .env.example; "
                "commit one listing every variable with a placeholder and a comment",
            )
            return
        keys = example_keys(self.project, files)
        reported: set[str] = set()
        for variable in variables:
            if variable.listed_in(keys) or variable.key in reported:
                continue
            reported.add(variable.key)
            yield Hit(
                variable.path,
                variable.span,
                f"{variable.origin} reads `{variable.key}`, which `{files[0]}` does not list; "
                "add it with a placeholder value and a comment",
            )
