"""hardcoded-secret: secrets written in code, and insecure settings fields.

This check owns the judgement ruff's S105-S107 make by name alone: ruff reports any literal
bound to a ``token``/``password`` name (``token_type = "bearer"``, route paths, test fixtures)
and has no way to tell a label from a secret, so the pack binds this check instead.
"""

from __future__ import annotations

import re
from typing import ClassVar

import libcst as cst

from rulepack.evaluator.checks.base import Case, ModuleCheck, ModuleContext, ProjectFacts
from rulepack.evaluator.checks.common import is_test_path
from rulepack.evaluator.checks.facts import ModuleFacts, keyword, positional
from rulepack.evaluator.checks.security.settings import settings_classes
from rulepack.evaluator.checks.security.support import iter_targets, names_in

SECRET_NAME = re.compile(
    r"secret|token|api_?key|apikey|private_?key|passw(or)?d|(^|_)pwd($|_)|passphrase|credential"
    r"|signing_?key|access_?key",
    re.IGNORECASE,
)
# Names that hold something about a secret (where it comes from, its type), not the secret.
NOT_A_SECRET = re.compile(
    r"(^|_)(names?|headers?|env|var|field|prefix|suffix|url|uri|path|file|type|algorithms?|alg"
    r"|param|cookie|query|len|length|expires?|expiry|ttl|minutes|seconds|hours|days|scheme"
    r"|location|ids?|endpoint|pattern|regex|format|label|help|description|message|msg"
    r"|template|mode|version|kind|policy|strategy|min|max|size|count|ttl_seconds"
    r"|exclude|include|whitelist|allowlist|blacklist|denylist|paths|routes|prefixes)$",
    re.IGNORECASE,
)
# ``COOKIE_REFRESH_TOKEN_KEY``, ``HEADER_API_KEY``: the name of a cookie or header holding a token.
NAMES_A_FIELD = re.compile(r"(^|_)(cookie|header)(_|$)", re.IGNORECASE)
CREDENTIAL_URL = re.compile(r"^[a-z][a-z0-9+.\-]*://[^/\s:@]*:(?P<password>[^/\s@]+)@\S+$")
PLACEHOLDER_START = ("{", "<", "$", "%", "*", "/")
LABEL = re.compile(r"^[A-Za-z][A-Za-z_.\-]*$")  # "api_key", "X-API-Key": a name, not a value
ENV_VAR = re.compile(r"^[A-Z][A-Z0-9]*(_[A-Z0-9]+)+$")
ENV_READS = frozenset({"os.getenv", "os.environ.get"})
JWT_CALLS = frozenset(
    {"jwt.encode", "jwt.decode", "jwt.api_jwt.encode", "jwt.api_jwt.decode"}
    | {"jose.jwt.encode", "jose.jwt.decode"}
)
SECRET_TYPES = ("SecretStr", "SecretBytes", "Secret")
CONTAINERS = frozenset({"list", "List", "set", "Set", "tuple", "Tuple", "dict", "Dict", "Sequence"})


def literal_text(node: cst.BaseExpression | None) -> str | None:
    """The value of a string or bytes literal (implicit concatenations too), else ``None``."""
    if isinstance(node, cst.SimpleString | cst.ConcatenatedString):
        value = node.evaluated_value
        if isinstance(value, bytes):
            return value.decode("utf-8", errors="replace")
        return value if isinstance(value, str) else None
    return None


def snake(name: str) -> str:
    """``tokenUrl`` -> ``token_Url``: camelCase words split like snake_case ones."""
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name)


def is_secret_name(name: str) -> bool:
    """A name that holds a secret: ``STRIPE_API_KEY``, ``jwt_secret``, not ``TOKEN_URL``."""
    words = snake(name)
    return (
        bool(SECRET_NAME.search(name))
        and not NOT_A_SECRET.search(words)
        and not NAMES_A_FIELD.search(words)
    )


def looks_like_secret(value: str) -> bool:
    """A literal that could be a secret: not empty, a label, an env var name, a path or text."""
    if len(value) < 3 or any(char.isspace() for char in value):
        return False
    if value.startswith(PLACEHOLDER_START) or "://" in value:
        return False
    if ENV_VAR.match(value):
        return False
    return not (LABEL.match(value) and (SECRET_NAME.search(value) or value.islower()))


def credential_url(value: str) -> bool:
    """A URL with a literal ``user:password@`` part (placeholders such as ``{password}`` aside)."""
    match = CREDENTIAL_URL.match(value)
    if match is None:
        return False
    password = match.group("password")
    return not password.startswith(PLACEHOLDER_START) and set(password) != {"*"}


class HardcodedSecret(ModuleCheck):
    """Secrets written in code (what ruff's S105-S107 look for, judged by value as well as name).

    ## What it does
    Finds string literals that look like secrets (no spaces, not a label such as ``"api_key"``,
    an environment variable name, a path or a placeholder) bound to names matching
    ``secret|token|api_key|private_key|password|credential|signing_key|access_key`` (any case;
    not ``..._url``, ``..._header``, ``..._env``, ``..._type``, ``..._prefix`` ...): assignments
    at any level, attribute assignments (``stripe.api_key = "sk_live_..."``), keyword arguments,
    parameter defaults and ``os.getenv("API_KEY", "<fallback>")`` fallbacks. Token types
    (``token_type = "bearer"``), labels and column names (``PK_TOKEN = "token"``), route paths
    and messages are not secrets; test modules (``tests/``, ``conftest.py``) hold fixture
    credentials on purpose and are not checked. It also
    finds URLs with a literal ``user:password@`` anywhere, ``jwt.encode``/``jwt.decode`` given a
    literal key, and fields of ``BaseSettings`` classes with secret names that have a default
    value or are plain ``str`` instead of ``SecretStr``.

    ## Why is this bad?
    Secrets in source end up in version control, images and logs, and cannot be rotated per
    environment; required ``SecretStr`` settings fail fast when missing and are masked in reprs.
    """

    id = "hardcoded-secret"
    summary = "secret written in code, or a settings secret with a default or not `SecretStr`"
    good: ClassVar[tuple[Case, ...]] = (
        Case.good(
            "from pydantic import Field, SecretStr\n"
            "from pydantic_settings import BaseSettings, SettingsConfigDict\n\n\n"
            "class Settings(BaseSettings):\n"
            "    model_config = SettingsConfigDict(env_file='.env', extra='ignore')\n\n"
            "    jwt_secret: SecretStr = Field(description='HMAC key that signs access tokens')\n"
            "    database_url: SecretStr = Field(\n"
            "        description='Async DSN, e.g. postgresql+asyncpg://user:pass@host/db'\n    )\n"
            "    api_key: SecretStr | None = None\n"
            "    token_path_exclude: list[str] = ['/api/v1/auth/login']\n"
            "    COOKIE_REFRESH_TOKEN_KEY: str = 'app_refresh_token'\n"
            "    TOKEN_AUDIENCES: list[str] = []\n"
            "    access_token_expire_minutes: int = 30\n"
            "    jwt_algorithm: str = 'HS256'\n"
            "    token_url: str = '/api/v1/auth/token'\n",
            path="app/core/config.py",
        ),
        Case.good(
            "import os\n\nimport jwt\nfrom fastapi.security import APIKeyHeader\n\n"
            "API_KEY_HEADER = 'X-API-Key'\nAPI_KEY_ENV = 'STRIPE_API_KEY'\n"
            "STRIPE_API_KEY = os.environ.get('STRIPE_API_KEY', '')\n"
            "DATABASE_URL = 'sqlite+aiosqlite:///./app.db'\n"
            "OAUTH_TOKEN_TYPE = 'bearer'\nCREDENTIALS_FIELD = 'api_key'\n"
            "api_key_scheme = APIKeyHeader(name='x-api-key')\n"
            "oauth2_scheme = OAuth2PasswordBearer(tokenUrl='auth/token')\n\n\n"
            "class Grants:\n    client_credentials = 'client_credentials'\n\n\n"
            "def sign(claims: dict[str, object], key: str) -> str:\n"
            "    return jwt.encode(claims, key, algorithm='HS256')\n\n\n"
            "def connect(dsn: str = 'postgresql://{user}:{password}@{host}/db') -> None:\n"
            "    pass\n",
            note="header and variable names, tokenUrl, labels, env lookups, a template DSN",
        ),
        Case.good(
            "from pydantic import BaseModel\n\n"
            "AUTH_SCHEME_PREFIX = 'Token'\nLOOKUP_KEY_TOKEN = 'token'\n"
            "EXPIRED_TOKEN = 'token has expired'\n"
            "reset_password_route = '/api/users/reset-password'\n\n\n"
            "class AccessToken(BaseModel):\n"
            "    access_token: str\n    token_type: str = 'bearer'\n\n\n"
            "def issue(subject: str) -> AccessToken:\n"
            "    token_type = 'bearer'\n"
            "    return AccessToken(access_token=sign(subject), token_type=token_type)\n",
            path="app/auth/tokens.py",
            note="OAuth2 token types, a header prefix, a lookup key, a message and a route path",
        ),
        Case(
            files={
                "tests/test_users.py": (
                    "async def test_login(client: object) -> None:\n"
                    "    await make_user(email='a@example.org', password='s3cret-pw')\n"
                ),
                "backend/conftest.py": "FIXTURE_PASSWORD = '123456'\n",
            },
            hits=0,
            note="fixture credentials in tests and in a conftest at the project root",
        ),
        Case.good(
            "STRIPE_API_KEY = 'sk_test_fake'\n",
            path="tests/conftest.py",
            note="test modules are not checked",
        ),
    )
    bad: ClassVar[tuple[Case, ...]] = (
        Case.bad(
            "SECRET_KEY = '9f2c1e7a0b6d4c3e8f5a2b1c'\nSTRIPE_API_KEY = 'sk_live_51HxYz'\n\n\n"
            "def connect(user: str = 'app', password: str = 'hunter2') -> Connection:\n"
            "    return Connection(user=user, password=password)\n",
            hits=3,
            note="a secret constant, an API key constant and a password parameter default",
        ),
        Case.bad(
            "def bootstrap_admin() -> None:\n"
            "    admin_password = 'Adm1n!2024'\n"
            "    create_admin(email='root@example.org', password=admin_password)\n",
            path="app/services/bootstrap.py",
            note="a password literal in a local variable",
        ),
        Case.bad(
            "from pydantic_settings import BaseSettings\n\n\n"
            "class Settings(BaseSettings):\n"
            "    jwt_secret: str = 'change-me'\n"
            "    database_url: str = 'postgresql+asyncpg://app:hunter2@db/app'\n",
            hits=2,
            path="app/core/config.py",
        ),
        Case.bad(
            "import os\n\nimport jwt as pyjwt\nimport stripe\n\nstripe.api_key ="
            " 'sk_live_51HxYzAbCd'\n\n\n"
            "class Config:\n    SIGNING_KEY = 'a1b2c3d4e5f6'\n\n\n"
            "def issue(claims: dict[str, object]) -> str:\n"
            "    client = Mailer(api_key='mk-2f9c8e7d')\n"
            "    os.getenv('SENDGRID_API_KEY', 'SG.x1y2z3')\n"
            "    return pyjwt.encode(claims, 'my-jwt-secret', algorithm='HS256')\n\n\n"
            "def sign(data: bytes, private_key: str = 'MIIEvQIBADANBgkqhkiG9w0B') -> bytes:\n"
            "    return data\n",
            hits=6,
            note="attribute, class constant, argument, getenv fallback, JWT key, default",
        ),
        Case(
            files={
                "app/core/base.py": (
                    "from pydantic_settings import BaseSettings as Base\n\n\n"
                    "class AppSettings(Base):\n    app_name: str = 'api'\n"
                ),
                "app/core/config.py": (
                    "from typing import Optional\n\nfrom pydantic import Field\n\n"
                    "from app.core.base import AppSettings\n\n\n"
                    "class Settings(AppSettings):\n"
                    "    openai_api_key: Optional[str] = None\n"
                    "    smtp_password: str = Field(default='mail-pass-1')\n"
                    "    redis_url: str = 'redis://:s3cr3t@cache:6379/0'\n"
                ),
            },
            hits=3,
            note="settings subclassed across modules: plain str secret, Field default, DSN",
        ),
    )

    def __init__(self, context: ModuleContext) -> None:
        """Prepare the scope stack; the sample's settings classes are found at the first class."""
        super().__init__(context)
        self.settings: frozenset[str] | None = None
        self.scopes: list[str] = []  # "class", "settings" or "function", innermost last

    @classmethod
    def applies(cls, facts: ModuleFacts, project: ProjectFacts) -> bool:
        """Every module except tests."""
        del project
        return not is_test_path(facts.path)

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        """Enter a class; settings classes are checked field by field."""
        if self.scopes:
            self.scopes.append("class")
            return
        if self.settings is None:
            self.settings = settings_classes(self.context.project)
        name = f"{self.context.imports.module}.{node.name.value}"
        self.scopes.append("settings" if name in self.settings else "class")

    def leave_ClassDef(self, original_node: cst.ClassDef) -> None:
        """Leave the class."""
        del original_node
        self.scopes.pop()

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        """Check parameter defaults; enter the function."""
        params = node.params
        for param in (*params.posonly_params, *params.params, *params.kwonly_params):
            self._check_binding(param.name.value, param.default, param.default, "parameter")
        self.scopes.append("function")

    def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
        """Leave the function."""
        del original_node
        self.scopes.pop()

    def visit_Assign(self, node: cst.Assign) -> None:
        """Module- and class-level names, and attributes anywhere, bound to a secret literal."""
        for target in iter_targets(node):
            self._check_target(target, node.value)

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        """Settings fields, and annotated names bound to a secret literal."""
        if self.scopes and self.scopes[-1] == "settings" and isinstance(node.target, cst.Name):
            self._check_settings_field(node.target, node.annotation.annotation, node.value)
        elif node.value is not None:
            self._check_target(node.target, node.value)

    def _check_target(self, target: cst.BaseExpression, value: cst.BaseExpression) -> None:
        if isinstance(target, cst.Name):
            local = bool(self.scopes) and self.scopes[-1] == "function"
            self._check_binding(target.value, value, target, "variable" if local else "constant")
        elif isinstance(target, cst.Attribute):
            self._check_binding(target.attr.value, value, target, "attribute")

    def _check_binding(
        self,
        name: str,
        value: cst.BaseExpression | None,
        where: cst.CSTNode | None,
        what: str,
    ) -> None:
        text = literal_text(value)
        if text is None or where is None or credential_url(text):
            return  # credentials in URLs are reported by visit_SimpleString
        if not is_secret_name(name):
            return
        if looks_like_secret(text):
            self.report(
                where,
                f"{what} `{name}` holds a literal secret; read it from settings as a "
                "`SecretStr` field",
            )

    def _check_settings_field(
        self,
        target: cst.Name,
        annotation: cst.BaseExpression,
        value: cst.BaseExpression | None,
    ) -> None:
        name = target.value
        if not is_secret_name(name):
            return
        default = value
        if isinstance(value, cst.Call) and (self.qualified(value.func) or "").endswith("Field"):
            default = keyword(value, "default") or positional(value, 0)
        text = literal_text(default)
        if text and not credential_url(text):
            self.report(
                target,
                f"settings field `{name}` has a default secret; make it a required `SecretStr` "
                "read from the environment",
            )
            return
        names = [part.rsplit(".", 1)[-1] for part in names_in(annotation)]
        if any(part in CONTAINERS for part in names):
            return  # a list or mapping of values (paths, ids), not one secret
        if any(part in {"str", "bytes"} for part in names) and not any(
            part.startswith(SECRET_TYPES) for part in names
        ):
            self.report(
                target,
                f"settings field `{name}` is a plain `str`; declare it `SecretStr` so it is "
                "masked in reprs and logs",
            )

    def visit_Arg(self, node: cst.Arg) -> None:
        """Keyword arguments with secret names given a literal."""
        if node.keyword is not None:
            self._check_binding(node.keyword.value, node.value, node, "argument")

    def visit_Call(self, node: cst.Call) -> None:
        """``jwt.encode``/``jwt.decode`` with a literal key; ``os.getenv`` secret fallbacks."""
        name = self.qualified(node.func)
        if name in ENV_READS:
            variable = literal_text(positional(node, 0))
            if variable is not None:
                self._check_binding(variable, positional(node, 1), node, "fallback for")
            return
        if name not in JWT_CALLS:
            return
        key = keyword(node, "key") or positional(node, 1)
        if literal_text(key):
            self.report(
                node,
                "the JWT is signed or verified with a literal key; read the key from settings "
                "(`settings.jwt_secret.get_secret_value()`)",
            )

    def visit_SimpleString(self, node: cst.SimpleString) -> None:
        """URLs with a literal ``user:password@``."""
        value = node.evaluated_value
        text = value.decode("utf-8", errors="replace") if isinstance(value, bytes) else value
        if credential_url(text):
            self.report(
                node,
                "URL with a literal password; build it from settings (a `SecretStr` DSN "
                "field) instead",
            )
