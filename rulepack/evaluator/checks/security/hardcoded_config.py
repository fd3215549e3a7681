"""hardcoded-config: URLs, DSNs, hosts and ports written in code outside the settings module."""

from __future__ import annotations

import re
from typing import ClassVar

import libcst as cst

from rulepack.evaluator.checks.base import Case, ModuleCheck, ModuleContext, ProjectFacts
from rulepack.evaluator.checks.common import is_test_path
from rulepack.evaluator.checks.data.layout import is_script_path
from rulepack.evaluator.checks.facts import ModuleFacts
from rulepack.evaluator.checks.imports import dotted
from rulepack.evaluator.checks.security.settings import SETTINGS_MODULE_PARAM, is_settings_module
from rulepack.evaluator.checks.security.support import iter_targets

DSN = re.compile(
    r"^((postgres(ql)?|mysql|mariadb|oracle|mssql|cockroachdb|redis|rediss|valkey|amqps?"
    r"|mongodb|kafka|nats|memcached?|clickhouse)(\+\w+)?://\S|sqlite(\+\w+)?://)",
    re.IGNORECASE,
)
# String methods and comparisons test or rewrite URLs (``url.startswith("redis://")``).
STRING_METHODS = frozenset(
    {"startswith", "endswith", "replace", "removeprefix", "removesuffix", "split", "rsplit"}
    | {"partition", "rpartition", "find", "rfind", "index", "count", "strip", "lstrip", "rstrip"}
)
WEB_URL = re.compile(r"^(https?|wss?|ftps?|sftp|smtps?|ldaps?)://[^\s/:?#{}@]+[^\s]*$")
URL_PREFIX = re.compile(r"^(https?|wss?)://[^\s/:?#{}@]+[:/]")
HOST_PORT = re.compile(
    r"^(localhost|\d{1,3}(\.\d{1,3}){3}|[a-z][a-z0-9\-]*(\.[a-z0-9\-]+)*):\d{2,5}$"
)
HOSTNAME = re.compile(r"^(localhost|\d{1,3}(\.\d{1,3}){3}|[a-z0-9\-]+(\.[a-z0-9\-]+)+)$")
ALL_INTERFACES = frozenset({"0.0.0.0", "::"})  # noqa: S104 - the addresses ruff S104 reports
HOST_CONSTANT = re.compile(r"(^|_)(HOST|HOSTNAME|SERVER|DOMAIN)$")
PORT_CONSTANT = re.compile(r"(^|_)PORT$")
# Arguments that document or describe rather than configure.
DOC_KEYWORDS = frozenset(
    {"description", "help", "summary", "title", "example", "examples", "doc", "docs_url"}
    | {"json_schema_extra", "openapi_examples", "contact", "license_info", "terms_of_service"}
    | {"openapi_tags", "external_docs", "deprecated", "placeholder"}
)
DOC_CALLS = frozenset({"Doc"})  # annotated-doc parameter documentation
# Hosts of specifications, namespaces and documentation: references, not configuration.
REFERENCE_HOSTS = (
    "json-schema.org",
    "schema.org",  # JSON-LD ``@context`` vocabulary
    "w3.org",
    "schemas.xmlsoap.org",
    "purl.org",
    "ietf.org",
    "spec.openapis.org",
    "swagger.io",
    "readthedocs.io",
    "readthedocs.org",
    "github.io",
    "github.com",
    "python.org",
    "pydantic.dev",
    "tiangolo.com",
    "mozilla.org",
    "wikipedia.org",
    "stackoverflow.com",
)
TEST_HOSTS = frozenset({"test", "testserver", "testclient"})  # in-process test clients
# RFC 2606/6761 names reserved for examples and placeholders: never a real service.
EXAMPLE_HOSTS = ("example.com", "example.org", "example.net", ".example", ".invalid", ".test")
# Names whose values are identifiers that look like URLs (OAuth scopes, audiences, namespaces).
IDENTIFIER_NAME = re.compile(r"(^|_)(scopes?|audiences?|aud|namespaces?|issuer_id)($|_)", re.I)
# Metadata that describes who made something and where to read about it (``author_url``).
DESCRIPTIVE_NAME = re.compile(
    r"(^|_)(author|homepage|home_page|website|docs|documentation|repository|changelog|examples?)"
    r"(_url|_uri|_link)?$",
    re.IGNORECASE,
)
# Configuration readers other than pydantic-settings: a module using one is a settings module.
CONFIG_READERS = frozenset(
    {"starlette.config.Config", "decouple.config", "decouple.AutoConfig", "environs.Env"}
)
# Arguments that carry a link for a person to follow (``href=``, ``link_button_url=``).
LINK_NAME = re.compile(r"(^|_)(href|links?)($|_)", re.IGNORECASE)
# Receivers of ``.get(key, default)`` that hold configuration: their defaults are settings.
CONFIG_WORDS = frozenset(
    {"environ", "env", "config", "configuration", "conf", "cfg", "settings", "options"}
)
# Directories of test doubles shipped with the code (``plugins/vendor_test/``, ``fakes/``).
DOUBLE_DIR = re.compile(r"(^|_)(test|tests|mock|mocks|fake|fakes)$")
# OAuth scopes written as URLs (Google's ``.../auth/<scope>``, Microsoft's ``/.default``).
OAUTH_SCOPE = re.compile(r"^https://www\.googleapis\.com/auth/|/\.default$")
# Classes that are configuration models: their field defaults are the settings themselves.
CONFIG_CLASS = re.compile(r"(Config|Configuration|Settings|Options)$")
STATIC_ASSET = re.compile(
    r"\.(js|mjs|css|png|ico|svg|jpe?g|gif|webp|woff2?|ttf|map)$", re.IGNORECASE
)
IDENTIFIER_SEGMENTS = frozenset({"schema", "schemas", "ns", "xmlns"})


def config_literal(value: str) -> str | None:
    """What kind of configuration a whole string literal is, if any."""
    if any(char.isspace() for char in value) or value in ALL_INTERFACES:
        return None
    if DSN.match(value):
        return "DSN"
    if WEB_URL.match(value):
        return None if is_reference(value) else "URL"
    if HOST_PORT.match(value):
        return "host and port"
    return None


def is_reference(url: str) -> bool:
    """A URL that names a document, asset or schema rather than a service to call."""
    rest = url.split("://", 1)[1]
    host, _, path = rest.partition("/")
    host = host.split(":", 1)[0].lower()
    if host in TEST_HOSTS or host.startswith(("docs.", "dashboard.")):
        return True  # documentation, and vendors' dashboards: pages for people
    if host.endswith(REFERENCE_HOSTS):
        return True
    if host.endswith(EXAMPLE_HOSTS) or OAUTH_SCOPE.search(url):
        return True
    path = path.split("?", 1)[0].split("#", 1)[0]
    segments = set(path.lower().split("/"))
    return bool(STATIC_ASSET.search(path)) or bool(segments & IDENTIFIER_SEGMENTS)


def _quiet_keyword(name: str) -> bool:
    """Arguments that document, name identifiers or carry links for people."""
    return name in DOC_KEYWORDS or bool(IDENTIFIER_NAME.search(name) or LINK_NAME.search(name))


def mask(value: str) -> str:
    """The literal for a message: credentials hidden, long values shortened."""
    masked = re.sub(r"(://[^/\s:@]*:)[^/\s@]+@", r"\1***@", value)
    return masked if len(masked) <= 60 else masked[:57] + "..."


class HardcodedConfig(ModuleCheck):
    """URLs, DSNs, hosts and ports written in code instead of settings.

    ## What it does
    Outside the settings module (one defining a ``BaseSettings`` subclass, one reading
    starlette's ``Config``, python-decouple or environs, or the ``settings_module`` path) and
    tests, finds string literals that are a whole DSN
    (``postgresql+asyncpg://...``, ``sqlite+aiosqlite://``, ``redis://...``), a URL with a host
    (``https://api.vendor.io/...``, also as the literal start of an f-string), or a
    ``host:port`` pair (``localhost:9092``); ``host=``/``port=`` keyword arguments given a
    literal; and module constants named ``*_HOST``/``*_SERVER``/``*_PORT`` bound to one.
    Docstrings, messages made of several literals, descriptions and examples
    (``description=``, ``examples=``, ``Doc(...)``, ``contact=``), references (specification
    and documentation hosts, static assets such as ``.js``/``.css``/``.png``, schema ids), test
    hosts (``http://testserver``), literals that string methods or comparisons test
    (``url.startswith("redis://")``), ``"0.0.0.0"`` (ruff S104's), reserved placeholder hosts
    (``example.com``, ``*.test``), identifiers bound to ``scopes``/``audience`` names (OAuth
    scopes are URLs), descriptive metadata (``author_url``, ``homepage``, docs sites) and field
    defaults of configuration models (classes named ``...Config``, ``...Configuration``,
    ``...Settings``, ``...Options``), links for people (``href=``, ``*_link`` arguments, a
    vendor's ``dashboard.`` pages) and fallbacks for a field missing from data
    (``meeting.get("join_url", "https://vendor.io")``; defaults of ``os.environ.get`` and
    ``config.get`` still count) are not reported, nor are test doubles shipped with the code
    (directories named ``*_test``, ``mocks``, ``fakes``).

    ## Why is this bad?
    Hardcoded values differ between environments and force code changes to deploy; settings
    fields are validated at startup and set per environment.
    """

    id = "hardcoded-config"
    summary = "URL, DSN, host or port literal outside the settings module"
    params = (SETTINGS_MODULE_PARAM,)
    good: ClassVar[tuple[Case, ...]] = (
        Case.good(
            "import uvicorn\nfrom sqlalchemy.ext.asyncio import create_async_engine\n\n"
            "from app.core.config import get_settings\n\nsettings = get_settings()\n"
            "engine = create_async_engine(settings.database_url,"
            " pool_size=settings.db_pool_size)\n\n"
            "if __name__ == '__main__':\n"
            "    uvicorn.run('app.main:app', host=settings.host, port=settings.port)\n",
            path="app/main.py",
        ),
        Case.good(
            "from pydantic_settings import BaseSettings\n\n\n"
            "class Settings(BaseSettings):\n"
            "    redis_url: str = 'redis://localhost:6379/0'\n    port: int = 8000\n",
            path="app/settings.py",
            note="defaults belong in the settings class",
        ),
        Case.good(
            '"""The API. See https://example.com/docs for details."""\n\n'
            "from fastapi import FastAPI\nfrom fastapi.security import OAuth2PasswordBearer\n"
            "from pydantic import BaseModel, Field\n\n"
            "SCHEMA = 'https://json-schema.org/draft/2020-12/schema'\n"
            "app = FastAPI(contact={'url': 'https://example.com/support'}, host_header='x')\n"
            "oauth2 = OAuth2PasswordBearer(tokenUrl='/api/v1/auth/token')\n\n\n"
            "class Hook(BaseModel):\n"
            "    url: str = Field(examples=['https://hooks.example.com/in'])\n\n\n"
            "def base(host: str, port: int) -> str:\n"
            "    '''https://docs.example.com'''\n"
            "    return f'http://{host}:{port}' if host != '0.0.0.0' else 'app.main:app'\n",
            note="docs, examples, contact info, a schema id, a template URL, S104's address",
        ),
        Case.good(
            "BASE_URL = 'http://test'\n", path="tests/conftest.py", note="tests are not checked"
        ),
        Case.good(
            "SCHEMA_URL = 'https://opentelemetry.io/schemas/1.44.0'\n"
            "ISSUES = 'https://github.com/org/app/issues/new/choose'\n"
            "DOCS = f'https://errors.pydantic.dev/{VERSION}/u/'\n"
            "MESSAGE = (\n    'Invalid response model. Read more: '\n"
            "    'https://fastapi.tiangolo.com/tutorial/response-model/'\n)\n\n\n"
            "def swagger_html(\n"
            "    js_url: str ="
            " 'https://cdn.jsdelivr.net/npm/swagger-ui-dist@5/swagger-ui-bundle.js',\n"
            "    favicon_url: str = 'https://cdn.example.net/img/favicon.png',\n"
            ") -> str:\n    return js_url + favicon_url\n\n\n"
            "class Client:\n    def __init__(self, base_url: str = 'http://testserver') -> None:\n"
            "        self.base_url = base_url\n\n\n"
            "def async_dsn(url: str) -> str:\n"
            "    if url.startswith('postgres://') or url == 'redis://':\n"
            "        return url.replace('postgresql://', 'postgresql+asyncpg://', 1)\n"
            "    return url\n",
            note="schema ids, docs links and messages, static assets, test hosts, URL tests",
        ),
        Case.good(
            "from pydantic import BaseModel, Field\n\n\n"
            "class CalendarOptions(BaseModel):\n"
            "    api_url: str = Field('https://calendar.vendor.io/v3', title='API URL')\n\n\n"
            "class CalendarPlugin:\n"
            "    author_url = 'https://calendar-team.vendor.io/'\n"
            "    def __init__(self) -> None:\n"
            "        self.scopes = ['https://www.vendorapis.com/auth/calendar.readonly']\n\n"
            "    def parse(self, html: str, url: str | None) -> object:\n"
            "        return scrape(html, base_url=url or 'https://example.com')\n\n\n"
            "def connect(tenant: str, scope: str = 'https://graph.vendor.io/.default') -> None:\n"
            "    pass\n\n\n"
            "def grant(flow: object) -> object:\n"
            "    return flow.start(scope='https://www.vendorapis.com/auth/calendar')\n",
            path="app/plugins/calendar.py",
            note="a configuration model's default, OAuth scopes, a reserved placeholder host",
        ),
        Case.good(
            "def invite(conference: dict[str, str]) -> dict[str, str]:\n"
            "    return {'join': conference.get('join_link', 'https://meet.vendor.io')}\n\n\n"
            "def account_cell(page: object, account_id: str) -> None:\n"
            "    page.anchor(href=f'https://dashboard.paysvc.io/accounts/{account_id}')\n"
            "    page.card(open_link_url=f'https://console.paysvc.io/acct/{account_id}')\n\n\n"
            "HOOK_URL_EXAMPLES = ['https://hooks.paysvc.io/abc123']\n"
            "LD = {'@context': 'https://schema.org', '@type': 'Product'}\n\n\n"
            "def url_input(form: object) -> object:\n"
            "    return form.text_input(kind='url', placeholder='https://shop.vendor.io/you')\n\n\n"
            "def refund_page(refund_id: str) -> str:\n"
            "    return f'https://dashboard.paysvc.io/refunds/{refund_id}'\n",
            path="app/admin/render.py",
            note="a fallback link for missing data, links for people, vendor dashboard pages, "
            "example values, form placeholders, a JSON-LD context",
        ),
        Case.good(
            "PAGE = {'title': 'Runbook', 'body': 'see https://wiki.vendor.io/runbook'}\n"
            "LOGIN = 'https://sso.vendor.io/login'\n",
            path="app/plugins/pager_fake/document.py",
            note="content of a test-double plugin shipped with the code",
        ),
        Case.good(
            "from starlette.config import Config\n\nconfig = Config('.env')\n"
            "PORTAL_URL = config('PORTAL_URL', default='http://localhost:3000')\n",
            path="portal/settings_env.py",
            note="a starlette Config module is the settings module; its defaults are settings",
        ),
    )
    bad: ClassVar[tuple[Case, ...]] = (
        Case.bad(
            "import uvicorn\nfrom sqlalchemy.ext.asyncio import create_async_engine\n\n"
            "engine = create_async_engine('postgresql+asyncpg://db.internal:5432/app',"
            " pool_size=10)\n\n"
            "if __name__ == '__main__':\n"
            "    uvicorn.run('app.main:app', host='0.0.0.0', port=8000)\n",
            hits=2,
            path="app/main.py",
            note="a DSN and a port; 0.0.0.0 is ruff S104's",
        ),
        Case.bad(
            "import requests\n\nMAIL_SERVER = 'smtp.example.com'\nMAIL_PORT = 587\n\n\n"
            "def notify(path: str, user_id: int) -> bool:\n"
            "    requests.post('https://api.mailservice.io/send', timeout=5)\n"
            "    resp = requests.post(f'http://warehouse.internal:8080/{path}', timeout=5)\n"
            "    return resp.ok\n",
            hits=4,
            note="host and port constants, a URL, an f-string with a literal host",
        ),
        Case.bad(
            "from redis.asyncio import Redis as R\n\n\n"
            "class Cache:\n"
            "    def __init__(self) -> None:\n"
            "        self.client = R(host='localhost', port=6379)\n"
            "        self.brokers = ['localhost:9092']\n",
            hits=3,
            path="app/services/cache.py",
            note="host and port keywords, a host:port pair in a list",
        ),
        Case.bad(
            "import os\n\nimport httpx\n\n"
            "BILLING = os.environ.get('BILLING_API', 'https://api.paysvc.io/v2')\n\n\n"
            "async def charge(options: dict[str, str], amount: int) -> None:\n"
            "    base = options.get('billing_url', 'https://api.paysvc.io/v1')\n"
            "    async with httpx.AsyncClient() as client:\n"
            "        await client.post(f'https://api.paysvc.io/charges/{amount}')\n",
            hits=3,
            path="app/services/billing.py",
            note="defaults of environment and option lookups; an API call",
        ),
    )

    def __init__(self, context: ModuleContext) -> None:
        """Decide whether this module is the settings module."""
        super().__init__(context)
        self.exempt = is_settings_module(context.facts, context.project, context.params) or bool(
            CONFIG_READERS.intersection(context.facts.imported)
        )
        self.quiet = 0  # depth inside docstrings, descriptions and examples
        self.reported: set[int] = set()  # ids of literals already reported

    @classmethod
    def applies(cls, facts: ModuleFacts, project: ProjectFacts) -> bool:
        """Every module except tests, test doubles and scripts (``scripts/``, ``bin/``)."""
        del project
        doubles = any(DOUBLE_DIR.search(part) for part in facts.path.split("/")[:-1])
        return not (is_test_path(facts.path) or is_script_path(facts.path) or doubles)

    def visit_Expr(self, node: cst.Expr) -> None:
        """Docstrings and bare strings are documentation."""
        if isinstance(node.value, cst.SimpleString | cst.ConcatenatedString):
            self.quiet += 1

    def leave_Expr(self, original_node: cst.Expr) -> None:
        """Leave the statement."""
        if isinstance(original_node.value, cst.SimpleString | cst.ConcatenatedString):
            self.quiet -= 1

    def visit_ConcatenatedString(self, node: cst.ConcatenatedString) -> None:
        """A message made of several literals (``"Read more: " "https://..."``) is text."""
        self.quiet += self._is_text(node)

    def leave_ConcatenatedString(self, original_node: cst.ConcatenatedString) -> None:
        """Leave the literal."""
        self.quiet -= self._is_text(original_node)

    @staticmethod
    def _is_text(node: cst.ConcatenatedString) -> bool:
        parts: list[str] = []
        for side in (node.left, node.right):
            if isinstance(side, cst.FormattedString):
                parts.extend(p.value for p in side.parts if isinstance(p, cst.FormattedStringText))
            elif isinstance(side, cst.SimpleString):
                parts.append(side.raw_value)
        return any(char.isspace() for part in parts for char in part)

    def visit_Arg(self, node: cst.Arg) -> None:
        """Enter documentation arguments; check ``host=``/``port=`` literals."""
        name = node.keyword.value if node.keyword is not None else None
        if name is not None and _quiet_keyword(name):
            self.quiet += 1
        elif name in {"host", "port"} and not self.quiet:
            self._keyword(name, node.value)

    def leave_Arg(self, original_node: cst.Arg) -> None:
        """Leave the argument."""
        keyword = original_node.keyword
        if keyword is not None and _quiet_keyword(keyword.value):
            self.quiet -= 1

    def visit_Call(self, node: cst.Call) -> None:
        """Enter ``Doc(...)`` documentation and string methods (``url.startswith(...)``)."""
        self.quiet += self._is_quiet_call(node)

    def leave_Call(self, original_node: cst.Call) -> None:
        """Leave the call."""
        self.quiet -= self._is_quiet_call(original_node)

    @staticmethod
    def _is_quiet_call(node: cst.Call) -> bool:
        func = node.func
        if isinstance(func, cst.Attribute) and func.attr.value in STRING_METHODS:
            return True
        if isinstance(func, cst.Attribute) and func.attr.value == "get" and len(node.args) == 2:
            # ``payload.get("join_url", "https://vendor.io")``: a fallback for a field missing
            # from data, not a setting; ``os.environ.get``/``config.get`` defaults still count.
            parts = re.split(r"[._]", (dotted(func.value) or "").lower())
            return not CONFIG_WORDS.intersection(parts)
        return (dotted(func) or "").rsplit(".", 1)[-1] in DOC_CALLS

    def visit_Comparison(self, node: cst.Comparison) -> None:
        """Comparisons test values (``scheme == "redis://"``), they do not configure."""
        del node
        self.quiet += 1

    def leave_Comparison(self, original_node: cst.Comparison) -> None:
        """Leave the comparison."""
        del original_node
        self.quiet -= 1

    def _keyword(self, name: str, value: cst.BaseExpression) -> None:
        if name == "port" and isinstance(value, cst.Integer):
            self._report(value, f"port `{value.value}`")
        elif name == "host" and isinstance(value, cst.SimpleString):
            text = value.evaluated_value
            if isinstance(text, str) and text not in ALL_INTERFACES and HOSTNAME.match(text):
                self._report(value, f"host `{text}`")

    def visit_Param(self, node: cst.Param) -> None:
        """``scope="https://graph.vendor.com/.default"``: a parameter default that names."""
        self.quiet += bool(IDENTIFIER_NAME.search(node.name.value))

    def leave_Param(self, original_node: cst.Param) -> None:
        """Leave the parameter."""
        self.quiet -= bool(IDENTIFIER_NAME.search(original_node.name.value))

    def visit_Assign(self, node: cst.Assign) -> None:
        """Module constants named ``*_HOST``/``*_SERVER``/``*_PORT``; enter scope lists."""
        for target in iter_targets(node):
            if isinstance(target, cst.Name):
                self._constant(target.value, node.value)
        self.quiet += self._names_identifiers(node)

    def leave_Assign(self, original_node: cst.Assign) -> None:
        """Leave the assignment."""
        self.quiet -= self._names_identifiers(original_node)

    @staticmethod
    def _names_identifiers(node: cst.Assign) -> bool:
        """``self.scopes = ["https://www.googleapis.com/auth/..."]``: identifiers, not endpoints."""
        for target in iter_targets(node):
            name = target.value if isinstance(target, cst.Name) else None
            if isinstance(target, cst.Attribute):
                name = target.attr.value
            if name is not None and (IDENTIFIER_NAME.search(name) or DESCRIPTIVE_NAME.search(name)):
                return True
        return False

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        """Configuration models (``class PagerDutyConfiguration(BaseModel)``) declare settings."""
        self.quiet += bool(CONFIG_CLASS.search(node.name.value))

    def leave_ClassDef(self, original_node: cst.ClassDef) -> None:
        """Leave the class."""
        self.quiet -= bool(CONFIG_CLASS.search(original_node.name.value))

    def _constant(self, name: str, value: cst.BaseExpression) -> None:
        if PORT_CONSTANT.search(name) and isinstance(value, cst.Integer):
            self._report(value, f"port `{value.value}`")
        elif HOST_CONSTANT.search(name) and isinstance(value, cst.SimpleString):
            text = value.evaluated_value
            if isinstance(text, str) and text not in ALL_INTERFACES and HOSTNAME.match(text):
                self._report(value, f"host `{text}`")

    def visit_SimpleString(self, node: cst.SimpleString) -> None:
        """Whole-string URLs, DSNs and ``host:port`` pairs."""
        value = node.evaluated_value
        if self.quiet or not isinstance(value, str):
            return
        kind = config_literal(value)
        if kind is not None:
            self._report(node, f"{kind} `{mask(value)}`")

    def visit_FormattedString(self, node: cst.FormattedString) -> None:
        """f-strings that start with a literal scheme and host."""
        if self.quiet:
            return
        prefix = ""
        for part in node.parts:
            if not isinstance(part, cst.FormattedStringText):
                break
            prefix += part.value
        if URL_PREFIX.match(prefix) and config_literal(prefix.rstrip(":/") + "/") == "URL":
            self._report(node, f"URL `{mask(prefix)}...`")

    def _report(self, node: cst.CSTNode, what: str) -> None:
        if self.exempt or id(node) in self.reported:
            return
        self.reported.add(id(node))
        self.report(
            node, f"hardcoded {what}; declare it as a settings field and read it from there"
        )
