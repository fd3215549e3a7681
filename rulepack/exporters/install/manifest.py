"""The install manifest, ``.rulepack/manifest.json``: what rulepack wrote, where, with hashes.

The manifest is the source of truth for drift checks and uninstall: rulepack only removes what the
manifest says it wrote, and only if it is still as rulepack wrote it.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, ValidationError

from rulepack.errors import RulepackError
from rulepack.exporters.install.fs import atomic_write, project_path, read_text
from rulepack.exporters.targets import WriteMode

MANIFEST_PATH = ".rulepack/manifest.json"


def sha256(text: str) -> str:
    """The hex SHA-256 of ``text`` encoded as UTF-8."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class ManifestEntry(BaseModel):
    """One file rulepack wrote or edited."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    path: str
    mode: WriteMode
    targets: tuple[str, ...]
    sha256: str  # owned: the whole file; block: the block; merge: the whole file as written
    created: bool = False  # the file did not exist before rulepack wrote it
    separator: str = ""  # block: what rulepack inserted before the block
    original: str | None = None  # merge: the file's text before rulepack edited it
    entries: tuple[str, ...] = ()  # merge: the values rulepack added


class Manifest(BaseModel):
    """Everything rulepack installed in one project."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    schema_version: Literal[1] = 1
    rulepack_version: str
    pack: str
    pack_version: str
    pack_source: str | None = None  # the --pack given (built-in name or directory), for re-syncs
    profile: str
    targets: tuple[str, ...]
    files: tuple[ManifestEntry, ...]
    directories: tuple[str, ...] = ()  # directories rulepack created; only these are removed

    def entry(self, path: str) -> ManifestEntry | None:
        """The entry for ``path``, if rulepack wrote it."""
        return next((entry for entry in self.files if entry.path == path), None)

    def to_text(self) -> str:
        """The manifest as stable, diff-friendly JSON."""
        return self.model_dump_json(indent=2) + "\n"


def read_manifest(project: Path) -> Manifest | None:
    """The project's manifest, or ``None`` if rulepack has not installed anything there.

    Raises:
        RulepackError: if the manifest exists but is not a valid manifest.
        UnsafePathError: if ``.rulepack`` leads outside the project through a symlink.
    """
    path = project_path(project, MANIFEST_PATH)
    text = read_text(path)
    if text is None:
        return None
    try:
        return Manifest.model_validate_json(text)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        raise RulepackError(f"{path}: not a rulepack manifest ({where}: {first['msg']})") from exc


def write_manifest(project: Path, manifest: Manifest) -> None:
    """Write the manifest atomically."""
    atomic_write(project_path(project, MANIFEST_PATH), manifest.to_text())
