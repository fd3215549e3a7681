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
