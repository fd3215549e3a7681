"""File-system primitives for writing into someone else's project safely.

Every path rulepack writes is resolved against the project root and refused if it escapes it,
whether through ``..``, an absolute path or a symlink. Writes go to a temporary file in the same
directory and are moved into place with ``os.replace``, so a file is either old or new, never half.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Collection
from pathlib import Path, PurePosixPath

from rulepack.errors import RulepackError


class UnsafePathError(RulepackError):
    """A path would write outside the project."""


def project_path(project: Path, relative: str) -> Path:
    """Return the absolute path of ``relative`` inside ``project``.

    Raises:
        UnsafePathError: if the path is absolute, climbs out with ``..``, or reaches outside the
            project through a symlink.
    """
    pure = PurePosixPath(relative)
    if pure.is_absolute() or Path(relative).is_absolute() or ".." in pure.parts or not pure.parts:
        raise UnsafePathError(f"{relative}: refusing a path outside the project")
    root = project.resolve()
    candidate = root.joinpath(*pure.parts)
    resolved = candidate.resolve()
    if not resolved.is_relative_to(root):
        raise UnsafePathError(
            f"{relative}: refusing to write through a symlink that leads outside the project"
            f" (to {resolved})"
        )
    return candidate


def read_text(path: Path) -> str | None:
    """The file's text (newlines untranslated), or ``None`` if it does not exist."""
    try:
        return path.read_bytes().decode("utf-8")
    except FileNotFoundError:
        return None
    except UnicodeDecodeError as exc:
        raise RulepackError(f"{path}: not UTF-8 text; rulepack will not edit it") from exc
    except OSError as exc:
        raise RulepackError(f"{path}: cannot read: {exc.strerror}") from exc


def _default_mode() -> int:
    """The mode a newly created file gets under the current umask (``mkstemp`` uses 0600)."""
    umask = os.umask(0o022)
    os.umask(umask)
    return 0o666 & ~umask


def atomic_write(path: Path, text: str) -> None:
    """Write ``text`` as UTF-8 through a temporary file and ``os.replace``; keep the file mode."""
    path.parent.mkdir(parents=True, exist_ok=True)
    mode = path.stat().st_mode & 0o777 if path.exists() else _default_mode()
    descriptor, temporary = tempfile.mkstemp(
        dir=path.parent, prefix=f".{path.name}.", suffix=".tmp"
    )
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(text.encode("utf-8"))
            handle.flush()
            os.fsync(handle.fileno())
        Path(temporary).chmod(mode)
        Path(temporary).replace(path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            Path(temporary).unlink()
        raise


def remove_file(path: Path) -> None:
    """Delete a file if it exists."""
    with contextlib.suppress(FileNotFoundError):
        path.unlink()


def remove_empty_parents(path: Path, project: Path, created: Collection[str]) -> None:
    """Remove the now-empty directories above ``path``, up to (not including) the project.

    Only directories listed in ``created`` (paths relative to the project) are removed: a directory
    that was there before rulepack wrote into it stays, even when it is empty again.
    """
    root = project.resolve()
    directory = path.parent
    while directory.resolve() != root and directory.resolve().is_relative_to(root):
        if directory.resolve().relative_to(root).as_posix() not in created:
            return
        try:
            directory.rmdir()
        except OSError:
            return
        directory = directory.parent
