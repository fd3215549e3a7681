"""Shared fixtures: the mini pack copied into a temporary directory for tests to break."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
MINI_PACK = REPO / "fixtures" / "packs" / "mini"


@pytest.fixture
def mini_pack(tmp_path: Path) -> Path:
    """A writable copy of fixtures/packs/mini."""
    target = tmp_path / "mini"
    shutil.copytree(MINI_PACK, target)
    return target


@pytest.fixture(scope="session")
def _session_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("rulepack-cache")


@pytest.fixture(autouse=True)
def _cache_in_tmp(monkeypatch: pytest.MonkeyPatch, _session_cache: Path) -> None:
    """Keep the evaluator's caches out of the home directory (shared by tests, kept warm)."""
    monkeypatch.setenv("RULEPACK_CACHE_DIR", str(_session_cache))
