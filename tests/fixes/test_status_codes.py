"""Literal status codes become ``status.HTTP_*`` constants, exactly where the check reports them."""

from __future__ import annotations

import sys
import types
from collections.abc import Iterator

import pytest
import starlette
from starlette import status

from rulepack.fixes import FixKind
from rulepack.fixes.status_codes import status_constants
from rulepack.rules.model import Pack
from tests.fixes.conftest import FixFiles, assert_idempotent

ONLY = ("ERR001",)  # the rule that binds literal-status-code and no ruff code


def test_every_standard_code_maps_to_a_current_starlette_name() -> None:
    constants = status_constants()
    assert constants[404] == "HTTP_404_NOT_FOUND"
    assert constants[422] == "HTTP_422_UNPROCESSABLE_CONTENT"  # not the deprecated _ENTITY name
    assert constants[413] == "HTTP_413_CONTENT_TOO_LARGE"
    for code, name in constants.items():
        assert name in status.__all__
        assert getattr(status, name) == code
    assert len(constants) >= 60


def test_exceptions_decorators_and_responses(fix_files: FixFiles, pack: Pack) -> None:
    source = (
        "from fastapi import APIRouter, FastAPI, HTTPException\n"
        "from fastapi.responses import JSONResponse\n\n"
        "app = FastAPI()\nrouter = APIRouter()\n\n\n"
        '@router.post("/items", status_code=201)  # created\n'
        "async def create(flag: bool) -> JSONResponse:\n"
        "    if flag:\n"
        "        raise HTTPException(\n"
        "            404,  # not there\n"
        '            detail="no",\n'
        "        )\n"
        "    return JSONResponse({}, status_code=(422 if flag else 200))\n\n\n"
        'app.add_api_route("/ping", create, status_code=202)\n'
    )
    run = fix_files({"app/api.py": source}, ONLY)
    fixed = run["app/api.py"]
    assert fixed.startswith("from fastapi import APIRouter, FastAPI, HTTPException, status\n")
    assert '@router.post("/items", status_code=status.HTTP_201_CREATED)  # created\n' in fixed
    assert "            status.HTTP_404_NOT_FOUND,  # not there\n" in fixed
    assert (
        "status_code=(status.HTTP_422_UNPROCESSABLE_CONTENT if flag else status.HTTP_200_OK)"
        in fixed
    )
    assert "status_code=status.HTTP_202_ACCEPTED)" in fixed
    assert run.count(FixKind.STATUS_CODE) == 5
    assert_idempotent(pack, run)


def test_an_existing_alias_is_reused(fix_files: FixFiles, pack: Pack) -> None:
    source = (
        "from fastapi import HTTPException\nfrom fastapi import status as st\n\n\n"
        "def find(item: object) -> object:\n"
        "    if item is None:\n"
        "        raise HTTPException(status_code=404, detail='No item')\n"
        "    return item\n"
    )
    run = fix_files({"app/items.py": source}, ONLY)
    assert run["app/items.py"] == source.replace("=404", "=st.HTTP_404_NOT_FOUND")
    assert_idempotent(pack, run)


def test_import_fastapi_uses_the_package_attribute(fix_files: FixFiles) -> None:
    source = (
        "import fastapi\n\n\ndef f() -> None:\n    raise fastapi.HTTPException(status_code=418)\n"
    )
    run = fix_files({"app/tea.py": source}, ONLY)
    assert run["app/tea.py"] == source.replace("=418", "=fastapi.status.HTTP_418_IM_A_TEAPOT")


def test_a_status_parameter_gets_an_aliased_import(fix_files: FixFiles, pack: Pack) -> None:
    source = (
        "from fastapi import HTTPException\n\n\n"
        "def f(status: str) -> None:\n"
        "    raise HTTPException(status_code=400, detail=status)\n"
    )
    run = fix_files({"app/a.py": source}, ONLY)
    assert run["app/a.py"] == (
        "from fastapi import HTTPException\nfrom fastapi import status as http_status\n\n\n"
        "def f(status: str) -> None:\n"
        "    raise HTTPException(status_code=http_status.HTTP_400_BAD_REQUEST, detail=status)\n"
    )
    assert_idempotent(pack, run)


def test_a_shadowed_status_import_is_not_reused(fix_files: FixFiles) -> None:
    source = (
        "from fastapi import HTTPException, status\n\n\n"
        "def f(status: int) -> None:\n"
        "    raise HTTPException(status_code=409)\n"
    )
    fixed = fix_files({"app/a.py": source}, ONLY)["app/a.py"]
    assert "from fastapi import status as http_status\n" in fixed
    assert "status_code=http_status.HTTP_409_CONFLICT" in fixed


def test_starlette_only_module_imports_starlette_status(fix_files: FixFiles) -> None:
    source = (
        '"""Responses."""\n\nfrom starlette.responses import Response\n\n\n'
        "def empty() -> Response:\n    return Response(status_code=204)\n"
    )
    fixed = fix_files({"app/a.py": source}, ONLY)["app/a.py"]
    assert fixed == (
        '"""Responses."""\n\nfrom starlette.responses import Response\n'
        "from starlette import status\n\n\n"
        "def empty() -> Response:\n    return Response(status_code=status.HTTP_204_NO_CONTENT)\n"
    )


def test_codes_without_a_constant_and_other_integers_stay(fix_files: FixFiles) -> None:
    source = (
        "import httpx\nfrom fastapi import HTTPException\n\n\n"
        "def f() -> httpx.Response:\n"
        "    if ok():\n"
        "        raise HTTPException(299)\n"
        "    return httpx.Response(status_code=200)\n"
    )
    run = fix_files({"app/a.py": source}, ONLY)
    assert run["app/a.py"] == source
    assert run.notes == ["app/a.py:7: status code 299 has no constant in starlette.status"]


@pytest.fixture
def fresh_constants() -> Iterator[None]:
    status_constants.cache_clear()
    yield
    status_constants.cache_clear()


@pytest.mark.usefixtures("fresh_constants")
def test_an_older_starlette_keeps_its_only_422_name(monkeypatch: pytest.MonkeyPatch) -> None:
    old = types.ModuleType("starlette.status")
    old.__all__ = ["HTTP_404_NOT_FOUND", "HTTP_422_UNPROCESSABLE_ENTITY"]  # type: ignore[attr-defined]
    old.HTTP_404_NOT_FOUND = 404  # type: ignore[attr-defined]
    old.HTTP_422_UNPROCESSABLE_ENTITY = 422  # type: ignore[attr-defined]
    monkeypatch.setattr(starlette, "status", old)
    assert status_constants() == {404: "HTTP_404_NOT_FOUND", 422: "HTTP_422_UNPROCESSABLE_ENTITY"}


@pytest.mark.usefixtures("fresh_constants")
def test_without_starlette_codes_are_left_with_a_note(
    fix_files: FixFiles, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "starlette", None)
    source = "from fastapi import HTTPException\n\nraise HTTPException(404)\n"
    run = fix_files({"app/a.py": source}, ONLY)
    assert run["app/a.py"] == source
    assert run.notes == [
        "app/a.py:3: status codes left as integers: starlette is not installed here"
    ]
