"""``@app.on_event`` handlers become a lifespan in the simple case; otherwise a suggestion."""

from __future__ import annotations

import pytest

from rulepack.fixes import FixKind
from rulepack.rules.model import Pack
from tests.fixes.conftest import FixFiles, assert_idempotent

ONLY = ("CNV005",)  # the rule that binds on-event and no ruff code


def test_startup_and_shutdown_move_into_a_lifespan(fix_files: FixFiles, pack: Pack) -> None:
    source = '''"""The app."""

import httpx
from fastapi import FastAPI

client: httpx.AsyncClient | None = None

# the application
app = FastAPI(
    title="shop",
)


# open the client
@app.on_event("startup")
async def open_client() -> None:
    """Open the shared client."""
    global client
    client = httpx.AsyncClient()  # shared


@app.on_event("shutdown")
def close_client() -> None:
    global client
    if client is not None:
        client.close()


@app.get("/")
async def root() -> dict[str, str]:
    return {}
'''
    run = fix_files({"app/main.py": source}, ONLY)
    assert (
        run["app/main.py"]
        == '''"""The app."""

import httpx
from fastapi import FastAPI
from contextlib import asynccontextmanager
from collections.abc import AsyncIterator

client: httpx.AsyncClient | None = None


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    global client
    # open the client
    # Open the shared client.
    client = httpx.AsyncClient()  # shared
    yield
    if client is not None:
        client.close()


# the application
app = FastAPI(
    title="shop",
    lifespan=lifespan,
)


@app.get("/")
async def root() -> dict[str, str]:
    return {}
'''
    )
    assert run.count(FixKind.LIFESPAN) == 1
    assert not run.notes
    assert_idempotent(pack, run)


def test_existing_imports_module_app_and_one_line_handlers(fix_files: FixFiles, pack: Pack) -> None:
    source = (
        "import fastapi\nfrom typing import AsyncIterator\n\n"
        "application = fastapi.FastAPI(debug=True)\n\n\n"
        '@application.on_event("shutdown")\ndef bye(): print("bye")  # done\n\n\n'
        '@application.on_event("startup")\nasync def warm():\n'
        "    await application.state.cache.warm()\n"
    )
    run = fix_files({"app/main.py": source}, ONLY)
    assert run["app/main.py"] == (
        "import fastapi\nfrom typing import AsyncIterator\n"
        "from contextlib import asynccontextmanager\n"
        "\n\n@asynccontextmanager\n"
        "async def lifespan(app: fastapi.FastAPI) -> AsyncIterator[None]:\n"
        '    await application.state.cache.warm()\n    yield\n    # done\n    print("bye")\n\n\n'
        "application = fastapi.FastAPI(debug=True, lifespan=lifespan)\n"
    )
    assert_idempotent(pack, run)


def test_a_body_using_another_app_gets_another_parameter_name(fix_files: FixFiles) -> None:
    source = (
        "from fastapi import FastAPI\n\nfrom app.jobs import app\n\napi = FastAPI()\n\n\n"
        '@api.on_event("startup")\nasync def start() -> None:\n    await app.start()\n'
    )
    fixed = fix_files({"app/main.py": source}, ONLY)["app/main.py"]
    assert (
        "async def lifespan(_app: FastAPI) -> AsyncIterator[None]:\n    await app.start()\n"
        in fixed
    )


SUGGESTED = [
    pytest.param(
        "@app.on_event('startup')\ndef a():\n    conn = 1\n\n\n"
        "@app.on_event('shutdown')\ndef b():\n    conn.close()\n",
        "the handlers would share the local name(s) `conn` in one function",
        id="shared-local",
    ),
    pytest.param(
        "@app.on_event('startup')\nasync def a():\n    if x:\n        return\n    go()\n",
        "`a` uses `return`",
        id="return",
    ),
    pytest.param(
        "@app.on_event('startup')\nasync def a():\n    go()\n\n\n"
        "app.add_event_handler('shutdown', a)\n",
        "handlers are also registered with add_event_handler()",
        id="add-event-handler",
    ),
    pytest.param(
        "@app.on_event('startup')\nasync def a():\n    go()\n\n\nhandlers = [a]\n",
        "`a` is referenced elsewhere",
        id="referenced",
    ),
    pytest.param(
        "@app.on_event('startup')\n@traced\nasync def a():\n    go()\n",
        "`a` has other decorators",
        id="decorators",
    ),
    pytest.param(
        "def lifespan():\n    pass\n\n\n@app.on_event('startup')\nasync def a():\n    go()\n",
        "the module already uses the name `lifespan`",
        id="lifespan-taken",
    ),
    pytest.param(
        "app2 = FastAPI()\n\n\n@app.on_event('startup')\nasync def a():\n    go()\n",
        "the module does not create exactly one `FastAPI()` app",
        id="two-apps",
    ),
    pytest.param(
        "@app.on_event('startup')\nasync def a():\n    if x:\n        global y\n    y = 1\n",
        "`a` declares `global` inside a block",
        id="nested-global",
    ),
]


@pytest.mark.parametrize(("rest", "reason"), SUGGESTED)
def test_other_shapes_get_a_suggestion(fix_files: FixFiles, rest: str, reason: str) -> None:
    source = f"from fastapi import FastAPI\n\napp = FastAPI()\n\n\n{rest}"
    run = fix_files({"app/main.py": source}, ONLY)
    assert run["app/main.py"] == source
    assert len(run.notes) == 1
    note = run.notes[0]
    assert reason in note
    assert "async def lifespan(app: FastAPI) -> AsyncIterator[None]:" in note
    assert "        yield\n" in note


@pytest.mark.parametrize("keyword", ["lifespan=existing", "on_startup=[warm]"])
def test_lifecycle_keywords_already_given(fix_files: FixFiles, keyword: str) -> None:
    source = (
        f"from fastapi import FastAPI\n\napp = FastAPI({keyword})\n\n\n"
        "@app.on_event('shutdown')\nasync def a():\n    go()\n"
    )
    run = fix_files({"app/main.py": source}, ONLY)
    assert run["app/main.py"] == source
    assert f"the app is created with `{keyword.partition('=')[0]}=`" in run.notes[0]


def test_handlers_in_several_modules_are_suggested(fix_files: FixFiles) -> None:
    files = {
        "app/main.py": (
            "from fastapi import FastAPI\n\napp = FastAPI()\n\n\n"
            "@app.on_event('startup')\nasync def a() -> None:\n    go()\n"
        ),
        "app/events.py": (
            "from app.main import app\n\n\n"
            "@app.on_event('shutdown')\nasync def b() -> None:\n    stop()\n"
        ),
    }
    run = fix_files(files, ONLY)
    assert run.after == files
    assert len(run.notes) == 2
    assert all("registered in several modules: app/events.py, app/main.py" in n for n in run.notes)


def test_a_handler_used_by_another_module_stays(fix_files: FixFiles) -> None:
    files = {
        "app/main.py": (
            "from fastapi import FastAPI\n\napp = FastAPI()\n\n\n"
            "@app.on_event('startup')\nasync def connect() -> None:\n    go()\n"
        ),
        "tests/test_main.py": (
            "from app.main import connect\n\n\n"
            "async def test_connect() -> None:\n    await connect()\n"
        ),
    }
    run = fix_files(files, ONLY)
    assert run.after == files
    assert "`connect` is referenced elsewhere" in run.notes[0]
