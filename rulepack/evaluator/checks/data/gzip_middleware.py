"""gzip-middleware: a FastAPI app that never compresses its responses (project check)."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from typing import ClassVar

from rulepack.evaluator.checks.ast_facts import walk
from rulepack.evaluator.checks.base import Case, Hit, ProjectCheck
from rulepack.evaluator.checks.common import int_param
from rulepack.evaluator.checks.data.layout import is_app_code, is_app_module
from rulepack.evaluator.checks.facts import AppFact, ModuleFacts

PARAM = "gzip_minimum_size"
DEFAULT_SIZE = 1000
COMPRESSORS = frozenset(
    {"GZipMiddleware", "BrotliMiddleware", "CompressMiddleware", "ZstdMiddleware"}
)
# A reverse proxy configured in the sample that compresses responses.
PROXY_COMPRESSION = re.compile(r"^\s*gzip\s+on\s*;|^\s*encode\s+\w|compress:\s*\{?\s*\}?", re.M)
PROXY_FILES = re.compile(r"(nginx|caddy|traefik)[^/]*$|\.conf$|Caddyfile$", re.IGNORECASE)


class GzipMiddleware(ProjectCheck):
    """A FastAPI app without response compression.

    ## What it does
    Reports a sample whose application code creates a ``FastAPI()`` app when no module uses
    ``GZipMiddleware`` (``app.add_middleware(GZipMiddleware, ...)``, ``Middleware(GZipMiddleware)``
    in ``middleware=[...]``) or another compression middleware (Brotli, ``starlette-compress``,
    zstd), and no reverse-proxy configuration in the sample (nginx ``gzip on``, a Caddy
    ``encode``, Traefik ``compress``) compresses responses. The finding is placed at the app.

    ## Why is this bad?
    JSON compresses well, so gzip cuts transfer size and latency of large list responses; a
    minimum size skips small bodies where compression costs more than it saves.
    """

    id = "gzip-middleware"
    summary = "responses are not compressed"
    params = (PARAM,)
    good: ClassVar[tuple[Case, ...]] = (
        Case(
            files={
                "app/main.py": (
                    "from fastapi import FastAPI\nfrom fastapi.middleware import Middleware\n\n"
                    "from app.core.middleware import middleware\n\n"
                    "app = FastAPI(middleware=middleware)\n"
                ),
                "app/core/middleware.py": (
                    "from starlette.middleware import Middleware\n"
                    "from starlette.middleware.gzip import GZipMiddleware as Gzip\n\n"
                    "middleware = [Middleware(Gzip, minimum_size=1000)]\n"
                ),
            },
            hits=0,
            note="GZip configured in another module under an alias",
        ),
        Case(
            files={
                "app/main.py": "from fastapi import FastAPI\n\napp = FastAPI()\n",
                "deploy/nginx.conf": "http {\n    gzip on;\n    gzip_types application/json;\n}\n",
            },
            hits=0,
            note="the reverse proxy compresses",
        ),
        Case(
            files={
                "tests/conftest.py": "from fastapi import FastAPI\n\napp = FastAPI()\n",
                "app/util.py": "def helper() -> int:\n    return 1\n",
            },
            hits=0,
            note="an app only in tests: the rule does not apply",
        ),
    )
    bad: ClassVar[tuple[Case, ...]] = (
        Case.bad(
            "from fastapi import FastAPI\n\nfrom app.routers import users\n\n"
            "app = FastAPI()\napp.include_router(users.router, prefix='/api/v1')\n",
            path="app/main.py",
        ),
        Case(
            files={
                "app/main.py": (
                    "from fastapi import FastAPI\n"
                    "from fastapi.middleware.cors import CORSMiddleware\n\n"
                    "app = FastAPI()\napp.add_middleware(CORSMiddleware, allow_origins=['a'])\n"
                    "# GZipMiddleware is planned\n"
                ),
                "app/admin.py": "from fastapi import FastAPI\n\nadmin = FastAPI()\n",
            },
            hits=1,
            note="other middleware and a comment do not compress; reported once",
        ),
    )

    def applies(self) -> bool:
        """Samples with a FastAPI app in application code."""
        return bool(self._apps())

    def run(self) -> Iterator[Hit]:
        """Report once, at the app (preferring ``main.py``), when nothing compresses."""
        if self._compressed_in_code() or self._compressed_by_proxy():
            return
        apps = sorted(
            self._apps(), key=lambda item: (not item[0].path.endswith("main.py"), item[0].path)
        )
        module, app = apps[0]
        size = int_param(self.param_values, PARAM, DEFAULT_SIZE)
        yield Hit(
            module.path,
            app.span,
            "responses are not compressed; add "
            f"`app.add_middleware(GZipMiddleware, minimum_size={size})` unless a proxy compresses",
        )

    def _apps(self) -> list[tuple[ModuleFacts, AppFact]]:
        return [
            (module, app)
            for module in self.project.modules
            if is_app_module(module)
            for app in module.apps
        ]

    def _compressed_in_code(self) -> bool:
        for path, tree in self.project.trees.items():
            if not is_app_code(path):
                continue
            for node in walk(tree):
                if isinstance(node, ast.alias) and node.name.rsplit(".", 1)[-1] in COMPRESSORS:
                    # An import alone compresses nothing: its name must be used.
                    if node.asname is not None and self._uses_name(tree, node.asname):
                        return True
                    continue
                if isinstance(node, ast.Name) and node.id in COMPRESSORS:
                    return True
                if isinstance(node, ast.Attribute) and node.attr in COMPRESSORS:
                    return True
        return False

    @staticmethod
    def _uses_name(tree: ast.Module, name: str) -> bool:
        return any(isinstance(node, ast.Name) and node.id == name for node in walk(tree))

    def _compressed_by_proxy(self) -> bool:
        return any(
            PROXY_FILES.search(path) and PROXY_COMPRESSION.search(text)
            for path, text in self.project.texts.items()
        )
