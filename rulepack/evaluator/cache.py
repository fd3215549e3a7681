"""A content-hash cache of sample analyses, so an unchanged sample is not analysed again.

The key covers the sample's bytes, the rulepack version, the selected rules' bindings and
parameters, the tool versions and the options that change results; any change makes a new key.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

from pydantic import ValidationError

from rulepack.evaluator.analysis import SampleAnalysis
from rulepack.exporters.install.fs import atomic_write

CACHE_ENV = "RULEPACK_CACHE_DIR"


def default_cache_dir() -> Path:
    """``$RULEPACK_CACHE_DIR``, else ``$XDG_CACHE_HOME/rulepack``, else ``~/.cache/rulepack``."""
    if os.environ.get(CACHE_ENV):
        return Path(os.environ[CACHE_ENV])
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "rulepack"


def cache_key(*parts: str) -> str:
    """A stable key from the parts that decide an analysis."""
    return hashlib.sha256(json.dumps(parts).encode()).hexdigest()


class ResultCache:
    """Analyses stored as JSON files under ``directory/results``."""

    def __init__(self, directory: Path) -> None:
        """Use (and create on first write) ``directory``."""
        self.directory = directory / "results"

    def _path(self, key: str) -> Path:
        return self.directory / key[:2] / f"{key}.json"

    def get(self, key: str) -> SampleAnalysis | None:
        """The cached analysis, or ``None`` (missing or unreadable entries are misses)."""
        try:
            return SampleAnalysis.model_validate_json(self._path(key).read_bytes())
        except (OSError, ValidationError, ValueError):
            return None

    def put(self, key: str, analysis: SampleAnalysis) -> None:
        """Store an analysis atomically (concurrent runs may write the same key)."""
        atomic_write(self._path(key), analysis.model_dump_json())
